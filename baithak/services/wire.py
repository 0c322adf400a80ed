"""Wire forms of stored messages together with their context: the quote of
the message each reply answers, and each message's reactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Message
from . import messages as msgs
from .reactions import summaries

_ORIGINALS = sa.select(*Message.__table__.c)


def quotes(reply_to_ids: set[int]) -> dict[int, dict[str, Any]]:
    """Return {original's id: its quote (messages.excerpt)} in one query."""
    if not reply_to_ids:
        return {}
    rows = db.session.execute(_ORIGINALS.where(Message.id.in_(reply_to_ids)))
    return {row.id: msgs.excerpt(row) for row in rows}


def payloads(
    messages: Sequence[msgs.StoredMessage], reactions: bool = True
) -> list[dict[str, Any]]:
    """Return messages.to_payload of each message with its "replyTo" quote and
    (unless `reactions` is False: a message just sent has none) its
    "reactions": two queries for a whole history page."""
    quoted = quotes({m.reply_to_id for m in messages if m.reply_to_id is not None})
    reacted = summaries(m.id for m in messages if m.id is not None) if reactions else {}
    return [
        msgs.to_payload(
            m,
            reply_to=quoted.get(m.reply_to_id) if m.reply_to_id is not None else None,
            reactions=reacted.get(m.id),
        )
        for m in messages
    ]
