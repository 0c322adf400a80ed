"""Forms for the join page and the lobby; the rules themselves live in services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import ValidationError

from ..services import ServiceError
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
    """Create a new public room from the lobby."""

    name = RoomNameField("Room name")
    submit = SubmitField("Create room")
