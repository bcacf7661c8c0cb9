"""Enrolments per second through HTTP, next to the hello-world app driven the same way.

Signed-in students (the bulk demo students) each press "enrol" once on a fresh course
whose capacity is half their number, so both paths are measured: a place, and the
waiting list. Requests go out from a thread pool at a fixed concurrency; the same
client then drives the hello-world app, so the two figures compare like with like.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests
import sqlalchemy as sa

DEMO_PASSWORD = "college-demo"  # noqa: S105 - the published demo password
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def token_of(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def create_course(database_url: str, capacity: int, slug: str | None = None) -> str:
    """A published course in a term without enrolment dates, starting far ahead.

    Written straight into the tables, so that it works on a database that only the migrations
    have touched; the concurrency tests build their crowded course with it too.
    """
    slug = slug or f"bench-enrol-{secrets.token_hex(3)}"
    engine = sa.create_engine(database_url)
    naive = engine.dialect.name == "sqlite"  # SQLite keeps UTC without a zone

    def moment(value: datetime) -> datetime:
        return value.replace(tzinfo=None) if naive else value

    now = moment(datetime.now(UTC))
    starts = datetime(2031, 3, 4, 15, 0, tzinfo=UTC)
    meta = sa.MetaData()
    meta.reflect(engine, only=["terms", "courses", "course_sessions"])
    terms, courses, sessions = (meta.tables[n] for n in ("terms", "courses", "course_sessions"))
    with engine.begin() as connection:
        term_id = connection.execute(
            terms.insert().values(
                name=f"Bench {slug}", starts_on=date(2031, 3, 1), ends_on=date(2031, 6, 1)
            )
        ).inserted_primary_key[0]
        course_id = connection.execute(
            courses.insert().values(
                slug=slug,
                title="Benchmark course",
                summary="Measured.",
                description="Measured.",
                learning_outcomes="",
                search_text="benchmark course",
                topic="wellbeing",
                audience="everyone",
                format="in_person",
                capacity=capacity,
                seats_taken=0,
                required_programme="five_day",
                status="published",
                term_id=term_id,
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]
        connection.execute(
            sessions.insert().values(
                course_id=course_id,
                starts_at=moment(starts),
                ends_at=moment(starts + timedelta(hours=2)),
                local_weekday=1,
                status="scheduled",
                sequence=0,
                uid=f"{slug}@bench",
                created_at=now,
                updated_at=now,
            )
        )
    engine.dispose()
    return slug


def student_emails(database_url: str, limit: int) -> list[str]:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        emails = connection.scalars(
            sa.text("SELECT email FROM users WHERE email LIKE 'bulkstudent%' ORDER BY id LIMIT :n"),
            {"n": limit},
        ).all()
    engine.dispose()
    return list(emails)


def sign_in(url: str, email: str, slug: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    token = token_of(browser.get(f"{url}/auth/login", timeout=60).text)
    answer = browser.post(
        f"{url}/auth/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"could not sign in {email}: {answer.status_code}")
    return browser, token_of(browser.get(f"{url}/courses/{slug}", timeout=60).text)


def timed(jobs: list[Callable[[], int]], concurrency: int) -> tuple[float, Counter[int]]:
    """Run the jobs at a fixed concurrency; return requests per second and status counts."""
    lock = threading.Lock()
    statuses: Counter[int] = Counter()

    def run(job: Callable[[], int]) -> None:
        status = job()
        with lock:
            statuses[status] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(run, jobs))
    return len(jobs) / (time.perf_counter() - started), statuses


def measure_enrolment(url: str, database_url: str, students: int, concurrency: int) -> dict:
    emails = student_emails(database_url, students)
    if not emails:
        raise RuntimeError("no bulk students: build the data with the demo at some scale")
    slug = create_course(database_url, capacity=max(len(emails) // 2, 1))
    with ThreadPoolExecutor(max_workers=8) as pool:
        people = list(pool.map(lambda e: sign_in(url, e, slug), emails))

    def enrol(browser: requests.Session, token: str) -> Callable[[], int]:
        return lambda: (
            browser.post(
                f"{url}/courses/{slug}/enrol",
                data={"csrf_token": token},
                allow_redirects=False,
                timeout=60,
            ).status_code
        )

    rps, statuses = timed([enrol(b, t) for b, t in people], concurrency)
    return {"enrolments": len(people), "rps": round(rps, 1), "statuses": dict(statuses)}


def measure_hello(url: str, requests_count: int, concurrency: int) -> float:
    browser = requests.Session()

    def hello() -> int:
        return browser.get(f"{url}/", timeout=60).status_code

    rps, _ = timed([hello] * requests_count, concurrency)
    return round(rps, 1)


def run(url: str, database_url: str, smoke: bool) -> dict[str, Any]:
    """Measure enrolment on the running college, then hello world with the same client."""
    from bench.run import gunicorn

    students = 16 if smoke else 400
    concurrency = 16
    enrolment = measure_enrolment(url, database_url, students, concurrency)
    with gunicorn("bench.hello:app") as hello_url:
        hello = measure_hello(hello_url, enrolment["enrolments"], concurrency)
    ratio = enrolment["rps"] / hello if hello else None
    lines = [
        "",
        f"Enrolment through HTTP (4 workers, {concurrency} concurrent, same Python client):",
        f"  {'enrol (place or waiting list)':<34}{enrolment['rps']:>10.1f} req/s"
        f"  statuses {enrolment['statuses']}",
        f"  {'hello world':<34}{hello:>10.1f} req/s",
        f"  {'enrol / hello':<34}{ratio:>10.2f}" if ratio else "",
    ]
    return {
        "lines": lines,
        "data": {"enrolment": enrolment | {"concurrency": concurrency}, "hello_rps": hello},
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.enrolment [--scale N] [--smoke] [--skip-data]`` (no wrk needed)."""
    import argparse

    from bench.run import database_url, gunicorn, prepare_data

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--smoke", action="store_true", help="tiny data, 40 enrolments")
    parser.add_argument("--skip-data", action="store_true", help="reuse the bench database")
    args = parser.parse_args(argv)
    if args.smoke:
        args.scale = 0.002
    if not args.skip_data:
        print(f"Building data at scale {args.scale} ...", flush=True)
        prepare_data(args.scale)
    with gunicorn("wsgi:app") as url:
        result = run(url, database_url(), smoke=args.smoke)
    for line in result["lines"]:
        print(line)
    failed = {s: n for s, n in result["data"]["enrolment"]["statuses"].items() if s >= 500}
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
