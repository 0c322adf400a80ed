"""Delivery guarantees at the socket level: per-room sequence numbers with no
gap, and idempotent sends (a message re-sent with its clientId is stored and
broadcast once)."""

import sqlalchemy as sa

from baithak.extensions import db
from baithak.models import Message


def stored(app):
    """Return (room_id, seq, kind, text, client_id) of every stored message,
    oldest first."""
    with app.app_context():
        rows = db.session.execute(sa.select(Message).order_by(Message.id)).scalars()
        return [(m.room_id, m.seq, m.kind, m.text, m.client_id) for m in rows]


def test_each_room_numbers_its_messages_from_one_without_gaps(connect):
    asha, bela = connect(), connect()
    asha_seqs = [m["seq"] for m in asha.join("Asha", "Maths")["messages"]]
    bela.join("Bela", "Art")
    for n in range(3):
        asha_seqs.append(asha.emit("sendMessage", f"maths {n}")[1]["seq"])
        bela.emit("sendMessage", f"art {n}")
    asha_seqs.append(
        asha.emit("sendLocation", {"latitude": 1, "longitude": 2})[1]["seq"]
    )
    # Refused sends take no number.
    assert asha.emit("sendMessage", "")[0] == "Message is empty."
    asha_seqs.append(asha.emit("sendMessage", "after a refusal")[1]["seq"])
    assert asha_seqs == [1, 2, 3, 4, 5, 6]

    art = connect().join("Chen", "Art")["messages"]
    assert [(m["seq"], m["text"]) for m in art] == [
        (1, "Bela has joined!"),
        (2, "art 0"),
        (3, "art 1"),
        (4, "art 2"),
        (5, "Chen has joined!"),
    ]


def test_live_messages_carry_seq_and_client_id(connect):
    asha, bela = connect(), connect()
    asha.join("Asha")
    bela.join("Bela")
    error, ack = asha.emit("sendMessage", {"text": "hi", "clientId": "c-0000001"})
    assert error is None
    (live,) = bela.received("message")
    assert live["seq"] == ack["seq"]
    assert live["id"] == ack["id"]
    assert live["clientId"] == "c-0000001"
    assert ack["duplicate"] is False


def test_a_resent_message_is_stored_and_broadcast_once(app, connect):
    asha, bela = connect(), connect()
    asha.join("Asha")
    bela.join("Bela")
    payload = {"text": "did this arrive?", "clientId": "0123456789abcdef"}
    first = asha.emit("sendMessage", payload)
    asha.received()
    again = asha.emit("sendMessage", payload)  # the first ack was "lost"
    assert first[0] is again[0] is None
    assert again[1] == first[1] | {"duplicate": True}
    assert len(bela.received("message")) == 1
    assert asha.received("message") == []
    texts = [row[3] for row in stored(app) if row[2] == "text"]
    assert texts == ["did this arrive?"]


def test_a_resend_after_reconnecting_is_recognised(app, connect):
    asha = connect()
    asha.join("Asha", "Physics")
    payload = {"text": "sent just before the drop", "clientId": "resend-0001"}
    seq = asha.emit("sendMessage", payload)[1]["seq"]
    asha.disconnect()
    again = connect()  # a new connection (new sid), the same person
    again.join("Asha", "Physics")
    error, ack = again.emit("sendMessage", payload)
    assert error is None
    assert (ack["seq"], ack["duplicate"]) == (seq, True)
    assert [row[3] for row in stored(app)].count("sent just before the drop") == 1


def test_locations_are_idempotent_too(app, connect):
    asha = connect()
    asha.join("Asha")
    where = {"latitude": 12.5, "longitude": 77.25, "clientId": "loc-00000001"}
    first = asha.emit("sendLocation", where)[1]
    again = asha.emit("sendLocation", where)[1]
    assert again == first | {"duplicate": True}
    assert [row[2] for row in stored(app)].count("location") == 1


def test_someone_elses_client_id_is_refused_and_reveals_nothing(app, connect):
    asha, bela = connect(), connect()
    asha.join("Asha")
    bela.join("Bela")
    asha.emit("sendMessage", {"text": "mine", "clientId": "shared-id-1"})
    asha.received()
    bela.received()
    error, data = bela.emit(
        "sendMessage", {"text": "hijack", "clientId": "shared-id-1"}
    )
    assert error == "That clientId belongs to another message; use a new one."
    assert data == {"code": "client_id_taken"}
    assert "hijack" not in [row[3] for row in stored(app)]
    assert asha.received("message") == []


def test_the_same_client_id_in_another_room_is_another_message(app, connect):
    asha = connect()
    asha.join("Asha", "One")
    first = asha.emit("sendMessage", {"text": "hello", "clientId": "same-id-01"})[1]
    asha.join("Asha", "Two")
    second = asha.emit("sendMessage", {"text": "hello", "clientId": "same-id-01"})[1]
    assert second["duplicate"] is False
    assert second["id"] != first["id"]


def test_a_refused_message_can_be_fixed_and_sent_with_the_same_id(app, connect):
    asha = connect()
    asha.join("Asha")
    refused = asha.emit("sendMessage", {"text": "oh shit", "clientId": "edit-00001"})
    assert refused[0] == "Profanity is not allowed!"
    error, ack = asha.emit("sendMessage", {"text": "oh no", "clientId": "edit-00001"})
    assert error is None and ack["duplicate"] is False


def test_forged_room_fields_are_ignored(app, connect):
    asha, bela = connect(), connect()
    maths = asha.join("Asha", "Maths")["roomId"]
    secret = bela.join("Bela", "Secret")["roomId"]
    forged = {"text": "psst", "clientId": "forged-0001", "room": "Secret"}
    error, _ = asha.emit("sendMessage", forged | {"roomId": secret})
    assert error is None
    assert bela.received("message") == []
    (row,) = [r for r in stored(app) if r[3] == "psst"]
    assert row[0] == maths
    error, data = asha.emit("loadHistory", {"after": 0, "roomId": secret})
    assert data == {"code": "invalid_payload"}
