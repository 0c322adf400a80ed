"""Presence and typing over Socket.IO: one person with several tabs, away
and back, offline with a last-seen time; "typing…" and when it stops."""

import pytest

from baithak.extensions import db
from baithak.models import User, now_ms

from .conftest import new_app

NOT_JOINED = ("Join a room first.", {"code": "not_joined"})


def statuses(room_data: dict) -> dict[str, str]:
    """Return {name: status} from a roomData payload."""
    return {user["username"]: user["status"] for user in room_data["users"]}


@pytest.fixture
def alice_tabs(connect, user_client):
    """Return a factory: n sockets of the account Alice, each joined to a room."""
    http = user_client("alice", "Alice")

    def make(*rooms: str) -> list:
        tabs = [connect(http) for _ in rooms]
        for tab, room in zip(tabs, rooms, strict=True):
            tab.join(None, room)
        return tabs

    return make


def test_one_person_in_three_tabs_is_away_only_when_all_are(connect, alice_tabs):
    bela = connect()
    bela.join("Bela")
    tabs = alice_tabs("Global", "Global", "Physics")
    bela.received()

    assert tabs[0].emit("presence", {"state": "away"}) == (None, {"status": "online"})
    assert tabs[1].emit("presence", {"state": "away"}) == (None, {"status": "online"})
    assert bela.received("roomData") == []  # one tab's flip is nobody's business
    # The last active tab is in another room: Bela still sees it.
    assert tabs[2].emit("presence", {"state": "away"}) == (None, {"status": "away"})
    (room_data,) = bela.received("roomData")
    assert statuses(room_data) == {"Bela": "online", "Alice": "away"}
    assert tabs[2].received("roomData")[-1]["users"][0]["status"] == "away"

    assert tabs[1].emit("presence", {"state": "active"})[1] == {"status": "online"}
    (room_data,) = bela.received("roomData")
    assert statuses(room_data)["Alice"] == "online"


def test_a_new_tab_brings_an_away_person_back(connect, alice_tabs):
    bela = connect()
    bela.join("Bela", "Physics")
    (physics,) = alice_tabs("Physics")
    physics.emit("presence", {"state": "away"})
    assert statuses(bela.received("roomData")[-1])["Alice"] == "away"
    alice_tabs("Global")
    assert statuses(bela.received("roomData")[-1])["Alice"] == "online"


def test_closing_the_only_active_tab_makes_the_person_away(connect, alice_tabs):
    bela = connect()
    bela.join("Bela", "Physics")
    active, idle = alice_tabs("Global", "Physics")
    bela.received()
    idle.emit("presence", {"state": "away"})
    assert bela.received("roomData") == []
    active.disconnect()
    assert statuses(bela.received("roomData")[-1])["Alice"] == "away"


def test_offline_only_when_the_last_connection_closes(app, connect, alice_tabs):
    bela = connect()
    bela.join("Bela")
    tabs = alice_tabs("Global", "Global", "Global")
    bela.received()
    for tab in tabs[:2]:
        tab.disconnect()
    assert bela.texts() == []  # no "has left!" while a tab stays
    with app.app_context():
        assert db.session.get(User, 1).last_seen_at is None
    before = now_ms()
    tabs[2].disconnect()
    (left, room_data) = bela.received()
    assert left[1]["text"] == "Alice has left!"
    with app.app_context():
        last_seen = db.session.get(User, 1).last_seen_at
    assert before <= last_seen <= now_ms()
    assert [u["username"] for u in room_data[1]["users"]] == ["Bela"]


def test_room_data_of_accounts_carries_their_custom_status(app, connect, alice_tabs):
    alice_tabs("Global")
    with app.app_context():
        alice = db.session.get(User, 1)
        alice.status_text, alice.status_emoji = "Marking homework", "📚"
        db.session.commit()
    guest = connect()
    guest.emit("join", {"username": "Bela", "room": "Global"})
    alice_data, bela_data = guest.received("roomData")[-1]["users"]
    assert alice_data["statusText"] == "Marking homework"
    assert alice_data["statusEmoji"] == "📚"
    assert "statusText" not in bela_data  # guests have no profile


