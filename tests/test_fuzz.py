"""Hostile input, fuzzed with hypothesis: random and malformed payloads for every
Socket.IO event, through Flask-SocketIO's test client.

For every example, whatever the payload:

* the event is acked, as (None, <dict>) or (<non-empty str>, {"code": <str>});
* the code is never "internal" (an internal error is a bug);
* a refused event leaves no trace: no message or room stored, nothing broadcast;
* the server keeps serving: the same connection, and a fresh one, can still
  join and send an ordinary message, and it is delivered.

An accepted message is stored once and delivered once, as sent but for the
control characters check_text removes. test_fuzz_sequences runs short random
runs of events (and real disconnects) from three connections in two rooms,
with the same checks at each step, and then everyone can still hear everyone.

Each example runs on an app and database of its own (`fresh_server`), so one
example never depends on another and a failure replays by itself.
Hypothesis is derandomized (the same examples every run, for CI) and keeps no
example database; a failure prints the falsifying example and a
`@reproduce_failure` blob. BAITHAK_FUZZ_SCALE=20 (say) runs twenty times as
many examples, for a longer hunt by hand.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_socketio.test_client import SocketIOTestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from baithak.extensions import db, socketio
from baithak.models import Message, Room

from .conftest import ChatSocket, new_app

FUZZ = settings(
    deadline=None,  # each example builds an app: tens of ms, more on a busy CI
    derandomize=True,
    database=None,
    print_blob=True,
    # Building an app per example is slow for hypothesis's taste, knowingly.
    suppress_health_check=[HealthCheck.too_slow],
)

SCALE = int(os.environ.get("BAITHAK_FUZZ_SCALE", "1"))
# What services.messages.check_text does to control characters.
LINE_END = re.compile("\r\n?")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
KNOWN_EVENTS = ("join", "sendMessage", "sendLocation", "loadHistory")

# Pieces of text that have broken chat apps: unpaired and reversed surrogates,
# control characters and line ends, bidi controls, invisible characters,
# combining marks, other scripts, emoji sequences, compatibility forms,
# look-alikes, reserved and profane words, markup and format strings.
AWKWARD = (
    "\ud800",
    "\udfff",
    "\udc00\ud800",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\x9f",
    "\r",
    "\n",
    "\r\n",
    "\t",
    "\x0b\x0c",
    "\u202e",
    "\u2066",
    "\u200f",
    "\u061c",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u034f",
    "\ufe0f",
    "\U000e0100",
    "\u3164",
    "\u2800",
    "\u0301",
    "\u0308" * 30,
    " ",
    "\u00a0",
    "\u3000",
    "\u2028",
    "שלום",
    "مرحبا",
    "नमस्ते",
    "山田",
    "たろう",
    "한국",
    "Ωμέγα",
    "Анна",
    "\u0410",  # Cyrillic A
    "👋",
    "👨\u200d👩\u200d👧",
    "🏳\ufe0f\u200d🌈",
    "🇮🇳",
    "👍🏽",
    "\uff21\uff44\uff4d\uff49\uff4e",
    "Admin",
    "system",
    "ﷺ",
    "\ufdfa",
    "ǅ",
    "ß",
    "İ",
    "fuck",
    "<script>alert(1)</script>",
    "%s%n{0}",
    "'; DROP TABLE messages; --",
    '\\"',
    "\U0010ffff",
    "\uffff",
    "\U000f0000",
    "\u0378",
)

# Plausible names and words, for the examples that should get through.
PLAIN = (
    "Asha",
    "Ravi Kumar",
    "José",
    "Zoë",
    "Анна",
    "Ασπασία",
    "अनन्या",
    "山田 Taro",
    "محمد",
    "Physics",
    "room 42",
    "hello",
    "_",
    "-",
    "7",
)

any_char = st.characters(exclude_categories=())  # every code point, surrogates too
well_formed = st.characters(exclude_categories=("Cs",))
texts = st.one_of(
    st.text(any_char, max_size=40),
    st.text(well_formed, min_size=1, max_size=40),
    st.lists(st.sampled_from(PLAIN + AWKWARD), min_size=1, max_size=5).map("".join),
    st.lists(st.sampled_from(AWKWARD) | st.text(any_char, max_size=4), max_size=12).map(
        "".join
    ),
    # Long ones, around the limits (names 32, rooms 48, messages 2000) and beyond.
    st.builds(
        lambda piece, n: (piece * n)[:n],
        st.sampled_from(("x", "ﷺ", "👍🏽", "\u0301", " ", "a\u200d", "\ud800", "Я"))
        | st.text(any_char, min_size=1, max_size=3),
        st.sampled_from((31, 32, 33, 47, 48, 49, 1999, 2000, 2001, 10_000))
        | st.integers(1, 2500),
    ),
)
integers = st.integers() | st.sampled_from(
    (
        0,
        -1,
        1,
        2**31,
        2**63 - 1,
        2**63,
        2**64,
        -(2**63) - 1,
        10**100,
        -(10**101),
        10**101,
        2**1000,
        -(2**4000),
    )
)
floats = st.floats() | st.sampled_from(
    (math.nan, math.inf, -math.inf, -0.0, 1e308, -1e308, 5e-324, 90.0000001)
)
leaves = st.one_of(
    st.none(), st.booleans(), integers, floats, texts, st.binary(max_size=8)
)
keys = st.sampled_from(
    (
        "username",
        "room",
        "text",
        "clientId",
        "latitude",
        "longitude",
        "before",
        "after",
        "id",
        "__proto__",
        "",
    )
) | st.text(any_char, max_size=10)
# Recursive JSON-like values (and binary attachments, which Socket.IO carries).
values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=12,
)


def with_extras(**required: st.SearchStrategy[Any]) -> st.SearchStrategy[dict]:
    """Dicts with the right keys (values as given) and maybe a few more."""
    optional = {"extra": values, "clientId": values, "room": values}
    return st.fixed_dictionaries(
        required, optional={k: v for k, v in optional.items() if k not in required}
    )


def calls(payloads: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple]:
    """An event's positional arguments: none at all, or a payload and maybe
    extra arguments after it."""
    return st.just(()) | st.builds(
        lambda first, extra: (first, *extra), payloads, st.lists(values, max_size=3)
    )


# Most examples run after a join, where the events do something.
joined = st.sampled_from((True, True, True, False))
names = st.one_of(
    texts,
    st.sampled_from(PLAIN + AWKWARD),
    # A plausible name with something awkward around it.
    st.tuples(
        st.sampled_from(AWKWARD), st.sampled_from(PLAIN), st.sampled_from(AWKWARD)
    ).map("".join),
)
join_payloads = st.one_of(
    values,
    with_extras(username=names, room=names),
    with_extras(username=values, room=values),
    # One field plausible, the other fuzzed: more joins get as far as it.
    with_extras(username=st.sampled_from(PLAIN), room=names),
    with_extras(username=names, room=st.sampled_from(PLAIN)),
)
message_payloads = st.one_of(
    texts,
    values,
    # The object form sendMessage is about to accept: {text, clientId}.
    st.fixed_dictionaries({"text": texts, "clientId": texts | values}),
    st.fixed_dictionaries({"text": values, "clientId": values}),
    with_extras(text=texts),
)
numbers = integers | floats
location_payloads = st.one_of(
    values,
    with_extras(latitude=numbers | values, longitude=numbers | values),
    st.fixed_dictionaries(
        {
            "latitude": st.floats(-90, 90) | st.integers(-90, 90) | numbers,
            "longitude": st.floats(-180, 180) | st.integers(-180, 180) | numbers,
        }
    ),
)
history_payloads = st.one_of(
    values,
    st.dictionaries(st.sampled_from(("before", "after")) | keys, numbers | values),
    st.fixed_dictionaries({"before": integers | st.integers(-2, 10)}),
    st.fixed_dictionaries({"after": integers | st.integers(-2, 10)}),
)
unknown_events = st.one_of(
    texts.filter(lambda name: name not in KNOWN_EVENTS),
    st.sampled_from(
        (
            "connect",
            "disconnect",
            "message",
            "Join",
            "JOIN",
            "join ",
            "send_message",
            "sendmessage",
            "*",
            "",
            "__proto__",
            "constructor",
            "roomData",
        )
    ),
)


class Server:
    """One app on its own database, and the sockets opened on it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.sockets: list[ChatSocket] = []

    def connect(self) -> ChatSocket:
        """Open a guest socket."""
        sio = socketio.test_client(self.app, flask_test_client=self.app.test_client())
        assert sio.is_connected()
        self.sockets.append(ChatSocket(sio))
        return self.sockets[-1]

    def counts(self) -> tuple[int, int]:
        """Return (messages stored, rooms stored)."""
        with self.app.app_context():
            count = sa.select(sa.func.count())
            return (
                db.session.scalar(count.select_from(Message)),
                db.session.scalar(count.select_from(Room)),
            )


