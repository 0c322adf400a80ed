"""A python-socketio chat client that keeps the delivery contract the way the
browser client does (docs/reliability.md): it re-joins by itself after any
disconnect, fetches what it missed (loadHistory after its newest id, and on
any gap in a room's seq), and sends from an outbox, one message at a time,
each with its own clientId, until the server acknowledges it."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from typing import Any

import socketio

RETRY = {"not_joined", "shutting_down", "name_in_use", "rate_limited", "unavailable"}


class ReliableClient:
    """One person in one room; `history` is what they have seen, by message id."""

    def __init__(self, url: str, name: str, room: str) -> None:
        self.url, self.name, self.room = url, name, room
        self.history: dict[int, dict[str, Any]] = {}
        self.outbox: list[tuple[str, str]] = []  # (clientId, text), oldest first
        self.acked: dict[str, int] = {}  # clientId -> message id
        self.refused: list[tuple[str, Any]] = []  # errors that are not retried
        self.shutdowns = 0  # `shutdown` events received
        self.joins = 0
        self._lock = threading.Condition()
        self._joined = False
        self._gap = False
        self._stop = False
        self.sio = socketio.Client(
            reconnection=True,
            reconnection_delay=0.2,
            reconnection_delay_max=1,
            randomization_factor=0,
        )
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("message", self._on_message)
        self.sio.on("locationMessage", self._on_message)
        self.sio.on("shutdown", self._on_shutdown)
        self._worker = threading.Thread(target=self._run, daemon=True)
        self._worker.start()

    # --- what the test does ---------------------------------------------------

    def send(self, text: str) -> str:
        """Queue a message; return its clientId."""
        client_id = uuid.uuid4().hex
        with self._lock:
            self.outbox.append((client_id, text))
            self._lock.notify_all()
        return client_id

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until joined with an empty outbox and nothing left to fetch."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self.outbox or not self._joined or self._gap:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{self.name}: not idle (joined={self._joined}, "
                        f"outbox={len(self.outbox)}, gap={self._gap})"
                    )
                self._lock.wait(min(remaining, 0.2))

    def catch_up(self) -> None:
        """Fetch everything newer than what we have (as after a reconnect)."""
        with self._lock:
            self._gap = True
            self._lock.notify_all()

    def close(self) -> None:
        """Stop the worker and disconnect."""
        with self._lock:
            self._stop = True
            self._lock.notify_all()
        self._worker.join(timeout=10)
        self.sio.disconnect()

    def texts(self) -> list[tuple[int, str]]:
        """Return (seq, text or url) of everything seen, in seq order."""
        with self._lock:
            items = sorted(self.history.values(), key=lambda m: m["seq"])
        return [(m["seq"], m.get("text", m.get("url"))) for m in items]

    # --- socket events (python-socketio's thread) -------------------------------

    def _on_connect(self) -> None:
        with self._lock:
            self._lock.notify_all()  # the worker joins

    def _on_disconnect(self, reason: Any = None) -> None:
        with self._lock:
            self._joined = False
            self._lock.notify_all()

    def _on_shutdown(self, _data: Any) -> None:
        with self._lock:
            self.shutdowns += 1

    def _on_message(self, payload: dict[str, Any]) -> None:
        with self._lock:
            self._record([payload])

    def _record(self, payloads: list[dict[str, Any]]) -> None:
        for payload in payloads:
            if "id" not in payload:
                continue  # the welcome, which is not stored
            newest = max((m["seq"] for m in self.history.values()), default=0)
            if payload["seq"] > newest + 1 and self.history:
                self._gap = True
            self.history[payload["id"]] = payload
        self._lock.notify_all()

    # --- the worker: connect, join, catch up, send --------------------------------

    def _run(self) -> None:
        for _ in itertools.count():
            with self._lock:
                if self._stop:
                    return
            try:
                self._step()
            except (socketio.exceptions.SocketIOError, OSError, ValueError):
                time.sleep(0.2)  # disconnected meanwhile: the next step retries

    def _step(self) -> None:
        if not self.sio.connected:
            # A server-side close (graceful shutdown) tells python-socketio not
            # to reconnect; a browser does, and so do we.
            if self.sio.eio.state == "disconnected" and not self._reconnecting():
                self.sio.connect(self.url, transports=["websocket"], wait_timeout=5)
            time.sleep(0.1)
            return
        if not self._joined:
            self._join()
        elif self._gap:
            self._fetch_newer()
        elif self.outbox:
            self._send_oldest()
        else:
            with self._lock:
                if not (self.outbox or self._gap or self._stop):
                    self._lock.wait(0.2)

    def _reconnecting(self) -> bool:
        task = getattr(self.sio, "_reconnect_task", None)
        return task is not None and task.is_alive()

    def _join(self) -> None:
        error, data = self._call("join", {"username": self.name, "room": self.room})
        if error is not None:
            if data and data.get("code") in RETRY:
                time.sleep(data.get("retryAfter", 0.3))
                return
            raise AssertionError(f"{self.name} could not join: {error}")
        with self._lock:
            had = bool(self.history)
            self._record(data["messages"])
            self._joined = True
            self.joins += 1
            self._gap = had  # back after a drop: fetch what was said meanwhile

    def _fetch_newer(self) -> None:
        with self._lock:
            after = max(self.history, default=0)
        error, data = self._call("loadHistory", {"after": after})
        if error is not None:
            time.sleep(0.2)
            return
        with self._lock:
            self._record(data["messages"])
            if not data["hasMore"]:
                self._gap = False
                self._lock.notify_all()

    def _send_oldest(self) -> None:
        with self._lock:
            client_id, text = self.outbox[0]
        error, data = self._call("sendMessage", {"text": text, "clientId": client_id})
        with self._lock:
            if error is None:
                self.acked[client_id] = data["id"]
                if data["id"] not in self.history:
                    self._gap = True  # a duplicate is not broadcast again
            elif data and data.get("code") in RETRY:
                time.sleep(data.get("retryAfter", 0.2))
                return
            else:
                self.refused.append((client_id, error))
            self.outbox.pop(0)
            self._lock.notify_all()

    def _call(self, event: str, payload: Any) -> tuple[Any, Any]:
        result = self.sio.call(event, payload, timeout=5)
        error, data = [*list(result), None, None][:2]
        return error, data
