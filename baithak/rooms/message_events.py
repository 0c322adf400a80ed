"""Socket.IO handlers for everyday messaging, default namespace "/".

Each acts on the room the connection has joined (a message id of another
room is "not_found"), as the connection's person, acked like every event
(rooms.events.acked; docs/protocol.md):
    editMessage {id, text}  -> ack(null, {id, seq, text, editedAt});
                               the room gets messageEdited {id, seq, text, editedAt}
    deleteMessage {id}      -> ack(null, {id, seq}); one's own, or anyone's for
                               a moderator; the room gets messageDeleted {id, seq}
    react {id, emoji}       -> ack(null, {id, reactions}); the room gets
                               reactions {id, reactions: [{emoji, count, users}]}
    searchHistory {query}   -> ack(null, {messages, hasMore}), newest first
What each does: services.edits, services.reactions, services.search.
"""

from __future__ import annotations

from typing import Any

from flask import request

from ..extensions import socketio
from ..services import chat, edits, ratelimit, reactions, search
from ..services.ratelimit import Who
from .events import acked, current_account


@socketio.on("editMessage")
@acked
def on_edit_message(payload: Any = None) -> dict[str, Any]:
    """The author changes the text of their own message."""
    member = chat.joined_member(request.sid)
    return edits.edit_message(member, payload, request.remote_addr)


@socketio.on("deleteMessage")
@acked
def on_delete_message(payload: Any = None) -> dict[str, Any]:
    """The author, or a moderator, erases a message for everyone."""
    user = current_account()
    ratelimit.hit("moderate", Who(request.sid, user.id if user else None,
                                  request.remote_addr))  # fmt: skip
    room = chat.current_room(request.sid)
    member = chat.joined_member(request.sid)
    data = payload if isinstance(payload, dict) else {}
    message = edits.delete_message(room, member, user, data.get("id"))
    return {"id": message.id, "seq": message.seq}


@socketio.on("react")
@acked
def on_react(payload: Any = None) -> dict[str, Any]:
    """Someone toggles an emoji reaction on a message."""
    member = chat.joined_member(request.sid)
    return reactions.toggle(member, payload, request.remote_addr)


@socketio.on("searchHistory")
@acked
def on_search_history(payload: Any = None) -> dict[str, Any]:
    """Someone searches the room's messages; the hits come in the ack."""
    member = chat.joined_member(request.sid)
    return search.search(member, payload, request.remote_addr)
