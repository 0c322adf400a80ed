"""Several Baithak processes behind one Redis message queue and one PostgreSQL
database (docs/deployment.md): separate gunicorn + eventlet servers on their
own loopback ports, the production way, against this machine's services.

Each client talks to one process only, so whatever it sees of the others
came through Redis (the queue for emits, presence for people lists). Without
Redis or PostgreSQL these skip with the reason; in CI they must run.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import psycopg
import pytest
import requests

from .live_server import LiveServer, Person, live_server
from .reliable_client import ReliableClient
from .services import REDIS_URL, postgres_database, redis_client, redis_prefix

pytestmark = pytest.mark.server

# The documented bound (docs/deployment.md, baithak/config.py): a dead
# process's connections leave presence within EXPIRE + HEARTBEAT = 25 s of
# its last heartbeat; a little more for the roomData to travel.
DEAD_PROCESS_BOUND_S = 25 + 3


class Cluster:
    """Baithak processes sharing one PostgreSQL database and one Redis."""

    def __init__(self, stack: ExitStack, tmp: Path, database_url: str, prefix: str):
        self._stack, self._tmp = stack, tmp
        self.database_url = database_url
        self.prefix = prefix
        self.env = {
            "DATABASE_URL": database_url,
            "SOCKETIO_MESSAGE_QUEUE": REDIS_URL,
            "BAITHAK_REDIS_PREFIX": prefix,
            # Counted in Redis with the queue: see the login test.
            "BAITHAK_RATELIMIT_LOGIN_USERNAME": "3 per minute",
        }
        self.servers: list[LiveServer] = []
        self.people: list[Person] = []

    def start(self) -> LiveServer:
        """Start one more process (`flask init-db` first, a no-op after the
        first: the schema is there)."""
        folder = self._tmp / f"process-{len(self.servers) + 1}"
        folder.mkdir()
        server = self._stack.enter_context(live_server(folder, **self.env))
        self.servers.append(server)
        return server

    def person(self, server: LiveServer, name: str, room: str) -> Person:
        """A guest connected to `server` only, joined to `room`."""
        person = Person(server.url)
        self.people.append(person)
        self._stack.callback(person.sio.disconnect)
        error, _ = person.sio.call("join", {"username": name, "room": room})
        assert error is None, error
        return person

    def account(self, server: LiveServer, username: str) -> requests.Session:
        """Register `username` through `server`'s real form; return the
        logged-in HTTP session."""
        http = requests.Session()
        page = http.get(f"{server.url}/auth/register", timeout=10).text
        http.post(f"{server.url}/auth/register", timeout=30, data={
            "csrf_token": csrf_token(page), "username": username,
            "display_name": username.title(), "password": "correct horse",
            "confirm": "correct horse"})  # fmt: skip
        return http

    def stored(self, text: str) -> int:
        """How many rows of the messages table hold `text`."""
        with psycopg.connect(self.database_url.replace("+psycopg", "")) as conn:
            row = conn.execute(
                "SELECT count(*) FROM messages WHERE text = %s", (text,)
            ).fetchone()
        return row[0]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    """Three processes on one fresh PostgreSQL database and Redis prefix."""
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database())
        prefix = stack.enter_context(redis_prefix())
        made = Cluster(stack, tmp_path_factory.mktemp("cluster"), database_url, prefix)
        for _ in range(3):
            made.start()
        yield made


def csrf_token(page: str) -> str:
    """The hidden csrf_token of a form page."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def cookie_header(http: requests.Session) -> dict[str, str]:
    """The Cookie header that makes a socket connection that session's."""
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in http.cookies.items())}


def people_in(person: Person, room: str, names: list[str], timeout: float = 10.0):
    """Wait until `person`'s latest roomData for `room` lists exactly `names`."""
    deadline = time.monotonic() + timeout
    while True:
        lists = [d for e, d in person.events if e == "roomData" and d["room"] == room]
        latest = [u["username"] for u in lists[-1]["users"]] if lists else None
        if latest == names:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"people list {latest}, not {names}")
        time.sleep(0.05)


def messages(person: Person, text: str) -> list[dict]:
    """The `message` events with this text that `person` received."""
    return [d for e, d in person.events if e == "message" and d["text"] == text]


