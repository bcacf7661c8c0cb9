"""Listeners other packages register to follow changes to courses and sessions."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from flask import current_app

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


SessionListener = Callable[..., None]


def session_change_listeners() -> list[SessionListener]:
    """Called as ``listener(session, kind, **details)`` after a published session changes.

    A session cancelled because its whole course is gets ``with_course=True``.
    """
    return current_app.extensions.setdefault("courses.session_change_listeners", [])


def course_change_listeners() -> list[Callable[..., None]]:
    """Called as ``listener(course, kind, **details)`` when a course goes public or ends."""
    return current_app.extensions.setdefault("courses.course_change_listeners", [])


def session_changed(session: CourseSession, kind: SessionChange, **details: Any) -> None:
    """Note a change; calendars that saw a published session must learn about it."""
    session.updated_at = now_utc()
    if session.course.status != CourseStatus.PUBLISHED:
        return
    if kind != SessionChange.ADDED:
        session.sequence += 1
    db.session.flush()
    for listener in session_change_listeners():
        listener(session, kind, **details)


def course_changed(course: Course, kind: CourseChange, **details: Any) -> None:
    course.updated_at = now_utc()
    db.session.flush()
    for listener in course_change_listeners():
        listener(course, kind, **details)
