"""Chat actions: each performs one change and pushes the resulting events.

Event names and payloads: docs/protocol.md (the course chat app's core
protocol, and Baithak's additions). These functions take the connection's sid and
identity explicitly; they never read the request, the session or current_user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..extensions import db, socketio
from ..models import DIRECT, Message, Room, User, now_ms
from . import ServiceError, access, activity, ratelimit, wire
from . import messages as msgs
from .accounts import check_guests_allowed, name_owned_by_account
from .names import SYSTEM_NAME, check_display_name, check_room_name, fold
from .presence import Member, get_presence
from .ratelimit import Who
from .removal import remove_connections
from .roomdata import emit_if_status_changed, emit_room_data, emit_to_rooms
from .rooms import (
    emit_my_rooms,
    find_by_code,
    find_room,
    get_or_create_room,
    room_key,
    room_title,
)

NOT_JOINED = "Join a room first."


@dataclass(frozen=True)
class JoinResult:
    """What the joiner gets in its ack: the room, its name there, recent history."""

    room: Room
    member: Member
    history: list[msgs.StoredMessage]
    has_more: bool
    role: str | None = None

    def to_ack(self) -> dict[str, Any]:
        """Return the join ack's data (see docs/protocol.md)."""
        can = access.allowed(self.room, self.role)
        return {
            "room": room_title(self.room, self.member.user_id),
            "roomId": self.room.id,
            "kind": self.room.kind,
            "role": self.role,
            "can": can,
            # For those who hand it out: a teacher reads it from the chat.
            "joinCode": self.room.join_code if "invite" in can else None,
            "username": self.member.name,
            "messages": wire.payloads(self.history),
            "hasMore": self.has_more,
        }


def chat_name(user: User | None, raw_username: object) -> str:
    """Return the name a connection chats under.

    An account's display name always wins over the name in the payload. A guest's
    name is validated and may not be reserved or owned by an account. Raises
    ServiceError (guests disabled, empty, too long, reserved, owned).
    """
    if user is not None:
        return user.display_name
    check_guests_allowed()
    name = check_display_name(raw_username)
    if name_owned_by_account(name):
        raise ServiceError(
            "That name belongs to a registered user; pick another or log in.",
            "name_registered",
        )
    return name


def check_guest_can_join(raw_username: object, raw_room: object) -> str:
    """Return a guest's cleaned name if joining the room would succeed now.

    For the join form, so a refusal shows there rather than on the chat page;
    `join` itself checks again. Raises ServiceError as `join` would.
    """
    name = chat_name(None, raw_username)
    room = find_room(check_room_name(raw_room))
    if room is not None:
        access.check_entry(room, None, name, via_code=False)
        if get_presence().name_taken(room.id, name, None):
            raise ServiceError("Username is in use!", "name_in_use")
    return name


def room_by_code(raw_code: object, who: Who | None) -> Room:
    """Return the room with this join code (rooms.find_by_code), for a join
    or a page. Wrong codes count against `who`'s "join_code" limit; once over
    it, even a right code is refused, so no guess is ever answered. Raises
    ServiceError("bad_code"), or "rate_limited"."""
    if who is not None:
        ratelimit.check("join_code", who)
    room = find_by_code(raw_code)
    if room is None:
        if who is not None:
            ratelimit.hit("join_code", who)
        raise ServiceError("That join code is not valid.", "bad_code", field="code")
    return room


def find_target(
    user: User | None,
    raw_room: object,
    room_id: object = None,
    code: object = None,
    who: Who | None = None,
) -> tuple[Room, bool]:
    """Return the room a join means, and whether it came by join code.

    By `code` (a room's join code), by `room_id` (any room; whether one may
    enter is check_entry's), else by name: the public room `raw_room`,
    created if new. Raises ServiceError: "bad_code", NOT_FOUND for an id no
    room has, or what get_or_create_room raises.
    """
    if code is not None:
        return room_by_code(code, who), True
    if room_id is not None:
        return access.room_by_id(room_id), False
    return get_or_create_room(raw_room, creator=user, who=who), False


