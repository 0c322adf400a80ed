"""Room moderation of people and messages: kick, ban, mute, delete
messages, roles. The room's own settings (name, guests, deletion):
services.roomadmin.

Each action checks the actor's role (access.require and, for actions on a
person, access.check_outranks), makes its change and its audit entry in one
transaction, and then pushes the result live: `removed` to the connections
taken out, stored notices, `roomData`, `messageDeleted`, `membership`,
`myRooms`. Socket handlers (rooms/moderation_events.py) and the room
settings pages call these same functions.
"""

from __future__ import annotations

from collections.abc import Callable

from ..extensions import db, socketio
from ..models import (
    MEMBER,
    MODERATOR,
    OWNER,
    Membership,
    Message,
    Room,
    RoomBan,
    RoomMute,
    User,
    now_ms,
)
from . import ServiceError, access, audit, chat
from . import messages as msgs
from .access import Subject
from .names import clean
from .presence import Member, get_presence
from .removal import remove_connections
from .rooms import emit_my_rooms, room_key

MAX_MUTE_MINUTES = 7 * 24 * 60  # a week


def _target(room: Room, actor: User, action: str, raw_name: object):
    """Return (actor's role, subject, subject's role) for an action on a
    person, refusing one the actor may not take or may not take on them."""
    actor_role = access.require(room, actor, action)
    subject = access.find_subject(raw_name, room.id)
    if subject.user_id == actor.id:
        raise ServiceError("You cannot do that to yourself.", "forbidden")
    subject_role = access.role_of(room.id, subject.user_id)
    access.check_outranks(actor_role, subject_role)
    return actor_role, subject, subject_role


def _not_in_room(subject: Subject) -> ServiceError:
    return ServiceError(f"{subject.name} is not in this room.", "not_in_room")


def _is(subject: Subject) -> Callable[[Member], bool]:
    return lambda m: Subject.of(m.user_id, m.name).key == subject.key


def _announce(room_id: int, text: str) -> Message:
    """Stage a stored system notice (the caller commits, then broadcasts)."""
    return msgs.add_system(room_id, text)


def _broadcast(notice: Message) -> None:
    socketio.emit("message", msgs.to_payload(notice), to=room_key(notice.room_id))


def _drop_membership(room_id: int, user_id: int | None) -> bool:
    if user_id is None:
        return False
    membership = db.session.get(Membership, (room_id, user_id))
    if membership is None:
        return False
    db.session.delete(membership)
    return True


def kick(room: Room, actor: User, raw_name: object) -> Subject:
    """Take someone out of the room now (all their connections) and end their
    membership; in a public room they may come back. Raises ServiceError:
    NOT_FOUND/"forbidden" (access), "not_in_room" (neither present nor a member)."""
    _, subject, _ = _target(room, actor, "kick", raw_name)
    return _remove(room, actor, subject, "kicked", ban=False)


def ban(room: Room, actor: User, raw_name: object) -> Subject:
    """Kick someone (if there) and keep them out until unbanned; works on
    someone not present too. Raises ServiceError as `kick` (but not
    "not_in_room")."""
    _, subject, _ = _target(room, actor, "ban", raw_name)
    return _remove(room, actor, subject, "banned", ban=True)


def _remove(
    room: Room, actor: User, subject: Subject, reason: str, ban: bool
) -> Subject:
    present = any(_is(subject)(m) for m in get_presence().members(room.id))
    was_member = _drop_membership(room.id, subject.user_id)
    if ban:
        if access.is_banned(room.id, subject.key):
            raise ServiceError(f"{subject.name} is banned already.", "already")
        db.session.add(RoomBan(room_id=room.id, subject=subject.key,
                               name=subject.name, by_id=actor.id))  # fmt: skip
    elif not present and not was_member:
        raise _not_in_room(subject)
    verb = "banned" if ban else "removed"
    notice = _announce(room.id, f"{subject.name} was {verb} by {actor.display_name}.")
    audit.record(room.id, actor, "ban" if ban else "kick", subject.name)
    db.session.commit()
    title = room.name
    text = (
        f"{actor.display_name} banned you from {title}."
        if ban
        else f"{actor.display_name} removed you from {title}."
    )
    remove_connections(room.id, _is(subject), reason, text, by=actor.display_name)
    _broadcast(notice)
    chat.emit_room_data(room.id)
    if subject.user_id is not None and was_member:
        emit_my_rooms([subject.user_id])
    return subject


def unban(room: Room, actor: User, raw_name: object) -> Subject:
    """Lift a ban (the person is not re-added as a member). Raises
    ServiceError: access refusals, "not_banned"."""
    access.require(room, actor, "unban")
    subject = access.find_subject(raw_name)
    entry = db.session.get(RoomBan, (room.id, subject.key))
    if entry is None and subject.user_id is not None:
        # A guest banned by a name an account took later.
        subject = Subject.of(None, clean(raw_name))
        entry = db.session.get(RoomBan, (room.id, subject.key))
    if entry is None:
        raise ServiceError(f"{subject.name} is not banned here.", "not_banned")
    db.session.delete(entry)
    audit.record(room.id, actor, "unban", subject.name)
    db.session.commit()
    return subject


