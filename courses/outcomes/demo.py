"""Demo and scale data: seven outcome areas close to the practice, and anonymous answers
before and after for the courses already under way or ended, so the reports are real."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from college.db import now_utc
from college.demo import DemoCollege
from college.extensions import db
from courses.enrolment.models import Enrolment, EnrolmentStatus
from courses.models import Course
from courses.outcomes.models import (
    Moment,
    OutcomeAnswer,
    OutcomePairing,
    OutcomeScore,
    Questionnaire,
    Step,
    TermQuestionnaire,
)
from courses.outcomes.services import AreaText, save_areas, session_ends_by_course
from courses.reports import REPORTED

NOT_AT_ALL = ("Not at all", "Slet ikke")
COMPLETELY = ("Completely", "Helt og aldeles")

SEVEN_AREAS = [
    ("I have hope for my own recovery", "Jeg har håb for min egen recovery"),
    (
        "I know about my own mental health",
        "Jeg har viden om min egen mentale sundhed",
    ),
    ("I have tools I can use in everyday life", "Jeg har redskaber, jeg kan bruge i hverdagen"),
    ("I feel connected with other people", "Jeg føler mig forbundet med andre mennesker"),
    ("I can manage stress", "Jeg kan håndtere stress"),
    ("I feel I am more than my illness", "Jeg føler, at jeg er mere end min sygdom"),
    ("My life has meaning and purpose", "Mit liv har mening og retning"),
]

# Shares of the people enrolled on a finished course who answered both times, only before,
# or only after; the rest skipped (which is always fine).
PAIRED, BEFORE_ONLY, AFTER_ONLY = 0.55, 0.15, 0.1
CHANGES = (-2, -1, 0, 0, 1, 1, 1, 2, 2, 3)


def seven_areas() -> list[AreaText]:
    return [
        AreaText(english, danish, NOT_AT_ALL[0], NOT_AT_ALL[1], COMPLETELY[0], COMPLETELY[1])
        for english, danish in SEVEN_AREAS
    ]


def seed(college: DemoCollege) -> None:
    """The seven areas as the version in use, answers for the courses held so far, and the
    demo's finished course marked as rated by its students."""
    seed_answers(now_utc())
    finished = db.session.scalars(
        sa.select(Enrolment.id)
        .join(Course, Enrolment.course_id == Course.id)
        .where(Course.slug == "hab-og-handlekraft", Enrolment.student_id != college.students[0].id)
    ).all()
    db.session.add_all(
        OutcomePairing(enrolment_id=i, before=Step.ANSWERED, after=Step.ANSWERED) for i in finished
    )
    db.session.flush()


def seed_scaled(scaled: Any) -> None:
    seed_answers(now_utc())


def _courses_held(now: datetime) -> list[tuple[int, int, int, bool]]:
    """(course, term, people enrolled, ended) for every course whose first session ended."""
    ends = session_ends_by_course()
    enrolled = (
        sa.select(sa.func.count(Enrolment.id))
        .where(Enrolment.course_id == Course.id, Enrolment.status == EnrolmentStatus.ENROLLED)
        .correlate(Course)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Course.id, Course.term_id, enrolled, ends.c.last_end)
        .join(ends, ends.c.course_id == Course.id)
        .where(Course.status.in_(REPORTED), ends.c.first_end <= now)
        .order_by(Course.id)
    )
    return [(c, t, n, last_end <= now) for c, t, n, last_end in rows]


def seed_answers(now: datetime) -> None:
    """Answers before and after, written in bulk, paired by random values naming no one."""
    questionnaire = save_areas(seven_areas())
    areas = [area.id for area in questionnaire.areas]
    picker = random.Random(29)  # noqa: S311 - repeatable demo data
    courses = _courses_held(now)
    terms = {term for _c, term, _n, _e in courses}
    fixed = set(db.session.scalars(sa.select(TermQuestionnaire.term_id)))
    db.session.add_all(
        TermQuestionnaire(term_id=t, questionnaire_id=questionnaire.id) for t in terms - fixed
    )
    answered = set(db.session.scalars(sa.select(OutcomeAnswer.course_id).distinct()))
    answers: list[dict[str, Any]] = []
    scores: list[list[int]] = []
    for course_id, _term, people, ended in courses:
        if course_id in answered:  # the demo's own courses, when the scale data follows
            continue
        paired = round(people * PAIRED)
        before_only = round(people * BEFORE_ONLY)
        after_only = round(people * AFTER_ONLY) if ended else 0
        for number in range(paired + before_only + after_only):
            before = [picker.randint(2, 7) for _ in areas]
            pair = f"{picker.getrandbits(128):032x}" if number < paired and ended else None
            if number < paired + before_only:
                answers.append(_answer(course_id, questionnaire, Moment.BEFORE, pair))
                scores.append(before)
            if ended and (number < paired or number >= paired + before_only):
                answers.append(_answer(course_id, questionnaire, Moment.AFTER, pair))
                scores.append([min(max(b + picker.choice(CHANGES), 0), 10) for b in before])
    if not answers:
        return
    ids = db.session.scalars(
        sa.insert(OutcomeAnswer).returning(OutcomeAnswer.id, sort_by_parameter_order=True),
        answers,
    ).all()
    db.session.execute(
        sa.insert(OutcomeScore),
        [
            {"answer_id": answer_id, "area_id": area_id, "score": score}
            for answer_id, values in zip(ids, scores, strict=True)
            for area_id, score in zip(areas, values, strict=True)
        ],
    )
    db.session.flush()


def _answer(
    course_id: int, questionnaire: Questionnaire, moment: Moment, pair: str | None
) -> dict[str, Any]:
    return {
        "course_id": course_id,
        "questionnaire_id": questionnaire.id,
        "moment": str(moment),
        "pair": pair,
    }
