"""Calendar feeds: the college's, and the personal feed of the peer with 500 sessions.

The personal feed is measured twice: a plain GET that answers with the whole calendar,
and a GET with the feed's ETag in ``If-None-Match`` that should answer 304 without
building it. ``bench.run`` measures the hello-world app in the same run.
"""

from __future__ import annotations

import secrets
import urllib.request

import sqlalchemy as sa

from bench.run import Scenario

SESSIONS = 500


def busiest_facilitator_token(database_url: str) -> tuple[str, int]:
    """Give the person who teaches the most sessions a calendar token; return it and the count."""
    engine = sa.create_engine(database_url)
    token = secrets.token_urlsafe(32)
    with engine.begin() as connection:
        user_id, sessions = connection.execute(
            sa.text(
                "SELECT user_id, count(*) FROM session_facilitators"
                " GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1"
            )
        ).one()
        connection.execute(
            sa.text("UPDATE users SET calendar_token = :token WHERE id = :id"),
            {"token": token, "id": user_id},
        )
    engine.dispose()
    return token, sessions


def etag_of(url: str) -> tuple[str, int]:
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.headers["ETag"], len(response.read())


def scenarios(url: str, database_url: str) -> list[Scenario]:
    token, sessions = busiest_facilitator_token(database_url)
    path = f"/calendar/u/{token}.ics"
    etag, size = etag_of(url + path)
    print(f"  personal feed: {sessions} sessions taught, {size} bytes", flush=True)
    return [
        Scenario("college feed", "/calendar/college.ics", 0.2),
        Scenario(f"personal feed, {SESSIONS} sessions", path, 0.2),
        Scenario(f"personal feed, {SESSIONS} sessions, 304", path, 0.7, {"If-None-Match": etag}),
    ]
