"""Presence across processes when one of them dies (SOCKETIO_MESSAGE_QUEUE).

Every process with Redis presence runs one background task: every
BAITHAK_PRESENCE_HEARTBEAT_S seconds it writes its heartbeat, then takes
out of presence the connections of any process silent for longer than
BAITHAK_PRESENCE_EXPIRE_S (killed, its machine gone) and tells their rooms
(services.chat.clear_departed). A dead process's people therefore leave
the people lists within EXPIRE + HEARTBEAT seconds (25 s by default) of its
last heartbeat, as long as one process lives. A process that finds it was
declared dead itself (it stalled, or lost Redis, for that long), or whose
entries Redis lost (restarted without persistence), closes its connections:
its clients reconnect and join again, and presence is right again.

Started on the process's first HTTP request or Socket.IO connection, not in
create_app: the `flask` commands build the app too and must not heartbeat.
"""

from __future__ import annotations

import logging

from flask import Flask

from ..extensions import db, socketio
from .presence import get_presence
from .redis_presence import RedisPresence

log = logging.getLogger(__name__)


def start(app: Flask) -> None:
    """Start the app's heartbeat task, once per process; nothing when
    presence is in memory (one process)."""
    if app.extensions.get("baithak.heartbeat") is not None:
        return
    presence = app.extensions["baithak.presence"]
    if not isinstance(presence, RedisPresence):
        app.extensions["baithak.heartbeat"] = False
        return
    app.extensions["baithak.heartbeat"] = socketio.start_background_task(_run, app)


def _run(app: Flask) -> None:
    interval = app.config["BAITHAK_PRESENCE_HEARTBEAT_S"]
    while True:
        with app.app_context():
            try:
                beat()
            except Exception:  # Redis away for a while: try again next time
                log.exception("presence heartbeat failed")
                db.session.rollback()
            finally:
                db.session.remove()
        socketio.sleep(interval)


def beat() -> None:
    """One heartbeat of this process, then the dead processes' connections
    cleared and their rooms told (in an app context)."""
    presence = get_presence()
    assert isinstance(presence, RedisPresence)
    if presence.heartbeat():
        log.warning(
            "this process's people are gone from Redis (it was silent for over "
            "%s s, or Redis lost its data); closing its connections so that "
            "they join again",
            presence.expire_s,
        )
        socketio.server.eio.disconnect()
    departed = presence.reap_dead()
    if departed:
        from .chat import clear_departed  # chat imports this module's callers

        log.info("cleared %d connections of dead processes", len(departed))
        clear_departed(departed)


def retire(app: Flask) -> None:
    """A process stopping gracefully (baithak.shutdown): take its connections
    out of Redis presence without "has left!" (its clients reconnect, here
    or elsewhere) and send their rooms a fresh roomData. Nothing with
    presence in memory."""
    with app.app_context():
        presence = get_presence()
        if isinstance(presence, RedisPresence):
            from .roomdata import emit_to_rooms

            emit_to_rooms(presence.retire())
