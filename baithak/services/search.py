"""Searching the joined room's messages: a case-insensitive substring match.

On SQLite the text and the query are compared in unicodetext.comparable form
(NFKC, invisible characters dropped, case-folded: SQLite's own lower() knows
only ASCII), through the SQL function `baithak_fold` that baithak.sqlite
registers on each connection. Other databases (PostgreSQL) use lower(),
which is Unicode-aware there. A plain LIKE scan of one room, newest first:
no full-text index to keep in step with edits and deletes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Message
from . import ServiceError, ratelimit, wire
from .presence import Member
from .ratelimit import Who
from .unicodetext import comparable

MAX_HITS = 50
MAX_QUERY = 100  # characters


def check_query(raw: object) -> str:
    """Return the query, whitespace runs made one space and the ends trimmed,
    or raise ServiceError("invalid_query") for one that is not a string of
    1-MAX_QUERY characters, or of nothing visible (zero-width characters
    alone would match every message)."""
    query = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not comparable(query).strip() or len(query) > MAX_QUERY:
        raise ServiceError(
            f"Search for 1-{MAX_QUERY} characters of text.", "invalid_query"
        )
    return query


def like_pattern(needle: str) -> str:
    """Return a LIKE pattern matching `needle` anywhere, its own % _ and \\
    taken literally (escape character "\\")."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(member: Member, payload: object, ip: str | None = None) -> dict[str, Any]:
    """Return {"messages": [...], "hasMore": bool}: the newest MAX_HITS text
    messages of the member's room whose text contains `payload["query"]`
    (any case), newest first, as history payloads; deleted messages, notices
    and locations never match. Raises ServiceError: "rate_limited"
    ("history"), "invalid_query"."""
    ratelimit.hit("history", Who(member.sid, member.user_id, ip))
    data = payload if isinstance(payload, dict) else {}
    query = check_query(data.get("query"))
    if db.engine.dialect.name == "sqlite":
        text, needle = sa.func.baithak_fold(Message.text), comparable(query)
    else:
        text, needle = sa.func.lower(Message.text), query.lower()
    rows = db.session.execute(
        sa.select(*Message.__table__.c)
        .where(
            Message.room_id == member.room_id,
            Message.kind == "text",
            Message.deleted_at.is_(None),
            text.like(like_pattern(needle), escape="\\"),
        )
        .order_by(Message.id.desc())
        .limit(MAX_HITS + 1)
    ).all()
    return {"messages": wire.payloads(rows[:MAX_HITS]), "hasMore": len(rows) > MAX_HITS}
