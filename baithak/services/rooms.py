"""Rooms: finding and creating public rooms, private rooms and direct
conversations; join codes; listing them (with how many people are online)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from ..extensions import db, socketio
from ..models import DIRECT, OWNER, PRIVATE, PUBLIC, Membership, Room, User
from . import ServiceError, audit, ratelimit, unread
from .accounts import check_guests_allowed, find_account
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


def user_key(user_id: int) -> str:
    """Return the Socket.IO room every connection of an account is in."""
    return f"user:{user_id}"


def find_room(name: str) -> Room | None:
    """Return the public room whose cleaned name matches `name`
    case-insensitively (private rooms are never found by name)."""
    stmt = sa.select(Room).where(Room.name_key == fold(name))
    return db.session.execute(stmt).scalar_one_or_none()


def get_or_create_room(
    raw_name: object, creator: User | None = None, who: Who | None = None
) -> Room:
    """Return the named public room, creating it (`creator`, an account, as
    its owner) if it does not exist. Private rooms have no name to find.

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


def create_room(
    raw_name: object,
    creator: User | None,
    who: Who,
    kind: str = PUBLIC,
    guests_welcome: bool = False,
) -> Room:
    """Create and return a new room, `creator` (an account) as its owner.

    `kind` is "public" (listed; its name must be free among public rooms) or
    "private" (members only, names need not be unique: nobody outside can
    see them). Raises ServiceError if the name is invalid or taken, a guest
    creates a room where guests may not or a private room at all, or `who` is
    over the "create_room" rate limit (the same one joining a new room counts).
    """
    if kind not in (PUBLIC, PRIVATE):
        raise ValueError(f"cannot create a room of kind {kind!r} here")
    if creator is None:
        check_guests_allowed("Guests cannot create rooms; please log in.")
        if kind == PRIVATE:
            raise ServiceError(
                "Log in to create a private room.", "login_required", field="kind"
            )
    name = check_room_name(raw_name)
    taken = ServiceError("A room with that name already exists.", "room_exists")
    if kind == PUBLIC and find_room(name):
        raise taken
    ratelimit.hit("create_room", who)
    room = _insert(name, creator, kind, guests_welcome)
    if room is None:  # created by someone else meanwhile
        raise taken
    return room


def _insert(
    name: str,
    creator: User | None,
    kind: str = PUBLIC,
    guests_welcome: bool = False,
) -> Room | None:
    """Insert a room (its creator, if an account, as owner, and a join code);
    return None if a public room's name was taken (unique key)."""
    room = Room(
        name=name,
        name_key=fold(name) if kind == PUBLIC else None,
        kind=kind,
        guests_welcome=guests_welcome and kind == PRIVATE,
        created_by=creator,
        join_code=new_join_code() if creator is not None else None,
    )
    db.session.add(room)
    try:
        db.session.flush()  # sets room.id, or fails on a taken name
        if creator is not None:
            db.session.add(Membership(room_id=room.id, user_id=creator.id, role=OWNER))
            audit.record(room.id, creator, "create_room", None, f"{kind} room {name}")
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


# Join codes: 6 characters a teacher can read aloud and a class can type.
# No 0/O, 1/I/L: the letters people confuse (as in Crockford's base 32).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6  # 31**6 = 887 million codes; joins are rate-limited
_CODE_JUNK = re.compile(r"[\s\-]")


