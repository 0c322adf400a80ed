"""The join page, the chat page and the lobby, as a browser sees them."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

XSS = "<img src=x onerror=alert(1)>"


def page_text(response) -> str:
    """Return the page's visible text, tags stripped and whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(unescape(text).split())


def redirect_target(response) -> tuple[str, dict[str, list[str]]]:
    """Return the path and query parameters of a redirect."""
    assert response.status_code == 302
    parts = urlsplit(response.headers["Location"])
    return parts.path, parse_qs(parts.query)


def online(client, room: str) -> int:
    """Return the lobby's "N online" count for `room`."""
    text = page_text(client.get("/rooms"))
    match = re.search(rf"{re.escape(room)} (\d+) online", text)
    assert match is not None, f"{room} is not in the lobby"
    return int(match.group(1))


def test_join_page_offers_the_global_room(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="username"' in html
    assert re.search(r'<input[^>]*name="room"[^>]*value="Global"', html)


def test_join_page_prefills_room_from_query(client):
    html = client.get("/?room=Physics").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="room"[^>]*value="Physics"', html)


def test_guest_join_redirects_to_chat(client):
    response = client.post("/", data={"username": "  Asha ", "room": " Physics "})
    assert redirect_target(response) == (
        "/chat",
        {"room": ["Physics"], "username": ["Asha"]},
    )


@pytest.mark.parametrize(
    ("username", "room", "message"),
    [
        ("", "Global", "Please enter a display name."),
        ("   ", "Global", "Please enter a display name."),
        ("Asha", "", "Please enter a room name."),
        ("Asha", "  ", "Please enter a room name."),
        ("Admin", "Global", "That name is reserved."),
        (" system ", "Global", "That name is reserved."),
        ("A" * 33, "Global", "Name is too long (max 32 characters)."),
        ("Asha", "R" * 49, "Room name is too long (max 48 characters)."),
    ],
)
def test_guest_join_errors_are_shown(client, username, room, message):
    response = client.post("/", data={"username": username, "room": room})
    assert response.status_code == 200
    assert message in page_text(response)


@pytest.mark.parametrize("name", ["alice", "Alice Smith", "ALICE SMITH"])
def test_guest_cannot_take_a_registered_name(client, user_client, name):
    user_client("alice", "Alice Smith")
    response = client.post("/", data={"username": name, "room": "Global"})
    assert response.status_code == 200
    assert "That name belongs to a registered user" in page_text(response)


def test_logged_in_join_ignores_the_form_name(client, auth):
    auth.register()
    page = client.get("/").get_data(as_text=True)
    assert 'name="username"' not in page
    response = client.post("/", data={"username": "Mallory", "room": "Physics"})
    assert redirect_target(response) == ("/chat", {"room": ["Physics"]})


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ("", "/"),
        ("?username=Asha", "/"),
        ("?room=%20%20&username=Asha", "/"),
        ("?room=Physics", "/?room=Physics"),
    ],
)
def test_chat_page_without_room_or_name_redirects(client, query, location):
    response = client.get(f"/chat{query}")
    assert response.status_code == 302
    assert response.headers["Location"] == location


def test_chat_page_renders(client, auth):
    response = client.get("/chat?room=Physics&username=Asha")
    assert response.status_code == 200
    assert 'data-room="Physics"' in response.get_data(as_text=True)
    auth.register()
    assert client.get("/chat?room=Physics").status_code == 200


def test_lobby_lists_rooms_with_online_counts(client, connect):
    client.post("/rooms", data={"name": "Physics"})
    client.post("/rooms", data={"name": "Art"})
    assert online(client, "Global") == 0
    assert online(client, "Physics") == 0

    connect().join("Asha", "physics")
    connect().join("Bela", "Physics")
    last = connect()
    last.join("Chen", "Global")
    assert online(client, "Global") == 1
    assert online(client, "Physics") == 2
    assert online(client, "Art") == 0
    # The global room first, then the busiest.
    text = page_text(client.get("/rooms"))
    assert text.index("Global 1") < text.index("Physics 2") < text.index("Art 0")

    last.disconnect()
    assert online(client, "Global") == 0


