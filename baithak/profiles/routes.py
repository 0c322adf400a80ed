"""Pages: an account's profile, and the form to edit one's own."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..services import ServiceError, profiles
from ..services.accounts import find_account
from . import bp
from .forms import SUGGESTED_EMOJI, ProfileForm


@bp.route("/users/<path:name>")
def profile(name: str) -> str:
    """An account's profile (by display name or username), as the viewer may
    see it; 404 for a name no account has."""
    user = find_account(name)
    if user is None:
        abort(404)
    viewer = current_user if current_user.is_authenticated else None
    return render_template(
        "profiles/show.html",
        profile=profiles.profile_of(user, viewer),
        time_ago=profiles.describe_time_ago,
    )


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def edit() -> str | Response:
    """Edit one's own profile (only ever the logged-in account's)."""
    user = current_user
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            profiles.update_profile(
                user,
                form.display_name.data,
                form.status_text.data,
                form.status_emoji.data,
                form.bio.data,
            )
        except ServiceError as exc:
            field = getattr(form, exc.field or "display_name")
            empty = exc.code == "required"  # the protocol's wording reads oddly here
            field.errors = ["Please enter a display name." if empty else exc.message]
        else:
            flash("Your profile is saved.")
            return redirect(url_for("profiles.profile", name=user.display_name))
    elif not form.is_submitted():
        form.display_name.data = user.display_name
        form.status_emoji.data = user.status_emoji or ""
        form.status_text.data = user.status_text or ""
        form.bio.data = user.bio or ""
    return render_template(
        "profiles/edit.html", form=form, suggested_emoji=SUGGESTED_EMOJI
    )
