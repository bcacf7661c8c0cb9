"""Seats on a course: the course row's lock, the seat count, and an enrolment's status.

``Course.seats_taken`` counts enrolled seats plus seats held for a waiting-list offer. It
moves only through one conditional ``UPDATE`` whose condition is the rule, and CHECK
constraints (``seats_not_negative``, ``seats_within_capacity``) refuse a count that a
statement without the condition would produce, so capacity holds whatever the concurrency.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm

from college import signals
from college.errors import NotFound
from college.extensions import db
from courses.enrolment.models import Enrolment, EnrolmentStatus, someone_waits_for
from courses.models import Course

# --- telling other packages (``college.signals.enrolment_changed``) ---------------------------


def notify_listeners(kind: str, enrolment: Enrolment) -> None:
    signals.enrolment_changed.send(signals.sender(), enrolment=enrolment, kind=kind)


# --- the course row's lock -----------------------------------------------------------------------


def lock_course(course_id: int) -> Course:
    """Load the course (and its term) afresh with its row locked for the rest of the transaction.

    On PostgreSQL ``FOR UPDATE`` holds the row; SQLite ignores it, and the caller holds the
    database's write lock instead (``college.transactions``).
    """
    course = db.session.execute(
        sa.select(Course)
        .where(Course.id == course_id)
        .options(sa.orm.joinedload(Course.term, innerjoin=True))
        .with_for_update(of=Course)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if course is None:
        raise NotFound()
    return course


def lock_seats(course: Course) -> None:
    """Lock an already loaded course's row and read afresh what others change meanwhile.

    Only what a sign-up decides on is read again (whether it is still published, its
    capacity and the seats taken), so the term and sessions loaded before stay loaded.
    """
    try:
        db.session.refresh(course, ["status", "capacity", "seats_taken"], with_for_update=True)
    except sa.orm.exc.ObjectDeletedError:
        raise NotFound() from None


# --- the seat count ------------------------------------------------------------------------------


def _move_seats(course: Course, condition: sa.ColumnElement[bool], step: int) -> bool:
    """Add ``step`` to the seats taken if ``condition`` holds now; whether it did.

    The condition is checked by the database in the same statement that changes the
    count, so no other transaction can slip in between a check and a write. The loaded
    course is not updated in Python (the condition cannot be evaluated there); its count
    is expired instead, and read again if anyone asks.
    """
    result = db.session.execute(
        sa.update(Course)
        .where(Course.id == course.id, condition)
        .values(seats_taken=Course.seats_taken + step)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(course, ["seats_taken"])
    return bool(result.rowcount)  # type: ignore[attr-defined]


def take_seat(course: Course) -> bool:
    """Take one seat if any is left."""
    return _move_seats(course, Course.seats_taken < Course.capacity, 1)


def take_seat_if_nobody_waits(course: Course, seats: int = 1) -> bool:
    """Take ``seats`` seats (one, or two for a pair) for newcomers if that many are left and
    nobody is on the waiting list; all of them or none.

    Nobody passes the queue: with people waiting, a free seat is theirs, not a newcomer's.
    """
    nobody_waits = ~someone_waits_for(Course.id)
    enough = Course.seats_taken + seats <= Course.capacity
    return _move_seats(course, sa.and_(enough, nobody_waits), seats)


def release_seat(course: Course) -> None:
    _move_seats(course, Course.seats_taken > 0, -1)


def seats_left(course: Course) -> int:
    return max(course.capacity - course.seats_taken, 0)


def set_status(enrolment: Enrolment, status: EnrolmentStatus, now: datetime) -> None:
    """Move an enrolment to ``status``, clearing what only belongs to the one it leaves."""
    enrolment.status = status
    enrolment.updated_at = now
    if status != EnrolmentStatus.OFFERED:
        enrolment.offer_expires_at = None
    if status != EnrolmentStatus.WAITLISTED:
        enrolment.waitlist_number = None
