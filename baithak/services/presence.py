"""Presence: which connection (sid) is in which room, under which name,
whether it is active or away, and whether it is typing.

A person's status is ONLINE while any of their connections is active and
AWAY when all of them are away: an account counts its connections in every
room (one person with three tabs is one person), a guest its connection.

Everything else asks this module, never a dict of its own or Socket.IO's
rooms: with several server processes (SOCKETIO_MESSAGE_QUEUE set),
`RedisPresence` (services.redis_presence) replaces `MemoryPresence` behind
the same `Presence` interface, and a process sees every process's people.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

from flask import Flask, current_app

from ..models import now_ms
from . import ServiceError
from .names import fold

# A person's status in roomData (services.roomdata); offline is absence.
ONLINE, AWAY = "online", "away"


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

    def set_away(self, sid: str, away: bool) -> bool:
        """Mark connection `sid` away (or active again); return True if that
        changed its person's status. A sid that has not joined: False. A
        connection is active when it joins and keeps its state across rooms."""

    def status(self, member: Member) -> str:
        """Return ONLINE or AWAY for the person `member` is (see the module)."""

    def account_status(self, user_id: int) -> str | None:
        """Return the account's status, or None when it has no connection."""

    def rooms_of(self, member: Member) -> list[int]:
        """Return the ids of the rooms where the person `member` is, sorted."""

    def rename(self, user_id: int, name: str) -> list[int]:
        """Give every connection of the account the display name `name`; return
        the rooms it is in. Raises ServiceError("name_in_use"), changing
        nothing, if someone else uses that name in one of them."""

    def set_typing(self, sid: str, typing: bool) -> Member | None:
        """Record whether connection `sid` is typing. Returns the member it is
        typing as (typing=True; None if not joined), or the member it was
        typing as when it stops (typing=False; None if it was not typing)."""

    def connect(self, sid: str, user_id: int) -> None:
        """Record an account's connection, in a room or not (it gets myRooms
        and unread pushes)."""

    def disconnect(self, sid: str) -> None:
        """Forget a connection recorded by `connect` (any other: nothing)."""

    def connected_accounts(self, user_ids: list[int]) -> set[int]:
        """Return those of `user_ids` with a connection recorded by `connect`."""


class MemoryPresence:
    """Presence for one server process, kept in memory behind a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_sid: dict[str, Member] = {}
        self._rooms: dict[int, dict[str, Member]] = {}  # room_id -> sid -> Member
        self._by_user: dict[int, set[str]] = {}  # user_id -> its sids
        self._away: set[str] = set()  # sids whose person is not looking
        self._typing: dict[str, Member] = {}  # sid -> member it types as
        self._accounts: dict[str, int] = {}  # account connection sid -> user id

    def add(self, member: Member) -> Move:
        """See Presence.add."""
        with self._lock:
            same = self._same_name(member.room_id, member.key, member.sid)
            if _conflict(same, member.user_id):
                raise ServiceError("Username is in use!", "name_in_use")
            previous, previous_gone = self._remove(member.sid)
            self._rooms.setdefault(member.room_id, {})[member.sid] = member
            self._by_sid[member.sid] = member
            if member.user_id is not None:
                self._by_user.setdefault(member.user_id, set()).add(member.sid)
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
            self._away.discard(sid)
            self._typing.pop(sid, None)
            return self._remove(sid)

    def _remove(self, sid: str) -> tuple[Member | None, bool]:
        member = self._by_sid.pop(sid, None)
        if member is None:
            return None, False
        if member.user_id is not None:
            sids = self._by_user[member.user_id]
            sids.discard(sid)
            if not sids:
                del self._by_user[member.user_id]
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

    def set_away(self, sid: str, away: bool) -> bool:
        """See Presence.set_away."""
        with self._lock:
            member = self._by_sid.get(sid)
            if member is None:
                return False
            before = self._status(member)
            if away:
                self._away.add(sid)
            else:
                self._away.discard(sid)
            return self._status(member) != before

    def status(self, member: Member) -> str:
        """See Presence.status."""
        with self._lock:
            return self._status(member)

    def _status(self, member: Member) -> str:
        sids = self._person_sids(member)
        return AWAY if sids and all(s in self._away for s in sids) else ONLINE

    def _person_sids(self, member: Member) -> list[str]:
        if member.user_id is not None:
            return list(self._by_user.get(member.user_id, ()))
        room = self._rooms.get(member.room_id, {})
        return [s for s, m in room.items() if m.key == member.key]

    def account_status(self, user_id: int) -> str | None:
        """See Presence.account_status."""
        with self._lock:
            sids = self._by_user.get(user_id)
            if not sids:
                return None
            return self._status(self._by_sid[next(iter(sids))])

    def rooms_of(self, member: Member) -> list[int]:
        """See Presence.rooms_of."""
        with self._lock:
            sids = self._person_sids(member)
            return sorted({self._by_sid[s].room_id for s in sids})

    def rename(self, user_id: int, name: str) -> list[int]:
        """See Presence.rename."""
        with self._lock:
            mine = [self._by_sid[s] for s in self._by_user.get(user_id, ())]
            for m in mine:
                if _conflict(self._same_name(m.room_id, fold(name), m.sid), user_id):
                    raise ServiceError("Username is in use!", "name_in_use")
            for old in mine:
                new = Member(old.sid, old.room_id, name, user_id, old.joined_at)
                self._by_sid[old.sid] = self._rooms[old.room_id][old.sid] = new
            return sorted({m.room_id for m in mine})

    def set_typing(self, sid: str, typing: bool) -> Member | None:
        """See Presence.set_typing."""
        with self._lock:
            if not typing:
                return self._typing.pop(sid, None)
            member = self._by_sid.get(sid)
            if member is not None:
                self._typing[sid] = member
            return member

    def connect(self, sid: str, user_id: int) -> None:
        """See Presence.connect."""
        with self._lock:
            self._accounts[sid] = user_id

    def disconnect(self, sid: str) -> None:
        """See Presence.disconnect."""
        with self._lock:
            self._accounts.pop(sid, None)

    def connected_accounts(self, user_ids: list[int]) -> set[int]:
        """See Presence.connected_accounts."""
        with self._lock:
            return set(user_ids) & set(self._accounts.values())


def _conflict(same_name: list[Member], user_id: int | None) -> bool:
    """The rule: a name is one person's; only the same account may add a tab."""
    return any(m.user_id is None or m.user_id != user_id for m in same_name)


def _join_order(member: Member) -> tuple[int, str]:
    return member.joined_at, member.sid


def init_app(app: Flask) -> None:
    """Give the app its presence: in Redis when SOCKETIO_MESSAGE_QUEUE is set
    (several processes share it; services.heartbeat keeps it right when one
    dies), else in this process's memory."""
    url = app.config["SOCKETIO_MESSAGE_QUEUE"]
    if url:
        from .redis_presence import RedisPresence

        app.extensions["baithak.presence"] = RedisPresence(
            url,
            app.config["BAITHAK_REDIS_PREFIX"],
            app.config["BAITHAK_PRESENCE_EXPIRE_S"],
        )
    else:
        app.extensions["baithak.presence"] = MemoryPresence()


def get_presence() -> Presence:
    """Return the current app's presence store (made by init_app)."""
    return current_app.extensions["baithak.presence"]