def test_lobby_counts_an_account_with_two_tabs_once(client, auth, connect):
    auth.register()
    connect(client).join(None)
    connect(client).join(None)
    assert online(client, "Global") == 1


def test_guest_creates_room_and_goes_to_join_page(client):
    response = client.post("/rooms", data={"name": "  Physics  "})
    assert redirect_target(response) == ("/", {"room": ["Physics"]})
    assert online(client, "Physics") == 0


def test_user_creates_room_and_goes_to_chat(client, auth):
    auth.register()
    response = client.post("/rooms", data={"name": "Physics"})
    assert redirect_target(response) == ("/chat", {"room": ["Physics"]})


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("physics", "A room with that name already exists."),
        (" PHYSICS ", "A room with that name already exists."),
        ("global", "A room with that name already exists."),
        ("", "Please enter a room name."),
        ("   ", "Please enter a room name."),
        ("R" * 49, "Room name is too long (max 48 characters)."),
    ],
)
def test_create_room_errors(client, name, message):
    client.post("/rooms", data={"name": "Physics"})
    response = client.post("/rooms", data={"name": name})
    assert response.status_code == 200
    text = page_text(response)
    assert message in text
    assert text.count("Physics 0 online") == 1


@pytest.fixture
def members_only(app):
    """The app with guests disabled."""
    app.config["BAITHAK_ALLOW_GUESTS"] = False
    return app


def test_guests_disabled_join_page_asks_to_log_in(members_only, client):
    response = client.get("/")
    assert "This Baithak is for registered users only." in page_text(response)
    assert 'name="username"' not in response.get_data(as_text=True)
    response = client.post("/", data={"username": "Asha", "room": "Global"})
    assert response.status_code == 200
    assert "registered users only" in page_text(response)


def test_guests_disabled_lobby_refuses_guest_rooms(members_only, client, auth):
    response = client.post("/rooms", data={"name": "Spam"})
    assert response.status_code == 200
    assert "Guests cannot create rooms; please log in." in page_text(response)
    assert "Spam" not in page_text(client.get("/rooms"))
    auth.register()
    response = client.post("/rooms", data={"name": "Physics"})
    assert redirect_target(response) == ("/chat", {"room": ["Physics"]})


def test_guests_disabled_socket_join_refused(members_only, client, auth, connect):
    error, _ = connect().emit("join", {"username": "Asha", "room": "Global"})
    assert error == "Guests cannot chat here; please log in."
    auth.register()
    assert connect(client).join(None)["username"] == "Alice"


def test_display_name_html_is_escaped(client, auth):
    auth.register("mallory", XSS)
    for path in ("/", "/rooms", "/chat?room=Global"):
        html = client.get(path).get_data(as_text=True)
        assert XSS not in html, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, path


def test_room_and_guest_name_html_is_escaped(client):
    room = "<script>alert(1)</script>"
    client.post("/rooms", data={"name": room})
    pages = [
        client.get("/rooms"),
        client.get("/", query_string={"room": room}),
        client.get("/chat", query_string={"room": room, "username": XSS}),
        client.post("/", data={"username": XSS + "x" * 10, "room": room}),
    ]
    for response in pages:
        html = response.get_data(as_text=True)
        assert "<script>alert" not in html
        assert XSS not in html


def test_join_form_refuses_a_name_in_use_in_that_room(client, connect):
    connect().join("Asha", "Physics")
    response = client.post("/", data={"username": "ASHA", "room": "physics"})
    assert "Someone in that room already uses this name" in page_text(response)
    # The same name is free in another room.
    other = client.post("/", data={"username": "Asha", "room": "Chemistry"})
    assert other.status_code == 302


def test_join_page_prefills_the_name_from_query(client):
    response = client.get("/?room=Physics&username=Asha")
    assert 'value="Asha"' in response.get_data(as_text=True)
