"""Group commit: messages sent at once share a transaction, keep their order
and seqs, and each gets exactly its own result or error."""

import contextlib
import threading

import pytest
import sqlalchemy as sa

from baithak.extensions import db
from baithak.models import Message, Room
from baithak.services import writer
from baithak.services.rooms import ensure_global_room
from baithak.services.writer import Draft, MessageWriter


@pytest.fixture
def room_id(app):
    with app.app_context():
        return ensure_global_room().id


@pytest.fixture
def commits(app):
    """Count the transactions committed on the app's engine."""
    counted = []
    with app.app_context():
        engine = db.engine
    listener = lambda conn: counted.append(1)  # noqa: E731
    sa.event.listen(engine, "commit", listener)
    yield counted
    sa.event.remove(engine, "commit", listener)


def write_at_once(app, drafts, slow_first=None):
    """Write drafts from one thread each, while the first batch is slow."""
    results: dict[int, object] = {}
    with app.app_context():
        messages_writer = writer.get_writer()

    def send(n: int, draft: Draft) -> None:
        with app.app_context():
            try:
                results[n] = messages_writer.write(draft)
            except Exception as exc:
                results[n] = exc

    threads = [threading.Thread(target=send, args=(n, d)) for n, d in enumerate(drafts)]
    threads[0].start()
    if slow_first is not None:
        slow_first.wait()  # the first batch is being written
    for thread in threads[1:]:
        thread.start()
    if slow_first is not None:
        slow_first.release.set()
    for thread in threads:
        thread.join(10)
    return results


class SlowFirstInsert:
    """Hold the first insert until released, so that others queue behind it."""

    def __init__(self, monkeypatch):
        self.started, self.release = threading.Event(), threading.Event()
        real = writer._insert

        def insert(conn, draft):
            if not self.started.is_set():
                self.started.set()
                assert self.release.wait(10)
            return real(conn, draft)

        monkeypatch.setattr(writer, "_insert", insert)

    def wait(self) -> None:
        assert self.started.wait(10)


def test_messages_sent_meanwhile_share_one_commit(app, room_id, commits, monkeypatch):
    slow = SlowFirstInsert(monkeypatch)
    drafts = [Draft(room_id, "text", f"P{n}", f"hello {n}") for n in range(20)]
    results = write_at_once(app, drafts, slow)
    messages = [results[n][0] for n in range(20)]
    assert sorted(m.seq for m in messages) == list(range(1, 21))
    assert len({m.id for m in messages}) == 20
    assert len(commits) <= 3  # the slow first one, then the rest together
    with app.app_context():
        stored = db.session.execute(sa.select(sa.func.count(Message.id))).scalar()
    assert stored == 20


def test_a_client_id_twice_in_one_batch_is_stored_once(app, room_id, monkeypatch):
    slow = SlowFirstInsert(monkeypatch)
    drafts = [Draft(room_id, "text", "Asha", "first", client_id="lead-00001")] + [
        Draft(room_id, "text", "Asha", "again", client_id="twice-0001")
        for _ in range(2)
    ]
    results = write_at_once(app, drafts, slow)
    (one, dup_one), (two, dup_two) = results[1], results[2]
    assert one.id == two.id
    assert sorted([dup_one, dup_two]) == [False, True]


def test_a_failure_reaches_every_message_of_the_batch_and_stores_none(
    app, room_id, monkeypatch
):
    def broken(conn, draft):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writer, "_insert", broken)
    results = write_at_once(app, [Draft(room_id, "text", "A", "x") for _ in range(3)])
    assert all(isinstance(r, RuntimeError) for r in results.values())
    monkeypatch.undo()
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Message.id))).scalar() == 0
        message, duplicate = writer.get_writer().write(
            Draft(room_id, "text", "A", "ok")
        )
    assert (message.seq, duplicate) == (1, False)


def test_a_clash_with_another_process_finds_the_stored_message(app, room_id):
    """Another process stored the client id between our check and our insert."""
    with app.app_context():
        engine = db.engine
        first, _ = writer.get_writer().write(
            Draft(room_id, "text", "Asha", "mine", client_id="raced-0001")
        )
    racing = MessageWriter(engine)
    calls = []
    real_stored = writer._stored

    def stale_check(conn, draft):  # the other process had not committed yet
        calls.append(draft.client_id)
        return None if len(calls) == 1 else real_stored(conn, draft)

    writer._stored, saved = stale_check, writer._stored
    try:
        with app.app_context():
            again, duplicate = racing.write(
                Draft(room_id, "text", "Asha", "mine", client_id="raced-0001")
            )
    finally:
        writer._stored = saved
    assert (again.id, duplicate) == (first.id, True)


