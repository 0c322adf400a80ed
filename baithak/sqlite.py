"""SQLite connection settings: WAL journal, durable commits, foreign keys, and
the SQL function baithak_fold(text) (services.search)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from .extensions import db
from .services.unicodetext import comparable


def _fold(text: Any) -> str | None:
    return comparable(text) if isinstance(text, str) else None


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (history) run while a message is written.
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is fsynced before the ack, so it survives a power cut.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")  # ms to wait for another writer
    cursor.close()
    # Unicode-aware case folding for search (SQLite's lower() is ASCII-only).
    dbapi_connection.create_function("baithak_fold", 1, _fold, deterministic=True)


def configure(app: Flask) -> None:
    """Apply the pragmas to every new SQLite connection of this app's engine."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        sa.event.listen(db.engine, "connect", _on_connect)
