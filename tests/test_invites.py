"""Invite links: the invite page, joining with one, and every way one stops
working (revoked, expired, used up, a banned account)."""

from __future__ import annotations

import re
import threading

import pytest

from baithak.extensions import db
from baithak.models import PRIVATE, Room, User
from baithak.services import ServiceError, access, accounts, invites, rooms
from baithak.services.ratelimit import Who

from .conftest import AuthActions, new_app
from .roomkit import (
    accept,
    invite_link,
    make_room,
    page_text,
    redirect_target,
    role,
    user_id,
)


@pytest.fixture
def alice(user_client):
    """The owner of the private room "Maths 7B"."""
    return user_client("alice", "Alice")


@pytest.fixture
def room_id(alice):
    """The id of Alice's private room."""
    return make_room(alice, "Maths 7B")


@pytest.fixture
def bob(user_client):
    """Another account, not in the room."""
    return user_client("bob", "Bob")


def test_invite_page_names_the_room_and_joining_makes_a_member(
    app, alice, room_id, bob
):
    token = invite_link(alice, room_id)
    page = bob.get(f"/invite/{token}")
    assert page.status_code == 200
    assert "You're invited to Maths 7B" in page_text(page)
    assert "Join Maths 7B" in page_text(page)
    assert role(app, room_id, "bob") is None

    response = accept(bob, token)
    assert redirect_target(response) == ("/chat", {"id": [str(room_id)]})
    assert role(app, room_id, "bob") == "member"
    chat = bob.get(f"/chat?id={room_id}")
    assert chat.status_code == 200
    assert f'data-room-id="{room_id}"' in chat.get_data(as_text=True)
    assert "1 used" in page_text(alice.get(f"/rooms/{room_id}/settings"))


def test_joining_with_an_invite_updates_the_sidebar(app, alice, room_id, bob, connect):
    token = invite_link(alice, room_id)
    sock = connect(bob)
    sock.received()
    accept(bob, token)
    [update] = sock.received("myRooms")
    assert [r["title"] for r in update["rooms"]] == ["Maths 7B"]


def test_a_new_member_by_invite_has_nothing_unread(app, alice, room_id, bob, connect):
    owner = connect(alice)
    owner.emit("join", {"roomId": room_id})
    owner.emit("sendMessage", "said before Bob came")
    accept(bob, invite_link(alice, room_id))
    _, data = connect(bob).emit("myRooms")
    assert [(r["title"], r["unread"]) for r in data["rooms"]] == [("Maths 7B", 0)]


def test_already_a_member_uses_nothing(app, alice, room_id, bob):
    token = invite_link(alice, room_id, max_uses="5")
    accept(bob, token)
    page = bob.get(f"/invite/{token}")
    assert page.status_code == 200
    assert "You're already in Maths 7B" in page_text(page)
    assert redirect_target(accept(bob, token)) == ("/chat", {"id": [str(room_id)]})
    # The owner opening their own link is a member too.
    assert "You're already in Maths 7B" in page_text(alice.get(f"/invite/{token}"))
    assert "1 of 5 used" in page_text(alice.get(f"/rooms/{room_id}/settings"))


def test_anonymous_visitor_is_sent_to_log_in_and_back(app, alice, room_id, client):
    token = invite_link(alice, room_id)
    here = f"/invite/{token}"
    page = client.get(here)
    assert page.status_code == 200
    text = page_text(page)
    assert "You're invited to Maths 7B" in text
    assert "Log in or register to join." in text
    html = page.get_data(as_text=True)
    assert f'href="/auth/login?next=/invite/{token}"' in html
    assert f'href="/auth/register?next=/invite/{token}"' in html
    # Pressing Join without an account (a stale page) asks to log in first.
    assert redirect_target(client.post(here)) == ("/auth/login", {"next": [here]})

    auth = AuthActions(client)
    auth.register("bob", "Bob")
    auth.logout()
    assert redirect_target(auth.login("bob", next=here)) == (here, {})
    assert redirect_target(accept(client, token)) == ("/chat", {"id": [str(room_id)]})
    assert role(app, room_id, "bob") == "member"


