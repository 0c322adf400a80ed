"""Rate limits on sending, joining and creating rooms, with the default rules."""

import re
import types

import pytest
import sqlalchemy as sa

import baithak.services.ratelimit
from baithak import create_app
from baithak.config import DEFAULT_LIMITS
from baithak.extensions import db, socketio
from baithak.models import Message, Room
from baithak.services.ratelimit import ACTIONS, setting_names

from . import testdb
from .conftest import AuthActions, ChatSocket, new_app


class Clock:
    """A stand-in for time.time() that tests move forward by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    """Freeze the clock the rate limits read (theirs and the `limits` package's)."""
    fake = Clock()
    shim = types.SimpleNamespace(time=fake.time)
    import limits.storage.memory
    import limits.strategies

    for module in (
        limits.storage.memory,
        limits.strategies,
        baithak.services.ratelimit,
    ):
        monkeypatch.setattr(module, "time", shim)
    return fake


@pytest.fixture
def limited_app(tmp_path, clock):
    """The app with the production default limits (testing turns them off)."""
    with new_app(tmp_path, **DEFAULT_LIMITS) as app:
        yield app


@pytest.fixture
def open_socket(limited_app):
    """Return a factory of guest sockets, optionally from another IP address."""

    def make(ip: str = "127.0.0.1") -> ChatSocket:
        http = limited_app.test_client()
        http.environ_base["REMOTE_ADDR"] = ip
        sio = socketio.test_client(limited_app, flask_test_client=http)
        return ChatSocket(sio)

    return make


def count(app, model) -> int:
    with app.app_context():
        return db.session.execute(
            sa.select(sa.func.count()).select_from(model)
        ).scalar()


def test_a_burst_is_allowed_then_refused_with_when_to_retry(limited_app, open_socket):
    asha, bela = open_socket(), open_socket()
    asha.join("Asha")
    bela.join("Bela")
    for n in range(5):  # the burst: 5/second
        assert asha.emit("sendMessage", f"quick {n}")[0] is None
    stored = count(limited_app, Message)
    bela.received()
    error, data = asha.emit("sendMessage", "one too many")
    assert error == "You are sending messages too fast; try again in 1 s."
    assert data == {"code": "rate_limited", "retryAfter": 1}
    assert count(limited_app, Message) == stored
    assert bela.received() == []


def test_sending_is_allowed_again_after_waiting(open_socket, clock):
    asha = open_socket()
    asha.join("Asha")
    for n in range(5):
        asha.emit("sendMessage", f"quick {n}")
    assert asha.emit("sendMessage", "too soon")[1]["code"] == "rate_limited"
    clock.advance(1.5)
    assert asha.emit("sendMessage", "after a breath")[0] is None


def test_the_steady_rate_caps_a_minute(open_socket, clock):
    asha = open_socket()
    asha.join("Asha")
    sent = 0
    for _ in range(120):  # two a second for a minute: within 5/s, over 60/minute
        clock.advance(0.5)
        sent += asha.emit("sendMessage", "tick")[0] is None
    assert 55 <= sent <= 61  # the sliding window's estimate of "60 in a minute"


def test_a_class_of_40_behind_one_router_can_all_type_at_once(
    limited_app, open_socket, clock
):
    class_ = [open_socket("10.1.1.1") for _ in range(40)]
    for n, student in enumerate(class_):
        student.join(f"Student {n}", "Class")
    clock.advance(1)
    for second in range(30):  # everyone sends a message every 3 s for 90 s
        for student in class_[second % 3 :: 3]:
            error, _ = student.emit("sendMessage", f"answer {second}")
            assert error is None, error
        clock.advance(3)
    for student in class_:
        student.disconnect()


def test_a_flooder_with_many_connections_is_capped_per_address(open_socket):
    sockets = [open_socket("10.6.6.6") for _ in range(12)]
    for n, sock in enumerate(sockets):
        sock.join(f"Bot {n}", "Flood")
    results = [
        sock.emit("sendMessage", "spam")[1].get("code")
        for sock in sockets
        for _ in range(5)
    ]  # 60 in one second, 5 per connection: the address allows 40/second
    assert results.count(None) == 40
    assert results.count("rate_limited") == 20
    other = open_socket("10.2.2.2")  # someone else is not affected
    other.join("Asha", "Flood")
    assert other.emit("sendMessage", "hello")[0] is None


def test_an_account_shares_its_limit_across_tabs(limited_app, clock):
    http = limited_app.test_client()
    http.post(
        "/auth/register",
        data={"username": "asha", "display_name": "Asha", "password": "correct horse",
              "confirm": "correct horse"},
    )  # fmt: skip
    tabs = [
        ChatSocket(socketio.test_client(limited_app, flask_test_client=http))
        for _ in range(2)
    ]
    for tab in tabs:
        tab.join(None, "Maths")
    results = [tabs[n % 2].emit("sendMessage", f"m{n}")[0] for n in range(8)]
    assert results.count(None) == 5


def test_joins_are_limited(open_socket):
    asha = open_socket()
    codes = [asha.emit("join", {"username": "Asha", "room": f"r{n % 2}"})[1].get("code")
             for n in range(7)]  # fmt: skip
    assert codes[:5] == [None] * 5
    assert codes[5:] == ["rate_limited"] * 2


def test_new_rooms_are_limited_but_joining_existing_ones_is_not(
    limited_app, open_socket, clock
):
    asha = open_socket()
    made = []
    for n in range(7):
        clock.advance(1)  # within the join limit
        made.append(asha.emit("join", {"username": "Asha", "room": f"New {n}"})[0])
    assert made[:5] == [None] * 5
    assert re.fullmatch(r"Too many new rooms; try again in \d+ s\.", made[5])
    assert count(limited_app, Room) == 1 + 5  # the global room and five
    clock.advance(1)
    assert asha.emit("join", {"username": "Asha", "room": "New 1"})[0] is None


def test_limits_are_configurable_and_can_be_switched_off(tmp_path, clock):
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": testdb.database_uri(tmp_path, "t"),
            **DEFAULT_LIMITS,
            "BAITHAK_RATELIMIT_SEND": "2/second",
            "BAITHAK_RATELIMIT_SEND_IP": "",
        },
    )
    with app.app_context():
        db.create_all()
    sock = ChatSocket(socketio.test_client(app))
    sock.join("Asha")
    results = [sock.emit("sendMessage", "x")[0] for _ in range(3)]
    assert results[:2] == [None, None] and results[2] is not None
    sock.disconnect()
    with app.app_context():
        db.engine.dispose()


