"""Unread counts: each member's read position in a room (Membership.last_read_seq)
and how many messages people sent after it.

A message counts as unread for a member when another person sent it (not a
system notice, not one's own, not deleted) and its seq is past the member's
last_read_seq. Only the room's newest UNREAD_WINDOW seqs are looked at, so a
count costs at most that many index rows however far behind someone is.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import Flask, current_app

from ..extensions import db, socketio
from ..models import Membership, Message, Room, User

# rooms imports this module for my_rooms: its names are read at call time.
from . import ServiceError, rooms
from .presence import get_presence

UNREAD_WINDOW = 1000

# The seq from which a member's unread messages are counted (exclusive).
_SINCE = sa.case(
    (
        Membership.last_read_seq > Room.last_seq - UNREAD_WINDOW,
        Membership.last_read_seq,
    ),
    else_=Room.last_seq - UNREAD_WINDOW,
)


def _counting(group_by: sa.ColumnElement[int]) -> sa.Select:
    """SELECT <group_by>, count of unread messages, over memberships; the
    caller adds which memberships."""
    return (
        sa.select(group_by, sa.func.count(Message.id))
        .select_from(Membership)
        .join(Room, Room.id == Membership.room_id)
        .join(
            Message,
            sa.and_(Message.room_id == Membership.room_id, Message.seq > _SINCE),
        )
        .where(
            Message.kind != "system",
            Message.deleted_at.is_(None),
            sa.or_(Message.user_id.is_(None), Message.user_id != Membership.user_id),
        )
        .group_by(group_by)
    )


def counts_for_user(user_id: int) -> dict[int, int]:
    """Return {room id: unread count} for the user's rooms with any unread
    (one grouped query for all of them)."""
    stmt = _counting(Membership.room_id).where(Membership.user_id == user_id)
    return dict(db.session.execute(stmt).all())


def counts_in_room(room_id: int, user_ids: Iterable[int]) -> dict[int, int]:
    """Return {user id: unread count} in one room for those of `user_ids`
    who are members with anything unread (one grouped query)."""
    ids = list(user_ids)
    if not ids:
        return {}
    stmt = _counting(Membership.user_id).where(
        Membership.room_id == room_id, Membership.user_id.in_(ids)
    )
    return dict(db.session.execute(stmt).all())


def mark_read(sid: str, user: User | None, payload: object) -> int:
    """Move the read position of `user` in the room connection `sid` has
    joined forward to `payload["seq"]` (clamped to the room's newest seq);
    return the position now. A seq behind it changes nothing.

    When the position moved, the account's connections get `unread {roomId,
    unread}` (its other tabs' sidebars). Raises ServiceError: "login_required"
    for a guest (guests keep no read position), "not_joined", or
    "invalid_payload" unless the payload is {"seq": int >= 0}.
    """
    if user is None:
        raise ServiceError(
            "Log in to keep track of what you have read.", "login_required"
        )
    member = get_presence().get(sid)
    if member is None:
        raise ServiceError("Join a room first.", "not_joined")
    seq = payload.get("seq") if isinstance(payload, dict) else None
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ServiceError(
            "markRead needs {seq: <a message's seq>}.", "invalid_payload"
        )
    room = db.session.get(Room, member.room_id)
    if room is None:
        raise ServiceError("Join a room first.", "not_joined")
    seq = min(seq, room.last_seq)
    moved = db.session.execute(
        sa.update(Membership)
        .where(
            Membership.room_id == room.id,
            Membership.user_id == user.id,
            Membership.last_read_seq < seq,
        )
        .values(last_read_seq=seq)
    ).rowcount
    db.session.commit()
    position = db.session.execute(
        sa.select(Membership.last_read_seq).where(
            Membership.room_id == room.id, Membership.user_id == user.id
        )
    ).scalar()
    if moved:
        unread = counts_in_room(room.id, [user.id]).get(user.id, 0)
        socketio.emit(
            "unread", {"roomId": room.id, "unread": unread}, to=rooms.user_key(user.id)
        )
    return position if position is not None else 0


def push_after_message(message: Message) -> None:
    """After `message` was broadcast in its room: send `unread {roomId,
    unread}` to each member who is connected but not in the room (not the
    sender), so their sidebars count it. Nothing for system notices.

    Under eventlet this runs in its own green thread, off the sender's ack;
    pushes asked for while one for the room is waiting are done by that one
    (it counts them all), so a busy room costs one count per batch.
    """
    if message.kind == "system":
        return
    if socketio.server.eio.async_mode != "eventlet":
        _push(message.room_id, message.user_id)
        return
    waiting = current_app.extensions.setdefault("baithak.unread_waiting", set())
    if message.room_id in waiting:
        return
    waiting.add(message.room_id)
    app = current_app._get_current_object()
    socketio.start_background_task(_push_later, app, message.room_id, waiting)


def _push_later(app: Flask, room_id: int, waiting: set[int]) -> None:
    with app.app_context():
        waiting.discard(room_id)
        try:
            _push(room_id, None)
        finally:
            db.session.remove()


def _push(room_id: int, sender_id: int | None) -> None:
    members = (
        db.session.execute(
            sa.select(Membership.user_id).where(Membership.room_id == room_id)
        )
        .scalars()
        .all()
    )
    if not members:  # a room of guests: nobody keeps a count (the common case)
        return
    presence = get_presence()
    present = {m.user_id for m in presence.members(room_id)}
    # Accounts with a connection somewhere else (any process).
    absent = list(
        presence.connected_accounts(
            [uid for uid in members if uid not in present and uid != sender_id]
        )
    )
    for uid, count in counts_in_room(room_id, absent).items():
        data = {"roomId": room_id, "unread": count}
        socketio.emit("unread", data, to=rooms.user_key(uid))