def test_registering_from_an_invite_comes_back_to_it(alice, room_id, client):
    token = invite_link(alice, room_id)
    here = f"/invite/{token}"
    login_page = client.get(f"/auth/login?next={here}").get_data(as_text=True)
    assert f'href="/auth/register?next=/invite/{token}"' in login_page
    response = client.post(
        f"/auth/register?next={here}",
        data={
            "username": "carol",
            "display_name": "Carol",
            "password": "correct horse",
            "confirm": "correct horse",
        },
    )
    assert redirect_target(response) == (here, {})


def test_unknown_link_is_404_and_names_no_room(bob, client):
    for http in (bob, client):
        for token in ("nope", "x" * 200):
            page = http.get(f"/invite/{token}")
            assert page.status_code == 404
            assert "This invite link is not valid." in page_text(page)
    assert accept(bob, "nope").status_code == 404


def test_revoked_link_is_410(app, alice, room_id, bob):
    token = invite_link(alice, room_id)
    settings = alice.get(f"/rooms/{room_id}/settings").get_data(as_text=True)
    invite_id = re.search(r'name="revoke-invite_id" value="(\d+)"', settings).group(1)
    response = alice.post(
        f"/rooms/{room_id}/settings?do=revoke", data={"revoke-invite_id": invite_id}
    )
    assert response.status_code == 302
    assert token not in alice.get(f"/rooms/{room_id}/settings").get_data(as_text=True)

    page = bob.get(f"/invite/{token}")
    assert page.status_code == 410
    assert "This invite link has been revoked." in page_text(page)
    assert "Maths 7B" not in page_text(page)
    assert accept(bob, token).status_code == 410
    assert role(app, room_id, "bob") is None


def test_expired_link_is_410(app, alice, room_id, bob, monkeypatch):
    token = invite_link(alice, room_id, expires="3600")
    real_now = invites.now_ms

    def hours_later(seconds: int) -> None:
        start = real_now()
        monkeypatch.setattr(invites, "now_ms", lambda: start + seconds * 1000)

    hours_later(3590)
    assert bob.get(f"/invite/{token}").status_code == 200
    hours_later(3601)
    page = bob.get(f"/invite/{token}")
    assert page.status_code == 410
    assert "This invite link has expired." in page_text(page)
    assert "Maths 7B" not in page_text(page)
    assert accept(bob, token).status_code == 410
    assert role(app, room_id, "bob") is None


def test_used_up_link_is_410(app, alice, room_id, bob, user_client):
    token = invite_link(alice, room_id, max_uses="1")
    assert accept(bob, token).status_code == 302
    carol = user_client("carol", "Carol")
    page = carol.get(f"/invite/{token}")
    assert page.status_code == 410
    assert "This invite link has been used up." in page_text(page)
    assert accept(carol, token).status_code == 410
    assert role(app, room_id, "carol") is None
    assert "1 of 1 used" in page_text(alice.get(f"/rooms/{room_id}/settings"))


def test_the_last_use_taken_meanwhile_is_refused(
    app, alice, room_id, bob, user_client, monkeypatch
):
    """Carol takes the last use between Bob's check of the link and his
    joining: the count is checked where it is taken, so Bob is refused."""
    token = invite_link(alice, room_id, max_uses="1")
    user_client("carol", "Carol")
    carol_id = user_id(app, "carol")
    real_is_banned = access.is_banned
    raced = []

    def carol_first(room, subject):
        if not raced:
            raced.append(True)
            with app.app_context():  # another request, another session
                invites.accept_invite(token, db.session.get(User, carol_id))
        return real_is_banned(room, subject)

    monkeypatch.setattr(access, "is_banned", carol_first)
    response = accept(bob, token)
    assert raced
    assert response.status_code == 410
    assert "This invite link has been used up." in page_text(response)
    assert role(app, room_id, "carol") == "member"
    assert role(app, room_id, "bob") is None


