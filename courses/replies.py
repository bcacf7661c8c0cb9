"""What a "Decline" pressed in a calendar app means for a course (see ``college.inbox``).

The core reads the reply and checks who sent it; here its UID is turned into the sessions
it answers for:

- a session's own UID (each session is its own invitation) names that session;
- a UID that names a whole course (a recurring invitation: packages that send one add to
  the registry ``series_lookups`` in ``college.signals`` a ``lookup(uid) -> Course | None``)
  names the one occurrence its RECURRENCE-ID gives, or, without one, the whole series.

A student's DECLINED for one session sends apologies for it, as the button on My courses
does. For the whole series they are asked by mail whether they want to give up their
place: a click in a calendar app never withdraws anyone. Teachers are the peers package's
(``peers.services.replies``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from college.errors import DomainError
from college.extensions import db
from college.signals import calendar_reply_received, extension_points
from courses.models import Course, CourseSession

log = logging.getLogger(__name__)

SeriesLookup = Callable[[str], Course | None]


def series_lookups() -> list[SeriesLookup]:
    """Callables naming the course a recurring invitation's UID stands for, if any."""
    return extension_points().series_lookups


@dataclass(frozen=True)
class Answered:
    """The sessions a reply answers for: one occurrence, or a whole series."""

    course: Course
    session: CourseSession | None  # None: the whole series

    @property
    def whole_series(self) -> bool:
        return self.session is None


def _same_instant(session: CourseSession, moment: datetime) -> bool:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return session.starts_at == aware


def answered_by(uid: str, recurrence_id: datetime | None) -> Answered | None:
    """The course and session (or whole series) a reply's UID and RECURRENCE-ID name."""
    session = db.session.scalar(sa.select(CourseSession).where(CourseSession.uid == uid))
    if session is not None:
        return Answered(session.course, session)
    course = next((c for c in (lookup(uid) for lookup in series_lookups()) if c), None)
    if course is None:
        return None
    if recurrence_id is None:
        return Answered(course, None)
    occurrence = next((s for s in course.sessions if _same_instant(s, recurrence_id)), None)
    return Answered(course, occurrence) if occurrence is not None else None


def on_student_reply(_app: Flask, *, reply: Any) -> bool:
    """A student's DECLINED: apologies for one session; for the series, a question by mail."""
    from courses.enrolment import attendance, notices
    from courses.enrolment.models import Enrolment, EnrolmentStatus

    answered = answered_by(reply.uid, reply.recurrence_id)
    if answered is None:
        return False
    enrolment = db.session.scalar(
        sa.select(Enrolment).where(
            Enrolment.course_id == answered.course.id,
            Enrolment.student_id == reply.person.id,
            Enrolment.status == EnrolmentStatus.ENROLLED,
        )
    )
    if enrolment is None:
        return False
    if answered.session is None:
        notices.send(enrolment, "declined_series")
        log.info("course %s: a student declined the series; asked by mail", answered.course.id)
        return True
    try:
        attendance.send_apologies(reply.person, answered.session)
    except DomainError as error:  # the session has begun or is cancelled: nothing to record
        log.info("session %s: declined too late (%s)", answered.session.id, type(error).__name__)
        return True
    log.info("session %s: apologies from a calendar reply", answered.session.id)
    return True


def init_app(app: Flask) -> None:
    calendar_reply_received.connect(on_student_reply, sender=app)
