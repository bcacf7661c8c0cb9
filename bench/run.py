"""Run the benchmark: ``python -m bench.run [--scale N] [--duration S] [--smoke]``.

Builds a PostgreSQL database with generated data, starts the college and a hello-world
app under gunicorn with the same settings, drives each page with wrk at 1 and 16
connections, counts SQL queries per request in-process, prints a table and writes
``bench/results.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
SERVER_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/")
DATABASE = os.environ.get("BENCH_DATABASE", "college_bench")


@dataclass
class Scenario:
    """One thing to measure: a request, and the share of hello world it must reach."""

    name: str
    path: str
    target: float
    headers: dict[str, str] = field(default_factory=dict)
    script: str | None = None


@dataclass
class Measurement:
    scenario: str
    connections: int
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int
    queries: int | None = None
    build_ms: float | None = None
    ratio: float | None = None
    target: float | None = None
    # Hello world at the same connections, measured just before this row.
    hello_rps: float | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    return SERVER_URL.rstrip("/") + "/" + DATABASE


def recreate_database() -> None:
    engine = sa.create_engine(SERVER_URL.rstrip("/") + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
    engine.dispose()


def bench_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url(),
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "MAIL_BACKEND": "files",
            "MAIL_FILE_DIR": str(BENCH / ".data" / "mail"),
            "COLLEGE_DEFAULT_LANGUAGE": "en",
            "LOG_LEVEL": "WARNING",
            "FLASK_APP": "wsgi.py",
        }
    )
    return env


def flask(*args: str) -> None:
    subprocess.run([PYTHON, "-m", "flask", *args], cwd=ROOT, env=bench_environment(), check=True)


def prepare_data(scale: float) -> None:
    recreate_database()
    flask("db", "upgrade")
    flask("college", "demo", "--scale", str(scale))


@contextmanager
def serve(
    app_path: str, env: dict[str, str], workers: int = 4, options: tuple[str, ...] = ()
) -> Iterator[str]:
    """Serve ``app_path`` with gunicorn on a free loopback port; its URL once it answers.

    The benchmark and the tests that need a real server (concurrency, browsers) share it.
    """
    port = free_port()
    command = [
        PYTHON,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        *options,
        app_path,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def gunicorn(app_path: str, workers: int = 4) -> contextlib.AbstractContextManager[str]:
    """The benchmark's server: the bench database, no access log unless asked for."""
    log = "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null"
    return serve(app_path, bench_environment(), workers, ("--access-logfile", log))


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not start in {timeout} s")


def run_wrk(url: str, connections: int, duration: float, scenario: Scenario) -> dict[str, Any]:
    command = [
        "wrk",
        "-t",
        str(min(connections, 2)),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / (scenario.script or "report.lua")),
    ]
    for name, value in scenario.headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url + scenario.path)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(f"wrk printed no result:\n{output}")


@dataclass
class InProcess:
    """What one request costs inside the app: its SQL statements, and building it uncached."""

    queries: int
    build_ms: float


BUILDS = 5


def count_queries(scenarios: list[Scenario]) -> dict[str, InProcess]:
    """SQL statements per request (as served, cached pages included) and the time to build
    the response with no cached page, measured in-process against the bench database."""
    os.environ.update(bench_environment())
    from college import create_app
    from college.extensions import db

    app = create_app()
    counts: dict[str, InProcess] = {}
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    with app.app_context():
        engine = db.engine
    # Requests run outside any app context of ours: one pushed here would be shared by
    # them all, and with it Flask-Login's cached user of the first request.
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        for scenario in scenarios:
            # No cookie jar: the scenario's own Cookie header is what signs the person in.
            client = app.test_client(use_cookies=False)
            queries = count_one(client, scenario, statements)
            counts[scenario.name] = InProcess(queries, time_builds(app, client, scenario))
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return counts


def time_builds(app: Any, client: Any, scenario: Scenario) -> float:
    """Milliseconds to build the answer from the database, as after any change of data."""
    lifetime = app.config["PAGE_CACHE_SECONDS"]
    app.config["PAGE_CACHE_SECONDS"] = 0
    try:
        started = time.perf_counter()
        for _ in range(BUILDS):
            client.get(scenario.path, headers=dict(scenario.headers))
        return (time.perf_counter() - started) * 1000 / BUILDS
    finally:
        app.config["PAGE_CACHE_SECONDS"] = lifetime


