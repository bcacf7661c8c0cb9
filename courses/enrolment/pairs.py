"""Enrol as a pair: a student and the person who comes with them, "both or none".

The rules, as the college wants them:

- Two places are taken in one conditional UPDATE, or none: with fewer than two places left
  (or anyone waiting), the pair joins the waiting list as one entry, the student's.
- The companion is invited by mail with a link that carries a random token (never personal
  data). Their place is held, like an offer, for up to 48 hours; it counts in
  ``Course.seats_taken`` through the ``Companion`` row while it is held. They confirm by
  signing in (or creating an account first), and then have an enrolment of their own.
- A companion who declines, or does not answer in time, frees the held place for the next
  person; the student keeps their own place and is asked whether to come alone.
- Once both have places, either can withdraw alone and the other keeps their place. If the
  student leaves before the companion has answered, the invitation is withdrawn.
- A pair at the head of the waiting list is offered two places at once. When only one
  place frees, it is kept free for the pair (people waiting behind them cannot pass the
  queue, and newcomers cannot take a place while anyone waits) until a second one frees.

Every change runs with the course row locked, like every other change to places
(``courses.enrolment.services``).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from college.db import now_utc
from college.errors import DomainError, NotFound
from college.extensions import db
from college.models import User
from college.services import hash_token, normalise_email
from courses.enrolment import notices, pair_notices, services
from courses.enrolment.models import (
    ACTIVE,
    Companion,
    CompanionRelation,
    CompanionStatus,
    Enrolment,
    EnrolmentStatus,
)
from courses.enrolment.queries import (
    find_enrolment,
    first_session_start,
    read_queue,
    waitlist_position,
)
from courses.enrolment.services.offers import pass_seat_on
from courses.enrolment.services.seats import (
    lock_seats,
    notify_listeners,
    release_seat,
    set_status,
    take_seat,
    take_seat_if_nobody_waits,
)
from courses.enrolment.services.sign_up import save_enrolment
from courses.models import Audience, Course, CourseStatus

log = logging.getLogger(__name__)

PAIR = 2


class CompanionIsYou(DomainError):
    message = _l("Please give the name and email address of the person coming with you.")


class AlreadySignedUp(DomainError):
    message = _l(
        "You are already signed up for this course. The person you want to bring can sign "
        "up themselves."
    )


class InvitationNotAvailable(DomainError):
    status_code = 409
    message = _l("This invitation is no longer open.")


class CompanionAlreadyOnCourse(DomainError):
    message = _l("You already have a place on this course or on its waiting list.")


class NothingToAnswer(DomainError):
    message = _l("There is nothing to answer about this course.")


@dataclass(frozen=True)
class PairPlacement:
    """Where a pair's sign-up left them: the student's row, the pair, and the queue number."""

    enrolment: Enrolment
    companion: Companion
    position: int | None


# --- signing up together -----------------------------------------------------------------------


def enrol_together(
    student: User,
    course: Course,
    *,
    name: str,
    email: str,
    relation: CompanionRelation | str,
    belongs: bool = False,
    now: datetime | None = None,
) -> PairPlacement:
    """Take two places, for the student and their companion, or put the pair on the list.

    The student says only that they belong to the course's group (``belongs``), as for one
    person; the companion says so for themselves when they confirm.
    """
    now = now or now_utc()
    name, email, relation = name.strip(), normalise_email(email), CompanionRelation(relation)
    if not name or email == normalise_email(student.email):
        raise CompanionIsYou()
    enrolment = find_enrolment(course, student)
    if enrolment is not None and enrolment.status in ACTIVE:
        return _same_pair_again(enrolment, email)
    services.check_enrolment_open(course, now)
    if course.audience != Audience.EVERYONE and not belongs:
        raise services.ConfirmAudience()
    lock_seats(course)
    # Under the lock, again what may have changed meanwhile (see ``services.enrol_or_wait``).
    if course.status != CourseStatus.PUBLISHED:
        raise services.CourseNotOpen()
    if enrolment is not None:
        db.session.refresh(enrolment)
        if enrolment.status in ACTIVE:
            return _same_pair_again(enrolment, email)
        _forget_earlier_pair(enrolment)
    companion = Companion(
        course=course,
        name=name,
        email=email,
        relation=relation,
        status=CompanionStatus.WAITING,
        created_at=now,
        updated_at=now,
    )
    # Both seats in one statement, or neither; nobody passes the queue, as for one person.
    if take_seat_if_nobody_waits(course, seats=PAIR):
        enrolment = save_enrolment(enrolment, course, student, EnrolmentStatus.ENROLLED, now)
        companion.student_enrolment = enrolment
        db.session.add(companion)
        _invite(companion, course, now)
        notices.send(enrolment, "enrolled")
        db.session.flush()
        notify_listeners("enrolled", enrolment)
        position = None
    else:
        queue = read_queue(course)
        position = queue.next_position
        enrolment = save_enrolment(
            enrolment, course, student, EnrolmentStatus.WAITLISTED, now, queue.next_number
        )
        companion.student_enrolment = enrolment
        companion.status = CompanionStatus.WAITING
        db.session.add(companion)
        notices.send(enrolment, "waitlisted", position=position)
        db.session.flush()
    log.info("a pair's sign-up on course %s: %s", course.id, enrolment.status)
    return PairPlacement(enrolment, companion, position)


def _same_pair_again(enrolment: Enrolment, email: str) -> PairPlacement:
    """A second click on the same pair changes nothing; anything else is refused."""
    companion = pair_of(enrolment)
    if companion is None or companion.email != email:
        raise AlreadySignedUp()
    return PairPlacement(enrolment, companion, waitlist_position(enrolment))


def _forget_earlier_pair(enrolment: Enrolment) -> None:
    """A student who signs up again reuses their row, so an old pair on it is let go."""
    earlier = pair_of(enrolment)
    if earlier is not None:
        db.session.delete(earlier)
        db.session.flush()


def pair_of(enrolment: Enrolment) -> Companion | None:
    """The pair the student's row leads, if it does."""
    return db.session.scalar(
        sa.select(Companion)
        .where(Companion.student_enrolment_id == enrolment.id)
        .execution_options(populate_existing=True)
    )


