"""Rules for display names and room names: trimming, folding, length, reserved names."""

from __future__ import annotations

import unicodedata

from flask import current_app

from . import ServiceError

# The name system messages are sent under (PROTOCOL.md: "Admin", as in the core).
SYSTEM_NAME = "Admin"
RESERVED_NAME_KEYS = frozenset({"admin", "system", "baithak"})

REQUIRED = "Username and room are required!"  # core error string, PROTOCOL.md


def clean(value: object) -> str:
    """Return `value` trimmed, with control characters removed; "" for non-strings."""
    if not isinstance(value, str):
        return ""
    text = "".join(ch for ch in value if unicodedata.category(ch) != "Cc")
    return text.strip()


def fold(value: str) -> str:
    """Return the comparison key of a cleaned name: NFKC-normalised and case-folded."""
    return unicodedata.normalize("NFKC", value).casefold()


def check_display_name(raw: object) -> str:
    """Return the cleaned display name; raise ServiceError if empty, long, reserved."""
    name = clean(raw)
    if not name:
        raise ServiceError(REQUIRED, "required")
    limit = current_app.config["BAITHAK_MAX_NAME_LENGTH"]
    if len(name) > limit:
        raise ServiceError(f"Name is too long (max {limit} characters).", "too_long")
    if fold(name) in RESERVED_NAME_KEYS:
        raise ServiceError("That name is reserved.", "name_reserved")
    return name


def check_room_name(raw: object) -> str:
    """Return the cleaned room name, or raise ServiceError if empty or too long."""
    name = clean(raw)
    if not name:
        raise ServiceError(REQUIRED, "required")
    limit = current_app.config["BAITHAK_MAX_ROOM_LENGTH"]
    if len(name) > limit:
        raise ServiceError(
            f"Room name is too long (max {limit} characters).", "too_long"
        )
    return name
