"""HTTP security: the response headers every page and file is sent with, the
Socket.IO origin check, and the production check of the session key.

Headers come from Flask-Talisman; which ones and why: CSP and init_headers().
The origin check stops another web site's page from opening a Socket.IO
connection with a visitor's cookies (cross-site WebSocket hijacking: browsers
apply no CORS rules to websockets): origin_check().
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask_talisman import Talisman

# Content-Security-Policy (CSP Level 3, https://www.w3.org/TR/CSP3/): only
# this site's own files; no inline script, inline style attribute or on*
# handler runs, so markup that slips through escaping cannot execute. In CSP3
# 'self' also matches ws:/wss: to the same host, which covers the Socket.IO
# websocket (tests/e2e check that Chromium opens it and reports no violation).
CSP: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# The chat page's URL holds a guest's name and room: send no Referer to others.
REFERRER_POLICY = "same-origin"
# HSTS lifetime in seconds: one year (hstspreload.org's minimum; Talisman's too).
HSTS_SECONDS = 365 * 24 * 60 * 60

# Session keys refused in production: shorter than this many characters
# (secrets.token_hex(16) is 32; the instance key is 64), ...
MIN_SECRET_LENGTH = 32
# ... or with fewer distinct characters ("0" * 64, "abab..."; a random hex key
# of 32 characters has fewer than 6 with probability below 1e-12), ...
MIN_SECRET_DISTINCT = 6
# ... or containing a placeholder from examples and tutorials (compared in
# lower case with everything but letters and digits removed).
PLACEHOLDERS = (
    "changeme",
    "changethis",
    "replaceme",
    "yoursecret",
    "secretkey",
    "mysecret",
    "supersecret",
    "placeholder",
    "notsecret",
    "insecure",
    "password",
    "example",
)
# Whole keys that are placeholders, named as such rather than "too short".
WEAK_SECRETS = frozenset({"dev", "development", "test", "testing", "secret"})


def init_headers(app: Flask) -> Talisman:
    """Add the security headers to every response (pages and static files).

    Talisman's defaults are overridden where they would break Baithak:
    `force_https` is off (a classroom LAN is plain HTTP) and Talisman leaves
    the session cookie alone (its default marks it Secure on the first
    request, which would log everyone out over HTTP): SESSION_COOKIE_SECURE,
    _HTTPONLY and _SAMESITE stay what the config says. HSTS is sent only when
    the config marks cookies Secure (BAITHAK_SECURE_COOKIES=1: the site is
    served over HTTPS), and Talisman adds it only to responses to HTTPS
    requests (or X-Forwarded-Proto: https from a proxy); browsers ignore it
    over HTTP anyway (RFC 6797, 8.1). Not for subdomains: a school's domain
    may host other sites that are not on HTTPS.
    """
    return Talisman(
        app,
        force_https=False,
        frame_options="DENY",
        content_security_policy=CSP,
        referrer_policy=REFERRER_POLICY,
        x_content_type_options=True,
        strict_transport_security=bool(app.config.get("SESSION_COOKIE_SECURE")),
        strict_transport_security_max_age=HSTS_SECONDS,
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=False,
        session_cookie_http_only=app.config["SESSION_COOKIE_HTTPONLY"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )


def weak_secret_reason(key: str) -> str | None:
    """Return why `key` is too weak to sign sessions in production, or None."""
    letters = "".join(ch for ch in key.lower() if ch.isalnum())
    if letters in WEAK_SECRETS or letters in PLACEHOLDERS:
        return "is a well-known placeholder"
    if len(key) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    for word in PLACEHOLDERS:
        if word in letters:
            return f"contains a well-known placeholder ({word!r})"
    if len(set(key)) < MIN_SECRET_DISTINCT:
        return f"has fewer than {MIN_SECRET_DISTINCT} different characters"
    return None


def check_secret_key(app: Flask) -> None:
    """Refuse to start with a session key others can guess (a forged session
    cookie logs in as any account); raise RuntimeError saying what to do."""
    reason = weak_secret_reason(str(app.config["SECRET_KEY"]))
    if reason is not None:
        raise RuntimeError(
            f"SECRET_KEY {reason}: anyone could forge a login with it. Unset "
            "SECRET_KEY (Baithak then makes a random key once and keeps it in "
            "instance/secret_key) or set it to a long random value, e.g. the "
            "output of: python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )


def normalize_origin(value: str) -> str:
    """Return `value` as a browser's Origin header spells it: lower-case
    "scheme://host[:port]" with no default port and no path; raise ValueError
    if it is not an http(s) origin."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(value)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(value)
    if parts.username is not None or parts.password is not None:
        raise ValueError(value)
    host = parts.hostname  # lower case; IPv6 without brackets
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    port = parts.port  # ValueError when not a number or out of range
    return f"{parts.scheme}://{host}" + (
        f":{port}" if port not in (None, default) else ""
    )


