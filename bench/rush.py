"""The term opening: people sign up and browse at the same moment.

Half the connections sign students up for a fresh course (the enrolment scenario's
prepared browsers, each pressing "enrol" once), the other half browse as people do at
that moment: the prospectus, that course's page and their own My courses, signed in.
Every sign-up raises the data version, so this is where the cost of one global version
shows: each process rebuilds a page at most once per ``PAGE_CACHE_VERSION_SECONDS``, while
a student sees their own sign-up at once. Both throughputs and p95 latencies are reported;
afterwards the database is asked whether every rule held and whether every sign-up raised
the version.
"""

from __future__ import annotations

import json
import signal
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.enrolment import (
    check_places,
    create_course,
    drive_wrk,
    last_message_id,
    signed_in_browsers,
    student_emails,
)

SIGN_UP_TARGET = 100.0  # sign-ups per second
BROWSING_P95_TARGET_MS = 100.0
READERS = 8  # signed-in students whose My courses is read while others sign up


def data_version(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        found = connection.scalar(sa.text("SELECT version FROM data_versions WHERE name = 'data'"))
    engine.dispose()
    return int(found or 0)


def browsing_requests(url: str, slug: str, readers: list[tuple[str, str]]) -> list[str]:
    """The browsing round, one "path<TAB>cookie" line per request, each fetched once to warm."""
    lines = []
    for cookie, _body in readers:
        lines += ["/courses/\t", f"/courses/{slug}\t", f"/me/courses\tsession={cookie}"]
    for line in lines:
        path, cookie = line.split("\t")
        request = urllib.request.Request(url + path, headers={"Cookie": cookie} if cookie else {})
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
    return lines


def start_browsing(url: str, lines: list[str], connections: int, workdir: Path) -> Any:
    from bench.run import BENCH

    plan = workdir / "browsing.tsv"
    plan.write_text("".join(line + "\n" for line in lines))
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", "600s", "--timeout", "10s"]
    command += ["-s", str(BENCH / "browse.lua"), url + "/courses/", "--", str(plan)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop_browsing(process: Any) -> dict[str, Any]:
    process.send_signal(signal.SIGINT)
    output, errors = process.communicate(timeout=60)
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            return dict(json.loads(line.removeprefix("BENCH_JSON ")))
    raise RuntimeError(f"wrk printed no result:\n{output}\n{errors}")


def measure_rush(url: str, database_url: str, students: int, connections: int) -> dict[str, Any]:
    """Sign ``students`` up on ``connections`` while as many more connections browse."""
    emails = student_emails(database_url, students + READERS)
    if len(emails) < students + READERS:
        raise RuntimeError("too few bulk students: build the data with the demo at some scale")
    signers = signed_in_browsers(emails[:students])
    readers = signed_in_browsers(emails[students:])
    slug = create_course(database_url, capacity=max(students // 2, 1))
    lines = browsing_requests(url, slug, readers)
    first_message = last_message_id(database_url)
    version_before = data_version(database_url)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        browsing = start_browsing(url, lines, connections, workdir)
        try:
            (workdir / "sign-ups").mkdir()
            signing = drive_wrk(
                url, f"/courses/{slug}/enrol", signers, connections, workdir / "sign-ups"
            )
        finally:
            browsed = stop_browsing(browsing)
    raised = data_version(database_url) - version_before
    problems = check_places(database_url, slug, students, first_message)
    if raised < students:
        problems.append(f"the data version rose {raised} times for {students} sign-ups")
    return {
        "students": students,
        "connections": connections,
        "sign_ups": {key: signing[key] for key in ("rps", "p50_ms", "p95_ms", "errors")}
        | {"statuses": {int(code): n for code, n in signing["statuses"].items()}},
        "browsing": {
            key: browsed[key] for key in ("rps", "p50_ms", "p95_ms", "errors", "non_2xx_3xx")
        },
        "version_raised": raised,
        "problems": problems,
    }


def verdict(rush: dict[str, Any]) -> str:
    sign_ups, browsing = rush["sign_ups"], rush["browsing"]
    met = sign_ups["rps"] >= SIGN_UP_TARGET and browsing["p95_ms"] <= BROWSING_P95_TARGET_MS
    return "targets met" if met else "TARGET MISSED"


def run(url: str, database_url: str, smoke: bool) -> dict[str, Any]:
    """Measure the rush on the running college; its lines for the report and its figures."""
    students = 16 if smoke else 600
    connections = 2 if smoke else 8
    rush = measure_rush(url, database_url, students, connections)
    sign_ups, browsing = rush["sign_ups"], rush["browsing"]
    checked = "; ".join(rush["problems"]) or (
        f"no overbooking, and the data version rose {rush['version_raised']} times"
        f" for {students} sign-ups"
    )
    lines = [
        "",
        f"The term opening ({connections} connections signing {students} students up for a"
        f" fresh course, {connections} browsing the prospectus, its page and My courses):",
        f"  {'sign-ups':<34}{sign_ups['rps']:>10.1f} req/s  p50 {sign_ups['p50_ms']:.1f} ms"
        f"  p95 {sign_ups['p95_ms']:.1f} ms  (target {SIGN_UP_TARGET:.0f}/s)",
        f"  {'browsing':<34}{browsing['rps']:>10.1f} req/s  p50 {browsing['p50_ms']:.1f} ms"
        f"  p95 {browsing['p95_ms']:.1f} ms  (target p95 {BROWSING_P95_TARGET_MS:.0f} ms)",
        f"  checked in the database: {checked}; {verdict(rush)}",
    ]
    return {"lines": lines, "data": {"rush": rush}}
