"""A room's audit log: every moderation and settings action, who did it to
whom and when. Only the owner reads it (access.PERMISSIONS["audit_log"])."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEntry, Room, User
from . import access

log = logging.getLogger(__name__)

PAGE = 100  # entries per page of the log


def record(
    room_id: int,
    actor: User | None,
    action: str,
    target: str | None = None,
    detail: str | None = None,
) -> AuditEntry:
    """Add an entry to the session (the caller commits it with the change it
    records, so the log never shows an action that did not happen). `actor`
    None is the system. Also logged to the application log."""
    entry = AuditEntry(
        room_id=room_id,
        actor_id=actor.id if actor else None,
        actor_name=actor.display_name if actor else "System",
        action=action,
        target=target[:64] if target else None,
        detail=detail[:256] if detail else None,
    )
    db.session.add(entry)
    log.info(
        "room %s: %s by %s on %s (%s)",
        room_id, action, entry.actor_name, target, detail,
    )  # fmt: skip
    return entry


def entries(
    room: Room, viewer: User | None, before: int | None = None
) -> tuple[list[AuditEntry], bool]:
    """Return a page of the room's log, newest first, and whether older
    entries remain; `before` is an entry id. Raises ServiceError (NOT_FOUND
    or "forbidden") unless `viewer` may read it (access.require)."""
    access.require(room, viewer, "audit_log")
    stmt = sa.select(AuditEntry).where(AuditEntry.room_id == room.id)
    if before is not None:
        stmt = stmt.where(AuditEntry.id < before)
    rows = list(
        db.session.execute(
            stmt.order_by(AuditEntry.id.desc()).limit(PAGE + 1)
        ).scalars()
    )
    return rows[:PAGE], len(rows) > PAGE
