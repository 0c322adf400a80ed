"""Every Socket.IO event of PROTOCOL.md: what is acked and what each client receives."""

import time

import pytest

from baithak.services import chat, writer
from baithak.services import messages as msgs

REQUIRED = "Username and room are required!"
IN_USE = "Username is in use!"
NOT_JOINED = "Join a room first."
BAD_LOCATION = (
    "Location must be {latitude, longitude} in degrees "
    "(latitude -90..90, longitude -180..180)."
)
BAD_BEFORE = "History needs {before: <message id>} or {after: <message id>}."
INTERNAL = "Something went wrong; please try again."


def users(room_data: dict) -> list[str]:
    """Return the names in a roomData payload."""
    return [user["username"] for user in room_data["users"]]


def joined(connect, *names: str, room: str = "Global") -> list:
    """Open a guest socket per name, join them to `room` in order, and forget
    everything they received so far."""
    sockets = [connect() for _ in names]
    for sock, name in zip(sockets, names, strict=True):
        sock.join(name, room)
    for sock in sockets:
        sock.received()
    return sockets


# join


def test_join_welcomes_joiner_and_announces_to_others(connect):
    asha, bela = connect(), connect()
    asha.join("Asha")

    ack = bela.emit("join", {"username": "Bela", "room": "Global"})
    assert ack[0] is None
    assert ack[1]["room"] == "Global"
    assert ack[1]["username"] == "Bela"

    (welcome, room_data) = bela.received()
    assert welcome[0] == "message"
    assert welcome[1]["username"] == "Admin"
    assert welcome[1]["text"] == "Welcome to Global!"
    assert welcome[1]["system"] is True
    assert room_data == (
        "roomData",
        {
            "room": "Global",
            "roomId": 1,
            "kind": "public",
            "users": [
                {"username": "Asha", "guest": True, "role": None, "status": "online"},
                {"username": "Bela", "guest": True, "role": None, "status": "online"},
            ],
        },
    )

    (announce, others_data) = asha.received()
    assert announce[0] == "message"
    assert announce[1]["text"] == "Bela has joined!"
    assert announce[1]["username"] == "Admin"
    assert announce[1]["system"] is True
    assert others_data == room_data


def test_join_trims_and_folds_names_and_rooms(connect):
    asha, bela = connect(), connect()
    first = asha.join("  Asha  ", "  physics ")
    assert (first["username"], first["room"]) == ("Asha", "physics")

    second = bela.join("Bela", "PHYSICS")
    assert second["room"] == "physics"
    assert second["roomId"] == first["roomId"]
    assert asha.texts() == ["Bela has joined!"]


@pytest.mark.parametrize("taken", ["Asha", "asha", "  ASHA ", "\uff21sha"])
def test_join_name_in_use(connect, taken):
    asha, other = connect(), connect()
    asha.join("Asha")
    assert other.emit("join", {"username": taken, "room": "global"}) == (
        IN_USE,
        {"code": "name_in_use"},
    )
    assert asha.received() == []
    # The same name is free in another room.
    assert other.join(taken, "Physics")["username"] == taken.strip()


@pytest.mark.parametrize(
    "payload",
    [
        {"room": "Global"},
        {"username": "Asha"},
        {},
        {"username": "", "room": "Global"},
        {"username": "Asha", "room": ""},
        {"username": "   ", "room": "Global"},
        {"username": "Asha", "room": " \t "},
        {"username": "\n", "room": "Global"},
        {"username": None, "room": "Global"},
        {"username": 42, "room": "Global"},
        {"username": "Asha", "room": 42},
        {"username": ["Asha"], "room": "Global"},
        {"username": "Asha", "room": {"name": "Global"}},
        {"username": True, "room": "Global"},
    ],
)
def test_join_requires_name_and_room(connect, payload):
    sock = connect()
    assert sock.emit("join", payload) == (REQUIRED, {"code": "required"})
    assert sock.received() == []
    assert sock.emit("sendMessage", "hi")[0] == NOT_JOINED


@pytest.mark.parametrize("payload", [None, "Global", 42, ["Asha", "Global"]])
def test_join_needs_an_object(connect, payload):
    sock = connect()
    args = () if payload is None else (payload,)
    assert sock.emit("join", *args) == (
        "Join needs {username, room}.",
        {"code": "invalid_payload"},
    )


