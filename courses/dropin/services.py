"""Drop-in sessions: a head count with no names, and the sheet for hearing about courses.

Nobody signs up for a drop-in, so its register is a head count the teachers take: how many
came, and how many said it was their first, second or third visit (people who did not say,
or came more often, are the rest). Someone who would like to hear about courses may leave
what they choose to write, and it is kept only when they tick that they agree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from college.db import now_utc
from college.errors import DomainError, NotFound
from college.extensions import db
from college.models import User
from college.services import record_audit, require_admin
from courses.dropin.models import CourseInterest, HeadCount
from courses.enrolment.attendance import (
    NotAFacilitator,
    SessionNotOpen,
    can_keep_register,
    check_register_open,
)
from courses.models import CourseSession, SessionStatus

log = logging.getLogger(__name__)

# More people than any room the college uses holds: a larger number is a slip of the finger.
MAX_HEAD_COUNT = 500
DEFAULT_INTEREST_KEPT_DAYS = 365
MAX_NAME_LENGTH = 120
MAX_CONTACT_LENGTH = 254


class NotADropIn(NotFound):
    message = _l("This session is not a drop-in, so it has a register with names instead.")


class InvalidHeadCount(DomainError):
    message = _l("Please give each number as a whole number from 0 to %(max)s. Nothing was saved.")


class VisitsAboveHeadCount(DomainError):
    message = _l(
        "The first, second and third visits add up to %(visits)s, more than the %(came)s"
        " people who came. Please check the numbers. Nothing was saved."
    )


class ConsentMissing(DomainError):
    message = _l(
        "We keep the details only when the person ticks that they agree. Nothing was saved."
    )


class ContactMissing(DomainError):
    message = _l("Please write an email address or a phone number, so that we can reach them.")


class InterestTooLong(DomainError):
    message = _l("Please use at most %(max)s characters. Nothing was saved.")


@dataclass(frozen=True)
class Visits:
    """A head count as the teachers enter it."""

    came: int
    first: int = 0
    second: int = 0
    third: int = 0


def is_drop_in(session: CourseSession) -> bool:
    return session.is_drop_in


def set_session_drop_in(actor: User, session: CourseSession, drop_in: bool) -> CourseSession:
    """Open one session of a course with sign-up to anyone who just comes (a taster), or
    close it again. Calendars show the change: the session counts as changed."""
    require_admin(actor)
    if session.status != SessionStatus.SCHEDULED:
        raise SessionNotOpen()
    if session.drop_in == drop_in:
        return session
    session.drop_in = drop_in
    session.updated_at = now_utc()
    db.session.flush()
    action = "session.drop_in_opened" if drop_in else "session.drop_in_closed"
    record_audit(actor, action, session, f"course={session.course_id}")
    return session


def _check_teacher(actor: User, session: CourseSession) -> None:
    if not can_keep_register(actor, session):
        raise NotAFacilitator()
    if not is_drop_in(session):
        raise NotADropIn()


def head_count_of(session: CourseSession) -> HeadCount | None:
    return db.session.scalar(sa.select(HeadCount).where(HeadCount.session_id == session.id))


def check_visits(visits: Visits) -> None:
    """The numbers are whole, not negative, not absurd, and the visits fit within who came."""
    numbers = (visits.came, visits.first, visits.second, visits.third)
    if any(not 0 <= number <= MAX_HEAD_COUNT for number in numbers):
        raise InvalidHeadCount(max=MAX_HEAD_COUNT)
    said = visits.first + visits.second + visits.third
    if said > visits.came:
        raise VisitsAboveHeadCount(visits=said, came=visits.came)


def record_head_count(
    actor: User, session: CourseSession, visits: Visits, now: datetime | None = None
) -> HeadCount:
    """Save the head count of a drop-in session, from its day on; saving again corrects it."""
    now = now or now_utc()
    _check_teacher(actor, session)
    if session.status != SessionStatus.SCHEDULED:
        raise SessionNotOpen()
    check_register_open(session, now)
    check_visits(visits)
    count = head_count_of(session)
    if count is None:
        count = HeadCount(session_id=session.id, came=0)
        db.session.add(count)
    count.came = visits.came
    count.first_visits = visits.first
    count.second_visits = visits.second
    count.third_visits = visits.third
    count.recorded_at = now
    db.session.flush()
    record_audit(actor, "head_count.saved", session, f"course={session.course_id}")
    log.info("head count saved session=%s", session.id)
    return count


def open_head_count(actor: User, session: CourseSession, now: datetime | None = None) -> None:
    """Refuse a head count page to anyone but the session's teachers and administrators,
    and before the day of the session, when there is nobody to count yet."""
    _check_teacher(actor, session)
    check_register_open(session, now)


# --- would you like to hear about courses? ------------------------------------------------------


def _tidy(text: str | None) -> str:
    return " ".join((text or "").split())


def record_interest(
    actor: User,
    session: CourseSession,
    *,
    name: str | None,
    contact: str | None,
    consent: bool,
    now: datetime | None = None,
) -> CourseInterest:
    """Keep what a person at a drop-in wrote to hear about courses, only with their consent.

    Nothing is checked against accounts and nobody is written to from here: an
    administrator reads the list and answers by hand.
    """
    now = now or now_utc()
    _check_teacher(actor, session)
    if not consent:
        raise ConsentMissing()
    contact, name = _tidy(contact), _tidy(name)
    if not contact:
        raise ContactMissing()
    if len(contact) > MAX_CONTACT_LENGTH:
        raise InterestTooLong(max=MAX_CONTACT_LENGTH)
    if len(name) > MAX_NAME_LENGTH:
        raise InterestTooLong(max=MAX_NAME_LENGTH)
    interest = CourseInterest(
        session_id=session.id,
        name=name or None,
        contact=contact,
        consented_at=now,
        created_at=now,
    )
    db.session.add(interest)
    db.session.flush()
    # Who wrote it down and where; never what was written.
    record_audit(actor, "course_interest.recorded", session, f"course={session.course_id}")
    return interest


def interest_list(actor: User) -> list[CourseInterest]:
    """Everything people asked to hear about courses, newest first, for administrators.

    Reading it is a staff view of people's details, so it is audited."""
    require_admin(actor)
    rows = list(
        db.session.scalars(
            sa.select(CourseInterest).order_by(
                CourseInterest.created_at.desc(), CourseInterest.id.desc()
            )
        )
    )
    record_audit(actor, "course_interest.viewed", None, f"rows={len(rows)}")
    return rows


