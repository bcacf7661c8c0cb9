"""Whether a course can be joined now: the one rule the prospectus, the course page, the
API and enrolment all ask.

A course can be joined while it is published, its enrolment window is open and its first
session has not begun. A drop-in course is never joined by sign-up: people just come.
Places are a second question: a full course that can be joined
still offers its waiting list; "open for enrolment now" (the prospectus's ``available``)
means both, a place left and joining possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from college.labels import LabelledEnum
from courses.enrolment.models import someone_waits_for
from courses.models import Course, CourseStatus, Term


class Joining(LabelledEnum):
    """Where a course stands for someone who would like to join it."""

    OPEN = "open", _l("Open for enrolment")
    NOT_YET_OPEN = "not_yet_open", _l("Enrolment not open yet")
    CLOSED = "closed", _l("Enrolment closed")
    BEGUN = "begun", _l("Begun")
    ENDED = "ended", _l("Ended")
    NOT_PUBLISHED = "not_published", _l("Not published")
    # No sign-up: people just come (``Course.drop_in``).
    DROP_IN = "drop_in", _l("Drop-in: no sign-up")


@dataclass(frozen=True)
class JoinState:
    """The answer, with the moment enrolment opens when it is still to come."""

    joining: Joining
    opens_at: datetime | None = None

    @property
    def can_join(self) -> bool:
        return self.joining == Joining.OPEN

    @property
    def has_begun(self) -> bool:
        return self.joining in (Joining.BEGUN, Joining.ENDED)

    @property
    def badge(self) -> Any:
        """How the prospectus and the course page mark a public course that cannot be joined
        ("Begun"); None when it can be, or is not public."""
        if self.can_join or self.joining == Joining.NOT_PUBLISHED:
            return None
        return self.joining.label

    @property
    def shows_places(self) -> bool:
        """Places left matter while the course can be joined or soon can."""
        return self.joining in (Joining.OPEN, Joining.NOT_YET_OPEN)


def join_state(
    course: Course, *, now: datetime, first_start: datetime | None, last_end: datetime | None
) -> JoinState:
    """Whether ``course`` can be joined at ``now``, and if not, why.

    ``first_start`` and ``last_end`` are its scheduled sessions' first start and last end,
    read by the caller however suits it (the prospectus from one aggregate query, a course
    page from the sessions it loaded). A course whose first session has begun is never
    joined, whatever its dates of enrolment say: the group has started without you.
    """
    if course.status != CourseStatus.PUBLISHED:
        return JoinState(Joining.NOT_PUBLISHED)
    if last_end is not None and last_end <= now:
        return JoinState(Joining.ENDED)
    if course.drop_in:
        return JoinState(Joining.DROP_IN)
    if first_start is not None and first_start <= now:
        return JoinState(Joining.BEGUN)
    term: Term = course.term
    if term.enrolment_closes_at is not None and now > term.enrolment_closes_at:
        return JoinState(Joining.CLOSED)
    if term.enrolment_opens_at is not None and now < term.enrolment_opens_at:
        return JoinState(Joining.NOT_YET_OPEN, term.enrolment_opens_at)
    return JoinState(Joining.OPEN)


def join_state_of_loaded(course: Course, now: datetime) -> JoinState:
    """``join_state`` for a course whose sessions are loaded (a course page, a sign-up)."""
    scheduled = course.scheduled_sessions
    return join_state(
        course,
        now=now,
        first_start=min((s.starts_at for s in scheduled), default=None),
        last_end=max((s.ends_at for s in scheduled), default=None),
    )


def open_for_enrolment_now(course: Course, state: JoinState) -> bool:
    """A place a newcomer can take and joining possible: the prospectus's ``available``."""
    return state.can_join and course.open_places > 0


# --- the same rule as SQL, for filtering a list -------------------------------------------------


def can_join_condition(now: datetime, first_start: Any) -> Any:
    """``join_state(...).can_join`` as a SQL condition over ``Course`` joined with ``Term``.

    ``first_start`` is the SQL expression of the course's first scheduled start. A test
    checks that this and ``join_state`` agree on every kind of course.
    """
    return sa.and_(
        Course.status == CourseStatus.PUBLISHED,
        Course.drop_in.is_(False),
        sa.or_(first_start.is_(None), first_start > now),
        sa.or_(Term.enrolment_closes_at.is_(None), Term.enrolment_closes_at >= now),
        sa.or_(Term.enrolment_opens_at.is_(None), Term.enrolment_opens_at <= now),
    )


def open_now_condition(now: datetime, first_start: Any) -> Any:
    """``open_for_enrolment_now`` as a SQL condition (``Course`` joined with ``Term``)."""
    return sa.and_(
        can_join_condition(now, first_start),
        Course.seats_taken < Course.capacity,
        ~someone_waits_for(Course.id),
    )


def not_begun_condition(now: datetime, first_start: Any) -> Any:
    """Courses whose first session is still to come (or not planned yet), and drop-in
    courses, which nobody joins at the start: people come to any session."""
    return sa.or_(Course.drop_in.is_(True), first_start.is_(None), first_start > now)
