"""Service layer: the only code that changes chat state or emits to rooms.

HTTP routes and Socket.IO handlers validate shape and identity, call one service
function, and turn its result or its `ServiceError` into a page, flash or ack.
"""

from __future__ import annotations

from typing import TypeVar

from ..extensions import db

T = TypeVar("T")

# The largest id a row can have. Ids are INTEGER columns: 64-bit on SQLite,
# 32-bit on PostgreSQL, where comparing one with a larger number is an error
# ("integer out of range"), not a miss. Ids from clients are checked against
# this, so both databases answer alike.
MAX_ID = 2**31 - 1


def by_id(model: type[T], raw_id: object) -> T | None:
    """Return the `model` row whose primary key is `raw_id`, or None when
    there is none or `raw_id` is not an id at all: ids come from clients, so
    anything but an int from 1 to MAX_ID (not a bool) finds nothing."""
    if isinstance(raw_id, bool) or not isinstance(raw_id, int):
        return None
    if not 0 < raw_id <= MAX_ID:
        return None
    return db.session.get(model, raw_id)


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
