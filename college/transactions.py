"""Transaction boundaries for contended writes: write lock, commit, retry.

Contended changes (who holds a place, who covers a session) are short, so when the
database is busy (SQLite's write lock held past the busy timeout, a PostgreSQL deadlock or
serialisation failure, or a unique constraint tripped by a simultaneous double click) the
whole unit is simply run again from the start; the services are idempotent, so a retry
finds what the other request did. Only when the database stays busy does the person see a
calm "try again", never a 500.

On SQLite every form submission takes the write lock before it reads anything
(``BEGIN IMMEDIATE``): a transaction that read first and then tries to write fails at once
with "database is locked" when another request wrote in between, whatever the busy timeout.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, request
from flask_babel import lazy_gettext as _l

from college.db import start_write_transaction
from college.errors import DomainError, render_error
from college.extensions import db

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
    sqlstate = getattr(error.orig, "sqlstate", None)
    text = str(error.orig).lower()
    if isinstance(error, sa.exc.IntegrityError):
        # Only a duplicate (e.g. two enrols at once) is worth a retry; other rules are bugs.
        return sqlstate == "23505" or "unique constraint failed" in text
    if sqlstate in TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in text or "database is busy" in text


def commit_with_retry(action: Callable[[], T], busy: type[DomainError] = Busy) -> T:
    """Run ``action`` in a write transaction and commit it, retrying when the database is busy.

    A ``DomainError`` from the action rolls back and propagates unchanged; when the
    database stays busy, ``busy`` is raised.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            start_write_transaction(db.session())
            result = action()
            db.session.commit()
            return result
        except sa.exc.DBAPIError as error:
            db.session.rollback()
            if not is_transient(error):
                raise
            log.warning("busy database, attempt %s of %s: %s", attempt, ATTEMPTS, type(error))
            time.sleep(random.uniform(0.02, 0.1) * attempt)  # noqa: S311 - jitter, not security
        except BaseException:
            db.session.rollback()
            raise
    raise busy()


def lock_before_writing() -> None:
    """On SQLite, let a form submission wait for the write lock before it reads anything."""
    if request.method in WRITE_METHODS:
        start_write_transaction(db.session())


def answer_busy_database(error: sa.exc.DBAPIError) -> tuple[Any, int]:
    """A database that stays busy past every timeout is a calm 503, other errors a 500."""
    db.session.rollback()
    if is_transient(error) and not isinstance(error, sa.exc.IntegrityError):
        return render_error(503, Busy.message)
    raise error


def init_app(app: Flask) -> None:
    app.before_request(lock_before_writing)
    app.register_error_handler(sa.exc.DBAPIError, answer_busy_database)
