"""Presence in Redis, shared by several server processes (docs/deployment.md).

The same rules as MemoryPresence (services.presence), kept where every
process sees them: each change is one Lua script, which Redis runs without
interleaving anything else, so two processes joining the same name at once
cannot both win.

Keys, under "<BAITHAK_REDIS_PREFIX>:presence:" (P):

    P sid               hash  sid -> member (JSON: sid, room, name, key, uid,
                              joined, proc)
    P room:<id>         hash  sid -> member, the connections in that room
    P keys:<id>         hash  folded name -> how many connections hold it there
                              (its length: the people in the room)
    P owner:<id>        hash  folded name -> the user id holding it, '' a guest
    P rooms             set   room ids with anyone in them
    P person:<pid>      set   one person's sids: pid "u:<user id>" for an
                              account (every room), "g:<room>:<key>" for a guest
    P away              set   sids whose person is not looking
    P typing            hash  sid -> member it is typing as
    P conn              hash  sid -> "<user id> <proc>" for every account connection
    P acct:<user id>    set   that account's connections; P accounts: the
                              accounts with any
    P procs             zset  process id -> its last heartbeat (ms, Redis's clock)
    P proc:<id>:joined  set   sids in rooms, and P proc:<id>:conn the account
                              connections, of that process
    P beat:<id>         key   that process has beaten (lost with Redis's data)
    P reaped:<id>       key   that process was declared dead (kept a day)

A process is dead when its heartbeat is older than `expire_s`: the next
`reap_dead` of any live process takes its connections out, and returns them
so that the others can be told ("has left", roomData). Redis's clock, not
the machines', decides, so clocks that disagree do not matter.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

from . import ServiceError
from .names import fold
from .presence import AWAY, ONLINE, Member, Move, join_order, one_per_person

# Shared by every script: the rules of services.presence, in Lua.
_PRELUDE = """
local P = ARGV[1]
local function person_key(m)
  if m.uid ~= '' then return P .. 'person:u:' .. m.uid end
  return P .. 'person:g:' .. m.room .. ':' .. m.key
end
-- True if someone else in the room holds `key` and `uid` may not share it
-- (presence.conflict); and how many other connections hold it. O(1): the
-- room's counts per key and each key's holder ('' for a guest) are kept.
local function conflict(room, key, sid, uid)
  local n = tonumber(redis.call('HGET', P .. 'keys:' .. room, key) or '0')
  local mine = redis.call('HGET', P .. 'room:' .. room, sid)
  if mine and cjson.decode(mine).key == key then n = n - 1 end
  if n <= 0 then return false, 0 end
  local holder = redis.call('HGET', P .. 'owner:' .. room, key)
  if holder == '' or holder ~= uid then return true, n end
  return false, n
end
local function hold(room, key, uid)
  redis.call('HINCRBY', P .. 'keys:' .. room, key, 1)
  redis.call('HSET', P .. 'owner:' .. room, key, uid)
end
-- One connection fewer under `key`; 1 if that was the last (the person left).
local function release(room, key)
  if redis.call('HINCRBY', P .. 'keys:' .. room, key, -1) > 0 then return 0 end
  redis.call('HDEL', P .. 'keys:' .. room, key)
  redis.call('HDEL', P .. 'owner:' .. room, key)
  return 1
end
-- Take `sid` out of its room; return its member ('' if none) and 1 if that
-- was its person's last connection there.
local function unlink(sid)
  local enc = redis.call('HGET', P .. 'sid', sid)
  if not enc then return '', 0 end
  local m = cjson.decode(enc)
  local room = P .. 'room:' .. m.room
  redis.call('HDEL', P .. 'sid', sid)
  redis.call('HDEL', room, sid)
  redis.call('SREM', person_key(m), sid)
  redis.call('SREM', P .. 'proc:' .. m.proc .. ':joined', sid)
  if redis.call('HLEN', room) == 0 then redis.call('SREM', P .. 'rooms', m.room) end
  return enc, release(m.room, m.key)
end
local function forget(sid)
  redis.call('SREM', P .. 'away', sid)
  redis.call('HDEL', P .. 'typing', sid)
  return unlink(sid)
