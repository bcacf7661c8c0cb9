"""Changes to courses and sessions that other packages follow.

They are told through the signals ``session_changed`` and ``course_changed``
(``college.signals``), whose docs say what each receiver gets.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from college import signals
from college.db import now_utc
from college.extensions import db
from courses.models import Course, CourseSession, CourseStatus


class SessionChange(StrEnum):
    ADDED = "added"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    FACILITATORS = "facilitators"


class CourseChange(StrEnum):
    PUBLISHED = "published"
    UPDATED = "updated"
    CANCELLED = "cancelled"
    ARCHIVED = "archived"


def session_changed(session: CourseSession, kind: SessionChange, **details: Any) -> None:
    """Note a change; calendars that saw a published session must learn about it."""
    session.updated_at = now_utc()
    if session.course.status != CourseStatus.PUBLISHED:
        return
    if kind != SessionChange.ADDED:
        session.sequence += 1
    db.session.flush()
    signals.session_changed.send(signals.sender(), session=session, kind=kind, **details)


def course_changed(course: Course, kind: CourseChange, **details: Any) -> None:
    course.updated_at = now_utc()
    db.session.flush()
    signals.course_changed.send(signals.sender(), course=course, kind=kind, **details)
