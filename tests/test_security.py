"""HTTP security: the headers every response carries, the cookies' flags and
the production check of the session key."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from baithak import _instance_secret, create_app
from baithak.extensions import db
from baithak.security import CSP, weak_secret_reason

from . import testdb
from .conftest import PASSWORD
from .test_auth import csrf_token

ROOT = Path(__file__).resolve().parent.parent
# A production session key for tests: long and random-looking, never used elsewhere.
STRONG_KEY = "t3st-0nly-Kq8vZ2mX7pR4wL9yB6nD1cF5hJ0sG3aE"


@pytest.fixture
def production(tmp_path):
    """Return a factory: the production app with `overrides`, schema created;
    each one's engine is disposed of at the end (a PostgreSQL connection left
    to the garbage collector warns)."""
    made = []

    def make(**overrides):
        app = create_app(
            "production",
            {
                "SECRET_KEY": STRONG_KEY,
                "SQLALCHEMY_DATABASE_URI": testdb.database_uri(tmp_path, "prod"),
                "SOCKETIO_ASYNC_MODE": "threading",
                **overrides,
            },
        )
        with app.app_context():
            db.create_all()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def csp_directives(response) -> dict[str, str]:
    """Return the Content-Security-Policy header as {directive: sources}."""
    header = response.headers["Content-Security-Policy"]
    pairs = (part.strip().split(" ", 1) for part in header.split(";"))
    return {name: sources for name, sources in pairs}


@pytest.mark.parametrize(
    "path",
    ["/", "/rooms", "/auth/login", "/auth/register", "/chat?room=R&username=A"],
)
def test_every_page_has_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert csp_directives(response) == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_csp_forbids_inline_script_and_style(client):
    policy = csp_directives(client.get("/"))
    for directive in ("script-src", "style-src"):
        assert policy[directive] == "'self'"  # no 'unsafe-inline', no nonce
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


def test_static_files_have_the_headers_too(client):
    response = client.get("/static/js/chat.js")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response.headers
    response.close()


INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE),
    "on* handler": re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


@pytest.mark.parametrize(
    "template", sorted((ROOT / "templates").rglob("*.html")), ids=lambda p: p.name
)
def test_templates_have_nothing_inline_the_csp_would_block(template):
    html = template.read_text()
    for what, pattern in INLINE.items():
        assert not pattern.search(html), f"{what} in {template.name}"


def test_rendered_pages_have_nothing_inline_the_csp_would_block(client, auth):
    pages = ["/", "/rooms", "/auth/login", "/auth/register", "/chat?room=R&username=A"]
    htmls = [client.get(path).get_data(as_text=True) for path in pages]
    auth.register()
    htmls += [client.get(path).get_data(as_text=True) for path in ("/", "/rooms")]
    for html in htmls:
        for what, pattern in INLINE.items():
            assert not pattern.search(html), what


def test_plain_http_is_served_not_redirected_and_gets_no_hsts(production):
    client = production().test_client()
    response = client.get("/")
    assert response.status_code == 200  # no force-HTTPS redirect on a LAN
    assert "Strict-Transport-Security" not in response.headers
    assert csp_directives(response) == CSP


def test_hsts_only_behind_https_with_secure_cookies(production):
    secure = production(SESSION_COOKIE_SECURE=True).test_client()
    over_https = secure.get("/", base_url="https://chat.example")
    assert over_https.headers["Strict-Transport-Security"] == "max-age=31536000"
    proxied = secure.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in proxied.headers
    assert "Strict-Transport-Security" not in secure.get("/").headers  # plain HTTP
    insecure = production(SESSION_COOKIE_SECURE=False).test_client()
    response = insecure.get("/", base_url="https://chat.example")
    assert "Strict-Transport-Security" not in response.headers


def session_cookie(response) -> str:
    """Return the Set-Cookie header of the session cookie."""
    cookies = [c for c in response.headers.getlist("Set-Cookie") if "session=" in c]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def cookie_flags(set_cookie: str) -> set[str]:
    """Return a Set-Cookie header's attributes, lower case ("httponly", ...)."""
    return {part.strip().lower() for part in set_cookie.split(";")[1:]}


