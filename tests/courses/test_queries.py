"""The prospectus answers with a fixed number of SQL queries, however much there is."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from college.db import now_utc
from college.extensions import db
from college.models import User
from courses.models import (
    Course,
    CourseFacilitator,
    CourseSession,
    SessionFacilitator,
    fold_for_search,
    local_weekday,
)
from tests import factories


def bulk_courses(count: int, sessions: int = 3, facilitators: int = 2) -> list[int]:
    """Insert ``count`` published courses, each fully staffed, in a handful of statements."""
    term, venue = factories.make_term(), factories.make_venue()
    peers = [factories.make_peer() for _ in range(facilitators)]
    trainers = [factories.make_trainer() for _ in range(facilitators)]
    prefix = f"bulk-{term.id}-"
    now = now_utc()
    db.session.execute(
        sa.insert(Course),
        [
            {
                "slug": f"{prefix}{number}",
                "title": f"Bulk course {number}",
                "summary": "Summary",
                "description": "Description",
                "learning_outcomes": "One\nTwo",
                "search_text": fold_for_search(f"Bulk course {number}\nSummary\nDescription"),
                "topic": "wellbeing",
                "audience": "everyone",
                "format": "in_person",
                "capacity": 20,
                "required_programme": "five_day",
                "status": "published",
                "term_id": term.id,
                "venue_id": venue.id,
                "created_at": now,
                "updated_at": now,
            }
            for number in range(count)
        ],
    )
    course_ids = list(db.session.scalars(sa.select(Course.id).where(Course.term_id == term.id)))
    pair = [(peers[0], "peer"), (trainers[0], "professional")]
    db.session.execute(
        sa.insert(CourseFacilitator),
        [{"course_id": c, "user_id": u.id, "role": r} for c in course_ids for u, r in pair],
    )
    _bulk_sessions(course_ids, sessions, venue.id)
    session_ids = db.session.scalars(
        sa.select(CourseSession.id).where(CourseSession.course_id.in_(course_ids))
    )
    people: list[tuple[User, str]] = [(p, "peer") for p in peers]
    people += [(t, "professional") for t in trainers]
    db.session.execute(
        sa.insert(SessionFacilitator),
        [{"session_id": s, "user_id": u.id, "role": r} for s in session_ids for u, r in people],
    )
    return course_ids


def _bulk_sessions(course_ids: list[int], sessions: int, venue_id: int) -> None:
    rows = []
    for index, course_id in enumerate(course_ids):
        for week in range(sessions):
            starts = factories.FIRST_SESSION + timedelta(weeks=week, minutes=index)
            rows.append(
                {
                    "course_id": course_id,
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=2),
                    "local_weekday": local_weekday(starts),
                    "venue_id": venue_id,
                    "status": "scheduled",
                    "sequence": 0,
                }
            )
    db.session.execute(sa.insert(CourseSession), rows)


def count(count_queries, client: FlaskClient, path: str) -> int:
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200, path
    return counter.count


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    ["/courses/", "/courses/?q=bulk&day=tuesday&available=1", "/api/v1/courses?per_page=100"],
)
def test_list_queries_do_not_grow_with_courses(client, count_queries, path):
    bulk_courses(10)
    few = count(count_queries, client, path)
    bulk_courses(490)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Course)) == 500
    many = count(count_queries, client, path)
    assert few == many
    assert many <= 8


@pytest.mark.slow
@pytest.mark.parametrize("prefix", ["/courses/", "/api/v1/courses/"])
def test_detail_queries_do_not_grow_with_sessions_or_facilitators(client, count_queries, prefix):
    [small] = bulk_courses(1, sessions=2, facilitators=1)
    bulk_courses(499)
    [large] = bulk_courses(1, sessions=60, facilitators=4)
    slug_of = dict(db.session.execute(sa.select(Course.id, Course.slug)).all())
    few = count(count_queries, client, prefix + slug_of[small])
    many = count(count_queries, client, prefix + slug_of[large])
    assert few == many
    assert many <= 10
