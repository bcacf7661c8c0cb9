"""Emails about places, sessions and feedback, queued in the outbox in each person's language.

A discreet person (the default) gets subjects and previews that never name the course or
its topic, so a lock screen does not tell anyone they attend the college.

Each email is queued by description and written by the mail worker (renderer
``courses.enrolment_notice``, see ``college.outbox``), so a sign-up renders no template
while it holds the course's row lock. Frozen when queued: the kind of message, the
recipient's address, their language and discreet choice, and every value that describes
the moment (a waiting-list position, an offer's deadline, a session's time before it
moved). Read when it is written: the person's name, the course's title and slug, and the
session a message is about. Those can only have become more accurate: a course that is
renamed is the same course, and a session that moves or is cancelled afterwards sends its
own message (and its own calendar invitation) anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from college.db import now_utc
from college.extensions import db
from college.outbox.queueing import Rendered, Undeliverable, enqueue_described, render_email
from college.urls import absolute_url
from courses.enrolment.models import SEAT_HOLDING, Enrolment, EnrolmentStatus
from courses.enrolment.queries import first_session_start
from courses.models import Course, CourseSession, CourseStatus, SessionStatus
from courses.outcomes.models import Moment
from courses.outcomes.services import is_due
from courses.prospectus import venues_of

log = logging.getLogger(__name__)

REMINDER_BEFORE = timedelta(days=2)
# Feedback is asked for while the course is fresh in mind, and never long after.
FEEDBACK_WINDOW = timedelta(days=60)

# kind: (subject naming the course, discreet subject)
SUBJECTS: dict[str, tuple[Any, Any]] = {
    "enrolled": (
        _l("Your place is confirmed: %(course)s"),
        _l("Your place is confirmed — %(college)s"),
    ),
    "waitlisted": (
        _l("You are on the waiting list: %(course)s"),
        _l("You are on a waiting list — %(college)s"),
    ),
    "offered": (
        _l("A place is free for you: %(course)s"),
        _l("A place is free for you — %(college)s"),
    ),
    "promoted": (
        _l("You have a place: %(course)s"),
        _l("You have a place — %(college)s"),
    ),
    "offer_expired": (
        _l("The place we held has passed on: %(course)s"),
        _l("About the place we held for you — %(college)s"),
    ),
    "withdrawn": (
        _l("You have withdrawn: %(course)s"),
        _l("Your withdrawal is confirmed — %(college)s"),
    ),
    "removed": (
        _l("You are no longer on %(course)s"),
        _l("About your place — %(college)s"),
    ),
    "reminder": (_l("Starting soon: %(course)s"), _l("Starting soon — %(college)s")),
    "missed": (_l("We missed you: %(course)s"), _l("We missed you — %(college)s")),
    "feedback": (_l("How was %(course)s?"), _l("How was your course? — %(college)s")),
    "session_cancelled": (
        _l("A session is cancelled: %(course)s"),
        _l("A change to your course — %(college)s"),
    ),
    "session_moved": (
        _l("A session has moved: %(course)s"),
        _l("A change to your course — %(college)s"),
    ),
    "course_cancelled": (
        _l("Cancelled: %(course)s"),
        _l("A change to your course — %(college)s"),
    ),
    "declined_series": (
        _l("Do you want to keep your place? %(course)s"),
        _l("Do you want to keep your place? — %(college)s"),
    ),
}


@dataclass
class Formatted:
    """A lazy message with parameters, rendered when the outbox renders it in a language."""

    message: Any
    params: dict[str, Any]

    def __str__(self) -> str:
        return str(self.message) % self.params


RENDERER = "courses.enrolment_notice"


def college_contact() -> str:
    """Where a student writes with questions about their place: the one place to switch
    when the college's own contact settings arrive (``COLLEGE_CONTACT_EMAIL``)."""
    config = current_app.config
    return str(config.get("COLLEGE_CONTACT_EMAIL") or config["MAIL_DEFAULT_SENDER"])


