"""Room pages as a browser sees them: settings, audit log, the chat page by
id or join code, history as JSON, the lobby's private rooms, direct
messages and the join-code form. Private rooms never show to outsiders."""

from __future__ import annotations

import re

import pytest

from baithak.services import access, audit

from .roomkit import (
    get_room,
    make_room,
    member_of,
    page_text,
    redirect_target,
    role,
    room_by_name,
    user_id,
)
from .test_pages import XSS


@pytest.fixture
def alice(user_client):
    """The owner of the private room "Maths 7B"."""
    return user_client("alice", "Alice")


@pytest.fixture
def room_id(alice):
    """The id of Alice's private room."""
    return make_room(alice, "Maths 7B")


@pytest.fixture
def bob(app, alice, room_id, user_client):
    """A member of the room."""
    http = user_client("bob", "Bob")
    member_of(app, alice, room_id, http)
    return http


@pytest.fixture
def mallory(user_client):
    """An account that is not in the room (its welcome flash shown already,
    so pages compare equal)."""
    http = user_client("mallory", "Mallory")
    http.get("/")
    return http


def settings(http, room_id, action: str, **data):
    """Post one of the settings page's forms."""
    fields = {f"{action}-{k}": v for k, v in data.items()}
    return http.post(f"/rooms/{room_id}/settings?do={action}", data=fields)


def promote(alice, room_id, username="bob"):
    response = settings(alice, room_id, "promote", username=username)
    assert response.status_code == 302


# Settings page: who may see it


def test_owner_sees_every_section(alice, room_id):
    page = alice.get(f"/rooms/{room_id}/settings")
    assert page.status_code == 200
    text = page_text(page)
    code = get_room(alice.application, room_id).join_code
    assert f"{code[:3]} {code[3:]}" in text
    sections = ["Join code", "Guests welcome with the code", "Invite links"]
    sections += ["Members", "Banned", "Rename", "Delete the room", "Audit log"]
    for section in sections:
        assert section in text, section


def test_moderator_sees_settings_but_cannot_delete_or_read_the_log(
    app, alice, room_id, bob
):
    promote(alice, room_id)
    page = bob.get(f"/rooms/{room_id}/settings")
    assert page.status_code == 200
    text = page_text(page)
    assert "Invite links" in text and "Members" in text
    assert "Delete the room" not in text
    assert "Audit log" not in text
    assert bob.get(f"/rooms/{room_id}/audit").status_code == 403
    response = settings(bob, room_id, "delete", confirm="y")
    assert response.status_code == 403
    assert get_room(app, room_id) is not None


def test_member_gets_403(bob, room_id):
    page = bob.get(f"/rooms/{room_id}/settings")
    assert page.status_code == 403
    assert "You are not allowed to do that in this room." in page_text(page)
    assert settings(bob, room_id, "rename", name="Mine now").status_code == 403


def test_outsider_gets_the_same_404_as_for_no_room(mallory, room_id):
    for path in ("settings", "audit", "messages"):
        hidden = mallory.get(f"/rooms/{room_id}/{path}")
        missing = mallory.get(f"/rooms/{room_id + 100}/{path}")
        garbage = mallory.get(f"/rooms/x{room_id}/{path}")
        assert hidden.status_code == missing.status_code == garbage.status_code == 404
        assert hidden.get_data() == missing.get_data() == garbage.get_data(), path
        assert b"Maths 7B" not in hidden.get_data()
    response = settings(mallory, room_id, "rename", name="Pwned")
    assert response.status_code == 404
    assert (
        response.get_data()
        == mallory.get(f"/rooms/{room_id + 100}/settings").get_data()
    )
    assert get_room(mallory.application, room_id).name == "Maths 7B"


def test_anonymous_visitor_is_asked_to_log_in(client, room_id):
    response = client.get(f"/rooms/{room_id}/settings")
    assert redirect_target(response) == (
        "/auth/login",
        {"next": [f"/rooms/{room_id}/settings"]},
    )


# Settings page: the forms


def test_rename(app, alice, room_id, bob):
    response = settings(alice, room_id, "rename", name="  Maths 8A ")
    assert redirect_target(response) == (f"/rooms/{room_id}/settings", {})
    page = page_text(alice.get(f"/rooms/{room_id}/settings"))
    assert "The room is now called Maths 8A." in page
    assert "Settings: Maths 8A" in page
    assert "Maths 8A" in page_text(bob.get("/rooms"))
    response = settings(alice, room_id, "rename", name="")
    assert response.status_code == 400
    assert "Please enter a room name." in page_text(response)


