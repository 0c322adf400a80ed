"""Configuration classes, chosen by name, with overrides from the environment."""

from __future__ import annotations

import os

# Rate limits of chat actions (baithak/services/ratelimit.py), in `limits`
# notation: "5/second;60/minute" is a burst and a steady rate. The first of
# each pair counts one account (all its tabs) or one guest connection, the
# second one IP address, which a class of 40 behind one school router shares.
# These let 40 people type (and a class join at once) with room to spare.
DEFAULT_LIMITS = {
    "BAITHAK_RATELIMIT_SEND": "5/second;60/minute",
    "BAITHAK_RATELIMIT_SEND_IP": "40/second;1200/minute",
    "BAITHAK_RATELIMIT_JOIN": "5/second;30/minute",
    "BAITHAK_RATELIMIT_JOIN_IP": "50/second;300/minute",
    "BAITHAK_RATELIMIT_CREATE_ROOM": "5/minute;30/day",
    "BAITHAK_RATELIMIT_CREATE_ROOM_IP": "60/minute;300/day",
    # History pages (scrolling up, catching up after a reconnect: 50 messages
    # a page): a flood of them would queue megabytes of replies.
    "BAITHAK_RATELIMIT_HISTORY": "10/second;300/minute",
    "BAITHAK_RATELIMIT_HISTORY_IP": "100/second;3000/minute",
    # Moderation events (kick, mute...) and the room list: refused ones cost
    # queries too, so a member spamming them is held back like any flood.
    "BAITHAK_RATELIMIT_MODERATE": "5/second;120/minute",
    "BAITHAK_RATELIMIT_MODERATE_IP": "50/second;1200/minute",
    # Wrong join codes (a class behind one router shares an address).
    "BAITHAK_RATELIMIT_JOIN_CODE": "5/minute;50/day",
    "BAITHAK_RATELIMIT_JOIN_CODE_IP": "15/minute;200/day",
    # Emoji reactions (toggles): a click each, so more than messages.
    "BAITHAK_RATELIMIT_REACT": "10/second;120/minute",
    "BAITHAK_RATELIMIT_REACT_IP": "100/second;2400/minute",
    # Presence reports (a tab hidden or shown, idle or active again): sent on
    # changes only, but switching between three tabs makes two a switch.
    "BAITHAK_RATELIMIT_PRESENCE": "10/second;120/minute",
    "BAITHAK_RATELIMIT_PRESENCE_IP": "100/second;3000/minute",
    # "Typing…": the browser refreshes it every 3 s while typing, and stops it.
    "BAITHAK_RATELIMIT_TYPING": "5/second;90/minute",
    "BAITHAK_RATELIMIT_TYPING_IP": "50/second;3000/minute",
}


