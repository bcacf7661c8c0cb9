"""The unit of work: one transaction per request, per command and per worker step.

A view calls services, which flush but never commit. When the view returns, the request's
transaction is committed; when it raises, everything it did is rolled back, and a
``DomainError`` is shown to the person (``college.errors``). ``College.dispatch_request``
(``college/__init__.py``) runs every view that way, ``CommandGroup`` every command of
``flask college``, and the mail worker runs each of its steps in ``transaction()``.

When the database is busy (SQLite's write lock held past the busy timeout, a PostgreSQL
deadlock, serialisation failure or lock timeout, or a unique constraint tripped by a
simultaneous double click) the whole unit is rolled back and run again from the start, up to
``ATTEMPTS`` times; the services are idempotent, so a retry finds what the other request did.
Only when the database stays busy does the person see a calm "try again", never a 500.

On SQLite a form submission takes the write lock before it reads anything
(``BEGIN IMMEDIATE``, SQLite's documented way to queue writers): a transaction that read
first and then tries to write fails at once with "database is locked" when another request
wrote in between, whatever the busy timeout.

A view that only reads is marked ``college.db.reads_only`` (every cached view is). Its GET
and HEAD requests, their hooks included (loading the signed-in person), run in SQLAlchemy's
``AUTOCOMMIT`` isolation level on PostgreSQL: no BEGIN and no COMMIT around a page that
reads one row, half of its round trips. In READ COMMITTED each statement sees the data as
it is when the statement starts, in a transaction or not, so the page reads nothing else.
Such a request may not write: a flush in it is a bug, and raises.

Connections are not pinged before use. When the database has restarted meanwhile, the first
statement on an old connection fails, SQLAlchemy drops the pool's connections (its
"optimistic" disconnect handling), and the unit of work, or the loading of the person, runs
once more on a new one.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, g, message_flashed, request, session
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from college.db import request_reads_only
from college.errors import DomainError, render_error
from college.extensions import BindableSession, db

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 5
# SQLSTATEs worth another go on PostgreSQL: serialisation failure, deadlock, lock timeout.
TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class Busy(DomainError):
    status_code = 503
    message = _l("Many people are using the site right now. Please wait a moment and try again.")


def is_transient(error: sa.exc.DBAPIError) -> bool:
    """Whether running the same work again may succeed (the database was busy or restarted,
    not wrong)."""
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    text = str(error.orig).lower()
    if isinstance(error, sa.exc.IntegrityError):
        # Only a duplicate (e.g. two enrols at once) is worth a retry; other rules are bugs.
        return sqlstate == "23505" or "unique constraint failed" in text
    if sqlstate in TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in text or "database is busy" in text


def begin_writing(session: Session) -> None:
    """Open the transaction of work that will write; on SQLite, take the write lock now.

    A transaction already open is left as it is: it was begun by whoever opened it.
    """
    if session.in_transaction():
        return
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


@contextmanager
def transaction(*, writes: bool = False) -> Iterator[None]:
    """Commit what the block did, or roll all of it back when the block raises."""
    if writes:
        begin_writing(db.session())
    try:
        yield
        # A request that touched no table (a 304, a response from the cache) has no session,
        # or one without a transaction: committing would begin one only to end it.
        if db.session.registry.has() and db.session().in_transaction():
            db.session.commit()
    except BaseException:
        if db.session.registry.has():
            db.session.rollback()
        raise


def run_in_transaction(
    work: Callable[[], T], *, writes: bool = True, busy: type[DomainError] = Busy
) -> T:
    """Run ``work`` in a transaction and commit it; run it again while the database is busy.

    A ``DomainError`` (or any other error) rolls back and propagates unchanged; when the
    database stays busy, ``busy`` is raised.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction(writes=writes):
                return work()
        except sa.exc.DBAPIError as error:
            if not is_transient(error):
                raise
            log.warning("busy database, attempt %s of %s: %s", attempt, ATTEMPTS, type(error))
            time.sleep(random.uniform(0.02, 0.1) * attempt)  # noqa: S311 - jitter, not security
    raise busy()


# --- requests ----------------------------------------------------------------------------------


def run_view(view: Callable[[], T]) -> T:
    """The request's unit of work: run the view and commit, or roll back (and run it again).

    Messages a failed attempt flashed are taken back before the next, so a retried view
    says its message once.
    """

    g.pop(FLASHED, None)  # what the request's hooks flashed stays

    def attempt() -> T:
        take_back_flashes()
        return view()

    return run_in_transaction(attempt, writes=request.method in WRITE_METHODS)


FLASHED = "flashed_in_this_attempt"


def count_flash(sender: Flask, message: str, category: str, **extra: Any) -> None:
    setattr(g, FLASHED, g.get(FLASHED, 0) + 1)


def take_back_flashes() -> None:
    """Remove what an attempt that was rolled back flashed (the session is untouched else,
    so a public page does not vary by cookie)."""
    count = g.pop(FLASHED, 0)
    if count:
        session["_flashes"] = session.get("_flashes", [])[:-count]


def begin_request() -> None:
    """On SQLite, let a form submission wait for the write lock before it reads anything."""
    if request.method in WRITE_METHODS:
        begin_writing(db.session())


def refuse_writes_while_reading(session: Session, *args: Any) -> None:
    if (session.new or session.dirty or session.deleted) and request_reads_only():
        raise RuntimeError("a view marked reads_only wrote to the database")


def answer_busy_database(error: sa.exc.DBAPIError) -> tuple[Any, int]:
    """A database that stays busy outside a view (a request hook) is a calm 503, else a 500."""
    db.session.rollback()
    if is_transient(error) and not isinstance(error, sa.exc.IntegrityError):
        return render_error(503, Busy.message)
    raise error


# --- commands ----------------------------------------------------------------------------------


class CommandGroup(AppGroup):
    """A group of ``flask`` commands, each run as one unit of work.

    A command commits when it finishes and rolls back when it fails (a ``ClickException``
    included), and runs again while the database is busy. A long-running command (the mail
    worker) commits its own steps with ``transaction()``; what is left at its end is
    committed too.
    """

    def command(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and callable(args[0]) and not kwargs:  # used as ``@group.command``
            return self.command()(args[0])
        register = super().command(*args, **kwargs)

        def decorator(callback: Callable[..., Any]) -> Any:
            @functools.wraps(callback)
            def run(*call_args: Any, **call_kwargs: Any) -> Any:
                return run_in_transaction(lambda: callback(*call_args, **call_kwargs))

            return register(run)

        return decorator


def init_app(app: Flask) -> None:
    app.before_request(begin_request)
    if not sa.event.contains(BindableSession, "before_flush", refuse_writes_while_reading):
        sa.event.listen(BindableSession, "before_flush", refuse_writes_while_reading)
    message_flashed.connect(count_flash, app)
    app.register_error_handler(sa.exc.DBAPIError, answer_busy_database)
