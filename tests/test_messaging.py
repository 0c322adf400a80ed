"""Everyday messaging over Socket.IO: editing and deleting one's own
messages, replies, emoji reactions and searching a room's history."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from .conftest import new_app
from .test_moderation import add_member, make_room


@dataclass
class Room:
    """A public room owned by Rao, with Mona (moderator), Meera (member) and
    the guests Gita and Guru, all joined; `s` holds their sockets by name."""

    room_id: int
    s: dict


@pytest.fixture
def room(app, user_client, connect) -> Room:
    http = {}
    for username, name in (("rao", "Rao"), ("mona", "Mona"), ("meera", "Meera")):
        http[name] = user_client(username, name)
        http[name].username = username
    room_id = make_room(app, http["Rao"], kind="public", name="Maths")
    add_member(app, room_id, "mona", "moderator")
    s = {}
    for name, client in http.items():
        s[name] = connect(client)
        assert s[name].emit("join", {"roomId": room_id})[0] is None
    for guest in ("Gita", "Guru"):
        s[guest] = connect()
        assert s[guest].emit("join", {"username": guest, "roomId": room_id})[0] is None
    for sock in s.values():
        sock.received()
    return Room(room_id, s)


def say(sock, text, **more):
    error, data = sock.emit("sendMessage", {"text": text, **more})
    assert error is None, error
    return data["id"]


def history(sock):
    _, page = sock.emit("loadHistory", {"after": 0})
    return {m["id"]: m for m in page["messages"]}


def code(ack):
    return ack[1]["code"]


# --- editing ------------------------------------------------------------------


def test_the_author_edits_and_everyone_sees_it_live_and_in_history(room):
    meera = room.s["Meera"]
    mid = say(meera, "2 + 2 = 5")
    for sock in room.s.values():
        sock.received()
    error, data = meera.emit("editMessage", {"id": mid, "text": "2 + 2 = 4"})
    assert error is None
    assert data["id"] == mid and data["text"] == "2 + 2 = 4"
    assert isinstance(data["editedAt"], int) and data["editedAt"] > 1e12
    for sock in room.s.values():
        assert sock.received("messageEdited") == [data]
    shown = history(room.s["Gita"])[mid]
    assert shown["text"] == "2 + 2 = 4" and shown["editedAt"] == data["editedAt"]
    unedited = say(meera, "unedited")
    assert "editedAt" not in history(meera)[unedited]


def test_the_same_text_again_changes_nothing(room):
    meera = room.s["Meera"]
    mid = say(meera, "hello")
    meera.received()
    error, data = meera.emit("editMessage", {"id": mid, "text": "hello"})
    assert error is None and data["editedAt"] is None
    assert meera.received("messageEdited") == []
    assert "editedAt" not in history(meera)[mid]


def test_a_guest_edits_only_what_it_sent_on_this_connection(room, connect):
    # A guest has nothing but a name, which is free again once it leaves: who
    # comes back under it may be anyone (tests/test_hostile_everyday.py).
    old = say(room.s["Gita"], "helo")
    room.s["Gita"].disconnect()
    again = connect()
    assert again.emit("join", {"username": "gita", "roomId": room.room_id})[0] is None
    error, data = again.emit("editMessage", {"id": old, "text": "hello"})
    assert (error, data["code"]) == (
        "You can only change your own messages.",
        "forbidden",
    )
    new = say(again, "helo again")
    assert again.emit("editMessage", {"id": new, "text": "hello again"})[0] is None


@pytest.mark.parametrize(
    ("editor", "author"),
    [
        ("Meera", "Rao"),  # another account
        ("Guru", "Gita"),  # a guest with another name
        ("Gita", "Meera"),  # a guest, an account's message
        ("Mona", "Meera"),  # a moderator, someone else's
        ("Rao", "Meera"),  # the owner, someone else's
    ],
)
def test_nobody_edits_another_persons_message(room, editor, author):
    mid = say(room.s[author], "original")
    ack = room.s[editor].emit("editMessage", {"id": mid, "text": "forged"})
    assert ack == ("You can only change your own messages.", {"code": "forbidden"})
    assert history(room.s[author])[mid]["text"] == "original"
    assert "editedAt" not in history(room.s[author])[mid]


def test_edits_are_checked_like_new_messages(room):
    meera = room.s["Meera"]
    mid = say(meera, "fine")
    for text, expected in (
        ("   ", "empty"),
        ("x" * 2001, "too_long"),
        (7, "invalid_payload"),
    ):
        assert code(meera.emit("editMessage", {"id": mid, "text": text})) == expected
    assert code(meera.emit("editMessage", {"id": mid, "text": "shit"})) == "profanity"
    assert history(meera)[mid]["text"] == "fine"


@pytest.mark.parametrize("bad_id", [None, "1", True, 0, -1, 10**30, 999999])
def test_edit_needs_a_message_id_of_the_room(room, bad_id):
    ack = room.s["Meera"].emit("editMessage", {"id": bad_id, "text": "x"})
    assert ack == ("No such message in this room.", {"code": "not_found"})


def test_messages_of_another_room_are_not_found(room, connect):
    other = connect()
    other.emit("join", {"username": "Gita", "room": "Elsewhere"})
    mid = say(other, "mine")
    gita = room.s["Gita"]  # the same guest name, in another room
    for event, payload in (
        ("editMessage", {"id": mid, "text": "changed"}),
        ("deleteMessage", {"id": mid}),
        ("react", {"id": mid, "emoji": "👍"}),
        ("sendMessage", {"text": "re", "replyTo": mid}),
    ):
        assert code(gita.emit(event, payload)) == "not_found", event
    assert history(other)[mid]["text"] == "mine"
    assert "reactions" not in history(other)[mid]


def test_system_location_and_deleted_messages_cannot_be_edited(room):
    meera = room.s["Meera"]
    _, located = meera.emit("sendLocation", {"latitude": 12.8, "longitude": 80.0})
    notice = next(m for m in history(meera).values() if m["kind"] == "system")
    assert code(meera.emit("editMessage", {"id": located["id"], "text": "x"})) == (
        "forbidden"
    )
    assert code(meera.emit("editMessage", {"id": notice["id"], "text": "x"})) == (
        "not_found"
    )
    mid = say(meera, "soon gone")
    assert meera.emit("deleteMessage", {"id": mid})[0] is None
    assert code(meera.emit("editMessage", {"id": mid, "text": "back"})) == "not_found"
    assert history(meera)[mid]["deleted"] is True


def test_muted_and_not_joined_people_cannot_edit_or_react(room, connect):
    meera = room.s["Meera"]
    mid = say(meera, "hi")
    assert room.s["Rao"].emit("mute", {"username": "Meera", "minutes": 5})[0] is None
    assert code(meera.emit("editMessage", {"id": mid, "text": "x"})) == "muted"
    assert code(meera.emit("react", {"id": mid, "emoji": "👍"})) == "muted"
    stranger = connect()
    for event in ("editMessage", "react", "searchHistory", "deleteMessage"):
        assert code(stranger.emit(event, {"id": mid, "text": "x"})) == "not_joined"


def test_edits_are_rate_limited_as_sends(tmp_path):
    with new_app(tmp_path, BAITHAK_RATELIMIT_SEND="3/minute") as app:
        from baithak.extensions import socketio

        sock = socketio.test_client(app)
        sock.emit("join", {"username": "Asha", "room": "Global"}, callback=True)
        _, sent = sock.emit("sendMessage", "one", callback=True)
        for text in ("two", "three"):
            assert (
                sock.emit(
                    "editMessage", {"id": sent["id"], "text": text}, callback=True
                )[0]
                is None
            )
        _, data = sock.emit(
            "editMessage", {"id": sent["id"], "text": "four"}, callback=True
        )
        assert data["code"] == "rate_limited" and data["retryAfter"] >= 1
        sock.disconnect()


# --- deleting one's own -------------------------------------------------------


@pytest.mark.parametrize("who", ["Meera", "Gita", "Mona"])
def test_anyone_deletes_their_own_message(room, who):
    mid = say(room.s[who], "oops, wrong room")
    for sock in room.s.values():
        sock.received()
    error, data = room.s[who].emit("deleteMessage", {"id": mid})
    assert error is None and data["id"] == mid
    for sock in room.s.values():
        assert sock.received("messageDeleted") == [data]
    shown = history(room.s["Rao"])[mid]
    assert shown["deleted"] is True and "text" not in shown


@pytest.mark.parametrize(("deleter", "author"), [("Meera", "Rao"), ("Guru", "Gita"),
                                                 ("Gita", "Meera")])  # fmt: skip
def test_nobody_but_moderators_deletes_someone_elses(room, deleter, author):
    mid = say(room.s[author], "keep me")
    ack = room.s[deleter].emit("deleteMessage", {"id": mid})
    assert code(ack) == "forbidden"
    assert history(room.s[author])[mid]["text"] == "keep me"


def test_a_moderator_still_deletes_anyones_message(room):
    mid = say(room.s["Gita"], "rude")
    assert room.s["Mona"].emit("deleteMessage", {"id": mid})[0] is None
    assert history(room.s["Gita"])[mid]["deleted"] is True


# --- replies ------------------------------------------------------------------


def test_a_reply_carries_a_quote_of_its_original(room):
    original = say(room.s["Gita"], "What is\nhomework " + "for today " * 20)
    for sock in room.s.values():
        sock.received()
    reply = say(room.s["Meera"], "Page 12", replyTo=original, clientId="c" * 12)
    (live,) = room.s["Guru"].received("message")
    quote = live["replyTo"]
    assert quote["id"] == original and quote["username"] == "Gita"
    assert quote["text"].startswith("What is homework for today")  # one line
    assert len(quote["text"]) == 100 and quote["text"].endswith("…")
    assert history(room.s["Rao"])[reply]["replyTo"] == quote


def test_a_reply_to_a_deleted_original_says_so(room):
    original = say(room.s["Gita"], "secret")
    reply = say(room.s["Meera"], "ok", replyTo=original)
    assert room.s["Gita"].emit("deleteMessage", {"id": original})[0] is None
    quote = history(room.s["Rao"])[reply]["replyTo"]
    assert quote == {"id": original, "username": "Gita", "kind": "text",
                     "deleted": True}  # fmt: skip
    assert code(room.s["Meera"].emit("sendMessage", {"text": "x", "replyTo": original}))


@pytest.mark.parametrize("bad", ["1", True, 0, 10**30, 424242, 1.5])
def test_a_reply_to_no_message_of_the_room_stores_nothing(room, bad):
    before = history(room.s["Meera"])
    ack = room.s["Meera"].emit("sendMessage", {"text": "hm", "replyTo": bad})
    assert ack == ("No such message in this room.", {"code": "not_found"})
    assert history(room.s["Meera"]) == before


def test_a_reply_to_a_join_notice_is_refused(room):
    notice = next(m for m in history(room.s["Rao"]).values() if m["kind"] == "system")
    ack = room.s["Meera"].emit("sendMessage", {"text": "hi", "replyTo": notice["id"]})
    assert code(ack) == "not_found"


# --- reactions ----------------------------------------------------------------


def test_reactions_toggle_and_everyone_sees_the_counts(room):
    mid = say(room.s["Meera"], "We won the quiz!")
    for sock in room.s.values():
        sock.received()
    assert room.s["Rao"].emit("react", {"id": mid, "emoji": "🎉"})[0] is None
    assert room.s["Gita"].emit("react", {"id": mid, "emoji": "🎉"})[0] is None
    error, data = room.s["Gita"].emit("react", {"id": mid, "emoji": "👍"})
    expected = [
        {"emoji": "👍", "count": 1, "users": ["Gita"]},
        {"emoji": "🎉", "count": 2, "users": ["Rao", "Gita"]},
    ]
    assert error is None and data == {"id": mid, "reactions": expected}
    for sock in room.s.values():
        assert sock.received("reactions")[-1] == data
    assert history(room.s["Guru"])[mid]["reactions"] == expected
    # Toggling again takes it back; the last one gone, the message has none.
    room.s["Gita"].emit("react", {"id": mid, "emoji": "👍"})
    room.s["Gita"].emit("react", {"id": mid, "emoji": "🎉"})
    _, data = room.s["Rao"].emit("react", {"id": mid, "emoji": "🎉"})
    assert data == {"id": mid, "reactions": []}
    assert room.s["Guru"].received("reactions")[-1] == data
    assert "reactions" not in history(room.s["Guru"])[mid]


def test_an_accounts_tabs_share_one_reaction(room, connect, user_client):
    mid = say(room.s["Gita"], "hi")
    tab = connect(room.s["Rao"].sio.flask_test_client)
    tab.emit("join", {"roomId": room.room_id})
    room.s["Rao"].emit("react", {"id": mid, "emoji": "❤️"})
    _, data = tab.emit("react", {"id": mid, "emoji": "❤"})  # without U+FE0F: the same
    assert data["reactions"] == []


@pytest.mark.parametrize("emoji", ["💩", "", None, "👍👍", "x", 1, "👍🏽"])
def test_only_the_allowed_emoji(room, emoji):
    mid = say(room.s["Meera"], "hi")
    error, data = room.s["Meera"].emit("react", {"id": mid, "emoji": emoji})
    assert data["code"] == "invalid_emoji" and "👍" in error
    assert data["allowed"] == ["👍", "❤️", "😂", "😮", "😢", "🎉"]
    assert "reactions" not in history(room.s["Meera"])[mid]


def test_no_reactions_on_deleted_messages_and_deleting_drops_them(room):
    mid = say(room.s["Meera"], "hi")
    room.s["Gita"].emit("react", {"id": mid, "emoji": "😂"})
    room.s["Meera"].emit("deleteMessage", {"id": mid})
    assert code(room.s["Gita"].emit("react", {"id": mid, "emoji": "😂"})) == (
        "not_found"
    )
    assert "reactions" not in history(room.s["Gita"])[mid]


def test_reactions_are_rate_limited(tmp_path):
    with new_app(tmp_path, BAITHAK_RATELIMIT_REACT="2/minute") as app:
        from baithak.extensions import socketio

        sock = socketio.test_client(app)
        sock.emit("join", {"username": "Asha", "room": "Global"}, callback=True)
        _, sent = sock.emit("sendMessage", "one", callback=True)
        payload = {"id": sent["id"], "emoji": "👍"}
        for _ in range(2):
            assert sock.emit("react", payload, callback=True)[0] is None
        error, data = sock.emit("react", payload, callback=True)
        assert data["code"] == "rate_limited"
        assert error.startswith("You are reacting too fast")
        sock.disconnect()


# --- search -------------------------------------------------------------------


def test_search_finds_any_case_in_the_joined_room_only(room, connect):
    other = connect()
    other.emit("join", {"username": "Zed", "room": "Elsewhere"})
    say(other, "Homework elsewhere")
    first = say(room.s["Meera"], "HOMEWORK is page 12")
    say(room.s["Gita"], "no match here")
    second = say(room.s["Gita"], "Where is the homework?")
    gone = say(room.s["Gita"], "homework answers: 42")
    room.s["Gita"].emit("deleteMessage", {"id": gone})
    error, data = room.s["Guru"].emit("searchHistory", {"query": "  homeWORK "})
    assert error is None and data["hasMore"] is False
    assert [m["id"] for m in data["messages"]] == [second, first]  # newest first
    assert data["messages"][1]["username"] == "Meera"


def test_search_folds_unicode_case_and_takes_wildcards_literally(room):
    say(room.s["Meera"], "ЗДРАВСТВУЙТЕ, класс")
    say(room.s["Meera"], "100% done")
    say(room.s["Meera"], "1000 done")
    say(room.s["Meera"], "snake_case")
    say(room.s["Meera"], "snakeXcase")
    say(room.s["Meera"], "back\\slash")

    def hits(query):
        _, data = room.s["Gita"].emit("searchHistory", {"query": query})
        return [m["text"] for m in data["messages"]]

    assert hits("здравствуйте") == ["ЗДРАВСТВУЙТЕ, класс"]
    assert hits("0%") == ["100% done"]
    assert hits("e_c") == ["snake_case"]
    assert hits("k\\s") == ["back\\slash"]
    assert hits("%") == ["100% done"]


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("à l'école demain", "ÉCOLE"),
        ("Hauptstraße 5", "STRASSE"),  # full case folding: ß is ss
        ("HAUPTSTRASSE 5", "straße"),
        ("στην οδος", "ΟΔΟΣ"),  # a final sigma is a sigma
        ("hel\u200blo there", "hello"),  # invisible characters do not count
        ("the ﬁnal ﬁle", "file"),  # NFKC: the ligature is f + i
        ("ＦＵＬＬ width", "full"),
    ],
)
def test_search_folds_case_the_same_on_every_database(room, text, query):
    say(room.s["Meera"], text)
    say(room.s["Meera"], "something else")
    _, data = room.s["Gita"].emit("searchHistory", {"query": query})
    assert [m["text"] for m in data["messages"]] == [text]


def test_search_returns_the_newest_fifty(room):
    ids = [say(room.s["Meera"], f"note {n}") for n in range(53)]
    _, data = room.s["Gita"].emit("searchHistory", {"query": "note"})
    assert [m["id"] for m in data["messages"]] == ids[::-1][:50]
    assert data["hasMore"] is True


@pytest.mark.parametrize("query", [None, "", "   ", 5, "x" * 101, ["a"]])
def test_search_needs_some_text(room, query):
    ack = room.s["Gita"].emit("searchHistory", {"query": query})
    assert ack == ("Search for 1-100 characters of text.", {"code": "invalid_query"})


def test_search_is_rate_limited_as_history(tmp_path):
    with new_app(tmp_path, BAITHAK_RATELIMIT_HISTORY="1/minute") as app:
        from baithak.extensions import socketio

        sock = socketio.test_client(app)
        sock.emit("join", {"username": "Asha", "room": "Global"}, callback=True)
        assert sock.emit("searchHistory", {"query": "a"}, callback=True)[0] is None
        _, data = sock.emit("searchHistory", {"query": "a"}, callback=True)
        assert data["code"] == "rate_limited"
        sock.disconnect()
