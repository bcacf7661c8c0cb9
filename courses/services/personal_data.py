"""What the courses package keeps about people: export and erasure."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from college.db import now_utc
from college.extensions import db
from college.models import User
from college.privacy import ValueName
from courses.models import (
    CalendarEntry,
    Course,
    CourseFacilitator,
    CourseSession,
    FacilitatorRole,
    SessionFacilitator,
)
from courses.services.events import SessionChange, session_changed

# What the page "My data" calls this package's part of the export.
LABELS: dict[str, Any] = {
    "teaching": _l("Teaching"),
    "sessions_facilitated": _l("Sessions you taught"),
    "default_facilitator_of": _l("Courses you teach"),
    "calendar_entries": _l("Sessions we sent to your calendar"),
}
VALUES: dict[str, ValueName] = {
    "sessions_facilitated.role": FacilitatorRole.label_of,
    "default_facilitator_of.role": FacilitatorRole.label_of,
}


def export_teaching(user: User) -> dict[str, Any]:
    """What the courses package keeps about a person: where they teach."""
    sessions = db.session.execute(
        sa.select(
            Course.title, CourseSession.starts_at, CourseSession.ends_at, SessionFacilitator.role
        )
        .join(CourseSession, SessionFacilitator.session_id == CourseSession.id)
        .join(Course, CourseSession.course_id == Course.id)
        .where(SessionFacilitator.user_id == user.id)
        .order_by(CourseSession.starts_at)
    )
    pairs = db.session.execute(
        sa.select(Course.title, CourseFacilitator.role)
        .join(Course, CourseFacilitator.course_id == Course.id)
        .where(CourseFacilitator.user_id == user.id)
        .order_by(Course.title)
    )
    sent = db.session.execute(
        sa.select(Course.title, CourseSession.starts_at, CalendarEntry.sent_at)
        .join(CourseSession, CalendarEntry.session_id == CourseSession.id)
        .join(Course, CourseSession.course_id == Course.id)
        .where(CalendarEntry.user_id == user.id, CalendarEntry.digest.is_not(None))
        .order_by(CourseSession.starts_at)
    )
    return {
        "sessions_facilitated": [
            {"course": t, "starts_at": s, "ends_at": e, "role": r} for t, s, e, r in sessions
        ],
        "default_facilitator_of": [{"course": t, "role": r} for t, r in pairs],
        "calendar_entries": [{"course": t, "starts_at": s, "sent_at": at} for t, s, at in sent],
    }


def erase_teaching(user: User) -> None:
    """Take an erased person off courses and sessions still to come; the past stays counted.

    What was sent to their calendar goes too: it says which sessions they took part in.
    First the entries still ahead are taken out of their calendar (CANCELs that name
    neither them nor a course).
    """
    from courses.invites import take_out_on_erasure

    take_out_on_erasure(user)
    db.session.execute(sa.delete(CalendarEntry).where(CalendarEntry.user_id == user.id))
    db.session.execute(sa.delete(CourseFacilitator).where(CourseFacilitator.user_id == user.id))
    upcoming = db.session.scalars(
        sa.select(SessionFacilitator)
        .join(CourseSession, SessionFacilitator.session_id == CourseSession.id)
        .where(SessionFacilitator.user_id == user.id, CourseSession.starts_at > now_utc())
    ).all()
    for row in upcoming:
        session = row.session
        session.facilitators.remove(row)
        db.session.flush()
        session_changed(
            session, SessionChange.FACILITATORS, added_user_ids=[], removed_user_ids=[user.id]
        )
