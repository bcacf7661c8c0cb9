"""Rules for places on a course: enrolment, the waiting list and its offers.

Every change to who holds a place runs with the course row locked (``FOR UPDATE`` on
PostgreSQL; on SQLite, which ignores that, the caller holds the database write lock from
``start_write_transaction`` — see ``courses.enrolment.transactions``). ``Course.seats_taken``
moves only through a conditional update that CHECK constraints back, so capacity holds
whatever the concurrency. A freed place goes to the head of the waiting list in the same
transaction, so no one can take it in between.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm
from flask import current_app
from flask_babel import lazy_gettext as _l

from college.db import now_utc
from college.errors import DomainError, Forbidden, NotFound
from college.extensions import db
from college.models import Role, User
from college.page_cache import execute_write
from college.services import record_audit
from courses.enrolment import notices
from courses.enrolment.models import ACTIVE, Enrolment, EnrolmentStatus, RemovalReason
from courses.enrolment.queries import (
    SignUp,
    first_session_start,
    head_of_list,
    last_session_end,
    lock_seats,
    read_queue,
    read_sign_up,
    waiting_list,
    waitlist_position,
    waitlist_positions,
)
from courses.models import Audience, Course, CourseSession, CourseStatus, SessionStatus
from courses.services.joining import Joining, join_state_of_loaded

log = logging.getLogger(__name__)

OFFER_HOLD = timedelta(hours=48)
# An offer never runs closer to the start than this, so the person can still plan.
OFFER_MARGIN = timedelta(hours=12)
DIRECT_WHEN_STARTING_WITHIN = timedelta(days=1)


class CourseNotOpen(DomainError):
    message = _l("This course is not open for enrolment.")


class EnrolmentClosed(DomainError):
    message = _l("Enrolment for this course is closed.")


class EnrolmentNotYetOpen(DomainError):
    message = _l("Enrolment for this course opens on %(date)s.")


class CourseAlreadyStarted(DomainError):
    message = _l("This course has already started, so it is no longer possible to enrol.")


class ConfirmAudience(DomainError):
    message = _l("Please confirm that you belong to the group this course is for.")


class NothingToWithdraw(DomainError):
    message = _l("You are not enrolled on this course or its waiting list.")


class NotWaiting(DomainError):
    message = _l("This person is not on the waiting list.")


class OfferNotAvailable(DomainError):
    status_code = 409
    message = _l("This offer is no longer available.")


# --- listeners (calendar invites subscribe here) ---------------------------------------------

EnrolmentListener = Callable[[str, Enrolment], None]


def enrolment_listeners() -> list[EnrolmentListener]:
    """Called as ``listener(kind, enrolment)`` when someone gets or loses a place.

    ``kind`` is ``"enrolled"`` or ``"withdrawn"``; invites and calendar feeds hang here.
    """
    return current_app.extensions.setdefault("courses.enrolment_listeners", [])


def _notify(kind: str, enrolment: Enrolment) -> None:
    for listener in enrolment_listeners():
        listener(kind, enrolment)


# --- locking and seats -------------------------------------------------------------------------


def lock_course(course_id: int) -> Course:
    """Load the course (and its term) afresh with its row locked for the rest of the transaction.

    Only the course row is locked; the term comes along because the enrolment dates are
    checked next, and a second query for it would be wasted.
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


def _seat_statement(condition: sa.ColumnElement[bool], step: int) -> sa.Update:
    return (
        sa.update(Course)
        .where(Course.id == sa.bindparam("course_id"), condition)
        .values(seats_taken=Course.seats_taken + step)
        .returning(Course.seats_taken)
        .execution_options(synchronize_session=False)
    )


