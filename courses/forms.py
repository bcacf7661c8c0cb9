"""Forms for the course administration pages.

Every field says in plain words what went wrong; values that cannot be parsed never
reach a service, and dates are kept within a sensible range so no conversion overflows.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    Field,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from college.forms import CollegeForm, MultiCheckboxField
from college.labels import LabelledEnum
from college.models import Programme
from courses.models import Audience, CourseFormat, PartnerKind, Topic
from courses.services import MAX_CAPACITY, MAX_SERIES_LENGTH, MAX_SESSION_MINUTES
from courses.times import to_local

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
NOT_A_CHOICE = _l("Please choose one of the options.")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def tidy(value: Any) -> Any:
    """Trim text and drop control characters (PostgreSQL refuses NUL in text)."""
    if not isinstance(value, str):
        return value
    return _CONTROL_CHARACTERS.sub("", value.replace("\r\n", "\n")).strip()


def within_range(form: FlaskForm, field: Field) -> None:
    value = field.data
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(day, date) and not EARLIEST <= day <= LATEST:
        raise ValidationError(_l("Please choose a date between the years 2000 and 2100."))


def text(label: Any, max_length: int, required: Any = None, **kwargs: Any) -> StringField:
    validators: list[Any] = [DataRequired(required)] if required else [Optional()]
    validators.append(Length(max=max_length, message=_l("Please use at most %(max)d characters.")))
    return StringField(label, validators=validators, filters=[tidy], **kwargs)


def long_text(label: Any, max_length: int, required: Any = None, **kwargs: Any) -> TextAreaField:
    validators: list[Any] = [DataRequired(required)] if required else [Optional()]
    validators.append(Length(max=max_length, message=_l("Please use at most %(max)d characters.")))
    return TextAreaField(label, validators=validators, filters=[tidy], **kwargs)


def day_field(label: Any, required: Any = None, **kwargs: Any) -> DateField:
    validators: list[Any] = [InputRequired(required)] if required else [Optional()]
    return DateField(
        label,
        validators=[*validators, within_range],
        invalid_value_message=_l("Please enter a date like 2026-09-14."),
        **kwargs,
    )


def clock_field(label: Any, required: Any, **kwargs: Any) -> TimeField:
    return TimeField(
        label,
        validators=[InputRequired(required)],
        invalid_value_message=_l("Please enter a time like 17:00."),
        **kwargs,
    )


def moment_field(label: Any, **kwargs: Any) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        validators=[Optional(), within_range],
        invalid_value_message=_l("Please enter a date and time like 2026-08-01 09:00."),
        **kwargs,
    )


def select(label: Any, required: Any, **kwargs: Any) -> SelectField:
    return SelectField(
        label,
        validators=[InputRequired(required)],
        invalid_choice_message=NOT_A_CHOICE,
        invalid_value_message=NOT_A_CHOICE,
        **kwargs,
    )


def id_select(label: Any, required: Any = None, **kwargs: Any) -> SelectField:
    """A choice among database rows; the empty option means "none" when not required."""
    validators: list[Any] = [InputRequired(required)] if required else []
    return SelectField(
        label,
        coerce=_optional_int,
        validators=validators,
        invalid_choice_message=NOT_A_CHOICE,
        invalid_value_message=NOT_A_CHOICE,
        **kwargs,
    )


def _optional_int(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


def choices_from(codes: type[LabelledEnum]) -> list[SelectChoice]:
    """A choice for each of a stored code's members, named by its label."""
    return [SelectChoice(code.value, code.label) for code in codes]


def set_id_choices(field: SelectField, rows: list[tuple[int, str]], empty: Any = None) -> None:
    options = [SelectChoice("", empty)] if empty is not None else []
    field.choices = options + [SelectChoice(str(row_id), name) for row_id, name in rows]


# --- forms -----------------------------------------------------------------------------------


