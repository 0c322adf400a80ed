"""Unread counts over Socket.IO: markRead moves a member's read position
forward only, myRooms counts what others sent since, and members elsewhere
see their count go up live; nobody hears of rooms they are not in."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from baithak.extensions import db
from baithak.models import PRIVATE, Membership, Room
from baithak.services.rooms import my_rooms

from .test_moderation import add_member, make_room


@pytest.fixture
def account(user_client):
    def make(username, display_name):
        http = user_client(username, display_name)
        http.username = username
        return http

    return make


@pytest.fixture
def staff(app, account, connect):
    """A private room: Rao (owner) is in it; Meera, a member, is connected
    but in Global. Returns (room id, Rao's socket, Meera's socket, Meera's HTTP)."""
    rao, meera = account("rao", "Rao"), account("meera", "Meera")
    room_id = make_room(app, rao, kind=PRIVATE, name="Staff room")
    add_member(app, room_id, "meera")
    owner = connect(rao)
    assert owner.emit("join", {"roomId": room_id})[0] is None
    member = connect(meera)
    member.join(None, "Global")
    owner.received()
    return room_id, owner, member, meera


def unread(sock, room_id) -> int:
    error, data = sock.emit("myRooms")
    assert error is None
    (room,) = [r for r in data["rooms"] if r["id"] == room_id]
    return room["unread"]


def say(sock, *texts) -> list[int]:
    """Send each text; return their seqs."""
    seqs = []
    for text in texts:
        error, data = sock.emit("sendMessage", text)
        assert error is None, error
        seqs.append(data["seq"])
    return seqs


def test_messages_from_others_are_unread_until_marked_read(staff, connect, app):
    room_id, owner, member, meera = staff
    first, second, third = say(owner, "one", "two", "three")
    assert unread(member, room_id) == 3
    assert unread(owner, room_id) == 0  # one's own messages are never unread

    there = connect(meera)
    assert there.emit("join", {"roomId": room_id})[0] is None
    assert there.emit("markRead", {"seq": second}) == (None, {"seq": second})
    assert unread(member, room_id) == 1
    # Only forward: an older seq changes nothing.
    assert there.emit("markRead", {"seq": first}) == (None, {"seq": second})
    assert unread(member, room_id) == 1
    # Clamped to the room's newest message.
    error, data = there.emit("markRead", {"seq": 10**12})
    with app.app_context():
        last_seq = db.session.get(Room, room_id).last_seq
    assert (error, data) == (None, {"seq": last_seq})
    assert last_seq >= third
    assert unread(member, room_id) == 0


def test_notices_and_deleted_messages_do_not_count(staff, connect):
    room_id, owner, member, meera = staff
    _, sent = owner.emit("sendMessage", "oops")
    visit = connect(meera)  # "Meera has joined!" and "... has left!" in the room
    visit.emit("join", {"roomId": room_id})
    visit.disconnect()
    assert unread(member, room_id) == 1
    assert owner.emit("deleteMessage", {"id": sent["id"]})[0] is None
    assert unread(member, room_id) == 0


def test_marking_one_room_read_leaves_the_others(staff, account, app, connect):
    room_id, owner, member, meera = staff
    say(owner, "in the staff room")
    owner_http = account("ravi", "Ravi")
    other_id = make_room(app, owner_http, kind=PRIVATE, name="Clubs")
    add_member(app, other_id, "meera")
    ravi = connect(owner_http)
    ravi.emit("join", {"roomId": other_id})
    say(ravi, "club news", "more club news")
    assert unread(member, other_id) == 2
    there = connect(meera)
    there.emit("join", {"roomId": room_id})
    assert there.emit("markRead", {"seq": 10**6})[0] is None
    assert (unread(member, room_id), unread(member, other_id)) == (0, 2)


@pytest.mark.parametrize(
    "payload",
    [None, "3", 3, {}, {"seq": -1}, {"seq": True}, {"seq": 1.5}, {"seq": "2"}],
)
def test_a_bad_mark_read_is_refused_and_changes_nothing(staff, connect, payload):
    room_id, owner, member, meera = staff
    say(owner, "hello")
    there = connect(meera)
    there.emit("join", {"roomId": room_id})
    error, data = there.emit("markRead", payload)
    assert (error, data["code"]) == (
        "markRead needs {seq: <a message's seq>}.",
        "invalid_payload",
    )
    assert unread(member, room_id) == 1


def test_guests_and_connections_not_in_a_room_are_refused(staff, connect):
    _, _, _, meera = staff
    guest = connect()
    guest.join("Gita", "Global")
    assert guest.emit("markRead", {"seq": 1}) == (
        "Log in to keep track of what you have read.",
        {"code": "login_required"},
    )
    assert connect(meera).emit("markRead", {"seq": 1}) == (
        "Join a room first.",
        {"code": "not_joined"},
    )


def test_a_member_elsewhere_sees_the_count_go_up_live(staff, account, connect):
    room_id, owner, member, meera = staff
    outsider = connect(account("omar", "Omar"))
    outsider.join(None, "Global")
    guest = connect()
    guest.join("Gita", "Global")
    member.received()
    say(owner, "staff meeting at 3", "bring the registers")
    assert member.received("unread") == [
        {"roomId": room_id, "unread": 1},
        {"roomId": room_id, "unread": 2},
    ]
    # Nobody else hears of the room: not the sender, not other accounts, not guests.
    assert owner.received("unread") == []
    assert "staff meeting" not in str(outsider.received() + guest.received())
    assert "unread" not in str(outsider.received() + guest.received())

    # A member who is in the room gets the message, not a count.
    there = connect(meera)
    there.emit("join", {"roomId": room_id})
    member.received()
    there.received()
    say(owner, "and the keys")
    assert there.received("unread") == [] and member.received("unread") == []


def test_marking_read_updates_ones_other_tabs(staff, connect):
    room_id, owner, member, meera = staff
    (seq,) = say(owner, "hello")
    there = connect(meera)
    there.emit("join", {"roomId": room_id})
    member.received()
    there.emit("markRead", {"seq": seq})
    assert member.received("unread") == [{"roomId": room_id, "unread": 0}]
    there.emit("markRead", {"seq": seq})  # nothing moved: nothing sent
    assert member.received("unread") == []


def test_a_new_member_has_nothing_unread(app, account, connect):
    rao = connect(account("rao", "Rao"))
    rao.join(None, "Maths")
    say(rao, "before you came")
    meera = connect(account("meera", "Meera"))
    data = meera.join(None, "Maths")
    assert unread(meera, data["roomId"]) == 0


def test_unread_counts_for_all_rooms_take_one_query(app, staff, account):
    room_id, owner, _, _ = staff
    rao = account("sita", "Sita")
    for n in range(5):
        made = make_room(app, rao, kind=PRIVATE, name=f"Room {n}")
        add_member(app, made, "meera")
    say(owner, "hi")
    statements: list[str] = []
    with app.app_context():
        sa.event.listen(
            db.engine, "before_cursor_execute", lambda *a: statements.append(a[2])
        )
        user_id = db.session.execute(
            sa.select(Membership.user_id).where(Membership.room_id == room_id)
        ).scalars()
        meera_id = max(user_id)  # Rao registered first
        rooms = my_rooms(db.session.get(Membership, (room_id, meera_id)).user)
    assert {r.id: r.unread for r in rooms}[room_id] == 1
    assert (
        len([s for s in statements if "FROM messages" in s or "JOIN messages" in s])
        == 1
    )
