"""Real servers for tests that need them: a fresh database and the app under gunicorn."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
CSRF_PATTERN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_url_of(database_url: str) -> str:
    return database_url.rsplit("/", 1)[0] + "/postgres"


@contextmanager
def fresh_database(engine_name: str, tmp_path: Path, pg_url: str) -> Iterator[str]:
    """A new, empty database of its own, removed afterwards."""
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.db'}"
        return
    name = f"college_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(server_url_of(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield pg_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def server_environment(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "server-test-secret",
            "MAIL_BACKEND": "files",
            "MAIL_FILE_DIR": str(tmp_path / "mail"),
            "COLLEGE_DEFAULT_LANGUAGE": "en",
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_COST": "1024",
            "LOG_LEVEL": "WARNING",
            "FLASK_APP": "wsgi.py",
            "LOGIN_MAX_FAILURES": "1000",
        }
    )
    return env


def migrate(database_url: str, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "db", "upgrade"],
        cwd=ROOT,
        env=server_environment(database_url, tmp_path),
        check=True,
        capture_output=True,
    )


@contextmanager
def gunicorn(database_url: str, tmp_path: Path, workers: int = 4) -> Iterator[str]:
    """Serve the app with gunicorn on a free loopback port."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "60",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=server_environment(database_url, tmp_path),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}")
            try:
                with urllib.request.urlopen(url + "/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def csrf_token(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    if not match:
        raise AssertionError("no CSRF token on the page")
    return match.group(1) or match.group(2)