@contextlib.contextmanager
def fresh_server() -> Iterator[Server]:
    """Yield a Server on a new database of its own, closing it afterwards."""
    with tempfile.TemporaryDirectory() as tmp, new_app(Path(tmp)) as app:
        server = Server(app)
        try:
            yield server
        finally:
            for sock in server.sockets:
                if sock.sio.is_connected():
                    sock.disconnect()
                # The test client class keeps every client (and so its app)
                # for good; hundreds of apps would add up.
                SocketIOTestClient.clients.pop(sock.sio.eio_sid, None)


def assert_ack_shape(ack: Any) -> tuple[Any, dict]:
    """Assert the ack is (None, dict) or (non-empty str, {"code": str})."""
    assert isinstance(ack, list), f"no (error, data) ack: {ack!r}"
    assert len(ack) == 2, ack
    error, data = ack
    assert isinstance(data, dict), ack
    if error is not None:
        assert isinstance(error, str) and error, ack
        assert list(data) == ["code"] and isinstance(data["code"], str), ack
        assert data["code"] != "internal", f"internal error: {ack!r}"
    return error, data


def assert_still_serving(server: Server, sock: ChatSocket, witness: ChatSocket) -> None:
    """The fuzzed connection and a fresh one can join and send; it arrives."""
    for probe, name in ((sock, "Probe"), (server.connect(), "Newcomer")):
        assert probe.sio.is_connected()
        probe.join(name, "Global")
        witness.received()
        error, data = probe.emit("sendMessage", f"ping from {name}")
        assert error is None, error
        (delivered,) = witness.received("message")
        assert (delivered["id"], delivered["text"]) == (data["id"], f"ping from {name}")


