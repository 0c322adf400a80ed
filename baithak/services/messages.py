"""Messages: what a valid message is, storing it, and reading a room's history."""

from __future__ import annotations

import math
import re
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import Message, Reaction, Room, now_ms
from . import MAX_ID, ServiceError, by_id
from .names import SYSTEM_NAME
from .profanity import PROFANITY, contains_profanity

# The course app's link; q=<lat>,<lon> puts a pin on the coordinates.
MAPS_URL = "https://google.com/maps?q={latitude},{longitude}"

# Line ends become "\n"; other control characters (Unicode category Cc: C0,
# DEL and C1), except tab, are removed from message text.
_LINE_END = re.compile("\r\n?")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def check_text(raw: object) -> str:
    """Return the text to store, or raise ServiceError (wrong type, empty, too
    long, invalid characters, profane).

    The text is kept as sent (surrounding whitespace, emoji, joiners,
    right-to-left marks, combining marks included) but for control
    characters: "\r\n" and a lone "\r" become "\n", and every other control
    character but newline and tab is removed. What is left must not be only
    whitespace. Profanity: see services.profanity.
    """
    if not isinstance(raw, str):
        raise ServiceError("Message must be a string of text.", "invalid_payload")
    text = _CONTROL.sub("", _LINE_END.sub("\n", raw))
    if not text.strip():
        raise ServiceError("Message is empty.", "empty")
    if any("\ud800" <= ch <= "\udfff" for ch in text):  # not encodable as UTF-8
        raise ServiceError("Message contains invalid characters.", "invalid_text")
    limit = current_app.config["BAITHAK_MAX_MESSAGE_LENGTH"]
    if len(text) > limit:
        raise ServiceError(f"Message is too long (max {limit} characters).", "too_long")
    if contains_profanity(text):
        raise ServiceError(PROFANITY, "profanity")
    return text


