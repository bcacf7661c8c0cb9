"""The waiting list's offers: a freed seat held for the head of the list until they answer."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from college.db import now_utc
from college.errors import NotFound
from college.extensions import db
from college.models import User
from courses.enrolment import notices
from courses.enrolment.models import Enrolment, EnrolmentStatus
from courses.enrolment.queries import first_session_start, head_of_list
from courses.enrolment.services.errors import OfferNotAvailable
from courses.enrolment.services.seats import (
    lock_course,
    notify_listeners,
    release_seat,
    set_status,
    take_seat,
)
from courses.models import Course, CourseStatus

log = logging.getLogger(__name__)

OFFER_HOLD = timedelta(hours=48)
# An offer never runs closer to the start than this, so the person can still plan.
OFFER_MARGIN = timedelta(hours=12)
DIRECT_WHEN_STARTING_WITHIN = timedelta(days=1)


def offer_deadline(starts: datetime | None, now: datetime) -> datetime:
    """How long a seat is held: 48 hours, less when the course starts sooner."""
    expires = now + OFFER_HOLD
    if starts is not None:
        expires = min(expires, starts - OFFER_MARGIN)
    return expires


def pass_seat_on(course: Course, now: datetime) -> Enrolment | None:
    """Offer a seat that is already counted as taken to the head of the list, or free it.

    Run with the course row locked, so the seat cannot be taken by anyone in between.
    """
    head = head_of_list(course)
    if head is None:
        release_seat(course)
        return None
    starts = first_session_start(course)
    if starts is not None and starts - now <= DIRECT_WHEN_STARTING_WITHIN:
        # No time to wait for an answer: the seat is simply theirs.
        set_status(head, EnrolmentStatus.ENROLLED, now)
        notices.send(head, "promoted")
        db.session.flush()
        notify_listeners("enrolled", head)
        log.info("enrolment %s promoted from the waiting list", head.id)
        return head
    expires = offer_deadline(starts, now)
    set_status(head, EnrolmentStatus.OFFERED, now)
    head.offer_expires_at = expires
    notices.send(head, "offered", expires_at=expires)
    db.session.flush()
    log.info("enrolment %s offered a seat", head.id)
    return head


def fill_free_seats(course: Course, *, now: datetime | None = None) -> int:
    """Offer every free seat to the waiting list in order (e.g. after capacity is raised)."""
    now = now or now_utc()
    course = lock_course(course.id)
    offered = 0
    while head_of_list(course) is not None and take_seat(course):
        pass_seat_on(course, now)
        offered += 1
    return offered


def on_course_change(_app: Flask, *, course: Course, kind: str, **details: object) -> None:
    """Courses tell us a public course changed; more seats may now be free for the queue."""
    if kind == "updated" and course.status == CourseStatus.PUBLISHED:
        fill_free_seats(course)


def accept_offer(student: User, enrolment: Enrolment, *, now: datetime | None = None) -> None:
    """Take the seat held for you; a second click changes nothing."""
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
    set_status(enrolment, EnrolmentStatus.ENROLLED, now)
    notices.send(enrolment, "enrolled")
    db.session.flush()
    notify_listeners("enrolled", enrolment)


def decline_offer(student: User, enrolment: Enrolment, *, now: datetime | None = None) -> None:
    """Say "not now": no penalty, and the seat goes to the next person."""
    now = now or now_utc()
    if enrolment.student_id != student.id:
        raise NotFound()
    course = lock_course(enrolment.course_id)
    db.session.refresh(enrolment)
    if enrolment.status != EnrolmentStatus.OFFERED:
        raise OfferNotAvailable()
    set_status(enrolment, EnrolmentStatus.DECLINED, now)
    pass_seat_on(course, now)
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
        set_status(enrolment, EnrolmentStatus.EXPIRED, now)
        notices.send(enrolment, "offer_expired")
        pass_seat_on(course, now)
        expired += 1
    db.session.flush()
    return expired