def interest_to_delete(actor: User, interest_id: int) -> CourseInterest:
    """One entry, shown before it is deleted (a staff view of someone's details: audited)."""
    require_admin(actor)
    interest = db.session.get(CourseInterest, interest_id)
    if interest is None:
        raise NotFound()
    record_audit(actor, "course_interest.viewed", None, f"id={interest_id}")
    return interest


def delete_interest(actor: User, interest_id: int) -> None:
    """Delete one entry, e.g. once the person has heard from the college or asked us to."""
    require_admin(actor)
    interest = db.session.get(CourseInterest, interest_id)
    if interest is None:
        raise NotFound()
    db.session.delete(interest)
    db.session.flush()
    record_audit(actor, "course_interest.deleted", None, f"id={interest_id}")


def interest_kept_for() -> timedelta:
    return timedelta(
        days=int(current_app.config.get("INTEREST_KEPT_DAYS", DEFAULT_INTEREST_KEPT_DAYS))
    )


def forget_old_interest(now: datetime) -> int:
    """Retention: delete what people left at a drop-in once it is older than the kept time."""
    result = db.session.execute(
        sa.delete(CourseInterest).where(CourseInterest.created_at < now - interest_kept_for())
    )
    return int(getattr(result, "rowcount", 0) or 0)
