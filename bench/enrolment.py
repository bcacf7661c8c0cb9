"""Enrolments per second through HTTP, next to the hello-world app driven the same way.

Signed-in students (the bulk demo students) each press "enrol" once on a fresh course
whose capacity is half their number, so both paths are measured: a place, and the
waiting list. Their browsers (session cookie and CSRF token) are prepared before the
clock starts, and wrk sends the POSTs (``bench/enrol.lua``), so the load client costs
what it costs for hello world, which the same wrk drives at the same concurrency.
Afterwards the database is asked whether every rule held: no overbooking, a waiting
list without gaps, one enrolment per student, and every message in the outbox. A few of
them first sign up for a course of their own, so every worker has warmed up, and then all
of them sign up in five rounds, each for a fresh course; the median round is reported.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

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
            terms.insert()
            .values(name=f"Bench {slug}", starts_on=date(2031, 3, 1), ends_on=date(2031, 6, 1))
            .returning(terms.c.id)
        ).scalar_one()
        course_id = connection.execute(
            courses.insert()
            .values(
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
            .returning(courses.c.id)
        ).scalar_one()
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


def signed_in_browsers(emails: list[str]) -> list[tuple[str, str]]:
    """(session cookie, form body with its CSRF token) for each student, made in-process.

    The college's own sign-in opens each server-side session and Flask-WTF makes each
    token, with the benchmark's secret key, so the server accepts them as a browser's;
    only the password check is skipped, because signing in is not what is measured.
    """

    from flask import session
    from flask_wtf.csrf import generate_csrf

    from bench.run import bench_environment
    from college import create_app
    from college.auth import sign_in as open_session
    from college.extensions import db
    from college.models import User
    from college.transactions import transaction

    os.environ.update(bench_environment())
    app = create_app()
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    with app.app_context():
        rows = db.session.execute(sa.select(User.email, User.id).where(User.email.in_(emails)))
        found = {email: user_id for email, user_id in rows}
    browsers = []
    for email in emails:
        # A request context of its own each: Flask-WTF keeps the token of the request in g.
        with app.test_request_context(), transaction():
            open_session(db.session.get_one(User, found[email]))
            body = urlencode({"csrf_token": generate_csrf()})
            browsers.append((serializer.dumps(dict(session)), body))
    with app.app_context():
        db.engine.dispose()
    return browsers


def drive_wrk(
    url: str, path: str, browsers: list[tuple[str, str]], connections: int, workdir: Path
) -> dict[str, Any]:
    """POST once per prepared browser with wrk (bench/enrol.lua); stop when all have answered."""
    from bench.run import BENCH

    # One thread: a thread whose students have all been sent parks its connections, and
    # each parked connection holds a sync worker until gunicorn's timeout, so a second
    # thread still sending would wait for workers that are not coming back. One thread
    # reaches a few thousand requests a second, far more than enrolment needs.
    threads = 1
    people = workdir / "browsers.tsv"
    people.write_text("".join(f"{cookie}\t{body}\n" for cookie, body in browsers))
    marks = workdir / "marks"
    marks.mkdir()
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        "600s",
        "--timeout",
        "60s",
        "-s",
        str(BENCH / "enrol.lua"),
        url + path,
        "--",
        str(people),
        path,
        str(marks),
        str(threads),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # wrk runs for its whole duration; once every thread has its answers, cut it short.
    deadline = time.monotonic() + 600
    while process.poll() is None and time.monotonic() < deadline:
        if len(list(marks.iterdir())) >= threads:
            process.send_signal(signal.SIGINT)
            break
        time.sleep(0.05)
    output, errors = process.communicate(timeout=60)
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(f"wrk printed no result:\n{output}\n{errors}")


def check_places(database_url: str, slug: str, students: int, first_message: int) -> list[str]:
    """What the database says after the run; every rule broken is one line."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        capacity, taken, course_id = connection.execute(
            sa.text("SELECT capacity, seats_taken, id FROM courses WHERE slug = :slug"),
            {"slug": slug},
        ).one()
        rows = connection.execute(
            sa.text(
                "SELECT student_id, status, waitlist_number FROM enrolments WHERE course_id = :c"
            ),
            {"c": course_id},
        ).all()
        messages = connection.scalar(
            sa.text("SELECT count(*) FROM outbox_messages WHERE id > :first"),
            {"first": first_message},
        )
    engine.dispose()
    statuses = Counter(status for _, status, _ in rows)
    holding = statuses["enrolled"] + statuses["offered"]
    waiting = sorted(number for _, status, number in rows if status == "waitlisted")
    problems = []
    if len(rows) != students or len({student for student, _, _ in rows}) != students:
        problems.append(f"{len(rows)} enrolments for {students} students")
    if holding != taken or taken > capacity:
        problems.append(f"overbooked: {holding} places held, {taken} counted, capacity {capacity}")
    if waiting != list(range(1, len(waiting) + 1)):
        problems.append("the waiting list has gaps or repeats")
    if waiting and taken < capacity:
        problems.append("people wait while places are free")
    # A confirmation (or a waiting-list letter) per person; the mail worker adds the
    # calendar invitation to each confirmation, so a place writes no message of its own.
    expected = students
    if messages != expected:
        problems.append(f"{messages} messages in the outbox, {expected} expected")
    return problems