def mute(
    room: Room, actor: User, raw_name: object, minutes: object
) -> tuple[Subject, int]:
    """Stop someone posting for `minutes` (an int, 1..MAX_MUTE_MINUTES);
    return the subject and when the mute ends (ms since the epoch). A new
    mute replaces an old one. Raises ServiceError: access refusals,
    "invalid_payload" (minutes), "not_in_room" (neither present nor a member)."""
    _, subject, subject_role = _target(room, actor, "mute", raw_name)
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not 1 <= minutes <= MAX_MUTE_MINUTES
    ):
        raise ServiceError(f"Mute for 1-{MAX_MUTE_MINUTES} minutes.", "invalid_payload")
    present = any(_is(subject)(m) for m in get_presence().members(room.id))
    if not present and subject_role is None:
        raise _not_in_room(subject)
    until = now_ms() + minutes * 60_000
    entry = db.session.get(RoomMute, (room.id, subject.key))
    if entry is None:
        entry = RoomMute(room_id=room.id, subject=subject.key)
        db.session.add(entry)
    entry.name, entry.until, entry.by_id = subject.name, until, actor.id
    span = f"{minutes} minute{'s' if minutes != 1 else ''}"
    notice = _announce(
        room.id, f"{subject.name} was muted for {span} by {actor.display_name}."
    )
    audit.record(room.id, actor, "mute", subject.name, span)
    db.session.commit()
    _broadcast(notice)
    return subject, until


def unmute(room: Room, actor: User, raw_name: object) -> Subject:
    """End someone's mute now. Raises ServiceError: access refusals, "not_muted"."""
    _, subject, _ = _target(room, actor, "unmute", raw_name)
    entry = db.session.get(RoomMute, (room.id, subject.key))
    if entry is None or entry.until <= now_ms():
        raise ServiceError(f"{subject.name} is not muted.", "not_muted")
    db.session.delete(entry)
    notice = _announce(room.id, f"{subject.name} may post again.")
    audit.record(room.id, actor, "unmute", subject.name)
    db.session.commit()
    _broadcast(notice)
    return subject


def delete_message(room: Room, actor: User, message_id: object) -> Message:
    """Erase a message's text and location for everyone (the row and its seq
    stay); the room gets `messageDeleted`. Raises ServiceError: access
    refusals, "not_found" (no such message in this room, or deleted already)."""
    actor_role = access.require(room, actor, "delete_message")
    message = msgs.find_in_room(room.id, message_id)  # notices are never found
    if message.user_id != actor.id:
        access.check_outranks(actor_role, access.role_of(room.id, message.user_id))
    msgs.erase(message)
    audit.record(room.id, actor, "delete_message", message.username,
                 f"message #{message.seq}")  # fmt: skip
    db.session.commit()
    emit_deleted(message)
    return message


def emit_deleted(message: Message) -> None:
    """Tell the message's room it was erased: `messageDeleted` {"id", "seq"}."""
    socketio.emit(
        "messageDeleted",
        {"id": message.id, "seq": message.seq},
        to=room_key(message.room_id),
    )


def set_role(room: Room, actor: User, raw_name: object, role: object) -> Subject:
    """Make a member a moderator ("promote": owner and moderators) or a
    moderator a member ("demote": the owner). Raises ServiceError: access
    refusals, "invalid_payload" (role), "not_in_room" (not a member; guests
    cannot be moderators), "already"."""
    if role not in (MODERATOR, MEMBER):
        raise ServiceError('Role must be "moderator" or "member".', "invalid_payload")
    action = "promote" if role == MODERATOR else "demote"
    actor_role = access.require(room, actor, action)
    subject = access.find_subject(raw_name)
    membership = (
        db.session.get(Membership, (room.id, subject.user_id))
        if subject.user_id is not None
        else None
    )
    if membership is None:
        raise _not_in_room(subject)
    if membership.role == role:
        raise ServiceError(f"{subject.name} is a {role} already.", "already")
    if action == "demote" or membership.role == OWNER:
        access.check_outranks(actor_role, membership.role)
    membership.role = role
    audit.record(room.id, actor, action, subject.name)
    db.session.commit()
    can = access.allowed(room, role)
    payload = {"roomId": room.id, "role": role, "can": can,
               "joinCode": room.join_code if "invite" in can else None}  # fmt: skip
    for member in get_presence().members(room.id):
        if member.user_id == subject.user_id:
            socketio.emit("membership", payload, to=member.sid)
    chat.emit_room_data(room.id)
    emit_my_rooms([subject.user_id])
    return subject
