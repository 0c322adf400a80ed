"""Delivery under failure, against the real server (gunicorn + eventlet): a
SIGKILL mid-conversation, a graceful SIGTERM, a flooding client, oversize
frames. See docs/reliability.md for the guarantees these prove."""

from __future__ import annotations

import gc
import os
import signal
import statistics
import threading
import time

import pytest
import requests
import socketio
import sqlalchemy as sa

from baithak.config import DEFAULT_LIMITS

from . import testdb
from .live_server import free_port, live_server
from .reliable_client import ReliableClient

pytestmark = [
    pytest.mark.server,
    # A killed server leaves python-socketio's dead websocket to the garbage
    # collector, which warns about the unclosed socket.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(autouse=True)
def _collect_dead_sockets():
    """Collect them here, where the warning is expected, not in a later test."""
    yield
    gc.collect()


# A flooding client may delay someone else's message by at most this (s).
FLOOD_DELAY_BOUND_S = 0.5


def converse(people: list[ReliableClient], rounds: range, pause: float = 0.01) -> None:
    """Each person queues one message per round, in turn."""
    for n in rounds:
        for person in people:
            person.send(f"{person.name} #{n}")
        time.sleep(pause)


def assert_same_complete_histories(people: list[ReliableClient]) -> None:
    """Everyone saw the same messages, seq 1..N with no gap and no repeat,
    and every message anyone sent is there exactly once."""
    for person in people:
        person.wait_idle()  # everything sent
    for person in people:
        person.catch_up()
        person.wait_idle()  # everything fetched
    views = [person.texts() for person in people]
    for person, view in zip(people, views, strict=True):
        assert view == views[0], f"{person.name} saw something else"
        assert not person.refused, person.refused
    seqs = [seq for seq, _ in views[0]]
    assert seqs == list(range(1, len(seqs) + 1))
    texts = [text for _, text in views[0]]
    for person in people:
        ids = [person.history[i]["id"] for i in person.acked.values()]
        assert len(ids) == len(set(ids))
        mine = [t for t in texts if t.startswith(f"{person.name} #")]
        assert mine == sorted(set(mine), key=lambda t: int(t.split("#")[1]))


def test_sigkill_mid_conversation_loses_nothing_acknowledged(tmp_path):
    port = free_port()
    with live_server(tmp_path, port=port) as first:
        people = [ReliableClient(first.url, name, "Durable") for name in "ABC"]
        for person in people:
            person.wait_idle()
        converse(people, range(1, 21))
        time.sleep(0.3)  # let some of it be stored and acknowledged
        acked_before_kill = {p.name: dict(p.acked) for p in people}
        os.killpg(first.process.pid, signal.SIGKILL)  # no goodbye, no flush
        first.process.wait()
    assert any(acked_before_kill.values()), "nothing was sent before the kill"
    # While it is down, people keep typing: it waits in their outboxes.
    converse(people, range(21, 31))
    with live_server(tmp_path, port=port):
        converse(people, range(31, 41))
        try:
            assert_same_complete_histories(people)
            texts = {text for _, text in people[0].texts()}
            for person in people:
                expected = {f"{person.name} #{n}" for n in range(1, 41)}
                assert expected <= texts, f"{person.name}: {expected - texts}"
                # Everything acknowledged before the kill is still there.
                for client_id, msg_id in acked_before_kill[person.name].items():
                    assert person.acked[client_id] == msg_id
                    assert msg_id in person.history
                assert person.joins >= 2  # re-joined by itself
        finally:
            for person in people:
                person.close()


def test_sigterm_tells_clients_finishes_and_loses_nothing(tmp_path):
    port = free_port()
    with live_server(tmp_path, port=port) as first:
        people = [ReliableClient(first.url, name, "Graceful") for name in "AB"]
        for person in people:
            person.wait_idle()
        converse(people, range(1, 11))
        for person in people:
            person.wait_idle()
        started = time.monotonic()
        os.kill(first.process.pid, signal.SIGTERM)  # as systemd or Ctrl+C would
        first.process.wait(timeout=15)
        stopped_in = time.monotonic() - started
        log = first.log()
    # ~3 s when quiet (each of gunicorn's loops looks once a second); 8 s bound.
    assert stopped_in < 8, f"graceful stop took {stopped_in:.1f} s"
    assert all(person.shutdowns >= 1 for person in people)
    assert "Traceback" not in log
    converse(people, range(11, 16))  # queued while it is down
    with live_server(tmp_path, port=port):
        try:
            assert_same_complete_histories(people)
            texts = [text for _, text in people[0].texts()]
            assert not [t for t in texts if t.endswith("has left!")]  # not "left"
            for person in people:
                assert [t for t in texts if t.startswith(f"{person.name} #")] == [
                    f"{person.name} #{n}" for n in range(1, 16)
                ]
        finally:
            for person in people:
                person.close()


class Watcher:
    """Records when each of its own messages comes back from the server."""

    def __init__(self, url: str, name: str, room: str) -> None:
        self.arrived: dict[str, float] = {}
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("message", self._on_message)
        self.sio.connect(url, transports=["websocket"])
        assert self.sio.call("join", {"username": name, "room": room})[0] is None

    def _on_message(self, payload: dict) -> None:
        self.arrived.setdefault(payload.get("text", ""), time.monotonic())

    def delays(self, label: str, count: int, pause: float) -> list[float]:
        """Send `count` messages `pause` s apart; return each one's time (s)
        from sending to coming back from the server."""
        measured = []
        for n in range(count):
            text = f"{label} {n}"
            sent = time.monotonic()
            assert self.sio.call("sendMessage", text, timeout=10)[0] is None
            while text not in self.arrived and time.monotonic() < sent + 10:
                time.sleep(0.002)
            measured.append(self.arrived[text] - sent)
            time.sleep(pause)
        return measured


def test_a_flooding_client_cannot_delay_the_others(tmp_path):
    with live_server(tmp_path, **DEFAULT_LIMITS) as server:
        asha = Watcher(server.url, "Asha", "Flooded")
        flooder = socketio.Client(reconnection=False)
        flooder.connect(server.url, transports=["websocket"])
        flooder.call("join", {"username": "Flooder", "room": "Flooded"})
        acks: list = []
        stop = threading.Event()

        def flood() -> None:
            n = 0
            while not stop.is_set() and n < 20000:
                flooder.emit(
                    "sendMessage", f"spam {n}", callback=lambda *a: acks.append(a)
                )
                n += 1

        thread = threading.Thread(target=flood)
        thread.start()
        time.sleep(0.5)  # the flood is on
        try:
            delays = asha.delays("normal", 20, 0.25)  # within Asha's own 5/second
        finally:
            stop.set()
            thread.join()
        time.sleep(0.5)
        flooder.disconnect()
        asha.sio.disconnect()
        log = server.log()
    refused = [a for a in acks if a and a[0] is not None]
    accepted = len(acks) - len(refused)
    print(
        f"flood: {len(acks)} acked, {accepted} accepted; others' delay: "
        f"median {statistics.median(delays) * 1000:.0f} ms, "
        f"max {max(delays) * 1000:.0f} ms"
    )
    assert len(acks) > 1000, "the flood was too small to prove anything"
    assert all(a[1]["code"] == "rate_limited" for a in refused)
    assert accepted <= 5 + 60  # the burst and a minute's steady rate at most
    assert max(delays) < FLOOD_DELAY_BOUND_S, delays
    assert "Traceback" not in log


def test_oversize_frames_close_only_that_connection(tmp_path):
    with live_server(tmp_path) as server:
        asha = Watcher(server.url, "Asha", "Big")
        rogue = socketio.Client(reconnection=False)
        rogue.connect(server.url, transports=["websocket"])
        rogue.call("join", {"username": "Rogue", "room": "Big"})
        long_text = "x" * 50_000  # under the transport's limit, over the text's
        assert rogue.call("sendMessage", long_text)[0] == (
            "Message is too long (max 2000 characters)."
        )
        gone = threading.Event()
        rogue.on("disconnect", lambda *a: gone.set())
        rogue.emit("sendMessage", "y" * 2_000_000)  # over max_http_buffer_size
        assert gone.wait(5), "an oversize frame should close the connection"
        assert asha.sio.call("sendMessage", "still here", timeout=5)[0] is None
        asha.sio.disconnect()
        assert "Traceback" not in server.log()
    texts = set(asha.arrived)
    assert "still here" in texts
    assert not any(t.startswith(("x", "y")) for t in texts)


def test_behind_a_trusted_proxy_limits_count_each_client(tmp_path):
    limits = {"BAITHAK_RATELIMIT_JOIN_IP": "1/minute", "BAITHAK_TRUSTED_PROXIES": "1"}
    with live_server(tmp_path, **limits) as server:

        def join_from(address: str, name: str):
            sio = socketio.Client(reconnection=False)
            sio.connect(
                server.url,
                transports=["websocket"],
                headers={"X-Forwarded-For": address},
            )
            try:
                return sio.call("join", {"username": name, "room": "Proxied"})
            finally:
                sio.disconnect()

        assert join_from("10.0.0.1", "Asha")[0] is None
        assert join_from("10.0.0.2", "Bela")[0] is None  # another client
        error, data = join_from("10.0.0.1", "Asha")
        assert data["code"] == "rate_limited", error


@pytest.mark.parametrize(
    "flood",
    [
        ("loadHistory", {"before": 10**9}),  # accepted, with a page each
        ("noSuchEvent", 1),  # unknown
        ("sendMessage", {"text": "again", "clientId": "resent-00001"}),  # re-sends
    ],
    ids=["history", "unknown", "resends"],
)
def test_no_event_flood_holds_up_the_others(tmp_path, flood):
    event, payload = flood
    with live_server(tmp_path, **DEFAULT_LIMITS) as server:
        asha = Watcher(server.url, "Asha", "Flooded")
        seed = socketio.Client(reconnection=False)
        seed.connect(server.url, transports=["websocket"])
        seed.call("join", {"username": "Seeder", "room": "Flooded"})
        for n in range(5):
            seed.call("sendMessage", f"{n} " + "z" * 1900)  # big history pages
        seed.call("sendMessage", {"text": "again", "clientId": "resent-00001"})
        stop = threading.Event()

        def flood_it() -> None:
            n = 0
            while not stop.is_set() and n < 20000:
                seed.emit(event, payload)  # never waits for the acks
                n += 1

        thread = threading.Thread(target=flood_it)
        thread.start()
        time.sleep(0.5)
        try:
            delays = asha.delays("normal", 8, 0.25)
        finally:
            stop.set()
            thread.join()
        seed.disconnect()
        asha.sio.disconnect()
        log = server.log()
    assert max(delays) < FLOOD_DELAY_BOUND_S, delays
    assert "Traceback" not in log
    assert "WORKER TIMEOUT" not in log


LOGIN_BURST = """
import re, sys, threading, requests
url = sys.argv[1]
def attempt(n):
    http = requests.Session()
    page = http.get(url + "/auth/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    http.post(url + "/auth/login", timeout=60, data={
        "csrf_token": token, "username": "nobody%d" % n, "password": "wrong"})
attempt(-1)
print("warm", flush=True)
threads = [threading.Thread(target=attempt, args=(n,)) for n in range(30)]
for thread in threads: thread.start()
for thread in threads: thread.join()
"""


def test_logins_do_not_hold_up_the_chat(tmp_path):
    """Each password check is ~100 ms of scrypt; they run off the event loop.
    The burst comes from another process, as an attacker's would."""
    import subprocess
    import sys

    with live_server(tmp_path) as server:
        asha = Watcher(server.url, "Asha", "Busy")
        burst = subprocess.Popen(
            [sys.executable, "-c", LOGIN_BURST, server.url],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert burst.stdout.readline().strip() == "warm"
        time.sleep(0.3)  # 30 logins under way: ~3 s of hashing in all
        delays = asha.delays("during the logins", 6, 0.2)
        still_hashing = burst.poll() is None
        burst.wait(60)
        asha.sio.disconnect()
    assert still_hashing, "the logins were over before the messages: no proof"
    assert max(delays) < FLOOD_DELAY_BOUND_S, delays


@pytest.mark.skipif(
    not testdb.on_postgres(),
    reason="PostgreSQL only: SQLite has no row locks for another process to hold",
)
def test_a_message_waiting_for_a_locked_room_holds_up_nothing_else(tmp_path):
    """Another server process (here: the test) holds room Busy's row locked
    for a while, as its message writer does while it stores a batch there.
    Asha's message to Busy waits for it; meanwhile the server goes on
    answering everything that needs no writing: Bela's history, pages."""
    with live_server(tmp_path) as server:
        asha = Watcher(server.url, "Asha", "Busy")
        bela = Watcher(server.url, "Bela", "Calm")
        engine = sa.create_engine(server.database_uri, poolclass=sa.NullPool)
        locked, release = threading.Event(), threading.Event()

        def other_process() -> None:
            with engine.begin() as connection:
                connection.execute(
                    sa.text("SELECT id FROM rooms WHERE name = 'Busy' FOR UPDATE")
                )
                locked.set()
                release.wait(10)

        holder = threading.Thread(target=other_process)
        holder.start()
        assert locked.wait(10)
        asha.sio.emit("sendMessage", "held up")  # waits for the lock
        time.sleep(0.3)
        delays = []
        for _ in range(3):
            start = time.monotonic()
            error, _ = bela.sio.call("loadHistory", {"after": 0}, timeout=10)
            page = requests.get(server.url + "/", timeout=10)
            delays.append(time.monotonic() - start)
            assert error is None and page.status_code == 200
        held_up = "held up" not in asha.arrived
        release.set()
        holder.join(10)
        deadline = time.monotonic() + 10
        while "held up" not in asha.arrived and time.monotonic() < deadline:
            time.sleep(0.01)
        for person in (asha, bela):
            person.sio.disconnect()
        engine.dispose()
    assert max(delays) < FLOOD_DELAY_BOUND_S, delays
    assert held_up, "Asha's message did not wait for the lock: no proof"
    assert "held up" in asha.arrived