def hold_deadline(course: Course, now: datetime) -> datetime:
    """How long a companion's place is held: as long as an offer, and never past the start."""
    starts = first_session_start(course)
    deadline = services.offer_deadline(starts, now)
    if deadline <= now and starts is not None:
        deadline = starts  # the course starts within hours: held until it begins
    return deadline


def _invite(companion: Companion, course: Course, now: datetime) -> None:
    """Hold a place for the companion and mail them the link to confirm it."""
    raw = secrets.token_urlsafe(32)
    companion.token_hash = hash_token(raw)
    companion.status = CompanionStatus.INVITED
    companion.hold_expires_at = hold_deadline(course, now)
    companion.updated_at = now
    db.session.flush()
    pair_notices.send_to_companion(companion, "invited", token=raw)


# --- the companion answers ---------------------------------------------------------------------


def find_invitation(token: str) -> Companion | None:
    """The pair a link's token names, or None; the token itself is never stored."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(Companion)
        .where(Companion.token_hash == hash_token(token))
        .execution_options(populate_existing=True)
    )


def is_open(companion: Companion, now: datetime | None = None) -> bool:
    now = now or now_utc()
    return companion.status == CompanionStatus.INVITED and (
        companion.hold_expires_at is None or companion.hold_expires_at > now
    )


def _invitation_under_lock(token: str) -> tuple[Companion, Course]:
    companion = find_invitation(token)
    if companion is None:
        raise InvitationNotAvailable()
    course = services.lock_course(companion.course_id)
    db.session.refresh(companion)
    return companion, course


def confirm(
    user: User, token: str, *, belongs: bool = False, now: datetime | None = None
) -> Enrolment:
    """The companion takes the place held for them, with their own account."""
    now = now or now_utc()
    companion, course = _invitation_under_lock(token)
    mine = companion.companion_enrolment
    if mine is not None and mine.student_id == user.id:
        return mine  # a second click on "confirm"
    if not is_open(companion, now):
        raise InvitationNotAvailable()
    if companion.student_enrolment.student_id == user.id:
        raise CompanionIsYou()
    if course.audience != Audience.EVERYONE and not belongs:
        raise services.ConfirmAudience()
    earlier = find_enrolment(course, user)
    if earlier is not None and earlier.status in ACTIVE:
        raise CompanionAlreadyOnCourse()
    if earlier is not None:
        _unlink_earlier_pairs(earlier)
    # The place held by the pair's row becomes the companion's own: the count stays.
    enrolment = save_enrolment(earlier, course, user, EnrolmentStatus.ENROLLED, now)
    db.session.flush()
    companion.companion_enrolment = enrolment
    companion.status = CompanionStatus.CONFIRMED
    # The account says who they are now; what the student typed is no longer needed.
    companion.name = companion.email = None
    companion.hold_expires_at = None
    companion.updated_at = now
    notices.send(enrolment, "enrolled")
    db.session.flush()
    notify_listeners("enrolled", enrolment)
    log.info("companion %s confirmed on course %s", companion.id, course.id)
    return enrolment


def _unlink_earlier_pairs(enrolment: Enrolment) -> None:
    """A row reused for a new pair leaves the pair it once belonged to (which has ended)."""
    db.session.execute(
        sa.update(Companion)
        .where(Companion.companion_enrolment_id == enrolment.id)
        .values(companion_enrolment_id=None)
        .execution_options(synchronize_session="fetch")
    )


def decline(token: str, *, now: datetime | None = None) -> None:
    """The companion cannot come: their place passes on and the student is asked."""
    now = now or now_utc()
    companion, course = _invitation_under_lock(token)
    if companion.status == CompanionStatus.DECLINED:
        return
    if not is_open(companion, now):
        raise InvitationNotAvailable()
    _let_go(companion, course, CompanionStatus.DECLINED, now)


def expire_holds(now: datetime | None = None) -> int:
    """Pass on every companion's place nobody confirmed in time. Running it twice is harmless."""
    now = now or now_utc()
    due = db.session.execute(
        sa.select(Companion.id, Companion.course_id)
        .where(Companion.status == CompanionStatus.INVITED, Companion.hold_expires_at <= now)
        .order_by(Companion.hold_expires_at, Companion.id)
    ).all()
    expired = 0
    for companion_id, course_id in due:
        course = services.lock_course(course_id)
        companion = db.session.get_one(Companion, companion_id, populate_existing=True)
        if companion.status != CompanionStatus.INVITED:
            continue  # answered, or expired by another worker, since the list was read
        _let_go(companion, course, CompanionStatus.EXPIRED, now)
        expired += 1
    db.session.flush()
    return expired


