"""What the office does with enrolments: reorder the waiting list, take someone off."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm

from college.errors import Forbidden
from college.extensions import db
from college.models import Role, User
from college.services import record_audit
from courses.enrolment import notices
from courses.enrolment.models import Enrolment, EnrolmentStatus, RemovalReason
from courses.enrolment.queries import waiting_list
from courses.enrolment.services.errors import NotWaiting
from courses.enrolment.services.seats import lock_course
from courses.enrolment.services.sign_up import withdraw
from courses.models import Course


def _locked_queue(actor: User, enrolment: Enrolment) -> tuple[Course, list[Enrolment]]:
    """The course locked and its waiting list, for an admin moving ``enrolment`` in it."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden()
    course = lock_course(enrolment.course_id)
    queue = waiting_list(course)
    if enrolment not in queue:
        raise NotWaiting()
    return course, queue


def move_in_queue(actor: User, enrolment: Enrolment, steps: int) -> None:
    """Swap a waiting-list entry with its neighbour (admins only, audited)."""
    course, queue = _locked_queue(actor, enrolment)
    index = queue.index(enrolment)
    other = index + (1 if steps > 0 else -1)
    if not 0 <= other < len(queue):
        return
    neighbour = queue[other]
    mine, theirs = enrolment.waitlist_number, neighbour.waitlist_number
    # The pair is unique per course, so step aside before taking the other number.
    enrolment.waitlist_number = None
    db.session.flush()
    neighbour.waitlist_number = mine
    db.session.flush()
    enrolment.waitlist_number = theirs
    record_audit(actor, "waitlist.moved", enrolment, f"course={course.id} steps={steps}")
    db.session.flush()


def move_to_position(actor: User, enrolment: Enrolment, position: int) -> None:
    """Put a waiting-list entry at ``position`` (1 is the top) in one step (audited)."""
    course, queue = _locked_queue(actor, enrolment)
    position = min(max(position, 1), len(queue))
    order = [e for e in queue if e is not enrolment]
    order.insert(position - 1, enrolment)
    if order == queue:
        return
    numbers = sorted(e.waitlist_number for e in queue if e.waitlist_number is not None)
    # Numbers are unique per course: everyone steps aside before taking their new one.
    for entry in queue:
        entry.waitlist_number = None
    db.session.flush()
    for entry, number in zip(order, numbers, strict=True):
        entry.waitlist_number = number
    record_audit(actor, "waitlist.moved", enrolment, f"course={course.id} position={position}")
    db.session.flush()


def remove_by_admin(
    actor: User,
    enrolment: Enrolment,
    reason: RemovalReason = RemovalReason.OTHER,
    *,
    now: datetime | None = None,
) -> None:
    """Take someone off a course or its waiting list; a freed seat passes on (audited).

    The person is told that the college took them off and whom to ask, never that they
    withdrew themselves.
    """
    if not actor.has_role(Role.ADMIN):
        raise Forbidden()
    withdraw(actor, enrolment, now=now, notify=False, reason=RemovalReason(reason))
    notices.send(enrolment, "removed")


def enrolments_of(course: Course) -> list[Enrolment]:
    """People with a seat or a seat held for them, for the admin page."""
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(
                Enrolment.course_id == course.id,
                Enrolment.status.in_([EnrolmentStatus.ENROLLED, EnrolmentStatus.OFFERED]),
                Enrolment.student_id.is_not(None),
            )
            .options(sa.orm.joinedload(Enrolment.student))
            .order_by(Enrolment.updated_at, Enrolment.id)
        )
    )
