"""The demo college has a weekly Thursday drop-in with a few head counts."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient

from college import demo
from college.extensions import db
from courses import services
from courses.dropin.demo import HEAD_COUNTS, TITLE
from courses.dropin.models import CourseInterest, HeadCount
from courses.models import Course, CourseSession


def test_the_demo_has_a_thursday_drop_in_with_head_counts(client: FlaskClient):
    college = demo.seed()
    course = db.session.scalars(sa.select(Course).where(Course.drop_in.is_(True))).one()
    assert course.title == TITLE and course.room_capacity == 20
    assert services.publication_problems(course) == []
    assert {s.local_weekday for s in course.scheduled_sessions} == {3}  # Thursday
    assert college.peers[0] in course.pair("peer")
    counts = db.session.scalars(
        sa.select(HeadCount).join(CourseSession).where(CourseSession.course_id == course.id)
    ).all()
    assert 0 < len(counts) <= len(HEAD_COUNTS)
    assert all(c.first_visits + c.second_visits + c.third_visits <= c.came for c in counts)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseInterest)) == 1
    listed = client.get("/api/v1/courses?per_page=50").get_json()["items"]
    assert [i["joining"] for i in listed if i["slug"] == course.slug] == ["drop_in"]