class TermForm(CollegeForm):
    name = text(
        _l("Name"),
        80,
        _l("Please give the term a name."),
        description=_l("For example “Autumn 2026”."),
    )
    starts_on = day_field(_l("First day"), _l("Please enter the first day of the term."))
    ends_on = day_field(_l("Last day"), _l("Please enter the last day of the term."))
    enrolment_opens_at = moment_field(
        _l("Enrolment opens (optional)"),
        description=_l("Local time. Leave empty to open enrolment straight away."),
    )
    enrolment_closes_at = moment_field(
        _l("Enrolment closes (optional)"),
        description=_l("Local time. Leave empty to keep enrolment open until a course starts."),
    )
    submit = SubmitField(_l("Save term"))


class VenueForm(CollegeForm):
    name = text(_l("Name"), 120, _l("Please give the venue a name."))
    is_online = BooleanField(_l("This is an online venue"))
    address = long_text(
        _l("Address"),
        300,
        description=_l("Needed unless the venue is online."),
        render_kw={"rows": 3, "autocomplete": "off"},
    )
    meeting_link = text(
        _l("Meeting link (online venues)"),
        500,
        description=_l("Only people enrolled on a course will see it."),
        render_kw={"type": "url", "spellcheck": "false"},
    )
    accessibility_notes = long_text(
        _l("Accessibility"),
        2000,
        description=_l("Step-free access, lifts, toilets, hearing loop, quiet room, parking…"),
    )
    submit = SubmitField(_l("Save venue"))


class PartnerForm(CollegeForm):
    name = text(_l("Name"), 120, _l("Please give the partner a name."))
    kind = RadioField(
        _l("Kind of partner"),
        choices=choices_from(PartnerKind),
        validators=[InputRequired(_l("Please choose the kind of partner."))],
        invalid_choice_message=NOT_A_CHOICE,
    )
    submit = SubmitField(_l("Save partner"))


class CourseForm(CollegeForm):
    title = text(_l("Title"), 120, _l("Please give the course a title."))
    slug = text(
        _l("Web address (optional)"),
        80,
        description=_l(
            "The last part of the course's address, e.g. “mindfulness-in-everyday-life”. "
            "Leave empty to make one from the title."
        ),
        render_kw={"spellcheck": "false", "autocapitalize": "none"},
    )
    summary = long_text(
        _l("Summary"),
        300,
        _l("Please write a short summary."),
        description=_l("One or two sentences for the list of courses."),
        render_kw={"rows": 3},
    )
    description = long_text(
        _l("Description"),
        10000,
        _l("Please describe the course."),
        description=_l("Plain language. Leave an empty line between paragraphs."),
        render_kw={"rows": 10},
    )
    learning_outcomes = long_text(
        _l("Learning outcomes"),
        4000,
        description=_l("One per line."),
        render_kw={"rows": 5},
    )
    topic = select(_l("Topic"), _l("Please choose a topic."), choices=choices_from(Topic))
    audience = RadioField(
        _l("Who it is for"),
        choices=choices_from(Audience),
        default="everyone",
        validators=[InputRequired(_l("Please choose who the course is for."))],
        invalid_choice_message=NOT_A_CHOICE,
    )
    format = RadioField(
        _l("How it takes place"),
        choices=choices_from(CourseFormat),
        default="in_person",
        validators=[InputRequired(_l("Please choose how the course takes place."))],
        invalid_choice_message=NOT_A_CHOICE,
    )
    capacity = IntegerField(
        _l("Number of places"),
        validators=[
            InputRequired(_l("Please enter the number of places.")),
            NumberRange(
                min=1,
                max=MAX_CAPACITY,
                message=_l("The number of places must be between 1 and %(max)s."),
            ),
        ],
        invalid_value_message=_l("Please enter a whole number, like 16."),
        default=16,
        render_kw={"inputmode": "numeric"},
    )
    drop_in = BooleanField(
        _l("Drop-in: no sign-up"),
        description=_l(
            "People just come, without an account or a sign-up. The teachers count how many"
            " came instead of keeping a register with names."
        ),
    )
    room_capacity = IntegerField(
        _l("Room capacity for a drop-in (optional)"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=MAX_CAPACITY,
                message=_l("The room capacity must be between 1 and %(max)s, or left empty."),
            ),
        ],
        invalid_value_message=_l("Please enter a whole number, like 16."),
        description=_l("How many people the room holds; shown to people who drop in."),
        render_kw={"inputmode": "numeric"},
    )
    required_programme = RadioField(
        _l("Qualification the peer trainer needs"),
        choices=choices_from(Programme),
        default=str(Programme.FIVE_DAY),
        validators=[InputRequired(_l("Please choose the qualification."))],
        invalid_choice_message=NOT_A_CHOICE,
    )
    term = id_select(_l("Term"), _l("Please choose a term."))
    venue = id_select(
        _l("Usual venue"), description=_l("New sessions take place here unless you say otherwise.")
    )
    partners = MultiCheckboxField(
        _l("Co-producing partners"),
        coerce=int,
        invalid_choice_message=NOT_A_CHOICE,
        invalid_value_message=NOT_A_CHOICE,
    )
    submit = SubmitField(_l("Save course"))


