"""Configuration classes, chosen by name, with overrides from the environment."""

from __future__ import annotations

import os

# Rate limits of chat actions (baithak/services/ratelimit.py), in `limits`
# notation: "5/second;60/minute" is a burst and a steady rate. The first of
# each pair counts one account (all its tabs) or one guest connection, the
# second one IP address, which a class of 40 behind one school router shares.
# These let 40 people type (and a class join at once) with room to spare.
DEFAULT_LIMITS = {
    "BAITHAK_LIMIT_SEND": "5/second;60/minute",
    "BAITHAK_LIMIT_SEND_PER_IP": "40/second;1200/minute",
    "BAITHAK_LIMIT_JOIN": "5/second;30/minute",
    "BAITHAK_LIMIT_JOIN_PER_IP": "50/second;300/minute",
    "BAITHAK_LIMIT_ROOM_CREATE": "5/minute;30/day",
    "BAITHAK_LIMIT_ROOM_CREATE_PER_IP": "60/minute;300/day",
}


def _limit(key: str) -> str:
    """Return a rate limit from the environment ("" switches it off)."""
    return os.environ.get(key, DEFAULT_LIMITS[key])


class Config:
    """Defaults shared by every configuration; safe for a classroom laptop."""

    # Unset: create_app() uses instance/secret_key, made once with `secrets`.
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # A relative SQLite path resolves inside the instance folder (Flask-SQLAlchemy 3).
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", "sqlite:///baithak.sqlite3"
    )
    # Guests pick a display name and chat without an account (classroom default).
    BAITHAK_ALLOW_GUESTS = os.environ.get("BAITHAK_ALLOW_GUESTS", "1") != "0"
    # The always-present room that the join form offers first.
    BAITHAK_GLOBAL_ROOM = "Global"
    # Limits in characters (names: after trimming; messages: as sent).
    BAITHAK_MAX_MESSAGE_LENGTH = 2000
    BAITHAK_MAX_NAME_LENGTH = 32
    BAITHAK_MAX_ROOM_LENGTH = 48
    # Packets one long-polling request may carry (engine.io's default: 16).
    BAITHAK_MAX_POLLING_PACKETS = 500
    # Messages sent with the join ack, and the most one history page may hold.
    BAITHAK_HISTORY_PAGE = 50
    # Join/leave notices a history page may carry besides its messages.
    BAITHAK_HISTORY_NOTICES = 150
    # Rate limits: DEFAULT_LIMITS above. Storage: memory:// (one process), or
    # redis://... shared by several.
    BAITHAK_LIMIT_SEND = _limit("BAITHAK_LIMIT_SEND")
    BAITHAK_LIMIT_SEND_PER_IP = _limit("BAITHAK_LIMIT_SEND_PER_IP")
    BAITHAK_LIMIT_JOIN = _limit("BAITHAK_LIMIT_JOIN")
    BAITHAK_LIMIT_JOIN_PER_IP = _limit("BAITHAK_LIMIT_JOIN_PER_IP")
    BAITHAK_LIMIT_ROOM_CREATE = _limit("BAITHAK_LIMIT_ROOM_CREATE")
    BAITHAK_LIMIT_ROOM_CREATE_PER_IP = _limit("BAITHAK_LIMIT_ROOM_CREATE_PER_IP")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # None lets Flask-SocketIO choose: threading under `flask run`, eventlet otherwise.
    SOCKETIO_ASYNC_MODE: str | None = None
    WTF_CSRF_TIME_LIMIT = None  # a classroom tab stays open all day
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"


class DevelopmentConfig(Config):
    """Local use with `flask run` (`make run`)."""


class TestingConfig(Config):
    """pytest: the test fixtures set the database URI to a temporary file."""

    TESTING = True
    SECRET_KEY = "test"
    SOCKETIO_ASYNC_MODE = "threading"
    WTF_CSRF_ENABLED = False
    # Off, so tests of other things can send quickly; tests/test_ratelimit.py
    # turns them on with the defaults.
    BAITHAK_LIMIT_SEND = BAITHAK_LIMIT_SEND_PER_IP = ""
    BAITHAK_LIMIT_JOIN = BAITHAK_LIMIT_JOIN_PER_IP = ""
    BAITHAK_LIMIT_ROOM_CREATE = BAITHAK_LIMIT_ROOM_CREATE_PER_IP = ""


class ProductionConfig(Config):
    """gunicorn with an eventlet worker; secure cookies."""

    # Behind HTTPS set BAITHAK_SECURE_COOKIES=1; a plain-HTTP classroom LAN cannot.
    SESSION_COOKIE_SECURE = os.environ.get("BAITHAK_SECURE_COOKIES", "0") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
