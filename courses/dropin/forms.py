"""The head count of a drop-in session and the sheet for hearing about courses."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from college.forms import CollegeForm
from courses.dropin.services import MAX_CONTACT_LENGTH, MAX_HEAD_COUNT, MAX_NAME_LENGTH

WHOLE_NUMBER = _l("Please enter a whole number, like 12.")
IN_RANGE = _l("Please enter a number from 0 to %(max)s.")


def count_field(label: Any, required: Any = None, **kwargs: Any) -> IntegerField:
    validators: list[Any] = [InputRequired(required)] if required else [Optional()]
    validators.append(NumberRange(min=0, max=MAX_HEAD_COUNT, message=IN_RANGE))
    return IntegerField(
        label,
        validators=validators,
        invalid_value_message=WHOLE_NUMBER,
        render_kw={"inputmode": "numeric"},
        **kwargs,
    )


class HeadCountForm(CollegeForm):
    came = count_field(_l("How many came"), _l("Please enter how many came."))
    first_visits = count_field(_l("Of them: first visit"), default=0)
    second_visits = count_field(_l("Of them: second visit"), default=0)
    third_visits = count_field(_l("Of them: third visit"), default=0)
    submit = SubmitField(_l("Save head count"))


class InterestForm(CollegeForm):
    name = StringField(
        _l("Name (optional)"),
        validators=[
            Optional(),
            Length(max=MAX_NAME_LENGTH, message=_l("Please use at most %(max)d characters.")),
        ],
    )
    contact = StringField(
        _l("Email address or phone number"),
        validators=[
            InputRequired(
                _l("Please write an email address or a phone number, so that we can reach them.")
            ),
            Length(max=MAX_CONTACT_LENGTH, message=_l("Please use at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    consent = BooleanField(
        _l("I agree that the college keeps these details to tell me about courses."),
        description=_l(
            "We keep them for up to a year and use them for nothing else. You can ask us to"
            " delete them at any time."
        ),
    )
    submit = SubmitField(_l("Save"))
