"""Test fixtures: one schema per engine per run, each test inside a rolled-back transaction.

The suite runs against SQLite and PostgreSQL (``TEST_ENGINES``, default both). With
``CI=true`` a PostgreSQL that cannot be reached fails the run instead of skipping.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from college import create_app
from college.extensions import BindableSession, db
from college.models import Programme, User
from tests import factories

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ENGINES = [e.strip() for e in os.environ.get("TEST_ENGINES", "sqlite,postgresql").split(",") if e]


def test_config(database_url: str, tmp: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "MAIL_BACKEND": "files",
        "MAIL_FILE_DIR": str(tmp / "mail"),
        "COLLEGE_DEFAULT_LANGUAGE": "en",
        "COLLEGE_BASE_URL": "http://college.test",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "LOG_LEVEL": "WARNING",
        "SERVER_NAME": None,
        # Factories flush without committing, so cached pages would not see them; the page
        # cache's own tests switch it on (``page_cache_on``).
        "PAGE_CACHE_SECONDS": 0,
        "PAGE_CACHE_VERSION_SECONDS": 0,
        # Rolled-back tests repeat data versions; the calendar tests switch it on themselves.
        "CALENDAR_CHECK_ONLY_AFTER_WRITES": False,
    }


def postgres_available(url: str) -> str | None:
    """Return why PostgreSQL cannot be used, or None when it can."""
    try:
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as error:
        return str(error).splitlines()[0]
    return None


def reset_postgres_schema(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def database_url_for(engine_name: str, tmp: Path) -> str:
    if engine_name == "sqlite":
        return f"sqlite:///{tmp / 'test.db'}"
    problem = postgres_available(PG_URL)
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but not reachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    reset_postgres_schema(PG_URL)
    return PG_URL


def upgrade_schema(app: Flask) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


@pytest.fixture(scope="session", params=ENGINES)
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The application, with its schema built by the migrations, once per engine."""
    tmp = tmp_path_factory.mktemp(request.param)
    url = database_url_for(request.param, tmp)
    application = create_app(test_config(url, tmp))
    application.test_client_class = IsolatedClient
    upgrade_schema(application)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def engine_name(app: Flask) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0].split("+")[0]


@pytest.fixture(autouse=True)
def db_session(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Run each test in a transaction that is rolled back, so view commits vanish too."""
    if "app" not in request.fixturenames or request.node.get_closest_marker("committing"):
        yield None
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
                "class_": BindableSession,
            }
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, as in production.

    Each request gets a fresh ``g``, login state and database session (joined to the
    test's transaction); afterwards the test's own objects are expired so they reload.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


class AuthActions:
    """Log people in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, user: Any, password: str = factories.PASSWORD) -> Any:
        return self.client.post("/auth/login", data={"email": user.email, "password": password})

    def logout(self) -> Any:
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


# --- one person in each role, and the same person signed in on ``client`` ---------------------
# Shared by every package's tests; a test that needs a second person of a role makes one
# with ``tests.factories``.


@pytest.fixture
def admin(app: Flask) -> User:
    return factories.make_admin(name="Ada Admin")


@pytest.fixture
def peer(app: Flask) -> User:
    """A peer trainer who holds the five-day qualification most courses ask for."""
    return factories.make_peer(name="Pia Peer", programmes=(Programme.FIVE_DAY,))


@pytest.fixture
def trainer(app: Flask) -> User:
    return factories.make_trainer(name="Tom Trainer")


@pytest.fixture
def student(app: Flask) -> User:
    return factories.make_student(name="Sam Student")


@pytest.fixture
def signed_in_admin(auth: AuthActions, admin: User) -> User:
    """``admin``, signed in on ``client``."""
    auth.login(admin)
    return admin


@pytest.fixture
def signed_in_peer(auth: AuthActions, peer: User) -> User:
    """``peer``, signed in on ``client``."""
    auth.login(peer)
    return peer


@pytest.fixture
def signed_in_trainer(auth: AuthActions, trainer: User) -> User:
    """``trainer``, signed in on ``client``."""
    auth.login(trainer)
    return trainer


@pytest.fixture
def signed_in_student(auth: AuthActions, student: User) -> User:
    """``student``, signed in on ``client``."""
    auth.login(student)
    return student


@pytest.fixture
def csrf_enabled(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


class QueryCounter:
    """Counts SQL statements sent to the database while active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)


@pytest.fixture
def count_queries(app: Flask) -> Iterator[Any]:
    """Use as ``with count_queries() as counter: ...`` then read ``counter.count``."""
    from contextlib import contextmanager

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter)

    yield counting
