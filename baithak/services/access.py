"""Who may enter, read and do what in a room: roles, the permission table,
bans and mutes.

Every HTTP route and socket handler that touches a room asks this module, so
each rule lives in one place. docs/permissions.md shows PERMISSIONS as a table
(tests/test_permissions.py keeps the two in step).

Privacy rule: to someone who may not see a private room, it does not exist.
Every refusal that would tell "exists" from "not allowed" is NOT_FOUND.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    DIRECT,
    MEMBER,
    MODERATOR,
    OWNER,
    PRIVATE,
    PUBLIC,
    Membership,
    Message,
    Room,
    RoomBan,
    RoomMute,
    User,
    now_ms,
)
from . import ServiceError, by_id
from .names import clean, fold
from .presence import Member, get_presence

# What each role may do in a room (guests and non-members: nothing here). A
# moderator acts only on people ranked below them (members and guests); the
# owner on everyone but themself. Direct conversations have no owner or
# moderators, so none of this applies there.
PERMISSIONS: dict[str, frozenset[str]] = {
    "kick": frozenset({OWNER, MODERATOR}),
    "ban": frozenset({OWNER, MODERATOR}),
    "unban": frozenset({OWNER, MODERATOR}),
    "mute": frozenset({OWNER, MODERATOR}),
    "unmute": frozenset({OWNER, MODERATOR}),
    "delete_message": frozenset({OWNER, MODERATOR}),
    "promote": frozenset({OWNER, MODERATOR}),
    "demote": frozenset({OWNER}),
    "rename": frozenset({OWNER, MODERATOR}),
    # Invite links, the join code and "guests welcome".
    "invite": frozenset({OWNER, MODERATOR}),
    "delete_room": frozenset({OWNER}),
    "audit_log": frozenset({OWNER}),
}
# Higher acts on lower; guests and non-members rank with members.
RANK = {OWNER: 2, MODERATOR: 1, MEMBER: 0, None: 0}

NOT_FOUND_TEXT = "Room not found."


def not_found() -> ServiceError:
    """The one refusal for a room that does not exist *or* may not be seen."""
    return ServiceError(NOT_FOUND_TEXT, "not_found")


def forbidden() -> ServiceError:
    """The refusal for an action one's role in a (visible) room does not allow."""
    return ServiceError("You are not allowed to do that in this room.", "forbidden")


@dataclass(frozen=True)
class Subject:
    """Someone a ban, mute or kick is about: an account, or a guest by name.

    `key` is "u:<user id>" or "g:<folded name>"; `name` is as shown.
    """

    key: str
    name: str
    user_id: int | None

    @classmethod
    def of(cls, user_id: int | None, name: str) -> Subject:
        """The subject for an account (by id) or, with no id, a guest (by name)."""
        key = f"u:{user_id}" if user_id is not None else f"g:{fold(name)}"
        return cls(key, name, user_id)


def is_author(message: Message, member: Member) -> bool:
    """Return True if the person on this connection wrote `message`: an
    account's messages are its own in every tab; a guest's are those it sent
    under the same name since it joined the room on this connection — a
    later guest who takes a free name is someone else, and must not rewrite
    the first one's words. Nobody wrote system notices."""
    if message.kind == "system":
        return False
    if member.user_id is not None:
        return message.user_id == member.user_id
    return (
        message.user_id is None
        and Subject.of(None, message.username).key == Subject.of(None, member.name).key
        and message.created_at >= member.joined_at
    )


def find_subject(raw_name: object, room_id: int | None = None) -> Subject:
    """Return who a moderator means by a name: a guest of that name present
    in room `room_id`, else the account whose display name or username it is,
    else a guest of that name. (A guest may not take an account's names, but
    may hold one taken before the account was registered: the one in the
    room is the one meant.) Raises ServiceError("required") for an empty name."""
    name = clean(raw_name)
    if not name:
        raise ServiceError("Say who: a name is required.", "required")
    key = fold(name)
    if room_id is not None:
        for member in get_presence().members(room_id):
            if member.user_id is None and member.key == key:
                return Subject.of(None, member.name)
    user = db.session.execute(
        sa.select(User).where(
            sa.or_(User.display_name_key == key, User.username_key == key)
        )
    ).scalar_one_or_none()
    if user is not None:
        return Subject.of(user.id, user.display_name)
    return Subject.of(None, name[:32])


def role_of(room_id: int, user_id: int | None) -> str | None:
    """Return the account's role in the room ("owner", "moderator",
    "member"), or None for a guest or a non-member."""
    if user_id is None:
        return None
    return db.session.execute(
        sa.select(Membership.role).where(
            Membership.room_id == room_id, Membership.user_id == user_id
        )
    ).scalar_one_or_none()


