"""Group commit for the messages people send: every message that arrives while
one batch is being written goes into the next, so a busy room costs one
transaction and one fsync per batch instead of per message, and nobody's ack
waits for more than the batch it is in.

Written with SQLAlchemy Core on a connection per batch (the ORM's unit of
work cost ~3x as much per message, measured in bench/). The writer is
whichever handler finds no batch under way: it yields once (so that the
messages already received join its batch), writes that one batch, and hands
the lead to the first message queued meanwhile. Under threads the same,
behind a lock. No background task: nothing to start or stop with the app.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask, current_app

from ..extensions import db, socketio
from ..models import Message, now_ms
from .messages import NEXT_SEQ

MESSAGES = Message.__table__
# How long a message waits for its batch before its sender gets an error (s);
# the client sends it again with the same clientId, stored once either way.
WAIT_LIMIT_S = 30.0
INSERT = sa.insert(MESSAGES).returning(MESSAGES.c.id)
BY_CLIENT_ID = sa.select(MESSAGES).where(
    MESSAGES.c.room_id == sa.bindparam("rid"),
    MESSAGES.c.client_id == sa.bindparam("cid"),
)


class RoomGoneError(Exception):
    """The draft's room was deleted before the draft could be stored."""


@dataclass
class Draft:
    """A valid message to store: who sent what where (coordinates in degrees),
    and the id of the message it replies to (same room; checked before)."""

    room_id: int
    kind: str
    username: str
    text: str
    user_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    client_id: str | None = None
    reply_to_id: int | None = None


@dataclass
class _Job:
    draft: Draft
    # Set once: the job is written (finished), or it is to lead the next batch.
    # Called, not bound here: under eventlet, threading is green once patched.
    wake: threading.Event = field(default_factory=lambda: threading.Event())
    leads: bool = False
    finished: bool = False
    message: Message | None = None
    duplicate: bool = False
    error: BaseException | None = None


class MessageWriter:
    """Stores drafts in batches; one per app (see get_writer)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._queue: list[_Job] = []
        self._writing = False

    def write(self, draft: Draft) -> tuple[Message, bool]:
        """Store `draft`, committed (fsynced) before this returns.

        Returns (message, duplicate): with a client id the room already
        holds, the message stored then and True, storing nothing. The
        message is detached from any session, its id, seq and createdAt (ms
        since the Unix epoch) set. Raises what the database raised.
        """
        job = _Job(draft)
        with self._lock:
            self._queue.append(job)
            if not self._writing:
                self._writing = job.leads = True
        if not job.leads and not job.wake.wait(WAIT_LIMIT_S):
            raise RuntimeError("the message writer did not answer in time")
        if not job.finished:  # handed the lead: our job is first in the queue
            self._lead_one_batch()
        if job.error is not None:
            raise job.error
        assert job.message is not None
        return job.message, job.duplicate

    def _lead_one_batch(self) -> None:
        """Write what is queued as one batch, then hand the lead to the first
        job queued meanwhile: each writer writes one batch only, so nobody's
        ack waits behind batches that came after its own."""
        batch: list[_Job] = []
        try:
            socketio.sleep(0)  # let messages already received join this batch
            with self._lock:
                batch, self._queue = self._queue, []
            self._write_batch(batch)
        except BaseException as exc:  # even GreenletExit: nobody waits forever
            for job in batch:
                job.error = job.error or exc
            raise
        finally:
            for job in batch:
                job.finished = True
                job.wake.set()
            with self._lock:
                if self._queue:
                    self._queue[0].leads = True
                    self._queue[0].wake.set()
                else:
                    self._writing = False

    def _write_batch(self, batch: list[_Job]) -> None:
        try:
            self._write(batch)
        except (sa.exc.IntegrityError, RoomGoneError):
            # Another process stored one of these client ids meanwhile, or a
            # room was deleted: one transaction each, so only that one finds
            # its duplicate (or fails), the others are stored.
            for job in batch:
                self._write_one_by_one(job)
        except Exception as exc:  # handed to each waiter
            for job in batch:
                job.error = exc

    def _write_one_by_one(self, job: _Job) -> None:
        job.message, job.error = None, None
        try:
            self._write([job])
        except sa.exc.IntegrityError:
            try:
                self._write([job])  # now it finds the stored one
            except Exception as exc:
                job.error = exc
        except Exception as exc:
            job.error = exc

    def _write(self, batch: list[_Job]) -> None:
        """One transaction for the batch; a duplicate client id (stored
        before, or earlier in this batch) is answered with the first."""
        created: dict[tuple[int, str], Message] = {}
        with self._engine.begin() as conn:
            # Each insert locks its room's row (NEXT_SEQ) until the commit:
            # taken in room id order, so that two processes' batches for the
            # same rooms wait for each other, never each for a room the other
            # holds (a deadlock: PostgreSQL would abort one). Stable: a room's
            # messages keep the order they came in.
            for job in sorted(batch, key=lambda job: job.draft.room_id):
                d = job.draft
                key = (d.room_id, d.client_id) if d.client_id else None
                if key is not None:
                    earlier = created.get(key) or _stored(conn, d)
                    if earlier is not None:
                        job.message, job.duplicate = earlier, True
                        continue
                job.message = _insert(conn, d)
                if key is not None:
                    created[key] = job.message


def _stored(conn: sa.Connection, draft: Draft) -> Message | None:
    row = conn.execute(
        BY_CLIENT_ID, {"rid": draft.room_id, "cid": draft.client_id}
    ).first()
    return None if row is None else Message(**row._asdict())


def _insert(conn: sa.Connection, draft: Draft) -> Message:
    seq = conn.execute(NEXT_SEQ, {"rid": draft.room_id}).scalar_one_or_none()
    if seq is None:
        raise RoomGoneError(draft.room_id)
    values = {
        "room_id": draft.room_id,
        "seq": seq,
        "client_id": draft.client_id,
        "kind": draft.kind,
        "username": draft.username,
        "user_id": draft.user_id,
        "text": draft.text,
        "latitude": draft.latitude,
        "longitude": draft.longitude,
        "reply_to_id": draft.reply_to_id,
        "created_at": now_ms(),
    }
    message_id = conn.execute(INSERT, values).scalar_one()
    return Message(id=message_id, **values)


def init_app(app: Flask) -> None:
    """Give the app its writer (bound to its database engine)."""
    with app.app_context():
        app.extensions["baithak.writer"] = MessageWriter(db.engine)


def get_writer() -> MessageWriter:
    """Return the current app's message writer."""
    return current_app.extensions["baithak.writer"]
