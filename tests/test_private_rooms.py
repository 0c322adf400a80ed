"""Private rooms, join codes and direct conversations over Socket.IO: nobody
gets in, or learns anything, where they do not belong."""

from __future__ import annotations

import pytest

from baithak.extensions import db
from baithak.models import PRIVATE, PUBLIC, Room
from baithak.services import roomadmin
from baithak.services.rooms import find_by_code, list_rooms

from .test_moderation import add_member, make_room

NOT_FOUND = ("Room not found.", "not_found")


def refusal(ack):
    error, data = ack
    return error, data["code"]


@pytest.fixture
def private(app, user_client):
    """A private room owned by Rao, of which Meera is a member."""
    rao, meera = user_client("rao", "Rao"), user_client("meera", "Meera")
    room_id = make_room(app, rao, kind=PRIVATE, name="Staff room")
    add_member(app, room_id, "meera")
    return room_id, rao, meera


def test_members_enter_a_private_room_by_id(private, connect):
    room_id, rao, meera = private
    owner = connect(rao)
    error, data = owner.emit("join", {"roomId": room_id})
    assert error is None
    assert (data["room"], data["kind"], data["role"]) == (
        "Staff room",
        "private",
        "owner",
    )
    assert "delete_room" in data["can"]
    error, data = connect(meera).emit("join", {"roomId": room_id})
    assert (error, data["role"], data["can"]) == (None, "member", [])


def test_a_non_member_learns_nothing_of_a_private_room(
    app, private, user_client, connect
):
    room_id, rao, _ = private
    insider = connect(rao)
    insider.emit("join", {"roomId": room_id})
    insider.emit("sendMessage", "salaries are...")
    insider.received()

    omar = connect(user_client("omar", "Omar"))
    guest = connect()
    # The same answer as for an id no room has, for an account and a guest.
    assert refusal(omar.emit("join", {"roomId": room_id})) == NOT_FOUND
    assert refusal(omar.emit("join", {"roomId": 999_999})) == NOT_FOUND
    for forged in ("1; DROP", -1, 0, 2**70, True, 1.0, [room_id]):
        assert refusal(omar.emit("join", {"roomId": forged})) == NOT_FOUND
    assert refusal(guest.emit("join", {"username": "Gita", "roomId": room_id})) == (
        NOT_FOUND
    )
    # Guessing its name finds (and makes) a public room of that name instead.
    error, data = omar.emit("join", {"room": "staff room"})
    assert error is None and data["roomId"] != room_id and data["kind"] == "public"
    assert "salaries" not in str(data)
    # Nothing of the private room reached them, and the insider saw nobody.
    assert "salaries" not in str(omar.received())
    assert insider.received("roomData") == []
    with app.app_context():
        public = [r.name for r in list_rooms()]
        made = db.session.get(Room, data["roomId"])
    assert public == ["Global", "staff room"]
    assert (made.name, made.kind) == ("staff room", "public")


def test_private_rooms_are_not_listed_in_the_lobby(app, private):
    with app.app_context():
        assert [r.name for r in list_rooms()] == ["Global"]


def test_history_of_a_private_room_goes_to_members_only(private, user_client, connect):
    room_id, rao, _ = private
    owner = connect(rao)
    owner.emit("join", {"roomId": room_id})
    _, sent = owner.emit("sendMessage", "members only")
    omar = connect(user_client("omar", "Omar"))
    omar.emit("join", {"username": None, "room": "Global"})
    # loadHistory reads the connection's own room, whatever ids it names.
    _, page = omar.emit("loadHistory", {"after": sent["id"] - 1})
    assert "members only" not in str(page)
    _, page = omar.emit("loadHistory", {"before": sent["id"] + 1})
    assert "members only" not in str(page)


def test_guests_with_the_code_where_guests_are_welcome(app, user_client, connect):
    rao = user_client("rao", "Rao")
    room_id = make_room(app, rao, kind=PRIVATE, name="7B", guests_welcome=True)
    with app.app_context():
        code = db.session.get(Room, room_id).join_code
    assert len(code) == 6 and code.isupper()
    guest = connect()
    spoken = f" {code[:3].lower()}-{code[3:]} "  # as a class types what it heard
    error, data = guest.emit("join", {"username": "Asha", "code": spoken})
    assert error is None
    assert (data["roomId"], data["role"]) == (room_id, None)
    # The code is the guest's way in: by id alone they are not let in.
    assert refusal(connect().emit("join", {"username": "Bela", "roomId": room_id})) == (
        NOT_FOUND
    )


def test_a_members_only_room_refuses_guests_with_the_code(app, user_client, connect):
    rao = user_client("rao", "Rao")
    room_id = make_room(app, rao, kind=PRIVATE, name="7B")
    with app.app_context():
        code = db.session.get(Room, room_id).join_code
    assert refusal(connect().emit("join", {"username": "Asha", "code": code})) == (
        "This room is for members only; log in to join it.",
        "login_required",
    )
    # An account with the code becomes a member.
    meera = connect(user_client("meera", "Meera"))
    assert meera.emit("join", {"code": code})[1]["role"] == "member"
    assert refusal(meera.emit("join", {"roomId": 999})) == NOT_FOUND
    assert meera.emit("join", {"roomId": room_id})[0] is None


@pytest.mark.parametrize(
    "code", ["", "ABC", "ABCDEFG", "O0I1L5", 123456, None, "é" * 6]
)
def test_bad_join_codes(connect, code):
    ack = connect().emit("join", {"username": "Asha", "code": code or "nope"})
    assert refusal(ack) == ("That join code is not valid.", "bad_code")