# Built once: a sign-up takes its seat while the course row is held. The conditions make
# overbooking (and a negative count) impossible whatever the caller read before.
TAKE_SEAT = _seat_statement(Course.seats_taken < Course.capacity, 1)
RELEASE_SEAT = _seat_statement(Course.seats_taken > 0, -1)
# A newcomer's seat: only while nobody waits, since a free place is theirs, not a newcomer's.
# Run with the course row already held, so (unlike a statement that waits for the lock) it
# sees the queue as it is now; a place then costs one trip while the row is held, not two.
TAKE_SEAT_NOBODY_WAITS = _seat_statement(
    sa.and_(
        Course.seats_taken < Course.capacity,
        ~sa.exists().where(
            Enrolment.course_id == Course.id, Enrolment.status == EnrolmentStatus.WAITLISTED
        ),
    ),
    1,
)


def _move_seats(course: Course, statement: sa.Update) -> bool:
    """Change the seats taken if the statement's condition holds; the new count comes back."""
    taken = execute_write(statement, {"course_id": course.id}).scalar()
    if taken is None:
        return False
    sa.orm.attributes.set_committed_value(course, "seats_taken", taken)
    return True


def _take_seat(course: Course) -> bool:
    """Take one place if any is left."""
    return _move_seats(course, TAKE_SEAT)


def _take_seat_if_nobody_waits(course: Course) -> bool:
    return _move_seats(course, TAKE_SEAT_NOBODY_WAITS)


def _release_seat(course: Course) -> None:
    _move_seats(course, RELEASE_SEAT)


def seats_left(course: Course) -> int:
    return max(course.capacity - course.seats_taken, 0)


def _set_status(enrolment: Enrolment, status: EnrolmentStatus, now: datetime) -> None:
    enrolment.status = status
    enrolment.updated_at = now
    if status != EnrolmentStatus.OFFERED:
        enrolment.offer_expires_at = None
    if status != EnrolmentStatus.WAITLISTED:
        enrolment.waitlist_number = None


# --- enrolment ---------------------------------------------------------------------------------


class CourseEnded(DomainError):
    message = _l("This course has ended, so it is no longer possible to enrol.")


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
    }
    raise refusals.get(state.joining, CourseNotOpen)()


@dataclass(frozen=True)
class Placement:
    """Where a sign-up left the student: their row, and their place in the queue if waiting."""

    enrolment: Enrolment
    position: int | None


def enrol(
    student: User,
    course: Course,
    *,
    belongs: bool = False,
    now: datetime | None = None,
    override: bool = False,
) -> Enrolment:
    """Give the student a place, or a place on the waiting list; repeating is harmless.

    Courses for relatives or staff ask only that people say they belong there (``belongs``);
    no proof and no diagnosis. ``override`` lets an administrator enrol outside the dates.
    """
    sign_up = read_sign_up(course, student)
    enrolment = place(student, sign_up, belongs=belongs, now=now, override=override).enrolment
    db.session.flush()  # a reused row too is written, for reads past the ORM
    return enrolment


def place(
    student: User,
    sign_up: SignUp,
    *,
    belongs: bool = False,
    now: datetime | None = None,
    override: bool = False,
) -> Placement:
    """``enrol``, from what ``find_sign_up`` read, telling also the waiting-list position."""
    now = now or now_utc()
    course, enrolment = sign_up.course, sign_up.enrolment
    # What needs no lock is read and checked first, so the course row is held only for the
    # seat, the queue and the writes. The sessions read here are the ones the invitations
    # name: a session changed meanwhile sends its own update to everyone with a place.
    if enrolment is not None and enrolment.status in ACTIVE:
        return _already_placed(enrolment)
    if override:
        if course.status != CourseStatus.PUBLISHED:
            raise CourseNotOpen()
    else:
        check_enrolment_open(course, now)
        if course.audience != Audience.EVERYONE and not belongs:
            raise ConfirmAudience()
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
            return _already_placed(enrolment)
    # Nobody passes the queue: with people waiting, a free place is theirs, not a newcomer's.
    position = None
    if seats_left(course) > 0 and _take_seat_if_nobody_waits(course):
        enrolment = _keep(enrolment, course, student, EnrolmentStatus.ENROLLED, now)
        notices.send(enrolment, "enrolled")
        _notify("enrolled", enrolment)
    else:
        queue = read_queue(course)
        position = queue.next_position
        enrolment = _keep(
            enrolment, course, student, EnrolmentStatus.WAITLISTED, now, queue.next_number
        )
        notices.send(enrolment, "waitlisted", position=position)
    log.info("a sign-up on course %s: %s", course.id, enrolment.status)
    return Placement(enrolment, position)


