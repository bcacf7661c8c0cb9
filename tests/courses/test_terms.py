"""A course's term holds all its sessions; terms are listed by date; overlaps are warned about."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask.testing import FlaskClient

from college.extensions import db
from college.models import User
from courses import services
from courses.models import Audience, Course, CourseFormat, SessionStatus, Term, Topic
from courses.services.errors import OutsideTerm
from tests import factories

AUTUMN_START, AUTUMN_END = date(2030, 9, 2), date(2030, 12, 20)


def make_term(name: str, starts_on: date, ends_on: date) -> Term:
    return factories.make_term(name=name, starts_on=starts_on, ends_on=ends_on)


def term_details(term: Term, **changes: object) -> services.TermDetails:
    values = {"name": term.name, "starts_on": term.starts_on, "ends_on": term.ends_on}
    values.update(changes)
    return services.TermDetails(**values)  # type: ignore[arg-type]


def course_details(course: Course, term: Term) -> services.CourseDetails:
    return services.CourseDetails(
        title=course.title,
        summary=course.summary,
        description=course.description,
        topic=Topic(course.topic),
        audience=Audience(course.audience),
        format=CourseFormat(course.format),
        capacity=course.capacity,
        required_programme=course.required_programme,  # type: ignore[arg-type]
        term=term,
        venue=course.venue,
    )


@pytest.fixture
def autumn_course() -> Course:
    term = factories.make_term(name="Autumn", starts_on=AUTUMN_START, ends_on=AUTUMN_END)
    course = factories.make_course(term=term)
    factories.make_session(course, starts_at=datetime(2030, 9, 10, 15, tzinfo=UTC))
    factories.make_session(course, starts_at=datetime(2030, 12, 17, 15, tzinfo=UTC))
    db.session.flush()
    return course


def test_a_term_cannot_be_shortened_to_leave_a_session_outside(admin: User, autumn_course):
    term = autumn_course.term
    with pytest.raises(OutsideTerm) as refused:
        services.update_term(admin, term, term_details(term, ends_on=date(2030, 12, 1)))
    assert "17 Dec 2030" in str(refused.value) or "Dec 17, 2030" in str(refused.value)
    db.session.refresh(term)
    assert term.ends_on == AUTUMN_END


def test_a_cancelled_session_does_not_hold_its_term(admin: User, autumn_course):
    last = max(autumn_course.sessions, key=lambda s: s.starts_at)
    last.status = SessionStatus.CANCELLED
    db.session.flush()
    term = autumn_course.term
    services.update_term(admin, term, term_details(term, ends_on=date(2030, 12, 1)))
    assert term.ends_on == date(2030, 12, 1)


def test_a_course_cannot_move_to_a_term_that_misses_its_sessions(admin: User, autumn_course):
    spring = factories.make_term(
        name="Spring", starts_on=date(2031, 1, 6), ends_on=date(2031, 6, 1)
    )
    with pytest.raises(OutsideTerm):
        services.update_course(admin, autumn_course, course_details(autumn_course, spring))
    db.session.refresh(autumn_course)
    assert autumn_course.term.name == "Autumn"


def test_sessions_cannot_be_added_or_moved_outside_the_term(admin: User, peer, trainer):
    term = factories.make_term(name="Autumn", starts_on=AUTUMN_START, ends_on=AUTUMN_END)
    course = factories.make_course(term=term, pair=(peer, trainer))
    after = datetime(2031, 1, 14, 15, tzinfo=UTC)
    with pytest.raises(OutsideTerm):
        services.add_session(admin, course, after, after + timedelta(hours=2))
    with pytest.raises(OutsideTerm):
        services.add_weekly_series(admin, course, date(2030, 12, 10), time(17), 120, 4)
    inside = datetime(2030, 10, 1, 15, tzinfo=UTC)
    session = services.add_session(admin, course, inside, inside + timedelta(hours=2))
    with pytest.raises(OutsideTerm):
        services.reschedule_session(admin, session, after, after + timedelta(hours=2), None)
    assert session.starts_at == inside


def test_overlapping_terms_are_found_both_ways():
    autumn = factories.make_term(name="Autumn", starts_on=AUTUMN_START, ends_on=AUTUMN_END)
    winter = factories.make_term(
        name="Winter", starts_on=date(2030, 12, 1), ends_on=date(2031, 2, 1)
    )
    spring = factories.make_term(
        name="Spring", starts_on=date(2031, 2, 2), ends_on=date(2031, 6, 1)
    )
    db.session.flush()
    assert services.overlapping_terms(autumn) == [winter]
    assert services.overlapping_terms(spring) == []
    overlaps = services.term_overlaps()
    assert overlaps[winter.id] == [autumn] and overlaps[spring.id] == []


def test_the_terms_page_lists_newest_first_and_warns_of_overlaps(
    client: FlaskClient, signed_in_admin: User
):
    factories.make_term(name="Autumn", starts_on=AUTUMN_START, ends_on=AUTUMN_END)
    factories.make_term(name="Later spring", starts_on=date(2031, 2, 2), ends_on=date(2031, 6, 1))
    factories.make_term(name="An early term", starts_on=date(2029, 1, 7), ends_on=date(2029, 6, 1))
    db.session.commit()
    response = client.post(
        "/admin/terms/new",
        data={"name": "Winter school", "starts_on": "2030-12-01", "ends_on": "2031-02-01"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Winter school overlaps with Autumn" in page
    table = page[page.index("<table") :]
    order = [table.index(name) for name in ("Later spring", "Winter school", "An early term")]
    assert order == sorted(order)
    assert page.count("Warning:") == 2  # Winter school and Autumn, each naming the other


def test_moving_a_course_out_of_its_sessions_term_is_refused_with_a_message(
    client: FlaskClient, signed_in_admin: User, autumn_course
):
    spring = factories.make_term(
        name="Spring", starts_on=date(2031, 1, 6), ends_on=date(2031, 6, 1)
    )
    db.session.commit()
    form = {
        "title": autumn_course.title,
        "summary": autumn_course.summary,
        "description": autumn_course.description,
        "topic": autumn_course.topic,
        "audience": autumn_course.audience,
        "format": autumn_course.format,
        "capacity": str(autumn_course.capacity),
        "required_programme": autumn_course.required_programme,
        "term": str(spring.id),
        "slug": autumn_course.slug,
    }
    response = client.post(f"/admin/courses/{autumn_course.id}/edit", data=form)
    assert response.status_code == 400
    assert "must fall within its term" in response.get_data(as_text=True)
