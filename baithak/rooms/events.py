"""Socket.IO handlers for the chat, default namespace "/".

Client -> server (every event is acked; see docs/protocol.md):
    join {username, room} or {username, roomId} or {username, code}
                            -> ack(null, {room, roomId, kind, role, can, joinCode,
                                          username, messages, hasMore})
    myRooms                 -> ack(null, {rooms: [{id, title, kind, role, online,
                                                unread}]})
    markRead {seq}          -> ack(null, {seq})
    openDirect {username}   -> ack(null, {roomId, room})
    sendMessage text or {text, clientId[, replyTo]} -> ack(null, {id, seq, duplicate})
    sendLocation {latitude, longitude[, clientId]}
                            -> ack(null, {id, seq, duplicate, url})
    loadHistory {before} or {after} -> ack(null, {messages, hasMore})
    (editMessage, deleteMessage, react, searchHistory: rooms.message_events;
    moderation: rooms.moderation_events)
    presence {state: "active" | "away"} -> ack(null, {status})
    typing {typing: bool}   -> ack(null, {})
Server -> client: message, locationMessage, roomData, myRooms (emitted by
services.chat); messageEdited, messageDeleted, reactions (services.edits,
services.moderation, services.reactions); unread (services.unread);
typing {username, typing} (services.activity);
shutdown (baithak.shutdown) when the server is stopping.
Errors: ack("<human-readable error>", {"code": "<stable code>", ...details}).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError

from .. import shutdown
from ..extensions import db, socketio
from ..models import User
from ..services import ServiceError, activity, chat, heartbeat, sending, unread, wire
from ..services.connections import get_connections
from ..services.presence import get_presence
from ..services.ratelimit import Who
from ..services.rooms import my_rooms, open_direct, room_title, user_key

log = logging.getLogger(__name__)

Ack = tuple[Any, ...] | None


def acked(handler: Callable[..., Any]) -> Callable[..., Ack]:
    """Turn a handler's result into an ack: (None, data) on success, or
    (error, {"code": code}) for a ServiceError or an unexpected failure."""

    @functools.wraps(handler)
    def wrapper(*args: Any) -> Ack:
        try:
            with shutdown.in_flight():
                # Only the first argument is the payload; extra ones are ignored.
                return None, handler(args[0] if args else None)
        except ServiceError as exc:
            log.info("%s refused for %s: %s", handler.__name__, request.sid, exc.code)
            return exc.message, {"code": exc.code, **exc.details}
        except Exception:
            # One bad event must not take the connection (or the server) down.
            log.exception("%s failed for %s", handler.__name__, request.sid)
            db.session.rollback()
            return "Something went wrong; please try again.", {"code": "internal"}

    return wrapper


def current_account() -> User | None:
    """Return the connection's account (its session cookie), or None: a guest."""
    return current_user if current_user.is_authenticated else None


@socketio.on("join")
@acked
def on_join(payload: Any = None) -> dict[str, Any]:
    """A client joins a room; see services.chat.join for what is broadcast."""
    if not isinstance(payload, dict):
        raise ServiceError("Join needs {username, room}.", "invalid_payload")
    result = chat.join(
        request.sid,
        current_account(),
        payload.get("username"),
        payload.get("room"),
        request.remote_addr,
        room_id=payload.get("roomId"),
        code=payload.get("code"),
    )
    return result.to_ack()


@socketio.on("myRooms")
@acked
def on_my_rooms(_payload: Any = None) -> dict[str, Any]:
    """An account asks for the rooms it is a member of (a guest gets none)."""
    user = current_account()
    return {"rooms": [r.to_payload() for r in my_rooms(user)] if user else []}


@socketio.on("openDirect")
@acked
def on_open_direct(payload: Any = None) -> dict[str, Any]:
    """An account opens (or creates) its direct conversation with another."""
    user = current_account()
    if user is None:
        raise ServiceError("Log in to send direct messages.", "login_required")
    if not isinstance(payload, dict):
        raise ServiceError("openDirect needs {username}.", "invalid_payload")
    who = Who(request.sid, user.id, request.remote_addr)
    room = open_direct(user, payload.get("username"), who)
    return {"roomId": room.id, "room": room_title(room, user.id)}


@socketio.on("markRead")
@acked
def on_mark_read(payload: Any = None) -> dict[str, Any]:
    """An account has seen its room up to a seq; see services.unread.mark_read."""
    return {"seq": unread.mark_read(request.sid, current_account(), payload)}


@socketio.on("sendMessage")
@acked
def on_send_message(payload: Any = None) -> dict[str, Any]:
    """A client sends text; `message` goes to everyone in its room."""
    return sending.send_text(request.sid, payload, request.remote_addr).to_ack()


@socketio.on("sendLocation")
@acked
def on_send_location(payload: Any = None) -> dict[str, Any]:
    """A client shares its location; `locationMessage` goes to everyone in its room."""
    sent = sending.send_location(request.sid, payload, request.remote_addr)
    return sent.to_ack() | {"url": sent.message.text}


@socketio.on("loadHistory")
@acked
def on_load_history(payload: Any = None) -> dict[str, Any]:
    """A client asks for messages before or after an id; they come in the ack."""
    page, has_more = chat.history_page(request.sid, payload, request.remote_addr)
    return {"messages": wire.payloads(page), "hasMore": has_more}


@socketio.on("presence")
@acked
def on_presence(payload: Any = None) -> dict[str, Any]:
    """A tab reports its person active or away; roomData follows if their
    status changed (services.activity.report_presence)."""
    return activity.report_presence(request.sid, payload, request.remote_addr)


@socketio.on("typing")
@acked
def on_typing(payload: Any = None) -> dict[str, Any]:
    """A client starts or stops typing; the others in its room get `typing`."""
    return activity.set_typing(request.sid, payload, request.remote_addr)


@socketio.on("connect")
def on_connect(*_args: Any) -> Ack:
    """A new connection is accepted (guests join with `join`, accounts carry
    their session cookie); an *event* named "connect" is unknown."""
    if socketio.server.manager.is_connected(request.sid, "/"):
        return on_unknown("connect")  # connected already: a client-sent event
    heartbeat.start(current_app._get_current_object())
    try:
        get_connections().open(request.sid, request.remote_addr)
    except ServiceError as exc:
        log.info("connection refused from %s: %s", request.remote_addr, exc.code)
        raise ConnectionRefusedError(exc.message) from None
    user = current_account()
    if user is not None:  # for what concerns the account: its room list, removals
        socketio.server.enter_room(request.sid, user_key(user.id), namespace="/")
        get_presence().connect(request.sid, user.id)
    return None


@socketio.on("*")
def on_unknown(event: Any = None, *_args: Any) -> Ack:
    """Any other event: acked with an error, so no client waits forever."""
    log.info("unknown event %r from %s", str(event)[:64], request.sid)
    return "Unknown event.", {"code": "unknown_event"}


@socketio.on("disconnect")
def on_disconnect(reason: Any = None) -> Ack:
    """A connection closed: the others get "<name> has left!" and roomData."""
    if socketio.server.manager.is_connected(request.sid, "/"):
        # A client emitted an event named "disconnect"; the socket is still open.
        return on_unknown("disconnect")
    get_connections().close(request.sid)
    try:
        get_presence().disconnect(request.sid)
        if shutdown.stopping():
            # The server is going away, not the person: no "has left!" (they
            # come back here or, behind a load balancer, to another process,
            # and heartbeat.retire takes this process's people out then).
            return None
        chat.leave(request.sid)
    except Exception:
        log.exception("leave failed for %s", request.sid)
        db.session.rollback()
    return None
