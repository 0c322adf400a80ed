"""Shared fixtures: a fresh app and database per test (a SQLite file, or a
PostgreSQL database with BAITHAK_TEST_DATABASE_URL set: tests/testdb.py),
HTTP and Socket.IO clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask

from baithak import create_app
from baithak.extensions import db, socketio
from baithak.services.rooms import ensure_global_room

from . import live_server, testdb

PASSWORD = "correct horse"
_FIRST_SERVER = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    """With BAITHAK_TEST_DATABASE_URL set, stop at once if that PostgreSQL
    server does not answer (rather than fail every test one by one)."""
    if testdb.on_postgres() and (reason := testdb.unreachable_reason()):
        raise pytest.UsageError(
            f"{reason}\n{testdb.ENV} is set, so the tests run on PostgreSQL: "
            f"start it, or unset {testdb.ENV} to run them on SQLite."
        )


def pytest_report_header(config: pytest.Config) -> str:
    """Say which database the tests run on."""
    if testdb.on_postgres():
        where = testdb.server_url().render_as_string(hide_password=True)
        return f"database: PostgreSQL at {where} (databases {testdb.RUN}_*)"
    return "database: SQLite (set BAITHAK_TEST_DATABASE_URL for PostgreSQL)"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop every PostgreSQL database this run made, passed or failed."""
    testdb.finish()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Note which live servers existed before this test started."""
    item.stash[_FIRST_SERVER] = len(live_server.STARTED)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Attach the log of every real server a failing test used to its report."""
    report = yield
    if report.failed:
        servers = [
            s for s in item.funcargs.values() if isinstance(s, live_server.LiveServer)
        ]
        started = live_server.STARTED[item.stash.get(_FIRST_SERVER, 0) :]
        # Servers restarted on one folder share a log file: attach it once.
        for server in {s.log_path: s for s in servers + started}.values():
            report.sections.append((f"server log ({server.url})", server.log()))
    return report


@pytest.fixture
def app(tmp_path):
    """The app on a database of its own with the schema and global room."""
    with new_app(tmp_path) as made:
        yield made


def _fill(app: Flask) -> None:
    """Give the app's new database the schema and the global room."""
    with app.app_context():
        db.create_all()
        ensure_global_room()


def _fill_template(uri: str) -> None:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": uri})
    _fill(app)
    with app.app_context():
        db.engine.dispose()


@contextmanager
def new_app(tmp_path, **overrides: Any) -> Iterator[Flask]:
    """Create a testing app (with config `overrides`) on a new database with
    the schema and the global room: a SQLite file in `tmp_path`, or a copy
    of the run's PostgreSQL template (tests/testdb.py). Dispose of it after
    (and drop the PostgreSQL database), even if the test failed."""
    if testdb.on_postgres():
        uri, done = testdb.copy_of_template(_fill_template)
    else:
        uri, done = f"sqlite:///{tmp_path}/test.sqlite3", None
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": uri, **overrides})
    try:
        if done is None:
            _fill(app)
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        if done is not None:
            done()


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A test runner for the app's Click commands."""
    return app.test_cli_runner()


class AuthActions:
    """Register, log in and log out through the real HTTP forms."""

    def __init__(self, client):
        self._client = client

    def register(
        self,
        username: str = "alice",
        display_name: str = "Alice",
        password: str = PASSWORD,
        confirm: str | None = None,
    ):
        """Post the registration form (which also logs the new account in)."""
        return self._client.post(
            "/auth/register",
            data={
                "username": username,
                "display_name": display_name,
                "password": password,
                "confirm": password if confirm is None else confirm,
            },
        )

    def login(self, username: str = "alice", password: str = PASSWORD, **query: str):
        """Post the login form; `query` becomes the query string (e.g. next=)."""
        return self._client.post(
            "/auth/login",
            query_string=query,
            data={"username": username, "password": password},
        )

    def logout(self):
        """Post the logout form."""
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    """Auth actions for `client`."""
    return AuthActions(client)


@pytest.fixture
def user_client(app):
    """Return a factory: register an account in a new HTTP client, logged in."""

    def make(username: str, display_name: str):
        http = app.test_client()
        response = AuthActions(http).register(username, display_name)
        assert response.status_code == 302, "registration failed"
        http.username = username  # whose client it is, for the tests' helpers
        return http

    return make


class ChatSocket:
    """A Socket.IO test client that returns acks as (error, data) pairs."""

    def __init__(self, sio):
        self.sio = sio

    def emit(self, event: str, *args: Any) -> tuple[Any, Any]:
        """Emit `event` asking for an ack; fail if none comes back."""
        ack = self.sio.emit(event, *args, callback=True)
        assert isinstance(ack, list), f"no (error, data) ack for {event}: {ack!r}"
        error, data = ack
        return error, data

    def join(self, username: str | None, room: str = "Global") -> dict[str, Any]:
        """Join `room`, assert it worked, and forget the events it caused."""
        error, data = self.emit("join", {"username": username, "room": room})
        assert error is None, error
        self.received()
        return data

    def received(self, event: str | None = None) -> list[Any]:
        """Return (and forget) what arrived: (name, payload) pairs, or the
        payloads of `event` only (the other events are dropped)."""
        pairs = []
        for packet in self.sio.get_received():
            args = packet["args"]
            # The test client unwraps "message" payloads but not other events'.
            payload = args if packet["name"] == "message" else args[0]
            pairs.append((packet["name"], payload))
        if event is None:
            return pairs
        return [payload for name, payload in pairs if name == event]

    def texts(self) -> list[str]:
        """Return (and forget) the text of each `message` received."""
        return [payload["text"] for payload in self.received("message")]

    def disconnect(self) -> None:
        """Close the connection."""
        self.sio.disconnect()


@pytest.fixture
def connect(app):
    """Return a factory: open a socket as the user logged in to `http` (a guest
    by default); every socket still open is disconnected at teardown."""
    opened: list[ChatSocket] = []

    def open_socket(http=None) -> ChatSocket:
        sio = socketio.test_client(app, flask_test_client=http or app.test_client())
        assert sio.is_connected()
        opened.append(ChatSocket(sio))
        return opened[-1]

    yield open_socket
    for sock in opened:
        if sock.sio.is_connected():
            sock.disconnect()