@pytest.mark.parametrize(
    "payload", [None, "away", {}, {"state": "gone"}, {"state": True}, ["away"]]
)
def test_presence_needs_a_known_state(connect, payload):
    asha, bela = connect(), connect()
    asha.join("Asha")
    bela.join("Bela")
    asha.received()
    error, data = bela.emit("presence", payload)
    assert data == {"code": "invalid_payload"}
    assert error == 'Presence needs {state: "active" or "away"}.'
    assert asha.received() == []


def test_presence_and_typing_need_a_room(connect):
    sock = connect()
    assert sock.emit("presence", {"state": "away"}) == NOT_JOINED
    assert sock.emit("typing", {"typing": True}) == NOT_JOINED


# typing


@pytest.fixture
def pair(connect):
    """Asha and Bela, guests in Global, with nothing received yet."""
    asha, bela = connect(), connect()
    asha.join("Asha")
    bela.join("Bela")
    asha.received()
    return asha, bela


def test_typing_goes_to_the_others_and_stops(pair):
    asha, bela = pair
    assert bela.emit("typing", {"typing": True}) == (None, {})
    assert asha.received() == [("typing", {"username": "Bela", "typing": True})]
    assert bela.received() == []  # not to oneself
    bela.emit("typing", {"typing": True})  # a refresh goes out again
    assert asha.received("typing") == [{"username": "Bela", "typing": True}]
    bela.emit("typing", {"typing": False})
    assert asha.received() == [("typing", {"username": "Bela", "typing": False})]
    bela.emit("typing", {"typing": False})  # stopped already: nothing to say
    assert asha.received() == []


def test_sending_a_message_stops_typing(pair):
    asha, bela = pair
    bela.emit("typing", {"typing": True})
    asha.received()
    bela.emit("sendMessage", "Hello")
    events = asha.received()
    assert events[0] == ("typing", {"username": "Bela", "typing": False})
    assert events[1][0] == "message" and events[1][1]["text"] == "Hello"
    bela.emit("sendMessage", "again")  # not typing now: no second stop
    assert [name for name, _ in asha.received()] == ["message"]


def test_leaving_stops_typing(pair, connect):
    asha, bela = pair
    bela.emit("typing", {"typing": True})
    asha.received()
    bela.disconnect()
    assert asha.received()[0] == ("typing", {"username": "Bela", "typing": False})


def test_moving_to_another_room_stops_typing_in_the_old_one(pair):
    asha, bela = pair
    bela.emit("typing", {"typing": True})
    asha.received()
    bela.emit("join", {"username": "Bela", "room": "Physics"})
    assert ("typing", {"username": "Bela", "typing": False}) in asha.received()


@pytest.mark.parametrize("payload", [None, True, {}, {"typing": "yes"}, {"typing": 1}])
def test_typing_needs_a_boolean(pair, payload):
    asha, bela = pair
    error, data = bela.emit("typing", payload)
    assert (error, data) == (
        "Typing needs {typing: true or false}.",
        {"code": "invalid_payload"},
    )
    assert asha.received() == []


def test_typing_is_rate_limited(tmp_path):
    from baithak.extensions import socketio

    from .conftest import ChatSocket

    with new_app(tmp_path, BAITHAK_RATELIMIT_TYPING="3/minute") as app:
        asha, bela = (ChatSocket(socketio.test_client(app)) for _ in range(2))
        asha.join("Asha")
        bela.join("Bela")
        asha.received()
        codes = [bela.emit("typing", {"typing": True})[1] for _ in range(4)]
        assert codes[:3] == [{}] * 3
        assert codes[3]["code"] == "rate_limited"
        assert codes[3]["retryAfter"] >= 1
        assert len(asha.received("typing")) == 3  # the refused one went nowhere
        bela.sio.disconnect()
        asha.sio.disconnect()


def test_presence_is_rate_limited(tmp_path):
    from baithak.extensions import socketio

    from .conftest import ChatSocket

    with new_app(tmp_path, BAITHAK_RATELIMIT_PRESENCE="2/minute") as app:
        asha = ChatSocket(socketio.test_client(app))
        asha.join("Asha")
        states = ["away", "active", "away"]
        codes = [asha.emit("presence", {"state": s})[1] for s in states]
        assert codes[:2] == [{"status": "away"}, {"status": "online"}]
        assert codes[2]["code"] == "rate_limited"
        asha.sio.disconnect()
