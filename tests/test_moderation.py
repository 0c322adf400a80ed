"""Moderation over Socket.IO: every role x action pair, allowed and refused,
and what each action does to the people in the room."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from baithak.extensions import db
from baithak.models import PRIVATE, PUBLIC, AuditEntry, Membership, Message, Room, User
from baithak.services import access
from baithak.services.ratelimit import Who
from baithak.services.rooms import create_room

FORBIDDEN = "forbidden"

# The permission model as the issue states it (docs/permissions.md): owner
# and moderators moderate; only the owner demotes and deletes the room.
MAY = {
    "kick": {"owner", "moderator"},
    "ban": {"owner", "moderator"},
    "unban": {"owner", "moderator"},
    "mute": {"owner", "moderator"},
    "unmute": {"owner", "moderator"},
    "deleteMessage": {"owner", "moderator"},
    "promote": {"owner", "moderator"},
    "demote": {"owner"},
    "renameRoom": {"owner", "moderator"},
    "deleteRoom": {"owner"},
}


@dataclass
class Classroom:
    """A room with an owner (Rao), moderators (Mona, Mani), members (Meera,
    Mira), all joined; `http` holds each one's logged-in HTTP client."""

    room_id: int
    sockets: dict
    http: dict


def make_room(app, owner_http, kind=PRIVATE, name="Maths 7B", **options) -> int:
    with app.app_context():
        owner = db.session.execute(
            sa.select(User).where(User.username_key == owner_http.username)
        ).scalar_one()
        room = create_room(name, owner, Who(None, owner.id, None), kind=kind, **options)
        return room.id


def add_member(app, room_id, username, role="member"):
    with app.app_context():
        user = db.session.execute(
            sa.select(User).where(User.username_key == username)
        ).scalar_one()
        db.session.add(Membership(room_id=room_id, user_id=user.id, role=role))
        db.session.commit()


@pytest.fixture
def classroom(app, user_client, connect) -> Classroom:
    http = {
        "owner": user_client("rao", "Rao"),
        "moderator": user_client("mona", "Mona"),
        "moderator2": user_client("mani", "Mani"),
        "member": user_client("meera", "Meera"),
        "member2": user_client("mira", "Mira"),
    }
    room_id = make_room(app, http["owner"])
    add_member(app, room_id, "mona", "moderator")
    add_member(app, room_id, "mani", "moderator")
    add_member(app, room_id, "meera")
    add_member(app, room_id, "mira")
    sockets = {}
    for role, client in http.items():
        sockets[role] = connect(client)
        error, _ = sockets[role].emit("join", {"roomId": room_id})
        assert error is None, error
    for sock in sockets.values():
        sock.received()
    return Classroom(room_id, sockets, http)


def people(sock) -> list[str]:
    (data,) = sock.received("roomData")[-1:]
    return [u["username"] for u in data["users"]]


def run_action(app, classroom, action, actor_sock):
    """Send `action` as `actor_sock`, after setting up what it needs; return the ack."""
    s = classroom.sockets
    if action == "unban":
        s["owner"].emit("ban", {"username": "Mira"})
    if action == "unmute":
        s["owner"].emit("mute", {"username": "Mira", "minutes": 5})
    if action == "deleteMessage":
        _, sent = s["member2"].emit("sendMessage", "2 + 2 = 5")
        return actor_sock.emit("deleteMessage", {"id": sent["id"]})
    payloads = {
        "kick": ("kick", {"username": "Mira"}),
        "ban": ("ban", {"username": "Mira"}),
        "unban": ("unban", {"username": "Mira"}),
        "mute": ("mute", {"username": "Mira", "minutes": 10}),
        "unmute": ("unmute", {"username": "Mira"}),
        "promote": ("setRole", {"username": "Mira", "role": "moderator"}),
        "demote": ("setRole", {"username": "Mani", "role": "member"}),
        "renameRoom": ("renameRoom", {"name": "Algebra"}),
        "deleteRoom": ("deleteRoom", None),
    }
    event, payload = payloads[action]
    return actor_sock.emit(event, payload) if payload else actor_sock.emit(event)