end
local function status(person)
  local sids = redis.call('SMEMBERS', person)
  for _, s in ipairs(sids) do
    if redis.call('SISMEMBER', P .. 'away', s) == 0 then return 'online' end
  end
  if #sids == 0 then return 'online' end
  return 'away'
end
local function detach(sid)
  local v = redis.call('HGET', P .. 'conn', sid)
  if not v then return end
  local uid, proc = string.match(v, '^(%S+) (%S+)$')
  redis.call('HDEL', P .. 'conn', sid)
  redis.call('SREM', P .. 'acct:' .. uid, sid)
  if redis.call('SCARD', P .. 'acct:' .. uid) == 0 then
    redis.call('SREM', P .. 'accounts', uid)
  end
  redis.call('SREM', P .. 'proc:' .. proc .. ':conn', sid)
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""

# ARGV: P, member, sid, room, key, uid, proc -> {0} refused, or
# {1, first, previous member or '', previous_gone}
_ADD = """
local enc, sid, room, key = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local uid, proc = ARGV[6], ARGV[7]
local taken, same = conflict(room, key, sid, uid)
if taken then return {0} end
local previous, gone = unlink(sid)
redis.call('HSET', P .. 'sid', sid, enc)
redis.call('HSET', P .. 'room:' .. room, sid, enc)
hold(room, key, uid)
redis.call('SADD', P .. 'rooms', room)
redis.call('SADD', person_key(cjson.decode(enc)), sid)
redis.call('SADD', P .. 'proc:' .. proc .. ':joined', sid)
redis.call('ZADD', P .. 'procs', 'NX', now_ms(), proc)
if same == 0 then same = 1 else same = 0 end
return {1, same, previous, gone}
"""

# ARGV: P, sid -> {member or '', gone}
_REMOVE = "return {forget(ARGV[2])}"

# ARGV: P, sid, "1" (away) or "0" -> 1 if its person's status changed
_SET_AWAY = """
local enc = redis.call('HGET', P .. 'sid', ARGV[2])
if not enc then return 0 end
local person = person_key(cjson.decode(enc))
local before = status(person)
if ARGV[3] == '1' then
  redis.call('SADD', P .. 'away', ARGV[2])
else
  redis.call('SREM', P .. 'away', ARGV[2])
end
if status(person) == before then return 0 end
return 1
"""

# ARGV: P, person key -> status, or '' when the person has no connection
_STATUS = """
if redis.call('SCARD', ARGV[2]) == 0 then return '' end
return status(ARGV[2])
"""

# ARGV: P, person key -> the rooms of its connections (with repeats)
_ROOMS_OF = """
local rooms = {}
for _, sid in ipairs(redis.call('SMEMBERS', ARGV[2])) do
  local enc = redis.call('HGET', P .. 'sid', sid)
  if enc then table.insert(rooms, cjson.decode(enc).room) end
end
return rooms
"""

# ARGV: P, uid, name, key -> {0} refused, or {1, room, room...}
_RENAME = """
local uid, name, key = ARGV[2], ARGV[3], ARGV[4]
local mine = {}
for _, sid in ipairs(redis.call('SMEMBERS', P .. 'person:u:' .. uid)) do
  local enc = redis.call('HGET', P .. 'sid', sid)
  if enc then
    local m = cjson.decode(enc)
    if conflict(m.room, key, sid, uid) then return {0} end
    table.insert(mine, m)
  end
end
local out = {1}
for _, m in ipairs(mine) do
  release(m.room, m.key)
  hold(m.room, key, uid)
  m.name = name
  m.key = key
  local enc = cjson.encode(m)
  redis.call('HSET', P .. 'sid', m.sid, enc)
  redis.call('HSET', P .. 'room:' .. m.room, m.sid, enc)
  table.insert(out, m.room)
end
return out
"""

# ARGV: P, sid, "1" (typing) or "0" -> the member it types (or typed) as, or ''
_SET_TYPING = """
local sid = ARGV[2]
if ARGV[3] == '1' then
  local enc = redis.call('HGET', P .. 'sid', sid)
  if not enc then return '' end
  redis.call('HSET', P .. 'typing', sid, enc)
  return enc
end
local enc = redis.call('HGET', P .. 'typing', sid)
if not enc then return '' end
redis.call('HDEL', P .. 'typing', sid)
return enc
"""

