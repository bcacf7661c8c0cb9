"""Small checks shared by the course services."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from college.errors import DomainError
from college.extensions import db
from college.models import Programme
from courses.models import CourseStatus, FacilitatorRole
from courses.services.errors import DatesOutOfOrder, NameTaken

MAX_CAPACITY = 500
MAX_SERIES_LENGTH = 52
MIN_SESSION_MINUTES = 15
MAX_SESSION_MINUTES = 12 * 60
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 80
# Courses whose sessions still take place; their facilitators count as booked.
LIVE_STATUSES = (CourseStatus.DRAFT, CourseStatus.PUBLISHED)


def clean(value: str | None) -> str:
    return (value or "").strip()


def require_text(value: str | None, message: Any) -> str:
    text = clean(value)
    if not text:
        raise DomainError(message)
    return text


def ensure_unique(model: type[Any], column: Any, value: Any, current_id: int | None) -> None:
    statement = sa.select(model.id).where(column == value)
    if current_id is not None:
        statement = statement.where(model.id != current_id)
    if db.session.scalar(statement.limit(1)) is not None:
        raise NameTaken()


def ensure_order(start: Any, end: Any) -> None:
    if start is not None and end is not None and end <= start:
        raise DatesOutOfOrder()


# Labels in lower case, for the middle of a sentence ("The course is now published.").
def status_word(status: str) -> str:
    return str(CourseStatus(status).label).lower()


def role_word(role: FacilitatorRole) -> str:
    return str(FacilitatorRole(role).label).lower()


def programme_word(programme: str) -> str:
    return str(Programme(programme).label).lower()