@pytest.mark.parametrize("action", sorted(MAY))
@pytest.mark.parametrize("role", ["owner", "moderator", "member"])
def test_role_action_matrix(app, classroom, role, action):
    error, data = run_action(app, classroom, action, classroom.sockets[role])
    if role in MAY[action]:
        assert error is None, error
    else:
        assert data["code"] == FORBIDDEN
        assert error == "You are not allowed to do that in this room."


# (unban, unmute and deleteMessage change the room in their set-up.)
@pytest.mark.parametrize(
    "action", sorted(set(MAY) - {"unban", "unmute", "deleteMessage"})
)
def test_a_refused_action_changes_nothing(app, classroom, action):
    before = snapshot(app, classroom.room_id)
    error, _ = run_action(app, classroom, action, classroom.sockets["member"])
    assert error is not None
    assert snapshot(app, classroom.room_id) == before


def snapshot(app, room_id):
    with app.app_context():
        room = db.session.get(Room, room_id)
        return (
            room.name if room else None,
            sorted(access.roles(room_id).items()),
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Message)
                .where(Message.room_id == room_id, Message.deleted_at.is_not(None))
            ),
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.room_id == room_id)
            ),
        )


@pytest.mark.parametrize("action", ["kick", "ban", "mute"])
@pytest.mark.parametrize("target", ["Rao", "Mani"])
def test_a_moderator_cannot_act_on_the_owner_or_another_moderator(
    classroom, action, target
):
    payload = {"username": target, "minutes": 5}
    error, data = classroom.sockets["moderator"].emit(action, payload)
    assert data["code"] == FORBIDDEN
    assert "same role or a higher one" in error


def test_nobody_acts_on_themself_and_the_owner_cannot_be_demoted(classroom):
    owner = classroom.sockets["owner"]
    assert owner.emit("kick", {"username": "Rao"})[1]["code"] == FORBIDDEN
    assert (
        owner.emit("setRole", {"username": "Rao", "role": "member"})[1]["code"]
        == FORBIDDEN
    )
    mona = classroom.sockets["moderator"]
    assert (
        mona.emit("setRole", {"username": "Rao", "role": "moderator"})[1]["code"]
        == FORBIDDEN
    )


def test_guests_in_a_public_room_can_moderate_nothing(app, user_client, connect):
    rao = user_client("rao", "Rao")
    room_id = make_room(app, rao, kind=PUBLIC, name="Open")
    connect(rao).emit("join", {"roomId": room_id})
    guest = connect()
    assert guest.emit("join", {"username": "Gita", "roomId": room_id})[0] is None
    for event, payload in [
        ("kick", {"username": "Rao"}),
        ("renameRoom", {"name": "Mine"}),
        ("deleteRoom", {}),
    ]:
        assert guest.emit(event, payload)[1]["code"] == FORBIDDEN


def test_moderation_needs_a_joined_room(connect, user_client):
    sock = connect(user_client("rao", "Rao"))
    error, data = sock.emit("kick", {"username": "Meera"})
    assert (error, data["code"]) == ("Join a room first.", "not_joined")


# What each action does


def test_kick_removes_every_tab_now_and_the_people_list_updates(
    app, classroom, connect
):
    second_tab = connect(classroom.http["member"])
    assert second_tab.emit("join", {"roomId": classroom.room_id})[0] is None
    for sock in classroom.sockets.values():
        sock.received()

    error, data = classroom.sockets["owner"].emit("kick", {"username": "meera"})
    assert (error, data) == (None, {"username": "Meera"})

    for tab in (classroom.sockets["member"], second_tab):
        (removed,) = tab.received("removed")
        assert removed["reason"] == "kicked"
        assert removed["by"] == "Rao"
        assert removed["text"] == "Rao removed you from Maths 7B."
    watcher = classroom.sockets["moderator"]
    received = watcher.received()
    texts = [p["text"] for name, p in received if name == "message"]
    assert texts == ["Meera was removed by Rao."]
    (room_data,) = [p for name, p in received if name == "roomData"][-1:]
    assert "Meera" not in [u["username"] for u in room_data["users"]]


def test_a_kicked_member_cannot_replay_events_or_come_back(classroom):
    meera = classroom.sockets["member"]
    classroom.sockets["owner"].emit("kick", {"username": "Meera"})
    assert meera.emit("sendMessage", "still here?")[1]["code"] == "not_joined"
    assert meera.emit("loadHistory", {"before": 10**6})[1]["code"] == "not_joined"
    # Membership of the private room is gone: it is not there for her any more.
    error, data = meera.emit("join", {"roomId": classroom.room_id})
    assert (error, data["code"]) == ("Room not found.", "not_found")