# A client's id for its message: what crypto.randomUUID() or 22+ random
# base64url characters give, and no more than the column holds.
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def check_client_id(raw: object) -> str | None:
    """Return the client id (8-64 of A-Z a-z 0-9 _ -), None when absent, or
    raise ServiceError("invalid_client_id")."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not CLIENT_ID.fullmatch(raw):
        raise ServiceError(
            "clientId must be 8-64 letters, digits, '-' or '_'.", "invalid_client_id"
        )
    return raw


def unpack_text(payload: object) -> tuple[object, str | None]:
    """Split a sendMessage payload into (raw text, client id or None).

    The payload is the text itself (the course app's form) or
    {"text": str, "clientId": str}. Raises ServiceError for a bad client id.
    """
    if isinstance(payload, dict):
        return payload.get("text"), check_client_id(payload.get("clientId"))
    return payload, None


def check_coordinates(raw: object) -> tuple[float, float]:
    """Return (latitude, longitude) in degrees, or raise ServiceError if invalid.

    Latitude must be within [-90, 90] and longitude within [-180, 180]; booleans,
    strings, NaN and infinities are refused.
    """
    error = ServiceError(
        "Location must be {latitude, longitude} in degrees "
        "(latitude -90..90, longitude -180..180).",
        "invalid_location",
    )
    if not isinstance(raw, dict):
        raise error
    lat, lon = raw.get("latitude"), raw.get("longitude")
    for value in (lat, lon):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise error
        if not math.isfinite(value):
            raise error
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise error
    return float(lat), float(lon)


def store(room_id: int, kind: str, username: str, text: str) -> Message:
    """Add a message to the session with its id, seq and createdAt (ms since
    the Unix epoch) set; the caller commits. For the notices a join or leave
    stores in its own transaction; what people send goes through
    services.writer (group commit)."""
    message = Message(
        room_id=room_id,
        seq=_next_seq(room_id),
        kind=kind,
        username=username,
        text=text,
    )
    db.session.add(message)
    db.session.flush()  # sets the id and createdAt
    return message


# A stored message: the model, or a row of its table (same attribute names).
StoredMessage = Message | sa.Row[Any]

# Take a room's next sequence number inside the current transaction. The
# UPDATE locks the room's row (SQLite: the whole database) until the
# transaction ends, so two writers never get the same number, and a rolled
# back message gives its number back: seqs have no gap and no repeat.
NEXT_SEQ = (
    sa.update(Room.__table__)
    .where(Room.__table__.c.id == sa.bindparam("rid"))
    .values(last_seq=Room.__table__.c.last_seq + 1)
    .returning(Room.__table__.c.last_seq)
)


def _next_seq(room_id: int) -> int:
    return db.session.execute(NEXT_SEQ, {"rid": room_id}).scalar_one()


def add_system(room_id: int, text: str) -> Message:
    """Add a system message (joined/left) to the session; the caller commits."""
    return store(room_id, "system", SYSTEM_NAME, text)


def history(
    room_id: int, before: int | None = None, after: int | None = None
) -> tuple[list[StoredMessage], bool]:
    """Return one page of a room's history, oldest first, and whether more
    lie beyond it. The messages are rows with Message's attributes (read
    without the ORM's unit of work: a join reads up to 200 of them).

    Default: the newest page; `before`: the page just older than that message
    id (more = older ones remain). Such a page holds the last
    BAITHAK_HISTORY_PAGE messages people sent and the join/leave notices
    among them (BAITHAK_HISTORY_NOTICES at most), so a busy classroom's
    notices never push the conversation out of view. `after`: the
    BAITHAK_HISTORY_PAGE messages of any kind just newer than that id (more =
    newer ones remain), for catching up after a reconnect.
    Anchors beyond services.MAX_ID lie beyond every message.
    """
    limit = current_app.config["BAITHAK_HISTORY_PAGE"]
    stmt = sa.select(*Message.__table__.c).where(Message.room_id == room_id)
    if after is not None:
        stmt = stmt.where(Message.id > min(after, MAX_ID)).order_by(Message.id)
        rows = db.session.execute(stmt.limit(limit + 1)).all()
        return rows[:limit], len(rows) > limit
    if before is not None and before <= MAX_ID:  # larger: every one is older
        stmt = stmt.where(Message.id < before)
    newest_first = stmt.order_by(Message.id.desc())
    said = newest_first.where(Message.kind != "system").with_only_columns(Message.id)
    boundary = db.session.execute(said.offset(limit - 1).limit(1)).scalar()
    if boundary is not None:
        newest_first = newest_first.where(Message.id >= boundary)
    cap = limit + current_app.config["BAITHAK_HISTORY_NOTICES"]
    rows = db.session.execute(newest_first.limit(cap)).all()
    if not rows:
        return [], False
    older = stmt.where(Message.id < rows[-1].id).with_only_columns(Message.id)
    return rows[::-1], db.session.execute(older.limit(1)).first() is not None


_BY_CLIENT_ID = sa.select(*Message.__table__.c).where(
    Message.room_id == sa.bindparam("rid"), Message.client_id == sa.bindparam("cid")
)


def find_by_client_id(room_id: int, client_id: str) -> StoredMessage | None:
    """Return the room's message stored under this client id, or None."""
    return db.session.execute(_BY_CLIENT_ID, {"rid": room_id, "cid": client_id}).first()


NO_SUCH_MESSAGE = "No such message in this room."


def find_in_room(room_id: int, raw_id: object) -> Message:
    """Return the message with id `raw_id` in room `room_id` that people sent
    (text or location) and that is not deleted. Raises
    ServiceError("not_found") otherwise: a message of another room is not
    told apart from one that does not exist."""
    message = by_id(Message, raw_id)
    if (
        message is None
        or message.room_id != room_id
        or message.kind == "system"
        or message.deleted_at is not None
    ):
        raise ServiceError(NO_SUCH_MESSAGE, "not_found")
    return message


def erase(message: Message) -> None:
    """Stage erasing a message: its text, location and reactions go, the row
    and its seq stay (history shows it as deleted); the caller commits."""
    message.text, message.latitude, message.longitude = "", None, None
    message.deleted_at = now_ms()
    db.session.execute(sa.delete(Reaction).where(Reaction.message_id == message.id))


# A reply quotes this much of the original (characters), "…" included.
EXCERPT_LENGTH = 100


def excerpt(original: StoredMessage) -> dict[str, Any]:
    """Return how a reply quotes its original: {"id", "username", "kind",
    "text"} with the text's first EXCERPT_LENGTH characters on one line (the
    maps link for a location), or {"id", "username", "kind", "deleted": true}."""
    quote: dict[str, Any] = {
        "id": original.id,
        "username": original.username,
        "kind": original.kind,
    }
    if original.deleted_at is not None:
        return quote | {"deleted": True}
    text = " ".join(original.text.split())
    if len(text) > EXCERPT_LENGTH:
        text = text[: EXCERPT_LENGTH - 1].rstrip() + "…"
    return quote | {"text": text}


def to_payload(
    message: StoredMessage,
    reply_to: dict[str, Any] | None = None,
    reactions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return the wire form of a stored message (see docs/protocol.md).

    Text and system messages: {"id", "seq", "kind", "username", "text",
    "createdAt"} plus "system": true for system ones and "guest": bool for the
    others, and "clientId" when the sender gave one;
    location messages carry "url", "latitude" and "longitude" instead of "text".
    An edited one has "editedAt" (ms since the epoch); a reply has "replyTo",
    the `reply_to` quote (see excerpt); `reactions`, when not empty, goes in
    as "reactions" (see services.reactions.summaries). A deleted message has
    "deleted": true and neither text nor location, edit, quote or reactions.
    """
    payload: dict[str, Any] = {}
    if message.id is not None:
        payload |= {"id": message.id, "seq": message.seq}
    if message.client_id is not None:
        payload["clientId"] = message.client_id
    payload |= {
        "kind": message.kind,
        "username": message.username,
        "createdAt": message.created_at,
    }
    if message.deleted_at is not None:  # erased: only that it was there remains
        return payload | {"deleted": True, "guest": message.user_id is None}
    if message.kind == "location":
        payload["url"] = message.text
        payload["latitude"] = message.latitude
        payload["longitude"] = message.longitude
    else:
        payload["text"] = message.text
    if message.kind == "system":
        payload["system"] = True
    else:
        payload["guest"] = message.user_id is None
    if message.edited_at is not None:
        payload["editedAt"] = message.edited_at
    if reply_to is not None:
        payload["replyTo"] = reply_to
    if reactions:
        payload["reactions"] = reactions
    return payload


def event_name(message: Message) -> str:
    """Return the Socket.IO event a stored message is broadcast as."""
    return "locationMessage" if message.kind == "location" else "message"