def last_message_id(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        found = connection.scalar(sa.text("SELECT coalesce(max(id), 0) FROM outbox_messages"))
    engine.dispose()
    return int(found)


WARM_UP_PER_WORKER = 12
# Five rounds and their median: one round lasts a few seconds, and on a shared machine a
# few seconds can be much slower or faster than the minutes around them.
ROUNDS = 5
PROC_STAT = Path("/proc/stat")
# Linux counts processor time in ticks (USER_HZ, 100 a second on every common kernel) per
# processor. A round shorter than a few ticks cannot be measured: both readings may be the
# same, or differ by one tick that is all busy or all idle. Below this many ticks of the
# whole machine a round reports no processor figures rather than a 0% or a 100%; from it
# on, one tick more or less moves the busy share by at most 5%.
MIN_TICKS = 20


@dataclass(frozen=True)
class Ticks:
    """Processor ticks of the whole machine since boot: busy ones and all of them."""

    busy: int
    total: int


def processor_ticks() -> Ticks | None:
    """The machine's processor ticks from ``/proc/stat``; None off Linux.

    Read around each round, so its cost in processor time per sign-up is known as well as
    its rate: a rate moves with what else the machine does, the cost much less.
    """
    try:
        fields = PROC_STAT.read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal; the guest fields after them are
    # counted in user and nice already.
    ticks = [int(value) for value in fields[:8]]
    idle = ticks[3] + ticks[4]  # idle and waiting for I/O
    return Ticks(busy=sum(ticks) - idle, total=sum(ticks))


def processor_use(
    before: Ticks | None, after: Ticks | None, enrolments: int
) -> dict[str, float | None]:
    """Milliseconds of processor per sign-up, everything counted, and the share that was busy.

    Both are None when the round could not be measured: off Linux, or shorter than
    ``MIN_TICKS`` of the machine's clock.
    """
    if before is None or after is None or after.total - before.total < MIN_TICKS:
        return {"cpu_ms": None, "busy": None}
    busy, elapsed = after.busy - before.busy, after.total - before.total
    busy_seconds = busy / os.sysconf("SC_CLK_TCK")
    return {"cpu_ms": 1000 * busy_seconds / enrolments, "busy": busy / elapsed}


def processor_line(enrolment: dict[str, Any]) -> str:
    """The report's line about what the sign-ups cost the machine, measured or not."""
    label = f"  {'processor per sign-up':<34}"
    cost = enrolment["median_cpu_ms"]
    if cost is None and processor_ticks() is None:
        return label + "not measured: this system has no /proc/stat"
    if cost is None:
        return label + f"not measured: no round lasted {MIN_TICKS} ticks of Linux's clock"
    rounds = enrolment["rounds"]
    busy = ", ".join(f"{r['busy']:.0%}" for r in rounds if r["busy"] is not None)
    unmeasured = sum(1 for r in rounds if r["busy"] is None)
    too_short = f"; {unmeasured} round(s) too short to measure" if unmeasured else ""
    return label + f"{cost:>10.2f} ms, the whole machine counted (busy {busy}{too_short})"


def sign_up_for_fresh_course(
    url: str, database_url: str, browsers: list[tuple[str, str]], connections: int
) -> tuple[str, dict[str, Any]]:
    """Each browser presses "enrol" once on a new course with places for half of them."""
    slug = create_course(database_url, capacity=max(len(browsers) // 2, 1))
    with tempfile.TemporaryDirectory() as workdir:
        result = drive_wrk(url, f"/courses/{slug}/enrol", browsers, connections, Path(workdir))
    return slug, result


def measure_enrolment(
    url: str, database_url: str, students: int, connections: int, rounds: int = 1
) -> dict:
    """The students sign up ``rounds`` times, each time for a fresh course; the median round.

    Every round is checked in the database, and a broken rule in any of them is reported.
    """
    emails = student_emails(database_url, students)
    if not emails:
        raise RuntimeError("no bulk students: build the data with the demo at some scale")
    browsers = signed_in_browsers(emails)
    # Some of them sign up first for a course of their own, half of them getting a place, so
    # each worker has run both paths before the clock starts, as the page benchmarks warm up.
    sign_up_for_fresh_course(url, database_url, browsers[: WARM_UP_PER_WORKER * 4], connections)
    measured = [measure_round(url, database_url, browsers, connections) for _ in range(rounds)]
    median = sorted(measured, key=lambda found: found["rps"])[len(measured) // 2]
    costs = sorted(found["cpu_ms"] for found in measured if found["cpu_ms"] is not None)
    return median | {
        "median_cpu_ms": costs[len(costs) // 2] if costs else None,
        "enrolments": len(browsers),
        "rounds": measured,
        "errors": sum(found["errors"] for found in measured),
        "problems": [problem for found in measured for problem in found["problems"]],
    }


def measure_round(
    url: str, database_url: str, browsers: list[tuple[str, str]], connections: int
) -> dict[str, Any]:
    first_message = last_message_id(database_url)
    before = processor_ticks()
    slug, result = sign_up_for_fresh_course(url, database_url, browsers, connections)
    used = processor_use(before, processor_ticks(), len(browsers))
    return used | {
        "rps": result["rps"],
        "p50_ms": result["p50_ms"],
        "p95_ms": result["p95_ms"],
        "seconds": result["seconds"],
        "statuses": {int(code): n for code, n in result["statuses"].items()},
        "errors": result["errors"],
        "problems": check_places(database_url, slug, len(browsers), first_message),
    }


def run(url: str, database_url: str, smoke: bool, duration: float = 5.0) -> dict[str, Any]:
    """Measure enrolment on the running college, then hello world with the same wrk settings."""
    from bench.run import measure_hello

    students = 16 if smoke else 1000
    connections = 4 if smoke else 16
    rounds = 1 if smoke else ROUNDS
    enrolment = measure_enrolment(url, database_url, students, connections, rounds)
    hello_rps = measure_hello([connections], 1.0 if smoke else duration)[connections]
    ratio = enrolment["rps"] / hello_rps if hello_rps else None
    verdict = "; ".join(enrolment["problems"]) or "no overbooking, waiting list without gaps"
    lines = [
        "",
        f"Enrolment through HTTP (4 workers, wrk, {connections} connections, "
        f"{enrolment['enrolments']} students once each per round, half get a place; "
        f"the median of {rounds} rounds):",
        f"  {'enrol (place or waiting list)':<34}{enrolment['rps']:>10.1f} req/s"
        f"  p50 {enrolment['p50_ms']:.1f} ms  p95 {enrolment['p95_ms']:.1f} ms"
        f"  statuses {enrolment['statuses']}",
        f"  {'rounds':<34}" + ", ".join(f"{r['rps']:.1f}" for r in enrolment["rounds"]),
        processor_line(enrolment),
        f"  {'hello world':<34}{hello_rps:>10.1f} req/s",
        f"  {'enrol / hello':<34}{ratio:>10.2f}" if ratio else "",
        f"  checked in the database: {verdict}",
    ]
    return {
        "lines": lines,
        "data": {
            "enrolment": enrolment | {"connections": connections, "ratio": ratio},
            "hello_rps": hello_rps,
        },
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.enrolment [--scale N] [--smoke] [--skip-data] [--duration S]``."""
    import argparse

    from bench.run import database_url, gunicorn, prepare_data

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--smoke", action="store_true", help="tiny data, 40 enrolments")
    parser.add_argument("--skip-data", action="store_true", help="reuse the bench database")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of hello world")
    args = parser.parse_args(argv)
    if args.smoke:
        args.scale = 0.002
    if not args.skip_data:
        print(f"Building data at scale {args.scale} ...", flush=True)
        prepare_data(args.scale)
    with gunicorn("wsgi:app") as url:
        result = run(url, database_url(), smoke=args.smoke, duration=args.duration)
    for line in result["lines"]:
        print(line)
    return 0 if enrolment_held(result["data"]["enrolment"]) else 1


def enrolment_held(enrolment: dict[str, Any]) -> bool:
    """Every POST answered with a redirect, and the database shows every rule kept."""
    expected = {302: enrolment["enrolments"]}
    redirects = all(found["statuses"] == expected for found in enrolment["rounds"])
    return redirects and not enrolment["errors"] and not enrolment["problems"]


if __name__ == "__main__":
    raise SystemExit(main())
