"""The people list of a room (`roomData`): who is there, with their role,
status (online or away) and an account's custom status."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from ..extensions import db, socketio
from ..models import Room, User
from . import access
from .presence import Member, get_presence
from .rooms import room_key


def people(room_id: int) -> list[dict[str, Any]]:
    """Return the room's people, in order of joining: [{username, guest,
    role, status}] where role is "owner", "moderator", "member" or None (a
    guest) and status "online" or "away"; accounts also carry statusText and
    statusEmoji (str, or None when unset)."""
    presence = get_presence()
    present = presence.people(room_id)
    roles = access.roles(room_id)
    ids = [m.user_id for m in present if m.user_id is not None]
    custom = {
        uid: (text, emoji)
        for uid, text, emoji in db.session.execute(
            sa.select(User.id, User.status_text, User.status_emoji).where(
                User.id.in_(ids)
            )
        )
    } if ids else {}  # fmt: skip
    users = []
    for m, status in zip(present, presence.statuses(present), strict=True):
        user: dict[str, Any] = {
            "username": m.name,
            "guest": m.user_id is None,
            "role": roles.get(m.user_id) if m.user_id is not None else None,
            "status": status,
        }
        if m.user_id is not None:
            text, emoji = custom.get(m.user_id, (None, None))
            user |= {"statusText": text, "statusEmoji": emoji}
        users.append(user)
    return users


# Under eventlet, changes to a room's people within this many seconds share
# one roomData: a class of 200 joining at once cost 200 full lists to each
# of up to 200 people (~170 MB of frames, measured in bench/ as twice the
# memory per connection); now a list every 0.1 s.
ROOM_DATA_DELAY_S = 0.1


def emit_room_data(room_id: int) -> None:
    """Emit `roomData` {room, roomId, kind, users: people(room_id)} to
    everyone in the room: at once when handlers run in threads (flask run,
    tests), else at most every ROOM_DATA_DELAY_S per room, with the people
    as they are then."""
    if socketio.server.eio.async_mode != "eventlet":
        _emit_now(room_id)
        return
    waiting = current_app.extensions.setdefault("baithak.room_data_waiting", set())
    if room_id in waiting:
        return  # the one already waiting will show this change too
    waiting.add(room_id)
    app = current_app._get_current_object()
    socketio.start_background_task(_emit_later, app, room_id, waiting)


def _emit_later(app: Flask, room_id: int, waiting: set[int]) -> None:
    socketio.sleep(ROOM_DATA_DELAY_S)
    with app.app_context():
        waiting.discard(room_id)
        try:
            _emit_now(room_id)
        finally:
            db.session.remove()


def _emit_now(room_id: int) -> None:
    room = db.session.get(Room, room_id)
    if room is None:
        return
    data = {"room": room.name, "roomId": room.id, "kind": room.kind,
            "users": people(room_id)}  # fmt: skip
    socketio.emit("roomData", data, to=room_key(room_id))


def emit_to_rooms(room_ids: Iterable[int]) -> None:
    """Emit a fresh `roomData` to each of these rooms."""
    for room_id in room_ids:
        emit_room_data(room_id)


def emit_if_status_changed(
    member: Member, before: str | None, skip: Iterable[int] = ()
) -> None:
    """Emit `roomData` to the rooms of `member`'s person (but `skip`, which
    got one already) if their status is no longer `before` (None: they were
    not online before, so there is nothing to correct elsewhere)."""
    presence = get_presence()
    if before is None or presence.status(member) == before:
        return
    emit_to_rooms(set(presence.rooms_of(member)) - set(skip))