class SessionForm(CollegeForm):
    day = day_field(_l("Date"), _l("Please enter the date of the session."))
    starts = clock_field(_l("Starts at"), _l("Please enter when the session starts."))
    ends = clock_field(_l("Ends at"), _l("Please enter when the session ends."))
    venue = id_select(_l("Venue"))
    submit = SubmitField(_l("Save session"))


class SeriesForm(CollegeForm):
    first_day = day_field(_l("Date of the first session"), _l("Please enter the first date."))
    starts = clock_field(_l("Starts at"), _l("Please enter when the sessions start."))
    minutes = IntegerField(
        _l("Length in minutes"),
        validators=[
            InputRequired(_l("Please enter how long each session lasts.")),
            NumberRange(
                min=15,
                max=MAX_SESSION_MINUTES,
                message=_l("A session lasts between %(min)s and %(max)s minutes."),
            ),
        ],
        invalid_value_message=_l("Please enter a whole number of minutes, like 120."),
        default=120,
        render_kw={"inputmode": "numeric"},
    )
    count = IntegerField(
        _l("Number of sessions"),
        validators=[
            InputRequired(_l("Please enter the number of sessions.")),
            NumberRange(
                min=1,
                max=MAX_SERIES_LENGTH,
                message=_l("A series has between %(min)s and %(max)s sessions."),
            ),
        ],
        invalid_value_message=_l("Please enter a whole number, like 6."),
        default=6,
        render_kw={"inputmode": "numeric"},
    )
    venue = id_select(_l("Venue"))
    submit = SubmitField(_l("Add the sessions"))


class PairForm(CollegeForm):
    peer = id_select(_l("Peer trainer"), _l("Please choose the peer trainer."))
    professional = id_select(
        _l("Professional trainer"), _l("Please choose the professional trainer.")
    )
    apply_to_sessions = BooleanField(
        _l("Also give this pair the upcoming sessions that have the previous pair or no one"),
        default=True,
    )
    submit = SubmitField(_l("Save the pair"))


class FacilitatorsForm(CollegeForm):
    peer = id_select(_l("Peer trainer"), _l("Please choose the peer trainer."))
    professional = id_select(
        _l("Professional trainer"), _l("Please choose the professional trainer.")
    )
    submit = SubmitField(_l("Save facilitators"))


class StatusForm(CollegeForm):
    """One button per possible status; the value says which."""


class ConfirmForm(CollegeForm):
    submit = SubmitField(_l("Yes, cancel the session"))


class QualificationForm(CollegeForm):
    person = id_select(_l("Peer worker"), _l("Please choose a peer worker."))
    programme = RadioField(
        _l("Programme completed"),
        choices=choices_from(Programme),
        validators=[InputRequired(_l("Please choose the programme."))],
        invalid_choice_message=NOT_A_CHOICE,
    )
    granted_on = day_field(_l("Completed on"), _l("Please enter the date it was completed."))
    expires_on = day_field(
        _l("Valid until (optional)"), description=_l("Leave empty if it does not expire.")
    )
    submit = SubmitField(_l("Record qualification"))


def local_parts(moment: datetime | None) -> tuple[date | None, time | None]:
    """Split a UTC moment into the local date and time shown in a form."""
    if moment is None:
        return None, None
    local = to_local(moment)
    return local.date(), local.time().replace(second=0, microsecond=0)
