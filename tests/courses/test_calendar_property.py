"""A property: whatever happens, the invitations a person received show what their feed shows.

Random sequences of what administrators and people do to a weekly course (move or cancel a
session, edit a venue, rename the course, change a teacher, cover, discreet mode and
language, withdraw and enrol again). After each step the mail worker's preparation runs,
every calendar message it wrote is applied to a model calendar per person, as a client
applies it (REQUEST and CANCEL by UID, RECURRENCE-ID and SEQUENCE), and each person's model
calendar must show exactly what their personal feed shows. The seed is fixed, so a failure
is the same on every run; ``PROPERTY_EXAMPLES`` asks for more examples than the suite runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from college.db import now_utc
from college.errors import DomainError
from college.extensions import db
from college.models import OutboxMessage, Programme, User
from college.outbox import queueing
from courses import services
from courses.enrolment import services as enrolment_services
from courses.enrolment.models import Enrolment, EnrolmentStatus
from courses.feeds import Feed, Viewer, in_window, personal_session_ids, read_facts, render
from courses.feeds import shown_sessions as feed_sessions
from courses.models import Course, CourseSession, FacilitatorRole, Venue
from courses.services import VenueDetails
from tests import factories
from tests.calendar_checks import check_calendars
from tests.courses.calendar_model import ModelCalendar, feed_shows

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "8"))
SESSIONS = 4


@dataclass
class College:
    admin: User
    course: Course
    peers: list[User]
    trainers: list[User]
    students: list[User]
    venues: list[Venue]
    calendars: dict[int, ModelCalendar] = field(default_factory=dict)
    last_message: int = 0
    texts: list[bytes] = field(default_factory=list)

    @property
    def people(self) -> list[User]:
        return [*self.peers, *self.trainers, *self.students]

    def session(self, index: int) -> CourseSession:
        return sorted(self.course.sessions, key=lambda s: s.id)[index % SESSIONS]


def build_college() -> College:
    admin = factories.make_admin()
    peers = [factories.make_peer(programmes=(Programme.FIVE_DAY,)) for _ in range(2)]
    trainers = [factories.make_trainer() for _ in range(2)]
    venues = [
        factories.make_venue(name="Kulturhuset"),
        factories.make_venue(
            name="Online room", is_online=True, meeting_link="https://meet.example.org/a"
        ),
    ]
    # Within the personal feed's year ahead.
    first = (now_utc() + timedelta(days=10)).replace(hour=15, minute=0, second=0, microsecond=0)
    course = factories.make_published_course(
        peer=peers[0],
        trainer=trainers[0],
        sessions=SESSIONS,
        venue=venues[0],
        capacity=10,
        first_start=first,
    )
    students = [factories.make_student(), factories.make_student(language="da")]
    peers[0].discreet = False
    college = College(admin, course, peers, trainers, students, venues)
    college.last_message = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    for student in students:
        enrolment_services.enrol(student, course)
    return college


# --- what people do ------------------------------------------------------------------------------


def move(college: College, index: int, hours: int) -> None:
    session = college.session(index)
    later = session.starts_at + timedelta(hours=hours)
    venue = college.venues[hours % 2]
    services.reschedule_session(
        college.admin, session, later, later + (session.ends_at - session.starts_at), venue
    )


def cancel(college: College, index: int, _value: int) -> None:
    services.cancel_session(college.admin, college.session(index))


def edit_venue(college: College, index: int, value: int) -> None:
    venue = college.venues[index % 2]
    details = VenueDetails(
        name=venue.name,
        address=None if venue.is_online else f"Skolegade {value}, 8000 Aarhus C",
        is_online=venue.is_online,
        meeting_link=f"https://meet.example.org/{value}" if venue.is_online else None,
    )
    services.update_venue(college.admin, venue, details)


def rename(college: College, _index: int, value: int) -> None:
    # What the course form's service does to the title (the rest of the form unchanged).
    college.course.title = f"Hope and recovery {value}"
    college.course.updated_at = now_utc()
    for session in college.course.sessions:
        session.updated_at = college.course.updated_at


def change_teacher(college: College, index: int, _value: int) -> None:
    session = college.session(index)
    (peer,) = session.people(FacilitatorRole.PEER)
    (trainer,) = session.people(FacilitatorRole.PROFESSIONAL)
    other = next(p for p in college.peers if p.id != peer.id)
    services.set_session_facilitators(college.admin, session, [other], [trainer])


def cover(college: College, index: int, _value: int) -> None:
    session = college.session(index)
    (trainer,) = session.people(FacilitatorRole.PROFESSIONAL)
    other = next(t for t in college.trainers if t.id != trainer.id)
    services.replace_session_facilitator(college.admin, session, trainer, other)


def toggle_discreet(college: College, index: int, _value: int) -> None:
    person = college.people[index % len(college.people)]
    person.discreet = not person.discreet


def toggle_language(college: College, index: int, _value: int) -> None:
    person = college.people[index % len(college.people)]
    person.language = "en" if person.language == "da" else "da"


def withdraw_or_enrol(college: College, index: int, _value: int) -> None:
    student = college.students[index % len(college.students)]
    enrolment = db.session.scalar(
        sa.select(Enrolment).where(
            Enrolment.student_id == student.id, Enrolment.course_id == college.course.id
        )
    )
    if enrolment is not None and enrolment.status == EnrolmentStatus.ENROLLED:
        enrolment_services.withdraw(student, enrolment)
    else:
        enrolment_services.enrol(student, college.course)


ACTIONS: dict[str, Callable[[College, int, int], None]] = {
    "move": move,
    "cancel": cancel,
    "edit_venue": edit_venue,
    "rename": rename,
    "change_teacher": change_teacher,
    "cover": cover,
    "discreet": toggle_discreet,
    "language": toggle_language,
    "withdraw_or_enrol": withdraw_or_enrol,
}

steps = st.lists(
    st.tuples(
        st.sampled_from(sorted(ACTIONS)),
        st.integers(min_value=0, max_value=5),
        st.sampled_from([-24, 1, 2, 24, 7 * 24]),
    ),
    min_size=1,
    max_size=7,
)


# --- the check ---------------------------------------------------------------------------------


def apply_new_mail(college: College) -> None:
    """Let the worker prepare and write mail; apply each calendar part to its person."""
    queueing.render_pending()
    by_address = {person.email: person.id for person in college.people}
    messages = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.id > college.last_message)
        .order_by(OutboxMessage.id)
    ).all()
    for message in messages:
        college.last_message = message.id
        if message.calendar_body is None or message.recipient not in by_address:
            continue
        calendar = college.calendars.setdefault(by_address[message.recipient], ModelCalendar())
        calendar.apply(message.calendar_body)
        college.texts.append(message.calendar_body.encode("utf-8"))


def personal_feed(person: User) -> bytes:
    """The person's feed, as ``/calendar/u/<token>.ics`` writes it."""
    facts = read_facts(
        feed_sessions(CourseSession.id.in_(personal_session_ids(person)), *in_window())
    )
    with force_locale(person.language):
        name = str(current_app.config["COLLEGE_NAME"])
    feed = Feed(
        name, facts, Viewer(person.id, person.discreet), person.language, True, "f.ics", vary=None
    )
    return render(feed)


def assert_calendars_match_feeds(college: College, history: list[Any]) -> None:
    for person in college.people:
        held = college.calendars.get(person.id, ModelCalendar()).shows()
        assert held == feed_shows(personal_feed(person)), (person.email, history)


@pytest.mark.slow
@seed(26)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_every_calendar_shows_what_the_feed_shows_after_any_changes(app, steps) -> None:
    try:
        college = build_college()
        apply_new_mail(college)
        assert_calendars_match_feeds(college, [])
        history: list[Any] = []
        for name, index, value in steps:
            history.append((name, index, value))
            try:
                with db.session.begin_nested():
                    ACTIONS[name](college, index, value)
            except DomainError:
                continue  # refused, and nothing changed: the service said why
            db.session.flush()
            apply_new_mail(college)
            assert_calendars_match_feeds(college, history)
        check_calendars(college.texts)
    finally:
        db.session.rollback()
