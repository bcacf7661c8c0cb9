"""The transaction boundary for changes to places (see ``college.transactions``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask_babel import lazy_gettext as _l

from college import transactions
from college.errors import DomainError

T = TypeVar("T")


class Busy(DomainError):
    status_code = 503
    message = _l("Many people are signing up right now. Please wait a moment and try again.")


def commit_with_retry(action: Callable[[], T]) -> T:
    """Run a change to places in a write transaction, retrying while the database is busy."""
    return transactions.commit_with_retry(action, busy=Busy)
