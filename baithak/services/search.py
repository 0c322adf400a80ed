"""Searching the joined room's messages: a case-insensitive substring match.

The text and the query are compared in unicodetext.comparable form (NFKC,
invisible characters dropped, case-folded), so "ÉCOLE" finds "école",
"STRASSE" finds "straße" and "hello" finds "hel\u200blo". On SQLite, whose
own lower() knows only ASCII, through the SQL function `baithak_fold` that
baithak.sqlite registers on each connection (Python's str.casefold). On
PostgreSQL the same steps in SQL (pg_fold), applied to the text and the
query alike, with lower() for the case folding: Unicode-aware in a database
whose LC_CTYPE is a UTF-8 locale (C.UTF-8, en_US.UTF-8...; with LC_CTYPE=C
it lowers ASCII only). lower() is not full case folding: sharp s = ss and
Greek final sigma = sigma are added to it; still told apart there, not on
SQLite, are rarer letters: Greek vowels with iota subscript and the same
vowel followed by iota, old Cyrillic letter variants, Cherokee lower case
and upper case. A plain LIKE scan of one room, newest first: no full-text
index to keep in step with edits and deletes.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Message
from . import ServiceError, ratelimit, wire
from .presence import Member
from .ratelimit import Who
from .unicodetext import IGNORABLE_PATTERN, comparable, without_ignorables

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


def _nfkc(text: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    # normalize() is the costly step (~4 us a message); is_normalized() has a
    # quick check that passes most text, which is NFKC already: 2.5x faster.
    return sa.case(
        (sa.func.is_normalized(text, sa.literal_column("'NFKC'")), text),
        else_=sa.func.normalize(text, sa.literal_column("NFKC")),  # a keyword
    )


def pg_fold(text: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """Return PostgreSQL SQL for unicodetext.comparable(text): NFKC, invisible
    characters dropped, lower() plus sharp s -> ss and final sigma -> sigma.
    (No NFKC again: lower() maps one character to one, which leaves NFKC
    text NFKC but for rare cases, and the query is folded alike anyway.)"""
    visible = sa.func.regexp_replace(_nfkc(text), IGNORABLE_PATTERN, "", "g")
    lowered = sa.func.replace(sa.func.lower(visible), "\u00df", "ss")
    return sa.func.replace(lowered, "\u03c2", "\u03c3")


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
        text = sa.func.baithak_fold(Message.text)
        pattern: str | sa.ColumnElement[str] = like_pattern(comparable(query))
    else:
        # Folded in SQL like the text; NFKC first, so that a fullwidth
        # percent sign is escaped as the "%" it becomes, not a wildcard.
        visible = without_ignorables(unicodedata.normalize("NFKC", query))
        text, pattern = (
            pg_fold(Message.text),
            pg_fold(sa.literal(like_pattern(visible))),
        )
    rows = db.session.execute(
        sa.select(*Message.__table__.c)
        .where(
            Message.room_id == member.room_id,
            Message.kind == "text",
            Message.deleted_at.is_(None),
            text.like(pattern, escape="\\"),
        )
        .order_by(Message.id.desc())
        .limit(MAX_HITS + 1)
    ).all()
    return {"messages": wire.payloads(rows[:MAX_HITS]), "hasMore": len(rows) > MAX_HITS}