def send(
    enrolment: Enrolment,
    kind: str,
    **context: Any,
) -> None:
    """Queue the ``templates/email/courses/<kind>`` message to the enrolment's student.

    Nothing is rendered here: the mail worker writes it (``render_notice``). ``context``
    holds plain values, datetimes and sessions, frozen as they are now.
    """
    student = enrolment.student
    if student is None:  # past its retention period: no one to write to
        return
    # The row is named by its course and student rather than its id, so a message needs
    # nothing written before it is queued (the outbox writes a transaction's queue at once).
    course_id = enrolment.course_id or enrolment.course.id
    payload = {
        "course_id": course_id,
        "student_id": student.id,
        "kind": kind,
        "language": student.language,
        "discreet": student.discreet,
        "context": {key: _freeze(value) for key, value in context.items()},
    }
    enqueue_described(student.email, RENDERER, payload, summary=f"Course {course_id}: {kind}")
    log.info("course %s: %s email queued", course_id, kind)


def _freeze(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, CourseSession):
        return {"session_id": value.id}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot queue {type(value).__name__} in an email's description")


def _thaw(value: Any) -> Any:
    if isinstance(value, dict) and "datetime" in value:
        return datetime.fromisoformat(value["datetime"])
    if isinstance(value, dict) and "session_id" in value:
        session = db.session.get(CourseSession, value["session_id"])
        if session is None:
            raise Undeliverable("the session no longer exists")
        return session
    return value


def _enrolment_of(payload: dict[str, Any]) -> Enrolment | None:
    if "enrolment_id" in payload:  # queued before messages named the course and student
        return db.session.get(Enrolment, payload["enrolment_id"])
    return db.session.scalar(
        sa.select(Enrolment).where(
            Enrolment.course_id == payload["course_id"],
            Enrolment.student_id == payload["student_id"],
        )
    )


def render_notice(payload: dict[str, Any]) -> Rendered:
    """Write a queued email about a place from its payload (the mail worker calls this)."""
    enrolment = _enrolment_of(payload)
    student = enrolment.student if enrolment is not None else None
    if enrolment is None or student is None:
        raise Undeliverable("the enrolment or its student no longer exists")
    kind = payload["kind"]
    discreet = payload["discreet"]
    course = enrolment.course
    college = current_app.config["COLLEGE_NAME"]
    open_subject, discreet_subject = SUBJECTS[kind]
    if discreet:
        subject = Formatted(discreet_subject, {"college": college})
    else:
        subject = Formatted(open_subject, {"course": course.title, "college": college})
    context = {key: _thaw(value) for key, value in payload["context"].items()}
    # A discreet message opens with a sentence that does not name the course (it is what a
    # lock screen shows); the course, its dates, times and places follow below it.
    return render_email(
        student,
        payload["language"],
        f"courses/{kind}",
        subject,
        course=course,
        discreet=discreet,
        # For messages still written around a name: a discreet one says "the course".
        course_name=_l("the course") if discreet else course.title,
        sessions=course.scheduled_sessions,
        venues=venues_of(course),
        enrolment=enrolment,
        offer_url=absolute_url("enrolment.offer", enrolment_id=enrolment.id),
        course_url=absolute_url("courses.detail", slug=course.slug),
        my_courses_url=absolute_url("enrolment.my_courses"),
        courses_url=absolute_url("courses.index"),
        contact=college_contact(),
        **rating_invitation(enrolment, kind),
        **context,
    )


# Messages that invite the student to rate before the course, or after it.
RATING_KINDS = {
    "enrolled": Moment.BEFORE,
    "promoted": Moment.BEFORE,
    "reminder": Moment.BEFORE,
    "feedback": Moment.AFTER,
}


def rating_invitation(enrolment: Enrolment, kind: str) -> dict[str, Any]:
    """The rating link, while it is open and neither answered nor skipped (read when the
    message is written, so a rating given since is not asked for again)."""
    moment = RATING_KINDS.get(kind)
    if moment is None or not is_due(enrolment, moment):
        return {"rating_url": None, "rating_moment": None}
    url = absolute_url("outcomes.rate", enrolment_id=enrolment.id, moment=moment.value)
    return {"rating_url": url, "rating_moment": moment.value}


