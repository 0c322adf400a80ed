"""How many Socket.IO connections each IP address holds, and the cap on it.

One eventlet worker serves a bounded number of connections (gunicorn's
worker_connections); without a cap per address, one machine holding a
thousand idle sockets locked everyone else out (hostile review). The cap is
BAITHAK_MAX_CONNECTIONS_PER_IP: a school behind one router shares it.
"""

from __future__ import annotations

import threading
from collections import Counter

from flask import Flask, current_app

from . import ServiceError


class ConnectionCounts:
    """Open connections per IP address; one per app."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._open: Counter[str] = Counter()
        self._by_sid: dict[str, str] = {}

    def open(self, sid: str, ip: str | None) -> None:
        """Count connection `sid` from `ip`; raise ServiceError
        ("too_many_connections") when that address holds its limit already."""
        key = ip or "unknown"
        with self._lock:
            if self._limit and self._open[key] >= self._limit:
                raise ServiceError(
                    "Too many connections from your network; close some tabs.",
                    "too_many_connections",
                )
            self._open[key] += 1
            self._by_sid[sid] = key

    def close(self, sid: str) -> None:
        """Forget connection `sid` (nothing happens for one never counted)."""
        with self._lock:
            key = self._by_sid.pop(sid, None)
            if key is not None:
                self._open[key] -= 1
                if not self._open[key]:
                    del self._open[key]


def init_app(app: Flask) -> None:
    """Give the app its connection counts."""
    limit = app.config["BAITHAK_MAX_CONNECTIONS_PER_IP"]
    app.extensions["baithak.connections"] = ConnectionCounts(limit)


def get_connections() -> ConnectionCounts:
    """Return the current app's connection counts."""
    return current_app.extensions["baithak.connections"]
