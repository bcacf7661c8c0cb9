"""Questionnaire versions, and the anonymous before and after ratings with their pairing.

Every write about outcomes is here. The pairing value is made with ``secrets``, stored on
the student's ``OutcomePairing`` and on their first answer, and removed from the pairing as
soon as the second answer arrives or the window closes; it is never logged or shown.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from college.db import changed_rows, now_utc
from college.errors import DomainError, NotFound
from college.extensions import db
from courses.enrolment.models import Enrolment, EnrolmentStatus
from courses.enrolment.queries import last_session_end
from courses.models import Course, CourseSession, SessionStatus
from courses.outcomes.models import (
    Moment,
    OutcomeAnswer,
    OutcomeArea,
    OutcomePairing,
    OutcomeScore,
    Questionnaire,
    Step,
    TermQuestionnaire,
)

log = logging.getLogger(__name__)

# The rating after the course is asked for as long as feedback is (``notices``), no longer.
AFTER_WINDOW = timedelta(days=60)
MAX_AREAS = 12


class RatingNotOpen(DomainError):
    message = _l("This rating is not open now. Thank you all the same!")


class RatingAlreadyDone(DomainError):
    status_code = 409
    message = _l("You have already answered or skipped this. Thank you!")


class InvalidRating(DomainError):
    message = _l("Please give every statement a number from 0 to 10.")


class InvalidAreas(DomainError):
    message = _l(
        "Please give between 1 and 12 statements, each in English and Danish, "
        "with the words for 0 and 10 in both languages."
    )


class NoQuestionnaire(DomainError):
    status_code = 404
    message = _l("The college has not set its outcome areas yet.")


# --- questionnaire versions -----------------------------------------------------------------


@dataclass(frozen=True)
class AreaText:
    """What an administrator writes for one area."""

    statement_en: str
    statement_da: str
    low_en: str
    low_da: str
    high_en: str
    high_da: str


def area_text(area: OutcomeArea) -> AreaText:
    return AreaText(
        area.statement_en, area.statement_da, area.low_en, area.low_da, area.high_en, area.high_da
    )


def latest_questionnaire() -> Questionnaire | None:
    return db.session.scalar(
        sa.select(Questionnaire).order_by(Questionnaire.version.desc()).limit(1)
    )


def save_areas(areas: Sequence[AreaText]) -> Questionnaire:
    """Make a new version with these areas, or keep the latest one if nothing changed.

    Past versions are never edited, so every answer keeps the statements it was given.
    """
    cleaned = [AreaText(*(part.strip() for part in vars(area).values())) for area in areas]
    if not 1 <= len(cleaned) <= MAX_AREAS or any(not all(vars(a).values()) for a in cleaned):
        raise InvalidAreas()
    latest = latest_questionnaire()
    if latest is not None and [area_text(a) for a in latest.areas] == cleaned:
        return latest
    version = Questionnaire(version=(latest.version + 1) if latest else 1)
    db.session.add(version)
    for position, area in enumerate(cleaned, start=1):
        version.areas.append(OutcomeArea(position=position, **vars(area)))
    db.session.flush()
    log.info("outcome questionnaire version %s made", version.version)
    return version


def questionnaire_for_term(term_id: int) -> Questionnaire | None:
    """The version a term uses: the one fixed for it, else the latest (not yet fixed)."""
    fixed = db.session.scalar(
        sa.select(Questionnaire)
        .join(TermQuestionnaire, TermQuestionnaire.questionnaire_id == Questionnaire.id)
        .where(TermQuestionnaire.term_id == term_id)
    )
    return fixed or latest_questionnaire()


def fix_questionnaire(term_id: int) -> Questionnaire:
    """The term's version, fixed now if it was not, so all of a term's answers compare."""
    questionnaire = questionnaire_for_term(term_id)
    if questionnaire is None:
        raise NoQuestionnaire()
    if db.session.get(TermQuestionnaire, term_id) is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    TermQuestionnaire(term_id=term_id, questionnaire_id=questionnaire.id)
                )
        except IntegrityError:  # another answer fixed it a moment ago: use that one
            return questionnaire_for_term(term_id) or questionnaire
    return questionnaire


# --- when each rating is open -----------------------------------------------------------------


def first_session_end(course: Course) -> datetime | None:
    return db.session.scalar(
        sa.select(sa.func.min(CourseSession.ends_at)).where(
            CourseSession.course_id == course.id,
            CourseSession.status == SessionStatus.SCHEDULED,
        )
    )


def is_open(moment: Moment, course: Course, now: datetime) -> bool:
    """Before: until the first session ends. After: from the end, for ``AFTER_WINDOW``."""
    if moment == Moment.BEFORE:
        ends = first_session_end(course)
        return ends is not None and now < ends
    last = last_session_end(course)
    return last is not None and last <= now < last + AFTER_WINDOW


def pairing_of(enrolment: Enrolment) -> OutcomePairing | None:
    return db.session.get(OutcomePairing, enrolment.id, populate_existing=True)


def is_due(enrolment: Enrolment, moment: Moment, now: datetime | None = None) -> bool:
    """Whether to offer this rating: enrolled, open, and neither answered nor skipped."""
    if enrolment.status != EnrolmentStatus.ENROLLED:
        return False
    pairing = pairing_of(enrolment)
    if pairing is not None and getattr(pairing, moment.value) is not None:
        return False
    return is_open(moment, enrolment.course, now or now_utc())


def check_open(enrolment: Enrolment, moment: Moment, now: datetime | None = None) -> None:
    """Refuse with the reason when the rating cannot be given now."""
    if enrolment.status != EnrolmentStatus.ENROLLED:
        raise NotFound()
    pairing = pairing_of(enrolment)
    if pairing is not None and getattr(pairing, moment.value) is not None:
        raise RatingAlreadyDone()
    if not is_open(moment, enrolment.course, now or now_utc()):
        raise RatingNotOpen()


def session_ends_by_course() -> sa.Subquery:
    """Per course, when its first and last scheduled sessions end (`first_end`, `last_end`)."""
    return (
        sa.select(
            CourseSession.course_id,
            sa.func.min(CourseSession.ends_at).label("first_end"),
            sa.func.max(CourseSession.ends_at).label("last_end"),
        )
        .where(CourseSession.status == SessionStatus.SCHEDULED)
        .group_by(CourseSession.course_id)
        .subquery()
    )


def due_ratings(enrolment_ids: Sequence[int], now: datetime | None = None) -> dict[int, Moment]:
    """Of these enrolments, which rating each is invited to now: one query for My courses."""
    if not enrolment_ids or latest_questionnaire() is None:
        return {}
    now = now or now_utc()
    ends = session_ends_by_course()
    rows = db.session.execute(
        sa.select(
            Enrolment.id,
            ends.c.first_end,
            ends.c.last_end,
            OutcomePairing.before,
            OutcomePairing.after,
        )
        .join(ends, ends.c.course_id == Enrolment.course_id)
        .outerjoin(OutcomePairing, OutcomePairing.enrolment_id == Enrolment.id)
        .where(Enrolment.id.in_(enrolment_ids), Enrolment.status == EnrolmentStatus.ENROLLED)
    )
    due: dict[int, Moment] = {}
    for enrolment_id, first_end, last_end, before, after in rows:
        if before is None and now < first_end:
            due[enrolment_id] = Moment.BEFORE
        elif after is None and last_end <= now < last_end + AFTER_WINDOW:
            due[enrolment_id] = Moment.AFTER
    return due


# --- answering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One area of "what changed for you": shown once, stored nowhere with a name."""

    statement: str
    before: int
    after: int

    @property
    def difference(self) -> int:
        return self.after - self.before