def _already_placed(enrolment: Enrolment) -> Placement:
    return Placement(enrolment, waitlist_position(enrolment))


def _keep(
    enrolment: Enrolment | None,
    course: Course,
    student: User,
    status: EnrolmentStatus,
    now: datetime,
    waitlist_number: int | None = None,
) -> Enrolment:
    """The student's row in its new status: a new one, or their earlier one reused.

    Written once the status is known, so a new row is one INSERT rather than an INSERT
    and an UPDATE.
    """
    if enrolment is None:
        return _insert_enrolment(course, student, status, now, waitlist_number)
    _set_status(enrolment, status, now)
    enrolment.waitlist_number = waitlist_number
    return enrolment


# Built once: a new row is written while the course row is held, so past the ORM's flush.
INSERT_ENROLMENT = sa.insert(Enrolment).returning(Enrolment.id)


def _insert_enrolment(
    course: Course,
    student: User,
    status: EnrolmentStatus,
    now: datetime,
    waitlist_number: int | None,
) -> Enrolment:
    """Write a new row with one INSERT and return it as the session's own object."""
    # Every column, so the object built from them needs no loading of its own later.
    values: dict[str, object] = {
        "course_id": course.id,
        "student_id": student.id,
        "status": status,
        "created_at": now,
        "updated_at": now,
        "waitlist_number": waitlist_number,
        "offer_expires_at": None,
        "reminder_sent_at": None,
        "feedback_invited_at": None,
        "feedback_given": False,
    }
    # The sign-up's last write, so the data version is raised in it (on PostgreSQL): the
    # commit then takes one round trip less while the course row is held.
    values["id"] = execute_write(INSERT_ENROLMENT, values, raise_version=True).scalar_one()
    # The object is built from what was written, then joins the session as a loaded row
    # would: nothing about it is pending, so the commit writes it no second time.
    enrolment = Enrolment(**values)
    sa.orm.make_transient_to_detached(enrolment)
    db.session.add(enrolment)
    sa.orm.attributes.set_committed_value(enrolment, "course", course)
    sa.orm.attributes.set_committed_value(enrolment, "student", student)
    return enrolment


def withdraw(
    actor: User,
    enrolment: Enrolment,
    *,
    now: datetime | None = None,
    notify: bool = True,
    reason: str | None = None,
) -> None:
    """Leave a course or its waiting list; a freed place goes to the next person."""
    now = now or now_utc()
    if actor.id != enrolment.student_id and not actor.has_role(Role.ADMIN):
        raise NotFound()
    course = lock_course(enrolment.course_id)
    db.session.refresh(enrolment)
    if enrolment.status not in ACTIVE:
        raise NothingToWithdraw()
    held_seat = enrolment.holds_seat
    was_enrolled = enrolment.status == EnrolmentStatus.ENROLLED
    _set_status(enrolment, EnrolmentStatus.WITHDRAWN, now)
    if held_seat:
        _pass_place_on(course, now)
    if actor.id != enrolment.student_id:
        detail = f"course={course.id}" + (f" reason={reason}" if reason else "")
        record_audit(actor, "enrolment.removed", enrolment, detail)
    if notify:
        notices.send(enrolment, "withdrawn")
    db.session.flush()
    if was_enrolled:
        _notify("withdrawn", enrolment)
    log.info("enrolment %s withdrawn", enrolment.id)


def offer_deadline(starts: datetime | None, now: datetime) -> datetime:
    """How long a place is held: 48 hours, less when the course starts sooner."""
    expires = now + OFFER_HOLD
    if starts is not None:
        expires = min(expires, starts - OFFER_MARGIN)
    return expires


