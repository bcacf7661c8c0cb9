"""Forms for accounts: registration, sign-in, passwords, language and admin role changes."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    Form,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from college.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from college.text import clean_multi_line, clean_single_line


def refuse_nul(form: Form, field: Field) -> None:
    """A multi-line field may hold line breaks, never a NUL character."""
    if isinstance(field.data, str) and "\x00" in field.data:
        raise ValidationError(_l("The text holds a character that cannot be saved (NUL)."))


class CollegeForm(FlaskForm):
    """Every form of the college: its text is cleaned as it arrives (``college.text``).

    Single-line fields lose control characters; multi-line fields refuse NUL. Passwords are
    left exactly as typed.
    """

    class Meta(FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, TextAreaField):
                field.filters = (clean_multi_line, *field.filters)
                field.validators = [refuse_nul, *field.validators]
            elif isinstance(field, StringField) and not isinstance(field, PasswordField):
                field.filters = (clean_single_line, *field.filters)
            return field


def ascii_mailbox(form: Form, field: Field) -> None:
    """The college's mail server speaks plain SMTP: a mailbox name must be ASCII.

    Letters such as æ, ø and å are fine after the @ (the domain travels in its IDNA
    form), but not before it; the address is refused here rather than failing later.
    """
    if isinstance(field.data, str) and not field.data.rpartition("@")[0].isascii():
        raise ValidationError(
            _l(
                "Please use an address without æ, ø, å or other special letters before the @. "
                "Our mail server cannot send to such addresses yet."
            )
        )


LANGUAGE_CHOICES = [SelectChoice("da", "Dansk"), SelectChoice("en", "English")]


def email_field(label: str | None = None) -> EmailField:
    return EmailField(
        label or _l("Email address"),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=254, message=_l("An email address can have at most 254 characters.")),
            ascii_mailbox,
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


class RegisterForm(CollegeForm):
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


def display_name_field(label: str | None = None) -> StringField:
    return StringField(
        label or _l("Name"),
        validators=[
            DataRequired(_l("Please enter a name.")),
            Length(max=80, message=_l("A name can have at most 80 characters.")),
        ],
    )


class AdminAccountForm(CollegeForm):
    """What ``flask college create-admin`` is given, checked as the sign-up form checks it."""

    email = email_field()
    display_name = display_name_field()


class LoginForm(CollegeForm):
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


class ResetRequestForm(CollegeForm):
    email = email_field()
    submit = SubmitField(_l("Send me a link"))


class ResetPasswordForm(CollegeForm):
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


class ChangePasswordForm(CollegeForm):
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


class SettingsForm(CollegeForm):
    language = RadioField(_l("Language"), choices=LANGUAGE_CHOICES)
    discreet = discreet_field()
    submit = SubmitField(_l("Save settings"))


CHOOSE_CALENDAR = _l("Please choose invitations by email or your calendar address.")


class CalendarChoiceForm(CollegeForm):
    choice = RadioField(
        _l("How do you want your sessions in your calendar?"),
        choices=[
            SelectChoice("invitations", _l("Invitations by email (one for each session)")),
            SelectChoice(
                "feed", _l("My calendar address: I subscribe once, and no invitations come")
            ),
        ],
        validators=[
            InputRequired(CHOOSE_CALENDAR),
            AnyOf(["invitations", "feed"], message=CHOOSE_CALENDAR),
        ],
        validate_choice=False,
    )
    submit = SubmitField(_l("Save my choice"))


class LanguageForm(CollegeForm):
    """The header's language switch: one button per language."""

    next = HiddenField()


class LogoutForm(CollegeForm):
    submit = SubmitField(_l("Log out"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RolesForm(CollegeForm):
    roles = MultiCheckboxField(_l("Roles"), choices=[])
    submit = SubmitField(_l("Save roles"))


class AccountStatusForm(CollegeForm):
    submit = SubmitField()


class ConfirmForm(CollegeForm):
    """A form with only a CSRF token, for one-button actions."""

    submit = SubmitField()


class ConsentForm(CollegeForm):
    consent = BooleanField(
        _l("I have read the new privacy notice and agree that the college keeps my details."),
        validators=[InputRequired(_l("Please accept the privacy notice to go on."))],
    )
    submit = SubmitField(_l("Accept and continue"))


class DeleteAccountForm(CollegeForm):
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
