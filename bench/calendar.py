"""A calendar feed of 500 sessions: built in full, and answered 304 when unchanged.

Adds one published course with 500 daily sessions (two facilitators on each) to the
bench database, then measures its feed twice: a plain GET that builds the whole
calendar, and a GET with the feed's ETag in ``If-None-Match`` that should answer 304
without building it. ``bench.run`` measures the hello-world app in the same run.
"""

from __future__ import annotations

import secrets
import urllib.request
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bench.run import Scenario

SESSIONS = 500


def create_course(database_url: str, sessions: int = SESSIONS) -> str:
    """A published course with ``sessions`` daily sessions, each with a facilitator pair."""
    slug = f"bench-feed-{secrets.token_hex(3)}"
    now = datetime.now(UTC)
    first = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    engine = sa.create_engine(database_url)
    meta = sa.MetaData()
    names = ["terms", "courses", "course_sessions", "session_facilitators", "users"]
    meta.reflect(engine, only=names)
    terms, courses, rows, facilitators, users = (meta.tables[n] for n in names)
    with engine.begin() as connection:
        people = connection.scalars(sa.select(users.c.id).order_by(users.c.id).limit(2)).all()
        term_id = connection.execute(
            terms.insert().values(
                name=f"Bench {slug}",
                starts_on=first.date(),
                ends_on=first.date() + timedelta(days=sessions + 1),
            )
        ).inserted_primary_key[0]
        course_id = connection.execute(
            courses.insert().values(
                slug=slug,
                title="Feed benchmark, with; punctuation and æøå",
                summary="Measured.",
                description="Measured.",
                learning_outcomes="",
                search_text="feed benchmark",
                topic="wellbeing",
                audience="everyone",
                format="in_person",
                capacity=20,
                seats_taken=0,
                required_programme="five_day",
                status="published",
                term_id=term_id,
                created_at=now,
                updated_at=now,
                published_at=now,
            )
        ).inserted_primary_key[0]
        starts = [first + timedelta(days=day, hours=15) for day in range(sessions)]
        connection.execute(
            rows.insert(),
            [
                {
                    "course_id": course_id,
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=2),
                    "local_weekday": start.weekday(),
                    "status": "scheduled",
                    "sequence": 0,
                    "uid": f"{slug}-{number}@bench",
                    "created_at": now,
                    "updated_at": now,
                }
                for number, start in enumerate(starts)
            ],
        )
        session_ids = connection.scalars(
            sa.select(rows.c.id).where(rows.c.course_id == course_id)
        ).all()
        connection.execute(
            facilitators.insert(),
            [
                {"session_id": session_id, "user_id": user_id, "role": role}
                for session_id in session_ids
                for user_id, role in zip(people, ("peer", "professional"), strict=False)
            ],
        )
    engine.dispose()
    return slug


def scenarios(url: str, database_url: str) -> list[Scenario]:
    slug = create_course(database_url)
    path = f"/courses/{slug}/calendar.ics"
    with urllib.request.urlopen(url + path, timeout=60) as response:
        etag = response.headers["ETag"]
        size = len(response.read())
    print(f"  calendar feed: {SESSIONS} sessions, {size} bytes, ETag {etag}", flush=True)
    return [
        Scenario(f"feed, {SESSIONS} sessions", path, 0.05),
        Scenario(f"feed, {SESSIONS} sessions, 304", path, 0.3, {"If-None-Match": etag}),
    ]
