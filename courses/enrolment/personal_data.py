"""What the enrolment package keeps about people: export and erasure."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from college.extensions import db
from college.models import User
from courses.enrolment.models import Attendance, Enrolment
from courses.enrolment.services import withdraw_for_erasure
from courses.models import Course, CourseSession

TABLES = ("enrolments", "attendances")


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
    return {
        "enrolments": [
            {
                "course": title,
                "status": e.status,
                "since": e.created_at.isoformat(),
                "feedback_given": e.feedback_given,
            }
            for title, e in enrolments
        ],
        "attendance": [
            {"course": title, "session_starts_at": starts.isoformat(), "mark": status}
            for title, starts, status in marks
        ],
    }


def erase_enrolments(user: User) -> None:
    """Leave courses still to come (places pass on); marks recorded *by* them lose the name."""
    withdraw_for_erasure(user)
    db.session.execute(
        sa.update(Attendance)
        .where(Attendance.recorded_by_id == user.id, Attendance.student_id != user.id)
        .values(recorded_by_id=None)
        .execution_options(synchronize_session=False)
    )
