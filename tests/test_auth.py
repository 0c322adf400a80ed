"""Registering, logging in and out through the HTTP forms, with CSRF on and off."""

import re

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

from baithak.extensions import db
from baithak.models import User

PASSWORD = "correct horse"  # what the `auth` fixture registers with by default


def csrf_token(html: str) -> str:
    """Return the value of the page's hidden csrf_token input."""
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html)
    assert tag is not None, "no csrf_token input on the page"
    value = re.search(r'value="([^"]+)"', tag.group(0))
    assert value is not None
    return value.group(1)


def users(app) -> list[User]:
    """Return every stored account."""
    with app.app_context():
        return list(db.session.execute(sa.select(User)).scalars())


def test_register_logs_in_and_greets(client, auth, app):
    assert client.get("/auth/register").status_code == 200
    response = auth.register()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Alice! Your account is ready." in page
    assert "You chat as <strong>Alice</strong>" in page
    assert [u.username for u in users(app)] == ["alice"]


def test_password_is_stored_as_scrypt_hash(auth, app):
    auth.register()
    (user,) = users(app)
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("scrypt:")
    assert check_password_hash(user.password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("username", "display_name", "message"),
    [
        ("alice", "Someone", "That username is taken."),
        ("ALICE", "Someone", "That username is taken."),
        (" Alice ", "Someone", "That username is taken."),
        ("bob", "carol", "That display name is taken."),
        ("bob", " CAROL ", "That display name is taken."),
        # Fullwidth letters: the same name once NFKC-normalised.
        ("bob", "\uff23\uff41\uff52\uff4f\uff4c", "That display name is taken."),
        # One account's username and another's display name share a namespace.
        ("bob", "Alice", "That display name is taken."),
        ("carol", "Bob", "That username is taken."),
    ],
)
def test_register_duplicate_names(client, auth, app, username, display_name, message):
    auth.register("alice", "Carol")
    auth.logout()
    response = auth.register(username, display_name)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert len(users(app)) == 1


@pytest.mark.parametrize(
    ("username", "display_name", "password", "confirm", "message"),
    [
        ("ab", "Bob", PASSWORD, None, "Username must be 3-32 letters"),
        ("a" * 33, "Bob", PASSWORD, None, "Username must be 3-32 letters"),
        ("bob smith", "Bob", PASSWORD, None, "Username must be 3-32 letters"),
        ("bob<b>", "Bob", PASSWORD, None, "Username must be 3-32 letters"),
        ("", "Bob", PASSWORD, None, "This field is required."),
        ("bob", "", PASSWORD, None, "This field is required."),
        ("bob", "Admin", PASSWORD, None, "That name is reserved."),
        ("admin", "Bob", PASSWORD, None, "That username is reserved."),
        ("System", "Bob", PASSWORD, None, "That username is reserved."),
        ("bob", "B" * 33, PASSWORD, None, "Name is too long (max 32 characters)."),
        ("bob", "Bob", "short", None, "Password must be 8-256 characters."),
        ("bob", "Bob", "x" * 257, None, "Password must be 8-256 characters."),
        ("bob", "Bob", PASSWORD, "correct horsE", "Passwords do not match."),
    ],
)
def test_register_validation(
    client, auth, app, username, display_name, password, confirm, message
):
    response = auth.register(username, display_name, password, confirm)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert users(app) == []
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_login_and_logout(client, auth):
    auth.register()
    auth.logout()
    assert client.get("/auth/login").status_code == 200
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "You chat as <strong>Alice</strong>" in client.get("/").get_data(
        as_text=True
    )

    response = auth.logout()
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "You are logged out." in page
    assert "You chat as" not in page


def test_login_is_case_insensitive_on_username(client, auth):
    auth.register()
    auth.logout()
    assert auth.login(" ALICE ").status_code == 302


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password"), ("nobody", PASSWORD), ("alice", PASSWORD.upper())],
)
def test_login_wrong_credentials(client, auth, username, password):
    auth.register()
    auth.logout()
    response = auth.login(username, password)
    assert response.status_code == 200
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert "You chat as" not in client.get("/").get_data(as_text=True)


def test_logged_in_user_skips_login_and_register_pages(client, auth):
    auth.register()
    for path in ("/auth/login", "/auth/register"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/"


def test_logout_requires_post(client, auth):
    auth.register()
    assert client.get("/auth/logout").status_code == 405
    assert "You chat as" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        ("/rooms", "/rooms"),
        ("/chat?room=Physics", "/chat?room=Physics"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\t/evil.example/", "/"),
        ("evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/\r\nSet-Cookie:x=1", "/"),
        ("/rooms\x00", "/"),
    ],
)
def test_login_next_is_same_site_only(auth, next_url, location):
    auth.register()
    auth.logout()
    response = auth.login(next=next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == location


def test_login_next_backslash_does_not_leave_the_site(auth):
    # Browsers read "/\evil.example" as "//evil.example"; it must stay a path.
    auth.register()
    auth.logout()
    location = auth.login(next="/\\evil.example/").headers["Location"]
    assert location.startswith("/")
    assert not location.startswith(("//", "/\\"))


def enable_csrf(app) -> None:
    """Turn CSRF protection on, as it is outside of tests."""
    app.config["WTF_CSRF_ENABLED"] = True


def test_register_without_csrf_token_is_refused(app, auth):
    enable_csrf(app)
    assert auth.register().status_code == 400
    assert users(app) == []


def test_register_with_csrf_token_works(app, client):
    enable_csrf(app)
    token = csrf_token(client.get("/auth/register").get_data(as_text=True))
    response = client.post(
        "/auth/register",
        data={
            "csrf_token": token,
            "username": "alice",
            "display_name": "Alice",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert [u.username for u in users(app)] == ["alice"]


def test_login_needs_csrf_token(app, client, auth):
    auth.register()
    auth.logout()
    enable_csrf(app)
    assert auth.login().status_code == 400
    assert "You chat as" not in client.get("/").get_data(as_text=True)

    token = csrf_token(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/auth/login",
        data={"csrf_token": token, "username": "alice", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert "You chat as" in client.get("/").get_data(as_text=True)


def test_logout_needs_csrf_token(app, client, auth):
    auth.register()
    enable_csrf(app)
    assert auth.logout().status_code == 400
    page = client.get("/").get_data(as_text=True)
    assert "You chat as" in page

    response = client.post("/auth/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert "You chat as" not in client.get("/").get_data(as_text=True)