def test_renaming_a_public_room_to_a_taken_name_is_refused(alice):
    public_id = make_room(alice, "Physics", private=False)
    response = settings(alice, public_id, "rename", name="global")
    assert response.status_code == 400
    assert "A room with that name already exists." in page_text(response)
    assert get_room(alice.application, public_id).name == "Physics"


def test_delete_needs_the_box_ticked(app, alice, room_id, bob):
    response = settings(alice, room_id, "delete")
    assert response.status_code == 400
    assert "Tick the box to confirm." in page_text(response)
    assert get_room(app, room_id) is not None

    response = settings(alice, room_id, "delete", confirm="y")
    assert redirect_target(response) == ("/rooms", {})
    assert "Maths 7B was deleted." in page_text(alice.get("/rooms"))
    assert get_room(app, room_id) is None
    assert bob.get(f"/chat?id={room_id}").status_code == 404
    assert "Maths 7B" not in page_text(bob.get("/rooms"))


def test_promote_and_demote(app, alice, room_id, bob, user_client):
    page = page_text(alice.get(f"/rooms/{room_id}/settings"))
    assert "Make moderator" in page and "Make member" not in page
    promote(alice, room_id)
    assert role(app, room_id, "bob") == "moderator"
    assert "Bob is now a moderator." in page_text(
        alice.get(f"/rooms/{room_id}/settings")
    )
    assert bob.get(f"/rooms/{room_id}/settings").status_code == 200

    # A moderator may promote a member but not demote a moderator.
    carol = user_client("carol", "Carol")
    member_of(app, alice, room_id, carol)
    bob_page = page_text(bob.get(f"/rooms/{room_id}/settings"))
    assert "Make member" not in bob_page
    assert settings(bob, room_id, "promote", username="carol").status_code == 302
    assert role(app, room_id, "carol") == "moderator"
    assert settings(bob, room_id, "demote", username="carol").status_code == 403
    assert role(app, room_id, "carol") == "moderator"

    assert settings(alice, room_id, "demote", username="bob").status_code == 302
    assert role(app, room_id, "bob") == "member"
    assert bob.get(f"/rooms/{room_id}/settings").status_code == 403


def test_remove_a_member(app, alice, room_id, bob):
    response = settings(alice, room_id, "remove", username="bob")
    assert response.status_code == 302
    assert "Bob was removed from the room." in page_text(
        alice.get(f"/rooms/{room_id}/settings")
    )
    assert role(app, room_id, "bob") is None
    assert bob.get(f"/chat?id={room_id}").status_code == 404
    # Nobody removes the owner, not even the owner.
    response = settings(alice, room_id, "remove", username="alice")
    assert response.status_code == 403
    assert "You cannot do that to yourself." in page_text(response)
    assert role(app, room_id, "alice") == "owner"


def test_unban(app, alice, room_id, bob, connect):
    sock = connect(alice)
    assert sock.emit("join", {"roomId": room_id})[0] is None
    assert sock.emit("ban", {"username": "Bob"})[0] is None
    page = page_text(alice.get(f"/rooms/{room_id}/settings"))
    assert re.search(r"Banned Bob account · banned \d{4}-\d\d-\d\d", page)
    response = settings(alice, room_id, "unban", username="Bob")
    assert response.status_code == 302
    page = page_text(alice.get(f"/rooms/{room_id}/settings"))
    assert "Bob is no longer banned." in page
    assert "Nobody is banned." in page
    with app.app_context():
        assert not access.is_banned(room_id, f"u:{user_id(app, 'bob')}")


def test_guests_welcome_toggle(app, alice, room_id):
    assert get_room(app, room_id).guests_welcome is False
    assert settings(alice, room_id, "guests", welcome="y").status_code == 302
    assert get_room(app, room_id).guests_welcome is True
    html = alice.get(f"/rooms/{room_id}/settings").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="guests-welcome"', html)
    assert settings(alice, room_id, "guests").status_code == 302
    assert get_room(app, room_id).guests_welcome is False


def test_regenerate_the_join_code(app, alice, room_id, client):
    old = get_room(app, room_id).join_code
    assert settings(alice, room_id, "regenerate_code").status_code == 302
    new = get_room(app, room_id).join_code
    assert new != old
    assert f"The new join code is {new}" in page_text(
        alice.get(f"/rooms/{room_id}/settings")
    )
    response = client.post("/code", data={"code": old, "display_name": "Asha"})
    assert "That join code is not valid." in page_text(response)
    assert "join code regenerate" in page_text(alice.get(f"/rooms/{room_id}/audit"))


