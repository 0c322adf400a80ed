"""Stored history: the join ack's last page, ids, and surviving a server restart."""

import sqlalchemy as sa

from baithak import create_app
from baithak.extensions import db, socketio
from baithak.models import Message


def test_join_ack_has_the_last_page_oldest_first(connect):
    sender = connect()
    sender.join("Asha")  # stores "Asha has joined!" first
    for i in range(55):
        assert sender.emit("sendMessage", f"message {i}")[0] is None

    ack = connect().join("Bela")
    texts = [m["text"] for m in ack["messages"]]
    # The joiner's own notice comes last: its history has every seq up to now.
    assert texts == [f"message {i}" for i in range(5, 55)] + ["Bela has joined!"]
    assert ack["hasMore"] is True
    assert all(m["username"] == "Asha" for m in ack["messages"][:-1])

    error, older = sender.emit("loadHistory", {"before": ack["messages"][0]["id"]})
    assert error is None
    assert [m["text"] for m in older["messages"]] == ["Asha has joined!"] + [
        f"message {i}" for i in range(5)
    ]
    assert older["hasMore"] is False


def test_join_and_leave_notices_do_not_push_the_conversation_out(connect):
    teacher = connect()
    teacher.join("Teacher", "Class")
    for i in range(60):
        teacher.emit("sendMessage", f"lesson {i}")
    for n in range(40):  # a class arrives and leaves: 80 notices
        student = connect()
        student.join(f"Student {n}", "Class")
        student.disconnect()

    ack = connect().join("Late", "Class")
    said = [m["text"] for m in ack["messages"] if not m.get("system")]
    assert said == [f"lesson {i}" for i in range(10, 60)]
    notices = [m for m in ack["messages"] if m.get("system")]
    assert len(notices) == 81  # and the late joiner's own
    assert ack["hasMore"] is True
    error, older = teacher.emit("loadHistory", {"before": ack["messages"][0]["id"]})
    assert error is None
    assert [m["text"] for m in older["messages"] if not m.get("system")] == [
        f"lesson {i}" for i in range(10)
    ]
    assert older["hasMore"] is False


def test_a_page_carries_at_most_150_notices(connect):
    teacher = connect()
    teacher.join("Teacher", "Busy")
    teacher.emit("sendMessage", "welcome, class")
    for n in range(100):  # 200 notices after the only message
        student = connect()
        student.join(f"Student {n}", "Busy")
        student.disconnect()
    ack = connect().join("Late", "Busy")
    assert len(ack["messages"]) == 200  # the page's 50 + 150 notices
    assert all(m.get("system") for m in ack["messages"])
    assert ack["hasMore"] is True


def test_join_ack_without_more_history(connect):
    sender = connect()
    sender.join("Asha")
    sender.emit("sendMessage", "only one")
    ack = connect().join("Bela")
    assert [m["text"] for m in ack["messages"]] == [
        "Asha has joined!",
        "only one",
        "Bela has joined!",
    ]
    assert ack["hasMore"] is False


def test_history_keeps_kinds_apart(connect):
    sender = connect()
    sender.join("Asha")
    sender.emit("sendLocation", {"latitude": 12.5, "longitude": 77.25})
    sender.emit("sendMessage", "hi")
    system, location, text, _own_notice = connect().join("Bela")["messages"]
    assert system["system"] is True
    assert system["username"] == "Admin"
    assert location["url"] == "https://google.com/maps?q=12.5,77.25"
    assert (location["latitude"], location["longitude"]) == (12.5, 77.25)
    assert "text" not in location
    assert "system" not in location
    assert text["text"] == "hi"
    assert "system" not in text


def test_ids_increase(connect):
    (asha, bela) = (connect(), connect())
    asha.join("Asha")
    bela.join("Bela", "Physics")
    ids = [
        sock.emit("sendMessage", f"{n}")[1]["id"]
        for n in range(6)
        for sock in (asha, bela)
    ]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_are_not_reused_after_deletion(app, connect):
    sock = connect()
    sock.join("Asha")
    last = sock.emit("sendMessage", "to be deleted")[1]["id"]
    with app.app_context():
        db.session.execute(sa.delete(Message).where(Message.id == last))
        db.session.commit()
    assert sock.emit("sendMessage", "after")[1]["id"] > last


def test_history_survives_a_restart(app, connect):
    sock = connect()
    sock.join("Asha", "Physics")
    first = sock.emit("sendMessage", "before the restart")[1]["id"]
    sock.disconnect()

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        db.engine.dispose()
    again = create_app("testing", {"SQLALCHEMY_DATABASE_URI": uri})
    try:
        sio = socketio.test_client(again)
        error, ack = sio.emit(
            "join", {"username": "Bela", "room": "physics"}, callback=True
        )
        assert error is None
        assert ack["room"] == "Physics"
        texts = [m["text"] for m in ack["messages"]]
        assert texts == [
            "Asha has joined!",
            "before the restart",
            "Asha has left!",
            "Bela has joined!",
        ]
        error, data = sio.emit("sendMessage", "after the restart", callback=True)
        assert data["id"] > first
        sio.disconnect()
    finally:
        with again.app_context():
            db.engine.dispose()
