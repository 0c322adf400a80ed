"""Hostile and unusual input, one case at a time: what the fuzzer
(tests/test_fuzz.py) found, control characters in messages, and text that must
come back exactly as sent."""

import pytest
import sqlalchemy as sa

from baithak import socketjson
from baithak.extensions import db, socketio
from baithak.models import Message
from baithak.services import messages as msgs

HUGE = 10**100  # 101 digits: engine.io's own JSON refuses to read it


def sid_of(sock) -> str:
    """Return the Socket.IO sid of a test client's connection."""
    return socketio.server.manager.sid_from_eio_sid(sock.sio.eio_sid, "/")


def stored(app) -> list[Message]:
    with app.app_context():
        return list(db.session.execute(sa.select(Message)).scalars())


# Found by the fuzzer: an integer of more than 100 digits made engine.io's
# JSON raise while decoding the packet, so the event was dropped unacked.


@pytest.mark.parametrize(
    ("event", "payload", "ack"),
    [
        ("join", {"username": HUGE, "room": "Global"}, "required"),
        ("sendMessage", -HUGE, "invalid_payload"),
        ("sendLocation", {"latitude": HUGE, "longitude": 0}, "invalid_location"),
        ("sendLocation", {"latitude": 0, "longitude": -(2**4000)}, "invalid_location"),
        ("loadHistory", {"before": HUGE}, "invalid_payload"),
        ("loadHistory", {"after": 7**1000}, "invalid_payload"),
        ("frobnicate", HUGE, "unknown_event"),
    ],
)
def test_an_integer_of_more_than_100_digits_is_refused_with_an_ack(
    connect, event, payload, ack
):
    sock = connect()
    sock.join("Asha")
    error, data = sock.emit(event, payload)
    assert isinstance(error, str) and data == {"code": ack}
    assert sock.emit("sendMessage", "still here")[0] is None


def test_integers_of_up_to_100_digits_stay_integers():
    assert socketjson.loads(str(10**99)) == 10**99
    assert socketjson.loads(str(-(10**98))) == -(10**98)
    assert socketjson.loads(str(HUGE)) == float(HUGE)
    assert socketjson.loads("9" * 5000) == float("inf")
    assert socketjson.loads("-" + "9" * 5000) == float("-inf")


def test_a_99_digit_history_anchor_still_means_the_newest_page(connect):
    sock = connect()
    sock.join("Asha")
    sock.emit("sendMessage", "newest")
    error, data = sock.emit("loadHistory", {"before": 10**98})
    assert error is None
    assert [m["text"] for m in data["messages"]] == ["Asha has joined!", "newest"]


# Control characters in message text.


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("line one\r\nline two", "line one\nline two"),
        ("old\rMac", "old\nMac"),
        ("a\r\n\r\nb", "a\n\nb"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("nul\x00byte", "nulbyte"),
        ("\x1b[31mred\x1b[0m", "[31mred[0m"),
        ("bell\x07", "bell"),
        ("del\x7f c1\x85\x9f", "del c1"),
        ("vt\x0bff\x0c", "vtff"),
        ("\x1c\x1d\x1e\x1fseparators", "separators"),
        ("  keeps spaces  ", "  keeps spaces  "),
        ("x" * 2000 + "\x00", "x" * 2000),  # the limit counts what is kept
    ],
)
def test_control_characters_are_stripped_from_messages(app, connect, sent, kept):
    asha, bela = connect(), connect()
    asha.join("Asha")
    bela.join("Bela")
    error, data = asha.emit("sendMessage", sent)
    assert error is None
    (message,) = bela.received("message")
    assert message["text"] == kept
    history = connect().join("Chen")["messages"]
    assert history[-2]["text"] == kept  # before Chen's own notice
    assert {m.id: m.text for m in stored(app)}[data["id"]] == kept


@pytest.mark.parametrize(
    "sent", ["\x00", "\x00\x07\x1b", "\r\n", "\r", " \x0b\x0c ", "\t\x00\n"]
)
def test_a_message_of_control_characters_and_whitespace_is_empty(app, connect, sent):
    sock = connect()
    sock.join("Asha")
    before = len(stored(app))
    assert sock.emit("sendMessage", sent) == ("Message is empty.", {"code": "empty"})
    assert len(stored(app)) == before


# Faithful round trips: what is sent comes back identical, live and in history.

FAITHFUL_TEXTS = [
    pytest.param("नमस्ते 👋", id="Devanagari + emoji"),
    pytest.param(
        "👩🏽\u200d💻 and 👨\u200d👩\u200d👧\u200d👦", id="ZWJ emoji sequences"
    ),
    pytest.param("🏳\ufe0f\u200d🌈 🇮🇳 ❤\ufe0f", id="flags and variation selectors"),
    pytest.param("שלום עולם", id="Hebrew"),
    pytest.param("مرحبا بالعالم", id="Arabic"),
    pytest.param("he said \u2067مرحبا\u2069 to me", id="bidi isolates"),
    pytest.param("\u200fשלום\u200e hi", id="right-to-left and left-to-right marks"),
    pytest.param("می\u200cخواهم", id="Persian zero-width non-joiner"),
    pytest.param("क्\u200dष", id="Devanagari zero-width joiner"),
    pytest.param("e\u0301 vs \u00e9, Zoe\u0308", id="combining vs precomposed"),
    pytest.param("Z\u0351\u036b\u0343a\u0310l\u0352g\u0344o\u0309", id="stacked marks"),
    pytest.param("한국어 日本語 ภาษาไทย ქართული", id="other scripts"),
    pytest.param(
        "\U0001f9d1\U0001f3ff\u200d\U0001f91d\u200d\U0001f9d1\U0001f3fb",
        id="skin tones",
    ),
    pytest.param("ﷺ ﬁ ㎏ Ａｓｈａ", id="compatibility characters kept unnormalised"),
    pytest.param("two\nlines\tand a tab", id="newline and tab"),
]