def test_kicked_from_a_public_room_one_may_come_back(app, user_client, connect):
    rao, meera_http = user_client("rao", "Rao"), user_client("meera", "Meera")
    room_id = make_room(app, rao, kind=PUBLIC, name="Open")
    owner, meera = connect(rao), connect(meera_http)
    owner.emit("join", {"roomId": room_id})
    meera.emit("join", {"room": "open"})
    assert owner.emit("kick", {"username": "Meera"})[0] is None
    assert meera.emit("join", {"room": "Open"})[0] is None


def test_ban_keeps_them_out_until_unbanned(app, user_client, connect):
    rao, meera_http = user_client("rao", "Rao"), user_client("meera", "Meera")
    room_id = make_room(app, rao, kind=PUBLIC, name="Open")
    owner, meera = connect(rao), connect(meera_http)
    owner.emit("join", {"roomId": room_id})
    meera.emit("join", {"room": "Open"})
    meera.received()

    assert owner.emit("ban", {"username": "Meera"})[0] is None
    (removed,) = meera.received("removed")
    assert removed["reason"] == "banned"
    error, data = meera.emit("join", {"room": "Open"})
    assert (error, data["code"]) == ("You are banned from this room.", "banned")
    assert owner.emit("ban", {"username": "Meera"})[1]["code"] == "already"

    assert owner.emit("unban", {"username": "Meera"})[0] is None
    assert meera.emit("join", {"room": "Open"})[0] is None
    assert owner.emit("unban", {"username": "Meera"})[1]["code"] == "not_banned"


def test_ban_works_on_someone_who_is_not_there(app, classroom, user_client, connect):
    user_client("omar", "Omar")
    assert classroom.sockets["owner"].emit("ban", {"username": "Omar"})[0] is None
    with app.app_context():
        omar = db.session.execute(
            sa.select(User).where(User.username_key == "omar")
        ).scalar_one()
        assert access.is_banned(classroom.room_id, f"u:{omar.id}")


def test_a_guest_is_banned_by_name(app, user_client, connect):
    rao = user_client("rao", "Rao")
    room_id = make_room(app, rao, kind=PUBLIC, name="Open")
    owner, guest = connect(rao), connect()
    owner.emit("join", {"roomId": room_id})
    guest.emit("join", {"username": "Troll", "room": "Open"})
    assert owner.emit("ban", {"username": "troll"})[0] is None
    assert guest.received("removed")[0]["reason"] == "banned"
    assert guest.emit("join", {"username": "TROLL", "room": "Open"})[1]["code"] == (
        "banned"
    )
    # Another name is another person to the server (docs/permissions.md).
    assert guest.emit("join", {"username": "Someone", "room": "Open"})[0] is None


def test_the_join_form_tells_a_banned_guest(app, user_client, connect, client):
    rao = user_client("rao", "Rao")
    make_room(app, rao, kind=PUBLIC, name="Open")
    owner = connect(rao)
    owner.emit("join", {"room": "Open"})
    assert owner.emit("ban", {"username": "Troll"})[0] is None
    response = client.post("/", data={"username": "troll", "room": "open"})
    assert response.status_code == 200
    assert "You are banned from this room." in response.get_data(as_text=True)


def test_kick_of_someone_absent_says_so(classroom):
    error, data = classroom.sockets["owner"].emit("kick", {"username": "Nobody"})
    assert (error, data["code"]) == ("Nobody is not in this room.", "not_in_room")


def test_mute_stops_posting_until_it_ends(app, classroom, monkeypatch):
    owner, meera = classroom.sockets["owner"], classroom.sockets["member"]
    error, data = owner.emit("mute", {"username": "Meera", "minutes": 10})
    assert error is None
    assert classroom.sockets["moderator"].texts() == [
        "Meera was muted for 10 minutes by Rao."
    ]
    error, refused = meera.emit("sendMessage", "hello?")
    assert error == "You are muted in this room for 10 more minutes."
    assert (refused["code"], refused["until"]) == ("muted", data["until"])
    assert (
        meera.emit("sendLocation", {"latitude": 1, "longitude": 2})[1]["code"]
        == "muted"
    )
    assert classroom.sockets["moderator"].emit("sendMessage", "fine")[0] is None

    later = data["until"] + 1
    monkeypatch.setattr(access, "now_ms", lambda: later)
    assert meera.emit("sendMessage", "back")[0] is None


