"""Read-only questions about enrolments that several modules ask."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm

from college.extensions import db
from college.models import User
from courses.enrolment.models import Enrolment, EnrolmentStatus
from courses.models import Course, CourseSession, CourseStatus, SessionStatus


def first_session_start(course: Course) -> datetime | None:
    return db.session.scalar(
        sa.select(sa.func.min(CourseSession.starts_at)).where(
            CourseSession.course_id == course.id,
            CourseSession.status == SessionStatus.SCHEDULED,
        )
    )


def last_session_end(course: Course) -> datetime | None:
    return db.session.scalar(
        sa.select(sa.func.max(CourseSession.ends_at)).where(
            CourseSession.course_id == course.id,
            CourseSession.status == SessionStatus.SCHEDULED,
        )
    )


def find_enrolment(course: Course, student: User) -> Enrolment | None:
    """The student's row for the course, read afresh (another request may have changed it)."""
    return db.session.scalar(
        sa.select(Enrolment)
        .where(Enrolment.course_id == course.id, Enrolment.student_id == student.id)
        .execution_options(populate_existing=True)
    )


# Every sign-up asks this, so the statement is built once.
COURSE_FOR_SIGN_UP = (
    sa.select(Course, Enrolment)
    .outerjoin(
        Enrolment,
        sa.and_(Enrolment.course_id == Course.id, Enrolment.student_id == sa.bindparam("student")),
    )
    # Drafts do not exist for the people who sign up.
    .where(Course.slug == sa.bindparam("slug"), Course.status != CourseStatus.DRAFT)
    .options(sa.orm.joinedload(Course.term, innerjoin=True), sa.orm.joinedload(Course.sessions))
    .execution_options(populate_existing=True)
)


def find_course_for_sign_up(slug: str, student: User) -> tuple[Course, Enrolment | None] | None:
    """The course by its slug, unless it is a draft, with its term and sessions, and the
    student's own row for it if there is one; None when there is no such course.

    Enrolment checks the dates and the first session, and a seat sends an invitation for
    each session ahead, so all of it is read, in one statement, before the course row is
    locked. The student's row is read afresh: another request may have changed it.
    """
    found = db.session.execute(COURSE_FOR_SIGN_UP, {"slug": slug, "student": student.id})
    row = found.unique().first()
    return None if row is None else (row[0], row[1])


def is_enrolled(student_id: int, course_id: int) -> bool:
    found = db.session.scalar(
        sa.select(Enrolment.id).where(
            Enrolment.course_id == course_id,
            Enrolment.student_id == student_id,
            Enrolment.status == EnrolmentStatus.ENROLLED,
        )
    )
    return found is not None


def _queue(course_id: int) -> sa.Select[Any]:
    return (
        sa.select(Enrolment)
        .where(Enrolment.course_id == course_id, Enrolment.status == EnrolmentStatus.WAITLISTED)
        .order_by(Enrolment.waitlist_number)
    )


def waiting_list(course: Course) -> list[Enrolment]:
    """The waiting list in order, with the people loaded (for admins)."""
    query = _queue(course.id).where(Enrolment.student_id.is_not(None))
    query = query.options(sa.orm.joinedload(Enrolment.student))
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def head_of_list(course: Course) -> Enrolment | None:
    query = _queue(course.id).limit(1).execution_options(populate_existing=True)
    return db.session.scalars(query).first()


def waitlist_position(enrolment: Enrolment) -> int | None:
    """1 for the head of the list; None when not waiting. Positions never have gaps."""
    if enrolment.status != EnrolmentStatus.WAITLISTED or enrolment.waitlist_number is None:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Enrolment)
        .where(
            Enrolment.course_id == enrolment.course_id,
            Enrolment.status == EnrolmentStatus.WAITLISTED,
            Enrolment.waitlist_number < enrolment.waitlist_number,
        )
    )
    return (ahead or 0) + 1


def waitlist_positions(enrolments: Iterable[Enrolment]) -> dict[int, int]:
    """``waitlist_position`` for many enrolments in one query: enrolment id -> position."""
    waiting = [
        e.id
        for e in enrolments
        if e.status == EnrolmentStatus.WAITLISTED and e.waitlist_number is not None
    ]
    if not waiting:
        return {}
    ahead = sa.orm.aliased(Enrolment)
    rows = db.session.execute(
        sa.select(Enrolment.id, sa.func.count(ahead.id))
        .outerjoin(
            ahead,
            sa.and_(
                ahead.course_id == Enrolment.course_id,
                ahead.status == EnrolmentStatus.WAITLISTED,
                ahead.waitlist_number < Enrolment.waitlist_number,
            ),
        )
        .where(Enrolment.id.in_(waiting))
        .group_by(Enrolment.id)
    )
    return {enrolment_id: count + 1 for enrolment_id, count in rows}


@dataclass(frozen=True)
class Queue:
    """The waiting list of a course as a newcomer finds it."""

    last_number: int
    waiting: int

    @property
    def next_number(self) -> int:
        """The number after the last one handed out (numbers are never reused)."""
        return self.last_number + 1

    @property
    def next_position(self) -> int:
        """Everyone waiting is ahead of a newcomer (``waitlist_position`` agrees later)."""
        return self.waiting + 1


def read_queue(course: Course) -> Queue:
    """The waiting list as a newcomer finds it; read with the course row already locked.

    A statement of its own, after the lock: a locking statement that had to wait sees the
    locked row as it is now, but anything else it reads as it was when it began, so it
    would miss the seats and numbers handed out by the transaction it waited for. Two
    lookups in one trip, each along its own index, so a sign-up does not read the rows
    of everyone enrolled.
    """
    last_number = (
        sa.select(sa.func.max(Enrolment.waitlist_number))
        .where(Enrolment.course_id == course.id)
        .scalar_subquery()
    )
    waiting = (
        sa.select(sa.func.count())
        .select_from(Enrolment)
        .where(Enrolment.course_id == course.id, Enrolment.status == EnrolmentStatus.WAITLISTED)
        .scalar_subquery()
    )
    last, count = db.session.execute(sa.select(last_number, waiting)).one()
    return Queue(last or 0, count)


def waiting_counts(course_ids: Iterable[int]) -> dict[int, int]:
    """How many people wait for each course: the demand that asks for another run."""
    ids = list(course_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Enrolment.course_id, sa.func.count())
        .where(Enrolment.course_id.in_(ids), Enrolment.status == EnrolmentStatus.WAITLISTED)
        .group_by(Enrolment.course_id)
    )
    return {course_id: count for course_id, count in rows}
