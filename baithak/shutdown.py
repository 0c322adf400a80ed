"""Graceful shutdown: refuse new events, tell every client, let in-flight ones
finish, then close every connection so that clients reconnect by themselves.

Under gunicorn, `install` (called by gunicorn.conf.py once the worker has
loaded the app) runs `stop` on SIGTERM. Without it, gunicorn would wait its
whole graceful timeout for open websockets and then cut them mid-event.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g

from .extensions import socketio
from .services import ServiceError

STOPPING = "The server is restarting; your message will be sent when it is back."
# How long in-flight events may take to finish before connections close (s).
DRAIN_TIMEOUT_S = 5.0


class Lifecycle:
    """Whether the app is stopping, and how many events are being handled."""

    def __init__(self) -> None:
        self.stopping = False
        self.busy = 0
        self._lock = threading.Lock()

    def enter(self, refuse: bool = True) -> None:
        """Count one event (or HTTP request) in; while stopping, raise
        ServiceError("shutting_down") unless `refuse` is False."""
        with self._lock:
            if self.stopping and refuse:
                raise ServiceError(STOPPING, "shutting_down")
            self.busy += 1

    def leave(self) -> None:
        """Count one event out."""
        with self._lock:
            self.busy -= 1

    def begin_stop(self) -> None:
        """Refuse every event from now on."""
        with self._lock:
            self.stopping = True


def init_app(app: Flask) -> None:
    """Give the app its lifecycle state; count HTTP requests as in flight."""
    state = app.extensions["baithak.lifecycle"] = Lifecycle()

    @app.before_request
    def count_request() -> None:
        state.enter(refuse=False)
        g.baithak_in_flight = True

    @app.teardown_request
    def uncount_request(_exc: BaseException | None) -> None:
        # Only if counted: an earlier before_request (CSRF) may have refused.
        if g.pop("baithak_in_flight", False):
            state.leave()


def _state(app: Flask | None = None) -> Lifecycle:
    return (app or current_app).extensions["baithak.lifecycle"]


@contextmanager
def in_flight() -> Iterator[None]:
    """Wrap the handling of one client event (see Lifecycle.enter)."""
    state = _state()
    state.enter()
    try:
        yield
    finally:
        state.leave()


def stopping() -> bool:
    """Return True once `stop` has begun."""
    return _state().stopping


def stop(app: Flask, timeout: float = DRAIN_TIMEOUT_S) -> None:
    """Begin stopping: new events get the "shutting_down" error ack (clients
    keep such messages and send them again after reconnecting); every client
    gets a `shutdown` event {"text": str}; events being handled get up to
    `timeout` seconds to finish (their writes committed, their acks sent)."""
    state = _state(app)
    state.begin_stop()
    # This process's clients only: with a message queue a plain emit would
    # reach every process's.
    socketio.server.emit(
        "shutdown", {"text": STOPPING}, namespace="/", ignore_queue=True
    )
    deadline = time.monotonic() + timeout
    while state.busy and time.monotonic() < deadline:
        time.sleep(0.02)


def disconnect_all() -> None:
    """Close every connection at the transport level, which clients treat as
    a dropped connection: they reconnect by themselves (a Socket.IO-level
    disconnect would tell them not to)."""
    socketio.server.eio.disconnect()


# gunicorn's worker loop looks at `alive` once a second, then closes its
# listening socket (gunicorn/workers/geventlet.py, run()).
LISTENER_CLOSE_S = 1.5


# Time for the close packets to leave before the process ends (s).
CLOSE_FLUSH_S = 0.5


def install(worker: Any) -> None:
    """gunicorn post_worker_init hook: on SIGTERM, `stop`; let gunicorn close
    its listener (reconnecting clients must not land on this dying worker);
    close every connection; then end the worker process.

    The end is os._exit: eventlet's websocket reader does not notice a
    connection closed from the server side, so gunicorn would otherwise wait
    its whole graceful timeout for each open websocket (seen: 10 s), and a
    restart could not bind the port until then. Nothing is left to finish by
    that point: events and HTTP requests have drained, their writes committed.
    """
    import eventlet  # only under gunicorn's eventlet worker

    from .services import heartbeat

    app = worker.wsgi
    signalled: list[int] = []

    def stop_then_exit() -> None:
        worker.alive = False
        started = time.monotonic()
        try:
            stop(app)
            time.sleep(max(0.0, LISTENER_CLOSE_S - (time.monotonic() - started)))
            disconnect_all()
            heartbeat.retire(app)
            time.sleep(CLOSE_FLUSH_S)
        finally:
            logging.shutdown()
            os._exit(0)

    def on_sigterm(signum: int, _frame: Any) -> None:
        # The arbiter passes its own SIGTERM on: the second one changes nothing.
        if not signalled:
            signalled.append(signum)
            eventlet.spawn(stop_then_exit)  # never block in a signal handler

    signal.signal(signal.SIGTERM, on_sigterm)
