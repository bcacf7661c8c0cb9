"""Forms for accounts: registration, sign-in, passwords, language and admin role changes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from college.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

LANGUAGE_CHOICES = [SelectChoice("da", "Dansk"), SelectChoice("en", "English")]


def email_field(label: str | None = None) -> EmailField:
    return EmailField(
        label or _l("Email address"),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=254, message=_l("An email address can have at most 254 characters.")),
            Email(
                _l("Please enter an email address like name@example.dk."),
                check_deliverability=False,
            ),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def new_password_field(label: str | None = None) -> PasswordField:
    return PasswordField(
        label or _l("Password"),
        validators=[
            DataRequired(_l("Please choose a password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("Your password must have between 8 and 256 characters."),
            ),
        ],
        description=_l("At least 8 characters. A few words you can remember work well."),
        render_kw={"autocomplete": "new-password"},
    )


def discreet_field(default: bool | None = None) -> BooleanField:
    """Discreet mode, explained in one plain sentence where the person can turn it off."""
    return BooleanField(
        _l("Discreet mode"),
        default=default,
        description=_l(
            "Email subjects and calendar entries do not name your course, so nobody who sees "
            "your lock screen or calendar can tell what it is about; the emails still give "
            "the dates, times and a link. Untick the box to see course names."
        ),
    )


class RegisterForm(FlaskForm):
    display_name = StringField(
        _l("Your name"),
        validators=[
            DataRequired(_l("Please tell us what to call you.")),
            Length(max=80, message=_l("Your name can have at most 80 characters.")),
        ],
        description=_l("The name we use when we write to you. A first name is enough."),
        render_kw={"autocomplete": "given-name"},
    )
    email = email_field()
    password = new_password_field()
    language = RadioField(
        _l("Language for emails and pages"), choices=LANGUAGE_CHOICES, default="da"
    )
    discreet = discreet_field(default=True)
    consent = BooleanField(
        _l("I have read the privacy notice and agree that the college keeps my details."),
        validators=[InputRequired(_l("Please accept the privacy notice to create an account."))],
    )
    next = HiddenField()
    submit = SubmitField(_l("Create account"))


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Please enter your password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("That password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class ResetRequestForm(FlaskForm):
    email = email_field()
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Please repeat the new password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Save new password"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(_l("Please enter your current password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("That password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Please repeat the new password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class SettingsForm(FlaskForm):
    language = RadioField(_l("Language"), choices=LANGUAGE_CHOICES)
    discreet = discreet_field()
    submit = SubmitField(_l("Save settings"))


class LanguageForm(FlaskForm):
    """The header's language switch: one button per language."""

    next = HiddenField()


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles"), choices=[])
    submit = SubmitField(_l("Save roles"))


class AccountStatusForm(FlaskForm):
    submit = SubmitField()


class ConfirmForm(FlaskForm):
    """A form with only a CSRF token, for one-button actions."""

    submit = SubmitField()


class ConsentForm(FlaskForm):
    consent = BooleanField(
        _l("I have read the new privacy notice and agree that the college keeps my details."),
        validators=[InputRequired(_l("Please accept the privacy notice to go on."))],
    )
    submit = SubmitField(_l("Accept and continue"))


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[
            DataRequired(_l("Please enter your password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("That password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = BooleanField(
        _l("I understand that my account and my personal details will be erased."),
        validators=[InputRequired(_l("Please tick the box to confirm."))],
    )
    submit = SubmitField(_l("Erase my account"))