def test_settings_escape_names(alice):
    room_id = make_room(alice, XSS)
    for path in ("settings", "audit"):
        html = alice.get(f"/rooms/{room_id}/{path}").get_data(as_text=True)
        assert XSS not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


# Audit log


def test_audit_log_lists_who_did_what_to_whom(alice, room_id, bob):
    promote(alice, room_id)
    page = alice.get(f"/rooms/{room_id}/audit")
    assert page.status_code == 200
    text = page_text(page)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC Alice promote Bob", text)
    assert "Alice create room" in text
    assert "Bob invite accept" in text
    assert 'src="/static/js/localtime.js"' in page.get_data(as_text=True)


def test_audit_log_pages_with_before(alice, room_id, monkeypatch):
    monkeypatch.setattr(audit, "PAGE", 2)
    for name in ("Maths 1", "Maths 2", "Maths 3"):
        settings(alice, room_id, "rename", name=name)
    first = alice.get(f"/rooms/{room_id}/audit").get_data(as_text=True)
    assert "Maths 2 -&gt; Maths 3" in first and "Maths 1 -&gt; Maths 2" in first
    assert "Maths 7B -&gt; Maths 1" not in first
    older = re.search(r'href="(/rooms/\d+/audit\?before=\d+)"', first).group(1)
    second = alice.get(older).get_data(as_text=True)
    assert "Maths 7B -&gt; Maths 1" in second
    assert "Maths 2 -&gt; Maths 3" not in second


# The chat page