def describe_notice(payload: dict[str, Any]) -> str:
    """What a queued message about a place is, for an admin, in the admin's language."""
    course = db.session.get(Course, payload.get("course_id") or 0)
    open_subject, _discreet = SUBJECTS[payload["kind"]]
    title = course.title if course is not None else _l("a course that no longer exists")
    return str(open_subject) % {"course": title, "college": current_app.config["COLLEGE_NAME"]}


# --- reminders and feedback invitations -------------------------------------------------------


def _first_start() -> Any:
    return (
        sa.select(sa.func.min(CourseSession.starts_at))
        .where(
            CourseSession.course_id == Enrolment.course_id,
            CourseSession.status == SessionStatus.SCHEDULED,
        )
        .scalar_subquery()
    )


def _last_end() -> Any:
    return (
        sa.select(sa.func.max(CourseSession.ends_at))
        .where(
            CourseSession.course_id == Enrolment.course_id,
            CourseSession.status == SessionStatus.SCHEDULED,
        )
        .scalar_subquery()
    )


def _published() -> Any:
    return Enrolment.course_id.in_(
        sa.select(Course.id).where(Course.status == CourseStatus.PUBLISHED)
    )


def send_reminders(now: datetime | None = None) -> int:
    """Remind enrolled students before a course's first session; never twice."""
    now = now or now_utc()
    first_start = _first_start()
    due = db.session.scalars(
        sa.select(Enrolment)
        .where(
            Enrolment.status == EnrolmentStatus.ENROLLED,
            Enrolment.reminder_sent_at.is_(None),
            _published(),
            first_start > now,
            first_start <= now + REMINDER_BEFORE,
        )
        .order_by(Enrolment.id)
        .with_for_update(skip_locked=True)
    ).all()
    for enrolment in due:
        enrolment.reminder_sent_at = now
        send(enrolment, "reminder", starts_at=first_session_start(enrolment.course))
    db.session.flush()
    return len(due)


def invite_feedback(now: datetime | None = None) -> int:
    """Invite each enrolled student of a course that ended to give feedback, once."""
    now = now or now_utc()
    last_end = _last_end()
    due = db.session.scalars(
        sa.select(Enrolment)
        .where(
            Enrolment.status == EnrolmentStatus.ENROLLED,
            Enrolment.feedback_invited_at.is_(None),
            Enrolment.feedback_given.is_(False),
            _published(),
            last_end <= now,
            last_end > now - FEEDBACK_WINDOW,
        )
        .order_by(Enrolment.id)
        .with_for_update(skip_locked=True)
    ).all()
    for enrolment in due:
        enrolment.feedback_invited_at = now
        send(
            enrolment,
            "feedback",
            feedback_url=absolute_url("enrolment.give_feedback", enrolment_id=enrolment.id),
        )
    db.session.flush()
    return len(due)


# --- changes to courses and sessions ----------------------------------------------------------


def _people_offered_a_place(course_id: int) -> list[Enrolment]:
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.course_id == course_id, Enrolment.status == EnrolmentStatus.OFFERED)
            .order_by(Enrolment.id)
        )
    )


def on_session_change(_app: Flask, *, session: CourseSession, kind: str, **details: Any) -> None:
    """Tell people offered a place when one of the sessions is cancelled or moved.

    Enrolled students hear it from their calendar invitation for that session
    (``courses.invites``), which carries the same details: one message, not two.
    """
    if kind == "cancelled":
        if details.get("with_course"):
            # The whole course is being cancelled: one message comes from on_course_change.
            return
        for enrolment in _people_offered_a_place(session.course_id):
            send(enrolment, "session_cancelled", session=session)
    elif kind == "rescheduled":
        before = details.get("before") or {}
        for enrolment in _people_offered_a_place(session.course_id):
            send(enrolment, "session_moved", session=session, before=before.get("starts_at"))


def on_course_change(_app: Flask, *, course: Course, kind: str, **details: Any) -> None:
    """A cancelled course: everyone with a place or in the queue hears it once."""
    if kind != "cancelled":
        return
    everyone = db.session.scalars(
        sa.select(Enrolment)
        .where(
            Enrolment.course_id == course.id,
            Enrolment.status.in_([*SEAT_HOLDING, EnrolmentStatus.WAITLISTED]),
        )
        .order_by(Enrolment.id)
    )
    for enrolment in everyone:
        send(enrolment, "course_cancelled")