def database_url(url: str) -> str:
    """Return `url` with PostgreSQL URLs (postgres://, postgresql://) on
    the psycopg 3 driver, the one requirements.txt installs; others as given."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def _limit(key: str) -> str:
    """Return a rate limit from the environment ("" switches it off)."""
    return os.environ.get(key, DEFAULT_LIMITS[key])


class Config:
    """Defaults shared by every configuration; safe for a classroom laptop."""

    # Unset: create_app() uses instance/secret_key, made once with `secrets`.
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # A relative SQLite path resolves inside the instance folder (Flask-SQLAlchemy 3);
    # postgresql://user@host/db uses psycopg 3 (docs/deployment.md).
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL", "sqlite:///baithak.sqlite3")
    )
    # Several server processes: a Redis URL (redis://127.0.0.1:6379/0) turns
    # on Flask-SocketIO's message queue, so an emit in one process reaches
    # clients of every other, and moves presence into the same Redis.
    # Unset: one process, presence in its memory (docs/deployment.md).
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None
    # The queue's pub/sub channel and the prefix of presence keys in Redis:
    # two installations sharing one Redis must use different ones.
    BAITHAK_REDIS_PREFIX = os.environ.get("BAITHAK_REDIS_PREFIX", "baithak")
    # Every process writes a heartbeat to Redis every HEARTBEAT seconds; one
    # silent for EXPIRE seconds (killed, its machine gone) is dead, and the
    # next live process's heartbeat clears its connections from presence:
    # within EXPIRE + HEARTBEAT seconds (25 s) of its last heartbeat.
    BAITHAK_PRESENCE_HEARTBEAT_S = float(
        os.environ.get("BAITHAK_PRESENCE_HEARTBEAT_S", "5")
    )
    BAITHAK_PRESENCE_EXPIRE_S = float(os.environ.get("BAITHAK_PRESENCE_EXPIRE_S", "20"))
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
    # The largest websocket frame or long-polling request body, in bytes
    # (engine.io's max_http_buffer_size; its default is 1,000,000). The
    # largest valid event, a 2,000-character message, is at most ~12 KB as
    # JSON (6 bytes for an escaped control character); the browser client
    # sends one event at a time. A larger frame closes that one connection.
    BAITHAK_MAX_PAYLOAD_BYTES = 100_000
    # Compress websocket frames (permessage-deflate) when a browser offers it:
    # off, see baithak/transport.py.
    BAITHAK_WEBSOCKET_DEFLATE = os.environ.get("BAITHAK_WEBSOCKET_DEFLATE", "0") == "1"
    # Socket.IO connections one IP address may hold at once (a school behind
    # one router shares it; gunicorn.conf.py allows 5,000 in all). 0 = no cap.
    BAITHAK_MAX_CONNECTIONS_PER_IP = int(
        os.environ.get("BAITHAK_MAX_CONNECTIONS_PER_IP", "500")
    )
    # Reverse proxies in front of the server whose X-Forwarded-For/-Proto/-Host
    # are trusted (werkzeug's ProxyFix): the per-IP rate limits then count the
    # real client, not the proxy. 0 = none (a classroom laptop).
    BAITHAK_TRUSTED_PROXIES = int(os.environ.get("BAITHAK_TRUSTED_PROXIES", "0"))
    # Messages sent with the join ack, and the most one history page may hold.
    BAITHAK_HISTORY_PAGE = 50
    # Join/leave notices a history page may carry besides its messages.
    BAITHAK_HISTORY_NOTICES = 150
    # Rate limits of chat actions: DEFAULT_LIMITS above.
    BAITHAK_RATELIMIT_SEND = _limit("BAITHAK_RATELIMIT_SEND")
    BAITHAK_RATELIMIT_SEND_IP = _limit("BAITHAK_RATELIMIT_SEND_IP")
    BAITHAK_RATELIMIT_JOIN = _limit("BAITHAK_RATELIMIT_JOIN")
    BAITHAK_RATELIMIT_JOIN_IP = _limit("BAITHAK_RATELIMIT_JOIN_IP")
    BAITHAK_RATELIMIT_CREATE_ROOM = _limit("BAITHAK_RATELIMIT_CREATE_ROOM")
    BAITHAK_RATELIMIT_CREATE_ROOM_IP = _limit("BAITHAK_RATELIMIT_CREATE_ROOM_IP")
    BAITHAK_RATELIMIT_HISTORY = _limit("BAITHAK_RATELIMIT_HISTORY")
    BAITHAK_RATELIMIT_HISTORY_IP = _limit("BAITHAK_RATELIMIT_HISTORY_IP")
    BAITHAK_RATELIMIT_MODERATE = _limit("BAITHAK_RATELIMIT_MODERATE")
    BAITHAK_RATELIMIT_MODERATE_IP = _limit("BAITHAK_RATELIMIT_MODERATE_IP")
    BAITHAK_RATELIMIT_JOIN_CODE = _limit("BAITHAK_RATELIMIT_JOIN_CODE")
    BAITHAK_RATELIMIT_JOIN_CODE_IP = _limit("BAITHAK_RATELIMIT_JOIN_CODE_IP")
    BAITHAK_RATELIMIT_REACT = _limit("BAITHAK_RATELIMIT_REACT")
    BAITHAK_RATELIMIT_REACT_IP = _limit("BAITHAK_RATELIMIT_REACT_IP")
    BAITHAK_RATELIMIT_PRESENCE = _limit("BAITHAK_RATELIMIT_PRESENCE")
    BAITHAK_RATELIMIT_PRESENCE_IP = _limit("BAITHAK_RATELIMIT_PRESENCE_IP")
    BAITHAK_RATELIMIT_TYPING = _limit("BAITHAK_RATELIMIT_TYPING")
    BAITHAK_RATELIMIT_TYPING_IP = _limit("BAITHAK_RATELIMIT_TYPING_IP")
    # Seconds without a key press, click or scroll after which the browser
    # reports its tab away (a hidden tab is away at once).
    BAITHAK_AWAY_AFTER_S = int(os.environ.get("BAITHAK_AWAY_AFTER_S", "300"))
    # None lets Flask-SocketIO choose: threading under `flask run`, eventlet otherwise.
    SOCKETIO_ASYNC_MODE: str | None = None
    WTF_CSRF_TIME_LIMIT = None  # a classroom tab stays open all day
    # Cookies: never readable from JavaScript (Flask's and Flask-Login's
    # default, kept explicit), not sent on cross-site POSTs (SameSite=Lax).
    SESSION_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Origins besides the site's own that may open a Socket.IO connection,
    # comma-separated "scheme://host[:port]" (a proxy's public URL); see
    # baithak.security.origin_check.
    BAITHAK_ALLOWED_ORIGINS = os.environ.get("BAITHAK_ALLOWED_ORIGINS", "")
    # Refuse to start with a guessable SECRET_KEY (baithak.security).
    BAITHAK_REQUIRE_STRONG_SECRET = False
    # Rate limits on form POSTs (baithak.formlimits), each "N per second|minute|
    # hour|day", several joined with ";". A refused request gets HTTP 429.
    # Logging in, per IP address: a class of 40 behind one address, with typos.
    BAITHAK_RATELIMIT_LOGIN_IP = os.environ.get(
        "BAITHAK_RATELIMIT_LOGIN_IP", "100 per minute"
    )
    # Logging in, per attempted username from any address: stops guessing one
    # account's password (a person retyping theirs never needs more).
    BAITHAK_RATELIMIT_LOGIN_USERNAME = os.environ.get(
        "BAITHAK_RATELIMIT_LOGIN_USERNAME", "10 per minute"
    )
    # Registering, per IP address: a class registering at once, two tries each.
    BAITHAK_RATELIMIT_REGISTER = os.environ.get(
        "BAITHAK_RATELIMIT_REGISTER", "120 per hour"
    )
    # Where the form limits' counts live (Flask-Limiter's setting; the
    # `limits` package's URIs): memory:// is this process only and forgets on
    # restart. With a message queue, by default its Redis: three processes
    # must not allow three times the password guesses per username.
    RATELIMIT_STORAGE_URI = (
        os.environ.get("RATELIMIT_STORAGE_URI") or SOCKETIO_MESSAGE_QUEUE or "memory://"
    )
    RATELIMIT_STRATEGY = "fixed-window"  # a window starts at a key's first hit
    RATELIMIT_KEY_PREFIX = BAITHAK_REDIS_PREFIX
    # The chat actions' counts (services.ratelimit), checked on every message:
    # in each process's memory even with several processes. In Redis each
    # send waited ~1 ms more for its four checks (measured on this 2-core
    # machine); a load balancer that keeps each address on one process (nginx
    # ip_hash, docs/deployment.md) makes the per-process counts exact anyway.
    BAITHAK_RATELIMIT_STORAGE_URI = os.environ.get(
        "BAITHAK_RATELIMIT_STORAGE_URI", "memory://"
    )
    RATELIMIT_ENABLED = True  # in tests too: each test's app has fresh counts


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
    BAITHAK_RATELIMIT_SEND = BAITHAK_RATELIMIT_SEND_IP = ""
    BAITHAK_RATELIMIT_JOIN = BAITHAK_RATELIMIT_JOIN_IP = ""
    BAITHAK_RATELIMIT_CREATE_ROOM = BAITHAK_RATELIMIT_CREATE_ROOM_IP = ""
    BAITHAK_RATELIMIT_HISTORY = BAITHAK_RATELIMIT_HISTORY_IP = ""
    BAITHAK_RATELIMIT_MODERATE = BAITHAK_RATELIMIT_MODERATE_IP = ""
    BAITHAK_RATELIMIT_JOIN_CODE = BAITHAK_RATELIMIT_JOIN_CODE_IP = ""
    BAITHAK_RATELIMIT_REACT = BAITHAK_RATELIMIT_REACT_IP = ""
    BAITHAK_RATELIMIT_PRESENCE = BAITHAK_RATELIMIT_PRESENCE_IP = ""
    BAITHAK_RATELIMIT_TYPING = BAITHAK_RATELIMIT_TYPING_IP = ""


class ProductionConfig(Config):
    """gunicorn with an eventlet worker; secure cookies; a strong SECRET_KEY."""

    # Behind HTTPS set BAITHAK_SECURE_COOKIES=1; a plain-HTTP classroom LAN cannot.
    SESSION_COOKIE_SECURE = os.environ.get("BAITHAK_SECURE_COOKIES", "0") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    BAITHAK_REQUIRE_STRONG_SECRET = True


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
