"""A peer trainer may be named on public pages by their role only; the college honours it
everywhere an anonymous visitor or a student looks, and colleagues still see the name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from college.db import now_utc
from college.extensions import db
from college.models import PublicVisibility, User
from courses.models import Course
from courses.session_facts import calendar_event, facts_of
from tests import factories

NAME = "Pia Private-Peer"


@pytest.fixture
def shy_peer() -> User:
    peer = factories.make_peer(name=NAME)
    peer.public_visibility = PublicVisibility.ROLE_ONLY
    return peer


@pytest.fixture
def course(shy_peer: User) -> Course:
    course = factories.make_published_course(
        peer=shy_peer,
        trainer=factories.make_trainer(name="Tove Trainer"),
        sessions=2,
        first_start=now_utc().replace(microsecond=0) + timedelta(days=7),
    )
    db.session.commit()
    return course


def test_the_default_is_the_display_name(client: FlaskClient):
    peer = factories.make_peer(name="Open Peer")
    assert peer.public_visibility == PublicVisibility.NAME
    course = factories.make_published_course(peer=peer, sessions=1)
    db.session.commit()
    assert "Open Peer" in client.get(f"/courses/{course.slug}").get_data(as_text=True)


def test_anonymous_visitors_see_only_the_role(client: FlaskClient, course: Course):
    pages = [
        client.get("/courses/"),
        client.get(f"/courses/{course.slug}"),
        client.get("/api/v1/courses"),
        client.get(f"/api/v1/courses/{course.slug}"),
        client.get("/calendar/college.ics"),
        client.get(f"/courses/{course.slug}/calendar.ics"),
    ]
    for page in pages:
        assert page.status_code == 200, page.request.path
        text = page.get_data(as_text=True)
        assert NAME not in text, page.request.path
        assert "Tove Trainer" in text, page.request.path  # the trainer kept the default
    detail = pages[1].get_data(as_text=True)
    assert "<dd>Peer trainer</dd>" in detail
    api = pages[3].get_json()
    assert {"display_name": "Peer trainer", "role": "peer"} in api["facilitators"]


def test_danish_visitors_see_the_danish_role(client: FlaskClient, course: Course):
    page = client.get(f"/courses/{course.slug}", headers={"Accept-Language": "da"})
    text = page.get_data(as_text=True)
    assert NAME not in text
    assert "Peer-underviser" in text


def test_colleagues_teaching_the_session_still_see_the_name(course: Course, shy_peer: User):
    from courses.session_facts import Viewer

    session = course.sessions[0]
    trainer = next(f.user for f in session.facilitators if f.user_id != shy_peer.id)
    colleague = calendar_event(facts_of(session), Viewer(trainer.id, discreet=False))
    student = calendar_event(facts_of(session), Viewer(factories.make_student().id, False))
    assert NAME in colleague.description
    assert NAME not in student.description
    assert "Peer trainer" in student.description
