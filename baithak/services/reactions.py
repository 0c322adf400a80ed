"""Emoji reactions: a person toggles one of a fixed set of emoji on a message
in the room they joined; the room sees each message's new counts live.

A person is an access.Subject ("u:<user id>", or "g:<folded name>" for a
guest), so an account's tabs share their reactions and a guest's name is
theirs in the room, as for bans and mutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from ..extensions import db, socketio
from ..models import Reaction, User
from . import ServiceError, access, ratelimit
from . import messages as msgs
from .presence import Member
from .ratelimit import Who
from .rooms import room_key

# The emoji one may react with, in the order a message shows them: thumbs
# up, red heart, tears of joy, open mouth, crying face, party popper.
ALLOWED = ("👍", "❤️", "😂", "😮", "😢", "🎉")
VS16 = "\ufe0f"  # emoji presentation selector: "❤" and "❤️" are one heart
_CANONICAL = {e.replace(VS16, ""): e for e in ALLOWED}
_ORDER = {e: i for i, e in enumerate(ALLOWED)}


def check_emoji(raw: object) -> str:
    """Return the allowed emoji `raw` is (with or without U+FE0F), or raise
    ServiceError("invalid_emoji")."""
    emoji = _CANONICAL.get(raw.replace(VS16, "")) if isinstance(raw, str) else None
    if emoji is None:
        raise ServiceError(
            f"React with one of {' '.join(ALLOWED)}.",
            "invalid_emoji",
            details={"allowed": list(ALLOWED)},
        )
    return emoji


def summaries(message_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Return {message id: [{"emoji", "count", "users": [names]}]} for the
    messages that have reactions, emoji in ALLOWED order, names in the order
    people reacted. One query, whatever the number of messages."""
    ids = list(set(message_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Reaction.message_id, Reaction.emoji, Reaction.name, Reaction.subject)
        .where(Reaction.message_id.in_(ids))
        .order_by(Reaction.created_at, Reaction.subject)
    ).all()
    # An account is shown under its name now (it may have renamed since):
    # one more query for all of them; a guest under the name it reacted as.
    account_ids = {int(r.subject[2:]) for r in rows if r.subject.startswith("u:")}
    current = dict(
        db.session.execute(
            sa.select(User.id, User.display_name).where(User.id.in_(account_ids))
        ).all()
    ) if account_ids else {}  # fmt: skip
    grouped: dict[int, dict[str, list[str]]] = {}
    for message_id, emoji, name, subject in rows:
        if subject.startswith("u:"):
            name = current.get(int(subject[2:]), name)
        grouped.setdefault(message_id, {}).setdefault(emoji, []).append(name)
    return {
        message_id: [
            {"emoji": emoji, "count": len(names), "users": names}
            for emoji, names in sorted(
                by_emoji.items(), key=lambda item: _ORDER.get(item[0], len(ALLOWED))
            )
        ]
        for message_id, by_emoji in grouped.items()
    }


def toggle(member: Member, payload: object, ip: str | None = None) -> dict[str, Any]:
    """Add the member's reaction `payload["emoji"]` to message
    `payload["id"]` in their room, or take it back if they had it; return
    and emit `reactions` {"id", "reactions": [...]} (see summaries) to the
    room. Raises ServiceError: "rate_limited" ("react"), "muted",
    "invalid_emoji", "not_found" (no such message in the member's room, a
    system notice, or a deleted one); nothing changes then."""
    ratelimit.hit("react", Who(member.sid, member.user_id, ip))
    access.check_not_muted(member.room_id, member.user_id, member.name)
    data = payload if isinstance(payload, dict) else {}
    emoji = check_emoji(data.get("emoji"))
    message = msgs.find_in_room(member.room_id, data.get("id"))
    subject = access.Subject.of(member.user_id, member.name).key
    key = (message.id, subject, emoji)
    mine = db.session.get(Reaction, key)
    if mine is not None:
        db.session.delete(mine)
    else:
        db.session.add(Reaction(message_id=message.id, subject=subject, emoji=emoji,
                                name=member.name))  # fmt: skip
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # the same toggle from another tab, meanwhile
        db.session.rollback()
    result = {
        "id": message.id,
        "reactions": summaries([message.id]).get(message.id, []),
    }
    socketio.emit("reactions", result, to=room_key(member.room_id))
    return result