def count_one(client: Any, scenario: Scenario, statements: list[str]) -> int:
    headers = dict(scenario.headers)
    client.get(scenario.path, headers=headers)  # warm caches
    statements.clear()
    answer = client.get(scenario.path, headers=headers)
    status = answer.status_code
    if status not in (200, 304):
        raise RuntimeError(f"{scenario.name}: {scenario.path} answered {status} {answer.location}")
    return len(statements)


def build_scenarios(url: str) -> list[Scenario]:
    """The pages to measure; those of features not installed are left out."""
    from bench import scenarios

    return scenarios.build(url, database_url())


def warm_up(url: str, scenario: Scenario, requests_count: int = 12) -> None:
    """A few requests first, so every worker has its connections, caches and templates."""
    request = urllib.request.Request(url + scenario.path, headers=scenario.headers)

    def fetch(_: int) -> None:
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                response.read()
        except urllib.error.HTTPError as error:  # a 304 is an answer, not a failure
            if error.code != 304:
                raise

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(fetch, range(requests_count)))


HELLO = Scenario("hello world", "/", 1.0)


def measure(
    url: str,
    hello_url: str,
    scenarios: list[Scenario],
    connections: list[int],
    duration: float,
) -> list[Measurement]:
    """Each row right after hello world at the same connections: this machine's speed drifts
    by a third within minutes, and a row and its own ceiling then drift together."""
    results = []
    for scenario in scenarios:
        warm_up(url, scenario)
        for count in connections:
            hello = run_wrk(hello_url, count, duration, HELLO)["rps"]
            data = run_wrk(url, count, duration, scenario)
            results.append(
                Measurement(
                    scenario=scenario.name,
                    connections=count,
                    rps=data["rps"],
                    p50_ms=data["p50_ms"],
                    p95_ms=data["p95_ms"],
                    errors=data["errors"],
                    target=scenario.target,
                    hello_rps=hello,
                )
            )
            print(
                f"  {scenario.name:<32} c={count:<3} {data['rps']:>9.1f} req/s"
                f"  (hello world just before: {hello:.1f})",
                flush=True,
            )
    return results


def attach_ratios(
    results: list[Measurement], hello: dict[int, float], in_process: dict[str, InProcess]
) -> None:
    for result in results:
        ceiling = result.hello_rps or hello.get(result.connections)
        result.ratio = result.rps / ceiling if ceiling else None
        found = in_process.get(result.scenario)
        if found is not None:
            result.queries, result.build_ms = found.queries, round(found.build_ms, 2)


def print_table(results: list[Measurement], hello: dict[int, float]) -> None:
    print()
    header = (
        f"{'scenario':<34}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'SQL':>5}{'× hello':>9}{'target':>8}{'build ms':>10}"
    )
    print(header)
    print("-" * len(header))
    for count, rps in sorted(hello.items()):
        print(f"{'hello world':<34}{count:>6}{rps:>10.1f}{'':>9}{'':>9}{'':>5}{1.0:>9.2f}{'':>8}")
    for r in results:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        target = f"{r.target:.2f}" if r.target and r.connections == 16 else ""
        queries = str(r.queries) if r.queries is not None else "-"
        build = f"{r.build_ms:.1f}" if r.build_ms is not None else "-"
        print(
            f"{r.scenario:<34}{r.connections:>6}{r.rps:>10.1f}{r.p50_ms:>9.2f}{r.p95_ms:>9.2f}"
            f"{queries:>5}{ratio:>9}{target:>8}{build:>10}"
        )
    print(
        "\nSQL: statements per request as served. build ms: one answer built in-process from"
        " the database with no cached page, as after any change of data."
    )


@dataclass
class ScaleRun:
    scale: float
    data_seconds: float
    hello_world_rps: dict[int, float]
    results: list[Measurement]
    extra: dict[str, Any]


def measure_hello(connections: list[int], duration: float) -> dict[int, float]:
    """The ceiling on a server of its own: the smallest Flask app under the same settings."""
    hello: dict[int, float] = {}
    with gunicorn("bench.hello:app") as url:
        for count in connections:
            hello[count] = run_wrk(url, count, duration, HELLO)["rps"]
            print(f"  {'hello world':<32} c={count:<3} {hello[count]:>9.1f} req/s", flush=True)
    return hello


