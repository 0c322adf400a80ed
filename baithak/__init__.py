"""Baithak: a real-time multi-user chat (Flask + Flask-SocketIO)."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from engineio.payload import Payload
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import security, socketguard, socketjson
from .config import CONFIGS
from .extensions import csrf, db, login_manager, migrate, socketio
from .services import connections, heartbeat, presence, ratelimit, writer
from .transport import NoWebsocketDeflate, coalesce_websocket_writes

ROOT = Path(__file__).resolve().parent.parent


def create_app(
    config_name: str | None = None, overrides: dict[str, Any] | None = None
) -> Flask:
    """Build the app: config -> extensions -> blueprints and socket handlers.

    `config_name` is one of baithak.config.CONFIGS (default: $BAITHAK_CONFIG,
    else "development"); `overrides` are applied last (tests use them).
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    name = config_name or os.environ.get("BAITHAK_CONFIG", "development")
    app.config.from_object(CONFIGS[name])
    app.config.update(overrides or {})
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if app.config["BAITHAK_REQUIRE_STRONG_SECRET"]:
        security.check_secret_key(app)
    _configure_logging(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)
    presence.init_app(app)
    app.before_request(lambda: heartbeat.start(app))
    ratelimit.init_app(app)
    writer.init_app(app)
    connections.init_app(app)

    from . import auth, cli, formlimits, profiles, rooms, shutdown, sqlite
    from .services.profiles import iso_time, month_year

    shutdown.init_app(app)
    security.init_headers(app)
    formlimits.init_app(app)

    sqlite.configure(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(rooms.bp)
    app.register_blueprint(profiles.bp)
    app.add_template_filter(iso_time)
    app.add_template_filter(month_year)
    cli.register(app)

    @app.context_processor
    def inject_logout_form() -> dict[str, Any]:
        return {"logout_form": auth.forms.LogoutForm()}

    # The handlers in rooms.events are registered on `socketio` by the import
    # above; init_app must come after it (it builds a fresh server each call).
    # async_handlers=False: one connection's events are handled one at a time,
    # in order, so pipelined sends are stored and broadcast in the order sent
    # and a disconnect never runs in the middle of that connection's join.
    # cors_allowed_origins: only this site's pages (and BAITHAK_ALLOWED_ORIGINS)
    # may connect; see security.origin_check.
    # socketjson: an event carrying a huge integer is still decoded (and acked).
    # socketio is one object for every app made in a process (tests make
    # many): a queue's client manager must not outlive the app it was for.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        async_handlers=False,
        cors_allowed_origins=security.origin_check(app),
        max_http_buffer_size=app.config["BAITHAK_MAX_PAYLOAD_BYTES"],
        json=socketjson,
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        channel=f"{app.config['BAITHAK_REDIS_PREFIX']}:socketio",
    )
    socketguard.install(socketio.server)
    if not app.config["BAITHAK_WEBSOCKET_DEFLATE"]:
        app.wsgi_app = NoWebsocketDeflate(app.wsgi_app)
        if socketio.server.eio.async_mode == "eventlet":
            coalesce_websocket_writes(socketio.server.eio)
    if proxies := app.config["BAITHAK_TRUSTED_PROXIES"]:
        # Outside Socket.IO's middleware, so its handshake (and so every
        # event's request.remote_addr) sees the client's address too.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    # A long-polling client sends what it buffered in one request; engine.io
    # drops a request of more than 16 packets whole, with no error to anyone.
    # The request's size stays capped by max_http_buffer_size.
    Payload.max_decode_packets = app.config["BAITHAK_MAX_POLLING_PACKETS"]
    return app


def _configure_logging(app: Flask) -> None:
    """Send the `baithak` loggers (refused events, failures) to stderr at INFO."""
    logger = logging.getLogger("baithak")
    if app.testing or logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _instance_secret(instance: Path) -> str:
    """Return this installation's session key, creating it on first start.

    A key known to anyone (a default in the source) would let them forge a
    session and log in as any account; a random one kept in the git-ignored
    instance folder survives restarts without configuration.
    """
    path = instance / "secret_key"
    if path.exists() and (key := path.read_text().strip()):
        return key
    key = secrets.token_hex(32)
    # Written whole then renamed, so a crash never leaves an empty key file.
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(key)
    try:
        os.link(partial, path)  # fails if another process made one meanwhile
    except FileExistsError:
        if not path.read_text().strip():
            os.replace(partial, path)
            return key
        key = path.read_text().strip()
    finally:
        partial.unlink(missing_ok=True)
    return key
