"""The data version: one counter raised by every transaction that changes what pages show.

Every committed write to the college's data raises the counter (row ``data`` of
``data_versions``) in the same transaction, so a reader that sees the new data also sees the
new version. Caches (``college.page_cache``) name the version a response was built from, and
calendar reconciliation skips a round while it stands still. Nothing here knows about
sign-ins, services or mail: it listens to SQLAlchemy's session events only.

- ORM flushes and ORM INSERT/UPDATE/DELETE statements count by themselves;
- a statement sent to the connection directly must call :func:`mark_changed`;
- bookkeeping that no page shows (sign-ins, throttling, the audit log, ``last_login_at``)
  does not count: add such a table to ``BOOKKEEPING_TABLES``.
"""

from __future__ import annotations

import time
from typing import Any, cast

import sqlalchemy as sa
from flask import g
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from college.extensions import BindableSession, db
from college.models import DataVersion

DATA = "data"
# Writes here change nothing any page shows: sign-in bookkeeping and the audit log.
BOOKKEEPING_TABLES = frozenset(
    {"login_sessions", "login_failures", "password_reset_tokens", "audit_events", "data_versions"}
)
# Columns of shown tables that no page shows either: a sign-in is not a change of data.
BOOKKEEPING_COLUMNS = {"users": frozenset({"last_login_at"})}
# Set in ``Session.info`` while the transaction has written something pages show.
CHANGED = "data_version.changed"

READ_VERSION = sa.select(DataVersion.version).where(DataVersion.name == DATA)


def mark_changed(session: Session) -> None:
    """Count this transaction's writes as a change of data (for writes the ORM does not see)."""
    session.info[CHANGED] = True


def has_changed(session: Session) -> bool:
    """Whether this transaction has written anything pages show, flushed or not."""
    return bool(session.info.get(CHANGED) or session.new or session.dirty or session.deleted)


def _table_name(instance: object) -> str | None:
    table = getattr(sa.inspect(instance).mapper, "local_table", None)
    return table.name if isinstance(table, sa.Table) else None


def shows_change(instance: object, deleted: bool) -> bool:
    """Whether writing ``instance`` changes something a page may show."""
    name = _table_name(instance)
    if name is None or name in BOOKKEEPING_TABLES:
        return False
    ignored = BOOKKEEPING_COLUMNS.get(name)
    if deleted or not ignored:
        return True
    state = sa.inspect(instance)
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    return not state.persistent or not changed or bool(changed - ignored)


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    written = [(o, False) for o in (*session.new, *session.dirty)]
    written += [(o, True) for o in session.deleted]
    if any(shows_change(instance, deleted) for instance, deleted in written):
        mark_changed(session)


def _after_orm_statement(state: ORMExecuteState) -> None:
    """Bulk INSERT, UPDATE and DELETE statements bypass the flush; count them here."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    if name not in BOOKKEEPING_TABLES:
        mark_changed(state.session)


def _version_upsert(insert: Any) -> sa.Insert:
    table = DataVersion.__table__
    statement = insert(table).values(name=DATA, version=1)
    raised = statement.on_conflict_do_update(
        index_elements=[table.c.name], set_={"version": table.c.version + 1}
    )
    return cast(sa.Insert, raised.returning(table.c.version))


RAISE_VERSION = {
    "postgresql": _version_upsert(postgresql_insert),
    "sqlite": _version_upsert(sqlite_insert),
}


def _raise_before_commit(session: Session) -> None:
    session.flush()  # pending objects first, so that their writes count in this commit
    if not session.info.pop(CHANGED, False):
        return
    connection = session.connection()
    raised = connection.execute(RAISE_VERSION[connection.dialect.name]).scalar_one()
    if g:
        # What this request wrote: its person's pages must show at least this version, in
        # whichever process (``page_cache.remember_written_version``). Other readers of
        # this process keep the version they read (``PAGE_CACHE_VERSION_SECONDS``), as
        # readers of every other process do: during a term opening a process that handles
        # sign-ups would otherwise rebuild every page after each of its own.
        g.raised_version = raised


def _forget_changes(session: Session, *args: Any) -> None:
    session.info.pop(CHANGED, None)


def listen_for_writes() -> None:
    """Count the writes of every session of the app (the test sessions too)."""
    if event.contains(BindableSession, "after_flush", _after_flush):
        return
    event.listen(BindableSession, "after_flush", _after_flush)
    event.listen(BindableSession, "do_orm_execute", _after_orm_statement)
    event.listen(BindableSession, "before_commit", _raise_before_commit)
    event.listen(BindableSession, "after_rollback", _forget_changes)


# --- reading it ---------------------------------------------------------------------------------

# The version this process read last and when (``time.monotonic()``).
_last_read: tuple[float, int] | None = None


def current_version(max_age: float = 0, at_least: int = 0) -> int:
    """The data version, read at most once per request.

    With ``max_age``, a version this process read less than that many seconds ago will do,
    unless it is older than ``at_least`` (the version the reader's own last write made):
    people see their own changes at once, and other people's within ``max_age``.
    """
    if "data_version" in g:
        return cast(int, g.data_version)
    last = _last_read
    if max_age and last is not None and time.monotonic() - last[0] < max_age:
        version = last[1]
    else:
        version = read_version()
    if version < at_least:
        version = read_version()
    g.data_version = version
    return version


def read_version() -> int:
    """The version in the database now, remembered as this process's latest."""
    global _last_read
    version = db.session.scalar(READ_VERSION) or 0
    _last_read = (time.monotonic(), version)
    return version
