"""What a connection says about its person: active or away (`presence`),
typing or not (`typing`); and the events that follow.

Events and payloads: docs/protocol.md. Like every service, these take the
sid and address explicitly and never read the request.
"""

from __future__ import annotations

from typing import Any

from ..extensions import socketio
from . import ServiceError, access, ratelimit
from .presence import Member, get_presence
from .ratelimit import Who
from .roomdata import emit_to_rooms
from .rooms import room_key

NOT_JOINED = "Join a room first."
STATES = {"active": False, "away": True}  # state -> away


def report_presence(sid: str, payload: object, ip: str | None = None) -> dict[str, Any]:
    """Record that connection `sid` is "active" or "away" (payload {"state"}).

    When that changes its person's status (all their connections away, or
    one of them active again) every room the person is in gets `roomData`;
    a single tab of three going away changes nothing. Returns {"status":
    "online" | "away"}, the person's status now. Raises ServiceError:
    "not_joined", "rate_limited" ("presence"), "invalid_payload".
    """
    member = _member(sid)
    ratelimit.hit("presence", Who(sid, member.user_id, ip))
    state = payload.get("state") if isinstance(payload, dict) else None
    if not isinstance(state, str) or state not in STATES:
        raise ServiceError(
            'Presence needs {state: "active" or "away"}.', "invalid_payload"
        )
    presence = get_presence()
    if presence.set_away(sid, STATES[state]):
        emit_to_rooms(presence.rooms_of(member))
    return {"status": presence.status(member)}


def set_typing(sid: str, payload: object, ip: str | None = None) -> dict[str, Any]:
    """Tell the others in `sid`'s room that its person is typing, or stopped
    (payload {"typing": bool}): they get `typing` {username, typing}.

    A start is sent on every report (clients refresh it every few seconds
    and forget it after ~6 s without one); a stop only if it was typing.
    Returns {}. Raises ServiceError: "not_joined", "rate_limited"
    ("typing"), "invalid_payload", "muted" (a muted person is not shown
    typing).
    """
    member = _member(sid)
    ratelimit.hit("typing", Who(sid, member.user_id, ip))
    typing = payload.get("typing") if isinstance(payload, dict) else None
    if not isinstance(typing, bool):
        raise ServiceError("Typing needs {typing: true or false}.", "invalid_payload")
    if typing:
        access.check_not_muted(member.room_id, member.user_id, member.name)
        get_presence().set_typing(sid, True)
        _emit_typing(member, True)
    else:
        stop_typing(sid)
    return {}


def stop_typing(sid: str) -> None:
    """If connection `sid` was typing, tell its room it stopped (it sent its
    message, left, or said so)."""
    member = get_presence().set_typing(sid, False)
    if member is not None:
        _emit_typing(member, False)


def _emit_typing(member: Member, typing: bool) -> None:
    socketio.emit(
        "typing",
        {"username": member.name, "typing": typing},
        to=room_key(member.room_id),
        skip_sid=member.sid,
    )


def _member(sid: str) -> Member:
    member = get_presence().get(sid)
    if member is None:
        raise ServiceError(NOT_JOINED, "not_joined")
    return member
