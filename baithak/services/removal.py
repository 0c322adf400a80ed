"""Taking connections out of a room now: for kicks, bans, deleted rooms,
guests turned away, and guests holding a name an account has taken."""

from __future__ import annotations

from collections.abc import Callable

from ..extensions import db, socketio
from ..models import Room
from .activity import stop_typing
from .presence import Member, get_presence
from .rooms import room_key, room_title


def remove_connections(
    room_id: int,
    which: Callable[[Member], bool],
    reason: str,
    text: str,
    by: str | None = None,
) -> list[Member]:
    """Take every connection in the room that `which` picks out of it now:
    each gets `removed` {roomId, room, reason, by, text}, then leaves the
    Socket.IO room. Stores nothing and emits no roomData (the caller does)."""
    presence = get_presence()
    room = db.session.get(Room, room_id)
    gone = []
    for member in presence.members(room_id):
        if not which(member):
            continue
        stop_typing(member.sid)  # or the others see "typing…" for a while
        presence.remove(member.sid)
        title = room_title(room, member.user_id) if room else ""
        payload = {"roomId": room_id, "room": title, "reason": reason,
                   "by": by, "text": text}  # fmt: skip
        socketio.emit("removed", payload, to=member.sid)
        socketio.server.leave_room(member.sid, room_key(room_id), namespace="/")
        gone.append(member)
    return gone
