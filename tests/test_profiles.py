"""Profile pages and editing one's own: what they show, rooms in common
(never a private room the viewer is not in), validation, who may edit."""

import html

import pytest
import sqlalchemy as sa

from baithak.extensions import db
from baithak.models import PRIVATE, Membership, User
from baithak.services.profiles import avatar, describe_time_ago
from baithak.services.ratelimit import Who
from baithak.services.rooms import create_room, open_direct

from .conftest import new_app


def user(app, username: str) -> User:
    with app.app_context():
        found = db.session.execute(
            sa.select(User).where(User.username_key == username)
        ).scalar_one()
        db.session.expunge(found)
        return found


def room_with(app, owner: str, members: list[str], name: str, kind=PRIVATE) -> int:
    """Create a room owned by `owner` with these other members; return its id."""
    with app.app_context():
        owner_user = db.session.merge(user(app, owner))
        room = create_room(name, owner_user, Who(None, owner_user.id, None), kind=kind)
        for username in members:
            uid = user(app, username).id
            db.session.add(Membership(room_id=room.id, user_id=uid))
        db.session.commit()
        return room.id


def save(http, **fields):
    """Post the profile form with these fields (the rest empty)."""
    data = {"display_name": "", "status_text": "", "status_emoji": "", "bio": ""}
    return http.post("/profile", data=data | fields)


def page(http, name: str) -> str:
    response = http.get(f"/users/{name}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def people(user_client):
    """Asha, Bela and Rao: logged-in HTTP clients of three accounts."""
    return {
        "asha": user_client("asha", "Asha Kumar"),
        "bela": user_client("bela", "Bela"),
        "rao": user_client("rao", "Mrs Rao"),
    }


def test_profile_shows_name_avatar_status_bio_and_member_since(app, people):
    save(people["asha"], display_name="Asha Kumar", status_text="Marking homework",
         status_emoji="📚", bio="Maths teacher.\n<b>Not bold</b>")  # fmt: skip
    body = page(people["bela"], "Asha Kumar")
    initials, colour = avatar("Asha Kumar")
    assert f'<span class="avatar {colour}" aria-hidden="true">AK</span>' in body
    assert initials == "AK"
    assert "<bdi>Asha Kumar</bdi>" in body
    assert "📚" in body and "Marking homework" in body
    assert html.escape("<b>Not bold</b>") in body and "<b>Not bold" not in body
    assert "Member since" in body
    assert "Not seen in a room yet" in body
    assert "Edit your profile" not in body
    # By username too; an unknown name is a 404.
    assert "<bdi>Asha Kumar</bdi>" in page(people["bela"], "asha")
    assert people["bela"].get("/users/nobody").status_code == 404


def test_the_same_name_always_gets_the_same_colour():
    assert avatar("Bela") == avatar("BELA".title()) == avatar("Bela")
    colours = {avatar(name)[1] for name in ["Asha", "Bela", "Chen", "Dev", "Esha"]}
    assert len(colours) > 1
    assert avatar("山田 Taro")[0] == "山T"


def test_online_now_then_last_seen(app, people, connect):
    sock = connect(people["asha"])
    sock.join(None)
    assert "Online now" in page(people["bela"], "asha")
    sock.emit("presence", {"state": "away"})
    assert "Away" in page(people["bela"], "asha")
    sock.disconnect()
    body = page(people["bela"], "asha")
    assert "Last seen <time datetime=" in body and "just now" in body


def test_time_ago():
    minute, day = 60_000, 86_400_000
    assert describe_time_ago(0, 30_000) == "just now"
    assert describe_time_ago(0, minute) == "1 minute ago"
    assert describe_time_ago(0, 5 * minute) == "5 minutes ago"
    assert describe_time_ago(0, 3 * 60 * minute) == "3 hours ago"
    assert describe_time_ago(0, 2 * day) == "2 days ago"
    assert describe_time_ago(0, 8 * day) == "on 1 Jan 1970"


def test_rooms_in_common_list_only_rooms_the_viewer_is_in(app, people):
    shared = room_with(app, "rao", ["asha", "bela"], "Maths 7B")
    secret = room_with(app, "rao", ["asha"], "Staff room")
    public = room_with(app, "asha", ["bela"], "Chess club", kind="public")
    with app.app_context():
        open_direct(db.session.merge(user(app, "asha")), "bela", Who(None, 1, None))
    bela_view = page(people["bela"], "Asha Kumar")
    assert "Maths 7B" in bela_view and "Chess club" in bela_view
    assert f"/chat?id={shared}" in bela_view and f"/chat?id={public}" in bela_view
    assert "Staff room" not in bela_view and f"id={secret}" not in bela_view
    assert "Direct messages" not in bela_view
    # Rao shares the staff room with Asha; a guest shares nothing.
    assert "Staff room" in page(people["rao"], "asha")
    guest_view = page(app.test_client(), "asha")
    assert "Rooms in common" not in guest_view and "Staff room" not in guest_view


def test_owner_edits_only_their_own_profile(app, people):
    assert app.test_client().get("/profile").status_code == 302  # log in first
    response = save(people["bela"], display_name="Bela B", status_text="Here")
    assert response.status_code == 302
    assert response.headers["Location"] == "/users/Bela%20B"
    assert (user(app, "bela").display_name, user(app, "bela").status_text) == (
        "Bela B", "Here")  # fmt: skip
    asha = user(app, "asha")
    assert (asha.display_name, asha.status_text) == ("Asha Kumar", None)
    # Another's page has no edit link; the form always edits the viewer.
    assert "Edit your profile" not in page(people["bela"], "asha")
    assert "Edit your profile" in page(people["bela"], "bela")
    form = people["bela"].get("/profile").get_data(as_text=True)
    assert 'value="Bela B"' in form


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"status_text": "x" * 81}, "Status is too long (max 80 characters)."),
        ({"status_text": "this is shit"}, "Profanity is not allowed!"),
        ({"status_text": "bell\x07"}, "Status may not contain control characters."),
        ({"status_emoji": "ab"}, "Pick one emoji (or none)."),
        ({"status_emoji": "📚📚"}, "Pick one emoji (or none)."),
        ({"status_emoji": ":)"}, "Pick one emoji (or none)."),
        ({"bio": "b" * 501}, "Bio is too long (max 500 characters)."),
        ({"bio": "fuck off"}, "Profanity is not allowed!"),
        ({"display_name": ""}, "Please enter a display name."),
        ({"display_name": "Admin"}, "That name is reserved."),
        ({"display_name": "Mrs Rao"}, "That display name is taken."),
        ({"display_name": "rao"}, "That display name is taken."),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(app, people, fields, error):
    before = user(app, "bela")
    response = save(people["bela"], **({"display_name": "Bela"} | fields))
    assert response.status_code == 200
    assert html.escape(error) in response.get_data(as_text=True)
    after = user(app, "bela")
    fields = ("display_name", "status_text", "status_emoji", "bio")
    assert [getattr(after, f) for f in fields] == [getattr(before, f) for f in fields]