def test_a_bad_rule_is_refused_at_start(tmp_path):
    with pytest.raises(RuntimeError, match="BAITHAK_RATELIMIT_SEND: 'lots'"):
        create_app("testing", {"BAITHAK_RATELIMIT_SEND": "lots"})


def test_history_requests_are_limited(open_socket, clock):
    asha = open_socket()
    asha.join("Asha")
    codes = [asha.emit("loadHistory", {"after": 0})[1].get("code") for _ in range(12)]
    assert codes[:10] == [None] * 10
    assert codes[10:] == ["rate_limited"] * 2
    clock.advance(1.5)
    assert asha.emit("loadHistory", {"after": 0})[0] is None


def test_moderation_events_are_limited(open_socket, clock):
    asha = open_socket()
    asha.join("Asha")
    codes = [asha.emit("kick", {"username": "Bela"})[1]["code"] for _ in range(7)]
    # Refused as not allowed, but every one costs: the sixth in a second waits.
    assert codes == ["forbidden"] * 5 + ["rate_limited"] * 2
    clock.advance(1.5)
    assert asha.emit("kick", {"username": "Bela"})[1]["code"] == "forbidden"


def test_an_address_may_hold_only_so_many_connections(tmp_path):
    with new_app(tmp_path, BAITHAK_MAX_CONNECTIONS_PER_IP=3) as app:

        def connect_from(ip: str):
            http = app.test_client()
            http.environ_base["REMOTE_ADDR"] = ip
            return socketio.test_client(app, flask_test_client=http)

        held = [connect_from("10.7.7.7") for _ in range(3)]
        assert all(sock.is_connected() for sock in held)
        refused = connect_from("10.7.7.7")
        assert not refused.is_connected()
        assert connect_from("10.8.8.8").is_connected()  # another address
        held[0].disconnect()
        again = connect_from("10.7.7.7")
        assert again.is_connected()  # a closed one frees its place


def test_every_action_has_both_limits_configured():
    for action in ACTIONS:
        assert set(setting_names(action)) <= set(DEFAULT_LIMITS), action


def test_the_room_list_is_limited_like_moderation(limited_app):
    http = limited_app.test_client()
    assert AuthActions(http).register("asha", "Asha").status_code == 302
    sock = ChatSocket(socketio.test_client(limited_app, flask_test_client=http))
    answers = [sock.emit("myRooms") for _ in range(6)]  # the burst: 5/second
    assert [error for error, _ in answers[:5]] == [None] * 5
    _, data = answers[5]
    assert data["code"] == "rate_limited" and data["retryAfter"] >= 1
