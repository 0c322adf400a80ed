"""Guards around python-socketio's server for hostile input.

Every Engine.IO message goes through `install`'s wrapper, which (1) yields to
the other connections after each one: under eventlet a connection whose
frames keep arriving is read without pause, so one client flooding any event
(accepted, refused, unknown, or malformed) would hold the whole server for
seconds (seen: 4.3 s for 20,000 refusals, 11.6 s for 20,000 re-sends; a
loadHistory flood got the worker killed by gunicorn's timeout); and (2) turns
a packet python-socketio cannot decode or dispatch (a dict as the event name,
a bad namespace, broken JSON) into one log line instead of a traceback each,
so a flood cannot fill the disk. Such a packet carries no usable ack id.
"""

from __future__ import annotations

import logging
from typing import Any

from .extensions import socketio

log = logging.getLogger(__name__)


def install(server: Any) -> None:
    """Wrap `server`'s Engine.IO message handler; make "*" an unknown event."""
    handle_message = server._handle_eio_message

    def guarded(eio_sid: str, data: Any) -> None:
        try:
            handle_message(eio_sid, data)
        except Exception as exc:  # undecodable: nothing to ack, nothing done
            log.warning("bad packet from %s: %s", eio_sid, type(exc).__name__)
        finally:
            socketio.sleep(0)  # the others' turn

    server.eio.on("message", guarded)
    _treat_star_as_unknown(server)


def _treat_star_as_unknown(server: Any) -> None:
    """Make a client's event *named* "*" reach the catch-all as an unknown event.

    python-socketio (5.18, pinned) finds the catch-all handler, registered as
    "*", under that name and calls it as if for its own event, without the
    name; Flask-SocketIO's wrapper then takes the client's first argument for
    the sid, so the event got no ack at all, or ('', 400). Found by the fuzz
    test (tests/test_fuzz.py).
    """
    find_handler = server._get_event_handler

    def get_event_handler(event: Any, namespace: str, args: tuple) -> Any:
        if event != "*":
            return find_handler(event, namespace, args)
        # None is no handler's name: the lookup falls through to the
        # catch-all and passes the name first, which is then set back.
        handler, args = find_handler(None, namespace, args)
        return handler, ("*", *args[1:]) if handler is not None else args

    server._get_event_handler = get_event_handler
