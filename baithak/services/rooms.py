"""Rooms: finding, creating and listing them (with how many people are online)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import Room, User
from . import ServiceError, ratelimit
from .accounts import check_guests_allowed
from .names import check_room_name, fold
from .presence import get_presence
from .ratelimit import Who


@dataclass(frozen=True)
class RoomSummary:
    """A lobby row: the room, and how many people are in it right now."""

    name: str
    online: int
    is_global: bool


def room_key(room_id: int) -> str:
    """Return the Socket.IO room name for a room id (never a client-given name)."""
    return f"room:{room_id}"


def find_room(name: str) -> Room | None:
    """Return the room whose cleaned name matches `name` case-insensitively."""
    stmt = sa.select(Room).where(Room.name_key == fold(name))
    return db.session.execute(stmt).scalar_one_or_none()


def get_or_create_room(
    raw_name: object, creator: User | None = None, who: Who | None = None
) -> Room:
    """Return the named room, creating it as a public room if it does not exist.

    A new room counts against `who`'s "create_room" rate limit (none when
    `who` is None: the system's own rooms). Raises ServiceError if the name
    is empty, too long, or over that limit.
    """
    name = check_room_name(raw_name)
    room = find_room(name)
    if room is None:
        if who is not None:
            ratelimit.hit("create_room", who)
        room = _insert(name, creator)
    return room or _existing(name)  # None: created by someone else meanwhile


def create_room(raw_name: object, creator: User | None, who: Who) -> Room:
    """Create and return a new public room; raise ServiceError if the name is
    taken, `creator` is a guest where guests are not allowed, or `who` is over
    the "create_room" rate limit (the same one joining a new room counts)."""
    if creator is None:
        check_guests_allowed("Guests cannot create rooms; please log in.")
    name = check_room_name(raw_name)
    taken = ServiceError("A room with that name already exists.", "room_exists")
    if find_room(name):
        raise taken
    ratelimit.hit("create_room", who)
    room = _insert(name, creator)
    if room is None:  # created by someone else meanwhile
        raise taken
    return room


def _insert(name: str, creator: User | None) -> Room | None:
    """Insert a public room; return None if its name was taken (unique key)."""
    room = Room(name=name, name_key=fold(name), created_by=creator)
    db.session.add(room)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return None
    return room


def _existing(name: str) -> Room:
    room = find_room(name)
    if room is None:  # inserted, refused as a duplicate, yet not there
        raise RuntimeError(f"room {name!r} vanished while being created")
    return room


def ensure_global_room() -> Room:
    """Return the always-present global room, creating it on first use."""
    return get_or_create_room(current_app.config["BAITHAK_GLOBAL_ROOM"])


def list_rooms() -> list[RoomSummary]:
    """Return public rooms: the global room first, then busiest first, then by name."""
    global_key = fold(current_app.config["BAITHAK_GLOBAL_ROOM"])
    counts = get_presence().counts()
    rooms = db.session.execute(
        sa.select(Room).where(Room.is_private.is_(False))
    ).scalars()
    summaries = [
        RoomSummary(r.name, counts.get(r.id, 0), r.name_key == global_key)
        for r in rooms
    ]
    summaries.sort(key=lambda s: (not s.is_global, -s.online, fold(s.name)))
    return summaries