def _claim(enrolment: Enrolment, moment: Moment, step: Step) -> OutcomePairing:
    """Mark the step done with a conditional write, so a double submit counts once."""
    if pairing_of(enrolment) is None:
        try:
            with db.session.begin_nested():
                db.session.add(OutcomePairing(enrolment_id=enrolment.id))
        except IntegrityError:
            pass  # made by a request a moment ago; the claim below decides
    column = getattr(OutcomePairing, moment.value)
    claimed = db.session.execute(
        sa.update(OutcomePairing)
        .where(OutcomePairing.enrolment_id == enrolment.id, column.is_(None))
        .values({moment.value: step.value})
        .execution_options(synchronize_session=False)
    )
    if changed_rows(claimed) != 1:
        raise RatingAlreadyDone()
    pairing = pairing_of(enrolment)
    if pairing is None:  # the enrolment went in the meantime
        raise NotFound()
    return pairing


def _checked_scores(questionnaire: Questionnaire, scores: Mapping[int, int]) -> dict[int, int]:
    area_ids = {area.id for area in questionnaire.areas}
    if set(scores) != area_ids or any(
        isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10 for v in scores.values()
    ):
        raise InvalidRating()
    return dict(scores)


def skip(enrolment: Enrolment, moment: Moment, now: datetime | None = None) -> None:
    """Skip a rating: fine, remembered, and never asked again."""
    check_open(enrolment, moment, now)
    pairing = _claim(enrolment, moment, Step.SKIPPED)
    if moment == Moment.AFTER:
        pairing.pair = None  # nothing left to pair
    db.session.flush()


