"""The rating form, built from the areas of the questionnaire a course's term uses, and the
administrators' form for the areas."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import FieldList, FormField, IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from college.forms import CollegeForm
from courses.outcomes.models import Questionnaire
from courses.outcomes.services import AreaText

CHOOSE_A_NUMBER = _l("Please choose a number from 0 to 10.")


def field_name(area_id: int) -> str:
    return f"area_{area_id}"


class RatingForm(CollegeForm):
    """One 0-10 field per area; the fields are added for the questionnaire in use."""

    submit = SubmitField(_l("Send my answers"))
    area_ids: list[int]

    def scores(self) -> dict[int, int]:
        return {area_id: self[field_name(area_id)].data for area_id in self.area_ids}


def rating_form(questionnaire: Questionnaire, **kwargs: Any) -> RatingForm:
    """A form class of this questionnaire's areas, in the reader's language."""

    class QuestionnaireForm(RatingForm):
        pass

    for area in questionnaire.areas:
        field = IntegerField(
            area.statement,
            validators=[
                InputRequired(CHOOSE_A_NUMBER),
                NumberRange(min=0, max=10, message=CHOOSE_A_NUMBER),
            ],
            invalid_value_message=CHOOSE_A_NUMBER,
            description=_("0 means “%(low)s”, 10 means “%(high)s”.", low=area.low, high=area.high),
            render_kw={"min": 0, "max": 10, "inputmode": "numeric"},
        )
        setattr(QuestionnaireForm, field_name(area.id), field)
    form = QuestionnaireForm(**kwargs)
    form.area_ids = [area.id for area in questionnaire.areas]
    return form


AREA_TEXT = _l("Please keep this under 200 characters.")
ANCHOR_TEXT = _l("Please keep this under 80 characters.")


class AreaForm(CollegeForm):
    """One area; a row left empty is dropped, a row half filled in is refused."""

    class Meta:
        csrf = False  # the outer form carries the token

    statement_en = StringField(
        _l("Statement in English"), [Optional(), Length(max=200, message=AREA_TEXT)]
    )
    statement_da = StringField(
        _l("Statement in Danish"), [Optional(), Length(max=200, message=AREA_TEXT)]
    )
    low_en = StringField(
        _l("What 0 means, in English"), [Optional(), Length(max=80, message=ANCHOR_TEXT)]
    )
    low_da = StringField(
        _l("What 0 means, in Danish"), [Optional(), Length(max=80, message=ANCHOR_TEXT)]
    )
    high_en = StringField(
        _l("What 10 means, in English"), [Optional(), Length(max=80, message=ANCHOR_TEXT)]
    )
    high_da = StringField(
        _l("What 10 means, in Danish"), [Optional(), Length(max=80, message=ANCHOR_TEXT)]
    )

    def text(self) -> AreaText:
        return AreaText(*(self[name].data or "" for name in AREA_FIELDS))

    def is_empty(self) -> bool:
        return not any((self[name].data or "").strip() for name in AREA_FIELDS)


AREA_FIELDS = ("statement_en", "statement_da", "low_en", "low_da", "high_en", "high_da")


class AreasForm(CollegeForm):
    areas = FieldList(FormField(AreaForm), min_entries=1, max_entries=12)
    submit = SubmitField(_l("Save the areas"))

    def texts(self) -> list[AreaText]:
        return [entry.form.text() for entry in self.areas if not entry.form.is_empty()]
