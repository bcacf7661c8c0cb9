"""Capacity under real concurrency: many students enrol at once through gunicorn.

Each test builds its own database (a SQLite file or a new PostgreSQL database), serves
the app with four gunicorn workers, signs the students in over HTTP, and then releases
every enrol request at the same moment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from bench.enrolment import create_course, token_of
from college.config import PRIVACY_NOTICE_VERSION
from tests.conftest import PG_URL
from tests.servers import fresh_database, gunicorn, migrate

pytestmark = pytest.mark.slow

CAPACITY = 20
STUDENTS = 200
PASSWORD = "a calm river at dawn"
SLUG = "crowded-course"


@dataclass
class Served:
    url: str
    database_url: str
    engine_name: str


@pytest.fixture
def served(engine_name: str, tmp_path: Path) -> Iterator[Served]:
    with fresh_database(engine_name, tmp_path, PG_URL) as database_url:
        migrate(database_url, tmp_path)
        prepare(database_url)
        with gunicorn(database_url, tmp_path, workers=4) as url:
            yield Served(url, database_url, engine_name)


def prepare(database_url: str) -> None:
    """Many students, written in bulk (cheap hashes, as the server), and one published course."""
    from argon2 import PasswordHasher

    now = datetime.now(UTC)
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    engine = sa.create_engine(database_url)
    meta = sa.MetaData()
    meta.reflect(engine, only=["users", "user_roles"])
    users, roles = meta.tables["users"], meta.tables["user_roles"]
    naive = engine.dialect.name == "sqlite"

    def moment(value: datetime) -> datetime:
        return value.replace(tzinfo=None) if naive else value

    with engine.begin() as connection:
        connection.execute(
            users.insert(),
            [
                {
                    "email": f"crowd{n}@example.org",
                    "display_name": f"Student {n}",
                    "password_hash": password_hash,
                    "language": "en",
                    "active": True,
                    "discreet": True,
                    "consent_version": PRIVACY_NOTICE_VERSION,
                    "consented_at": moment(now),
                    "created_at": moment(now),
                }
                for n in range(STUDENTS + 1)
            ],
        )
        ids = connection.scalars(sa.select(users.c.id)).all()
        connection.execute(
            roles.insert(),
            [{"user_id": i, "role": "student", "granted_at": moment(now)} for i in ids],
        )
    engine.dispose()
    create_course(database_url, CAPACITY, slug=SLUG)


def signed_in(url: str, number: int) -> tuple[requests.Session, str]:
    """A browser session for ``crowd<number>`` and the CSRF token of the course page."""
    browser = requests.Session()
    token = token_of(browser.get(f"{url}/auth/login", timeout=30).text)
    answer = browser.post(
        f"{url}/auth/login",
        data={"email": f"crowd{number}@example.org", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, f"crowd{number} could not sign in: {answer.status_code}"
    page = browser.get(f"{url}/courses/{SLUG}", timeout=30)
    return browser, token_of(page.text)


def all_at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run every job in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(jobs))

    def run(job: Callable[[], Any]) -> Any:
        barrier.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def enrol_job(url: str, browser: requests.Session, token: str) -> Callable[[], int]:
    def job() -> int:
        answer = browser.post(
            f"{url}/courses/{SLUG}/enrol",
            data={"csrf_token": token},
            allow_redirects=False,
            timeout=120,
        )
        return answer.status_code

    return job


def rows(database_url: str) -> tuple[list[tuple[int, str, int | None]], int]:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        found = connection.execute(
            sa.text("SELECT student_id, status, waitlist_number FROM enrolments")
        ).all()
        taken = connection.scalar(
            sa.text("SELECT seats_taken FROM courses WHERE slug = :slug"), {"slug": SLUG}
        )
    engine.dispose()
    return [tuple(r) for r in found], taken


def test_simultaneous_enrolments_never_overbook_and_queue_without_gaps(served: Served):
    with ThreadPoolExecutor(max_workers=8) as pool:
        people = list(pool.map(lambda n: signed_in(served.url, n), range(1, STUDENTS + 1)))
    statuses = all_at_once([enrol_job(served.url, b, t) for b, t in people])
    assert not [s for s in statuses if s >= 500]
    assert set(statuses) == {302}
    found, taken = rows(served.database_url)
    assert len(found) == STUDENTS
    assert len({student for student, _, _ in found}) == STUDENTS
    enrolled = [r for r in found if r[1] == "enrolled"]
    waiting = sorted(number for _, status, number in found if status == "waitlisted")
    assert len(enrolled) == CAPACITY
    assert taken == CAPACITY
    assert waiting == list(range(1, STUDENTS - CAPACITY + 1))


def test_ten_simultaneous_clicks_from_one_student_are_one_enrolment(served: Served):
    browser, token = signed_in(served.url, 0)
    statuses = all_at_once([enrol_job(served.url, browser, token) for _ in range(10)])
    assert set(statuses) == {302}
    found, taken = rows(served.database_url)
    assert len(found) == 1
    assert found[0][1] == "enrolled"
    assert taken == 1


def test_ten_simultaneous_clicks_after_withdrawing_take_one_place(served: Served):
    """The student's earlier row is read before the lock; the place is still taken once."""
    browser, token = signed_in(served.url, 0)
    assert enrol_job(served.url, browser, token)() == 302
    answer = browser.post(
        f"{served.url}/courses/{SLUG}/withdraw",
        data={"csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302
    before, taken = rows(served.database_url)
    assert [(status, taken) for _, status, _ in before] == [("withdrawn", 0)]
    statuses = all_at_once([enrol_job(served.url, browser, token) for _ in range(10)])
    assert set(statuses) == {302}
    found, taken = rows(served.database_url)
    assert found == [(before[0][0], "enrolled", None)]
    assert taken == 1


PAIRS = 60
SINGLES = 60


def pair_job(url: str, browser: requests.Session, token: str, number: int) -> Callable[[], int]:
    def job() -> int:
        answer = browser.post(
            f"{url}/courses/{SLUG}/enrol-together",
            data={
                "csrf_token": token,
                "name": f"Companion {number}",
                "email": f"companion{number}@example.org",
                "relation": "relative",
            },
            allow_redirects=False,
            timeout=120,
        )
        return answer.status_code

    return job


def pairs_of(database_url: str) -> list[tuple[str, str]]:
    """(the student's status, the companion's status) for every pair."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        found = connection.execute(
            sa.text(
                "SELECT e.status, c.status FROM companions c "
                "JOIN enrolments e ON e.id = c.student_enrolment_id"
            )
        ).all()
    engine.dispose()
    return [(student, companion) for student, companion in found]


def test_pairs_and_singles_at_once_never_overbook_and_never_split_a_pair(served: Served):
    """An odd number of places: the last one can go to a single person, never to half a pair."""
    first, first_token = signed_in(served.url, 0)
    assert enrol_job(served.url, first, first_token)() == 302
    with ThreadPoolExecutor(max_workers=8) as pool:
        people = list(pool.map(lambda n: signed_in(served.url, n), range(1, PAIRS + SINGLES + 1)))
    jobs = [
        pair_job(served.url, browser, token, n)
        if n <= PAIRS
        else enrol_job(served.url, browser, token)
        for n, (browser, token) in enumerate(people, start=1)
    ]
    statuses = all_at_once(jobs)
    assert set(statuses) == {302}
    found, taken = rows(served.database_url)
    pairs = pairs_of(served.database_url)
    assert len(found) == 1 + PAIRS + SINGLES
    assert len(pairs) == PAIRS
    enrolled = [r for r in found if r[1] == "enrolled"]
    held_for_companions = [p for p in pairs if p[1] == "invited"]
    # Every place counted is someone's, and there are never more than the course has.
    assert taken == len(enrolled) + len(held_for_companions)
    assert taken <= CAPACITY
    # A pair is placed whole or waits whole.
    assert set(pairs) <= {("enrolled", "invited"), ("waitlisted", "waiting")}
    # With people waiting, a place is left free only when a pair needs two.
    assert CAPACITY - taken in (0, 1)
    waiting = sorted(number for _, status, number in found if status == "waitlisted")
    assert waiting == list(range(1, len(waiting) + 1))
