"""A weekly Thursday-style drop-in whose first sessions are already held, and one session today."""

from __future__ import annotations

from datetime import timedelta

import pytest

from college.db import now_utc
from courses.models import Course, CourseSession
from tests import factories

WEEK = timedelta(weeks=1)


@pytest.fixture
def drop_in(peer, trainer) -> Course:
    """Published, with two sessions held, one that began an hour ago and two to come."""
    now = now_utc()
    term = factories.make_term(
        starts_on=(now - 60 * timedelta(days=1)).date(),
        ends_on=(now + 100 * timedelta(days=1)).date(),
    )
    return factories.make_published_course(
        peer=peer,
        trainer=trainer,
        term=term,
        first_start=now - 2 * WEEK - timedelta(hours=1),
        sessions=5,
        slug="torsdagscafe",
        title="Torsdagscafé",
        drop_in=True,
        room_capacity=20,
    )


@pytest.fixture
def today(drop_in: Course) -> CourseSession:
    """The session that began an hour ago: its head count can be taken now."""
    return drop_in.sessions[2]


@pytest.fixture
def coming(drop_in: Course) -> CourseSession:
    return drop_in.sessions[4]
