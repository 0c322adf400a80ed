"""People editing and deleting their own messages (moderators delete anyone's:
services.moderation). Who wrote a message: access.is_author."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..extensions import db, socketio
from ..models import Message, Room, User, now_ms
from . import ServiceError, access, moderation, ratelimit
from . import messages as msgs
from .presence import Member
from .ratelimit import Who
from .rooms import room_key

NOT_YOURS = "You can only change your own messages."

# Only if still there: a delete committed meanwhile is never undone.
_EDIT = (
    sa.update(Message.__table__)
    .where(
        Message.__table__.c.id == sa.bindparam("mid"),
        Message.__table__.c.deleted_at.is_(None),
    )
    .values(text=sa.bindparam("text"), edited_at=sa.bindparam("at"))
)


def edit_message(
    member: Member, payload: object, ip: str | None = None
) -> dict[str, Any]:
    """Replace the text of the member's own text message `payload["id"]`
    with `payload["text"]` (checked as sendMessage checks it); return and
    emit `messageEdited` {"id", "seq", "text", "editedAt" (ms since the
    epoch)} to the room. The same text again changes and emits nothing.
    Raises ServiceError: "rate_limited" ("send"), "muted", "not_found" (no
    such message in the member's room, deleted, a notice), "forbidden"
    (someone else's, or a location), or what messages.check_text raises."""
    ratelimit.hit("send", Who(member.sid, member.user_id, ip))
    access.check_not_muted(member.room_id, member.user_id, member.name)
    data = payload if isinstance(payload, dict) else {}
    message = msgs.find_in_room(member.room_id, data.get("id"))
    if not access.is_author(message, member):
        raise ServiceError(NOT_YOURS, "forbidden")
    if message.kind != "text":
        raise ServiceError("Only text messages can be edited.", "forbidden")
    text = msgs.check_text(data.get("text"))
    changed = text != message.text
    if changed:
        at = now_ms()
        done = db.session.execute(_EDIT, {"mid": message.id, "text": text, "at": at})
        db.session.commit()
        if done.rowcount != 1:  # deleted meanwhile
            raise ServiceError(msgs.NO_SUCH_MESSAGE, "not_found")
        db.session.refresh(message)
    edited = {"id": message.id, "seq": message.seq, "text": message.text,
              "editedAt": message.edited_at}  # fmt: skip
    if changed:
        socketio.emit("messageEdited", edited, to=room_key(member.room_id))
    return edited


def delete_message(
    room: Room, member: Member, user: User | None, raw_id: object
) -> Message:
    """Erase message `raw_id` of the member's room for everyone: their own
    (any account or guest), or anyone's for a moderator (moderation.
    delete_message, audited). The room gets `messageDeleted` {"id", "seq"}.
    Raises ServiceError: "not_found" (no such message here, or deleted
    already), "forbidden" (someone else's, and not a moderator)."""
    message = msgs.find_in_room(room.id, raw_id)
    if not access.is_author(message, member):
        if user is None:
            raise ServiceError(NOT_YOURS, "forbidden")
        return moderation.delete_message(room, user, raw_id)
    msgs.erase(message)
    db.session.commit()
    moderation.emit_deleted(message)
    return message
