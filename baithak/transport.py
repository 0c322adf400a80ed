"""WSGI middleware for the Socket.IO transport: no permessage-deflate.

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
