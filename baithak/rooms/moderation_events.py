"""Socket.IO handlers for moderation, default namespace "/".

Each acts on the room the connection has joined (never on a room named in
the payload) as the connection's account, and is acked like every event
(see rooms.events.acked and docs/protocol.md):
    kick {username}            -> ack(null, {username})
    ban {username}             -> ack(null, {username})
    unban {username}           -> ack(null, {username})
    mute {username, minutes}   -> ack(null, {username, until})
    unmute {username}          -> ack(null, {username})
    deleteMessage {id}         -> in rooms.message_events (authors delete too)
    setRole {username, role}   -> ack(null, {username, role})
    renameRoom {name}          -> ack(null, {room})
    deleteRoom                 -> ack(null, {})
What each broadcasts: services.moderation. Who may: services.access.
"""

from __future__ import annotations

from typing import Any

from flask import request

from ..extensions import socketio
from ..models import Room, User
from ..services import ServiceError, chat, moderation, ratelimit, roomadmin
from ..services.ratelimit import Who
from .events import acked, current_account


def _context(payload: Any) -> tuple[Room, User, dict[str, Any]]:
    """Return the joined room, the acting account and the payload as a dict."""
    user = current_account()
    ratelimit.hit("moderate", Who(request.sid, user.id if user else None,
                                  request.remote_addr))  # fmt: skip
    room = chat.current_room(request.sid)
    if user is None:
        raise ServiceError("You are not allowed to do that in this room.", "forbidden")
    return room, user, payload if isinstance(payload, dict) else {}


@socketio.on("kick")
@acked
def on_kick(payload: Any = None) -> dict[str, Any]:
    """A moderator takes someone out of the room now."""
    room, user, data = _context(payload)
    return {"username": moderation.kick(room, user, data.get("username")).name}


@socketio.on("ban")
@acked
def on_ban(payload: Any = None) -> dict[str, Any]:
    """A moderator takes someone out and keeps them out."""
    room, user, data = _context(payload)
    return {"username": moderation.ban(room, user, data.get("username")).name}


@socketio.on("unban")
@acked
def on_unban(payload: Any = None) -> dict[str, Any]:
    """A moderator lets a banned person back in."""
    room, user, data = _context(payload)
    return {"username": moderation.unban(room, user, data.get("username")).name}


@socketio.on("mute")
@acked
def on_mute(payload: Any = None) -> dict[str, Any]:
    """A moderator stops someone posting for some minutes."""
    room, user, data = _context(payload)
    subject, until = moderation.mute(
        room, user, data.get("username"), data.get("minutes")
    )
    return {"username": subject.name, "until": until}


@socketio.on("unmute")
@acked
def on_unmute(payload: Any = None) -> dict[str, Any]:
    """A moderator ends someone's mute."""
    room, user, data = _context(payload)
    return {"username": moderation.unmute(room, user, data.get("username")).name}


@socketio.on("setRole")
@acked
def on_set_role(payload: Any = None) -> dict[str, Any]:
    """The owner or a moderator changes someone's role."""
    room, user, data = _context(payload)
    role = data.get("role")
    subject = moderation.set_role(room, user, data.get("username"), role)
    return {"username": subject.name, "role": role}


@socketio.on("renameRoom")
@acked
def on_rename_room(payload: Any = None) -> dict[str, Any]:
    """The owner or a moderator renames the room."""
    room, user, data = _context(payload)
    return {"room": roomadmin.rename(room, user, data.get("name")).name}


@socketio.on("deleteRoom")
@acked
def on_delete_room(payload: Any = None) -> dict[str, Any]:
    """The owner deletes the room."""
    room, user, _ = _context(payload)
    roomadmin.delete_room(room, user)
    return {}
