"""Rules for seats on a course: enrolment, the waiting list and its offers.

Every change to who holds a seat runs with the course row locked (``FOR UPDATE`` on
PostgreSQL; on SQLite, which ignores that, the request holds the database write lock from
its start — see ``college.transactions``). ``Course.seats_taken``
moves only through a conditional update that CHECK constraints back, so capacity holds
whatever the concurrency. A freed seat goes to the head of the waiting list in the same
transaction, so no one can take it in between. Callers import from here; the modules
behind it are grouped by subject:

- ``sign_up``: enrolling or joining the waiting list, withdrawing
- ``offers``: seats held for the head of the waiting list, accepted, declined or expired
- ``admin_actions``: the office reorders the waiting list or takes someone off
- ``my_courses``: the student's own page, read in a fixed number of queries
- ``seats``: the course row's lock, the seat count and the listeners; ``errors``
"""

from __future__ import annotations

from courses.enrolment.services.admin_actions import (
    RemovalReason,
    enrolments_of,
    move_in_queue,
    move_to_position,
    remove_by_admin,
)
from courses.enrolment.services.errors import (
    ConfirmAudience,
    CourseAlreadyStarted,
    CourseEnded,
    CourseNotOpen,
    EnrolmentClosed,
    EnrolmentNotYetOpen,
    NothingToWithdraw,
    NotWaiting,
    OfferNotAvailable,
)
from courses.enrolment.services.my_courses import MyCourse, my_courses
from courses.enrolment.services.offers import (
    DIRECT_WHEN_STARTING_WITHIN,
    OFFER_HOLD,
    OFFER_MARGIN,
    accept_offer,
    decline_offer,
    expire_offers,
    fill_free_seats,
    offer_deadline,
    on_course_change,
)
from courses.enrolment.services.seats import (
    lock_course,
    seats_left,
)
from courses.enrolment.services.sign_up import (
    SignUpOutcome,
    check_enrolment_open,
    enrol,
    enrol_or_wait,
    sign_up,
    withdraw,
    withdraw_for_erasure,
)

__all__ = [
    "DIRECT_WHEN_STARTING_WITHIN",
    "OFFER_HOLD",
    "OFFER_MARGIN",
    "ConfirmAudience",
    "CourseAlreadyStarted",
    "CourseEnded",
    "CourseNotOpen",
    "EnrolmentClosed",
    "EnrolmentNotYetOpen",
    "MyCourse",
    "NotWaiting",
    "NothingToWithdraw",
    "OfferNotAvailable",
    "RemovalReason",
    "SignUpOutcome",
    "accept_offer",
    "check_enrolment_open",
    "decline_offer",
    "enrol",
    "enrol_or_wait",
    "enrolments_of",
    "expire_offers",
    "fill_free_seats",
    "lock_course",
    "move_in_queue",
    "move_to_position",
    "my_courses",
    "offer_deadline",
    "on_course_change",
    "remove_by_admin",
    "seats_left",
    "sign_up",
    "withdraw",
    "withdraw_for_erasure",
]
