"""The profile form; the rules live in services.profiles."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField

from ..services.profiles import MAX_BIO, MAX_STATUS_TEXT

# A few to pick from (any single emoji may be typed instead).
SUGGESTED_EMOJI = (
    *("📚", "✏️", "🏫", "🎧", "☕", "🍱"),
    *("🚌", "🤒", "🌴", "🎉", "💬", "🔕"),
)


class ProfileForm(FlaskForm):
    """Edit one's display name, custom status (emoji and text) and bio."""

    display_name = StringField(
        "Display name",
        description="The name people see in chat (up to 32 characters).",
        render_kw={"maxlength": 32},
    )
    status_emoji = StringField(
        "Status emoji",
        description="One emoji, or none.",
        render_kw={"list": "emoji-suggestions", "maxlength": 16, "size": 4},
    )
    status_text = StringField(
        "Status",
        description=f"Shown by your name in the people list "
        f"(up to {MAX_STATUS_TEXT} characters).",
        render_kw={"maxlength": MAX_STATUS_TEXT, "placeholder": "Marking homework"},
    )
    bio = TextAreaField(
        "About you",
        description=f"Up to {MAX_BIO} characters.",
        render_kw={"maxlength": MAX_BIO, "rows": 5},
    )
    submit = SubmitField("Save profile")
