"""Pages: the join forms, the chat page, the lobby, direct conversations,
and a room's history as JSON."""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from ..models import PRIVATE, PUBLIC
from ..services import ServiceError, chat, pages, wire
from ..services.accounts import guests_allowed
from ..services.names import check_room_name
from ..services.ratelimit import Who
from ..services.rooms import create_room, list_rooms, my_rooms, open_direct
from . import bp
from .forms import CreateRoomForm, DirectForm, JoinCodeForm, JoinForm, form_error
from .responses import parse_id, refusal_json, refusal_page, viewer

# Refusals of the join-code form that are about the code, not the name.
CODE_ERRORS = frozenset({"bad_code", "banned", "login_required"})


def _guest_name_error(form: JoinForm) -> str | None:
    """Return why a guest may not use the form's name, or None."""
    try:
        form.username.data = chat.check_guest_can_join(
            form.username.data, form.room.data
        )
    except ServiceError as exc:
        return form_error(exc, "a display name")
    return None


def _index_page(form: JoinForm, code_form: JoinCodeForm) -> str:
    return render_template(
        "rooms/index.html",
        form=form,
        code_form=code_form,
        allow_guests=guests_allowed(),
    )


@bp.route("/", methods=["GET", "POST"])
def index() -> str | Response:
    """The join form; on success, redirect to the chat page for the room."""
    form = JoinForm()
    code_form = JoinCodeForm(formdata=None, code=request.args.get("code", ""))
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
    return _index_page(form, code_form)


@bp.route("/code", methods=["POST"])
def join_code() -> str | Response:
    """The "Have a join code?" form: go to the chat page for that code."""
    form = JoinCodeForm()
    if form.validate_on_submit():
        user = viewer()
        try:
            code, name = pages.check_code_join(
                user, form.code.data, form.display_name.data, request.remote_addr
            )
        except ServiceError as exc:
            field = form.code if exc.code in CODE_ERRORS else form.display_name
            field.errors.append(form_error(exc, "a display name"))
        else:
            guest = {} if user else {"username": name}
            return redirect(url_for("rooms.chat_page", code=code, **guest))
    join_form = JoinForm(formdata=None, room=current_app.config["BAITHAK_GLOBAL_ROOM"])
    return _index_page(join_form, form)


@bp.route("/chat")
def chat_page() -> str | Response | tuple[str, int]:
    """The chat page: for ?id=<room id>, ?code=<join code> or ?room=<public
    room name> (guests add &username=); the client joins over Socket.IO."""
    user = viewer()
    args = request.args
    if user is None and not guests_allowed():
        return redirect(url_for("auth.login", next=request.full_path))
    if "id" in args or "code" in args:
        if user is None and not args.get("username"):
            return redirect(url_for("rooms.index", code=args.get("code")))
        try:
            if "id" in args:
                target = pages.chat_by_id(parse_id(args["id"]), user)
            else:
                name = user.display_name if user else args["username"]
                target = pages.chat_by_code(
                    args["code"], user, name, request.remote_addr
                )
        except ServiceError as exc:
            if exc.code != "bad_code":
                return refusal_page(exc)
            flash(exc.message)
            return redirect(url_for("rooms.index"))
        return render_template("rooms/chat.html", target=target)
    try:
        room = check_room_name(args.get("room"))
    except ServiceError:
        return redirect(url_for("rooms.index"))
    if user is None and not args.get("username"):
        return redirect(url_for("rooms.index", room=room))
    return render_template("rooms/chat.html", target=pages.ChatTarget(room, name=room))


@bp.route("/rooms", methods=["GET", "POST"])
def lobby() -> str | Response:
    """Public rooms with how many people are online, a form to create one
    (private too, for accounts), and an account's own rooms."""
    user = viewer()
    form = CreateRoomForm()
    if form.validate_on_submit():
        kind = PRIVATE if form.private.data else PUBLIC
        try:
            who = Who(None, user.id if user else None, request.remote_addr)
            room = create_room(
                form.name.data, user, who, kind, bool(form.guests_welcome.data)
            )
        except ServiceError as exc:
            form.name.errors = [exc.message]
        else:
            if room.kind == PRIVATE:
                return redirect(url_for("rooms.chat_page", id=room.id))
            if user is None:
                return redirect(url_for("rooms.index", room=room.name))
            return redirect(url_for("rooms.chat_page", room=room.name))
    return render_template(
        "rooms/lobby.html",
        form=form,
        direct_form=DirectForm(formdata=None),
        rooms=list_rooms(),
        mine=my_rooms(user) if user else [],
    )


@bp.route("/dm", methods=["POST"], defaults={"username": None})
@bp.route("/dm/<username>", methods=["POST"])
def direct(username: str | None) -> Response:
    """Open (or create) a direct conversation with an account; go to its chat."""
    user = viewer()
    if user is None:
        flash("Log in to send direct messages.")
        return redirect(url_for("auth.login"))
    form = DirectForm()
    if not form.validate_on_submit():
        return redirect(url_for("rooms.lobby"))
    try:
        who = Who(None, user.id, request.remote_addr)
        room = open_direct(user, username or form.username.data, who)
    except ServiceError as exc:
        flash(exc.message)
        return redirect(url_for("rooms.lobby"))
    return redirect(url_for("rooms.chat_page", id=room.id))


def _anchor(name: str) -> int | None:
    """Return ?before= / ?after= as an int, None when absent; -1 (which the
    service refuses) when it is not a whole number."""
    raw = request.args.get(name)
    if raw is None:
        return None
    return parse_id(raw) if parse_id(raw) is not None else -1


@bp.route("/rooms/<room_id>/messages")
def room_messages(room_id: str) -> Response | tuple[Response, int]:
    """A page of a room's history as JSON: {messages: [...], hasMore}."""
    try:
        page, has_more = pages.history(
            parse_id(room_id),
            viewer(),
            _anchor("before"),
            _anchor("after"),
            request.remote_addr,
        )
    except ServiceError as exc:
        return refusal_json(exc)
    return jsonify(messages=wire.payloads(page), hasMore=has_more)
