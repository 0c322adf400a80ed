"""Pages: the join form, the chat page and the lobby."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..services import ServiceError, chat
from ..services.accounts import guests_allowed
from ..services.names import check_room_name
from ..services.ratelimit import Who
from ..services.rooms import create_room, list_rooms
from . import bp
from .forms import CreateRoomForm, JoinForm, form_error


def _guest_name_error(form: JoinForm) -> str | None:
    """Return why a guest may not use the form's name, or None."""
    try:
        form.username.data = chat.check_guest_can_join(
            form.username.data, form.room.data
        )
    except ServiceError as exc:
        return form_error(exc, "a display name")
    return None


@bp.route("/", methods=["GET", "POST"])
def index() -> str | Response:
    """The join form; on success, redirect to the chat page for the room."""
    form = JoinForm()
    if request.method == "GET":
        form.room.data = request.args.get(
            "room", current_app.config["BAITHAK_GLOBAL_ROOM"]
        )
        form.username.data = request.args.get("username", "")
    elif form.validate_on_submit():
        if current_user.is_authenticated:
            return redirect(url_for("rooms.chat_page", room=form.room.data))
        error = _guest_name_error(form)
        if error is None:
            return redirect(
                url_for(
                    "rooms.chat_page", room=form.room.data, username=form.username.data
                )
            )
        form.username.errors.append(error)
    return render_template("rooms/index.html", form=form, allow_guests=guests_allowed())


@bp.route("/chat")
def chat_page() -> str | Response:
    """The chat page; the client reads ?username= and ?room=, ?id= or ?code=
    and joins over Socket.IO (whether it may enter is the join's answer)."""
    room_id = request.args.get("id", type=int)
    code = request.args.get("code", "").strip() or None
    room = ""
    if room_id is None and code is None:
        try:
            room = check_room_name(request.args.get("room"))
        except ServiceError:
            return redirect(url_for("rooms.index"))
    if not current_user.is_authenticated:
        if not guests_allowed():
            return redirect(url_for("auth.login", next=request.full_path))
        if not request.args.get("username"):
            return redirect(url_for("rooms.index", room=room or None))
    return render_template("rooms/chat.html", room=room, room_id=room_id, code=code)


@bp.route("/rooms", methods=["GET", "POST"])
def lobby() -> str | Response:
    """Public rooms with how many people are online, and a form to create one."""
    form = CreateRoomForm()
    if form.validate_on_submit():
        user = current_user if current_user.is_authenticated else None
        try:
            who = Who(None, user.id if user else None, request.remote_addr)
            room = create_room(form.name.data, user, who)
        except ServiceError as exc:
            form.name.errors = [exc.message]
        else:
            if user is None:
                return redirect(url_for("rooms.index", room=room.name))
            return redirect(url_for("rooms.chat_page", room=room.name))
    return render_template("rooms/lobby.html", form=form, rooms=list_rooms())
