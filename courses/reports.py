"""Figures for a term or a course: places and waiting lists, attendance, feedback.

Read-only questions, each answered with one query however many courses, sessions or people
there are, so that the dashboard and the report pages stay fast as the college grows.
Counts only: no one's name is in a figure, and feedback averages appear only once at least
``MIN_FEEDBACK_ANSWERS`` people answered, so no answer can be traced to a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from college.db import now_utc
from college.extensions import db
from courses.enrolment.feedback import MIN_FEEDBACK_ANSWERS
from courses.enrolment.models import (
    FEEDBACK_AREAS,
    Attendance,
    AttendanceStatus,
    Enrolment,
    EnrolmentStatus,
    Feedback,
)
from courses.models import Course, CourseSession, CourseStatus, SessionStatus, Term
from courses.times import local_today

# Drafts have no students yet; every other course counts in the term's figures.
REPORTED = (CourseStatus.PUBLISHED, CourseStatus.CANCELLED, CourseStatus.ARCHIVED)


# --- terms ----------------------------------------------------------------------------------


def all_terms() -> list[Term]:
    """Every term, the latest first (the term selector's choices)."""
    return list(db.session.scalars(sa.select(Term).order_by(Term.starts_on.desc(), Term.id)))


def default_term(terms: list[Term], today: date | None = None) -> Term | None:
    """The term under way today, else the next to come, else the last one that ended."""
    today = today or local_today()
    running = [t for t in terms if t.starts_on <= today <= t.ends_on]
    coming = sorted((t for t in terms if t.starts_on > today), key=lambda t: t.starts_on)
    choices = running or coming or terms
    return choices[0] if choices else None


def chosen_term(args: Mapping[str, str], terms: list[Term]) -> Term | None:
    """The term asked for in ``?term=``; anything else quietly means the default term."""
    wanted = args.get("term", "")
    if wanted.isdigit():
        for term in terms:
            if term.id == int(wanted):
                return term
    return default_term(terms)


def _scope(statement: Any, term: Term | None, course: Course | None) -> Any:
    statement = statement.where(Course.status.in_(REPORTED))
    if term is not None:
        statement = statement.where(Course.term_id == term.id)
    if course is not None:
        statement = statement.where(Course.id == course.id)
    return statement


# --- places and waiting lists -----------------------------------------------------------------


@dataclass(frozen=True)
class CoursePlaces:
    course_id: int
    title: str
    status: str
    capacity: int
    enrolled: int
    offered: int
    waiting: int

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.enrolled - self.offered, 0)


def _count_of(status: EnrolmentStatus) -> sa.ColumnElement[int]:
    matches = sa.case((Enrolment.status == status, 1), else_=0)
    return sa.func.coalesce(sa.func.sum(matches), 0)


def places_figures(term: Term | None = None, course: Course | None = None) -> list[CoursePlaces]:
    """Per course: places, people enrolled, places held for an offer, people waiting."""
    statement = (
        sa.select(
            Course.id,
            Course.title,
            Course.status,
            Course.capacity,
            _count_of(EnrolmentStatus.ENROLLED),
            _count_of(EnrolmentStatus.OFFERED),
            _count_of(EnrolmentStatus.WAITLISTED),
        )
        .outerjoin(Enrolment, Enrolment.course_id == Course.id)
        .group_by(Course.id, Course.title, Course.status, Course.capacity)
        .order_by(Course.title, Course.id)
    )
    rows = db.session.execute(_scope(statement, term, course))
    return [CoursePlaces(*row) for row in rows]  # columns in field order


# --- attendance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionAttendance:
    session_id: int
    course_id: int
    course_title: str
    starts_at: datetime
    present: int
    apologies: int
    absent: int
    enrolled: int

    @property
    def not_marked(self) -> int:
        """Enrolled people with no mark yet (never below zero if someone left later)."""
        return max(self.enrolled - self.present - self.apologies - self.absent, 0)


def _marks_of(status: AttendanceStatus) -> sa.ColumnElement[int]:
    matches = sa.case((Attendance.status == status, 1), else_=0)
    return sa.func.coalesce(sa.func.sum(matches), 0)


def attendance_figures(
    term: Term | None = None,
    course: Course | None = None,
    *,
    latest: int | None = None,
    now: datetime | None = None,
) -> list[SessionAttendance]:
    """Marks per session held so far, oldest first; ``latest`` keeps only the last few."""
    held = (
        CourseSession.status == SessionStatus.SCHEDULED,
        CourseSession.starts_at <= (now or now_utc()),
        # Drop-in sessions have a head count instead (``courses.dropin.reports``).
        Course.drop_in.is_(False),
    )
    enrolled = (
        sa.select(sa.func.count(Enrolment.id))
        .where(
            Enrolment.course_id == CourseSession.course_id,
            Enrolment.status == EnrolmentStatus.ENROLLED,
        )
        .correlate(CourseSession)
        .scalar_subquery()
    )
    statement = (
        sa.select(
            CourseSession.id,
            Course.id,
            Course.title,
            CourseSession.starts_at,
            _marks_of(AttendanceStatus.PRESENT),
            _marks_of(AttendanceStatus.APOLOGIES),
            _marks_of(AttendanceStatus.ABSENT),
            enrolled,
        )
        .join(Course, CourseSession.course_id == Course.id)
        .outerjoin(Attendance, Attendance.session_id == CourseSession.id)
        .where(*held)
        .group_by(CourseSession.id, Course.id, Course.title, CourseSession.starts_at)
        .order_by(CourseSession.starts_at.desc(), CourseSession.id.desc())
    )
    if latest is not None:
        # Pick the sessions first, then count their marks: not every register of the term.
        newest = (
            sa.select(CourseSession.id)
            .join(Course, CourseSession.course_id == Course.id)
            .where(*held)
            .order_by(CourseSession.starts_at.desc(), CourseSession.id.desc())
            .limit(latest)
        )
        statement = statement.where(CourseSession.id.in_(_scope(newest, term, course)))
    rows = [SessionAttendance(*row) for row in db.session.execute(_scope(statement, term, course))]
    return rows[::-1]


# --- feedback ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseFeedback:
    course_id: int
    title: str
    answers: int
    # None until enough people answered to stay anonymous.
    averages: dict[str, float] | None


def feedback_figures(
    term: Term | None = None, course: Course | None = None
) -> list[CourseFeedback]:
    """Average scores per course and area (0-10), only where at least five people answered."""
    statement = (
        sa.select(
            Course.id,
            Course.title,
            sa.func.count(Feedback.id),
            *[sa.func.avg(getattr(Feedback, area)) for area in FEEDBACK_AREAS],
        )
        .join(Feedback, Feedback.course_id == Course.id)
        .group_by(Course.id, Course.title)
        .order_by(Course.title, Course.id)
    )
    figures = []
    for course_id, title, answers, *averages in db.session.execute(_scope(statement, term, course)):
        shown = None
        if answers >= MIN_FEEDBACK_ANSWERS:
            shown = {
                area: round(float(value), 1)
                for area, value in zip(FEEDBACK_AREAS, averages, strict=True)
            }
        figures.append(CourseFeedback(course_id, title, answers, shown))
    return figures
