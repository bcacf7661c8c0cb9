"""Database foundations: declarative base, UTC datetime type and engine pragmas."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

# Named constraints make Alembic migrations deterministic on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def now_utc() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware datetime stored as UTC on every engine.

    SQLite has no time zone support, so values are stored naive in UTC there and
    given their zone back on the way out; PostgreSQL keeps ``timestamptz``.
    Naive values are refused: they are always a bug in this codebase.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _set_sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Make SQLite enforce foreign keys and wait for locks like PostgreSQL would."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    # pysqlite's own transaction handling breaks SAVEPOINTs; SQLAlchemy emits BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted and overwritten values are zeroed in the file, not left in free space: an
    # erased person's details must not be readable from a copy of it.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def checkpoint_sqlite_wal(engine: Engine) -> None:
    """Fold SQLite's write-ahead log into the database file and empty it.

    Called after an erasure is committed: until a checkpoint, the WAL file still holds the
    pages as they were, the erased person's details included. PostgreSQL needs nothing here.
    """
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite_transaction(connection: sa.Connection) -> None:
    """Start SQLite transactions explicitly (see ``_set_sqlite_pragmas``).

    ``sqlite_begin="IMMEDIATE"`` in a connection's execution options takes the write
    lock up front, so a transaction that will write waits its turn instead of failing.
    """
    if connection.dialect.name != "sqlite":
        return
    mode = connection.get_execution_options().get("sqlite_begin", "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def changed_rows(result: sa.Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (``Session.execute`` is typed too loosely)."""
    return cast("sa.CursorResult[Any]", result).rowcount or 0


def is_sqlite(bind: Engine | sa.Connection) -> bool:
    return bind.dialect.name == "sqlite"


def start_write_transaction(session: sa.orm.Session) -> None:
    """Begin a transaction that will write to contended rows.

    On SQLite the write lock is taken up front (``BEGIN IMMEDIATE``), so concurrent
    writers queue behind the busy timeout instead of failing on a stale snapshot.
    On PostgreSQL this is a plain transaction; callers lock the rows they change. When
    what came before only read (outside a transaction, see ``tune_postgresql_engine``)
    and nothing waits to be written, there is nothing to end: committing would only
    expire what was loaded, and the signed-in person would be read a second time.
    """
    bind = session.get_bind()
    if session.in_transaction() and not _only_read_so_far(session, bind):
        session.commit()
    if isinstance(bind, Engine) and is_sqlite(bind):
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def _only_read_so_far(session: sa.orm.Session, bind: Engine | sa.Connection) -> bool:
    """True on PostgreSQL when no database transaction is open and no change waits."""
    if bind.dialect.name != "postgresql" or session.new or session.dirty or session.deleted:
        return False
    dbapi_connection = session.connection().connection.dbapi_connection
    return bool(getattr(dbapi_connection, "autocommit", False))


# --- PostgreSQL connections ----------------------------------------------------------------

# A connection given back this recently is taken to be alive; one idle longer is pinged first.
PING_AFTER_IDLE_SECONDS = 1.0
LOCKING_READ = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.I)


def is_plain_read(statement: str) -> bool:
    """A SELECT that locks no rows, so it needs no transaction at READ COMMITTED.

    A SELECT of a function that only lasts as long as its transaction (an advisory
    ``_xact_`` lock, ``set_config(..., true)``) would lose its effect here: take a
    transaction explicitly for those, with a write or ``FOR UPDATE`` first.
    """
    return statement.lstrip()[:6].upper() == "SELECT" and not LOCKING_READ.search(statement)


def tune_postgresql_engine(engine: Engine) -> None:
    """Spare each request the round trips to PostgreSQL that it does not need.

    Reads run outside a transaction: a connection leaves the pool in autocommit, and its
    first statement that is not a plain read (a write, a locking read, a savepoint, DDL)
    opens a transaction that this statement and everything after it belong to, committed
    or rolled back as before. At READ COMMITTED every statement takes a fresh snapshot even
    inside a transaction, so the reads see what they always did; a page that only reads is
    spared BEGIN and ROLLBACK.

    A connection given back less than ``PING_AFTER_IDLE_SECONDS`` ago is used as it is;
    one idle longer is pinged first, so a restarted database costs no error page.
    """
    if engine.dialect.name != "postgresql" or event.contains(engine, "checkout", _on_checkout):
        return
    event.listen(engine, "checkin", _on_checkin)
    event.listen(engine, "checkout", _on_checkout)
    event.listen(engine, "before_cursor_execute", _begin_before_writing)


def _on_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["given_back_at"] = time.monotonic()


def _on_checkout(
    dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
) -> None:
    import psycopg

    given_back_at = record.info.get("given_back_at")
    try:
        if dbapi_connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            dbapi_connection.autocommit = True
        if given_back_at is None or time.monotonic() - given_back_at >= PING_AFTER_IDLE_SECONDS:
            dbapi_connection.execute("SELECT 1")
    except psycopg.Error as error:
        # The pool drops this connection (and the others as old) and tries a new one.
        raise sa.exc.InvalidatePoolError() from error


def _begin_before_writing(
    connection: sa.Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: Any,
    executemany: bool,
) -> None:
    import psycopg

    dbapi_connection = cursor.connection
    if not dbapi_connection.autocommit:
        return
    # A server-side cursor lives in a transaction too.
    if isinstance(cursor, psycopg.ServerCursor) or not is_plain_read(statement):
        dbapi_connection.autocommit = False
