"""Profiles: an account's public page (name, avatar, custom status, bio,
when it was last seen, rooms in common with the viewer) and editing it.

Privacy: "rooms in common" lists only rooms that the *viewer* may see
(access.visible_room), so a profile never reveals a private room.
"""

from __future__ import annotations

import unicodedata
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

import regex
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import DIRECT, Membership, Room, User, now_ms
from . import ServiceError, access
from .accounts import name_owned_by_account
from .names import check_display_name, fold
from .presence import get_presence
from .profanity import contains_profanity
from .roomdata import emit_to_rooms
from .rooms import room_title

MAX_STATUS_TEXT = 80
MAX_BIO = 500
AVATAR_COLOURS = 8  # .avatar-c0 ... .avatar-c7 in app.css
# One emoji, as Unicode's emoji sequences (UTS #51, ED-14..ED-17) build
# them: a keycap, a flag (two regional indicators), or a pictograph with an
# optional presentation selector or skin tone, joined by ZWJ to more, with
# optional tag characters (subdivision flags). Nothing else may ride on it.
_EMOJI = regex.compile(
    r"[0-9#*]\ufe0f?\u20e3"
    r"|\p{Regional_Indicator}{2}"
    r"|\p{Extended_Pictographic}(?:\ufe0f|\p{Emoji_Modifier})?"
    r"(?:\u200d\p{Extended_Pictographic}(?:\ufe0f|\p{Emoji_Modifier})?)*"
    r"[\U000e0020-\U000e007e]*\U000e007f?"
)
_GRAPHEME = regex.compile(r"\X")
_CONTROL = frozenset({"Cc"})


@dataclass(frozen=True)
class Profile:
    """What a profile page shows. `status` is "online", "away" or None
    (offline: see `last_seen_at`, ms since the epoch, None if never seen);
    `rooms` are (room id, title) pairs the viewer may see, by title."""

    user: User
    initials: str
    colour: str
    status: str | None
    last_seen_at: int | None
    rooms: list[tuple[int, str]]
    is_own: bool


def profile_of(user: User, viewer: User | None) -> Profile:
    """Return the profile of `user` as `viewer` (None: a guest) sees it."""
    initials, colour = avatar(user.display_name)
    is_own = viewer is not None and viewer.id == user.id
    return Profile(
        user=user,
        initials=initials,
        colour=colour,
        status=get_presence().account_status(user.id),
        last_seen_at=user.last_seen_at,
        rooms=[] if is_own else rooms_in_common(user, viewer),
        is_own=is_own,
    )


def rooms_in_common(user: User, viewer: User | None) -> list[tuple[int, str]]:
    """Return (id, title) of the rooms, not direct conversations, that both
    accounts are members of, sorted by title; every one is a room the viewer
    may see. A guest has no memberships, so none in common."""
    if viewer is None or viewer.id == user.id:
        return []
    theirs, mine = aliased(Membership), aliased(Membership)
    rooms = db.session.execute(
        sa.select(Room)
        .join(theirs, sa.and_(theirs.room_id == Room.id, theirs.user_id == user.id))
        .join(mine, sa.and_(mine.room_id == Room.id, mine.user_id == viewer.id))
        .where(Room.kind != DIRECT)
    ).scalars()
    common = []
    for room in rooms:
        try:  # the privacy rule, asked of the one place that keeps it
            access.visible_room(room.id, viewer)
        except ServiceError:
            continue
        common.append((room.id, room_title(room, viewer.id)))
    return sorted(common, key=lambda r: (fold(r[1]), r[0]))


def avatar(name: str) -> tuple[str, str]:
    """Return a name's avatar: its initials (the first character of its
    first and last words, upper case) and a colour class "avatar-c<n>"
    chosen by a hash of the folded name, so a name keeps its colour."""
    words = name.split()
    firsts = [_GRAPHEME.match(w).group() for w in words[:1] + words[1:][-1:]]
    initials = "".join(firsts).upper() or "?"
    colour = zlib.crc32(fold(name).encode()) % AVATAR_COLOURS
    return initials, f"avatar-c{colour}"