def _pass_place_on(course: Course, now: datetime) -> Enrolment | None:
    """Offer a place that is already counted as taken to the head of the list, or free it."""
    head = head_of_list(course)
    if head is None:
        _release_seat(course)
        return None
    starts = first_session_start(course)
    if starts is not None and starts - now <= DIRECT_WHEN_STARTING_WITHIN:
        # No time to wait for an answer: the place is simply theirs.
        _set_status(head, EnrolmentStatus.ENROLLED, now)
        notices.send(head, "promoted")
        db.session.flush()
        _notify("enrolled", head)
        log.info("enrolment %s promoted from the waiting list", head.id)
        return head
    expires = offer_deadline(starts, now)
    _set_status(head, EnrolmentStatus.OFFERED, now)
    head.offer_expires_at = expires
    notices.send(head, "offered", expires_at=expires)
    db.session.flush()
    log.info("enrolment %s offered a place", head.id)
    return head


def fill_free_places(course: Course, *, now: datetime | None = None) -> int:
    """Offer every free place to the waiting list in order (e.g. after capacity is raised)."""
    now = now or now_utc()
    course = lock_course(course.id)
    offered = 0
    while head_of_list(course) is not None and _take_seat(course):
        _pass_place_on(course, now)
        offered += 1
    return offered


def on_course_change(course: Course, kind: str, **details: object) -> None:
    """Courses tell us a public course changed; more places may now be free for the queue."""
    if kind == "updated" and course.status == CourseStatus.PUBLISHED:
        fill_free_places(course)


# --- offers ------------------------------------------------------------------------------------


def accept_offer(student: User, enrolment: Enrolment, *, now: datetime | None = None) -> None:
    """Take the place held for you; a second click changes nothing."""
    now = now or now_utc()
    if enrolment.student_id != student.id:
        raise NotFound()
    lock_course(enrolment.course_id)
    db.session.refresh(enrolment)
    if enrolment.status == EnrolmentStatus.ENROLLED:
        return
    if enrolment.status != EnrolmentStatus.OFFERED or (
        enrolment.offer_expires_at is not None and enrolment.offer_expires_at <= now
    ):
        raise OfferNotAvailable()
    _set_status(enrolment, EnrolmentStatus.ENROLLED, now)
    notices.send(enrolment, "enrolled")
    db.session.flush()
    _notify("enrolled", enrolment)


def decline_offer(student: User, enrolment: Enrolment, *, now: datetime | None = None) -> None:
    """Say "not now": no penalty, and the place goes to the next person."""
    now = now or now_utc()
    if enrolment.student_id != student.id:
        raise NotFound()
    course = lock_course(enrolment.course_id)
    db.session.refresh(enrolment)
    if enrolment.status != EnrolmentStatus.OFFERED:
        raise OfferNotAvailable()
    _set_status(enrolment, EnrolmentStatus.DECLINED, now)
    _pass_place_on(course, now)
    db.session.flush()


def expire_offers(now: datetime | None = None) -> int:
    """Pass on every offer nobody answered in time. Running it twice changes nothing."""
    now = now or now_utc()
    due = db.session.execute(
        sa.select(Enrolment.id, Enrolment.course_id)
        .where(Enrolment.status == EnrolmentStatus.OFFERED, Enrolment.offer_expires_at <= now)
        .order_by(Enrolment.offer_expires_at, Enrolment.id)
    ).all()
    expired = 0
    for enrolment_id, course_id in due:
        course = lock_course(course_id)
        enrolment = db.session.get_one(Enrolment, enrolment_id, populate_existing=True)
        # Someone may have answered, or another worker expired it, since the list was read.
        if enrolment.status != EnrolmentStatus.OFFERED:
            continue
        _set_status(enrolment, EnrolmentStatus.EXPIRED, now)
        notices.send(enrolment, "offer_expired")
        _pass_place_on(course, now)
        expired += 1
    db.session.flush()
    return expired


# --- admin actions on the waiting list ---------------------------------------------------------


