"""Forms for enrolment, the register and feedback."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from college.forms import CollegeForm, ascii_mailbox
from courses.enrolment.models import FEEDBACK_AREAS, CompanionRelation, RemovalReason
from courses.forms import choices_from

FEEDBACK_LABELS = {
    "hope": _l("I feel more hope for my own recovery"),
    "knowledge": _l("I learned something I can use"),
    "everyday_tools": _l("I have new tools for everyday life"),
    "connectedness": _l("I felt connected to the others on the course"),
}


class ActionForm(CollegeForm):
    """A button that only carries the CSRF token."""


PLACE_IN_LIST = _l("Please enter a place in the list, like 1.")


class PositionForm(CollegeForm):
    position = IntegerField(
        _l("New place in the list"),
        validators=[InputRequired(PLACE_IN_LIST), NumberRange(1, 100_000, PLACE_IN_LIST)],
        invalid_value_message=PLACE_IN_LIST,
        render_kw={"inputmode": "numeric", "size": 3},
    )


class RemoveForm(CollegeForm):
    reason = RadioField(
        _l("Why are you taking them off?"),
        choices=choices_from(RemovalReason),
        validators=[InputRequired(_l("Please choose a reason."))],
        invalid_choice_message=_l("Please choose a reason."),
        description=_l("Kept in the audit log. The person is not told the reason."),
    )
    submit = SubmitField(_l("Yes, take them off"))


class EnrolForm(CollegeForm):
    belongs = BooleanField(
        _l("This course is for a particular group, and I belong to it."),
    )
    submit = SubmitField(_l("Enrol"))


def score_field(area: str) -> IntegerField:
    return IntegerField(
        FEEDBACK_LABELS[area],
        validators=[
            InputRequired(_l("Please choose a number from 0 to 10.")),
            NumberRange(min=0, max=10, message=_l("Please choose a number from 0 to 10.")),
        ],
        description=_l("0 means not at all, 10 means very much."),
        render_kw={"min": 0, "max": 10, "inputmode": "numeric"},
    )


class FeedbackForm(CollegeForm):
    hope = score_field("hope")
    knowledge = score_field("knowledge")
    everyday_tools = score_field("everyday_tools")
    connectedness = score_field("connectedness")
    comment = TextAreaField(
        _l("Anything else you want to tell us? (optional)"),
        validators=[
            Optional(),
            Length(max=2000, message=_l("Please keep your comment under 2,000 characters.")),
        ],
        description=_l("Please do not write your name or anything that could identify you."),
    )
    submit = SubmitField(_l("Send feedback"))

    def scores(self) -> dict[str, int]:
        return {area: getattr(self, area).data for area in FEEDBACK_AREAS}


COMPANION_RELATIONS = choices_from(CompanionRelation)


class PairEnrolForm(CollegeForm):
    """A student signs up together with the person who comes with them."""

    name = StringField(
        _l("Their name"),
        validators=[
            DataRequired(_l("Please enter the name of the person coming with you.")),
            Length(max=120, message=_l("The name can have at most 120 characters.")),
        ],
        description=_l("We use it when we write to them. A first name is enough."),
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("Their email address"),
        validators=[
            DataRequired(_l("Please enter the email address of the person coming with you.")),
            Length(max=254, message=_l("An email address can have at most 254 characters.")),
            ascii_mailbox,
            Email(
                _l("Please enter an email address like name@example.dk."),
                check_deliverability=False,
            ),
        ],
        description=_l("We send them a link to confirm their place. Nothing else."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    relation = RadioField(
        _l("Who are they to you?"),
        choices=COMPANION_RELATIONS,
        validators=[InputRequired(_l("Please choose who they are to you."))],
        invalid_choice_message=_l("Please choose who they are to you."),
    )
    belongs = BooleanField(_l("This course is for a particular group, and I belong to it."))
    submit = SubmitField(_l("Sign up together"))


class ConfirmCompanionForm(CollegeForm):
    """The companion takes the place held for them."""

    belongs = BooleanField(_l("This course is for a particular group, and I belong to it."))
    submit = SubmitField(_l("Confirm my place"))
