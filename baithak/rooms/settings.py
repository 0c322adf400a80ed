"""A room's settings page (owner and moderators) and its audit log (owner).

The page holds one form per action; each posts to
/rooms/<id>/settings?do=<action>, which calls that action's one service
function and comes back with a flash. The services check who may do what.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..models import MEMBER, MODERATOR, Room, User
from ..services import (
    ServiceError,
    access,
    audit,
    invites,
    moderation,
    pages,
    ratelimit,
    roomadmin,
)
from ..services.ratelimit import Who
from . import bp
from .forms import (
    ConfirmForm,
    DeleteRoomForm,
    GuestsForm,
    InviteForm,
    InviteIdForm,
    PersonForm,
    RenameForm,
)
from .responses import parse_id, refusal_page, viewer


@dataclass(frozen=True)
class Action:
    """A settings form and what submitting it does: `run` calls one service
    function and returns the flash; a refusal shows at `field` (else flashed)."""

    form: type[FlaskForm]
    run: Callable[[Room, User, FlaskForm], str]
    field: str | None = None


def _regenerate_code(room: Room, user: User, form: FlaskForm) -> str:
    code = invites.regenerate_join_code(room, user)
    return f"The new join code is {code}; the old one no longer works."


def _guests(room: Room, user: User, form: FlaskForm) -> str:
    roomadmin.set_guests_welcome(room, user, form.welcome.data)
    if form.welcome.data:
        return "Guests are welcome with the join code."
    return "Only members may come in now."


def _invite(room: Room, user: User, form: FlaskForm) -> str:
    invites.create_invite(room, user, form.expires.data, form.max_uses.data)
    return "Invite link created."


def _revoke(room: Room, user: User, form: FlaskForm) -> str:
    invites.revoke_invite(room, user, parse_id(form.invite_id.data))
    return "Invite link revoked."


def _role(role: str) -> Callable[[Room, User, FlaskForm], str]:
    def run(room: Room, user: User, form: FlaskForm) -> str:
        who = moderation.set_role(room, user, form.username.data, role)
        return f"{who.name} is now a {role}."

    return run


def _remove(room: Room, user: User, form: FlaskForm) -> str:
    who = moderation.kick(room, user, form.username.data)
    return f"{who.name} was removed from the room."


def _unban(room: Room, user: User, form: FlaskForm) -> str:
    who = moderation.unban(room, user, form.username.data)
    return f"{who.name} is no longer banned."


def _rename(room: Room, user: User, form: FlaskForm) -> str:
    roomadmin.rename(room, user, form.name.data)
    return f"The room is now called {room.name}."


def _delete(room: Room, user: User, form: FlaskForm) -> str:
    name = room.name
    roomadmin.delete_room(room, user)
    return f"{name} was deleted."


ACTIONS: dict[str, Action] = {
    "regenerate_code": Action(ConfirmForm, _regenerate_code),
    "guests": Action(GuestsForm, _guests),
    "invite": Action(InviteForm, _invite),
    "revoke": Action(InviteIdForm, _revoke),
    "promote": Action(PersonForm, _role(MODERATOR)),
    "demote": Action(PersonForm, _role(MEMBER)),
    "remove": Action(PersonForm, _remove),
    "unban": Action(PersonForm, _unban),
    "rename": Action(RenameForm, _rename, field="name"),
    "delete": Action(DeleteRoomForm, _delete),
}


def _forms(submitted: str | None) -> dict[str, FlaskForm]:
    """One form per action, each with its own field prefix (unique ids on
    the page); only the submitted one reads the request."""
    return {
        name: action.form(prefix=name)
        if name == submitted
        else action.form(prefix=name, formdata=None)
        for name, action in ACTIONS.items()
    }


@bp.route("/rooms/<room_id>/settings", methods=["GET", "POST"])
@login_required
def settings(room_id: str) -> str | Response | tuple[str, int]:
    """Show a room's settings; POST ?do=<action> changes one of them."""
    user, rid = viewer(), parse_id(room_id)
    done = request.args.get("do") if request.method == "POST" else None
    if done is not None and done not in ACTIONS:
        return redirect(url_for("rooms.settings", room_id=room_id))
    forms, status = _forms(done), 200
    if done is not None:
        action, form = ACTIONS[done], forms[done]
        status = 400
        if form.validate_on_submit():
            try:
                # The same limit as the moderation events over Socket.IO.
                ratelimit.hit("moderate", Who(None, user.id, request.remote_addr))
                text = action.run(access.visible_room(rid, user), user, form)
            except ServiceError as exc:
                if exc.code in ("not_found", "forbidden"):
                    return refusal_page(exc)
                if action.field is None:
                    flash(exc.message)
                    return redirect(url_for("rooms.settings", room_id=rid))
                getattr(form, action.field).errors.append(exc.message)
            else:
                flash(text)
                if done == "delete":
                    return redirect(url_for("rooms.lobby"))
                return redirect(url_for("rooms.settings", room_id=rid))
    try:
        view = pages.room_settings(rid, user)
    except ServiceError as exc:
        return refusal_page(exc)
    if done != "guests":
        forms["guests"].welcome.data = view.room.guests_welcome
    return render_template("rooms/settings.html", view=view, forms=forms), status


@bp.route("/rooms/<room_id>/audit")
@login_required
def audit_log(room_id: str) -> str | tuple[str, int]:
    """The room's audit log, newest first, 100 a page (?before=<entry id>)."""
    user = viewer()
    before = parse_id(request.args.get("before"))
    try:
        room = access.visible_room(parse_id(room_id), user)
        entries, more = audit.entries(room, user, before)
    except ServiceError as exc:
        return refusal_page(exc)
    return render_template(
        "rooms/audit.html", room=room, entries=entries, more=more, before=before
    )


@bp.app_template_filter("utc")
def utc(ms: int | None) -> str:
    """Format ms since the epoch as "2025-01-31 14:05 UTC" (the page's script
    shows it in the reader's own time zone)."""
    if ms is None:
        return ""
    when = datetime.fromtimestamp(ms / 1000, UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")
