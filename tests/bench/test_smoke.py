"""The benchmark runs end to end on tiny data, so it never rots between full runs.

It needs PostgreSQL and wrk: under ``CI=true`` a missing one fails, otherwise it skips.
The benchmark's database sits beside the test database, named after it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import ENGINES, IN_CI, PG_URL, postgres_available

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = {
    "prospectus",
    "prospectus, search + 2 filters",
    "course page",
    "API list",
    "My courses, 50 enrolments",
    "admin dashboard",
    "college feed",
    "personal feed, 500 sessions",
    "personal feed, 500 sessions, 304",
}


def require(problem: str | None) -> None:
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"The benchmark smoke run needs {problem} in CI.")
    pytest.skip(f"Benchmark smoke run skipped: {problem}")


@pytest.mark.slow
@pytest.mark.postgresql
def test_the_benchmark_runs_on_tiny_data(tmp_path: Path):
    if "postgresql" not in ENGINES:
        pytest.skip("the benchmark runs on PostgreSQL, which TEST_ENGINES leaves out")
    require(None if shutil.which("wrk") else "wrk")
    problem = postgres_available(PG_URL)
    require(f"PostgreSQL ({problem})" if problem else None)
    url = make_url(PG_URL)
    output = tmp_path / "results.json"
    env = dict(
        os.environ,
        BENCH_POSTGRES_URL=url.set(database="").render_as_string(hide_password=False),
        BENCH_DATABASE=f"{url.database}_bench",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--output", str(output)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(output.read_text())
    rows = {row["scenario"]: row for row in results["results"]}
    assert set(rows) == SCENARIOS
    for name, row in rows.items():
        assert row["errors"] == 0, name
        assert row["rps"] > 0, name
        assert row["queries"] is not None, name  # cached pages may need none
        assert row["build_ms"] is not None and row["build_ms"] > 0, name
        assert row["ratio"] is not None, name
    assert results["hello_world_rps"]["4"] > 0
    enrolment = results["extra"]["enrolment"]
    assert enrolment["statuses"] == {"302": enrolment["enrolments"]}
    assert enrolment["problems"] == []
    assert enrolment["rps"] > 0 and enrolment["p95_ms"] > 0
    # The processor each sign-up cost, read from Linux; a round on tiny data may be too
    # short for the kernel's tick, and then it says so instead of giving a figure.
    measured = [found for found in enrolment["rounds"] if found["cpu_ms"] is not None]
    assert all(found["cpu_ms"] > 0 and 0 < found["busy"] <= 1 for found in measured)
    assert (enrolment["median_cpu_ms"] is not None) == bool(measured)
    assert "processor per sign-up" in done.stdout
    assert "hello world" in done.stdout and "My courses" in done.stdout
    # The term opening: sign-ups and browsing at once, every rule held, every sign-up seen.
    rush = results["extra"]["rush"]
    assert rush["problems"] == []
    assert rush["sign_ups"]["statuses"] == {"302": rush["students"]}
    assert rush["version_raised"] >= rush["students"]
    assert rush["browsing"]["rps"] > 0 and rush["browsing"]["errors"] == 0
    assert rush["browsing"]["non_2xx_3xx"] == 0
    assert "The term opening" in done.stdout