def move_in_queue(actor: User, enrolment: Enrolment, steps: int) -> None:
    """Swap a waiting-list entry with its neighbour (admins only, audited)."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden()
    course = lock_course(enrolment.course_id)
    queue = waiting_list(course)
    if enrolment not in queue:
        raise NotWaiting()
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


def remove_by_admin(
    actor: User,
    enrolment: Enrolment,
    reason: RemovalReason = RemovalReason.OTHER,
    *,
    now: datetime | None = None,
) -> None:
    """Take someone off a course or its waiting list; a freed place passes on (audited).

    The person is told that the college took them off and whom to ask, never that they
    withdrew themselves.
    """
    if not actor.has_role(Role.ADMIN):
        raise Forbidden()
    withdraw(actor, enrolment, now=now, notify=False, reason=RemovalReason(reason))
    notices.send(enrolment, "removed")


def move_to_position(actor: User, enrolment: Enrolment, position: int) -> None:
    """Put a waiting-list entry at ``position`` (1 is the top) in one step (audited)."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden()
    course = lock_course(enrolment.course_id)
    queue = waiting_list(course)
    if enrolment not in queue:
        raise NotWaiting()
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


def enrolments_of(course: Course) -> list[Enrolment]:
    """People with a place or a place held for them, for the admin page."""
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


# --- my courses --------------------------------------------------------------------------------


@dataclass
class MyCourse:
    enrolment: Enrolment
    course: Course
    next_session: CourseSession | None
    position: int | None
    completed: bool
    can_give_feedback: bool
    apologies_sent: bool = False


def my_courses(student: User, now: datetime | None = None) -> tuple[list[MyCourse], list[MyCourse]]:
    """The student's upcoming and past courses, with positions and next sessions.

    A fixed number of queries however long the history: sessions, venues, queue positions
    and attendance are each read once for all the courses.
    """
    from courses.enrolment.attendance import (
        apologised_session_ids,
        completion_share,
        present_counts,
    )

    now = now or now_utc()
    enrolments = (
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.student_id == student.id, Enrolment.status.in_(list(ACTIVE)))
            .options(
                sa.orm.joinedload(Enrolment.course)
                .selectinload(Course.sessions)
                .joinedload(CourseSession.venue),
            )
            .order_by(Enrolment.created_at.desc(), Enrolment.id.desc())
        )
        .unique()
        .all()
    )
    positions = waitlist_positions(enrolments)
    scheduled = {
        e.course.id: [s for s in e.course.sessions if s.status == SessionStatus.SCHEDULED]
        for e in enrolments
    }
    ended = {
        course_id
        for course_id, sessions in scheduled.items()
        if sessions and all(s.ends_at <= now for s in sessions)
    }
    present = present_counts(student, sorted(ended), now)
    next_sessions = {
        course_id: next((s for s in sessions if s.ends_at > now), None)
        for course_id, sessions in scheduled.items()
    }
    apologised = apologised_session_ids(
        student, sorted(s.id for s in next_sessions.values() if s is not None)
    )
    upcoming: list[MyCourse] = []
    past: list[MyCourse] = []
    for enrolment in enrolments:
        course = enrolment.course
        sessions = scheduled[course.id]
        next_session = next_sessions[course.id]
        finished = course.id in ended
        enrolled = enrolment.status == EnrolmentStatus.ENROLLED
        held = sum(1 for s in sessions if s.starts_at <= now)
        share = present.get(course.id, 0) / held if held else None
        item = MyCourse(
            enrolment=enrolment,
            course=course,
            next_session=next_session,
            position=positions.get(enrolment.id),
            completed=finished and enrolled and share is not None and share >= completion_share(),
            can_give_feedback=finished and enrolled and not enrolment.feedback_given,
            apologies_sent=next_session is not None and next_session.id in apologised,
        )
        (past if finished else upcoming).append(item)
    return upcoming, past


# --- personal data -----------------------------------------------------------------------------


def withdraw_for_erasure(user: User, now: datetime | None = None) -> None:
    """An erased person leaves every course that has not ended; their places pass on.

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
