"""Helpers for the room page tests: make rooms and invites through the forms,
and read what the service layer says about them."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from baithak.extensions import db
from baithak.models import Room, User
from baithak.services import access

from .test_pages import page_text, redirect_target

__all__ = ["page_text", "redirect_target"]


def make_room(http, name: str = "Maths 7B", private: bool = True, **extra) -> int:
    """Create a room from the lobby as `http`'s account; return its id."""
    data = {"name": name, **({"private": "y"} if private else {}), **extra}
    response = http.post("/rooms", data=data)
    assert response.status_code == 302, page_text(response)
    location = urlsplit(response.headers["Location"])
    if "id" in parse_qs(location.query):
        return int(parse_qs(location.query)["id"][0])
    return room_by_name(http.application, name).id


def invite_link(http, room_id: int, expires: str = "", max_uses: str = "") -> str:
    """Create an invite link on the settings page; return its token (read
    from the full URL the page shows)."""
    response = http.post(
        f"/rooms/{room_id}/settings?do=invite",
        data={"invite-expires": expires, "invite-max_uses": max_uses},
    )
    assert response.status_code == 302, page_text(response)
    html = http.get(f"/rooms/{room_id}/settings").get_data(as_text=True)
    urls = re.findall(r'value="(http://localhost/invite/[A-Za-z0-9_-]+)"', html)
    assert urls, "no invite link on the settings page"
    return unescape(urls[0]).rsplit("/", 1)[1]  # newest first


def accept(http, token: str):
    """Press Join on the invite page."""
    return http.post(f"/invite/{token}")


def user_id(app, username: str) -> int:
    """Return the id of the account with that username."""
    with app.app_context():
        return db.session.execute(
            sa.select(User.id).where(User.username == username)
        ).scalar_one()


def role(app, room_id: int, username: str) -> str | None:
    """Return the account's role in the room (None: not a member)."""
    uid = user_id(app, username)
    with app.app_context():
        return access.role_of(room_id, uid)


def room_by_name(app, name: str) -> Room:
    """Return the (only) room of that name, detached."""
    with app.app_context():
        room = db.session.execute(sa.select(Room).where(Room.name == name)).scalar_one()
        db.session.expunge(room)
        return room


def get_room(app, room_id: int) -> Room | None:
    """Return the room with that id, detached, or None."""
    with app.app_context():
        room = db.session.get(Room, room_id)
        if room is not None:
            db.session.expunge(room)
        return room


def member_of(app, owner_http, room_id: int, member_http) -> None:
    """Make `member_http`'s account a member through an invite link."""
    token = invite_link(owner_http, room_id)
    assert accept(member_http, token).status_code == 302
