"""A large prospectus for benchmarks, written in bulk after the ordinary demo.

The services would take minutes for thousands of sessions, so rows are inserted directly;
the slots are chosen so that the rules still hold: every session has its pair, every peer
holds the five-day programme the courses ask for, and nobody is booked twice at once.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from itertools import cycle, islice
from typing import Any

import sqlalchemy as sa
from flask import current_app

from college.db import now_utc
from college.demo import DEMO_DOMAIN, ScaledCollege
from college.extensions import db
from college.models import Programme, Qualification, Role, User, UserRole
from courses.demo import COURSES, first_weekday
from courses.models import (
    Course,
    CourseFacilitator,
    CourseSession,
    CourseStatus,
    SessionFacilitator,
    Term,
    Venue,
    fold_for_search,
    local_weekday,
)
from courses.times import to_utc

COURSES_PER_SCALE = 200
SESSIONS_PER_COURSE = 6
HOURS = (9, 12, 15, 18)
# One peer teaches a whole year's worth: their personal feed is the largest there is.
BUSY_COURSES = 10
BUSY_SESSIONS_PER_COURSE = 50
BUSY_PEER_EMAIL = f"busypeer@{DEMO_DOMAIN}"
BUSY_TRAINER_EMAIL = f"busytrainer@{DEMO_DOMAIN}"


def free_people(ids: list[int]) -> list[int]:
    """People not teaching yet, so the bulk courses cannot clash with the demo's."""
    busy = set(db.session.scalars(sa.select(SessionFacilitator.user_id)))
    return [person for person in ids if person not in busy]


def course_row(number: int, term: Term, venue: Venue) -> dict[str, Any]:
    template = COURSES[number % len(COURSES)]
    title = f"{template.title} (hold {number + 1})"
    now = now_utc()
    return {
        "slug": f"hold-{number + 1}",
        "title": title,
        "summary": template.summary,
        "description": template.description,
        "learning_outcomes": template.outcomes,
        "search_text": fold_for_search(f"{title}\n{template.summary}\n{template.description}"),
        "topic": str(template.topic),
        "audience": str(template.audience),
        "format": str(template.format),
        "capacity": template.capacity,
        "required_programme": "five_day",
        "status": str(CourseStatus.PUBLISHED),
        "term_id": term.id,
        "venue_id": venue.id,
        "created_at": now,
        "updated_at": now,
        "published_at": now,
    }