def describe_time_ago(then_ms: int, now: int | None = None) -> str:
    """Return "just now", "5 minutes ago", "3 hours ago", "2 days ago" or
    "on 1 Dec 2026" (UTC) for a time in ms since the epoch."""
    seconds = max(0, ((now if now is not None else now_ms()) - then_ms) // 1000)
    if seconds >= 7 * 86400:
        return datetime.fromtimestamp(then_ms / 1000, UTC).strftime("on %-d %b %Y")
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def iso_time(ms: int) -> str:
    """Return a time in ms since the epoch as ISO 8601 in UTC (for <time>)."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def month_year(ms: int) -> str:
    """Return a time in ms since the epoch as "December 2026" (UTC)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%B %Y")


def _check_plain_text(raw: object, limit: int, what: str, lines: bool) -> str | None:
    """Return the text trimmed (None if empty); refuse control characters
    (but newlines where `lines`), more than `limit` characters, profanity."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ServiceError(f"{what} must be text.", "invalid_text")
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    allowed = {"\n", "\t"} if lines else set()
    if any(unicodedata.category(ch) in _CONTROL and ch not in allowed for ch in text):
        raise ServiceError(
            f"{what} may not contain control characters.", "invalid_text"
        )
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        raise ServiceError(f"{what} contains invalid characters.", "invalid_text")
    text = text.strip() if lines else " ".join(text.split())
    if not text:
        return None
    if len(text) > limit:
        raise ServiceError(f"{what} is too long (max {limit} characters).", "too_long")
    if contains_profanity(text):
        raise ServiceError("Profanity is not allowed!", "profanity")
    return text


def check_status_text(raw: object) -> str | None:
    """Return a cleaned status text (None: none); raise ServiceError if it
    is longer than 80 characters, profane or holds control characters."""
    return _check_plain_text(raw, MAX_STATUS_TEXT, "Status", lines=False)


def check_status_emoji(raw: object) -> str | None:
    """Return the status emoji (None: none); raise ServiceError unless it is
    exactly one emoji (see _EMOJI)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    emoji = raw.strip() if isinstance(raw, str) else ""
    if not (
        _GRAPHEME.fullmatch(emoji) and _EMOJI.fullmatch(emoji) and len(emoji) <= 16
    ):
        raise ServiceError("Pick one emoji (or none).", "bad_emoji")
    return emoji


def check_bio(raw: object) -> str | None:
    """Return a cleaned bio (None: none); raise ServiceError if it is longer
    than 500 characters, profane or holds control characters but newlines."""
    return _check_plain_text(raw, MAX_BIO, "Bio", lines=True)


def update_profile(
    user: User,
    display_name: object,
    status_text: object,
    status_emoji: object,
    bio: object,
) -> User:
    """Change the account's display name (accounts' rules: valid, not
    another account's name, not used by someone in a room it is in now),
    custom status and bio; commit. Every room it is in gets `roomData`.
    Raises ServiceError (with `field`) and changes nothing on bad input."""
    fields = {
        "display_name": lambda: check_display_name(display_name),
        "status_text": lambda: check_status_text(status_text),
        "status_emoji": lambda: check_status_emoji(status_emoji),
        "bio": lambda: check_bio(bio),
    }
    clean_values = {}
    for field, check in fields.items():
        try:
            clean_values[field] = check()
        except ServiceError as exc:
            raise ServiceError(exc.message, exc.code, field=field) from None
    name = clean_values["display_name"]
    old_name, renamed = user.display_name, fold(name) != user.display_name_key
    if renamed and fold(name) != user.username_key and name_owned_by_account(name):
        raise ServiceError(
            "That display name is taken.", "display_name_taken", "display_name"
        )
    presence = get_presence()
    try:
        rooms = presence.rename(user.id, name)
    except ServiceError:
        raise ServiceError(
            "Someone is chatting under that name right now; pick another.",
            "name_in_use",
            "display_name",
        ) from None
    user.display_name, user.display_name_key = name, fold(name)
    user.status_text = clean_values["status_text"]
    user.status_emoji = clean_values["status_emoji"]
    user.bio = clean_values["bio"]
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # another account took the name meanwhile
        db.session.rollback()
        presence.rename(user.id, old_name)
        raise ServiceError(
            "That display name is taken.", "display_name_taken", "display_name"
        ) from None
    emit_to_rooms(rooms)
    return user
