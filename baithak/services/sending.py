"""Sending: storing what people send, once per client id, and delivering it.

Text and locations go through the group-commit writer (services.writer)
before anyone gets them, so an ok ack means the message is stored; a
re-send under the same clientId is answered as a duplicate, never stored
twice (docs/protocol.md, "Idempotent sends").
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from ..extensions import db
from ..models import Message
from . import ServiceError, access, activity, ratelimit, unread
from . import messages as msgs
from .chat import NOT_JOINED, broadcast, joined_member
from .names import fold
from .presence import Member
from .ratelimit import Who
from .writer import Draft, RoomGoneError, get_writer


@dataclass(frozen=True)
class Sent:
    """A message accepted from a sender; `duplicate`: it had been stored
    before, under the same client id, and was not broadcast again."""

    message: Message
    duplicate: bool = False

    def to_ack(self) -> dict[str, Any]:
        """Return the send ack's data: {"id", "seq", "duplicate"}."""
        return {
            "id": self.message.id,
            "seq": self.message.seq,
            "duplicate": self.duplicate,
        }


def send_text(sid: str, payload: object, ip: str | None = None) -> Sent:
    """Store a text message from `sid` and emit `message` to its whole room.

    `payload` is the text, or {"text": str, "clientId": str, "replyTo": id}.
    A clientId the sender used before in the room returns that message again,
    stored and sent once (see _send). `replyTo` is the id of a message people
    sent in the same room, not deleted. Raises ServiceError if `sid` has not
    joined a room, the text is invalid (see messages.check_text), the reply's
    original is not in the room ("not_found"), or the sender is over its
    rate limit; nothing is stored or sent then.
    """
    member = joined_member(sid)
    raw_text, client_id = msgs.unpack_text(payload)
    if (resent := _check_sender(member, client_id, ip)) is not None:
        return resent
    text = msgs.check_text(raw_text)
    reply_to = payload.get("replyTo") if isinstance(payload, dict) else None
    if reply_to is not None:
        reply_to = msgs.find_in_room(member.room_id, reply_to).id
    return _send(member, Draft(member.room_id, "text", member.name, text,
                               member.user_id, client_id=client_id,
                               reply_to_id=reply_to))  # fmt: skip


def send_location(sid: str, payload: object, ip: str | None = None) -> Sent:
    """Store a location from `sid` and emit `locationMessage` to its whole room.

    `payload` is {"latitude", "longitude"} in degrees, optionally with a
    "clientId" as for send_text. Raises ServiceError if not joined, the
    coordinates are invalid, or the sender is over its rate limit.
    """
    member = joined_member(sid)
    client_id = msgs.check_client_id(
        payload.get("clientId") if isinstance(payload, dict) else None
    )
    if (resent := _check_sender(member, client_id, ip)) is not None:
        return resent
    lat, lon = msgs.check_coordinates(payload)
    url = msgs.MAPS_URL.format(latitude=lat, longitude=lon)
    draft = Draft(
        member.room_id, "location", member.name, url, member.user_id, lat, lon,
        client_id,
    )  # fmt: skip
    return _send(member, draft)


def _send(member: Member, draft: Draft) -> Sent:
    """Store a valid message once per client id and broadcast it.

    A re-send (its ack was lost, or the connection dropped first) finds the
    stored message, which is not broadcast again: everyone got it the first
    time, or fetches it from history after their reconnect. A client id
    someone else used is refused rather than answered with their message.
    """
    # Give this handler's database connection back before waiting for the
    # batch (the mute check reads through it): twenty senders
    # waiting while each held one emptied the pool (15), so the writer could
    # not get one and every waiter timed out after 30 s (bench/, warm-up).
    db.session.commit()
    try:
        message, duplicate = get_writer().write(draft)
    except RoomGoneError:  # deleted while the message waited for its batch
        raise ServiceError(NOT_JOINED, "not_joined") from None
    # Stored already: a presence store out of reach (several processes) must
    # neither turn the ack into an error now nor keep the broadcast back.
    with contextlib.suppress(ServiceError):
        activity.stop_typing(member.sid)  # sent: no longer typing it
    if duplicate:
        return _as_duplicate(member, message)
    broadcast(message)
    with contextlib.suppress(ServiceError):
        unread.push_after_message(message)  # members elsewhere: their sidebars
    return Sent(message)


def _as_duplicate(member: Member, message: Message) -> Sent:
    # An account's own message whatever its name was then (it may have
    # renamed since); a guest's by name, as guests have nothing else.
    ours = (
        message.user_id == member.user_id
        if member.user_id is not None
        else message.user_id is None and fold(message.username) == member.key
    )
    if not ours:
        raise ServiceError(
            "That clientId belongs to another message; use a new one.",
            "client_id_taken",
        )
    return Sent(message, duplicate=True)


def _check_sender(member: Member, client_id: str | None, ip: str | None) -> Sent | None:
    """Count the send against the sender's rate limit and refuse it if they
    are muted; return None when it may go on. A refused re-send of a message
    stored already (its ack was lost, then a mute or the limit came) is
    answered as that message's duplicate instead: the room has it, so the
    sender must hear it was sent. (Looked up only when refused: the writer
    finds duplicates itself, in the batch's transaction.)"""
    try:
        ratelimit.hit("send", Who(member.sid, member.user_id, ip))
        access.check_not_muted(member.room_id, member.user_id, member.name)
    except ServiceError:
        if (resent := _resent(member, client_id)) is not None:
            return resent
        raise
    return None


def _resent(member: Member, client_id: str | None) -> Sent | None:
    """A re-send of a message stored already (its ack was lost) is answered
    as a duplicate before any limit or mute that came since applies: the
    room has it, so the sender must hear it was sent."""
    if client_id is None:
        return None
    message = msgs.find_by_client_id(member.room_id, client_id)
    return _as_duplicate(member, message) if message is not None else None
