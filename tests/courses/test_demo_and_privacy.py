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
    assert client.get("/api/v1/courses").get_json()["total"] == len(courses)


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


def test_scaled_demo_adds_many_courses_that_keep_the_rules(client: FlaskClient):
    scaled = demo.seed_scaled(0.1)
    courses = list(db.session.scalars(sa.select(Course).where(Course.slug.like("hold-%"))))
    bulk = [c for c in courses if not c.slug.startswith("hold-busy-")]
    busy = [c for c in courses if c.slug.startswith("hold-busy-")]
    assert len(bulk) == 20
    for course in bulk:
        assert len(course.scheduled_sessions) == 6
        assert services.publication_problems(course) == []
    # The busy pair teaches 500 sessions, never two at once, and every course keeps the rules.
    assert sum(len(course.scheduled_sessions) for course in busy) == 500
    for course in busy:
        assert services.publication_problems(course) == []
    starts = [s.starts_at for course in busy for s in course.scheduled_sessions]
    assert len(set(starts)) == 500
    assert scaled.scale == 0.1
    # The 20 bulk courses next to every demo course (all in the current or coming term).
    everything = db.session.scalar(sa.select(sa.func.count()).select_from(Course))
    assert everything >= 30
    assert client.get("/api/v1/courses?per_page=100").get_json()["total"] == everything