def test_unmute_ends_a_mute_early(classroom):
    owner, meera = classroom.sockets["owner"], classroom.sockets["member"]
    owner.emit("mute", {"username": "Meera", "minutes": 60})
    assert owner.emit("unmute", {"username": "Meera"})[0] is None
    assert meera.emit("sendMessage", "thanks")[0] is None
    assert owner.emit("unmute", {"username": "Meera"})[1]["code"] == "not_muted"


@pytest.mark.parametrize("minutes", [0, -5, 10_081, 1.5, "10", True, None])
def test_mute_needs_whole_minutes_up_to_a_week(classroom, minutes):
    payload = {"username": "Meera", "minutes": minutes}
    assert classroom.sockets["owner"].emit("mute", payload)[1]["code"] == (
        "invalid_payload"
    )


def test_delete_message_erases_it_for_everyone_live_and_in_history(classroom):
    meera, owner = classroom.sockets["member"], classroom.sockets["owner"]
    _, sent = meera.emit("sendMessage", "my phone number is 555-0100")
    for sock in classroom.sockets.values():
        sock.received()

    assert owner.emit("deleteMessage", {"id": sent["id"]}) == (
        None,
        {"id": sent["id"], "seq": sent["seq"]},
    )
    for sock in classroom.sockets.values():
        assert sock.received("messageDeleted") == [
            {"id": sent["id"], "seq": sent["seq"]}
        ]
    _, page = meera.emit("loadHistory", {"after": 0})
    (shown,) = [m for m in page["messages"] if m["id"] == sent["id"]]
    assert shown["deleted"] is True and shown["seq"] == sent["seq"]
    assert "text" not in shown
    # Nowhere in the page's texts (createdAt, in ms, may well hold "555").
    assert not any("555" in m.get("text", "") for m in page["messages"])
    assert owner.emit("deleteMessage", {"id": sent["id"]})[1]["code"] == "not_found"


def test_a_message_of_another_room_cannot_be_deleted_by_its_id(app, classroom, connect):
    other = connect()
    other.emit("join", {"username": "Gita", "room": "Elsewhere"})
    _, sent = other.emit("sendMessage", "mine")
    _, data = classroom.sockets["owner"].emit("deleteMessage", {"id": sent["id"]})
    assert data["code"] == "not_found"
    _, page = other.emit("loadHistory", {"after": 0})
    assert [m.get("text") for m in page["messages"]][-1] == "mine"


def test_promote_and_demote_tell_the_person_and_the_room(classroom):
    owner, meera = classroom.sockets["owner"], classroom.sockets["member"]
    assert owner.emit("setRole", {"username": "Meera", "role": "moderator"}) == (
        None,
        {"username": "Meera", "role": "moderator"},
    )
    (membership,) = meera.received("membership")
    assert membership["role"] == "moderator"
    assert "kick" in membership["can"] and "delete_room" not in membership["can"]
    (room_data,) = classroom.sockets["moderator"].received("roomData")
    roles = {u["username"]: u["role"] for u in room_data["users"]}
    assert roles == {
        "Rao": "owner", "Mona": "moderator", "Mani": "moderator", "Meera": "moderator",
        "Mira": "member",
    }  # fmt: skip
    # Her new role works at once, and goes again with a demotion.
    assert meera.emit("mute", {"username": "Nobody", "minutes": 1})[1]["code"] == (
        "not_in_room"
    )
    assert owner.emit("setRole", {"username": "Meera", "role": "member"})[0] is None
    assert meera.received("membership")[0]["can"] == []
    assert meera.emit("kick", {"username": "Mona"})[1]["code"] == FORBIDDEN


