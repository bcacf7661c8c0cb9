"""Helpers for outcome tests: courses held or to come, and students who rate them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from college.db import now_utc
from courses.enrolment.models import Enrolment
from courses.models import Course
from courses.outcomes import services
from courses.outcomes.models import Moment, Questionnaire
from tests import factories


def ended_course(**kwargs: object) -> Course:
    """A published course of three weekly sessions whose last one ended a week ago."""
    first = now_utc() - timedelta(weeks=3)
    return factories.make_published_course(first_start=first, **kwargs)


def questionnaire_of(course: Course) -> Questionnaire:
    questionnaire = services.questionnaire_for_term(course.term_id)
    assert questionnaire is not None
    return questionnaire


def scores(course: Course, values: Sequence[int]) -> dict[int, int]:
    """Scores for the course's areas in order; a single value is used for every area."""
    areas = questionnaire_of(course).areas
    if len(values) == 1:
        values = list(values) * len(areas)
    return {area.id: value for area, value in zip(areas, values, strict=True)}


def before_time(course: Course) -> datetime:
    return course.sessions[0].starts_at - timedelta(days=1)


def after_time(course: Course) -> datetime:
    return course.sessions[-1].ends_at + timedelta(days=1)


def rate_pair(
    course: Course, before: Sequence[int], after: Sequence[int], enrolment: Enrolment | None = None
) -> Enrolment:
    """One student who rated before and after the course."""
    enrolment = enrolment or factories.make_enrolment(course)
    services.rate(enrolment, Moment.BEFORE, scores(course, before), now=before_time(course))
    services.rate(enrolment, Moment.AFTER, scores(course, after), now=after_time(course))
    return enrolment


def rate_pairs(course: Course, count: int, before: int = 4, after: int = 6) -> None:
    for index in range(count):
        rate_pair(course, [before], [after + index % 2])
