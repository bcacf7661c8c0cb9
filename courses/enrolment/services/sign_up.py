"""Signing up for a course (a seat, or a number on the waiting list) and withdrawing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from college.db import now_utc
from college.errors import DomainError, NotFound
from college.extensions import db
from college.models import Role, User
from college.services import record_audit
from courses.enrolment import notices
from courses.enrolment.models import ACTIVE, Enrolment, EnrolmentStatus
from courses.enrolment.queries import (
    find_course_for_sign_up,
    find_enrolment,
    last_session_end,
    read_queue,
    waitlist_position,
)
from courses.enrolment.services.errors import (
    ConfirmAudience,
    CourseAlreadyStarted,
    CourseEnded,
    CourseNotOpen,
    EnrolmentClosed,
    EnrolmentNotYetOpen,
    NoSignUpNeeded,
    NothingToWithdraw,
)
from courses.enrolment.services.offers import pass_seat_on, tell_pair_student_left
from courses.enrolment.services.seats import (
    lock_course,
    lock_seats,
    notify_listeners,
    seats_left,
    set_status,
    take_seat_if_nobody_waits,
)
from courses.models import Audience, Course, CourseStatus
from courses.services.joining import Joining, join_state_of_loaded

log = logging.getLogger(__name__)


def check_enrolment_open(course: Course, now: datetime) -> None:
    """Raise the reason why the course cannot be joined now, if there is one.

    The rule is ``courses.services.joining.join_state``, the one the prospectus and the
    course page show; here it is read from the course's loaded sessions.
    """
    state = join_state_of_loaded(course, now)
    if state.can_join:
        return
    if state.joining == Joining.NOT_YET_OPEN:
        from college.templating import format_day

        raise EnrolmentNotYetOpen(date=format_day(state.opens_at, "long"))
    refusals: dict[Joining, type[DomainError]] = {
        Joining.CLOSED: EnrolmentClosed,
        Joining.BEGUN: CourseAlreadyStarted,
        Joining.ENDED: CourseEnded,
        Joining.DROP_IN: NoSignUpNeeded,
    }
    raise refusals.get(state.joining, CourseNotOpen)()


@dataclass(frozen=True)
class SignUpOutcome:
    """The student's enrolment after a sign-up, and their position if they wait (1 is next)."""

    enrolment: Enrolment
    waitlist_position: int | None


def enrol(
    student: User,
    course: Course,
    *,
    belongs: bool = False,
    now: datetime | None = None,
    override: bool = False,
) -> Enrolment:
    """``enrol_or_wait`` for callers that need only the enrolment."""
    return enrol_or_wait(student, course, belongs=belongs, now=now, override=override).enrolment


def enrol_or_wait(
    student: User,
    course: Course,
    *,
    belongs: bool = False,
    now: datetime | None = None,
    override: bool = False,
) -> SignUpOutcome:
    """Give the student a seat, or a number on the waiting list; repeating is harmless.

    Courses for relatives or staff ask only that people say they belong there (``belongs``);
    no proof and no diagnosis. ``override`` lets an administrator enrol outside the dates.
    """
    enrolment = find_enrolment(course, student)
    return _enrol_or_wait(student, course, enrolment, belongs, now or now_utc(), override)


def sign_up(student: User, slug: str, *, belongs: bool = False) -> SignUpOutcome:
    """What the "Enrol" button does: ``enrol_or_wait`` on the course at ``slug``.

    The course, what the sign-up checks of it, and the student's own row are read in one
    statement (``find_course_for_sign_up``); a course that does not exist is ``NotFound``.
    """
    found = find_course_for_sign_up(slug, student)
    if found is None:
        raise NotFound()
    course, enrolment = found
    return _enrol_or_wait(student, course, enrolment, belongs, now_utc(), override=False)