@pytest.mark.parametrize(
    ("username", "room", "error"),
    [
        ("A" * 33, "Global", "Name is too long (max 32 characters)."),
        ("Asha", "R" * 49, "Room name is too long (max 48 characters)."),
        ("Admin", "Global", "That name is reserved."),
        (" admin ", "Global", "That name is reserved."),
        ("SYSTEM", "Global", "That name is reserved."),
        ("Baithak", "Global", "That name is reserved."),
    ],
)
def test_join_refuses_bad_names(connect, username, room, error):
    sock = connect()
    assert sock.emit("join", {"username": username, "room": room})[0] == error
    assert sock.received() == []


@pytest.mark.parametrize(("username", "room"), [("A" * 32, "Global"), ("A", "R" * 48)])
def test_join_accepts_names_at_the_limit(connect, username, room):
    assert connect().join(username, room)["room"] == room


@pytest.mark.parametrize("name", ["alice", "ALICE", "Alice Smith", " alice smith "])
def test_guest_cannot_take_an_account_name(connect, user_client, name):
    user_client("alice", "Alice Smith")
    assert connect().emit("join", {"username": name, "room": "Global"}) == (
        "That name belongs to a registered user; pick another or log in.",
        {"code": "name_registered"},
    )


@pytest.mark.parametrize("username", ["Mallory", "", None, "Admin"])
def test_account_name_comes_from_the_account(connect, user_client, username):
    alice = connect(user_client("alice", "Alice Smith"))
    other = connect()
    other.join("Bela")

    assert alice.join(username)["username"] == "Alice Smith"
    assert other.texts() == ["Alice Smith has joined!"]
    alice.emit("sendMessage", "hello")
    (message,) = other.received("message")
    assert message["username"] == "Alice Smith"


def test_room_data_marks_guests(connect, user_client):
    connect(user_client("alice", "Alice")).join(None)
    guest = connect()
    guest.emit("join", {"username": "Bela", "room": "Global"})
    (room_data,) = guest.received("roomData")
    assert room_data["users"] == [
        {"username": "Alice", "guest": False, "role": "member", "status": "online",
         "statusText": None, "statusEmoji": None},
        {"username": "Bela", "guest": True, "role": None, "status": "online"},
    ]  # fmt: skip


def test_account_in_two_tabs_is_one_person(connect, user_client):
    alice_http = user_client("alice", "Alice")
    (watcher,) = joined(connect, "Bela")
    tab1, tab2 = connect(alice_http), connect(alice_http)

    tab1.join(None)
    assert watcher.texts() == ["Alice has joined!"]
    assert tab2.emit("join", {"room": "Global"})[0] is None
    ((event, room_data),) = watcher.received()  # roomData, and no second "joined"
    assert event == "roomData"
    assert users(room_data) == ["Bela", "Alice"]

    tab2.received()
    tab1.emit("sendMessage", "from tab 1")
    assert tab2.texts() == ["from tab 1"]
    assert watcher.texts() == ["from tab 1"]

    tab1.disconnect()
    ((event, room_data),) = watcher.received()  # roomData, and no "has left"
    assert users(room_data) == ["Bela", "Alice"]
    tab2.disconnect()
    assert watcher.texts() == ["Alice has left!"]


def test_an_account_takes_its_name_back_from_a_guest(connect, user_client):
    # A guest who picked the name before the account was registered must go
    # when the account comes: the name is the account's now.
    (squatter,) = joined(connect, "Alice")
    alice = connect(user_client("alice", "Alice"))
    assert alice.emit("join", {"room": "Global"})[0] is None
    (removed,) = squatter.received("removed")
    assert removed["reason"] == "name_taken"
    assert squatter.emit("sendMessage", "still me?")[1]["code"] == "not_joined"


def test_switching_rooms_leaves_the_old_room(connect):
    asha, bela = joined(connect, "Asha", "Bela")
    (chen,) = joined(connect, "Chen", room="Physics")

    assert asha.join("Asha", "Physics")["room"] == "Physics"
    (left, room_data) = bela.received()
    assert left[1]["text"] == "Asha has left!"
    assert room_data[0] == "roomData"
    assert users(room_data[1]) == ["Bela"]
    assert chen.texts() == ["Asha has joined!"]

    asha.emit("sendMessage", "physics only")
    assert chen.texts() == ["physics only"]
    assert bela.received() == []


