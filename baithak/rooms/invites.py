"""The invite page, /invite/<token>: see who invites you where, and join."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..services import ServiceError, invites
from ..services.invites import InviteStatus
from . import bp
from .forms import ConfirmForm
from .responses import STATUS, viewer


def _page(token: str, status: InviteStatus, form: ConfirmForm) -> tuple[str, int]:
    code = STATUS.get(status.error.code, 400) if status.error else 200
    page = render_template("rooms/invite.html", token=token, status=status, form=form)
    return page, code


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str) -> Response | tuple[str, int]:
    """GET: the invitation (log in first, or a Join button); POST: join the
    room and go to its chat. A link that does not work says why: 404 for an
    unknown one, 410 for one revoked, expired or used up."""
    user = viewer()
    form = ConfirmForm()
    if request.method == "POST":
        if user is None:
            return redirect(
                url_for("auth.login", next=url_for("rooms.invite", token=token))
            )
        if form.validate_on_submit():
            try:
                room = invites.accept_invite(token, user)
            except ServiceError as exc:
                return _page(token, InviteStatus(None, None, exc), form)
            flash("You are in. Welcome!")
            return redirect(url_for("rooms.chat_page", id=room.id))
    return _page(token, invites.invite_status(token, user), form)