def rate(
    enrolment: Enrolment,
    moment: Moment,
    scores: Mapping[int, int],
    now: datetime | None = None,
) -> list[Change] | None:
    """Store an anonymous answer; after the course, return the student's own change.

    The answer row names no one. Before the course it gets a fresh random ``pair`` value,
    which the student's pairing keeps. After the course it is stored with the same value,
    both answers then get a new one, and the pairing forgets it: from then on nothing ties
    the two answers to the student. The change is returned for the page to show once.
    """
    check_open(enrolment, moment, now)
    course = enrolment.course
    questionnaire = fix_questionnaire(course.term_id)
    checked = _checked_scores(questionnaire, scores)
    pairing = _claim(enrolment, moment, Step.ANSWERED)
    answer = OutcomeAnswer(course_id=course.id, questionnaire_id=questionnaire.id, moment=moment)
    answer.scores = [OutcomeScore(area_id=a, score=s) for a, s in checked.items()]
    change = None
    if moment == Moment.BEFORE:
        pairing.pair = answer.pair = secrets.token_hex(16)
    else:
        before = _before_answer(pairing.pair, course.id, questionnaire.id)
        if before is not None:
            before.pair = answer.pair = secrets.token_hex(16)
            change = _change(questionnaire, before, checked)
        pairing.pair = None
    db.session.add(answer)
    db.session.flush()
    log.info("course %s: an outcome rating (%s) stored", course.id, moment.value)
    return change


def _before_answer(pair: str | None, course_id: int, questionnaire_id: int) -> OutcomeAnswer | None:
    if pair is None:
        return None
    return db.session.scalar(
        sa.select(OutcomeAnswer).where(
            OutcomeAnswer.pair == pair,
            OutcomeAnswer.moment == Moment.BEFORE,
            OutcomeAnswer.course_id == course_id,
            OutcomeAnswer.questionnaire_id == questionnaire_id,
        )
    )


def _change(
    questionnaire: Questionnaire, before: OutcomeAnswer, after: Mapping[int, int]
) -> list[Change]:
    earlier = {score.area_id: score.score for score in before.scores}
    return [
        Change(area.statement, earlier[area.id], after[area.id])
        for area in questionnaire.areas
        if area.id in earlier
    ]


# --- forgetting the link ------------------------------------------------------------------------


def forget_closed_pairings(now: datetime) -> int:
    """Remove the pairing value of every course whose rating window has closed."""
    last_end = (
        sa.select(sa.func.max(CourseSession.ends_at))
        .join(Enrolment, Enrolment.course_id == CourseSession.course_id)
        .where(
            Enrolment.id == OutcomePairing.enrolment_id,
            CourseSession.status == SessionStatus.SCHEDULED,
        )
        .correlate(OutcomePairing)
        .scalar_subquery()
    )
    # A course with no scheduled session left (cancelled) has no window either.
    closed = sa.or_(last_end.is_(None), last_end <= now - AFTER_WINDOW)
    result = db.session.execute(
        sa.update(OutcomePairing)
        .where(OutcomePairing.pair.is_not(None), closed)
        .values(pair=None)
        .execution_options(synchronize_session=False)
    )
    count = changed_rows(result)
    if count:
        log.info("outcomes: %s pairing links removed after their window", count)
    return count


forget_closed_pairings.retention_label = "the link between a student's before and after ratings"  # type: ignore[attr-defined]


def forget_pairings_of(enrolment_ids: sa.Select[Any]) -> None:
    """Remove the pairing values of these enrolments (a person's erasure)."""
    db.session.execute(
        sa.update(OutcomePairing)
        .where(OutcomePairing.enrolment_id.in_(enrolment_ids))
        .values(pair=None)
        .execution_options(synchronize_session=False)
    )