def fuzz_one(name: Any, args: tuple, joined: bool) -> tuple[Any, dict, list]:
    """Send one event on a fresh server (after joining Global as "Fuzzer" if
    `joined`) and check what every event must do. Return the error, the ack
    data and what a witness in Global received because of it."""
    with fresh_server() as server:
        witness = server.connect()
        witness.join("Witness")
        sock = server.connect()
        if joined:
            sock.join("Fuzzer")
        witness.received()
        before = server.counts()

        error, data = assert_ack_shape(sock.sio.emit(name, *args, callback=True))
        event(data.get("code", "ok"))  # --hypothesis-show-statistics counts them
        seen = witness.received()
        if error is not None:
            assert server.counts() == before, "a refused event stored something"
            assert seen == [], "a refused event was broadcast"
        after = server.counts()
        assert_still_serving(server, sock, witness)
        return error, data, [before, after, seen]


@settings(FUZZ, max_examples=70 * SCALE)
@given(args=calls(join_payloads), joined=joined)
def test_fuzz_join(args, joined):
    error, data, (before, after, _) = fuzz_one("join", args, joined)
    if error is None:
        assert set(data) == {
            "room", "roomId", "kind", "role", "can", "joinCode", "username",
            "messages", "hasMore",
        }  # fmt: skip
        assert after[1] - before[1] in (0, 1)  # at most the room it created


