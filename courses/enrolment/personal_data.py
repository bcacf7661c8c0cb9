"""What the enrolment package keeps about people: export, erasure and retention.

Erasure and retention forget people the same way (``forget_people``): the enrolment and
the register mark stay, so the term's figures keep counting them, but the row no longer
says whose it was, who marked it, or when the person was reminded or invited.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from college.db import changed_rows
from college.extensions import db
from college.models import User
from college.privacy import ValueName
from courses.enrolment.models import (
    Attendance,
    AttendanceStatus,
    Companion,
    CompanionRelation,
    CompanionStatus,
    Enrolment,
    EnrolmentStatus,
)
from courses.enrolment.services import withdraw_for_erasure
from courses.models import Course, CourseSession, Term
from courses.times import to_local

log = logging.getLogger(__name__)

TABLES = ("enrolments", "attendances", "companions")
# What the page "My data" calls this package's part of the export.
LABELS: dict[str, Any] = {
    "enrolment": _l("Courses you take part in"),
    "enrolments": _l("Enrolments"),
    "since": _l("Since"),
    "feedback_given": _l("Feedback given"),
    "attendance": _l("Attendance"),
    "session_starts_at": _l("Session"),
    "mark": _l("Marked as"),
    "companions": _l("People you signed up to come with you"),
    "name": _l("Name"),
    "email": _l("Email address"),
    "relation": _l("Who they are to you"),
}
VALUES: dict[str, ValueName] = {
    "enrolments.status": EnrolmentStatus.label_of,
    "attendance.mark": AttendanceStatus.label_of,
    "companions.status": CompanionStatus.label_of,
    "companions.relation": CompanionRelation.label_of,
}


def export_enrolments(user: User) -> dict[str, Any]:
    """Courses, queue places and attendance marks; feedback is anonymous, so never included."""
    enrolments = db.session.execute(
        sa.select(Course.title, Enrolment)
        .join(Course, Enrolment.course_id == Course.id)
        .where(Enrolment.student_id == user.id)
        .order_by(Enrolment.created_at, Enrolment.id)
    ).all()
    marks = db.session.execute(
        sa.select(Course.title, CourseSession.starts_at, Attendance.status)
        .join(CourseSession, Attendance.session_id == CourseSession.id)
        .join(Course, CourseSession.course_id == Course.id)
        .where(Attendance.student_id == user.id)
        .order_by(CourseSession.starts_at)
    ).all()
    companions = db.session.execute(
        sa.select(Course.title, Companion)
        .join(Course, Companion.course_id == Course.id)
        .join(Enrolment, Companion.student_enrolment_id == Enrolment.id)
        .where(Enrolment.student_id == user.id)
        .order_by(Companion.created_at, Companion.id)
    ).all()
    return {
        "companions": [
            {
                "course": title,
                "name": c.name,
                "email": c.email,
                "relation": c.relation,
                "status": c.status,
                "since": c.created_at,
            }
            for title, c in companions
        ],
        "enrolments": [
            {
                "course": title,
                "status": e.status,
                "since": e.created_at,
                "feedback_given": e.feedback_given,
            }
            for title, e in enrolments
        ],
        "attendance": [
            {"course": title, "session_starts_at": starts, "mark": status}
            for title, starts, status in marks
        ],
    }


def forget_people(
    enrolments: sa.ColumnElement[bool],
    marks: sa.ColumnElement[bool],
    recorded: sa.ColumnElement[bool] | None = None,
) -> int:
    """Unlink the matching enrolments and marks from people; statuses and counts stay.

    ``recorded`` also clears who recorded the marks it matches (e.g. a person's marks on
    other people's registers). Returns how many rows changed; rows already forgotten do not
    match again, so a second call changes nothing.
    """
    # First, while the enrolments still say whose they are: the companion's name and address
    # that the student typed.
    changed = changed_rows(
        db.session.execute(
            sa.update(Companion)
            .where(
                Companion.student_enrolment_id.in_(sa.select(Enrolment.id).where(enrolments)),
                sa.or_(Companion.name.is_not(None), Companion.email.is_not(None)),
            )
            .values(name=None, email=None, token_hash=None)
            .execution_options(synchronize_session="fetch")
        )
    )
    changed += changed_rows(
        db.session.execute(
            sa.update(Enrolment)
            .where(enrolments, Enrolment.student_id.is_not(None))
            .values(
                student_id=None,
                offer_expires_at=None,
                reminder_sent_at=None,
                feedback_invited_at=None,
            )
            .execution_options(synchronize_session="fetch")
        )
    )
    changed += changed_rows(
        db.session.execute(
            sa.update(Attendance)
            .where(marks, Attendance.student_id.is_not(None))
            .values(student_id=None, recorded_by_id=None)
            .execution_options(synchronize_session="fetch")
        )
    )
    if recorded is not None:
        db.session.execute(
            sa.update(Attendance)
            .where(recorded, Attendance.recorded_by_id.is_not(None))
            .values(recorded_by_id=None)
            .execution_options(synchronize_session="fetch")
        )
    return changed


def erase_enrolments(user: User) -> None:
    """Leave courses still to come (places pass on); what stays no longer names them."""
    withdraw_for_erasure(user)
    forget_people(
        Enrolment.student_id == user.id,
        Attendance.student_id == user.id,
        recorded=Attendance.recorded_by_id == user.id,
    )


# --- retention ----------------------------------------------------------------------------------


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def forget_old_terms(now: datetime) -> int:
    """Enrolments, waiting lists and registers of terms over for the retention period.

    The term's figures (places, waiting lists, attendance per session, feedback) stay the
    same: only the link to each person goes. Returns how many rows were cleared.
    """
    months = current_app.config["RETENTION_MONTHS_AFTER_TERM"]
    cutoff = months_before(to_local(now).date(), months)
    old_courses = sa.select(Course.id).join(Term, Course.term_id == Term.id)
    old_courses = old_courses.where(Term.ends_on < cutoff)
    old_sessions = sa.select(CourseSession.id).where(CourseSession.course_id.in_(old_courses))
    count = forget_people(
        Enrolment.course_id.in_(old_courses), Attendance.session_id.in_(old_sessions)
    )
    if count:
        log.info("retention: %s enrolments and marks of old terms forgotten", count)
    return count


forget_old_terms.retention_label = "enrolments and registers after their term"  # type: ignore[attr-defined]