def _let_go(companion: Companion, course: Course, status: CompanionStatus, now: datetime) -> None:
    """The companion is not coming: free their place and ask the student about their own."""
    name = companion.name or ""
    companion.status = status
    companion.email = None
    companion.hold_expires_at = None
    companion.updated_at = now
    student_enrolment = companion.student_enrolment
    companion.student_asked = student_enrolment.status in ACTIVE
    pass_seat_on(course, now)
    if companion.student_asked:
        notices.send(
            student_enrolment,
            "companion_cannot_come",
            name=name,
            expired=status == CompanionStatus.EXPIRED,
        )
    db.session.flush()
    log.info("companion %s on course %s: %s", companion.id, course.id, status)


# --- the student ----------------------------------------------------------------------------


def keep_place_alone(student: User, enrolment: Enrolment, *, now: datetime | None = None) -> None:
    """The student answers that they will come without their companion."""
    if enrolment.student_id != student.id:
        raise NotFound()
    companion = pair_of(enrolment)
    if companion is None or not companion.student_asked:
        raise NothingToAnswer()
    companion.student_asked = False
    companion.updated_at = now or now_utc()
    db.session.flush()


def on_student_leaving(course: Course, enrolment: Enrolment, now: datetime) -> None:
    """The student left (withdrew, said not now, or let an offer run out).

    A companion who already confirmed keeps their place. One still invited or waiting came
    only with the student, so the invitation is withdrawn and a held place passes on.
    """
    companion = pair_of(enrolment)
    if companion is None:
        return
    companion.student_asked = False
    if companion.status == CompanionStatus.WAITING:
        companion.status = CompanionStatus.CANCELLED
        companion.updated_at = now
        # A place kept free for this pair at the head of the list is now the next person's.
        services.fill_free_seats(course, now=now)
    elif companion.status == CompanionStatus.INVITED:
        companion.status = CompanionStatus.CANCELLED
        companion.hold_expires_at = None
        companion.updated_at = now
        pair_notices.send_to_companion(companion, "cancelled")
        companion.email = None
        pass_seat_on(course, now)
    db.session.flush()