def run_scale(scale: float, args: argparse.Namespace, connections: list[int]) -> ScaleRun:
    """Build the data at ``scale`` (unless reused), measure every scenario, print the table.

    Both apps are served at once (the idle one costs nothing), and each row is divided by
    hello world measured just before it. The table's hello world line is the mean of those.
    """
    started = time.monotonic()
    if not args.skip_data:
        print(f"Building data at scale {scale} ...", flush=True)
        prepare_data(scale)
    data_seconds = time.monotonic() - started
    with gunicorn("bench.hello:app") as hello_url, gunicorn("wsgi:app") as url:
        warm_up(hello_url, HELLO)
        scenarios = build_scenarios(url)
        results = measure(url, hello_url, scenarios, connections, args.duration)
        extra = run_extra_benchmarks(url, args)
    hello = mean_hello(results, connections)
    attach_ratios(results, hello, count_queries(scenarios))
    print(f"\nScale {scale}:")
    print_table(results, hello)
    for line in extra.get("lines", []):
        print(line)
    return ScaleRun(scale, round(data_seconds, 1), hello, results, extra.get("data", {}))


def mean_hello(results: list[Measurement], connections: list[int]) -> dict[int, float]:
    hello = {}
    for count in connections:
        found = [r.hello_rps for r in results if r.connections == count and r.hello_rps]
        if found:
            hello[count] = round(sum(found) / len(found), 1)
    return hello


def growth(small: ScaleRun, large: ScaleRun) -> list[dict[str, Any]]:
    """How much slower each page is on the larger data: 1.00 is flat."""
    busiest = max(r.connections for r in large.results)
    before = {r.scenario: r for r in small.results if r.connections == busiest}
    rows = []
    for after in (r for r in large.results if r.connections == busiest):
        was = before.get(after.scenario)
        if was is None or not after.rps:
            continue
        built = after.build_ms / was.build_ms if after.build_ms and was.build_ms else None
        # Each against its own hello world, so the machine's drift between the two scales
        # is not counted as the data's growth.
        served = was.ratio / after.ratio if was.ratio and after.ratio else was.rps / after.rps
        rows.append(
            {
                "scenario": after.scenario,
                "served_slower": round(served, 2),
                "built_slower": round(built, 2) if built else None,
            }
        )
    return rows


def print_growth(small: ScaleRun, large: ScaleRun, rows: list[dict[str, Any]]) -> None:
    print(f"\nFrom scale {small.scale} to scale {large.scale} (1.00 is flat; target at most 1.3):")
    print(f"{'scenario':<34}{'served':>9}{'built':>9}")
    for row in rows:
        built = f"{row['built_slower']:.2f}" if row["built_slower"] else "-"
        print(f"{row['scenario']:<34}{row['served_slower']:>9.2f}{built:>9}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--compare-with",
        type=float,
        help="first measure this smaller scale too, and show how each page grows",
    )
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", default="1,16")
    parser.add_argument("--smoke", action="store_true", help="tiny data, one short run each")
    parser.add_argument(
        "--skip-data", action="store_true", help="reuse the existing bench database"
    )
    parser.add_argument("--output", default=str(BENCH / "results.json"))
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    if args.smoke:
        args.scale, args.duration, args.connections = 0.002, 1.0, "4"
        args.compare_with = None
        # Cheap password hashes: the smoke run checks the wiring, not the cost of signing in.
        os.environ.setdefault("ARGON2_TIME_COST", "1")
        os.environ.setdefault("ARGON2_MEMORY_COST", "1024")
    if args.compare_with is not None and args.skip_data:
        parser.error("--compare-with builds both data sets; it cannot be used with --skip-data")
    connections = [int(c) for c in args.connections.split(",")]

    scales = [args.scale] if args.compare_with is None else [args.compare_with, args.scale]
    runs = [run_scale(scale, args, connections) for scale in scales]
    final = runs[-1]
    grown = growth(runs[0], final) if len(runs) > 1 else []
    if grown:
        print_growth(runs[0], final, grown)
    payload = {
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average": os.getloadavg(),
        },
        "scale": final.scale,
        "duration_seconds": args.duration,
        "data_seconds": final.data_seconds,
        "hello_world_rps": final.hello_world_rps,
        "results": [asdict(r) for r in final.results],
        "extra": final.extra,
        "smaller_scale": asdict(runs[0]) if len(runs) > 1 else None,
        "growth": grown,
    }
    Path(args.output).write_text(json.dumps(payload, indent=2) + "\n")
    failures = [r for run in runs for r in run.results if r.errors]
    return 1 if failures else 0


def run_extra_benchmarks(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Benchmarks that are not a single GET (enrolment), provided by bench.scenarios."""
    from bench import scenarios

    runner: Callable[..., dict[str, Any]] | None = getattr(scenarios, "run_extra", None)
    return runner(url, database_url(), args) if runner else {}


if __name__ == "__main__":
    raise SystemExit(main())
