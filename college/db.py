"""Database foundations: declarative base, UTC datetime type, engine pragmas, and which
requests only read (``reads_only``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
import sqlalchemy.orm
from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase

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


# --- requests that only read --------------------------------------------------------------------

V = TypeVar("V", bound=Callable[..., Any])
READS_ONLY = "reads_only"
READ_METHODS = frozenset({"GET", "HEAD"})


def reads_only(view: V) -> V:
    """Mark a view that never writes: its GET and HEAD requests run without a transaction
    (``college.transactions``); every cached view is one."""
    setattr(view, READS_ONLY, True)
    return view


def request_reads_only() -> bool:
    """Whether this is a GET or HEAD of a view marked ``reads_only``."""
    if not has_request_context() or request.method not in READ_METHODS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, READS_ONLY, False))