def test_clients_on_different_processes_chat_and_see_each_message_once(cluster):
    a, b, c = cluster.servers[:3]
    asha = cluster.person(a, "Asha", "Scale 1")
    bela = cluster.person(b, "Bela", "Scale 1")
    chen = cluster.person(c, "Chen", "Scale 1")
    for person in (asha, bela, chen):
        people_in(person, "Scale 1", ["Asha", "Bela", "Chen"])
    asha.wait_for(lambda e, d: e == "message" and d["text"] == "Chen has joined!")

    sent = {}
    for person, name in ((asha, "Asha"), (bela, "Bela"), (chen, "Chen")):
        text = f"Hello from {name} on its own process"
        error, ack = person.sio.call(
            "sendMessage", {"text": text, "clientId": f"scale-{name}-0001"}
        )
        assert error is None and ack["duplicate"] is False
        sent[text] = ack["id"]
    for person in (asha, bela, chen):
        for message_id in sent.values():
            person.wait_for(
                lambda e, d, i=message_id: e == "message" and d.get("id") == i
            )
    time.sleep(0.5)  # a copy coming late through the queue would show now
    for person in (asha, bela, chen):
        for text, message_id in sent.items():
            assert [m["id"] for m in messages(person, text)] == [message_id]
    for text in sent:
        assert cluster.stored(text) == 1


def test_a_resend_through_another_process_is_stored_once(cluster):
    a, b = cluster.servers[:2]
    asha = cluster.person(a, "Asha", "Scale 2")
    error, first = asha.sio.call(
        "sendMessage", {"text": "Sent twice", "clientId": "scale-resend-0001"}
    )
    assert error is None
    asha.sio.disconnect()
    # The ack was lost, say, and the client came back through the load
    # balancer to another process: the same clientId is the same message.
    again = cluster.person(b, "Asha", "Scale 2")
    error, second = again.sio.call(
        "sendMessage", {"text": "Sent twice", "clientId": "scale-resend-0001"}
    )
    assert error is None
    assert second == {**first, "duplicate": True}
    assert cluster.stored("Sent twice") == 1


def test_a_name_in_use_on_one_process_is_in_use_on_every_other(cluster):
    a, b = cluster.servers[:2]
    cluster.person(a, "Dana", "Scale 3")
    other = Person(b.url)
    cluster.people.append(other)
    try:
        error, data = other.sio.call("join", {"username": " dana ", "room": "Scale 3"})
    finally:
        other.sio.disconnect()
    assert error == "Username is in use!" and data["code"] == "name_in_use"


def test_leaving_on_one_process_is_seen_on_another(cluster):
    a, b = cluster.servers[:2]
    asha = cluster.person(a, "Asha", "Scale 4")
    bela = cluster.person(b, "Bela", "Scale 4")
    people_in(asha, "Scale 4", ["Asha", "Bela"])
    bela.sio.disconnect()
    asha.wait_for(lambda e, d: e == "message" and d["text"] == "Bela has left!")
    people_in(asha, "Scale 4", ["Asha"])
    assert len(messages(asha, "Bela has left!")) == 1


def test_password_guesses_are_counted_across_processes(cluster):
    def guess(server: LiveServer) -> int:
        http = requests.Session()
        page = http.get(f"{server.url}/auth/login", timeout=10).text
        return http.post(f"{server.url}/auth/login", timeout=30, data={
            "csrf_token": csrf_token(page), "username": "headteacher",
            "password": "guess"}).status_code  # fmt: skip

    # 3 per minute per username: spread over three processes, still three.
    assert [guess(server) for server in cluster.servers[:3]] == [200, 200, 200]
    assert [guess(server) for server in cluster.servers[:3]] == [429, 429, 429]


