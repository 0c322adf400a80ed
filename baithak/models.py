"""Database models: User, Room and Message (SQLAlchemy 2.x typed mappings)."""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def now_ms() -> int:
    """Return the current time in milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000


class User(UserMixin, db.Model):
    """A registered account; `*_key` columns hold the case-folded form for lookups."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(32))
    username_key: Mapped[str] = mapped_column(sa.String(32), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(32))
    # Keys are NFKC-folded names, which can be longer than the names (x4).
    display_name_key: Mapped[str] = mapped_column(sa.String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    created_at: Mapped[int] = mapped_column(sa.BigInteger, default=now_ms)


class Room(db.Model):
    """A chat room; `name_key` is the trimmed, case-folded name used for lookups."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(48))
    name_key: Mapped[str] = mapped_column(sa.String(192), unique=True)
    is_private: Mapped[bool] = mapped_column(default=False)
    # The seq of the room's newest message; the next one gets last_seq + 1.
    last_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[int] = mapped_column(sa.BigInteger, default=now_ms)

    created_by: Mapped[User | None] = relationship()


class Message(db.Model):
    """A stored chat message: kind is "text", "location" or "system".

    `id` is server-assigned and increasing, so it also orders a room's history.
    `seq` numbers a room's messages 1, 2, 3... with no gap, so a client that
    sees seq 7 after seq 5 knows it missed one. `client_id` is the sender's own
    id for the message (idempotent re-sends), unique within the room.
    `created_at` is in milliseconds since the Unix epoch. Location messages keep
    their coordinates in degrees (WGS 84); `text` holds the maps link for them.
    """

    __tablename__ = "messages"
    __table_args__ = (
        sa.Index("ix_messages_room_id_id", "room_id", "id"),
        sa.UniqueConstraint("room_id", "seq", name="uq_messages_room_id_seq"),
        sa.UniqueConstraint(
            "room_id", "client_id", name="uq_messages_room_id_client_id"
        ),
        # Never reuse an id, so ids stay increasing even if rows are deleted.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id"))
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    username: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    created_at: Mapped[int] = mapped_column(sa.BigInteger, default=now_ms)