def test_rejoining_the_same_room_changes_nothing(connect):
    asha, bela = joined(connect, "Asha", "Bela")
    error, data = asha.emit("join", {"username": "Asha", "room": "global"})
    assert error is None
    assert data["username"] == "Asha"
    assert asha.received() == []
    assert bela.received() == []


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "Bela", "room": "Physics"},  # name in use there
        {"username": "", "room": "Physics"},
        {"username": "Admin", "room": "Physics"},
        {"username": "Asha", "room": "R" * 49},
        "Physics",
    ],
)
def test_failed_join_keeps_the_current_room(connect, payload):
    asha, chen = joined(connect, "Asha", "Chen")
    (bela,) = joined(connect, "Bela", room="Physics")

    assert asha.emit("join", payload)[0] is not None
    assert chen.received() == []
    asha.emit("sendMessage", "still here")
    assert chen.texts() == ["still here"]
    assert bela.received() == []


# sendMessage


def test_send_message_reaches_the_room_and_the_sender(connect):
    asha, bela = joined(connect, "Asha", "Bela")
    (elsewhere,) = joined(connect, "Chen", room="Physics")

    start = time.time_ns() // 1_000_000
    error, data = asha.emit("sendMessage", "Hello, class!")
    end = time.time_ns() // 1_000_000
    assert error is None

    for sock in (asha, bela):
        (message,) = sock.received("message")
        assert message["id"] == data["id"]
        assert message["username"] == "Asha"
        assert message["text"] == "Hello, class!"
        assert isinstance(message["createdAt"], int)
        assert start <= message["createdAt"] <= end
        assert "system" not in message
    assert elsewhere.received() == []


def test_send_message_before_join(connect):
    assert connect().emit("sendMessage", "hi") == (NOT_JOINED, {"code": "not_joined"})


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (None, "Message must be a string of text."),
        (42, "Message must be a string of text."),
        (True, "Message must be a string of text."),
        (["hi"], "Message must be a string of text."),
        ({"text": 5, "clientId": "abcdefgh"}, "Message must be a string of text."),
        ({"clientId": "abcdefgh"}, "Message must be a string of text."),
        (
            {"text": "hi", "clientId": "short"},
            "clientId must be 8-64 letters, digits, '-' or '_'.",
        ),
        (
            {"text": "hi", "clientId": "<script>alert(1)</script>"},
            "clientId must be 8-64 letters, digits, '-' or '_'.",
        ),
        ("", "Message is empty."),
        ("   ", "Message is empty."),
        ("\n\t", "Message is empty."),
        ("x" * 2001, "Message is too long (max 2000 characters)."),
        ("what the fuck", "Profanity is not allowed!"),
        ("SHIT happens", "Profanity is not allowed!"),
        ("sh1t happens", "Profanity is not allowed!"),
        ("hi \ud800 there", "Message contains invalid characters."),
        ("\uff46\uff55\uff43\uff4b", "Profanity is not allowed!"),
        ("f\u200bu\u200bc\u200bk", "Profanity is not allowed!"),
    ],
)
def test_send_message_refused(connect, text, error):
    asha, bela = joined(connect, "Asha", "Bela")
    assert asha.emit("sendMessage", text)[0] == error
    assert asha.received() == []
    assert bela.received() == []
    # Nothing was stored: a newcomer sees only the join announcements.
    history = connect().join("Chen")["messages"]
    assert [m["text"] for m in history] == [
        "Asha has joined!",
        "Bela has joined!",
        "Chen has joined!",
    ]


def test_send_message_without_payload(connect):
    sock = connect()
    sock.join("Asha")
    assert sock.emit("sendMessage")[0] == "Message must be a string of text."


@pytest.mark.parametrize(
    "text",
    [
        "x" * 2000,
        "Submit your assignment in class, Scunthorpe team",
        "  spaced out  ",
        "नमस्ते 👋 <b>not bold</b>",
    ],
)
def test_send_message_accepted_as_sent(connect, text):
    sock = connect()
    sock.join("Asha")
    assert sock.emit("sendMessage", text)[0] is None
    assert sock.texts() == [text]


# sendLocation


@pytest.mark.parametrize(
    ("coords", "query"),
    [
        ({"latitude": 51.5, "longitude": -0.12}, "51.5,-0.12"),
        ({"latitude": 10, "longitude": 20}, "10.0,20.0"),
        ({"latitude": 90, "longitude": 180}, "90.0,180.0"),
        ({"latitude": -90, "longitude": -180}, "-90.0,-180.0"),
    ],
)
def test_send_location(connect, coords, query):
    url = f"https://google.com/maps?q={query}"
    asha, bela = joined(connect, "Asha", "Bela")
    (elsewhere,) = joined(connect, "Chen", room="Physics")

    error, data = asha.emit("sendLocation", coords)
    assert error is None
    assert data["url"] == url
    for sock in (asha, bela):
        (location,) = sock.received("locationMessage")
        assert location["id"] == data["id"]
        assert location["username"] == "Asha"
        assert location["url"] == url
        assert isinstance(location["createdAt"], int)
    assert elsewhere.received() == []


