"""PostgreSQL connections: reads outside a transaction, writes inside one, pings after idling."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from college import db as college_db
from college.db import is_plain_read, start_write_transaction, tune_postgresql_engine
from tests.conftest import IN_CI, PG_URL, postgres_available


@pytest.mark.parametrize(
    ("statement", "plain"),
    [
        ("SELECT users.id FROM users WHERE users.id = %(id)s", True),
        ("  select 1", True),
        ("SELECT courses.id FROM courses WHERE courses.id = 1 FOR UPDATE OF courses", False),
        ("SELECT id FROM outbox FOR UPDATE SKIP LOCKED", False),
        ("SELECT id FROM courses FOR NO KEY UPDATE", False),
        ("SELECT id FROM courses FOR SHARE", False),
        ("INSERT INTO users (email) VALUES (%(email)s)", False),
        ("WITH gone AS (DELETE FROM users RETURNING id) SELECT id FROM gone", False),
        ("SAVEPOINT sa_savepoint_1", False),
    ],
)
def test_only_selects_that_lock_nothing_count_as_plain_reads(statement: str, plain: bool) -> None:
    assert is_plain_read(statement) is plain


@pytest.fixture
def engine() -> Iterator[sa.Engine]:
    """A PostgreSQL engine tuned as the app's is, with a table of its own per connection."""
    problem = postgres_available(PG_URL)
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but not reachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    engine = sa.create_engine(PG_URL, poolclass=sa.pool.StaticPool)
    tune_postgresql_engine(engine)
    with engine.connect() as connection:
        connection.execute(sa.text("CREATE TEMPORARY TABLE marks (name text PRIMARY KEY)"))
        connection.commit()
    yield engine
    engine.dispose()


class Marks(sa.orm.DeclarativeBase):
    pass


class Mark(Marks):
    __tablename__ = "marks"
    name: sa.orm.Mapped[str] = sa.orm.mapped_column(primary_key=True)


def in_transaction(connection: sa.Connection) -> bool:
    import psycopg

    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    return bool(dbapi_connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE)


def count_marks(connection: sa.Connection) -> int:
    return int(connection.scalar(sa.text("SELECT count(*) FROM marks")) or 0)


def test_a_read_leaves_no_transaction_open(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        assert count_marks(connection) == 0
        assert not in_transaction(connection)


def test_a_write_and_what_follows_it_roll_back_together(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        count_marks(connection)
        connection.execute(sa.text("INSERT INTO marks VALUES ('first')"))
        assert in_transaction(connection)
        connection.execute(sa.text("INSERT INTO marks VALUES ('second')"))
        assert count_marks(connection) == 2
        connection.rollback()
        assert count_marks(connection) == 0


def test_a_committed_write_stays(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        connection.execute(sa.text("INSERT INTO marks VALUES ('kept')"))
        connection.commit()
    with engine.connect() as connection:
        assert count_marks(connection) == 1


def test_a_locking_read_holds_its_lock_until_the_end(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT name FROM marks FOR UPDATE"))
        assert in_transaction(connection)
        connection.rollback()


def test_a_connection_that_died_while_idle_is_replaced_unseen(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.connect() as connection:
        first = connection.scalar(sa.text("SELECT pg_backend_pid()"))
    killer = sa.create_engine(PG_URL)
    with killer.connect() as other:
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    killer.dispose()
    monkeypatch.setattr(college_db, "PING_AFTER_IDLE_SECONDS", 0)
    with engine.connect() as connection:
        second = connection.scalar(sa.text("SELECT pg_backend_pid()"))
    assert second != first


def test_a_write_transaction_after_plain_reads_keeps_what_they_loaded(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        connection.execute(sa.text("INSERT INTO marks VALUES ('read')"))
        connection.commit()
    with sa.orm.Session(engine) as session:
        mark = session.get_one(Mark, "read")
        start_write_transaction(session)
        # Nothing was open to commit, so the loaded row is not expired and read again.
        assert not sa.inspect(mark).expired
        assert not in_transaction(session.connection())


def test_a_write_transaction_first_commits_what_came_before(engine: sa.Engine) -> None:
    with sa.orm.Session(engine) as session:
        session.add(Mark(name="flushed"))
        session.flush()
        session.add(Mark(name="pending"))
        start_write_transaction(session)
        session.rollback()
        assert count_marks(session.connection()) == 2
