"""Room administration: rename, guests welcome or not, delete the room, and
the lists the settings page shows (members, bans).

Like services.moderation: each checks the actor's role (access.require),
makes its change and its audit entry in one transaction, then pushes the
result live (`roomData`, `myRooms`, `removed`).
"""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    MEMBER,
    MODERATOR,
    OWNER,
    PRIVATE,
    PUBLIC,
    AuditEntry,
    Invite,
    Membership,
    Message,
    Reaction,
    Room,
    RoomBan,
    RoomMute,
    User,
)
from . import ServiceError, access, audit
from . import messages as msgs
from .chat import broadcast
from .names import check_room_name, fold
from .removal import remove_connections
from .roomdata import emit_room_data
from .rooms import emit_my_rooms, find_room


def rename(room: Room, actor: User, raw_name: object) -> Room:
    """Rename the room (a public room's new name must be free among public
    rooms). Raises ServiceError: access refusals, name errors, "room_exists"."""
    access.require(room, actor, "rename")
    name = check_room_name(raw_name)
    if room.kind == PUBLIC:
        other = find_room(name)
        if other is not None and other.id != room.id:
            raise ServiceError(
                "A room with that name already exists.", "room_exists"
            ) from None
        room.name_key = fold(name)
    old, room.name = room.name, name
    try:
        notice = msgs.add_system(
            room.id, f"{actor.display_name} renamed the room to {name}."
        )
        audit.record(room.id, actor, "rename", None, f"{old} -> {name}")
        db.session.commit()
    except sa.exc.IntegrityError:  # taken meanwhile
        db.session.rollback()
        raise ServiceError(
            "A room with that name already exists.", "room_exists"
        ) from None
    broadcast(notice)
    emit_room_data(room.id)
    emit_my_rooms(access.roles(room.id))
    return room


def set_guests_welcome(room: Room, actor: User, welcome: bool) -> None:
    """Let guests in with the join code (private rooms), or stop: guests in
    the room then are taken out now. Raises ServiceError: access refusals,
    "invalid" for a room that is not private."""
    access.require(room, actor, "invite")
    if room.kind != PRIVATE:
        raise ServiceError("Only private rooms have a guest setting.", "invalid")
    room.guests_welcome = bool(welcome)
    audit.record(room.id, actor, "guests_welcome", None, "on" if welcome else "off")
    db.session.commit()
    if not welcome:
        text = f"{room.name} is now for members only."
        if remove_connections(room.id, lambda m: m.user_id is None, "guests_off",
                              text, by=actor.display_name):  # fmt: skip
            emit_room_data(room.id)


def delete_room(room: Room, actor: User) -> None:
    """Delete the room with its messages, memberships, bans, mutes, invites
    and audit log (owner only); everyone in it gets `removed` ("deleted")
    and every member's sidebar updates. Raises ServiceError: access refusals
    (the global room has no owner, so nobody deletes it)."""
    access.require(room, actor, "delete_room")
    member_ids = list(access.roles(room.id))
    room_id, name = room.id, room.name
    in_room = sa.select(Message.id).where(Message.room_id == room_id)
    db.session.execute(sa.delete(Reaction).where(Reaction.message_id.in_(in_room)))
    for model in (Message, Membership, RoomBan, RoomMute, Invite, AuditEntry):
        db.session.execute(sa.delete(model).where(model.room_id == room_id))
    db.session.delete(room)
    db.session.commit()
    audit.log.info("room %s (%r) deleted by %s", room_id, name, actor.display_name)
    text = f"{actor.display_name} deleted {name}."
    remove_connections(room_id, lambda m: True, "deleted", text, by=actor.display_name)
    emit_my_rooms(member_ids)


def members(room: Room, viewer: User) -> list[tuple[User, str]]:
    """Return the room's members and roles, owner first then by name, for
    those who may moderate (access "kick"). Raises access refusals."""
    access.require(room, viewer, "kick")
    rows = db.session.execute(
        sa.select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.room_id == room.id)
    ).all()
    order = {OWNER: 0, MODERATOR: 1, MEMBER: 2}
    return sorted(
        ((u, r) for u, r in rows), key=lambda r: (order[r[1]], r[0].display_name_key)
    )


def bans(room: Room, viewer: User) -> list[RoomBan]:
    """Return the room's bans, newest first, for those who may unban."""
    access.require(room, viewer, "unban")
    return list(
        db.session.execute(
            sa.select(RoomBan)
            .where(RoomBan.room_id == room.id)
            .order_by(RoomBan.created_at.desc())
        ).scalars()
    )