@pytest.mark.parametrize(
    "coords",
    [
        {"latitude": "51.5", "longitude": "-0.12"},
        {"latitude": 51.5, "longitude": "0"},
        {"latitude": True, "longitude": 0},
        {"latitude": 0, "longitude": False},
        {"latitude": None, "longitude": 0},
        {"latitude": 90.0001, "longitude": 0},
        {"latitude": -91, "longitude": 0},
        {"latitude": 0, "longitude": 180.5},
        {"latitude": 0, "longitude": -181},
        # Python's JSON (python-socketio clients) does carry these.
        {"latitude": float("nan"), "longitude": 0},
        {"latitude": 0, "longitude": float("inf")},
        {"longitude": 0},
        {"latitude": 0},
        {},
        [51.5, -0.12],
        "51.5,-0.12",
        None,
    ],
)
def test_send_location_refused(connect, coords):
    asha, bela = joined(connect, "Asha", "Bela")
    assert asha.emit("sendLocation", coords) == (
        BAD_LOCATION,
        {"code": "invalid_location"},
    )
    assert asha.received() == []
    assert bela.received() == []


def test_send_location_before_join(connect):
    coords = {"latitude": 1, "longitude": 2}
    assert connect().emit("sendLocation", coords)[0] == NOT_JOINED


# loadHistory


def test_load_history_pages_back(app, connect):
    app.config["BAITHAK_HISTORY_PAGE"] = 3
    (asha,) = joined(connect, "Asha")
    (other,) = joined(connect, "Bela", room="Physics")
    ids = [asha.emit("sendMessage", f"m{i}")[1]["id"] for i in range(5)]
    other.emit("sendMessage", "elsewhere")  # newer, but in another room

    def page(before: int) -> tuple[list[str], bool]:
        error, data = asha.emit("loadHistory", {"before": before})
        assert error is None
        return [m["text"] for m in data["messages"]], data["hasMore"]

    assert page(ids[-1] + 100) == (["m2", "m3", "m4"], True)
    assert page(ids[2]) == (["Asha has joined!", "m0", "m1"], False)
    assert page(ids[0]) == (["Asha has joined!"], False)
    assert page(1) == ([], False)


@pytest.mark.parametrize(
    "payload",
    [
        {"before": 0},
        {"before": -1},
        {"before": "5"},
        {"before": 1.5},
        {"before": True},
        {"before": None},
        {"after": -1},
        {"after": "0"},
        {"before": 5, "after": 1},
        {"around": 5},
        {},
        [5],
        5,
        None,
    ],
)
def test_load_history_needs_a_message_id(connect, payload):
    sock = connect()
    sock.join("Asha")
    args = () if payload is None else (payload,)
    assert sock.emit("loadHistory", *args) == (BAD_BEFORE, {"code": "invalid_payload"})


@pytest.mark.parametrize("before", [2**63 - 1, 2**63, 2**70])
def test_load_history_before_a_huge_id_is_the_newest_page(connect, before):
    # Python clients can send integers beyond SQLite's 64 bits.
    (sock,) = joined(connect, "Asha")
    sock.emit("sendMessage", "newest")
    error, data = sock.emit("loadHistory", {"before": before})
    assert error is None
    assert [m["text"] for m in data["messages"]] == ["Asha has joined!", "newest"]


def test_load_history_after_an_id_catches_up_in_pages(connect):
    (sock,) = joined(connect, "Asha")
    first = sock.emit("sendMessage", "m0")[1]["id"]
    for i in range(1, 120):
        sock.emit("sendMessage", f"m{i}")
    caught_up, after, more = [], first, True
    while more:
        error, data = sock.emit("loadHistory", {"after": after})
        assert error is None and len(data["messages"]) <= 50
        caught_up += [m["text"] for m in data["messages"]]
        after, more = data["messages"][-1]["id"], data["hasMore"]
    assert caught_up == [f"m{i}" for i in range(1, 120)]
    assert sock.emit("loadHistory", {"after": after}) == (
        None,
        {"messages": [], "hasMore": False},
    )