# --- a pair at the head of the waiting list ----------------------------------------------------


def waiting_pair(head: Enrolment) -> Companion | None:
    """The pair the head of the list leads, if it is a pair waiting together."""
    companion = pair_of(head)
    if companion is None or companion.status != CompanionStatus.WAITING:
        return None
    return companion


def offer_to_pair(course: Course, head: Enrolment, companion: Companion, now: datetime) -> bool:
    """One place (already counted) is free for a pair at the head: offer two, or keep it.

    Returns whether the pair was offered its places. If not, the place is released; it
    stays free for the pair, since nobody passes the queue while anyone waits.
    """
    # The second seat for a pair at the head of the list, whose first one is already counted.
    if not take_seat(course):
        release_seat(course)
        log.info("course %s: a place kept free for the pair at the head of the list", course.id)
        return False
    starts = first_session_start(course)
    if starts is not None and starts - now <= services.DIRECT_WHEN_STARTING_WITHIN:
        set_status(head, EnrolmentStatus.ENROLLED, now)
        notices.send(head, "promoted")
        db.session.flush()
        notify_listeners("enrolled", head)
    else:
        expires = services.offer_deadline(starts, now)
        set_status(head, EnrolmentStatus.OFFERED, now)
        head.offer_expires_at = expires
        notices.send(head, "offered", expires_at=expires)
    _invite(companion, course, now)
    db.session.flush()
    log.info("enrolment %s offered two places", head.id)
    return True


def places_held_for_companions(course: Course) -> int:
    """How many of the course's places are held for companions who have yet to answer."""
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Companion)
        .where(Companion.course_id == course.id, Companion.status == CompanionStatus.INVITED)
    )
    return count or 0


# --- what people see ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PairView:
    """A pair as one of its two people sees it on My courses."""

    companion: Companion
    # The other person's name as this person knows it.
    other_name: str
    is_student: bool

    @property
    def relation(self) -> str:
        return CompanionRelation(self.companion.relation).label

    @property
    def state(self) -> str:
        """The companion's state in words; a companion who withdrew says so."""
        enrolment = self.companion.companion_enrolment
        if enrolment is not None and enrolment.status == EnrolmentStatus.WITHDRAWN:
            return str(EnrolmentStatus.WITHDRAWN.label)
        return CompanionStatus(self.companion.status).label


def pairs_for(enrolments: list[Enrolment]) -> dict[int, PairView]:
    """For each of a person's enrolments that is part of a pair, how they see the pair.

    One query for all of them, with both people's accounts.
    """
    ids = [e.id for e in enrolments]
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Companion)
        .where(
            sa.or_(
                Companion.student_enrolment_id.in_(ids),
                Companion.companion_enrolment_id.in_(ids),
            )
        )
        .options(
            sa.orm.joinedload(Companion.student_enrolment).joinedload(Enrolment.student),
            sa.orm.joinedload(Companion.companion_enrolment).joinedload(Enrolment.student),
        )
    ).all()
    views: dict[int, PairView] = {}
    for companion in rows:
        if companion.student_enrolment_id in ids:
            views[companion.student_enrolment_id] = PairView(
                companion, companion_name(companion), is_student=True
            )
        if companion.companion_enrolment_id in ids:
            student = companion.student_enrolment.student
            name = student.display_name if student is not None else ""
            views[companion.companion_enrolment_id] = PairView(companion, name, is_student=False)
    return views


def companion_name(companion: Companion) -> str:
    """The companion's name: their account's once they confirmed, else what was typed."""
    enrolment = companion.companion_enrolment
    if enrolment is not None and enrolment.student is not None:
        return enrolment.student.display_name
    return companion.name or ""