def test_a_kick_on_one_process_takes_out_a_guest_on_another(cluster):
    a, b = cluster.servers[:2]
    http = cluster.account(a, "teacher")
    page = http.get(f"{a.url}/rooms", timeout=10).text
    created = http.post(f"{a.url}/rooms", timeout=10, allow_redirects=False, data={
        "csrf_token": csrf_token(page), "name": "Class 8A", "private": "y",
        "guests_welcome": "y"})  # fmt: skip
    room_id = int(created.headers["Location"].rpartition("id=")[2])
    teacher = Person(a.url, headers=cookie_header(http))
    cluster.people.append(teacher)
    error, joined = teacher.sio.call("join", {"roomId": room_id})
    assert error is None and joined["role"] == "owner"
    ravi = Person(b.url)
    cluster.people.append(ravi)
    error, _ = ravi.sio.call("join", {"username": "Ravi", "code": joined["joinCode"]})
    assert error is None
    people_in(teacher, "Class 8A", ["Teacher", "Ravi"])

    error, _ = teacher.sio.call("kick", {"username": "Ravi"})
    assert error is None
    ravi.wait_for(lambda e, d: e == "removed" and d["reason"] == "kicked")
    people_in(teacher, "Class 8A", ["Teacher"])
    error, sent = teacher.sio.call("sendMessage", "Only members from now on")
    assert error is None
    teacher.wait_for(lambda e, d: e == "message" and d.get("id") == sent["id"])
    time.sleep(0.5)  # had Ravi's process kept him in the room, it would be here
    assert messages(ravi, "Only members from now on") == []
    error, data = ravi.sio.call("sendMessage", "Still here?")
    assert data["code"] == "not_joined"
    for person in (teacher, ravi):
        person.sio.disconnect()


def test_a_graceful_stop_tells_only_its_own_clients(cluster):
    a = cluster.servers[0]
    stopping = cluster.start()
    asha = cluster.person(a, "Asha", "Scale 6")
    fern = cluster.person(stopping, "Fern", "Scale 6")
    people_in(asha, "Scale 6", ["Asha", "Fern"])

    os.killpg(stopping.process.pid, signal.SIGTERM)  # a restart, say
    fern.wait_for(lambda e, d: e == "shutdown")
    # Fern is not listed any more (she would come back through another
    # process), without the 25 s a dead process takes, and without "has left".
    people_in(asha, "Scale 6", ["Asha"], timeout=10)
    assert stopping.process.wait(timeout=15) == 0
    assert [e for e, _ in asha.events if e == "shutdown"] == []
    assert messages(asha, "Fern has left!") == []


def test_after_redis_loses_its_data_everyone_joins_again(cluster):
    a, b, c = cluster.servers[:3]
    asha = ReliableClient(a.url, "Asha", "Scale 7")
    bela = ReliableClient(b.url, "Bela", "Scale 7")
    try:
        for person in (asha, bela):
            person.wait_idle()
        # Redis restarted, say (the machine's keeps nothing on disk).
        wiped = redis_client()
        wiped.delete(*wiped.keys(f"{cluster.prefix}:*"))
        deadline = time.monotonic() + 5 + 10  # the next heartbeat, a re-join
        while asha.joins < 2 or bela.joins < 2:
            assert time.monotonic() < deadline, (asha.joins, bela.joins)
            time.sleep(0.1)
        watcher = cluster.person(c, "Watcher", "Scale 7")
        people = watcher.wait_for(lambda e, d: e == "roomData")[1]["users"]
        assert sorted(u["username"] for u in people) == ["Asha", "Bela", "Watcher"]
        asha.send("We are back")
        asha.wait_idle()
        watcher.wait_for(lambda e, d: e == "message" and d["text"] == "We are back")
        bela.wait_idle()
        bela.catch_up()
        bela.wait_idle()
        assert "We are back" in [text for _, text in bela.texts()]
    finally:
        asha.close()
        bela.close()


def test_people_of_a_killed_process_leave_within_the_bound(cluster):
    a = cluster.servers[0]
    doomed = cluster.start()
    asha = cluster.person(a, "Asha", "Scale 5")
    cluster.person(doomed, "Dev", "Scale 5")
    cluster.person(doomed, "Esha", "Scale 5")
    people_in(asha, "Scale 5", ["Asha", "Dev", "Esha"])

    # No goodbye: master and worker die at once, nothing runs on the way out.
    os.killpg(doomed.process.pid, signal.SIGKILL)
    killed = time.monotonic()
    people_in(asha, "Scale 5", ["Asha"], timeout=DEAD_PROCESS_BOUND_S)
    took = time.monotonic() - killed
    for name in ("Dev", "Esha"):
        asha.wait_for(
            lambda e, d, n=name: e == "message" and d["text"] == f"{n} has left!"
        )
        assert cluster.stored(f"{name} has left!") == 1
    print(f"killed process's people gone after {took:.1f} s")
