"""A large prospectus for benchmarks, written in bulk after the ordinary demo.

The services would take minutes for thousands of sessions, so rows are inserted directly;
the slots are chosen so that the rules still hold: every session has its pair, every peer
holds the five-day programme the courses ask for, and nobody is booked twice at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from itertools import cycle, islice
from typing import Any

import sqlalchemy as sa
from flask import current_app

from college.db import now_utc
from college.demo import DEMO_DOMAIN, ScaledCollege
from college.extensions import db
from college.models import Programme, Qualification, Role, User, UserRole
from courses.demo import COURSES, first_weekday, term_name
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

COURSES_PER_SCALE = 1000
# Three finished terms before the demo's two (the one under way and the next): five in all.
PAST_TERMS = 3
TERM_WEEKS = 14
TERM_BREAK_WEEKS = 3
HOURS = (9, 12, 15, 18)
# A weekday and an hour: two courses in different slots of a term never meet at once.
SLOTS = tuple((weekday, hour) for hour in HOURS for weekday in range(5))
SESSION_COUNTS = (8, 10, 12, 10)
CAPACITIES = (24, 40, 56, 72, 48)
# One session in fifty is called off; its calendar entry says so.
CANCELLED_EVERY = 50
# One peer teaches a whole year's worth: their personal feed is the largest there is.
BUSY_COURSES = 10
BUSY_SESSIONS_PER_COURSE = 50
BUSY_PEER_EMAIL = f"busypeer@{DEMO_DOMAIN}"
BUSY_TRAINER_EMAIL = f"busytrainer@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class PlannedCourse:
    """A bulk course: its term, its weekly slot and the pair who teach it."""

    number: int
    term: Term
    slot: tuple[int, int]
    peer: int
    trainer: int
    sessions: int
    capacity: int


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


def add_past_terms() -> None:
    """Terms that ended before the demo's current one, so the college has a history."""
    first = db.session.scalar(sa.select(sa.func.min(Term.starts_on)))
    if first is None:
        return
    taken = set(db.session.scalars(sa.select(Term.name)))
    rows = []
    for back in range(1, PAST_TERMS + 1):
        starts = first - timedelta(weeks=(TERM_WEEKS + TERM_BREAK_WEEKS) * back)
        ends = starts + timedelta(weeks=TERM_WEEKS)
        name = term_name(starts)
        if name in taken:
            name = f"{name} ({starts.isoformat()})"
        taken.add(name)
        rows.append(
            {
                "name": name,
                "starts_on": starts,
                "ends_on": ends,
                "enrolment_opens_at": to_utc(starts - timedelta(weeks=6), time(9)),
                "enrolment_closes_at": to_utc(ends, time(23, 59)),
            }
        )
    db.session.execute(sa.insert(Term), rows)


def plan_term(
    term: Term, first_number: int, count: int, peers: list[int], trainers: list[int]
) -> list[PlannedCourse]:
    """``count`` courses spread over the term's slots, each with a pair free in its slot.

    Nobody teaches two courses in the same slot of a term, so nobody is booked twice at
    once; the pairs are handed out in turn, so the teaching is shared evenly.
    """
    busy: dict[int, set[tuple[int, int]]] = {}
    turns = {"peer": 0, "trainer": 0}

    def free_one(people: list[int], kind: str, slot: tuple[int, int]) -> int | None:
        for step in range(len(people)):
            person = people[(turns[kind] + step) % len(people)]
            if slot not in busy.setdefault(person, set()):
                turns[kind] += step + 1
                busy[person].add(slot)
                return person
        return None

    planned = []
    for offset in range(count):
        number = first_number + offset
        slot = SLOTS[offset % len(SLOTS)]
        peer = free_one(peers, "peer", slot)
        trainer = free_one(trainers, "trainer", slot)
        if peer is None or trainer is None:
            break
        planned.append(
            PlannedCourse(
                number=number,
                term=term,
                slot=slot,
                peer=peer,
                trainer=trainer,
                sessions=SESSION_COUNTS[number % len(SESSION_COUNTS)],
                capacity=CAPACITIES[number % len(CAPACITIES)],
            )
        )
    return planned


