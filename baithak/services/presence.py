"""Presence: which connection (sid) is in which room, under which name.

Everything else asks this module, never a dict of its own, so that a later
back end (Redis, shared by several server processes) can replace
`MemoryPresence` behind the same `Presence` interface.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

from flask import current_app

from ..models import now_ms
from . import ServiceError
from .names import fold


@dataclass(frozen=True)
class Member:
    """One connection's place in a room.

    `key` is the folded display name; one person (one key) may hold several
    connections in a room, e.g. an account with two tabs open.
    """

    sid: str
    room_id: int
    name: str
    user_id: int | None
    joined_at: int = field(default_factory=now_ms)  # ms since the Unix epoch
    # The folded name that tells people apart (services.names.fold).
    key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", fold(self.name))


@dataclass(frozen=True)
class Move:
    """The outcome of Presence.add.

    `first`: this is the person's first connection in the new room.
    `previous`: the membership the sid had before, if any; `previous_gone`:
    that was the person's last connection in the previous room.
    """

    first: bool
    previous: Member | None
    previous_gone: bool


class Presence(Protocol):
    """Who is online where; every method is atomic."""

    def add(self, member: Member) -> Move:
        """Record `member`, moving its sid out of any room it was in.

        Raises ServiceError("Username is in use!"), changing nothing, when
        another person in the room has the same name (a guest never shares a
        name; an account may have several connections).
        """

    def remove(self, sid: str) -> tuple[Member | None, bool]:
        """Forget `sid`; return its member (or None) and whether the person left."""

    def name_taken(self, room_id: int, name: str, user_id: int | None) -> bool:
        """Return True if joining the room as `name` would be refused as in use."""

    def get(self, sid: str) -> Member | None:
        """Return the member `sid` is, or None if it has not joined a room."""

    def people(self, room_id: int) -> list[Member]:
        """Return one member per person in the room, in order of joining."""

    def members(self, room_id: int) -> list[Member]:
        """Return every connection's member in the room (a person with two
        tabs there twice), in order of joining."""

    def counts(self) -> dict[int, int]:
        """Return {room_id: number of people online} for rooms with anyone in them."""


class MemoryPresence:
    """Presence for one server process, kept in memory behind a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_sid: dict[str, Member] = {}
        self._rooms: dict[int, dict[str, Member]] = {}  # room_id -> sid -> Member

    def add(self, member: Member) -> Move:
        """See Presence.add."""
        with self._lock:
            same = self._same_name(member.room_id, member.key, member.sid)
            if _conflict(same, member.user_id):
                raise ServiceError("Username is in use!", "name_in_use")
            previous, previous_gone = self._remove(member.sid)
            self._rooms.setdefault(member.room_id, {})[member.sid] = member
            self._by_sid[member.sid] = member
            return Move(not same, previous, previous_gone)

    def name_taken(self, room_id: int, name: str, user_id: int | None) -> bool:
        """See Presence.name_taken."""
        with self._lock:
            return _conflict(self._same_name(room_id, fold(name), None), user_id)

    def _same_name(self, room_id: int, key: str, sid: str | None) -> list[Member]:
        room = self._rooms.get(room_id, {})
        return [m for m in room.values() if m.key == key and m.sid != sid]

    def remove(self, sid: str) -> tuple[Member | None, bool]:
        """See Presence.remove."""
        with self._lock:
            return self._remove(sid)

    def _remove(self, sid: str) -> tuple[Member | None, bool]:
        member = self._by_sid.pop(sid, None)
        if member is None:
            return None, False
        room = self._rooms[member.room_id]
        del room[sid]
        if not room:
            del self._rooms[member.room_id]
        return member, all(m.key != member.key for m in room.values())

    def get(self, sid: str) -> Member | None:
        """See Presence.get."""
        with self._lock:
            return self._by_sid.get(sid)

    def members(self, room_id: int) -> list[Member]:
        """See Presence.members."""
        with self._lock:
            return sorted(self._rooms.get(room_id, {}).values(), key=_join_order)

    def people(self, room_id: int) -> list[Member]:
        """See Presence.people."""
        first: dict[str, Member] = {}
        for member in self.members(room_id):
            first.setdefault(member.key, member)
        return list(first.values())

    def counts(self) -> dict[int, int]:
        """See Presence.counts."""
        with self._lock:
            return {
                room_id: len({m.key for m in room.values()})
                for room_id, room in self._rooms.items()
            }


def _conflict(same_name: list[Member], user_id: int | None) -> bool:
    """The rule: a name is one person's; only the same account may add a tab."""
    return any(m.user_id is None or m.user_id != user_id for m in same_name)


def _join_order(member: Member) -> tuple[int, str]:
    return member.joined_at, member.sid


def get_presence() -> Presence:
    """Return the current app's presence store (created in create_app)."""
    return current_app.extensions["baithak.presence"]
