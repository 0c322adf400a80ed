"""Forms for the join page, the lobby, invites and room settings; the rules
themselves live in services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, ValidationError

from ..services import ServiceError
from ..services.invites import EXPIRY_CHOICES, MAX_USES_CHOICES
from ..services.names import check_room_name


def form_error(exc: ServiceError, what: str) -> str:
    """Return the message a form shows for a refusal: "Please enter <what>." when
    the field was empty (the protocol's wording reads oddly on a form)."""
    if exc.code == "required":
        return f"Please enter {what}."
    if exc.code == "name_in_use":
        return "Someone in that room already uses this name; pick another."
    return exc.message


class RoomNameField(StringField):
    """A room name checked by services.names.check_room_name."""

    def pre_validate(self, form: FlaskForm) -> None:
        """Raise ValidationError with the service's message for a bad room name."""
        try:
            self.data = check_room_name(self.data)
        except ServiceError as exc:
            raise ValidationError(form_error(exc, "a room name")) from None


class JoinForm(FlaskForm):
    """Join a room: a guest also gives a display name (checked when joining)."""

    username = StringField("Display name")
    room = RoomNameField("Room")
    submit = SubmitField("Join")


class CreateRoomForm(FlaskForm):
    """Create a new room from the lobby: public, or (accounts) private."""

    name = RoomNameField("Room name")
    private = BooleanField("Private (members only)")
    guests_welcome = BooleanField("Guests welcome with the join code")
    submit = SubmitField("Create room")


class JoinCodeForm(FlaskForm):
    """Join with a room's join code; a guest also gives a display name."""

    code = StringField(
        "Join code", validators=[DataRequired("Please enter a join code.")]
    )
    display_name = StringField("Display name")
    submit = SubmitField("Join")


class DirectForm(FlaskForm):
    """Open a direct conversation with an account (by username or display name)."""

    username = StringField("Username or display name")
    submit = SubmitField("Message")


class ConfirmForm(FlaskForm):
    """A button and its CSRF token: join with an invite, regenerate the code."""

    submit = SubmitField("Go")


def _optional_int(value: object) -> int | None:
    """Coerce a select's value: "" (or None) is None, else an int."""
    return None if value in ("", None) else int(value)  # type: ignore[arg-type]


def _choices(pairs: list[tuple[int | None, str]]) -> list[SelectChoice]:
    return [SelectChoice("" if v is None else str(v), label) for v, label in pairs]


class InviteForm(FlaskForm):
    """Create an invite link: when it expires and how many may use it."""

    expires = SelectField(
        "Expires after", choices=_choices(EXPIRY_CHOICES), coerce=_optional_int
    )
    max_uses = SelectField(
        "Uses", choices=_choices(MAX_USES_CHOICES), coerce=_optional_int
    )
    submit = SubmitField("Create invite link")


class InviteIdForm(FlaskForm):
    """Revoke an invite link (its id in a hidden field)."""

    invite_id = HiddenField(validators=[DataRequired()])


class PersonForm(FlaskForm):
    """Act on one person (promote, demote, remove, unban): a hidden username."""

    username = HiddenField(validators=[DataRequired()])


class GuestsForm(FlaskForm):
    """Whether guests may come into a private room with its join code."""

    welcome = BooleanField("Guests welcome with the code")
    submit = SubmitField("Save")


class RenameForm(FlaskForm):
    """Give the room a new name."""

    name = RoomNameField("New name")
    submit = SubmitField("Rename")


class DeleteRoomForm(FlaskForm):
    """Delete the room: the box must be ticked."""

    confirm = BooleanField(
        "Yes, delete this room with all its messages, for everyone",
        validators=[DataRequired("Tick the box to confirm.")],
    )
    submit = SubmitField("Delete room")