@pytest.mark.parametrize("text", FAITHFUL_TEXTS)
def test_messages_come_back_exactly_as_sent(connect, text):
    asha, bela = connect(), connect()
    asha.join("Asha")
    bela.join("Bela")
    asha.received()
    error, data = asha.emit("sendMessage", text)
    assert error is None
    for sock in (asha, bela):
        (message,) = sock.received("message")
        assert message["text"] == text
    history = connect().join("Chen")["messages"]
    assert [(m["id"], m["text"]) for m in history][-2] == (data["id"], text)
    error, page = bela.emit("loadHistory", {"after": data["id"] - 1})
    assert page["messages"][0]["text"] == text


FAITHFUL_NAMES = [
    pytest.param("محمد", id="Arabic"),
    pytest.param("שרה לוי", id="Hebrew"),
    pytest.param("अनन्या", id="Devanagari with marks"),
    pytest.param("क्\u200dष", id="Devanagari zero-width joiner"),
    pytest.param("می\u200cنا", id="Persian zero-width non-joiner"),
    pytest.param("Zoe\u0308", id="combining diaeresis"),
    pytest.param("Zoë", id="precomposed"),
    pytest.param("👩\u200d💻 Asha", id="ZWJ emoji"),
    pytest.param("Asha 🇮🇳", id="flag"),
    pytest.param("山田 Taro", id="Han + Latin"),
]


@pytest.mark.parametrize("name", FAITHFUL_NAMES)
def test_names_come_back_exactly_as_given(connect, name):
    watcher = connect()
    watcher.join("Watcher")
    sock = connect()
    error, data = sock.emit("join", {"username": name, "room": "Global"})
    assert error is None and data["username"] == name
    announce, room_data = watcher.received()
    assert announce[1]["text"] == f"{name} has joined!"
    assert room_data[1]["users"][-1]["username"] == name
    sock.emit("sendMessage", "hello")
    (message,) = watcher.received("message")
    assert message["username"] == name
    history = connect().join("Chen")["messages"]
    assert [m["username"] for m in history if m["kind"] == "text"] == [name]
    assert f"{name} has joined!" in [m["text"] for m in history]


@pytest.mark.parametrize("room", ["غرفة", "חדר", "कक्षा ७", "Zoë's 🏠"])
def test_room_names_come_back_exactly_as_given(connect, room):
    sock = connect()
    assert sock.join("Asha", room)["room"] == room
    assert connect().join("Bela", room)["room"] == room


# Found by the fuzzer: an event named "*" (the catch-all handler's own name)
# got no ack, or ("", 400).


@pytest.mark.parametrize("args", [(), (None,), ([],), ({"a": 1}, 2), ("x",)])
def test_an_event_named_star_is_unknown(connect, args):
    sock = connect()
    sock.join("Asha")
    assert sock.emit("*", *args) == ("Unknown event.", {"code": "unknown_event"})
    assert sock.emit("sendMessage", "still here")[0] is None


def test_an_event_named_star_cannot_borrow_another_connection(connect, caplog):
    asha, bela = connect(), connect()
    asha.join("Asha")
    bela.join("Bela")
    asha_sid, bela_sid = (sid_of(sock) for sock in (asha, bela))
    caplog.set_level("INFO", logger="baithak")
    # Flask-SocketIO used to take the first argument for the sender's sid.
    assert bela.emit("*", asha_sid) == ("Unknown event.", {"code": "unknown_event"})
    (record,) = [r for r in caplog.records if "unknown event" in r.getMessage()]
    assert bela_sid in record.getMessage()
    assert asha_sid not in record.getMessage()


# Found by the fuzzer (test_fuzz_sequences): joining the room one is in under
# another name took the connection out of the Socket.IO room, so it received
# nothing more while it was still listed there.


def test_a_new_name_in_the_same_room_still_receives(connect):
    asha, bela = connect(), connect()
    asha.join("Asha")
    bela.join("Bela")
    asha.received()
    assert asha.emit("join", {"username": "Asha R", "room": "Global"})[0] is None
    assert bela.texts() == ["Asha has left!", "Asha R has joined!"]
    assert asha.texts() == ["Welcome to Global!"]  # not its own notices
    bela.emit("sendMessage", "can you hear me?")
    assert asha.texts() == bela.texts() == ["can you hear me?"]
    asha.emit("sendMessage", "yes")
    assert bela.texts() == ["yes"]


def test_a_failed_rename_in_the_same_room_still_receives(connect, monkeypatch):
    asha, bela = connect(), connect()
    asha.join("Asha")
    bela.join("Bela")
    asha.received()

    def boom(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(msgs, "add_system", boom)
    ack = asha.emit("join", {"username": "Asha R", "room": "Global"})
    assert ack[1] == {"code": "internal"}
    monkeypatch.undo()
    bela.emit("sendMessage", "still there?")
    assert asha.texts() == ["still there?"]