def test_concurrent_accepts_never_pass_max_uses(tmp_path):
    with new_app(tmp_path) as app:
        owner = app.test_client()
        AuthActions(owner).register("alice", "Alice")
        room_id = make_room(owner)
        token = invite_link(owner, room_id, max_uses="5")
        people = []
        for n in range(10):
            http = app.test_client()
            AuthActions(http).register(f"user{n}", f"User {n}")
            people.append(http)
        start = threading.Barrier(len(people))
        codes = []

        def join(http):
            start.wait()
            codes.append(accept(http, token).status_code)

        threads = [threading.Thread(target=join, args=(h,)) for h in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(codes) == [302] * 5 + [410] * 5
        members = [role(app, room_id, f"user{n}") for n in range(10)]
        assert members.count("member") == 5
        assert "5 of 5 used" in page_text(owner.get(f"/rooms/{room_id}/settings"))


def test_banned_account_is_refused(app, alice, room_id, bob, connect):
    token = invite_link(alice, room_id)
    sock = connect(alice)
    assert sock.emit("join", {"roomId": room_id})[0] is None
    assert sock.emit("ban", {"username": "Bob"}) == (None, {"username": "Bob"})
    page = bob.get(f"/invite/{token}")
    assert page.status_code == 403
    assert "You are banned from this room." in page_text(page)
    assert f'action="/invite/{token}"' not in page.get_data(as_text=True)
    response = accept(bob, token)
    assert response.status_code == 403
    assert role(app, room_id, "bob") is None


def test_join_button_carries_a_csrf_token(tmp_path):
    with new_app(tmp_path, WTF_CSRF_ENABLED=True) as app:
        guest = app.test_client()
        with app.app_context():
            alice = accounts.register("alice", "correct horse", "Alice")
            bob = accounts.register("bob", "correct horse", "Bob")
            who = Who(None, alice.id, None)
            room = rooms.create_room("Maths 7B", alice, who, PRIVATE)
            token = invites.create_invite(room, alice, None, None).token
            room_id, bob_id = room.id, bob.id
        with guest.session_transaction() as session:
            session["_user_id"] = str(bob_id)
            session["_fresh"] = True
        assert guest.post(f"/invite/{token}").status_code == 400  # no token
        with app.app_context():
            assert access.role_of(room_id, bob_id) is None
        html = guest.get(f"/invite/{token}").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert csrf is not None, "the Join form has no CSRF token"
        response = guest.post(f"/invite/{token}", data={"csrf_token": csrf.group(1)})
        assert response.status_code == 302
        with app.app_context():
            assert access.role_of(room_id, bob_id) == "member"


@pytest.mark.parametrize(
    ("expires", "max_uses"), [(0, None), (-5, None), (None, 0), (None, True)]
)
def test_create_invite_refuses_bad_limits(app, alice, room_id, expires, max_uses):
    with app.app_context():
        room = db.session.get(Room, room_id)
        owner = db.session.get(User, user_id(app, "alice"))
        with pytest.raises(ServiceError) as refused:
            invites.create_invite(room, owner, expires, max_uses)
        assert refused.value.code == "invalid_payload"


def test_members_cannot_create_invites(app, alice, room_id, bob):
    token = invite_link(alice, room_id)
    accept(bob, token)
    response = bob.post(
        f"/rooms/{room_id}/settings?do=invite",
        data={"invite-expires": "", "invite-max_uses": ""},
    )
    assert response.status_code == 403
    alice_id = user_id(app, "alice")
    with app.app_context():
        room = db.session.get(Room, room_id)
        assert len(invites.list_invites(room, db.session.get(User, alice_id))) == 1