def test_chat_page_by_id(app, alice, room_id, bob, mallory, client):
    page = bob.get(f"/chat?id={room_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-room-id="{room_id}"' in html
    assert "data-room=" not in html and "data-code=" not in html
    assert "<title>Maths 7B · Baithak</title>" in html
    hidden = mallory.get(f"/chat?id={room_id}")
    assert hidden.status_code == 404
    for other in (f"/chat?id={room_id + 100}", "/chat?id=abc", "/chat?id=-1"):
        assert mallory.get(other).get_data() == hidden.get_data()
    # A guest has no session to be a member with.
    assert client.get(f"/chat?id={room_id}&username=Asha").status_code == 404


def test_chat_page_by_id_for_a_public_room(app, client):
    global_id = room_by_name(app, "Global").id
    page = client.get(f"/chat?id={global_id}&username=Asha")
    assert page.status_code == 200
    assert f'data-room-id="{global_id}"' in page.get_data(as_text=True)
    assert redirect_target(client.get(f"/chat?id={global_id}"))[0] == "/"


def test_chat_page_by_code(app, alice, room_id, client, mallory):
    code = get_room(app, room_id).join_code
    # Mallory's account may come in with the code.
    html = mallory.get(f"/chat?code={code}").get_data(as_text=True)
    assert f'data-code="{code}"' in html
    assert "<title>Maths 7B · Baithak</title>" in html
    # A guest, where guests are not welcome: the page names no room.
    page = client.get(f"/chat?code={code}&username=Asha")
    assert page.status_code == 200
    assert "Maths 7B" not in page.get_data(as_text=True)
    assert "Join with a code" in page_text(page)
    settings(alice, room_id, "guests", welcome="y")
    assert "Maths 7B" in page_text(client.get(f"/chat?code={code}&username=Asha"))
    assert redirect_target(client.get(f"/chat?code={code}")) == ("/", {"code": [code]})
    response = client.get("/chat?code=WRONG1&username=Asha")
    assert redirect_target(response) == ("/", {})
    assert "That join code is not valid." in page_text(client.get("/"))


def test_chat_page_by_room_name_still_works(client):
    html = client.get("/chat?room=Physics&username=Asha").get_data(as_text=True)
    assert 'data-room="Physics"' in html
    assert "data-room-id=" not in html


# History as JSON


def send(connect, http, room_id, *texts):
    sock = connect(http)
    assert sock.emit("join", {"roomId": room_id})[0] is None
    for text in texts:
        assert sock.emit("sendMessage", text)[0] is None
    return sock


def test_history_json_for_members(app, alice, room_id, bob, connect):
    send(connect, alice, room_id, "one", "two", "three")
    app.config["BAITHAK_HISTORY_PAGE"] = 2
    newest = bob.get(f"/rooms/{room_id}/messages").get_json()
    said = [m for m in newest["messages"] if m["kind"] == "text"]
    assert [m["text"] for m in said] == ["two", "three"]
    assert newest["hasMore"] is True
    older = bob.get(f"/rooms/{room_id}/messages?before={said[0]['id']}").get_json()
    assert [m["text"] for m in older["messages"] if m["kind"] == "text"] == ["one"]
    after = bob.get(f"/rooms/{room_id}/messages?after={said[0]['id']}").get_json()
    assert [m["text"] for m in after["messages"]] == ["three"]
    assert after["hasMore"] is False


def test_history_json_refuses_outsiders_like_a_missing_room(
    app, alice, room_id, mallory, client, connect
):
    send(connect, alice, room_id, "secret")
    expected = {"error": "Room not found.", "code": "not_found"}
    for http in (mallory, client):
        hidden = http.get(f"/rooms/{room_id}/messages")
        missing = http.get(f"/rooms/{room_id + 100}/messages")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.get_json() == missing.get_json() == expected
        assert hidden.get_data() == missing.get_data()


def test_history_json_of_a_public_room_for_a_guest(app, client, connect):
    global_id = room_by_name(app, "Global").id
    sock = connect()
    sock.join("Asha")
    sock.emit("sendMessage", "hello")
    data = client.get(f"/rooms/{global_id}/messages").get_json()
    assert "hello" in [m.get("text") for m in data["messages"]]


def test_history_json_needs_an_account_where_guests_are_off(app, client, connect):
    global_id = room_by_name(app, "Global").id
    app.config["BAITHAK_ALLOW_GUESTS"] = False
    response = client.get(f"/rooms/{global_id}/messages")
    assert response.status_code in (401, 403)
    assert "messages" not in (response.get_json() or {})


def test_history_json_carries_reactions_and_reply_quotes(app, client, connect):
    global_id = room_by_name(app, "Global").id
    sock = connect()
    sock.join("Asha")
    _, first = sock.emit("sendMessage", "who brings snacks?")
    sock.emit("react", {"id": first["id"], "emoji": "👍"})
    sock.emit("sendMessage", {"text": "me!", "clientId": "reply-00001",
                              "replyTo": first["id"]})  # fmt: skip
    data = client.get(f"/rooms/{global_id}/messages").get_json()
    by_text = {m.get("text"): m for m in data["messages"]}
    assert by_text["who brings snacks?"]["reactions"][0]["count"] == 1
    assert by_text["me!"]["replyTo"]["text"] == "who brings snacks?"


@pytest.mark.parametrize(
    "query", ["before=abc", "before=0", "after=-1", "before=5&after=1"]
)
def test_history_json_refuses_bad_anchors(alice, room_id, query):
    response = alice.get(f"/rooms/{room_id}/messages?{query}")
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_payload"


# Lobby


def test_lobby_lists_private_rooms_only_to_members(
    app, alice, room_id, bob, mallory, client
):
    for http in (mallory, client):
        assert "Maths 7B" not in page_text(http.get("/rooms"))
    for http in (alice, bob):
        text = page_text(http.get("/rooms"))
        assert re.search(r"Your rooms Maths 7B Private", text)
        public_list = text.split(" Rooms Global")[1].split("Create a room")[0]
        assert "Maths 7B" not in public_list
    html = bob.get("/rooms").get_data(as_text=True)
    assert f'href="/chat?id={room_id}"' in html
    assert f'href="/rooms/{room_id}/settings"' not in html
    owner_html = alice.get("/rooms").get_data(as_text=True)
    assert f'href="/rooms/{room_id}/settings"' in owner_html


def test_lobby_private_room_options_are_for_accounts(app, alice, client):
    assert 'name="private"' in alice.get("/rooms").get_data(as_text=True)
    assert 'name="private"' not in client.get("/rooms").get_data(as_text=True)
    response = client.post("/rooms", data={"name": "Secret", "private": "y"})
    assert response.status_code == 200
    assert "Log in to create a private room." in page_text(response)
    assert "Secret" not in page_text(client.get("/rooms"))


def test_creating_a_private_room_with_guests_welcome(app, alice):
    room_id = make_room(alice, "Art club", guests_welcome="y")
    room = get_room(app, room_id)
    assert room.kind == "private" and room.guests_welcome is True
    assert role(app, room_id, "alice") == "owner"
    # Private names need not be unique.
    assert make_room(alice, "Art club") != room_id


# Direct messages


def test_direct_message_opens_a_conversation(app, alice, mallory, user_client):
    response = alice.post("/dm/mallory")
    path, query = redirect_target(response)
    assert path == "/chat"
    dm_id = int(query["id"][0])
    assert "<title>Mallory · Baithak</title>" in alice.get(
        f"/chat?id={dm_id}"
    ).get_data(as_text=True)
    assert "<title>Alice · Baithak</title>" in mallory.get(
        f"/chat?id={dm_id}"
    ).get_data(as_text=True)
    # The same conversation again, from either side; by display name too.
    assert redirect_target(mallory.post("/dm/Alice"))[1] == {"id": [str(dm_id)]}
    assert redirect_target(alice.post("/dm", data={"username": "Mallory"}))[1] == {
        "id": [str(dm_id)]
    }
    assert re.search(r"Mallory Direct messages", page_text(alice.get("/rooms")))
    carol = user_client("carol", "Carol")
    assert carol.get(f"/chat?id={dm_id}").status_code == 404
    assert carol.get(f"/rooms/{dm_id}/messages").status_code == 404


def test_direct_message_refusals(alice, client):
    response = alice.post("/dm/nobody")
    assert redirect_target(response) == ("/rooms", {})
    assert "There is no account with that name." in page_text(alice.get("/rooms"))
    alice.post("/dm/alice")
    assert "You cannot message yourself." in page_text(alice.get("/rooms"))
    assert redirect_target(client.post("/dm/alice"))[0] == "/auth/login"


def test_direct_message_updates_both_sidebars(alice, mallory, connect):
    alice_sock, mallory_sock = connect(alice), connect(mallory)
    alice.post("/dm/mallory")
    [mine] = alice_sock.received("myRooms")
    [theirs] = mallory_sock.received("myRooms")
    assert [r["title"] for r in mine["rooms"]] == ["Mallory"]
    assert [r["title"] for r in theirs["rooms"]] == ["Alice"]


# The join-code form


def test_join_code_form_for_a_guest(app, alice, room_id, client):
    settings(alice, room_id, "guests", welcome="y")
    code = get_room(app, room_id).join_code
    typed = f" {code[:3].lower()} - {code[3:].lower()} "
    response = client.post("/code", data={"code": typed, "display_name": " Asha "})
    assert redirect_target(response) == (
        "/chat",
        {"code": [code], "username": ["Asha"]},
    )


@pytest.mark.parametrize(
    ("code", "name", "message"),
    [
        ("", "Asha", "Please enter a join code."),
        ("ZZZZZZ", "Asha", "That join code is not valid."),
        ("not a code at all", "Asha", "That join code is not valid."),
        (None, "", "Please enter a display name."),
        (None, "Admin", "That name is reserved."),
        (None, "alice", "That name belongs to a registered user"),
    ],
)
def test_join_code_form_errors(app, alice, room_id, client, code, name, message):
    settings(alice, room_id, "guests", welcome="y")
    if code is None:
        code = get_room(app, room_id).join_code
    response = client.post("/code", data={"code": code, "display_name": name})
    assert response.status_code == 200
    assert message in page_text(response)


def test_join_code_form_for_a_members_only_room(app, room_id, client, mallory):
    code = get_room(app, room_id).join_code
    response = client.post("/code", data={"code": code, "display_name": "Asha"})
    assert "This room is for members only; log in to join it." in page_text(response)
    # An account needs no name.
    assert 'name="display_name"' not in mallory.get("/").get_data(as_text=True)
    response = mallory.post("/code", data={"code": code})
    assert redirect_target(response) == ("/chat", {"code": [code]})


def test_join_code_form_refuses_a_banned_account(app, alice, room_id, bob, connect):
    sock = connect(alice)
    sock.emit("join", {"roomId": room_id})
    sock.emit("ban", {"username": "Bob"})
    code = get_room(app, room_id).join_code
    response = bob.post("/code", data={"code": code})
    assert "You are banned from this room." in page_text(response)


def test_index_prefills_the_code(client):
    html = client.get("/?code=K7QX2M").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="code"[^>]*value="K7QX2M"', html)


def test_settings_changes_count_against_the_moderation_limit(tmp_path):
    from baithak.config import DEFAULT_LIMITS

    from .conftest import AuthActions, new_app

    with new_app(tmp_path, **DEFAULT_LIMITS) as app:
        owner = app.test_client()
        AuthActions(owner).register("alice", "Alice")
        room_id = make_room(owner, "Maths 7B")
        pages = [
            owner.post(
                f"/rooms/{room_id}/settings?do=rename",
                data={"rename-name": f"Maths {n}"},
            )
            for n in range(7)
        ]
        assert [p.status_code for p in pages[:5]] == [302] * 5
        assert "Too many moderation actions" in page_text(pages[-1])