# ARGV: P -> {room, people, room, people...}
_COUNTS = """
local out = {}
for _, room in ipairs(redis.call('SMEMBERS', P .. 'rooms')) do
  table.insert(out, room)
  table.insert(out, redis.call('HLEN', P .. 'keys:' .. room))
end
return out
"""

# ARGV: P, person key... -> the status of each
_STATUSES = """
local out = {}
for i = 2, #ARGV do table.insert(out, status(ARGV[i])) end
return out
"""

# ARGV: P, sid, uid, proc
_CONNECT = """
local sid, uid, proc = ARGV[2], ARGV[3], ARGV[4]
redis.call('HSET', P .. 'conn', sid, uid .. ' ' .. proc)
redis.call('SADD', P .. 'acct:' .. uid, sid)
redis.call('SADD', P .. 'accounts', uid)
redis.call('SADD', P .. 'proc:' .. proc .. ':conn', sid)
redis.call('ZADD', P .. 'procs', 'NX', now_ms(), proc)
"""

# ARGV: P, sid
_DISCONNECT = "detach(ARGV[2])"

# ARGV: P, proc, "again" (it has beaten before) or "first", seconds to keep
# the beat key -> 1 if this process's entries are gone: it was declared dead
# meanwhile, or Redis lost everything (a restart: it may keep nothing on disk)
_HEARTBEAT = """
local proc = ARGV[2]
local reaped = redis.call('DEL', P .. 'reaped:' .. proc)
local known = redis.call('EXISTS', P .. 'beat:' .. proc)
redis.call('SET', P .. 'beat:' .. proc, '1', 'EX', ARGV[4])
redis.call('ZADD', P .. 'procs', now_ms(), proc)
if reaped == 1 or (known == 0 and ARGV[3] == 'again') then return 1 end
return 0
"""

# ARGV: P, expire (ms) -> {member, gone, member, gone...} of every process
# whose heartbeat is older than that
_REAP = """
local procs = P .. 'procs'
local out = {}
local dead = redis.call('ZRANGEBYSCORE', procs, '-inf', now_ms() - tonumber(ARGV[2]))
for _, proc in ipairs(dead) do
  redis.call('ZREM', procs, proc)
  redis.call('DEL', P .. 'beat:' .. proc)
  redis.call('SET', P .. 'reaped:' .. proc, '1', 'EX', 86400)
  local joined = P .. 'proc:' .. proc .. ':joined'
  for _, sid in ipairs(redis.call('SMEMBERS', joined)) do
    local enc, gone = forget(sid)
    if enc ~= '' then
      table.insert(out, enc)
      table.insert(out, gone)
    end
  end
  local conns = P .. 'proc:' .. proc .. ':conn'
  for _, sid in ipairs(redis.call('SMEMBERS', conns)) do detach(sid) end
  redis.call('DEL', joined, conns)
end
return out
"""

# ARGV: P, proc, "1" to unregister it too -> the rooms it had people in: a
# process takes its own entries out (stopping for good: "1").
_RETIRE = """
local proc = ARGV[2]
local rooms = {}
if ARGV[3] == '1' then
  redis.call('ZREM', P .. 'procs', proc)
  redis.call('DEL', P .. 'beat:' .. proc)
end
local joined = P .. 'proc:' .. proc .. ':joined'
for _, sid in ipairs(redis.call('SMEMBERS', joined)) do
  local enc = forget(sid)
  if enc ~= '' then table.insert(rooms, cjson.decode(enc).room) end
end
local conns = P .. 'proc:' .. proc .. ':conn'
for _, sid in ipairs(redis.call('SMEMBERS', conns)) do detach(sid) end
redis.call('DEL', joined, conns)
return rooms
"""