def test_load_history_before_join(connect):
    assert connect().emit("loadHistory", {"before": 5})[0] == NOT_JOINED


# disconnect


def test_disconnect_announces_leaving(connect):
    asha, bela = joined(connect, "Asha", "Bela")
    bela.disconnect()
    (left, room_data) = asha.received()
    assert left[0] == "message"
    assert left[1]["text"] == "Bela has left!"
    assert left[1]["system"] is True
    assert room_data[0] == "roomData"
    assert room_data[1]["room"] == "Global"
    assert users(room_data[1]) == ["Asha"]
    # The name is free again.
    assert connect().join("bela")["username"] == "bela"


def test_disconnect_before_join_is_silent(connect):
    asha = connect()
    asha.join("Asha")
    connect().disconnect()
    assert asha.received() == []


# unexpected failures


@pytest.mark.parametrize(
    ("event", "payload", "module", "name"),
    [
        ("join", {"username": "Asha", "room": "Global"}, chat, "get_or_create_room"),
        ("sendMessage", "hi", writer, "_insert"),
        ("sendLocation", {"latitude": 1, "longitude": 2}, writer, "_insert"),
        ("loadHistory", {"before": 1000}, msgs, "history"),
    ],
)
def test_unexpected_error_is_acked_and_connection_survives(
    connect, monkeypatch, event, payload, module, name
):
    asha, bela = joined(connect, "Asha", "Bela")

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(module, name, boom)
    assert asha.emit(event, payload) == (INTERNAL, {"code": "internal"})
    assert bela.received() == []

    monkeypatch.undo()
    assert asha.emit(event, payload)[0] is None
    asha.emit("sendMessage", "recovered")
    assert bela.texts()[-1] == "recovered"


def test_a_room_switch_that_fails_changes_nothing(connect, monkeypatch):
    asha, bela = joined(connect, "Asha", "Bela")
    (chen,) = joined(connect, "Chen", room="Physics")

    def boom(*args, **kwargs):
        raise RuntimeError("database is locked")

    # Storing the "has left!"/"has joined!" notices fails during the switch.
    monkeypatch.setattr(msgs, "add_system", boom)
    assert asha.emit("join", {"username": "Asha", "room": "Physics"})[0] == INTERNAL
    monkeypatch.undo()
    assert bela.received() == [] and chen.received() == []
    asha.emit("sendMessage", "still in Global")
    assert bela.texts() == ["still in Global"]
    assert chen.texts() == []

    # Trying again works in full: both rooms hear about it.
    assert asha.emit("join", {"username": "Asha", "room": "Physics"})[0] is None
    assert bela.texts() == ["Asha has left!"]
    assert chen.texts() == ["Asha has joined!"]
    chen.emit("sendMessage", "can you hear me?")
    assert "can you hear me?" in asha.texts()


def test_unknown_event_gets_an_error_ack(connect):
    sock = connect()
    assert sock.emit("frobnicate", {"x": 1}) == (
        "Unknown event.",
        {"code": "unknown_event"},
    )
    sock.join("Asha")  # the connection still works


def test_messages_say_whether_the_sender_is_a_guest(connect, user_client):
    guest = connect()
    guest.join("Asha")
    member = connect(user_client("ravi", "Ravi"))
    member.join(None)
    guest.received()
    guest.emit("sendMessage", "from a guest")
    member.emit("sendMessage", "from an account")
    flags = {m["text"]: m["guest"] for m in guest.received("message")}
    assert flags == {"from a guest": True, "from an account": False}


def test_an_event_named_connect_is_unknown(connect):
    sock = connect()
    assert sock.emit("connect", {"a": 1}) == (
        "Unknown event.",
        {"code": "unknown_event"},
    )
    sock.join("Asha")


def test_an_event_named_disconnect_does_not_make_anyone_leave(connect):
    asha, bela = joined(connect, "Asha", "Bela")
    assert asha.emit("disconnect") == ("Unknown event.", {"code": "unknown_event"})
    assert bela.received() == []
    asha.emit("sendMessage", "still here")
    assert bela.texts() == ["still here"]


@pytest.mark.parametrize(
    "payload",
    [{"username": "shithead", "room": "Global"}, {"username": "Asha", "room": "f*ck"}],
)
def test_profane_names_and_rooms_are_refused(connect, payload):
    sock = connect()
    assert sock.emit("join", payload) == (
        "Profanity is not allowed!",
        {"code": "profanity"},
    )