@pytest.mark.parametrize("emoji", ["📚", "👍🏽", "🇮🇳", "1️⃣", "👨‍👩‍👧", "☕"])
def test_one_emoji_of_any_kind_is_accepted(app, people, emoji):
    assert (
        save(people["bela"], display_name="Bela", status_emoji=emoji).status_code == 302
    )
    assert user(app, "bela").status_emoji == emoji


def test_a_new_status_or_name_shows_live_in_the_rooms(app, people, connect):
    tabs = [connect(people["bela"]) for _ in range(2)]
    tabs[0].join(None, "Global")
    tabs[1].join(None, "Physics")
    watcher = connect()
    watcher.join("Chen", "Physics")
    save(
        people["bela"], display_name="Bela B", status_text="At lunch", status_emoji="🍱"
    )
    (room_data,) = watcher.received("roomData")
    bela = room_data["users"][0]
    assert (bela["username"], bela["statusText"], bela["statusEmoji"]) == (
        "Bela B", "At lunch", "🍱")  # fmt: skip
    assert tabs[0].received("roomData")[-1]["users"][0]["username"] == "Bela B"
    # Her messages go out under the new name.
    tabs[1].emit("sendMessage", "back soon")
    assert watcher.received("message")[0]["username"] == "Bela B"


def test_a_name_someone_chats_under_now_is_refused(app, people, connect):
    connect(people["bela"]).join(None, "Physics")
    connect().join("Dora", "Physics")
    response = save(people["bela"], display_name="dora")
    assert "Someone is chatting under that name right now" in response.get_data(
        as_text=True
    )
    assert user(app, "bela").display_name == "Bela"


def test_the_profile_form_needs_its_csrf_token(tmp_path):
    with new_app(tmp_path, WTF_CSRF_ENABLED=True) as app:
        http = app.test_client()
        register = http.get("/auth/register").get_data(as_text=True)
        token = register.split('name="csrf_token" type="hidden" value="')[1].split('"')[
            0
        ]
        http.post("/auth/register", data={"username": "bela", "display_name": "Bela",
                  "password": "correct horse", "confirm": "correct horse",
                  "csrf_token": token})  # fmt: skip
        response = save(http, display_name="Bela", status_text="forged")
        assert response.status_code in (200, 400)
        assert user(app, "bela").status_text is None


def test_a_resend_after_renaming_is_a_duplicate_not_a_refusal(people, connect):
    # The ack of a message was lost; meanwhile its sender renamed herself.
    # Her client sends it again with the same clientId: it was stored, and
    # she must hear so (else she would type and store it twice).
    sock = connect(people["bela"])
    sock.emit("join", {"room": "Global"})
    payload = {"text": "homework done", "clientId": "lost-ack-rename1"}
    _, first = sock.emit("sendMessage", payload)
    assert save(people["bela"], display_name="Bela Singh").status_code == 302
    error, again = sock.emit("sendMessage", payload)
    assert error is None
    assert (again["id"], again["duplicate"]) == (first["id"], True)
