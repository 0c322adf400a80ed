"""Presence across processes when one of them dies (SOCKETIO_MESSAGE_QUEUE).

Every process with Redis presence runs one background task: every
BAITHAK_PRESENCE_HEARTBEAT_S seconds it writes its heartbeat, then takes
out of presence the connections of any process silent for longer than
BAITHAK_PRESENCE_EXPIRE_S (killed, its machine gone) and tells their rooms
(services.chat.clear_departed). A dead process's people therefore leave
the people lists within EXPIRE + HEARTBEAT seconds (25 s by default) of its
last heartbeat, as long as one process lives.

A process reaps others only after beating without a failure for EXPIRE
seconds itself: after a Redis outage every process is silent, and the first
one back must not take everyone else's people for dead.

Each beat also puts right what a failed disconnect left: connections of
this process in presence that are no longer open leave their rooms. A
process that finds its own entries gone (it was declared dead after
stalling that long, or Redis lost its data) takes out what is left of them
and closes its connections: its clients reconnect and join again, and
presence is whole again.

Started on the process's first HTTP request or Socket.IO connection, not in
create_app: the `flask` commands build the app too and must not heartbeat.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from ..extensions import db, socketio
from . import ServiceError
from .presence import get_presence
from .redis_presence import RedisPresence
from .roomdata import emit_to_rooms

log = logging.getLogger(__name__)

_starting = threading.Lock()  # two first requests at once under threads


class Heartbeat:
    """The heartbeat task's state, one per app (app.extensions)."""

    def __init__(self) -> None:
        self.healthy_since: float | None = None  # time.monotonic() of the
        # first beat of the current run of beats without a failure
        self.stopped = False  # retired: beating again would re-register


def start(app: Flask) -> None:
    """Start the app's heartbeat task, once per process; nothing when
    presence is in memory (one process)."""
    if "baithak.heartbeat" in app.extensions:
        return
    with _starting:
        if "baithak.heartbeat" in app.extensions:
            return
        if not isinstance(app.extensions["baithak.presence"], RedisPresence):
            app.extensions["baithak.heartbeat"] = None
            return
        state = app.extensions["baithak.heartbeat"] = Heartbeat()
    socketio.start_background_task(_run, app, state)


def _run(app: Flask, state: Heartbeat) -> None:
    interval = app.config["BAITHAK_PRESENCE_HEARTBEAT_S"]
    failing = False
    while not state.stopped:
        try:
            with app.app_context():
                try:
                    beat(state)
                finally:
                    db.session.remove()
            failing = False
        except Exception as exc:  # Redis away for a while: try again next time
            state.healthy_since = None
            if not failing:  # one traceback per outage, not one every beat
                log.exception("presence heartbeat failed")
            else:
                log.warning("presence heartbeat failed again: %s", exc)
            failing = True
        socketio.sleep(interval)


def beat(state: Heartbeat) -> None:
    """One heartbeat of this process, then what it puts right (see the
    module), in an app context."""
    presence = get_presence()
    if not isinstance(presence, RedisPresence):
        return
    if presence.heartbeat():
        _rejoin_everyone(presence)
    now = time.monotonic()
    state.healthy_since = state.healthy_since or now
    _leave_closed(presence)
    if now - state.healthy_since < presence.expire_s:
        return  # not sure yet that the others could beat: no reaping
    departed = presence.reap_dead()
    if departed:
        from .chat import clear_departed  # chat imports this module

        log.info("cleared %d connections of dead processes", len(departed))
        try:
            clear_departed(departed)
        finally:  # the people lists at least, even if a notice failed
            emit_to_rooms({member.room_id for member, _ in departed})


def _rejoin_everyone(presence: RedisPresence) -> None:
    log.warning(
        "this process's people are gone from Redis (it was silent for over "
        "%s s, or Redis lost its data); closing its connections so that they "
        "join again",
        presence.expire_s,
    )
    emit_to_rooms(presence.retire(unregister=False))  # what is left of them
    # In its own task: thousands of disconnect handlers must not hold the beat.
    socketio.start_background_task(socketio.server.eio.disconnect)


def _leave_closed(presence: RedisPresence) -> None:
    """Connections of this process that presence still holds but that are
    closed (their disconnect failed halfway, Redis being away): out now."""
    from .chat import disconnected  # chat imports this module

    open_here = socketio.server.manager.rooms.get("/", {}).get(None, {})
    for sid in presence.own_sids() - set(open_here):
        log.info("taking out %s, closed but still present", sid)
        disconnected(sid, stopping=False)


def retire(app: Flask) -> None:
    """A process stopping gracefully (baithak.shutdown): stop its heartbeat,
    take its connections out of Redis presence without "has left!" (its
    clients reconnect, here or elsewhere) and send their rooms a fresh
    roomData. Nothing with presence in memory; never raises."""
    with app.app_context():
        state = app.extensions.get("baithak.heartbeat")
        if state is not None:
            state.stopped = True
        presence = get_presence()
        if isinstance(presence, RedisPresence):
            try:
                emit_to_rooms(presence.retire())
            except ServiceError:
                log.warning("could not take this process's people out of Redis")