def _enrol_or_wait(
    student: User,
    course: Course,
    enrolment: Enrolment | None,
    belongs: bool,
    now: datetime,
    override: bool,
) -> SignUpOutcome:
    # What needs no lock is read and checked first, so the course row is held only for the
    # seat, the queue and the writes. The sessions read here are the ones the invitations
    # name: a session changed meanwhile sends its own update to everyone with a seat.
    if enrolment is not None and enrolment.status in ACTIVE:
        return _outcome_of(enrolment)
    _check_may_sign_up(course, now, belongs=belongs, override=override)
    lock_seats(course)
    # Under the lock, again what may have changed meanwhile: the course may have been
    # withdrawn from publication, and an earlier row of the student's (say, withdrawn) may
    # have been reused by a simultaneous click. A new row needs no second look: the unique
    # (course, student) pair turns a simultaneous double click into a retry that finds it.
    if course.status != CourseStatus.PUBLISHED:
        raise CourseNotOpen()
    if enrolment is not None:
        db.session.refresh(enrolment)
        if enrolment.status in ACTIVE:
            return _outcome_of(enrolment)
    if seats_left(course) > 0 and take_seat_if_nobody_waits(course):
        enrolment = save_enrolment(enrolment, course, student, EnrolmentStatus.ENROLLED, now)
        outcome = SignUpOutcome(enrolment, None)
        notices.send(enrolment, "enrolled")
    else:
        # Numbers are handed out while the course row is held, so they follow arrival order.
        queue = read_queue(course)
        enrolment = save_enrolment(
            enrolment, course, student, EnrolmentStatus.WAITLISTED, now, queue.next_number
        )
        outcome = SignUpOutcome(enrolment, queue.next_position)
        notices.send(enrolment, "waitlisted", position=queue.next_position)
    db.session.flush()  # the row is written while the course row is held
    if enrolment.status == EnrolmentStatus.ENROLLED:
        notify_listeners("enrolled", enrolment)
    log.info("a sign-up on course %s: %s", course.id, enrolment.status)
    return outcome


def _check_may_sign_up(course: Course, now: datetime, *, belongs: bool, override: bool) -> None:
    if override:
        if course.status != CourseStatus.PUBLISHED:
            raise CourseNotOpen()
        return
    check_enrolment_open(course, now)
    if course.audience != Audience.EVERYONE and not belongs:
        raise ConfirmAudience()


def _outcome_of(enrolment: Enrolment) -> SignUpOutcome:
    return SignUpOutcome(enrolment, waitlist_position(enrolment))


def save_enrolment(
    enrolment: Enrolment | None,
    course: Course,
    student: User,
    status: EnrolmentStatus,
    now: datetime,
    waitlist_number: int | None = None,
) -> Enrolment:
    """Add a new enrolment in ``status``, or move the student's earlier one to it."""
    if enrolment is None:
        enrolment = Enrolment(course=course, student=student, created_at=now)
        db.session.add(enrolment)
    set_status(enrolment, status, now)
    enrolment.waitlist_number = waitlist_number
    return enrolment


def withdraw(
    actor: User,
    enrolment: Enrolment,
    *,
    now: datetime | None = None,
    notify: bool = True,
    reason: str | None = None,
) -> None:
    """Leave a course or its waiting list; a freed seat goes to the next person."""
    now = now or now_utc()
    if actor.id != enrolment.student_id and not actor.has_role(Role.ADMIN):
        raise NotFound()
    course = lock_course(enrolment.course_id)
    db.session.refresh(enrolment)
    if enrolment.status not in ACTIVE:
        raise NothingToWithdraw()
    held_seat = enrolment.holds_seat
    was_enrolled = enrolment.status == EnrolmentStatus.ENROLLED
    set_status(enrolment, EnrolmentStatus.WITHDRAWN, now)
    if held_seat:
        pass_seat_on(course, now)
    tell_pair_student_left(course, enrolment, now)
    if actor.id != enrolment.student_id:
        detail = f"course={course.id}" + (f" reason={reason}" if reason else "")
        record_audit(actor, "enrolment.removed", enrolment, detail)
    if notify:
        notices.send(enrolment, "withdrawn")
    db.session.flush()
    if was_enrolled:
        notify_listeners("withdrawn", enrolment)
    log.info("enrolment %s withdrawn", enrolment.id)


def withdraw_for_erasure(user: User, now: datetime | None = None) -> None:
    """An erased person leaves every course that has not ended; their seats pass on.

    Finished courses stay as they were (the account itself is anonymised by the core),
    so attendance figures and anonymous feedback keep counting.
    """
    now = now or now_utc()
    active = db.session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.student_id == user.id, Enrolment.status.in_(list(ACTIVE)))
        .order_by(Enrolment.id)
    ).all()
    for enrolment in active:
        ends = last_session_end(enrolment.course)
        if ends is None or ends > now or enrolment.status != EnrolmentStatus.ENROLLED:
            withdraw(user, enrolment, now=now, notify=False)
