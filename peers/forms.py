"""Forms for peers' own pages and the training and cover administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, SelectChoice, SubmitField
from wtforms.validators import InputRequired, NumberRange, Optional

from college.forms import CollegeForm, MultiCheckboxField
from college.labels import LabelledEnum
from college.models import PublicVisibility
from courses.forms import (
    choices_from,
    clock_field,
    day_field,
    id_select,
    long_text,
    select,
    text,
)
from courses.models import Topic, Weekday
from peers.models import PeerStatus

# A professional trainer who is not also a peer is never offered to be shown as a peer.
PROFESSIONAL_VISIBILITY_CHOICES = [
    SelectChoice(PublicVisibility.NAME.value, PublicVisibility.NAME.label),
    SelectChoice(
        PublicVisibility.ROLE_ONLY.value,
        _l("Only \u201cprofessional trainer\u201d, without my name"),
    ),
]


class AbsenceForm(CollegeForm):
    start_day = day_field(_l("First day"), _l("Please enter the first day."))
    start_time = clock_field(_l("From"), _l("Please enter the time it starts."))
    end_day = day_field(_l("Last day"), _l("Please enter the last day."))
    end_time = clock_field(_l("Until"), _l("Please enter the time it ends."))
    note = long_text(
        _l("Private note (optional)"),
        500,
        description=_l("Only you and the office can read this. You never need to give a reason."),
    )
    submit = SubmitField(_l("Save the absence"))


class UnavailabilityForm(CollegeForm):
    weekday = select(
        _l("Day of the week"),
        _l("Please choose a day."),
        choices=[SelectChoice(str(day.number), day.label) for day in Weekday],
    )
    starts = clock_field(_l("From"), _l("Please enter the time it starts."))
    ends = clock_field(_l("Until"), _l("Please enter the time it ends."))
    submit = SubmitField(_l("Add"))


class ProfileForm(CollegeForm):
    status = RadioField(
        _l("Teaching"),
        choices=choices_from(PeerStatus),
        validators=[InputRequired(_l("Please choose one of the options."))],
        description=_l("While you rest you keep your qualifications but are not asked to cover."),
    )
    max_sessions_per_week = IntegerField(
        _l("At most this many sessions a week"),
        validators=[
            InputRequired(_l("Please enter a number.")),
            NumberRange(0, 20, _l("Please enter a number between 0 and 20.")),
        ],
    )
    topics = MultiCheckboxField(_l("Topics I like to teach"), choices=choices_from(Topic))
    public_visibility = RadioField(
        _l("On the public course pages, show"),
        choices=choices_from(PublicVisibility),
        validators=[InputRequired(_l("Please choose one of the options."))],
        description=_l(
            "Your colleagues and the administrators always see your name. Everyone else "
            "(the prospectus, course pages, calendars and invitations) can see only your role."
        ),
    )
    submit = SubmitField(_l("Save"))

    def offer_choices_for(self, is_peer: bool) -> None:
        """Name the public role the person really has: only peers are shown as peers."""
        if not is_peer:
            self.public_visibility.choices = PROFESSIONAL_VISIBILITY_CHOICES


class AssignForm(CollegeForm):
    colleague = id_select(_l("Colleague"), _l("Please choose a colleague."))
    submit = SubmitField(_l("Assign cover"))


class ProgrammeForm(CollegeForm):
    name = text(_l("Name"), 120, _l("Please enter a name."))
    code = text(
        _l("Code"),
        32,
        _l("Please enter a code."),
        description=_l("Lower-case letters, digits and underscores, e.g. refresher_day."),
    )
    meeting_count = IntegerField(
        _l("Number of meetings"),
        validators=[
            InputRequired(_l("Please enter a number.")),
            NumberRange(1, 60, _l("Please enter a number between 1 and 60.")),
        ],
    )
    completion_percent = IntegerField(
        _l("Share of meetings needed to complete (percent)"),
        default=100,
        validators=[
            InputRequired(_l("Please enter a number.")),
            NumberRange(1, 100, _l("Please enter a number between 1 and 100.")),
        ],
    )
    valid_for_months = IntegerField(
        _l("Valid for this many months (empty: does not lapse)"),
        validators=[NumberRange(1, 240, _l("Please enter a number between 1 and 240."))],
        filters=[lambda value: value or None],
    )
    submit = SubmitField(_l("Add the programme"))


class MeetingPattern(LabelledEnum):
    """How a new cohort's meetings are laid out in the calendar."""

    WEEKDAYS = (
        "weekdays",
        _l("On consecutive weekdays (Monday to Friday), like a five-day programme"),
    )
    WEEKLY = "weekly", _l("Once a week, on the same day")


class CohortForm(CollegeForm):
    programme = id_select(_l("Programme"), _l("Please choose a programme."))
    name = text(_l("Name"), 120, _l("Please enter a name."))
    places = IntegerField(
        _l("Places"),
        default=12,
        validators=[
            InputRequired(_l("Please enter a number.")),
            NumberRange(1, 200, _l("Please enter a number between 1 and 200.")),
        ],
    )
    first_day = day_field(_l("Date of the first meeting"), _l("Please enter the first date."))
    starts = clock_field(_l("Starts at"), _l("Please enter when the meetings start."))
    ends = clock_field(_l("Ends at"), _l("Please enter when the meetings end."))
    pattern = RadioField(
        _l("The meetings take place"),
        choices=choices_from(MeetingPattern),
        default=MeetingPattern.WEEKDAYS.value,
        validators=[InputRequired(_l("Please choose one of the options."))],
    )
    count = IntegerField(
        _l("Number of meetings (optional)"),
        validators=[Optional(), NumberRange(1, 60, _l("Please enter a number between 1 and 60."))],
        description=_l("Leave empty for the programme's number of meetings."),
        render_kw={"inputmode": "numeric"},
    )
    trainers = MultiCheckboxField(_l("Trainers"), coerce=int)
    submit = SubmitField(_l("Open the cohort"))


class PlaceForm(CollegeForm):
    person = id_select(_l("Person"), _l("Please choose a person."))
    submit = SubmitField(_l("Give a place"))


class ConfirmQualificationForm(CollegeForm):
    person = id_select(_l("Person"), _l("Please choose a person."))
    give_peer_role = BooleanField(_l("Yes, also give them the peer role"))
    submit = SubmitField(_l("Confirm and grant the qualification"))


class RegisterGridForm(CollegeForm):
    """The whole register of a cohort; the boxes are read from the request as they are."""

    submit = SubmitField(_l("Save the register"))