def join(
    sid: str,
    user: User | None,
    raw_username: object,
    raw_room: object,
    ip: str | None = None,
    room_id: object = None,
    code: object = None,
) -> JoinResult:
    """Put connection `sid` (from address `ip`) in a room, leaving the one it
    was in. The room is the public one named `raw_room` (created if new), or
    the room with id `room_id`, or the one whose join `code` this is (see
    find_target); an account that enters becomes a member (access.admit).

    Emits: `message` (welcome) to the joiner; a stored system `message`
    "<name> has joined!" to the others (once per person, not per tab);
    `roomData` to everyone in the room. Raises ServiceError for an invalid name
    or room ("Username and room are required!", ...), a room one may not enter
    (access.check_entry: "Room not found." for a private room one is not a
    member of, exactly as for one that does not exist), a name already present
    ("Username is in use!") or a rate limit (joins, new rooms); the
    connection's current room is then kept.
    """
    who = Who(sid, user.id if user else None, ip)
    ratelimit.hit("join", who)
    name = chat_name(user, raw_username)
    room, via_code = find_target(user, raw_room, room_id, code, who)
    access.check_entry(room, user, name, via_code)
    presence = get_presence()
    current = presence.get(sid)
    if current is not None and current.room_id == room.id and current.key == fold(name):
        recent, has_more = msgs.history(room.id)  # already there: change nothing
        role = access.role_of(room.id, current.user_id)
        return JoinResult(room, current, recent, has_more, role)
    if user is not None:
        _evict_guests_named(room.id, name)
    member = Member(sid, room.id, name, user.id if user else None)
    if current is not None:
        activity.stop_typing(sid)
    status_before = presence.account_status(user.id) if user else None
    move = presence.add(member)
    previous, previous_gone = move.previous, move.previous_gone
    # Same room under another name: the sid stays in the Socket.IO room.
    stays = previous is not None and previous.room_id == room.id
    # In the room before history is read: a message stored meanwhile is in the
    # history or reaches us live (or both; clients de-duplicate by id), never
    # neither.
    socketio.server.enter_room(sid, room_key(room.id), namespace="/")
    try:
        # Both notices in one transaction, before anything is emitted: a failure
        # here leaves no trace but the error ack.
        # Checked again now the connection is in: a ban (or the room's
        # deletion) that came while this join waited must not be undone.
        access.check_entry(room, user, name, via_code)
        left = _stage_left(previous, previous_gone) if previous else None
        role, new_member = access.admit(room, user)
        joined = msgs.add_system(room.id, f"{name} has joined!") if move.first else None
        # Read after our own notice: the joiner's history has every seq up to
        # it, so the next live message shows no false gap.
        recent, has_more = msgs.history(room.id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        if not stays:
            socketio.server.leave_room(sid, room_key(room.id), namespace="/")
        presence.remove(sid)
        if previous is not None:
            presence.add(previous)
        raise
    if previous is not None:
        _emit_left(previous, left, stays)
    title = room_title(room, member.user_id)
    _system_to(
        sid,
        f"Your conversation with {title}."
        if room.kind == DIRECT
        else f"Welcome to {title}!",
    )
    if joined is not None:
        broadcast(joined, skip_sid=sid)
    emit_room_data(room.id)
    # A new tab of someone away everywhere else: online again there too.
    emit_if_status_changed(member, status_before, {room.id, *_room_of(previous)})
    if new_member:
        emit_my_rooms([user.id])
    return JoinResult(room, member, recent, has_more, role)


def _evict_guests_named(room_id: int, name: str) -> None:
    """Take out guests in the room who hold an account's name: they took it
    before the account was registered, and the account comes first."""
    key = fold(name)
    text = "That name now belongs to a registered user; join again under another."
    if remove_connections(room_id, lambda m: m.user_id is None and m.key == key,
                          "name_taken", text):  # fmt: skip
        emit_room_data(room_id)


def _room_of(member: Member | None) -> list[int]:
    return [member.room_id] if member is not None else []


def leave(sid: str) -> Member | None:
    """Take `sid` out of its room, if any, and tell the others.

    Emits to the room, when the person's last connection there goes: a stored
    system `message` "<name> has left!"; then `roomData` in any case; and
    `typing` false if it was typing. An account's last connection anywhere
    stores its User.last_seen_at; otherwise, if this was its one active
    connection, its other rooms get `roomData` (it is away now).
    """
    presence = get_presence()
    activity.stop_typing(sid)
    was = presence.get(sid)
    status_before = presence.status(was) if was is not None else None
    member, gone = presence.remove(sid)
    if member is not None:
        left = _stage_left(member, gone)
        db.session.commit()
        _emit_left(member, left)
        emit_if_status_changed(member, status_before, [member.room_id])
    return member


def clear_departed(departed: list[tuple[Member, bool]]) -> None:
    """Tell the rooms of connections already taken out of presence, whose
    server process died (services.heartbeat): as `leave` does, the stored
    "<name> has left!" for each person gone from a room (`departed` pairs
    each member with that: see RedisPresence.reap_dead), last_seen_at for
    accounts now offline, then `roomData` to every room concerned once, and
    to the other rooms of accounts still online elsewhere (their status may
    have changed)."""
    presence = get_presence()
    notices = [left for member, gone in departed if (left := _stage_left(member, gone))]
    db.session.commit()
    for left in notices:
        broadcast(left)
    rooms = {member.room_id for member, _ in departed}
    for member, _ in departed:
        if member.user_id is not None:
            rooms.update(presence.rooms_of(member))
    emit_to_rooms(sorted(rooms))


def _stage_left(member: Member, gone: bool) -> Message | None:
    """Add "<name> has left!" to the session if its person is `gone` from the
    room, and an account's last_seen_at if it has no connection left; the
    caller commits."""
    if member.user_id is not None and (
        get_presence().account_status(member.user_id) is None
    ):
        db.session.execute(
            sa.update(User)
            .where(User.id == member.user_id)
            .values(last_seen_at=now_ms())
        )
    if not gone:
        return None
    return msgs.add_system(member.room_id, f"{member.name} has left!")


def _emit_left(member: Member, left: Message | None, stays: bool = False) -> None:
    """Take the sid out of the Socket.IO room (unless it `stays` there under
    another name); tell the others who left."""
    if not stays:
        socketio.server.leave_room(member.sid, room_key(member.room_id), namespace="/")
    if left is not None:
        broadcast(left, skip_sid=member.sid)
    emit_room_data(member.room_id)


def history_page(
    sid: str, payload: object, ip: str | None = None
) -> tuple[list[msgs.StoredMessage], bool]:
    """Return a page of the joined room's history around a message id.

    `payload` is {"before": id} (older messages) or {"after": id} (newer ones);
    see messages.history. Raises ServiceError if not joined, or if the payload
    is not exactly one of those (with before >= 1, after >= 0), or the
    connection is over its "history" rate limit.
    """
    member = _member(sid)
    ratelimit.hit("history", Who(sid, member.user_id, ip))
    if isinstance(payload, dict) and len(payload) == 1:
        ((direction, anchor),) = payload.items()
        if (
            direction in ("before", "after")
            and isinstance(anchor, int)
            and not isinstance(anchor, bool)
            and anchor >= (1 if direction == "before" else 0)
        ):
            # Ids fit SQLite's 64-bit INTEGER; larger anchors mean "beyond all".
            anchor = min(anchor, 2**63 - 1)
            return msgs.history(member.room_id, **{direction: anchor})
    raise ServiceError(
        "History needs {before: <message id>} or {after: <message id>}.",
        "invalid_payload",
    )


def current_room(sid: str) -> Room:
    """Return the room connection `sid` has joined; raise ServiceError
    ("not_joined") if none (or it was deleted meanwhile)."""
    room = db.session.get(Room, _member(sid).room_id)
    if room is None:
        raise ServiceError(NOT_JOINED, "not_joined")
    return room


def joined_member(sid: str) -> Member:
    """Return who connection `sid` is in the room it joined; raise
    ServiceError("not_joined") if it has joined none."""
    return _member(sid)


def _member(sid: str) -> Member:
    member = get_presence().get(sid)
    if member is None:
        raise ServiceError(NOT_JOINED, "not_joined")
    return member


def broadcast(message: Message, skip_sid: str | None = None) -> None:
    """Emit a stored message to everyone in its room (but `skip_sid`)."""
    socketio.emit(
        msgs.event_name(message),
        wire.payloads([message], reactions=False)[0],
        to=room_key(message.room_id),
        skip_sid=skip_sid,
    )


def _system_to(sid: str, text: str) -> None:
    """Send an unstored system message (no id) to one connection."""
    notice = Message(
        kind="system", username=SYSTEM_NAME, text=text, created_at=now_ms()
    )
    socketio.emit("message", msgs.to_payload(notice), to=sid)
