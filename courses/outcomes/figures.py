"""What the college sees of the ratings: paired change per area, gated in one place.

Every page, chart, CSV, JSON export and drill-down of outcomes is built from ``report``,
and ``report`` reads the answers only through ``_gathered``, which keeps a course only
when it has at least ``MIN_PAIRS`` pairs. A figure for a topic, a partner or a term is made
of whole courses that each passed the gate, so no filter, and no difference between two
filters, can narrow a figure to fewer than five people.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from college.extensions import db
from courses.enrolment.feedback import MIN_FEEDBACK_ANSWERS
from courses.enrolment.models import Enrolment, EnrolmentStatus
from courses.models import Course, Partner, Term, Topic, course_partners
from courses.outcomes.models import Moment, OutcomeAnswer, OutcomeArea, OutcomeScore, Questionnaire
from courses.outcomes.services import questionnaire_for_term
from courses.outcomes.stats import PairedChange, paired_change
from courses.reports import REPORTED, all_terms, chosen_term

ModelT = TypeVar("ModelT", Course, Partner)

# The same threshold as feedback: fewer pairs than this could point at a person.
MIN_PAIRS = MIN_FEEDBACK_ANSWERS


@dataclass(frozen=True)
class Scope:
    """Which courses a figure covers: always one term, narrowed by topic, partner, course."""

    term: Term
    topic: str | None = None
    partner: Partner | None = None
    course: Course | None = None

    def args(self) -> dict[str, str]:
        """The query arguments that choose this scope again (for links and downloads)."""
        args = {"term": str(self.term.id)}
        if self.topic:
            args["topic"] = self.topic
        if self.partner is not None:
            args["partner"] = str(self.partner.id)
        if self.course is not None:
            args["course"] = str(self.course.id)
        return args


def scope_from(args: Mapping[str, str]) -> Scope | None:
    """The scope asked for; a value that names nothing is ignored, never an error."""
    term = chosen_term(args, all_terms())
    if term is None:
        return None
    topic = args.get("topic") if args.get("topic") in {topic.value for topic in Topic} else None
    partner = _by_id(Partner, args.get("partner", ""))
    course = _by_id(Course, args.get("course", ""))
    if course is not None and course.term_id != term.id:
        course = None
    return Scope(term, topic, partner, course)


def _by_id(model: type[ModelT], wanted: str) -> ModelT | None:
    return db.session.get(model, int(wanted)) if wanted.isdigit() and len(wanted) < 10 else None


@dataclass(frozen=True)
class AreaFigure:
    area: OutcomeArea
    change: PairedChange


@dataclass(frozen=True)
class CourseRates:
    enrolled: int = 0
    before: int = 0
    after: int = 0


@dataclass
class OutcomeReport:
    """The figures of one scope; ``shown`` is False when no course reached the threshold."""

    scope: Scope
    questionnaire: Questionnaire | None
    areas: list[AreaFigure] = field(default_factory=list)
    courses_shown: list[tuple[int, str]] = field(default_factory=list)
    courses_hidden: int = 0
    rates: CourseRates = field(default_factory=CourseRates)

    @property
    def shown(self) -> bool:
        return bool(self.areas)

    @property
    def pairs(self) -> int:
        return self.areas[0].change.pairs if self.areas else 0

    @property
    def before_rate(self) -> float | None:
        return self.rates.before / self.rates.enrolled if self.rates.enrolled else None

    @property
    def after_rate(self) -> float | None:
        return self.rates.after / self.rates.enrolled if self.rates.enrolled else None


def _courses_in(scope: Scope) -> sa.Select[Any]:
    courses = sa.select(Course.id).where(
        Course.term_id == scope.term.id, Course.status.in_(REPORTED)
    )
    if scope.topic:
        courses = courses.where(Course.topic == scope.topic)
    if scope.partner is not None:
        courses = courses.where(
            Course.id.in_(
                sa.select(course_partners.c.course_id).where(
                    course_partners.c.partner_id == scope.partner.id
                )
            )
        )
    if scope.course is not None:
        courses = courses.where(Course.id == scope.course.id)
    return courses


def _pair_rows(scope: Scope, questionnaire: Questionnaire) -> list[tuple[int, str, int, int, int]]:
    """(course, pair, area, before, after) for every pair in the scope, in one query."""
    before, after = aliased(OutcomeAnswer), aliased(OutcomeAnswer)
    before_score, after_score = aliased(OutcomeScore), aliased(OutcomeScore)
    statement = (
        sa.select(
            before.course_id,
            before.pair,
            before_score.area_id,
            before_score.score,
            after_score.score,
        )
        .join(after, sa.and_(after.pair == before.pair, after.moment == Moment.AFTER))
        .join(before_score, before_score.answer_id == before.id)
        .join(
            after_score,
            sa.and_(after_score.answer_id == after.id, after_score.area_id == before_score.area_id),
        )
        .where(
            before.moment == Moment.BEFORE,
            before.questionnaire_id == questionnaire.id,
            before.course_id.in_(_courses_in(scope)),
        )
    )
    return [tuple(row) for row in db.session.execute(statement)]  # type: ignore[misc]


def _rate_rows(scope: Scope) -> dict[int, tuple[str, CourseRates]]:
    """Per course: its title, and the people enrolled and the answers before and after."""

    def answers(moment: Moment) -> sa.ScalarSelect[int]:
        return (
            sa.select(sa.func.count(OutcomeAnswer.id))
            .where(OutcomeAnswer.course_id == Course.id, OutcomeAnswer.moment == moment)
            .correlate(Course)
            .scalar_subquery()
        )

    enrolled = (
        sa.select(sa.func.count(Enrolment.id))
        .where(Enrolment.course_id == Course.id, Enrolment.status == EnrolmentStatus.ENROLLED)
        .correlate(Course)
        .scalar_subquery()
    )
    statement = sa.select(
        Course.id, Course.title, enrolled, answers(Moment.BEFORE), answers(Moment.AFTER)
    ).where(Course.id.in_(_courses_in(scope)))
    return {
        course_id: (title, CourseRates(people, before, after))
        for course_id, title, people, before, after in db.session.execute(statement)
    }


def _gathered(
    scope: Scope, questionnaire: Questionnaire
) -> tuple[dict[int, list[tuple[str, int, int, int]]], dict[int, tuple[str, CourseRates]], int]:
    """The threshold, in its one place: the rows of the courses with at least MIN_PAIRS
    pairs, their rates, and how many courses with answers were left out."""
    by_course: dict[int, list[tuple[str, int, int, int]]] = defaultdict(list)
    for course_id, pair, area_id, before, after in _pair_rows(scope, questionnaire):
        by_course[course_id].append((pair, area_id, before, after))
    rates = _rate_rows(scope)
    kept = {
        course_id: rows
        for course_id, rows in by_course.items()
        if len({pair for pair, *_ in rows}) >= MIN_PAIRS
    }
    answered = {c for c, (_title, r) in rates.items() if r.before or r.after} | set(by_course)
    hidden = len(answered - set(kept))
    return kept, {c: rates[c] for c in kept if c in rates}, hidden


def report(scope: Scope) -> OutcomeReport:
    """Paired change per area for the scope, from gated courses only."""
    questionnaire = questionnaire_for_term(scope.term.id)
    if questionnaire is None:
        return OutcomeReport(scope, None)
    kept, rates, hidden = _gathered(scope, questionnaire)
    result = OutcomeReport(scope, questionnaire, courses_hidden=hidden)
    if not kept:
        return result
    by_area: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for rows in kept.values():
        for _pair, area_id, before, after in rows:
            befores, afters = by_area[area_id]
            befores.append(before)
            afters.append(after)
    for area in questionnaire.areas:
        if area.id in by_area:
            result.areas.append(AreaFigure(area, paired_change(*by_area[area.id])))
    result.courses_shown = sorted(((c, rates[c][0]) for c in rates), key=lambda c: c[1])
    result.rates = CourseRates(
        sum(r.enrolled for _t, r in rates.values()),
        sum(r.before for _t, r in rates.values()),
        sum(r.after for _t, r in rates.values()),
    )
    return result


def course_reports(parent: OutcomeReport) -> list[OutcomeReport]:
    """The drill-down: one report per course shown in ``parent``, each through the gate."""
    reports = []
    for course_id, _title in parent.courses_shown:
        course = db.session.get(Course, course_id)
        if course is not None:
            reports.append(report(replace(parent.scope, course=course)))
    return [r for r in reports if r.shown]
