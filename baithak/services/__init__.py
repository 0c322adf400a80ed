"""Service layer: the only code that changes chat state or emits to rooms.

HTTP routes and Socket.IO handlers validate shape and identity, call one service
function, and turn its result or its `ServiceError` into a page, flash or ack.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal the user should see: `message` is human-readable, `code` is stable.

    `message` is what the Socket.IO ack's first argument carries (the core error
    strings of PROTOCOL.md are kept verbatim); `code` is the machine-readable
    detail sent as `{"code": code}` in the ack's second argument, together with
    `details` (e.g. {"retryAfter": 3}, in seconds, for a rate limit).
    """

    def __init__(
        self,
        message: str,
        code: str,
        field: str | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field  # the form field at fault, when there is one
        self.details = details or {}
