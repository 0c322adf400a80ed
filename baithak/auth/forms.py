"""Forms for registering and logging in; the rules live in services.accounts."""

from __future__ import annotations

from collections.abc import Callable

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from ..services import ServiceError
from ..services.accounts import MIN_PASSWORD_LENGTH, check_password, check_username
from ..services.names import check_display_name


def _service_check(
    check: Callable[[object], str],
) -> Callable[[FlaskForm, Field], None]:
    """Wrap a services check as a WTForms validator that keeps its message."""

    def validator(form: FlaskForm, field: Field) -> None:
        try:
            check(field.data)
        except ServiceError as exc:
            raise ValidationError(exc.message) from None

    return validator


class RegisterForm(FlaskForm):
    """Create an account: username (for logging in), display name, password."""

    username = StringField(
        "Username",
        validators=[DataRequired(), _service_check(check_username)],
        description="For logging in: 3-32 letters, digits, dots, dashes or _.",
    )
    display_name = StringField(
        "Display name",
        validators=[DataRequired(), _service_check(check_display_name)],
        description="The name people see in chat (up to 32 characters).",
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), _service_check(check_password)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", "Passwords do not match.")],
    )
    submit = SubmitField("Register")


class LoginForm(FlaskForm):
    """Log in with username and password."""

    username = StringField("Username", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in")
    submit = SubmitField("Log in")


class LogoutForm(FlaskForm):
    """An empty form: logging out is a POST carrying the CSRF token."""

    submit = SubmitField("Log out")
