"""Anonymous feedback: ratings stored with no link to the person who gave them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from college.db import now_utc
from college.errors import DomainError, NotFound
from college.extensions import db
from college.models import User
from courses.enrolment.models import FEEDBACK_AREAS, Enrolment, EnrolmentStatus, Feedback
from courses.enrolment.queries import find_enrolment, last_session_end
from courses.models import Course

# Fewer answers than this could point at a person, so nothing is shown until then.
MIN_FEEDBACK_ANSWERS = 5


class FeedbackNotOpen(DomainError):
    message = _l("Feedback for this course opens when the course has ended.")


class FeedbackAlreadyGiven(DomainError):
    status_code = 409
    message = _l("You have already given feedback on this course. Thank you!")


class InvalidScore(DomainError):
    message = _l("Please give every area a number from 0 to 10.")


def check_feedback_allowed(student: User, course: Course, now: datetime | None = None) -> Enrolment:
    """The student's enrolment if they may give feedback now, else the reason why not."""
    now = now or now_utc()
    enrolment = find_enrolment(course, student)
    if enrolment is None or enrolment.status != EnrolmentStatus.ENROLLED:
        raise NotFound()
    ended = last_session_end(course)
    if ended is None or ended > now:
        raise FeedbackNotOpen()
    if enrolment.feedback_given:
        raise FeedbackAlreadyGiven()
    return enrolment


def give_feedback(
    student: User,
    course: Course,
    scores: dict[str, int],
    comment: str | None,
    now: datetime | None = None,
) -> None:
    """Store the ratings without any link to the student; remember only that they answered."""
    enrolment = check_feedback_allowed(student, course, now)
    if set(scores) != set(FEEDBACK_AREAS) or any(
        isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10 for v in scores.values()
    ):
        raise InvalidScore()
    # Claim the "given" flag with a conditional update: a double submit stores one answer.
    claimed = db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.id == enrolment.id, Enrolment.feedback_given.is_(False))
        .values(feedback_given=True)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise FeedbackAlreadyGiven()
    db.session.refresh(enrolment, ["feedback_given"])
    text = (comment or "").strip() or None
    db.session.add(Feedback(course_id=course.id, comment=text, **scores))
    db.session.flush()


@dataclass
class FeedbackSummary:
    answers: int
    averages: dict[str, float] | None
    comments: list[str]


def feedback_summary(course: Course) -> FeedbackSummary:
    """Averages and comments, shown only once enough people answered to stay anonymous."""
    columns = [getattr(Feedback, area) for area in FEEDBACK_AREAS]
    row = db.session.execute(
        sa.select(sa.func.count(Feedback.id), *[sa.func.avg(c) for c in columns]).where(
            Feedback.course_id == course.id
        )
    ).one()
    answers = row[0] or 0
    if answers < MIN_FEEDBACK_ANSWERS:
        return FeedbackSummary(answers=answers, averages=None, comments=[])
    averages = {
        area: round(float(value), 1) for area, value in zip(FEEDBACK_AREAS, row[1:], strict=True)
    }
    # Sorted by text, not by when they came, so order tells nothing about who wrote what.
    comments = sorted(
        db.session.scalars(
            sa.select(Feedback.comment).where(
                Feedback.course_id == course.id, Feedback.comment.is_not(None)
            )
        )
    )
    return FeedbackSummary(answers=answers, averages=averages, comments=[c for c in comments if c])