def new_join_code() -> str:
    """Return a fresh random join code (collisions are caught by the unique
    key; at 887 million codes they are rare)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def find_by_code(raw_code: object) -> Room | None:
    """Return the room with this join code, read case-insensitively and
    ignoring spaces and dashes ("k7q x2m" is "K7QX2M"); None if none has it."""
    if not isinstance(raw_code, str) or len(raw_code) > 32:
        return None
    code = _CODE_JUNK.sub("", raw_code).upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return db.session.execute(
        sa.select(Room).where(Room.join_code == code)
    ).scalar_one_or_none()


def open_direct(user: User, raw_username: object, who: Who) -> Room:
    """Return the direct conversation between `user` and the account named
    `raw_username` (username or display name), creating it with both as
    members (both get `myRooms` then). Raises ServiceError: "no_such_user"
    (guests have no direct messages), "invalid" for oneself, or the "join"
    rate limit (and "create_room" for a new one)."""
    other = find_account(raw_username)
    if other is None:
        raise ServiceError("There is no account with that name.", "no_such_user")
    if other.id == user.id:
        raise ServiceError("You cannot message yourself.", "invalid")
    low, high = sorted((user.id, other.id))
    dm_key = f"{low}:{high}"
    ratelimit.hit("join", who)  # opening one is the step before joining it
    stmt = sa.select(Room).where(Room.dm_key == dm_key)
    room = db.session.execute(stmt).scalar_one_or_none()
    if room is not None:
        return room
    ratelimit.hit("create_room", who)
    room = Room(name="Direct messages", kind=DIRECT, dm_key=dm_key, created_by=user)
    db.session.add(room)
    try:
        db.session.flush()
        db.session.add_all(
            [Membership(room_id=room.id, user_id=uid) for uid in (low, high)]
        )
        db.session.commit()
    except sa.exc.IntegrityError:  # the other person opened it meanwhile
        db.session.rollback()
        return db.session.execute(stmt).scalar_one()
    emit_my_rooms([low, high])  # a new conversation shows in both sidebars
    return room


def room_title(room: Room, viewer_id: int | None) -> str:
    """Return the room's name as `viewer_id` sees it: for a direct
    conversation, the other person's display name."""
    if room.kind != DIRECT or room.dm_key is None:
        return room.name
    ids = [int(i) for i in room.dm_key.split(":")]
    other_id = ids[1] if ids[0] == viewer_id else ids[0]
    other = db.session.get(User, other_id)
    return other.display_name if other is not None else "Former account"


@dataclass(frozen=True)
class MyRoom:
    """A room in an account's sidebar: its id, title, kind, role, people
    online, and how many messages there the account has not read."""

    id: int
    title: str
    kind: str
    role: str
    online: int
    unread: int = 0

    def to_payload(self) -> dict[str, object]:
        """Return the wire form (docs/protocol.md, `myRooms`)."""
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "role": self.role,
            "online": self.online,
            "unread": self.unread,
        }


def my_rooms(user: User) -> list[MyRoom]:
    """Return the rooms `user` is a member of: rooms first, then direct
    conversations, each by title (with unread counts: services.unread)."""
    counts = get_presence().counts()
    rows = db.session.execute(
        sa.select(Room, Membership.role)
        .join(Membership, Membership.room_id == Room.id)
        .where(Membership.user_id == user.id)
    ).all()
    unread_counts = unread.counts_for_user(user.id)
    mine = [
        MyRoom(room.id, room_title(room, user.id), room.kind, role,
               counts.get(room.id, 0), unread_counts.get(room.id, 0))
        for room, role in rows
    ]  # fmt: skip
    mine.sort(key=lambda r: (r.kind == DIRECT, fold(r.title), r.id))
    return mine


def ensure_global_room() -> Room:
    """Return the always-present global room, creating it on first use."""
    return get_or_create_room(current_app.config["BAITHAK_GLOBAL_ROOM"])


def list_rooms() -> list[RoomSummary]:
    """Return public rooms: the global room first, then busiest first, then by
    name. Private rooms and direct conversations are never listed here."""
    global_key = fold(current_app.config["BAITHAK_GLOBAL_ROOM"])
    counts = get_presence().counts()
    rooms = db.session.execute(sa.select(Room).where(Room.kind == PUBLIC)).scalars()
    summaries = [
        RoomSummary(r.name, counts.get(r.id, 0), r.name_key == global_key)
        for r in rooms
    ]
    summaries.sort(key=lambda s: (not s.is_global, -s.online, fold(s.name)))
    return summaries


def emit_my_rooms(user_ids: Iterable[int]) -> None:
    """Emit `myRooms` {rooms: [...]} to every connection of each of these
    accounts, whose rooms changed (one added, renamed or gone), so their
    sidebars show it."""
    # Nobody else to tell: their list is read when they come.
    for user_id in get_presence().connected_accounts(list(user_ids)):
        user = db.session.get(User, user_id)
        if user is not None:
            rooms = [r.to_payload() for r in my_rooms(user)]
            socketio.emit("myRooms", {"rooms": rooms}, to=user_key(user_id))
