"""Rules for display names and room names: trimming, folding, length, reserved names."""

from __future__ import annotations

import unicodedata

from flask import current_app

from . import ServiceError
from .profanity import PROFANITY, contains_profanity
from .unicodetext import comparable

# The name system messages are sent under (PROTOCOL.md: "Admin", as in the core).
SYSTEM_NAME = "Admin"
RESERVED_NAME_KEYS = frozenset({"admin", "system", "baithak"})

REQUIRED = "Username and room are required!"  # core error string, PROTOCOL.md


# Joiners that Indic scripts and emoji sequences need; kept in what is shown,
# dropped from comparison keys.
JOINERS = frozenset("\u200c\u200d")
# Letters and symbols that render as blank space (Hangul fillers, braille blank).
BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Unicode categories removed from names: control, surrogate and format
# characters (bidi overrides, zero-width spaces, soft hyphen, BOM...).
REMOVED_CATEGORIES = frozenset({"Cc", "Cs", "Cf"})


def clean(value: object) -> str:
    """Return a name as shown: invisible, control and bidi-override characters
    removed, whitespace runs made one space, ends trimmed; "" for non-strings
    and for names with nothing visible left."""
    if not isinstance(value, str):
        return ""
    kept = "".join(
        ch
        for ch in value
        if ch in JOINERS
        or (unicodedata.category(ch) not in REMOVED_CATEGORIES and ch not in BLANKS)
    )
    text = " ".join(kept.split())
    return text if text.strip("".join(JOINERS)) else ""


def fold(value: str) -> str:
    """Return the comparison key of a cleaned name (NFKC, invisible characters
    such as joiners and variation selectors removed, case-folded), so
    fullwidth "ASHA" (U+FF21...), "As\u034fha" and "asha" match."""
    return comparable(value)


KEY_FACTOR = 4


def _check_length(name: str, limit: int, what: str) -> None:
    # NFKC may expand a character (one ligature can fold to 18 letters); the
    # stored key has room for KEY_FACTOR x the limit.
    if len(name) > limit or len(fold(name)) > KEY_FACTOR * limit:
        raise ServiceError(f"{what} is too long (max {limit} characters).", "too_long")


def check_display_name(raw: object) -> str:
    """Return the cleaned display name; raise ServiceError if empty, long, reserved."""
    name = clean(raw)
    if not name:
        raise ServiceError(REQUIRED, "required")
    _check_length(name, current_app.config["BAITHAK_MAX_NAME_LENGTH"], "Name")
    _check_decent(name)
    if fold(name) in RESERVED_NAME_KEYS:
        raise ServiceError("That name is reserved.", "name_reserved")
    return name


def check_room_name(raw: object) -> str:
    """Return the cleaned room name, or raise ServiceError if empty or too long."""
    name = clean(raw)
    if not name:
        raise ServiceError(REQUIRED, "required")
    _check_length(name, current_app.config["BAITHAK_MAX_ROOM_LENGTH"], "Room name")
    _check_decent(name)
    return name


def _check_decent(name: str) -> None:
    # Names are shown to everyone (people list, notices, lobby): same filter
    # as messages.
    if contains_profanity(name):
        raise ServiceError(PROFANITY, "profanity")
