"""The Socket.IO transport: no permessage-deflate, and websocket frames
written together.

Every browser offers permessage-deflate on the websocket handshake, and both
websocket servers Baithak runs on (eventlet's under gunicorn, simple-websocket
under `flask run`) accept it when offered. Chat frames are small (a message is
at most 2,000 characters) and mostly go over a LAN, where compression saves
little; its cost is a zlib stream per connection and direction (~190 KB of
server memory per connection, measured by the shared yardstick) and
compressing every broadcast again for every recipient (about 2x the CPU per
delivery, at both ends). So the offer is removed before the handshake is
answered; BAITHAK_WEBSOCKET_DEFLATE=1 keeps it for slow networks.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class NoWebsocketDeflate:
    """Wrap a WSGI app; drop the client's websocket extension offer."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Serve the request as if the client had offered no extension."""
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.app(environ, start_response)


# What may wait for one client that does not read before it is dropped: many
# full history pages, or minutes of a busy room.
MAX_PENDING_BYTES = 4_000_000


def text_frame(payload: bytes) -> bytes:
    """Return an unmasked, final websocket text frame (RFC 6455, 5.2) of `payload`."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


class CoalescingWebSocket:
    """eventlet's server-side websocket, but the frames one writer queues
    together go out in one socket write, by one greenlet at a time.

    python-engineio's writer sends each queued packet with its own
    `send()`: one syscall per frame per recipient, the largest single cost of
    a busy room (py-spy, bench saturate: 25 % of the worker). Here `send()`
    only frames the text and appends it; a greenlet spawned with the first
    one writes them all once the writer yields, in order. `close()` writes
    what is pending first. Text frames only: binary packets and deflate
    (BAITHAK_WEBSOCKET_DEFLATE=1) use eventlet's own path.
    """

    def __init__(self, ws: Any, spawn: Callable[[Callable[[], None]], Any]) -> None:
        self._ws = ws
        self._spawn = spawn  # eventlet.spawn: runs the write once we yield
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._flushing = False  # one writing greenlet per connection at most
        self._error: BaseException | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)

    def send(self, message: str | bytes, **kw: Any) -> None:
        """Queue a text message for the next write; binary goes out now.

        Raises the last write's error, or ConnectionError when more than
        MAX_PENDING_BYTES wait for a client that does not read (python-
        engineio then closes the connection).
        """
        if self._error is not None:
            raise self._error
        if not isinstance(message, str) or kw:
            self._flush()
            self._ws.send(message, **kw)
            return
        frame = text_frame(message.encode())
        self._pending.append(frame)
        self._pending_bytes += len(frame)
        if self._pending_bytes > MAX_PENDING_BYTES:
            self._error = ConnectionError("the client is not reading")
            raise self._error
        if not self._flushing:
            self._flushing = True
            self._spawn(self._flush_all)

    def _flush_all(self) -> None:
        try:
            while self._pending and self._error is None:
                self._flush()
        finally:
            self._flushing = False

    def _flush(self) -> None:
        frames, self._pending, self._pending_bytes = self._pending, [], 0
        if not frames or self._error is not None:
            return
        try:
            # eventlet's own send path (its lock also guards control frames).
            self._ws._send(b"".join(frames))
        except OSError as exc:
            self._error = exc  # the next send() raises it: the writer stops

    def close(self, *args: Any, **kw: Any) -> None:
        """Write what is pending, then close."""
        self._flush()
        self._ws.close(*args, **kw)


def coalesce_websocket_writes(eio_server: Any) -> None:
    """Make python-engineio (eventlet mode) hand CoalescingWebSocket objects
    to its websocket handler. It picks its websocket class from the
    server's `_async` table of its async driver, per server (a copy is
    changed, not the driver's module-level table)."""
    # Imported here: only a server in eventlet mode needs (or warms) eventlet.
    import eventlet
    from engineio.async_drivers.eventlet import WebSocketWSGI

    class CoalescingWebSocketWSGI(WebSocketWSGI):
        def __init__(self, handler: Callable[[Any], Any], server: Any) -> None:
            def wrapped(ws: Any) -> Any:
                return handler(CoalescingWebSocket(ws, eventlet.spawn))

            super().__init__(wrapped, server)

    eio_server._async = {**eio_server._async, "websocket": CoalescingWebSocketWSGI}
