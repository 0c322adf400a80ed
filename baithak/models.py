"""Database models: users, rooms with their memberships, bans, mutes, invites
and audit log, and messages (SQLAlchemy 2.x typed mappings)."""

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
    # Profile: a custom status (text and one emoji) shown by the name, a bio.
    status_text: Mapped[str | None] = mapped_column(sa.String(80))
    status_emoji: Mapped[str | None] = mapped_column(sa.String(16))
    bio: Mapped[str | None] = mapped_column(sa.String(500))
    # When the account's last connection closed (ms since the epoch).
    last_seen_at: Mapped[int | None] = mapped_column(sa.BigInteger)


# Room kinds. A public room is listed and open to all; a private room and a
# direct conversation (two accounts) only to their members.
PUBLIC, PRIVATE, DIRECT = "public", "private", "direct"
# Roles in a room, most powerful first.
OWNER, MODERATOR, MEMBER = "owner", "moderator", "member"


class Room(db.Model):
    """A chat room.

    `name_key` (the trimmed, case-folded name) is set for public rooms only:
    public rooms are found by name, private rooms and direct conversations by
    id, invite or join code, so guessing a private room's name finds nothing.
    `dm_key` is "<smaller user id>:<larger user id>" for a direct conversation.
    `join_code` is a short code a teacher can read aloud (services.rooms).
    """

    __tablename__ = "rooms"
    # Never reuse an id: a bookmark or a reconnecting client of a deleted
    # room must not land in a newer room that took its number.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(48))
    name_key: Mapped[str | None] = mapped_column(sa.String(192), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default=PUBLIC)
    # Guests may come in with the join code (private rooms; public ones are open).
    guests_welcome: Mapped[bool] = mapped_column(default=False)
    join_code: Mapped[str | None] = mapped_column(sa.String(8), unique=True)
    dm_key: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    # The seq of the room's newest message; the next one gets last_seq + 1.
    last_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[int] = mapped_column(sa.BigInteger, default=now_ms)

    created_by: Mapped[User | None] = relationship()

    @property
    def is_private(self) -> bool:
        """True for private rooms and direct conversations (members only)."""
        return self.kind != PUBLIC


class Membership(db.Model):
    """An account's membership of a room, with its role there (owner,
    moderator or member). Guests are never members: they are let in per
    connection (public rooms, or a join code where guests are welcome)."""

    __tablename__ = "memberships"

    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(sa.String(16), default=MEMBER)
    created_at: Mapped[int] = mapped_column(sa.BigInteger, default=now_ms)
    # The newest seq the member has seen here: unread = messages after it.
    last_read_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    user: Mapped[User] = relationship()


class RoomBan(db.Model):
    """Someone who may not enter a room. `subject` is "u:<user id>" for an
    account or "g:<folded name>" for a guest (see services.access.Subject)."""

    __tablename__ = "room_bans"

    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id"), primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(32))  # as shown when banned
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[int] = mapped_column(sa.BigInteger, default=now_ms)


class RoomMute(db.Model):
    """Someone who may not post in a room until `until` (ms since the epoch);
    `subject` as for RoomBan."""

    __tablename__ = "room_mutes"

    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id"), primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(32))
    until: Mapped[int] = mapped_column(sa.BigInteger)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[int] = mapped_column(sa.BigInteger, default=now_ms)


class Invite(db.Model):
    """An invite link to a room: /invite/<token>. Times in ms since the epoch;
    `expires_at` and `max_uses` None mean no limit."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id"), index=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[int] = mapped_column(sa.BigInteger, default=now_ms)
    expires_at: Mapped[int | None] = mapped_column(sa.BigInteger)
    max_uses: Mapped[int | None]
    uses: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[int | None] = mapped_column(sa.BigInteger)

    created_by: Mapped[User | None] = relationship()


class AuditEntry(db.Model):
    """One moderation or settings action in a room: who did what to whom, when
    (ms since the epoch). `detail` is a short human-readable note."""

    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_room_id_id", "room_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(sa.String(32))
    action: Mapped[str] = mapped_column(sa.String(32))
    target: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[str | None] = mapped_column(sa.String(256))
    created_at: Mapped[int] = mapped_column(sa.BigInteger, default=now_ms)


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
        # Deleting messages checks the replies that point at them: without
        # this, a scan of the whole table per deleted message.
        sa.Index("ix_messages_reply_to_id", "reply_to_id"),
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
    # Set (ms since the epoch) when deleted: text and coordinates are erased,
    # the row and its seq stay, so history shows "message deleted", no gap.
    deleted_at: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Set (ms since the epoch) when its author last edited the text.
    edited_at: Mapped[int | None] = mapped_column(sa.BigInteger)
    # The message this one replies to (same room).
    reply_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("messages.id"))


class Reaction(db.Model):
    """One person's emoji reaction to a message; `subject` as for RoomBan
    ("u:<id>" / "g:<folded name>"), `name` as shown. Toggled: one row per
    (message, subject, emoji)."""

    __tablename__ = "reactions"

    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("messages.id"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    emoji: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[int] = mapped_column(sa.BigInteger, default=now_ms)