@settings(FUZZ, max_examples=90 * SCALE)
@given(args=calls(message_payloads), joined=joined)
def test_fuzz_send_message(args, joined):
    error, data, (before, after, seen) = fuzz_one("sendMessage", args, joined)
    if error is None:
        # Stored once, delivered once, as sent but for control characters.
        assert after[0] == before[0] + 1
        ((name, message),) = seen
        assert name == "message" and message["id"] == data["id"]
        sent = args[0]["text"] if isinstance(args[0], dict) else args[0]
        assert message["text"] == CONTROL.sub("", LINE_END.sub("\n", sent))


@settings(FUZZ, max_examples=60 * SCALE)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(("disconnect",)), st.just(()))
        | st.tuples(st.integers(0, 2), st.just("join"), calls(join_payloads))
        | st.tuples(st.integers(0, 2), st.just("sendMessage"), calls(message_payloads))
        | st.tuples(st.integers(0, 2), st.just("loadHistory"), calls(history_payloads))
        | st.tuples(
            st.integers(0, 2), st.just("sendLocation"), calls(location_payloads)
        )
        | st.tuples(st.integers(0, 2), unknown_events, calls(values)),
        max_size=8,
    )
)
def test_fuzz_sequences(steps):
    # Three connections, each joined to Global or a Physics room, then a
    # random run of events (and real disconnects, replaced by new connections).
    with fresh_server() as server:
        socks = [server.connect() for _ in range(3)]
        for sock, (name, room) in zip(
            socks, (("Ana", "Global"), ("Bo", "Global"), ("Cy", "Physics")), strict=True
        ):
            sock.join(name, room)
        for who, name, args in steps:
            for sock in socks:
                sock.received()
            before = server.counts()
            if name == "disconnect" and not args:
                socks[who].disconnect()
                socks[who] = server.connect()
                continue
            error, data = assert_ack_shape(
                socks[who].sio.emit(name, *args, callback=True)
            )
            if error is not None:
                assert server.counts() == before, "a refused event stored something"
                assert all(sock.received() == [] for sock in socks), "and said so"
        # Everyone can still join Global and hear each other.
        for i, sock in enumerate(socks):
            sock.join(f"Probe {i}", "Global")
        for sock in socks:
            sock.received()
        error, data = socks[0].emit("sendMessage", "all here?")
        assert error is None
        for sock in socks:
            assert [m["id"] for m in sock.received("message")] == [data["id"]]


@settings(FUZZ, max_examples=40 * SCALE)
@given(args=calls(location_payloads), joined=joined)
def test_fuzz_send_location(args, joined):
    error, data, (before, after, seen) = fuzz_one("sendLocation", args, joined)
    if error is None:
        assert after[0] == before[0] + 1
        ((name, location),) = seen
        assert name == "locationMessage" and location["url"] == data["url"]
        assert math.isfinite(location["latitude"]) and -90 <= location["latitude"] <= 90
        assert -180 <= location["longitude"] <= 180


@settings(FUZZ, max_examples=40 * SCALE)
@given(args=calls(history_payloads), joined=joined)
def test_fuzz_load_history(args, joined):
    error, data, (before, after, seen) = fuzz_one("loadHistory", args, joined)
    assert after == before and seen == []  # reading changes nothing
    if error is None:
        assert set(data) == {"messages", "hasMore"}


@settings(FUZZ, max_examples=30 * SCALE)
@given(event=unknown_events, args=calls(values), joined=joined)
def test_fuzz_unknown_events(event, args, joined):
    error, data, _ = fuzz_one(event, args, joined)
    assert (error, data) == ("Unknown event.", {"code": "unknown_event"})
