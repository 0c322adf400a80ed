"""Presence in Redis kept right by each process's heartbeat, and what a
process does when Redis is out of reach (services.heartbeat, chat.connected).

In-process: the app's presence is swapped for a RedisPresence on the test
Redis (or on a port nothing listens on, for an outage); the heartbeat task
is not started, `heartbeat.beat` is called by the test.
"""

from __future__ import annotations

import time

import pytest

from baithak.extensions import db, socketio
from baithak.models import Message
from baithak.services import heartbeat
from baithak.services.presence import Member
from baithak.services.redis_presence import RedisPresence

from .conftest import AuthActions, new_app
from .services import REDIS_URL, redis_prefix

GONE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: Redis gone


def stored(app, text: str) -> int:
    with app.app_context():
        return db.session.query(Message).filter_by(text=text).count()


@pytest.fixture
def redis_app(app):
    """The app with presence in Redis (expiry 0.5 s), and a second process's
    presence on the same keys."""
    with redis_prefix() as prefix:
        app.extensions["baithak.presence"] = RedisPresence(REDIS_URL, prefix, 0.5)
        app.extensions["baithak.heartbeat"] = None  # the test beats by hand
        yield app, RedisPresence(REDIS_URL, prefix, 0.5)


def beat(app, state: heartbeat.Heartbeat) -> None:
    with app.app_context():
        heartbeat.beat(state)


def names(presence: RedisPresence) -> list[str]:
    return [m.name for m in presence.people(1)]


def test_after_an_outage_the_first_process_back_reaps_nobody(redis_app):
    app, other = redis_app
    other.add(Member("b1", 1, "Bela", None))
    other.heartbeat()
    state = heartbeat.Heartbeat()
    time.sleep(0.7)  # Redis away: neither process could beat
    beat(app, state)
    assert names(other) == ["Bela"]  # not taken for dead: it could not beat
    assert stored(app, "Bela has left!") == 0
    # The other process never comes back: once this one has beaten for the
    # expiry, its people leave, with the notice.
    time.sleep(0.6)
    beat(app, state)
    assert names(other) == []
    assert stored(app, "Bela has left!") == 1


def test_a_connection_closed_but_still_present_is_taken_out(redis_app):
    app, _ = redis_app
    mine = app.extensions["baithak.presence"]
    # Its disconnect failed halfway (Redis away): no open connection "ghost".
    mine.add(Member("ghost", 1, "Ghost", None))
    beat(app, heartbeat.Heartbeat())
    assert names(mine) == []
    assert stored(app, "Ghost has left!") == 1


def test_open_connections_are_kept(redis_app, connect):
    app, _ = redis_app
    sock = connect()
    sock.join("Asha")
    beat(app, heartbeat.Heartbeat())
    assert names(app.extensions["baithak.presence"]) == ["Asha"]
    sock.emit("sendMessage", "still here")
    assert [p["text"] for p in sock.received("message")] == ["still here"]


def test_an_account_refused_while_redis_is_away_keeps_no_connection_slot(
    app, user_client
):
    http = user_client("asha", "Asha")
    app.extensions["baithak.presence"] = RedisPresence(GONE, "gone", 20)
    for _ in range(3):
        sio = socketio.test_client(app, flask_test_client=http)
        assert not sio.is_connected()
    assert app.extensions["baithak.connections"]._open == {}


def test_registering_and_logging_in_work_while_the_limits_redis_is_away(tmp_path):
    with new_app(tmp_path, RATELIMIT_STORAGE_URI=GONE) as made:
        auth = AuthActions(made.test_client())
        assert auth.register().status_code == 302  # not a 500
        auth.logout()
        assert auth.login().status_code == 302


def test_a_join_whose_connection_closed_meanwhile_leaves_no_ghost(
    app, connect, monkeypatch
):
    """The close of a connection can be handled while its join waits for the
    database or Redis: that join must take itself out again, or the name
    stays taken by nobody (tests/test_scaleout_hostile.py does it for real)."""
    watcher = connect()
    watcher.join("Watcher")
    sock = connect()
    presence = app.extensions["baithak.presence"]
    real_add = presence.add

    def add_after_the_close(member):
        socketio.server.manager.pre_disconnect(member.sid, "/")  # it arrived
        return real_add(member)

    monkeypatch.setattr(presence, "add", add_after_the_close)
    error, data = sock.emit("join", {"username": "Ghost", "room": "Global"})
    monkeypatch.undo()
    assert data == {"code": "not_joined"}
    assert [m.name for m in presence.people(1)] == ["Watcher"]
    error, _ = connect().emit("join", {"username": "Ghost", "room": "Global"})
    assert error is None  # the name is free