def session_rows(course_id: int, plan: PlannedCourse) -> list[dict[str, Any]]:
    """Weekly sessions in the course's slot, from the second week of its term."""
    weekday, hour = plan.slot
    first = first_weekday(plan.term.starts_on + timedelta(weeks=1), weekday)
    rows, now = [], now_utc()
    for week in range(plan.sessions):
        day = first + timedelta(weeks=week)
        if day > plan.term.ends_on:
            break
        starts = to_utc(day, time(hour))
        cancelled = (plan.number * 7 + week) % CANCELLED_EVERY == 0 and week > 0
        rows.append(
            {
                "course_id": course_id,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "local_weekday": local_weekday(starts),
                "venue_id": None,
                "status": "cancelled" if cancelled else "scheduled",
                "sequence": 1 if cancelled else 0,
                # Planned (or called off) ten days ahead, so a calendar shows a
                # cancellation only for a while, as it would in a running college.
                "created_at": min(starts - timedelta(days=10), now),
                "updated_at": min(starts - timedelta(days=10), now),
            }
        )
    return rows


def seed_scaled(scaled: ScaledCollege) -> None:
    """Add about 1,000 courses per unit of scale over five terms (three of them finished),
    with ten weekly sessions each on average, and the busy pair's ten daily courses
    (500 sessions in the feed window) at any scale.
    """
    _seed_busy_pair(scaled)
    add_past_terms()
    peers = free_people(scaled.bulk_peer_ids or scaled.peer_ids)
    trainers = free_people(scaled.bulk_trainer_ids or scaled.trainer_ids)
    # The term under way first: the first bulk course by id is one people can still join.
    today = scaled.today
    terms = sorted(
        db.session.scalars(sa.select(Term)),
        key=lambda term: (term.ends_on < today, abs((term.starts_on - today).days)),
    )
    venues = list(db.session.scalars(sa.select(Venue).where(Venue.is_online.is_(False))))
    total = round(COURSES_PER_SCALE * scaled.scale)
    if not total or not peers or not trainers or not terms or not venues:
        return
    planned: list[PlannedCourse] = []
    for index, term in enumerate(terms):
        share = total // len(terms) + (1 if index < total % len(terms) else 0)
        planned += plan_term(term, len(planned), share, peers, trainers)
    rows = []
    for plan, venue in zip(planned, islice(cycle(venues), len(planned)), strict=True):
        row = course_row(plan.number, plan.term, venue)
        row["capacity"] = plan.capacity
        if plan.term.ends_on < today - timedelta(weeks=TERM_WEEKS):
            # Older finished terms are put away; the last one still shows its results.
            row["status"] = str(CourseStatus.ARCHIVED)
        rows.append(row)
    ids = list(
        db.session.scalars(
            sa.insert(Course).returning(Course.id, sort_by_parameter_order=True), rows
        )
    )
    _insert_pairs_and_sessions(ids, planned)


def _insert_pairs_and_sessions(ids: list[int], planned: list[PlannedCourse]) -> None:
    db.session.execute(
        sa.insert(CourseFacilitator),
        [
            {"course_id": course_id, "user_id": person, "role": role}
            for course_id, plan in zip(ids, planned, strict=True)
            for person, role in ((plan.peer, "peer"), (plan.trainer, "professional"))
        ],
    )
    sessions, pairs = [], []
    for course_id, plan in zip(ids, planned, strict=True):
        for row in session_rows(course_id, plan):
            sessions.append(row)
            pairs.append((plan.peer, plan.trainer))
    session_ids = db.session.scalars(
        sa.insert(CourseSession).returning(CourseSession.id, sort_by_parameter_order=True), sessions
    ).all()
    db.session.execute(
        sa.insert(SessionFacilitator),
        [
            {"session_id": session_id, "user_id": person, "role": role}
            for session_id, pair in zip(session_ids, pairs, strict=True)
            for person, role in zip(pair, ("peer", "professional"), strict=True)
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
