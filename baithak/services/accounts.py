"""Accounts: registration, password checks and the names accounts own."""

from __future__ import annotations

import functools
import re
import secrets
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import User
from . import ServiceError
from .names import RESERVED_NAME_KEYS, check_display_name, check_scripts, clean, fold

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
# NIST SP 800-63B, 5.1.1.2: at least 8 characters, no composition rules.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


def check_username(raw: object) -> str:
    """Return the cleaned login name (3-32 of A-Za-z0-9 _.-); raise ServiceError."""
    username = clean(raw)
    check_scripts(username, "Usernames")  # clearer than bad_username for a Cyrillic "A"
    if not USERNAME_RE.match(username):
        raise ServiceError(
            "Username must be 3-32 letters, digits, dots, dashes or underscores.",
            "bad_username",
        )
    return username


T = TypeVar("T")


def check_password(raw: object) -> str:
    """Return the password unchanged, or raise ServiceError if too short or long."""
    if not isinstance(raw, str) or not (
        MIN_PASSWORD_LENGTH <= len(raw) <= MAX_PASSWORD_LENGTH
    ):
        raise ServiceError(
            f"Password must be {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters.",
            "bad_password",
        )
    return raw


def guests_allowed() -> bool:
    """Return True if people without an account may chat (BAITHAK_ALLOW_GUESTS)."""
    return bool(current_app.config["BAITHAK_ALLOW_GUESTS"])


def check_guests_allowed(
    message: str = "Guests cannot chat here; please log in.",
) -> None:
    """Raise ServiceError(message, "login_required") if guests are turned off."""
    if not guests_allowed():
        raise ServiceError(message, "login_required")


def find_account(raw_name: object) -> User | None:
    """Return the account whose display name or username is `raw_name`
    (compared folded; the two never clash between accounts), or None."""
    key = fold(clean(raw_name))
    if not key:
        return None
    return db.session.execute(
        sa.select(User)
        .where(sa.or_(User.display_name_key == key, User.username_key == key))
        .limit(1)
    ).scalar_one_or_none()


def name_owned_by_account(name: str) -> bool:
    """Return True if a registered account uses `name` as username or display name."""
    return find_account(name) is not None


def register(username: object, password: object, display_name: object) -> User:
    """Create and return an account; the password is stored as a scrypt hash.

    Raises ServiceError when a field is invalid or a name is already taken
    (usernames and display names are unique across accounts, case-insensitively).
    """
    username = check_username(username)
    password = check_password(password)
    display_name = check_display_name(display_name)
    if fold(username) in RESERVED_NAME_KEYS:
        raise ServiceError(
            "That username is reserved.", "username_reserved", "username"
        )
    if name_owned_by_account(username):
        raise ServiceError("That username is taken.", "username_taken", "username")
    if fold(display_name) != fold(username) and name_owned_by_account(display_name):
        raise ServiceError(
            "That display name is taken.", "display_name_taken", "display_name"
        )
    user = User(
        username=username,
        username_key=fold(username),
        display_name=display_name,
        display_name_key=fold(display_name),
        # Werkzeug's default is scrypt (n=2**15, r=8, p=1), a memory-hard KDF.
        password_hash=_off_the_loop(generate_password_hash, password),
    )
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # a concurrent registration won the race
        db.session.rollback()
        raise ServiceError(
            "That username or display name is taken.", "name_taken", "username"
        ) from None
    return user


def authenticate(username: object, password: object) -> User | None:
    """Return the account whose username and password match, else None."""
    if not isinstance(password, str):
        return None
    stmt = sa.select(User).where(User.username_key == fold(clean(username)))
    user = db.session.execute(stmt).scalar_one_or_none()
    # Hash even for an unknown username, so the time taken does not tell
    # whether the account exists.
    stored = user.password_hash if user is not None else _dummy_hash()
    if not _off_the_loop(check_password_hash, stored, password) or user is None:
        return None
    return user


def _off_the_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run a password hash (scrypt: ~100 ms of CPU) in one of eventlet's OS
    threads when serving under eventlet: hashlib's scrypt releases the GIL, so
    the chat goes on meanwhile (a login flood held every room for seconds).
    Under plain threads (`flask run`, tests) call it here.

    The session's read transaction ends first (nothing is pending: reads
    only), so a request waiting its turn to hash holds no database
    connection: thirty of them held the whole pool, and everyone's messages
    waited for a connection (1.6 s).
    """
    db.session.commit()
    if "eventlet" in sys.modules:  # imported only by the eventlet server
        from eventlet import patcher, tpool

        if patcher.is_monkey_patched("thread"):
            # One at a time: twenty scrypt threads would take the cores (and
            # 32 MB each) from the event loop; the others wait in line, green.
            with _hashing_turn():
                return tpool.execute(fn, *args)
    return fn(*args)


@functools.cache
def _hashing_turn() -> threading.Semaphore:
    return threading.Semaphore(1)  # made under eventlet: a green semaphore


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))
