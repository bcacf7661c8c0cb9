"""Invitations or the personal feed: a person's choice, never both, and what each sends."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from college import services as college_services
from college.db import now_utc
from college.extensions import db
from college.models import CalendarChoice, User
from courses import services
from courses.enrolment import services as enrolment_services
from courses.models import Course
from tests import factories
from tests.courses.invite_mail import Invite, last_message_id, queued_invites


@pytest.fixture
def student_on_a_course(peer: User, trainer: User) -> tuple[User, Course]:
    today = now_utc().date()
    term = factories.make_term(starts_on=today, ends_on=today + timedelta(days=120))
    course = factories.make_published_course(
        peer=peer, trainer=trainer, first_start=now_utc() + timedelta(days=3), term=term
    )
    student = factories.make_student(name="Sif Student")
    enrolment_services.enrol(student, course)
    db.session.commit()
    return student, course


def invites_to(person: User, start: int) -> list[Invite]:
    return [i for i in queued_invites(start) if i.recipient == person.email]


def test_invitations_are_the_default_and_the_page_offers_the_choice(
    client: FlaskClient, auth, student_on_a_course
):
    student, _course = student_on_a_course
    assert student.calendar_choice == CalendarChoice.INVITATIONS
    auth.login(student)
    page = client.get("/me/calendar").get_data(as_text=True)
    assert "Invitations or your calendar address" in page
    (chosen,) = re.findall(r"<input[^>]*\bchecked\b[^>]*>", page)
    assert 'value="invitations"' in chosen


def test_choosing_the_feed_takes_every_invited_session_out_and_stops_invitations(
    client: FlaskClient, auth, student_on_a_course, admin: User
):
    student, course = student_on_a_course
    invited = {i.event.uid: i.event.sequence for i in invites_to(student, 0)}
    assert len(invited) == 3
    auth.login(student)
    start = last_message_id()
    response = client.post("/me/calendar/choice", data={"choice": "feed"}, follow_redirects=True)
    assert "No more invitations" in response.get_data(as_text=True)
    db.session.refresh(student)
    assert student.calendar_choice == CalendarChoice.FEED and student.calendar_token
    cancels = invites_to(student, start)
    assert {i.event.uid for i in cancels} == set(invited)
    for cancel in cancels:
        assert cancel.method == "CANCEL" and cancel.event.sequence > invited[cancel.event.uid]
        assert cancel.subject.startswith("No longer in your calendar: session")
    # The feed has the sessions; no more mail with a calendar reaches the student.
    feed = client.get(f"/calendar/u/{student.calendar_token}.ics")
    assert feed.get_data(as_text=True).count("BEGIN:VEVENT") == 3
    start = last_message_id()
    session = course.sessions[0]
    later = session.starts_at + timedelta(hours=1)
    services.reschedule_session(admin, session, later, later + timedelta(hours=2), None)
    other = factories.make_published_course(first_start=now_utc() + timedelta(days=5))
    enrolment_services.enrol(student, other)
    assert invites_to(student, start) == []
    assert any(i.recipient != student.email for i in queued_invites(start))


def test_going_back_to_invitations_invites_again_with_a_higher_sequence(
    client: FlaskClient, auth, student_on_a_course
):
    student, course = student_on_a_course
    auth.login(student)
    client.post("/me/calendar/choice", data={"choice": "feed"})
    start = last_message_id()
    cancelled = {
        i.event.uid: i.event.sequence for i in invites_to(student, 0) if i.method == "CANCEL"
    }
    client.post("/me/calendar/choice", data={"choice": "invitations"})
    again = invites_to(student, start)
    assert {i.event.uid for i in again} == {s.uid for s in course.sessions}
    assert all(i.method == "REQUEST" for i in again)
    assert all(i.event.sequence > cancelled[i.event.uid] for i in again)


def test_a_teacher_who_chooses_the_feed_loses_only_upcoming_entries(peer: User, trainer: User):
    course = factories.make_published_course(
        peer=peer, trainer=trainer, first_start=now_utc() - timedelta(days=7 * 2 - 1)
    )
    past, ahead = (
        [s for s in course.sessions if s.ends_at < now_utc()],
        [s for s in course.sessions if s.ends_at > now_utc()],
    )
    assert past and ahead
    start = last_message_id()
    assert college_services.choose_calendar(peer, "feed")
    assert {i.event.uid for i in invites_to(peer, start)} == {s.uid for s in ahead}
    assert not college_services.choose_calendar(peer, "feed")  # already chosen: nothing sent


@pytest.mark.parametrize("value", ["", "both", "x" * 300, "\x00"])
def test_a_choice_that_is_not_offered_changes_nothing(
    client: FlaskClient, auth, student_on_a_course, value: str
):
    student, _course = student_on_a_course
    auth.login(student)
    start = last_message_id()
    response = client.post("/me/calendar/choice", data={"choice": value})
    assert response.status_code == 400
    assert "Please choose invitations by email or your calendar address." in response.get_data(
        as_text=True
    )
    db.session.refresh(student)
    assert student.calendar_choice == CalendarChoice.INVITATIONS
    assert last_message_id() == start


# --- subscribing to a course ----------------------------------------------------------------

TOPIC_NOTE = "This calendar shows the name of the course."


def test_the_course_page_offers_a_real_subscription_to_the_course_feed(client: FlaskClient):
    from urllib.parse import parse_qs, unquote, urlsplit

    course = factories.make_published_course(first_start=now_utc() + timedelta(days=3))
    db.session.commit()
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    feed = f"http://college.test/courses/{course.slug}/calendar.ics"
    webcal = f"webcal://college.test/courses/{course.slug}/calendar.ics"
    assert f'href="{webcal}"' in page
    links = re.findall(r'href="([^"]+)"', page)
    google = next(link for link in links if "calendar.google.com" in link)
    assert unquote(google).endswith("cid=" + webcal)
    outlook = next(link for link in links if "outlook.live.com" in link)
    query = parse_qs(urlsplit(outlook.replace("&amp;", "&")).query)
    assert query["url"] == [feed] and course.title in query["name"][0]
    assert TOPIC_NOTE not in page
    assert client.get(feed.removeprefix("http://college.test")).status_code == 200


def test_a_discreet_person_is_told_the_course_feed_shows_the_topic(client: FlaskClient, auth):
    course = factories.make_published_course(first_start=now_utc() + timedelta(days=3))
    discreet, open_person = factories.make_student(), factories.make_student()
    open_person.discreet = False
    db.session.commit()
    auth.login(discreet)
    assert TOPIC_NOTE in client.get(f"/courses/{course.slug}").get_data(as_text=True)
    auth.logout()
    auth.login(open_person)
    assert TOPIC_NOTE not in client.get(f"/courses/{course.slug}").get_data(as_text=True)
