"""Real servers for tests that need them: a fresh database and the app under gunicorn."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from bench.run import serve

ROOT = Path(__file__).resolve().parent.parent


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


def gunicorn(
    database_url: str, tmp_path: Path, workers: int = 4
) -> contextlib.AbstractContextManager[str]:
    """Serve the app with gunicorn on a free loopback port."""
    return serve(
        "wsgi:app", server_environment(database_url, tmp_path), workers, ("--timeout", "60")
    )
