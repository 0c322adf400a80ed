"""The real server in a subprocess, both ways the README starts it (gunicorn +
eventlet for production, `flask run` for `make run`), with python-socketio
clients over a real websocket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from .live_server import LiveServer, Person, live_server

pytestmark = pytest.mark.server


@pytest.fixture(params=["gunicorn", "flask"])
def server(tmp_path, request) -> Iterator[LiveServer]:
    """The running server; a failing test's report carries its log."""
    with live_server(tmp_path, request.param) as running:
        yield running


def test_two_clients_chat_over_a_real_websocket(server: LiveServer) -> None:
    asha, ben = Person(server.url), Person(server.url)
    try:
        error, joined = asha.sio.call("join", {"username": "Asha", "room": "Physics"})
        assert error is None and joined["room"] == "Physics"
        error, _ = ben.sio.call("join", {"username": "Ben", "room": " physics "})
        assert error is None

        asha.wait_for(lambda e, d: e == "message" and d["text"] == "Ben has joined!")
        asha.wait_for(
            lambda e, d: (
                e == "roomData"
                and [u["username"] for u in d["users"]] == ["Asha", "Ben"]
            )
        )

        error, sent = asha.sio.call("sendMessage", "Hello Ben")
        assert error is None
        _, got = ben.wait_for(lambda e, d: e == "message" and d.get("id") == sent["id"])
        assert got["username"] == "Asha" and got["text"] == "Hello Ben"
        assert abs(got["createdAt"] - time.time() * 1000) < 60_000

        error, _ = ben.sio.call("sendLocation", {"latitude": 12.82, "longitude": 80.04})
        assert error is None
        _, loc = asha.wait_for(lambda e, d: e == "locationMessage")
        assert loc["url"] == "https://google.com/maps?q=12.82,80.04"

        assert ben.sio.call("sendMessage", "shit") == (
            "Profanity is not allowed!",
            {"code": "profanity"},
        )

        ben.sio.disconnect()
        asha.wait_for(lambda e, d: e == "message" and d["text"] == "Ben has left!")
        asha.wait_for(
            lambda e, d: (
                e == "roomData" and [u["username"] for u in d["users"]] == ["Asha"]
            )
        )
    finally:
        for person in (asha, ben):
            person.sio.disconnect()


def test_pipelined_messages_keep_their_order(server: LiveServer) -> None:
    """A client that sends without waiting for acks: stored and delivered in order."""
    sender, reader = Person(server.url), Person(server.url)
    try:
        for person, name in ((sender, "Sender"), (reader, "Reader")):
            assert (
                person.sio.call("join", {"username": name, "room": "Order"})[0] is None
            )
        acks: list[tuple] = []
        done = threading.Event()
        count = 60

        def on_ack(*args) -> None:
            acks.append(args)
            if len(acks) == count:
                done.set()

        for i in range(count):
            sender.sio.emit("sendMessage", f"m{i}", callback=on_ack)
        assert done.wait(20), f"only {len(acks)} acks"
        assert all(error is None for error, _ in acks)
        reader.wait_for(
            lambda e, d: e == "message" and d.get("text") == f"m{count - 1}"
        )
        got = [d for e, d in reader.events if e == "message" and not d.get("system")]
        assert [d["text"] for d in got] == [f"m{i}" for i in range(count)]
        ids = [d["id"] for d in got]
        assert ids == sorted(ids) and len(set(ids)) == count
    finally:
        for person in (sender, reader):
            person.sio.disconnect()


def test_joining_while_others_talk_misses_nothing(server: LiveServer) -> None:
    """Each newcomer has every message from its join on: in the join ack's
    history or live, never in neither (the join must not race a send)."""
    talker = Person(server.url)
    joiners: list[tuple[set[int], Person]] = []
    sent: list[int] = []
    try:
        talker.sio.call("join", {"username": "Talker", "room": "Busy"})
        stop = threading.Event()

        def talk() -> None:
            for i in range(400):
                if stop.is_set():
                    return
                error, data = talker.sio.call(
                    "sendMessage", f"n{i}n"
                )  # "t17": leet "tit"
                assert error is None
                sent.append(data["id"])

        thread = threading.Thread(target=talk)
        thread.start()
        for n in range(12):
            person = Person(server.url)
            error, data = person.sio.call("join", {"username": f"J{n}", "room": "Busy"})
            assert error is None
            joiners.append(({m["id"] for m in data["messages"] if "id" in m}, person))
        stop.set()
        thread.join(30)
        time.sleep(0.5)  # the last live messages arrive
        for history, person in joiners:
            live = {d["id"] for e, d in person.events if e == "message" and "id" in d}
            seen = history | live
            first = min(i for i in sent if i in seen)
            missing = [i for i in sent if i >= first and i not in seen]
            assert missing == [], f"{person.sio.sid} missed {missing}"
    finally:
        for person in [talker] + [p for _, p in joiners]:
            person.sio.disconnect()


def websocket_handshake(url: str, offer: str) -> str:
    """Open a raw websocket handshake offering `offer`; return the response head."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Extensions: {offer}\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
    return head.decode("latin-1").split("\r\n\r\n")[0]


def test_websockets_are_not_compressed(server):
    head = websocket_handshake(server.url, "permessage-deflate; client_max_window_bits")
    assert head.startswith("HTTP/1.1 101")
    assert "sec-websocket-extensions" not in head.lower()


def test_websocket_compression_can_be_switched_on(tmp_path):
    with live_server(tmp_path, BAITHAK_WEBSOCKET_DEFLATE="1") as running:
        head = websocket_handshake(running.url, "permessage-deflate")
    assert "sec-websocket-extensions: permessage-deflate" in head.lower()