def test_a_writer_answers_after_its_own_batch_not_the_later_ones(
    app, room_id, monkeypatch
):
    """The lead writes one batch, then hands on: its ack never waits behind
    batches that arrived after its own."""
    hold = [threading.Event(), threading.Event()]  # one per batch, in order
    started = [threading.Event(), threading.Event()]
    real = writer._insert
    calls = []

    def insert(conn, draft):
        n = len(calls)
        calls.append(n)
        if n < 2:
            started[n].set()
            assert hold[n].wait(10)
        return real(conn, draft)

    monkeypatch.setattr(writer, "_insert", insert)
    with app.app_context():
        the_writer = writer.get_writer()
    done: dict[str, object] = {}

    def send(name: str) -> None:
        with app.app_context():
            done[name] = the_writer.write(Draft(room_id, "text", name, name))

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert started[0].wait(10)  # the first batch is being written
    second = threading.Thread(target=send, args=("second",))
    second.start()
    hold[0].set()  # the first batch ends; the second one starts, and is held
    assert started[1].wait(10)
    first.join(5)
    assert "first" in done, "the first sender waited for the later batch"
    hold[1].set()
    second.join(5)
    assert done["second"][0].seq == 2


def test_a_batch_killed_midway_does_not_stop_the_writer(app, room_id, monkeypatch):
    class Killed(BaseException):
        """What eventlet's GreenletExit or a Timeout is: not an Exception."""

    real = writer.MessageWriter._write

    def dies_once(self, batch):
        monkeypatch.setattr(writer.MessageWriter, "_write", real)
        raise Killed

    monkeypatch.setattr(writer.MessageWriter, "_write", dies_once)
    with app.app_context():
        the_writer = writer.get_writer()
        with pytest.raises(Killed):
            the_writer.write(Draft(room_id, "text", "A", "lost"))
        message, _ = the_writer.write(Draft(room_id, "text", "A", "after"))
    assert message.seq == 1


def test_a_sender_holds_no_database_connection_while_it_waits(
    app, connect, monkeypatch
):
    # Twenty senders waiting for a batch while each held a pooled connection
    # (from the mute and re-send checks) emptied the pool: the writer could
    # not get one and all of them timed out (found with bench/, warm-up).
    held = []
    real = writer.MessageWriter.write

    def write(self, draft):
        held.append(db.session().in_transaction())
        return real(self, draft)

    monkeypatch.setattr(writer.MessageWriter, "write", write)
    sock = connect()
    sock.join("Asha")
    assert (
        sock.emit("sendMessage", {"text": "hi", "clientId": "pool-check-01"})[0] is None
    )
    assert held == [False]


def test_two_processes_writing_to_the_same_rooms_never_deadlock(app, monkeypatch):
    """Two processes' batches for rooms A and B, in opposite orders: each
    batch locks its rooms' rows (the next seq) in room id order, so one
    waits for the other instead of each holding the room the other needs
    (PostgreSQL would abort one of them: their senders would get an error)."""
    with app.app_context():
        rooms = [Room(name=name, name_key=name.lower()) for name in ("A", "B")]
        db.session.add_all(rooms)
        db.session.commit()
        a, b = (room.id for room in rooms)
        engine = db.engine
    both_in = threading.Barrier(2, timeout=0.5)
    real = writer._insert

    def insert(conn, draft):
        message = real(conn, draft)
        if draft.text == "first":  # each batch's first: then meet the other
            with contextlib.suppress(threading.BrokenBarrierError):
                both_in.wait()
        return message

    monkeypatch.setattr(writer, "_insert", insert)
    errors = []

    def write(first: int, second: int) -> None:
        batch = [
            writer._Job(Draft(first, "text", "P", "first")),
            writer._Job(Draft(second, "text", "P", "second")),
        ]
        try:
            MessageWriter(engine)._write(batch)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=rooms) for rooms in ((a, b), (b, a))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    with app.app_context():
        seqs = db.session.execute(
            sa.select(Message.room_id, Message.seq).order_by(Message.room_id)
        ).all()
    assert sorted(map(tuple, seqs)) == [(a, 1), (a, 2), (b, 1), (b, 2)]
