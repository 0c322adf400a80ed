"""Graceful shutdown at the socket level: clients are told, new events are
refused and nothing is stored, events in flight finish, nobody "leaves"."""

import threading
import time

import sqlalchemy as sa

from baithak import shutdown
from baithak.extensions import db
from baithak.models import Message


def count_messages(app) -> int:
    with app.app_context():
        return db.session.execute(sa.select(sa.func.count(Message.id))).scalar()


def test_stopping_tells_everyone_and_refuses_new_events(app, connect):
    asha, bela = connect(), connect()
    asha.join("Asha")
    bela.join("Bela")
    asha.received()
    stored = count_messages(app)
    shutdown.stop(app, timeout=0.1)
    for sock in (asha, bela):
        (notice,) = sock.received("shutdown")
        assert "restarting" in notice["text"]
    error, data = asha.emit("sendMessage", {"text": "hello?", "clientId": "late-0001"})
    assert data == {"code": "shutting_down"}
    assert error.startswith("The server is restarting")
    assert asha.emit("join", {"username": "Asha", "room": "Other"})[1]["code"] == (
        "shutting_down"
    )
    assert count_messages(app) == stored
    assert bela.received("message") == []


def test_the_server_going_away_is_not_people_leaving(app, connect):
    asha, bela = connect(), connect()
    asha.join("Asha")
    bela.join("Bela")
    shutdown.stop(app, timeout=0.1)
    asha.disconnect()
    with app.app_context():
        texts = db.session.execute(sa.select(Message.text)).scalars().all()
    assert "Asha has left!" not in texts


def test_stop_waits_for_events_in_flight(app):
    state = app.extensions["baithak.lifecycle"]
    state.enter()  # an event being handled
    finished = []

    def handler_finishes_later() -> None:
        time.sleep(0.3)
        finished.append(time.monotonic())
        state.leave()

    threading.Thread(target=handler_finishes_later).start()
    shutdown.stop(app, timeout=5)
    stopped = time.monotonic()
    assert finished and finished[0] <= stopped


def test_stop_gives_up_on_an_event_that_never_ends(app):
    state = app.extensions["baithak.lifecycle"]
    state.enter()
    started = time.monotonic()
    shutdown.stop(app, timeout=0.2)
    assert 0.2 <= time.monotonic() - started < 2


def test_http_requests_count_as_in_flight(app, client):
    state = app.extensions["baithak.lifecycle"]
    seen = []

    @app.get("/_probe")
    def probe() -> str:
        seen.append(state.busy)
        return "ok"

    assert client.get("/_probe").status_code == 200
    assert seen == [1]
    assert state.busy == 0
    shutdown.stop(app, timeout=0.1)
    assert client.get("/_probe").status_code == 200  # pages still load meanwhile
