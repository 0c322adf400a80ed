"""Which web pages may open a Socket.IO connection: the site's own, origins set
in BAITHAK_ALLOWED_ORIGINS, and clients that send no Origin (not browsers).

Flask-SocketIO's test client skips python-engineio's origin check, so these
run against the real server (gunicorn + eventlet) with python-socketio
clients, over a websocket and over long-polling.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import socketio
from socketio.exceptions import ConnectionError as SocketIOConnectionError

from baithak import create_app
from baithak.security import normalize_origin, origin_check

from .live_server import LiveServer, live_server

pytestmark = pytest.mark.server

PROXY_ORIGINS = "https://chat.example.org, http://Proxy.Example:8080/"
FOREIGN = "http://evil.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The production server as configured by default."""
    with live_server(tmp_path_factory.mktemp("origins")) as running:
        yield running
        print(running.log())


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The production server with BAITHAK_ALLOWED_ORIGINS set (behind a proxy)."""
    with live_server(
        tmp_path_factory.mktemp("proxied"), BAITHAK_ALLOWED_ORIGINS=PROXY_ORIGINS
    ) as running:
        yield running
        print(running.log())


PROBES = itertools.count(1)


def connects(url: str, transport: str, origin: str | None) -> bool:
    """Return whether a client sending `origin` (None: no Origin header) can
    connect over `transport` and get a join acknowledged."""
    if transport == "websocket":
        # websocket-client sends an Origin of its own unless told otherwise.
        options = {"suppress_origin": True} if origin is None else {"origin": origin}
        client = socketio.Client(reconnection=False, websocket_extra_options=options)
        headers = {}
    else:
        client = socketio.Client(reconnection=False)
        headers = {} if origin is None else {"Origin": origin}
    try:
        client.connect(url, headers=headers, transports=[transport], wait_timeout=10)
    except SocketIOConnectionError:
        return False
    try:
        # A name of its own: the previous probe's disconnect may not have
        # been handled yet, and its name would still be in use.
        name = f"Probe {next(PROBES)}"
        error, _ = client.call("join", {"username": name, "room": "Origins"})
        return error is None
    finally:
        client.disconnect()


TRANSPORTS = pytest.mark.parametrize("transport", ["websocket", "polling"])


@TRANSPORTS
def test_a_foreign_origin_is_refused(server: LiveServer, transport: str) -> None:
    assert not connects(server.url, transport, FOREIGN)
    assert not connects(server.url, transport, "null")  # sandboxed frame, file:
    assert "is not an accepted origin" in server.log()


@TRANSPORTS
def test_the_sites_own_origin_is_accepted(server: LiveServer, transport: str) -> None:
    assert connects(server.url, transport, server.url)


@TRANSPORTS
def test_a_client_without_origin_is_accepted(server: LiveServer, transport) -> None:
    assert connects(server.url, transport, None)


@TRANSPORTS
def test_configured_origins_are_accepted(proxied: LiveServer, transport: str) -> None:
    assert connects(proxied.url, transport, "https://chat.example.org")
    assert connects(proxied.url, transport, "http://proxy.example:8080")
    assert connects(proxied.url, transport, proxied.url)  # its own still works
    assert not connects(proxied.url, transport, FOREIGN)
    assert not connects(proxied.url, transport, "http://chat.example.org")  # scheme


def environ(host: str = "127.0.0.1:5000", scheme: str = "http", **headers: str):
    """A WSGI environ as a request to `scheme`://`host` has, plus `headers`."""
    return {"wsgi.url_scheme": scheme, "HTTP_HOST": host, **headers}


def test_origin_rule_same_origin_only_by_default(app) -> None:
    allowed = origin_check(app)
    assert allowed("http://127.0.0.1:5000", environ())
    assert allowed("http://localhost:5000", environ("localhost:5000"))
    assert not allowed("http://127.0.0.1:5001", environ())  # another port
    assert not allowed("https://127.0.0.1:5000", environ())  # another scheme
    assert not allowed("http://evil.example", environ())
    assert not allowed("null", environ())
    assert not allowed("http://evil.example", {})  # no Host: nothing is "own"


def test_origin_rule_follows_the_proxy_headers(app) -> None:
    allowed = origin_check(app)
    behind = environ(
        "127.0.0.1:8000",
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_X_FORWARDED_HOST="chat.school.example",
    )
    assert allowed("https://chat.school.example", behind)
    assert not allowed("https://evil.example", behind)


def test_configured_origins_are_checked_at_start(tmp_path) -> None:
    app = create_app("testing", {"BAITHAK_ALLOWED_ORIGINS": PROXY_ORIGINS})
    allowed = origin_check(app)
    assert allowed("https://chat.example.org", environ())
    assert allowed("http://proxy.example:8080", environ())
    with pytest.raises(RuntimeError, match=r"'chat\.example\.org' is not an origin"):
        create_app("testing", {"BAITHAK_ALLOWED_ORIGINS": "chat.example.org"})


@pytest.mark.parametrize(
    ("written", "origin"),
    [
        ("https://Chat.Example.org/", "https://chat.example.org"),
        ("https://chat.example.org:443", "https://chat.example.org"),
        ("http://chat.example.org:80", "http://chat.example.org"),
        ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
        ("http://[::1]:5000", "http://[::1]:5000"),
    ],
)
def test_origins_are_compared_as_browsers_write_them(written, origin) -> None:
    assert normalize_origin(written) == origin


@pytest.mark.parametrize(
    "bad", ["chat.example.org", "ftp://x.example", "https://x.example/chat", "null"]
)
def test_what_is_not_an_origin(bad) -> None:
    with pytest.raises(ValueError):
        normalize_origin(bad)
