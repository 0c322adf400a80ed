"""Pages to register, log in and log out (Flask-Login sessions)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ..extensions import db, limiter, login_manager
from ..formlimits import attempted_username, client_address, setting
from ..models import User
from ..services import ServiceError, accounts
from . import bp
from .forms import LoginForm, LogoutForm, RegisterForm


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the account stored in the session, or None."""
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _safe_next(default: str) -> str:
    """Return ?next= if it is a path on this site, else `default` (no open redirect)."""
    target = request.args.get("next", "")
    # Browsers read "/\\host" as "//host", and control characters break headers.
    if any(ch == "\\" or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(
    setting("BAITHAK_RATELIMIT_REGISTER"),
    key_func=client_address,
    methods=["POST"],
    error_message="Too many accounts were registered from your network.",
)
def register() -> str | Response:
    """Create an account, log it in, and go to ?next= (an invite) or the join page."""
    if current_user.is_authenticated:
        return redirect(_safe_next(url_for("rooms.index")))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register(
                form.username.data, form.password.data, form.display_name.data
            )
        except ServiceError as exc:
            field = form.display_name if exc.field == "display_name" else form.username
            field.errors = [exc.message]
        else:
            login_user(user)
            flash(f"Welcome, {user.display_name}! Your account is ready.")
            return redirect(_safe_next(url_for("rooms.index")))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    setting("BAITHAK_RATELIMIT_LOGIN_IP"),
    key_func=client_address,
    methods=["POST"],
    error_message="Too many login attempts from your network.",
)
@limiter.limit(
    setting("BAITHAK_RATELIMIT_LOGIN_USERNAME"),
    key_func=attempted_username,
    methods=["POST"],
    error_message="Too many login attempts for this username.",
)
def login() -> str | Response:
    """Log in with username and password, then go to ?next= or the join page."""
    if current_user.is_authenticated:
        return redirect(_safe_next(url_for("rooms.index")))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors = ["Wrong username or password."]
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(url_for("rooms.index")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out (POST with a CSRF token, so another site cannot log you out)."""
    if LogoutForm().validate_on_submit():
        logout_user()
        flash("You are logged out.")
    return redirect(url_for("rooms.index"))