class RedisPresence:
    """Presence (services.presence.Presence) in Redis, for several processes.

    `url`: a Redis URL (redis://host:6379/0); `prefix`: the start of every
    key (BAITHAK_REDIS_PREFIX); `expire_s`: a process whose heartbeat is
    older than this is dead (see `reap_dead`). While Redis cannot be reached
    every method raises ServiceError("unavailable"), which clients retry.
    """

    def __init__(self, url: str, prefix: str, expire_s: float) -> None:
        # Bounded waits: a Redis host that stopped answering must turn into
        # "unavailable" acks, not handlers (and their clients) waiting forever.
        self._redis = redis.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=2, socket_timeout=5
        )
        self._p = f"{prefix}:presence:"
        self.expire_s = expire_s
        self._beaten = False  # heartbeat has run once
        self._run_id: str | None = None  # the Redis server's, at the last beat
        self._expire_ms = int(expire_s * 1000)
        # Unique among every process that ever shares this Redis.
        self.process_id = f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"
        self._scripts = {
            name: self._redis.register_script(_PRELUDE + body)
            for name, body in {
                "add": _ADD, "remove": _REMOVE, "set_away": _SET_AWAY,
                "status": _STATUS, "rooms_of": _ROOMS_OF, "rename": _RENAME,
                "set_typing": _SET_TYPING, "counts": _COUNTS, "statuses": _STATUSES,
                "connect": _CONNECT, "disconnect": _DISCONNECT,
                "heartbeat": _HEARTBEAT, "reap": _REAP, "retire": _RETIRE,
            }.items()
        }  # fmt: skip

    def _run(self, name: str, *args: object) -> Any:
        with _reachable():
            return self._scripts[name](args=[self._p, *args])

    def _command(self, name: str, *args: object) -> Any:
        with _reachable():
            return getattr(self._redis, name)(*args)

    # --- the Presence protocol ---------------------------------------------

    def add(self, member: Member) -> Move:
        """See Presence.add."""
        uid = _uid(member.user_id)
        out = self._run("add", self._encode(member), member.sid,
                        member.room_id, member.key, uid, self.process_id)  # fmt: skip
        if not out[0]:
            raise ServiceError("Username is in use!", "name_in_use")
        return Move(bool(out[1]), _decode(out[2]), bool(out[3]))

    def remove(self, sid: str) -> tuple[Member | None, bool]:
        """See Presence.remove."""
        enc, gone = self._run("remove", sid)
        return _decode(enc), bool(gone)

    def name_taken(self, room_id: int, name: str, user_id: int | None) -> bool:
        """See Presence.name_taken."""
        # The room's count and holder of each name, as the Lua `conflict` reads.
        key = fold(name)
        held = self._command("hget", f"{self._p}keys:{room_id}", key)
        if not held or int(held) <= 0:
            return False
        holder = self._command("hget", f"{self._p}owner:{room_id}", key)
        return holder == "" or holder != _uid(user_id)

    def get(self, sid: str) -> Member | None:
        """See Presence.get."""
        return _decode(self._command("hget", self._p + "sid", sid))

    def members(self, room_id: int) -> list[Member]:
        """See Presence.members."""
        return sorted(self._room(room_id), key=join_order)

    def people(self, room_id: int) -> list[Member]:
        """See Presence.people."""
        return one_per_person(self.members(room_id))

    def counts(self) -> dict[int, int]:
        """See Presence.counts."""
        out = self._run("counts")
        return {int(out[i]): int(out[i + 1]) for i in range(0, len(out), 2)}

    def set_away(self, sid: str, away: bool) -> bool:
        """See Presence.set_away."""
        return bool(self._run("set_away", sid, "1" if away else "0"))

    def status(self, member: Member) -> str:
        """See Presence.status."""
        return self._run("status", self._person(member)) or ONLINE

    def statuses(self, members: list[Member]) -> list[str]:
        """See Presence.statuses."""
        if not members:
            return []
        return self._run("statuses", *map(self._person, members))

    def account_status(self, user_id: int) -> str | None:
        """See Presence.account_status."""
        status = self._run("status", f"{self._p}person:u:{user_id}")
        return status if status in (ONLINE, AWAY) else None

    def rooms_of(self, member: Member) -> list[int]:
        """See Presence.rooms_of."""
        return sorted({int(r) for r in self._run("rooms_of", self._person(member))})

    def rename(self, user_id: int, name: str) -> list[int]:
        """See Presence.rename."""
        out = self._run("rename", user_id, name, fold(name))
        if not out[0]:
            raise ServiceError("Username is in use!", "name_in_use")
        return sorted({int(r) for r in out[1:]})

    def set_typing(self, sid: str, typing: bool) -> Member | None:
        """See Presence.set_typing."""
        return _decode(self._run("set_typing", sid, "1" if typing else "0"))

    def connect(self, sid: str, user_id: int) -> None:
        """See Presence.connect."""
        self._run("connect", sid, user_id, self.process_id)

    def disconnect(self, sid: str) -> None:
        """See Presence.disconnect."""
        self._run("disconnect", sid)

    def connected_accounts(self, user_ids: list[int]) -> set[int]:
        """See Presence.connected_accounts."""
        if not user_ids:
            return set()
        flags = self._command("smismember", self._p + "accounts", user_ids)
        return {uid for uid, on in zip(user_ids, flags, strict=True) if on}

    # --- several processes -------------------------------------------------

    def heartbeat(self) -> bool:
        """Say this process is alive (Redis's clock). Returns True if its
        connections are no longer in presence: it was declared dead meanwhile
        (silent for longer than `expire_s`), or Redis lost its data since the
        last heartbeat (restarted without persistence)."""
        # A restart that reloaded an older snapshot keeps the beat key: the
        # server's run_id, new at each start, tells that one.
        run_id = self._command("info", "server")["run_id"]
        again = "again" if self._beaten else "first"
        keep_s = max(60, int(self.expire_s * 3))
        lost = bool(self._run("heartbeat", self.process_id, again, keep_s))
        lost = lost or (self._run_id is not None and run_id != self._run_id)
        self._run_id, self._beaten = run_id, True
        return lost

    def reap_dead(self) -> list[tuple[Member, bool]]:
        """Take every connection of dead processes out of presence; return
        [(member, gone)] with gone True when that was its person's last
        connection in the room. Each dead process is reaped once, by one
        caller, however many processes call this at the same time."""
        out = self._run("reap", self._expire_ms)
        return [(_decode(out[i]), bool(out[i + 1])) for i in range(0, len(out), 2)]

    def retire(self, unregister: bool = True) -> list[int]:
        """Take this process's connections out of presence, and with
        `unregister` the process itself (a graceful stop: no heartbeat will
        follow); return the ids of the rooms they were in, sorted."""
        flag = "1" if unregister else "0"
        return sorted({int(r) for r in self._run("retire", self.process_id, flag)})

    def own_sids(self) -> set[str]:
        """Return the sids this process has in presence (in a room, or an
        account's connection)."""
        own = f"{self._p}proc:{self.process_id}"
        return set(self._command("sunion", f"{own}:joined", f"{own}:conn"))

    # --- helpers -----------------------------------------------------------

    def _room(self, room_id: int) -> list[Member]:
        values = self._command("hvals", f"{self._p}room:{room_id}")
        return [m for m in map(_decode, values) if m is not None]

    def _person(self, member: Member) -> str:
        if member.user_id is not None:
            return f"{self._p}person:u:{member.user_id}"
        return f"{self._p}person:g:{member.room_id}:{member.key}"

    def _encode(self, member: Member) -> str:
        # Every field a string: Lua's numbers are doubles, printed as 1e+15.
        return json.dumps(
            {
                "sid": member.sid,
                "room": str(member.room_id),
                "name": member.name,
                "key": member.key,
                "uid": _uid(member.user_id),
                "joined": str(member.joined_at),
                "proc": self.process_id,
            },
            ensure_ascii=False,
        )


UNAVAILABLE = "The chat is briefly unavailable; trying again…"


@contextmanager
def _reachable() -> Iterator[None]:
    """Turn Redis being out of reach into ServiceError("unavailable"): a
    refusal the client tries again (its message stays queued), not an
    internal error."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError) as exc:
        # Also BusyLoadingError (a ConnectionError): Redis loading its data.
        raise ServiceError(UNAVAILABLE, "unavailable") from exc
    except redis.ResponseError as exc:
        if not str(exc).startswith("BUSY"):  # a long script of another process
            raise
        raise ServiceError(UNAVAILABLE, "unavailable") from exc


def _uid(user_id: int | None) -> str:
    return "" if user_id is None else str(user_id)


def _decode(enc: str | None) -> Member | None:
    if not enc:
        return None
    d = json.loads(enc)
    uid = int(d["uid"]) if d["uid"] else None
    return Member(d["sid"], int(d["room"]), d["name"], uid, int(d["joined"]))
