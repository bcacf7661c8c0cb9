"""The demo college's courses, and what the courses package keeps about people."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient

from college import demo, privacy
from college.extensions import db
from college.models import Role
from courses import services
from courses.models import Course, CourseStatus, FacilitatorRole, SessionFacilitator, Term, Venue
from tests import factories


def test_demo_courses_are_published_with_their_pair_over_two_terms(client: FlaskClient):
    college = demo.seed()
    courses = list(db.session.scalars(sa.select(Course)))
    assert len(courses) >= 8
    assert {c.status for c in courses} == {CourseStatus.PUBLISHED}
    assert len({c.term_id for c in courses}) == 2
    for course in courses:
        assert course.scheduled_sessions
        assert services.publication_problems(course) == []
        assert course.pair(FacilitatorRole.PEER) and course.pair(FacilitatorRole.PROFESSIONAL)
    terms = list(db.session.scalars(sa.select(Term).order_by(Term.starts_on)))
    assert terms[0].starts_on <= college.today <= terms[0].ends_on
    assert terms[1].starts_on > college.today
    venues = list(db.session.scalars(sa.select(Venue)))
    assert any(v.is_online for v in venues)
    assert all(v.accessibility_notes for v in venues)
    login_peer, login_trainer = college.peers[0], college.trainers[0]
    assert login_peer.email == demo.DEMO_LOGINS[Role.PEER][0]
    taught = set(db.session.scalars(sa.select(SessionFacilitator.user_id)))
    assert {login_peer.id, login_trainer.id} <= taught
    listing = client.get("/courses/").get_data(as_text=True)
    assert "Mindfulness i hverdagen" in listing
    # Courses that have begun are listed when asked for; by default only those still to come.
    assert client.get("/api/v1/courses?begun=1").get_json()["total"] == len(courses)
    assert 0 < client.get("/api/v1/courses").get_json()["total"] < len(courses)


def test_teaching_is_part_of_a_persons_data_and_erased_with_them(admin):
    peer = factories.make_peer(name="Pia Peer")
    course = factories.make_published_course(peer=peer, sessions=2)
    exported = privacy.export_person(peer)["teaching"]
    assert len(exported["sessions_facilitated"]) == 2
    assert exported["default_facilitator_of"] == [{"course": course.title, "role": "peer"}]
    services.erase_teaching(peer)
    db.session.expire_all()
    assert course.pair(FacilitatorRole.PEER) == []
    assert all(s.people(FacilitatorRole.PEER) == [] for s in course.sessions)
    assert {s.sequence for s in course.sessions} == {1}
