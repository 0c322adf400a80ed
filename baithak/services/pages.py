"""What the room pages read, each with its access check: the room and title
a chat page opens, the join-code form's check, a history page over HTTP, and
a room's settings page.

Like every service, these take the viewer explicitly (None: someone not
logged in) and raise ServiceError; a room the viewer may not see is NOT_FOUND.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import MEMBER, MODERATOR, Invite, Room, RoomBan, User, now_ms
from . import ServiceError, access, chat, invites, ratelimit, roomadmin
from . import messages as msgs
from .accounts import check_guests_allowed
from .ratelimit import Who
from .rooms import room_title

# The chat page's title for a room the viewer may not enter (yet): the join
# itself says why, and the page names no room it should not.
CODE_TITLE = "Join with a code"


@dataclass(frozen=True)
class ChatTarget:
    """Which room a chat page joins (by id, by join code or, for a public
    room, by name) and its title."""

    title: str
    room_id: int | None = None
    code: str | None = None
    name: str | None = None


def chat_by_id(room_id: object, viewer: User | None) -> ChatTarget:
    """Return the chat page for a room id; NOT_FOUND unless the viewer may
    see the room (access.visible_room)."""
    room = access.visible_room(room_id, viewer)
    return ChatTarget(room_title(room, viewer.id if viewer else None), room_id=room.id)


def chat_by_code(
    raw_code: object, viewer: User | None, name: str, ip: str | None
) -> ChatTarget:
    """Return the chat page for a join code; the title is the room's only if
    the viewer (as `name`) may enter it. Raises ServiceError("bad_code") and
    the "join_code" rate limit (chat.room_by_code)."""
    room = chat.room_by_code(raw_code, Who(None, viewer.id if viewer else None, ip))
    try:
        access.check_entry(room, viewer, name, via_code=True)
    except ServiceError:
        return ChatTarget(CODE_TITLE, code=room.join_code)
    return ChatTarget(
        room_title(room, viewer.id if viewer else None), code=room.join_code
    )


def check_code_join(
    viewer: User | None, raw_code: object, raw_name: object, ip: str | None
) -> tuple[str, str]:
    """Return (the room's join code, the name to chat under) if joining with
    this code would succeed now, for the join-code form (the socket join
    checks again). Raises ServiceError: "bad_code", the name's errors, and
    the refusals of access.check_entry ("banned", "login_required"), and the
    "join_code" rate limit (chat.room_by_code)."""
    room = chat.room_by_code(raw_code, Who(None, viewer.id if viewer else None, ip))
    name = chat.chat_name(viewer, raw_name)
    access.check_entry(room, viewer, name, via_code=True)
    return room.join_code, name


def history(
    room_id: object,
    viewer: User | None,
    before: int | None,
    after: int | None,
    ip: str | None,
) -> tuple[list[msgs.StoredMessage], bool]:
    """Return a page of a room's history (messages.history) for the viewer:
    any public room, a private room only to its members. Raises NOT_FOUND,
    "banned", "invalid_payload" (both anchors, or one out of range) and the
    "history" rate limit."""
    if viewer is None:
        check_guests_allowed()  # no account, no reading, where guests are off
    room = access.visible_room(room_id, viewer)
    if viewer is not None:
        access.check_not_banned(room, viewer.id, viewer.display_name)
    if (
        (before is not None and after is not None)
        or (before is not None and before < 1)
        or (after is not None and after < 0)
    ):
        raise ServiceError(
            "History needs ?before=<message id> or ?after=<message id>.",
            "invalid_payload",
        )
    ratelimit.hit("history", Who(None, viewer.id if viewer else None, ip))
    return msgs.history(room.id, before=before, after=after)


@dataclass(frozen=True)
class MemberRow:
    """A member on the settings page, and what the viewer may do to them
    ("promote", "demote", "remove")."""

    user: User
    role: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class RoomSettings:
    """A room's settings page: the room, the viewer's role there and what it
    allows, the members, the bans, the invites not revoked (`problems`: why
    one no longer works, by invite id)."""

    room: Room
    role: str
    can: list[str]
    members: list[MemberRow] = field(default_factory=list)
    bans: list[RoomBan] = field(default_factory=list)
    invites: list[Invite] = field(default_factory=list)
    problems: dict[int, str] = field(default_factory=dict)


def _actions_on(
    viewer: User, role: str, can: list[str], user: User, their_role: str
) -> tuple[str, ...]:
    """What the settings page offers to do to a member: what the permission
    table allows the viewer, on someone ranked below them (access.RANK)."""
    if user.id == viewer.id or access.RANK[role] <= access.RANK[their_role]:
        return ()
    offered = []
    if "promote" in can and their_role == MEMBER:
        offered.append("promote")
    if "demote" in can and their_role == MODERATOR:
        offered.append("demote")
    if "kick" in can:
        offered.append("remove")
    return tuple(offered)


def room_settings(room_id: object, viewer: User | None) -> RoomSettings:
    """Return the settings page of a room for its owner or a moderator.
    Raises NOT_FOUND (a room the viewer may not see) or "forbidden"."""
    room = access.visible_room(room_id, viewer)
    role = access.require(room, viewer, "invite")
    can = access.allowed(room, role)
    members = [
        MemberRow(user, their_role, _actions_on(viewer, role, can, user, their_role))
        for user, their_role in roomadmin.members(room, viewer)
    ]
    links = invites.list_invites(room, viewer)
    at = now_ms()
    problems = {i.id: p for i in links if (p := invites.problem(i, at))}
    return RoomSettings(
        room, role, can, members, roomadmin.bans(room, viewer), links, problems
    )