def test_codes_leave_out_letters_people_confuse(app, user_client):
    rao = user_client("rao", "Rao")
    room_ids = [make_room(app, rao, name=f"Room {i}") for i in range(20)]
    with app.app_context():
        codes = [db.session.get(Room, i).join_code for i in room_ids]
        assert all(find_by_code(c.lower()).join_code == c for c in codes)
    assert not set("".join(codes)) & set("01ILO")
    assert len(set(codes)) == 20


def test_turning_guests_away_removes_the_guests_inside(app, user_client, connect):
    rao = user_client("rao", "Rao")
    room_id = make_room(app, rao, kind=PRIVATE, name="7B", guests_welcome=True)
    owner, guest = connect(rao), connect()
    owner.emit("join", {"roomId": room_id})
    with app.app_context():
        room = db.session.get(Room, room_id)
        guest.emit("join", {"username": "Asha", "code": room.join_code})
        owner_user = room.created_by
        roomadmin.set_guests_welcome(room, owner_user, False)
    (removed,) = guest.received("removed")
    assert removed["reason"] == "guests_off"
    assert guest.emit("sendMessage", "hi")[1]["code"] == "not_joined"
    assert owner.received("roomData")[-1]["users"] == [
        {"username": "Rao", "guest": False, "role": "owner", "status": "online",
         "statusText": None, "statusEmoji": None}
    ]  # fmt: skip


def test_a_banned_account_cannot_use_the_code(app, private, user_client, connect):
    room_id, rao, meera = private
    owner = connect(rao)
    owner.emit("join", {"roomId": room_id})
    owner.emit("ban", {"username": "Meera"})
    with app.app_context():
        code = db.session.get(Room, room_id).join_code
    assert refusal(connect(meera).emit("join", {"code": code})) == (
        "You are banned from this room.",
        "banned",
    )


# Direct conversations


def test_a_direct_conversation_is_for_its_two_people(app, user_client, connect):
    asha_http, bela_http = user_client("asha", "Asha"), user_client("bela", "Bela")
    asha, bela = connect(asha_http), connect(bela_http)
    error, opened = asha.emit("openDirect", {"username": "bela"})
    assert error is None and opened["room"] == "Bela"
    (pushed,) = bela.received("myRooms")
    assert pushed["rooms"] == [
        {"id": opened["roomId"], "title": "Asha", "kind": "direct",
         "role": "member", "online": 0, "unread": 0}
    ]  # fmt: skip
    # Opening it again, from either side, is the same conversation.
    assert (
        bela.emit("openDirect", {"username": "Asha"})[1]["roomId"] == opened["roomId"]
    )
    asha.emit("join", {"roomId": opened["roomId"]})
    _, joined = bela.emit("join", {"roomId": opened["roomId"]})
    assert (joined["room"], joined["kind"], joined["can"]) == ("Asha", "direct", [])
    asha.received()
    bela.emit("sendMessage", "just us")
    assert asha.texts() == ["just us"]

    cara = connect(user_client("cara", "Cara"))
    assert refusal(cara.emit("join", {"roomId": opened["roomId"]})) == NOT_FOUND
    assert refusal(
        connect().emit("join", {"username": "G", "roomId": opened["roomId"]})
    ) == (NOT_FOUND)
    # Nobody moderates a conversation of two.
    assert bela.emit("kick", {"username": "Asha"})[1]["code"] == "forbidden"
    assert bela.emit("renameRoom", {"name": "Ours"})[1]["code"] == "forbidden"
    with app.app_context():
        assert [r.name for r in list_rooms()] == ["Global"]


def test_direct_messages_need_two_accounts(user_client, connect):
    asha = connect(user_client("asha", "Asha"))
    assert refusal(asha.emit("openDirect", {"username": "asha"})) == (
        "You cannot message yourself.",
        "invalid",
    )
    assert refusal(asha.emit("openDirect", {"username": "Nobody"})) == (
        "There is no account with that name.",
        "no_such_user",
    )
    assert refusal(asha.emit("openDirect", "bela"))[1] == "invalid_payload"
    assert refusal(connect().emit("openDirect", {"username": "asha"})) == (
        "Log in to send direct messages.",
        "login_required",
    )


def test_my_rooms_lists_memberships(app, private, user_client, connect):
    room_id, _, meera = private
    sock = connect(meera)
    _, data = sock.emit("myRooms")
    assert data == {
        "rooms": [{"id": room_id, "title": "Staff room", "kind": "private",
                   "role": "member", "online": 0, "unread": 0}]
    }  # fmt: skip
    # Joining a public room as an account makes one a member of it, live.
    sock.emit("join", {"room": "Global"})
    (pushed,) = sock.received("myRooms")
    assert [r["title"] for r in pushed["rooms"]] == ["Global", "Staff room"]
    assert connect().emit("myRooms") == (None, {"rooms": []})


def test_an_account_creating_a_room_by_joining_owns_it(user_client, connect):
    sock = connect(user_client("rao", "Rao"))
    _, data = sock.emit("join", {"room": "Science"})
    assert (data["role"], data["kind"]) == ("owner", PUBLIC)
    guest = connect()
    _, data = guest.emit("join", {"username": "Gita", "room": "Maths"})
    assert (data["role"], data["can"]) == (None, [])
