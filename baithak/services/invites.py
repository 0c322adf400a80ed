"""Invite links and join codes: creating, listing, revoking and accepting
invites (/invite/<token>), and giving a room a new join code.

An invite works while it is not revoked, not expired and not used up. Using
it makes an account a member of the room; an account that is a member
already uses nothing. Uses are counted by one guarded UPDATE, so two people
accepting at once can never take more than `max_uses` between them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import Invite, Room, User, now_ms
from . import ServiceError, access, audit, by_id
from .rooms import emit_my_rooms, new_join_code, room_title

# The form's choices: (value, label). Expiry in seconds; None: no limit.
EXPIRY_CHOICES: list[tuple[int | None, str]] = [
    (None, "Never"),
    (3600, "1 hour"),
    (86_400, "1 day"),
    (7 * 86_400, "7 days"),
]
MAX_USES_CHOICES: list[tuple[int | None, str]] = [(None, "Unlimited")] + [
    (n, str(n)) for n in (1, 5, 10, 25, 50, 100)
]
MAX_EXPIRY_S = 365 * 86_400
MAX_USES = 10_000


def _refusal(code: str) -> ServiceError:
    """The error for an invite that cannot be used, by code."""
    text = {
        "not_found": "This invite link is not valid.",
        "invite_revoked": "This invite link has been revoked.",
        "invite_expired": "This invite link has expired.",
        "invite_used_up": "This invite link has been used up.",
    }[code]
    return ServiceError(text, code)


def problem(invite: Invite, at: int | None = None) -> str | None:
    """Return why the invite cannot be used now ("invite_revoked",
    "invite_expired", "invite_used_up"), or None if it can."""
    if invite.revoked_at is not None:
        return "invite_revoked"
    if invite.expires_at is not None and invite.expires_at <= (at or now_ms()):
        return "invite_expired"
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        return "invite_used_up"
    return None


def _limit(value: object, most: int, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= most:
        raise ServiceError(f"{what} must be between 1 and {most}.", "invalid_payload")
    return value


def create_invite(
    room: Room, actor: User, expires_in_s: int | None, max_uses: int | None
) -> Invite:
    """Create an invite link to the room (owner and moderators); None means
    no expiry / no limit on uses. Raises ServiceError: access refusals,
    "invalid_payload" for an expiry or a number of uses out of range."""
    access.require(room, actor, "invite")
    expires_in_s = _limit(expires_in_s, MAX_EXPIRY_S, "Expiry (seconds)")
    max_uses = _limit(max_uses, MAX_USES, "Uses")
    invite = Invite(
        room_id=room.id,
        token=secrets.token_urlsafe(24),
        created_by_id=actor.id,
        expires_at=now_ms() + expires_in_s * 1000 if expires_in_s else None,
        max_uses=max_uses,
    )
    db.session.add(invite)
    db.session.flush()
    detail = (
        f"invite #{invite.id}: "
        f"{'no expiry' if expires_in_s is None else f'expires in {expires_in_s} s'}, "
        f"{'unlimited uses' if max_uses is None else f'{max_uses} uses'}"
    )
    audit.record(room.id, actor, "invite_create", None, detail)
    db.session.commit()
    return invite


def list_invites(room: Room, viewer: User) -> list[Invite]:
    """Return the room's invites that were not revoked, newest first (expired
    and used-up ones too: see `problem`). Raises access refusals."""
    access.require(room, viewer, "invite")
    stmt = (
        sa.select(Invite)
        .where(Invite.room_id == room.id, Invite.revoked_at.is_(None))
        .order_by(Invite.id.desc())
    )
    return list(db.session.execute(stmt).scalars())


def revoke_invite(room: Room, actor: User, invite_id: object) -> Invite:
    """Stop an invite link working. Raises ServiceError: access refusals,
    "not_found" (no such invite in this room, or revoked already)."""
    access.require(room, actor, "invite")
    invite = by_id(Invite, invite_id)
    if invite is None or invite.room_id != room.id or invite.revoked_at is not None:
        raise ServiceError("No such invite link.", "not_found")
    invite.revoked_at = now_ms()
    audit.record(room.id, actor, "invite_revoke", None, f"invite #{invite.id}")
    db.session.commit()
    return invite


def _find(token: object) -> Invite:
    if not isinstance(token, str) or not 0 < len(token) <= 64:
        raise _refusal("not_found")
    invite = db.session.execute(
        sa.select(Invite).where(Invite.token == token)
    ).scalar_one_or_none()
    if invite is None:
        raise _refusal("not_found")
    return invite


@dataclass(frozen=True)
class InviteStatus:
    """What the invite page shows: the room and its title when the link
    works, or the refusal (`error`) when it does not or `viewer` may not use
    it; `member` when the viewer is in the room already."""

    room: Room | None
    title: str | None
    error: ServiceError | None
    member: bool = False


def invite_status(token: object, viewer: User | None) -> InviteStatus:
    """Return what the invite page for `token` shows `viewer` (None: someone
    not logged in). A link that does not work names no room."""
    try:
        invite = _find(token)
        if code := problem(invite):
            raise _refusal(code)
        room = db.session.get(Room, invite.room_id)
        if viewer is not None:
            _check_not_banned(room, viewer)
    except ServiceError as exc:
        return InviteStatus(None, None, exc)
    member = viewer is not None and access.role_of(room.id, viewer.id) is not None
    title = room_title(room, viewer.id if viewer else None)
    return InviteStatus(room, title, None, member)


def _check_not_banned(room: Room, user: User) -> None:
    access.check_not_banned(room, user.id, user.display_name)


def _take_one_use(invite_id: int) -> bool:
    """Count one use if the invite still works; False if it does not (one
    statement, so concurrent accepts cannot pass max_uses)."""
    t = Invite.__table__
    result = db.session.execute(
        sa.update(t)
        .where(
            t.c.id == invite_id,
            t.c.revoked_at.is_(None),
            sa.or_(t.c.expires_at.is_(None), t.c.expires_at > now_ms()),
            sa.or_(t.c.max_uses.is_(None), t.c.uses < t.c.max_uses),
        )
        .values(uses=t.c.uses + 1)
    )
    return result.rowcount == 1


def accept_invite(token: object, user: User) -> Room:
    """Make `user` a member of the invite's room and return the room; a
    member already uses nothing. Raises ServiceError: "not_found",
    "invite_revoked", "invite_expired", "invite_used_up", "banned"."""
    invite = _find(token)
    if code := problem(invite):
        raise _refusal(code)
    room = db.session.get(Room, invite.room_id)
    _check_not_banned(room, user)
    if access.role_of(room.id, user.id) is not None:
        return room
    if not _take_one_use(invite.id):
        db.session.rollback()
        db.session.refresh(invite)
        raise _refusal(problem(invite) or "invite_used_up")
    access.admit(room, user)  # a member like any other: nothing unread
    audit.record(room.id, user, "invite_accept", None, f"invite #{invite.id}")
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # the same account accepted meanwhile
        db.session.rollback()
        return room
    emit_my_rooms([user.id])
    return room


def regenerate_join_code(room: Room, actor: User) -> str:
    """Give the room a new join code (the old one stops working at once) and
    return it. Raises access refusals."""
    access.require(room, actor, "invite")
    for _ in range(5):
        had_one, room.join_code = room.join_code is not None, new_join_code()
        detail = "the old code no longer works" if had_one else "first code"
        audit.record(room.id, actor, "join_code_regenerate", None, detail)
        try:
            db.session.commit()
            return room.join_code
        except sa.exc.IntegrityError:  # the code is another room's: try again
            db.session.rollback()
    raise RuntimeError("no free join code after 5 tries")