def roles(room_id: int) -> dict[int, str]:
    """Return {user id: role} for every member of the room."""
    rows = db.session.execute(
        sa.select(Membership.user_id, Membership.role).where(
            Membership.room_id == room_id
        )
    )
    return {user_id: role for user_id, role in rows}


def allowed(room: Room, role: str | None) -> list[str]:
    """Return the actions (PERMISSIONS keys) `role` may take in `room`, sorted."""
    if room.kind == DIRECT:
        return []
    return sorted(a for a, who in PERMISSIONS.items() if role in who)


def room_by_id(room_id: object) -> Room:
    """Return the room with that id, whoever may see it; raise NOT_FOUND if
    there is none (or `room_id` is no id)."""
    room = by_id(Room, room_id)
    if room is None:
        raise not_found()
    return room


def visible_room(room_id: object, user: User | None) -> Room:
    """Return the room with that id if `user` (None: a guest) may see it: any
    public room; a private room or direct conversation only to its members.
    Raises NOT_FOUND otherwise, the same as for an id that does not exist."""
    room = room_by_id(room_id)
    if room.kind != PUBLIC and role_of(room.id, user.id if user else None) is None:
        raise not_found()
    return room


def require(room: Room, user: User | None, action: str) -> str:
    """Return the user's role if it may take `action` (a PERMISSIONS key) in
    `room`. Raises NOT_FOUND if the user may not even see the room, else
    "forbidden"."""
    role = role_of(room.id, user.id if user else None)
    if role is None and room.kind != PUBLIC:
        raise not_found()
    if room.kind == DIRECT or role not in PERMISSIONS[action]:
        raise forbidden()
    return role


def check_outranks(actor_role: str, target_role: str | None) -> None:
    """Raise "forbidden" unless the actor ranks above the target (a moderator
    cannot act on another moderator or on the owner; nobody on the owner)."""
    if RANK[actor_role] <= RANK[target_role]:
        raise ServiceError(
            "You cannot do that to someone with the same role or a higher one.",
            "forbidden",
        )


def check_entry(room: Room, user: User | None, name: str, via_code: bool) -> None:
    """Raise ServiceError unless this person may enter `room` now.

    Public rooms: anyone not banned. Private rooms: members, and with the
    room's join code (`via_code`) any account, or a guest when the room
    welcomes guests. Direct conversations: their two members. Refusals:
    NOT_FOUND (a private room one cannot know about), "banned",
    "login_required" (a guest with the code of a members-only room).
    """
    user_id = user.id if user else None
    is_member = role_of(room.id, user_id) is not None
    if room.kind == DIRECT and not is_member:
        raise not_found()
    if room.kind == PRIVATE and not is_member and not via_code:
        raise not_found()
    check_not_banned(room, user_id, name)
    if room.kind == PRIVATE and user is None and not room.guests_welcome:
        raise ServiceError(
            "This room is for members only; log in to join it.", "login_required"
        )


def check_not_banned(room: Room, user_id: int | None, name: str) -> None:
    """Raise ServiceError("banned") if this person may not be in the room."""
    if is_banned(room.id, Subject.of(user_id, name).key):
        raise ServiceError("You are banned from this room.", "banned")


def admit(room: Room, user: User | None) -> tuple[str | None, bool]:
    """Make an account that entered `room` (check_entry passed) a member if it
    is not one yet; return its role (None for a guest) and whether it is
    new. Adds to the session; the caller commits."""
    if user is None:
        return None, False
    role = role_of(room.id, user.id)
    if role is not None:
        return role, False
    # What is there already comes with the join's history: nothing unread.
    db.session.add(Membership(room_id=room.id, user_id=user.id, role=MEMBER,
                              last_read_seq=room.last_seq))  # fmt: skip
    return MEMBER, True


def is_banned(room_id: int, subject_key: str) -> bool:
    """Return True if the subject ("u:<id>" / "g:<folded name>") is banned."""
    return db.session.get(RoomBan, (room_id, subject_key)) is not None


# The send path's one extra query: a primary-key lookup, in SQLAlchemy Core.
_MUTED_UNTIL = sa.select(RoomMute.until).where(
    RoomMute.room_id == sa.bindparam("rid"),
    RoomMute.subject == sa.bindparam("subject"),
)


def check_not_muted(room_id: int, user_id: int | None, name: str) -> None:
    """Raise ServiceError("muted", details {"until": ms since the epoch}) if
    the person is muted in the room now."""
    subject = Subject.of(user_id, name).key
    until = db.session.execute(
        _MUTED_UNTIL, {"rid": room_id, "subject": subject}
    ).scalar()
    if until is not None and until > now_ms():
        minutes = max(1, -(-(until - now_ms()) // 60_000))
        raise ServiceError(
            f"You are muted in this room for {minutes} more minute"
            f"{'s' if minutes != 1 else ''}.",
            "muted",
            details={"until": until},
        )