def configured_origins(app: Flask) -> frozenset[str]:
    """Return BAITHAK_ALLOWED_ORIGINS (comma-separated) normalized; raise
    RuntimeError naming an entry that is not an origin."""
    origins = set()
    for entry in app.config["BAITHAK_ALLOWED_ORIGINS"].split(","):
        if not entry.strip():
            continue
        try:
            origins.add(normalize_origin(entry))
        except ValueError:
            raise RuntimeError(
                f"BAITHAK_ALLOWED_ORIGINS: {entry.strip()!r} is not an origin; "
                "write scheme://host[:port], e.g. https://chat.school.example"
            ) from None
    return frozenset(origins)


def own_origins(environ: Mapping[str, Any]) -> set[str]:
    """Return the origins a request to this server names itself by: its
    scheme and Host header, and the ones a proxy forwards (X-Forwarded-Proto
    and X-Forwarded-Host, first value). python-engineio's own same-origin rule
    (base_server._cors_allowed_origins, 4.15) trusts the same headers; a web
    page cannot set them on a websocket handshake, and a cross-origin request
    that sets them needs a CORS preflight, which this check refuses first."""
    host = environ.get("HTTP_HOST")
    if not host:
        return set()
    scheme = environ.get("wsgi.url_scheme", "http")
    candidates = [f"{scheme}://{host}"]
    forwarded_proto = environ.get("HTTP_X_FORWARDED_PROTO")
    forwarded_host = environ.get("HTTP_X_FORWARDED_HOST")
    if forwarded_proto or forwarded_host:
        proto = (forwarded_proto or scheme).split(",")[0].strip()
        fhost = (forwarded_host or host).split(",")[0].strip()
        candidates.append(f"{proto}://{fhost}")
    found = set()
    for candidate in candidates:
        try:
            found.add(normalize_origin(candidate))
        except ValueError:
            continue
    return found


def origin_check(app: Flask) -> Callable[[str | None, Mapping[str, Any]], bool]:
    """Return Flask-SocketIO's `cors_allowed_origins`: accept this site's own
    origin and BAITHAK_ALLOWED_ORIGINS, refuse every other one.

    python-engineio calls it for every request that has an Origin header and
    answers 400 "Not an accepted origin." when it returns False; a request
    without one (python-socketio and other non-browser clients) is accepted,
    as browsers always send one. Its default (None) would check the same
    origin only; this adds the configured origins for a proxy whose public
    URL differs from what reaches the server.
    """
    extra = configured_origins(app)

    def allowed(origin: str | None, environ: Mapping[str, Any]) -> bool:
        if not origin:
            return False  # engine.io asks only to set CORS headers then
        try:
            origin = normalize_origin(origin)
        except ValueError:
            return False  # "null" (sandboxed frames, file: pages) and the like
        return origin in extra or origin in own_origins(environ)

    return allowed