def session_rows(course_id: int, number: int, term: Term, peers: int, trainers: int) -> list[Any]:
    """Weekly sessions in a slot of their own for the course's peer and trainer.

    Courses sharing a peer (``number`` apart by ``peers``) meet on different weekdays;
    courses sharing a trainer (apart by ``trainers``) meet at different hours.
    """
    weekday = (number // peers) % 5
    hour = HOURS[(number // trainers) % len(HOURS)]
    first = first_weekday(term.starts_on + timedelta(weeks=1), weekday)
    rows = []
    for week in range(SESSIONS_PER_COURSE):
        starts = to_utc(first + timedelta(weeks=week), time(hour))
        rows.append(
            {
                "course_id": course_id,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "local_weekday": local_weekday(starts),
                "venue_id": None,
                "status": "scheduled",
                "sequence": 0,
            }
        )
    return rows


def seed_scaled(scaled: ScaledCollege) -> None:
    """Add 200 published courses per unit of scale, with six sessions each, and the
    busy pair's ten daily courses (500 sessions in the feed window) at any scale.
    """
    _seed_busy_pair(scaled)
    count = int(COURSES_PER_SCALE * scaled.scale)
    peers, trainers = free_people(scaled.peer_ids), free_people(scaled.trainer_ids)
    terms = list(db.session.scalars(sa.select(Term).order_by(Term.starts_on)))
    venues = list(db.session.scalars(sa.select(Venue).where(Venue.is_online.is_(False))))
    if not count or not peers or not trainers or not terms or not venues:
        return
    # More than four courses per trainer would reuse an hour on a weekday already taken.
    count = min(count, len(trainers) * len(HOURS), len(peers) * 5)
    rows = [
        course_row(n, terms[n % len(terms)], venue)
        for n, venue in zip(range(count), islice(cycle(venues), count), strict=True)
    ]
    ids = list(
        db.session.scalars(
            sa.insert(Course).returning(Course.id, sort_by_parameter_order=True), rows
        )
    )
    _insert_pairs_and_sessions(ids, rows, terms, peers, trainers)


def _insert_pairs_and_sessions(
    ids: list[int],
    rows: list[dict[str, Any]],
    terms: list[Term],
    peers: list[int],
    trainers: list[int],
) -> None:
    term_by_id = {term.id: term for term in terms}
    pairs = [(peers[n % len(peers)], trainers[n % len(trainers)]) for n in range(len(ids))]
    db.session.execute(
        sa.insert(CourseFacilitator),
        [
            {"course_id": course_id, "user_id": person, "role": role}
            for course_id, (peer, trainer) in zip(ids, pairs, strict=True)
            for person, role in ((peer, "peer"), (trainer, "professional"))
        ],
    )
    sessions = [
        row
        for n, (course_id, course) in enumerate(zip(ids, rows, strict=True))
        for row in session_rows(
            course_id, n, term_by_id[course["term_id"]], len(peers), len(trainers)
        )
    ]
    session_ids = db.session.scalars(
        sa.insert(CourseSession).returning(CourseSession.id, sort_by_parameter_order=True), sessions
    ).all()
    db.session.execute(
        sa.insert(SessionFacilitator),
        [
            {"session_id": session_id, "user_id": person, "role": role}
            for index, session_id in enumerate(session_ids)
            for person, role in zip(
                pairs[index // SESSIONS_PER_COURSE], ("peer", "professional"), strict=True
            )
        ],
    )


def _insert_person(email: str, role: Role, password_hash: str) -> int:
    now = now_utc()
    user_id = db.session.scalar(
        sa.insert(User)
        .values(
            email=email,
            display_name="Kim Busy" if role == Role.PEER else "Lene Busy",
            password_hash=password_hash,
            language="da",
            active=True,
            discreet=True,
            consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
            consented_at=now,
            created_at=now,
        )
        .returning(User.id)
    )
    assert user_id is not None  # noqa: S101 - RETURNING always gives the new id
    db.session.execute(sa.insert(UserRole).values(user_id=user_id, role=str(role), granted_at=now))
    return user_id


def _seed_busy_pair(scaled: ScaledCollege) -> None:
    """A peer and a trainer who teach ten daily courses: four at a time, at four hours.

    The courses run in three blocks of 50 days from 80 days ago, so all 500 sessions
    fall within a personal feed's window, and the pair is never booked twice at once.
    """
    password_hash = db.session.scalar(
        sa.select(User.password_hash).where(User.id == scaled.admin_id)
    )
    if password_hash is None:
        return
    peer = _insert_person(BUSY_PEER_EMAIL, Role.PEER, password_hash)
    trainer = _insert_person(BUSY_TRAINER_EMAIL, Role.TRAINER, password_hash)
    db.session.execute(
        sa.insert(Qualification).values(
            user_id=peer,
            programme=str(Programme.FIVE_DAY),
            granted_on=scaled.today - timedelta(days=500),
        )
    )
    terms = list(db.session.scalars(sa.select(Term).order_by(Term.starts_on)))
    venue = db.session.scalars(sa.select(Venue).where(Venue.is_online.is_(False))).first()
    if not terms or venue is None:
        return
    rows = []
    for number in range(BUSY_COURSES):
        row = course_row(number, terms[-1], venue)
        row["slug"] = f"hold-busy-{number + 1}"
        row["title"] = row["title"].replace("(hold", "(busy hold")
        rows.append(row)
    ids = list(
        db.session.scalars(
            sa.insert(Course).returning(Course.id, sort_by_parameter_order=True), rows
        )
    )
    db.session.execute(
        sa.insert(CourseFacilitator),
        [
            {"course_id": course_id, "user_id": person, "role": role}
            for course_id in ids
            for person, role in ((peer, "peer"), (trainer, "professional"))
        ],
    )
    sessions = [
        row
        for number, course_id in enumerate(ids)
        for row in _busy_sessions(course_id, number, scaled.today)
    ]
    session_ids = db.session.scalars(
        sa.insert(CourseSession).returning(CourseSession.id, sort_by_parameter_order=True), sessions
    ).all()
    db.session.execute(
        sa.insert(SessionFacilitator),
        [
            {"session_id": session_id, "user_id": person, "role": role}
            for session_id in session_ids
            for person, role in ((peer, "peer"), (trainer, "professional"))
        ],
    )


def _busy_sessions(course_id: int, number: int, today: date) -> list[dict[str, Any]]:
    first = today - timedelta(days=80) + timedelta(days=(number // len(HOURS)) * 50)
    hour = HOURS[number % len(HOURS)]
    rows = []
    for day in range(BUSY_SESSIONS_PER_COURSE):
        starts = to_utc(first + timedelta(days=day), time(hour))
        rows.append(
            {
                "course_id": course_id,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "local_weekday": local_weekday(starts),
                "venue_id": None,
                "status": "scheduled",
                "sequence": 0,
            }
        )
    return rows
