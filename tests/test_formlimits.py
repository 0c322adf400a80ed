"""Rate limits on logging in, registering and creating rooms, as people meet them."""

from __future__ import annotations

import re
from contextlib import ExitStack

import pytest

from baithak.formlimits import wait_text

from .conftest import PASSWORD, AuthActions, new_app
from .test_pages import page_text
from .test_security import config_from_env


@pytest.fixture
def limited(tmp_path):
    """Return a factory: an app (testing config) with `limits` set."""
    with ExitStack() as apps:

        def make(**limits: str):
            return apps.enter_context(new_app(tmp_path, **limits))

        yield make


def client_from(app, address: str):
    """Return a test client whose requests come from IP `address`."""
    http = app.test_client()
    http.environ_base["REMOTE_ADDR"] = address
    return http


def assert_refused(response, reason: str) -> int:
    """Assert `response` is the 429 page giving `reason`; return Retry-After."""
    assert response.status_code == 429
    retry = int(response.headers["Retry-After"])
    text = page_text(response)
    assert reason in text
    assert f"Please wait {wait_text(retry)}, then try again." in text
    assert "Too many attempts · Baithak" in text  # the site's own page
    return retry


def test_the_11th_login_attempt_for_a_username_is_refused(client, auth):
    for name in ("alice", "bob"):  # two accounts, used from one address
        auth.register(name, name.title())
        auth.logout()
    for _ in range(10):  # the default: 10 per minute
        assert auth.login("alice", "wrong password").status_code == 200
    retry = assert_refused(
        auth.login("alice", "wrong password"),
        "Too many login attempts for this username.",
    )
    assert 1 <= retry <= 60  # the window is one minute from the first attempt
    # Even the right password waits: the limit is on the username.
    assert auth.login("ALICE", PASSWORD).status_code == 429
    # The page still loads; another username from the same address logs in.
    assert client.get("/auth/login").status_code == 200
    assert auth.login("bob", PASSWORD).status_code == 302


def test_a_username_is_limited_whichever_address_tries(app):
    clients = [client_from(app, f"10.0.0.{n}") for n in range(11)]
    AuthActions(app.test_client()).register("alice")
    for http in clients[:10]:
        assert AuthActions(http).login("alice", "guess").status_code == 200
    assert AuthActions(clients[10]).login("alice", "guess").status_code == 429


def test_logins_from_one_address_are_limited_across_usernames(limited):
    app = limited(BAITHAK_RATELIMIT_LOGIN_IP="3 per minute")
    auth = AuthActions(app.test_client())
    for name in ("ann", "ben", "cat"):
        assert auth.login(name, "guess").status_code == 200
    assert_refused(
        auth.login("dan", "guess"), "Too many login attempts from your network."
    )
    other = client_from(app, "10.0.0.9")
    assert AuthActions(other).login("dan", "guess").status_code == 200


def test_a_class_of_40_behind_one_address_is_not_refused(app):
    """Forty students behind one school address, two tries each at registering
    and at logging in, within a minute, with the default limits. Every POST
    counts whatever its outcome, so the tries are forms with a mistake (which
    skip the slow password hashing)."""
    for n in range(40):
        auth = AuthActions(app.test_client())  # each student's own browser
        for _ in range(2):
            typo = auth.register(f"student{n}", f"Student {n}", confirm="typo")
            assert typo.status_code == 200
            assert auth.login(f"student{n}", "").status_code == 200


def test_registering_is_limited_per_address(limited):
    app = limited(BAITHAK_RATELIMIT_REGISTER="2 per hour")
    for n in range(2):
        assert (
            AuthActions(app.test_client()).register(f"user{n}", f"User {n}").status_code
            == 302
        )
    http = app.test_client()
    retry = assert_refused(
        AuthActions(http).register("user2", "User 2"),
        "Too many accounts were registered from your network.",
    )
    assert 60 < retry <= 3600
    assert http.get("/auth/register").status_code == 200  # the page still loads
    other = client_from(app, "10.0.0.9")
    assert AuthActions(other).register("user2", "User 2").status_code == 302


def test_creating_rooms_is_limited_per_account(limited, user_client):
    app = limited(BAITHAK_RATELIMIT_CREATE_ROOM="2 per hour")
    alice = app.test_client()
    AuthActions(alice).register("alice", "Alice")
    for name in ("Maths", "Art"):
        assert alice.post("/rooms", data={"name": name}).status_code == 302
    refused = alice.post("/rooms", data={"name": "Music"})
    assert refused.status_code == 200  # the form again, with the reason
    assert re.search(r"Too many new rooms; try again in \d+ s\.", page_text(refused))
    assert "Music" not in page_text(alice.get("/rooms"))
    bob = app.test_client()  # same address, another account
    AuthActions(bob).register("bob", "Bob")
    assert bob.post("/rooms", data={"name": "Music"}).status_code == 302


def test_guests_creating_rooms_are_limited_per_address(limited):
    app = limited(BAITHAK_RATELIMIT_CREATE_ROOM_IP="1 per hour")
    assert app.test_client().post("/rooms", data={"name": "A"}).status_code == 302
    refused = app.test_client().post("/rooms", data={"name": "B"})
    assert "Too many new rooms; try again in" in page_text(refused)
    other = client_from(app, "10.9.9.9")  # another network is not affected
    assert other.post("/rooms", data={"name": "B"}).status_code == 302


def test_limits_are_read_from_the_environment():
    names = (
        "BAITHAK_RATELIMIT_LOGIN_IP",
        "BAITHAK_RATELIMIT_LOGIN_USERNAME",
        "BAITHAK_RATELIMIT_REGISTER",
        "BAITHAK_RATELIMIT_CREATE_ROOM",
        "RATELIMIT_STORAGE_URI",
    )
    env = {
        "BAITHAK_RATELIMIT_LOGIN_IP": "5 per second",
        "BAITHAK_RATELIMIT_LOGIN_USERNAME": "3 per minute; 20 per day",
        "BAITHAK_RATELIMIT_REGISTER": "7/hour",
        "BAITHAK_RATELIMIT_CREATE_ROOM": "1 per day",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    assert config_from_env(env, *names) == env
    defaults = config_from_env({}, *names)
    assert defaults == {
        "BAITHAK_RATELIMIT_LOGIN_IP": "100 per minute",
        "BAITHAK_RATELIMIT_LOGIN_USERNAME": "10 per minute",
        "BAITHAK_RATELIMIT_REGISTER": "120 per hour",
        "BAITHAK_RATELIMIT_CREATE_ROOM": "5/minute;30/day",
        "RATELIMIT_STORAGE_URI": "memory://",
    }


def test_a_configured_limit_applies(limited):
    app = limited(BAITHAK_RATELIMIT_LOGIN_USERNAME="2 per minute")
    auth = AuthActions(app.test_client())
    assert [auth.login("alice", "x").status_code for _ in range(3)] == [200, 200, 429]


def test_a_mistyped_limit_stops_the_start(limited):
    with pytest.raises(RuntimeError, match="BAITHAK_RATELIMIT_REGISTER: 'lots'"):
        limited(BAITHAK_RATELIMIT_REGISTER="lots")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1, "1 second"), (45, "45 seconds"), (89, "89 seconds"), (90, "2 minutes")],
)
def test_wait_is_said_in_words(seconds, text):
    assert wait_text(seconds) == text