def test_rename_shows_live_and_keeps_public_names_unique(app, user_client, connect):
    rao = user_client("rao", "Rao")
    room_id = make_room(app, rao, kind=PUBLIC, name="Open")
    owner, guest = connect(rao), connect()
    owner.emit("join", {"roomId": room_id})
    guest.emit("join", {"username": "Gita", "room": "Open"})
    guest.received()
    assert owner.emit("renameRoom", {"name": "Global"})[1]["code"] == "room_exists"
    assert owner.emit("renameRoom", {"name": "Open Maths"}) == (
        None,
        {"room": "Open Maths"},
    )
    received = guest.received()
    assert [p["room"] for name, p in received if name == "roomData"] == ["Open Maths"]
    texts = [p["text"] for name, p in received if name == "message"]
    assert texts == ["Rao renamed the room to Open Maths."]
    fresh = connect()
    assert (
        fresh.emit("join", {"username": "Hari", "room": "open maths"})[1]["roomId"]
        == room_id
    )


def test_delete_room_removes_everyone_and_everything(app, classroom):
    room_id = classroom.room_id
    classroom.sockets["member"].emit("sendMessage", "bye")
    for sock in classroom.sockets.values():
        sock.received()
    assert classroom.sockets["owner"].emit("deleteRoom") == (None, {})
    for sock in classroom.sockets.values():
        received = sock.received()
        (removed,) = [p for name, p in received if name == "removed"]
        assert removed["reason"] == "deleted"
        (my_rooms,) = [p for name, p in received if name == "myRooms"]
        assert room_id not in [r["id"] for r in my_rooms["rooms"]]
    with app.app_context():
        assert db.session.get(Room, room_id) is None
        for model in (Message, Membership, AuditEntry):
            count = sa.select(sa.func.count()).select_from(model)
            assert db.session.scalar(count.where(model.room_id == room_id)) == 0
    meera = classroom.sockets["member"]
    assert meera.emit("join", {"roomId": room_id})[1]["code"] == "not_found"


def test_every_action_is_in_the_audit_log(app, classroom):
    owner = classroom.sockets["owner"]
    _, sent = classroom.sockets["member"].emit("sendMessage", "oops")
    owner.emit("deleteMessage", {"id": sent["id"]})
    owner.emit("mute", {"username": "Meera", "minutes": 5})
    owner.emit("unmute", {"username": "Meera"})
    owner.emit("setRole", {"username": "Meera", "role": "moderator"})
    owner.emit("setRole", {"username": "Meera", "role": "member"})
    owner.emit("renameRoom", {"name": "Algebra"})
    owner.emit("kick", {"username": "Meera"})
    owner.emit("ban", {"username": "Meera"})
    owner.emit("unban", {"username": "Meera"})
    with app.app_context():
        rows = db.session.execute(
            sa.select(AuditEntry.actor_name, AuditEntry.action, AuditEntry.target)
            .where(AuditEntry.room_id == classroom.room_id)
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("Rao", "create_room", None),
        ("Rao", "delete_message", "Meera"),
        ("Rao", "mute", "Meera"),
        ("Rao", "unmute", "Meera"),
        ("Rao", "promote", "Meera"),
        ("Rao", "demote", "Meera"),
        ("Rao", "rename", None),
        ("Rao", "kick", "Meera"),
        ("Rao", "ban", "Meera"),
        ("Rao", "unban", "Meera"),
    ]


def test_a_forged_room_field_is_ignored(app, classroom, user_client, connect):
    # Mona moderates Maths 7B; a room field cannot point her kick elsewhere.
    other_id = make_room(app, classroom.http["member"], kind=PUBLIC, name="Meera's")
    guest = connect()
    guest.emit("join", {"username": "Gita", "roomId": other_id})
    guest.received()
    _, data = classroom.sockets["moderator"].emit(
        "kick", {"username": "Gita", "roomId": other_id, "room": "Meera's"}
    )
    assert data["code"] == "not_in_room"
    assert guest.received("removed") == []


def test_a_kicked_person_stops_typing_for_the_others(classroom):
    meera, watcher = classroom.sockets["member"], classroom.sockets["moderator"]
    assert meera.emit("typing", {"typing": True})[0] is None
    assert watcher.received("typing") == [{"username": "Meera", "typing": True}]
    classroom.sockets["owner"].emit("kick", {"username": "Meera"})
    assert watcher.received("typing") == [{"username": "Meera", "typing": False}]