def test_production_session_cookie_over_plain_http(production):
    app = production(SESSION_COOKIE_SECURE=False)
    response = app.test_client().get("/auth/login")  # the CSRF token starts a session
    flags = cookie_flags(session_cookie(response))
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert "secure" not in flags  # Talisman's default would have added it
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_session_cookie_when_secure_cookies_are_on(production):
    app = production(SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/auth/login", base_url="https://chat.example")
    assert {"httponly", "samesite=lax", "secure"} <= cookie_flags(
        session_cookie(response)
    )


def test_production_remember_cookie_flags(production):
    app = production(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    client = app.test_client()
    base = "https://chat.example"

    def submit(path: str, page: str | None = None, **data: str):
        """Post to `path` with the CSRF token of `page` (default: `path`), as a
        browser over HTTPS does (Flask-WTF checks the Referer on HTTPS)."""
        token = csrf_token(client.get(page or path, base_url=base).text)
        return client.post(
            path,
            base_url=base,
            headers={"Referer": base + path},
            data={"csrf_token": token, **data},
        )

    registered = submit(
        "/auth/register",
        username="alice",
        display_name="Alice",
        password=PASSWORD,
        confirm=PASSWORD,
    )
    assert registered.status_code == 302
    assert submit("/auth/logout", page="/").status_code == 302
    response = submit("/auth/login", username="alice", password=PASSWORD, remember="y")
    assert response.status_code == 302
    remember = [
        cookie
        for cookie in response.headers.getlist("Set-Cookie")
        if cookie.startswith("remember_token=")
    ]
    assert len(remember) == 1
    assert {"httponly", "samesite=lax", "secure"} <= cookie_flags(remember[0])


def app_in_subprocess(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python (the config reads the environment on
    import) with `env` added to this one's, less its Baithak settings;
    BAITHAK_CONFIG=production unless `env` says."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("BAITHAK_", "RATELIMIT_", "SECRET_KEY"))
    }
    environ = {
        **inherited,
        "BAITHAK_CONFIG": "production",
        "SECRET_KEY": STRONG_KEY,
        "DATABASE_URL": "sqlite://",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def config_from_env(env: dict[str, str], *names: str) -> dict[str, object]:
    """Return the production app's config values `names` under `env`."""
    code = (
        "import json, sys; from baithak import create_app; "
        "app = create_app('production'); "
        f"print(json.dumps({{n: app.config[n] for n in {list(names)!r}}}))"
    )
    done = app_in_subprocess(env, code)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_secure_cookies_setting_marks_both_cookies_secure():
    names = ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE")
    assert config_from_env({"BAITHAK_SECURE_COOKIES": "1"}, *names) == {
        "SESSION_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_SECURE": True,
    }
    assert config_from_env({"BAITHAK_SECURE_COOKIES": "0"}, *names) == {
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
    }


WEAK_KEYS = [
    "dev",
    "test",
    "secret",
    "changeme",
    "change-me",
    "live-server-test",
    "k" * 31,  # too short
    "0" * 64,  # long, one character
    "please-change-me-to-a-long-random-string-0123",
    "my-super-secret-key-for-baithak-production-2024",
]


@pytest.mark.parametrize("key", WEAK_KEYS)
def test_production_refuses_a_weak_secret_key(tmp_path, key):
    with pytest.raises(RuntimeError) as refused:
        create_app("production", {"SECRET_KEY": key})
    message = str(refused.value)
    assert message.startswith("SECRET_KEY ")
    assert "instance/secret_key" in message and "token_hex(32)" in message


@pytest.mark.parametrize(
    "key", [STRONG_KEY, secrets.token_hex(16), secrets.token_urlsafe(32)]
)
def test_production_accepts_a_long_random_secret_key(production, key):
    assert production(SECRET_KEY=key).config["SECRET_KEY"] == key


def test_the_generated_instance_key_is_strong(tmp_path):
    assert weak_secret_reason(_instance_secret(tmp_path)) is None


def test_weak_keys_are_allowed_outside_production(tmp_path):
    app = create_app(
        "development", {"SECRET_KEY": "dev", "SOCKETIO_ASYNC_MODE": "threading"}
    )
    assert app.config["SECRET_KEY"] == "dev"


def test_production_server_does_not_start_with_a_placeholder_key():
    done = app_in_subprocess({"SECRET_KEY": "changeme"}, "import wsgi")
    assert done.returncode != 0
    assert "RuntimeError: SECRET_KEY is a well-known placeholder" in done.stderr
