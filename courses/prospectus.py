"""The public prospectus: which courses to show, filtered and paged, in few queries.

The page, the detail page and the JSON API read through here, so they agree on what is
public (published courses of current and coming terms; any course but drafts by its
address) and on what every filter means. Each read uses a fixed number of queries, however
many courses, sessions or facilitators there are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import contains_eager, joinedload, selectinload, with_expression

from college.db import now_utc
from college.extensions import db
from college.languages import force_language
from courses.enrolment.models import someone_waits_for
from courses.models import (
    Audience,
    Course,
    CourseFacilitator,
    CourseFormat,
    CourseSession,
    CourseStatus,
    SessionFacilitator,
    SessionStatus,
    Term,
    Topic,
    Venue,
    Weekday,
    fold_for_search,
)
from courses.services import MAX_SLUG_LENGTH, joining
from courses.services.joining import JoinState
from courses.times import local_today, to_utc

MAX_QUERY_LENGTH = 100
MAX_PAGE = 10_000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_ID = 2_147_483_647  # PostgreSQL's integer; larger ids cannot exist
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DIGITS = re.compile(r"^[0-9]{1,10}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MONTH_RE = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")


@dataclass
class Filters:
    """What a visitor asked for; ``None`` means "any"."""

    q: str = ""
    topic: Topic | None = None
    term: int | None = None
    format: CourseFormat | None = None
    audience: Audience | None = None
    day: Weekday | None = None
    venue: int | None = None
    month: str | None = None
    available: bool = False
    begun: bool = False
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def link_args(self) -> dict[str, str]:
        """The chosen filters as query arguments, for links to other pages of results."""
        args: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in {"page", "per_page"} or value in (None, "", False):
                continue
            args[item.name] = "1" if value is True else str(value)
        if self.per_page != DEFAULT_PER_PAGE:
            args["per_page"] = str(self.per_page)
        return args


@dataclass
class FilterProblem:
    parameter: str
    message: str


@dataclass
class ParsedFilters:
    filters: Filters
    problems: list[FilterProblem] = field(default_factory=list)


ENUM_PARAMETERS: dict[str, type[StrEnum]] = {
    "topic": Topic,
    "format": CourseFormat,
    "audience": Audience,
    "day": Weekday,
}
NUMBER_LIMITS = {"term": MAX_ID, "venue": MAX_ID, "page": MAX_PAGE, "per_page": MAX_PER_PAGE}


class Unusable(ValueError):
    """A filter value that cannot be used; the message says why."""


def read_choice(name: str, raw: str) -> StrEnum:
    enum = ENUM_PARAMETERS[name]
    if raw not in {member.value for member in enum}:
        message = _("%(value)s is not a value we know for %(name)s.", value=raw[:40], name=name)
        raise Unusable(message)
    return enum(raw)


def read_flag(name: str, raw: str) -> bool:
    if raw not in {"0", "1"}:
        raise Unusable(_("%(name)s must be 0 or 1.", name=name))
    return raw == "1"


def read_number(name: str, raw: str) -> int:
    number, limit = int(raw) if _DIGITS.match(raw) else 0, NUMBER_LIMITS[name]
    if not 1 <= number <= limit:
        message = _("%(name)s must be a whole number from 1 to %(max)s.", name=name, max=limit)
        raise Unusable(message)
    return number


def read_month(name: str, raw: str) -> str:
    if not MONTH_RE.match(raw):
        raise Unusable(_("%(name)s must be a month written like 2030-09.", name=name))
    return raw


READERS: dict[str, Callable[[str, str], Any]] = {
    **dict.fromkeys(ENUM_PARAMETERS, read_choice),
    **dict.fromkeys(NUMBER_LIMITS, read_number),
    "month": read_month,
    "available": read_flag,
    "begun": read_flag,
}


def parse_filters(
    args: Mapping[str, Any], *, strict: bool, allow_per_page: bool = False
) -> ParsedFilters:
    """Read filters from query arguments.

    ``strict`` (the API) reports every value it cannot use; otherwise (the web page)
    empty values mean "any" and the rest are reported but ignored.
    """
    parsed = ParsedFilters(Filters())
    for name in ("q", *READERS):
        if name not in args or (name == "per_page" and not allow_per_page):
            continue
        values = args.getlist(name) if hasattr(args, "getlist") else [args[name]]
        if len(values) > 1:
            parsed.problems.append(FilterProblem(name, _("Please give %(name)s once.", name=name)))
        elif name == "q":
            _read_query(parsed, values[0], strict)
        elif values[0] != "" or strict:
            _read_value(parsed, name, values[0])
    return parsed


def _read_value(parsed: ParsedFilters, name: str, raw: str) -> None:
    try:
        setattr(parsed.filters, name, READERS[name](name, raw))
    except Unusable as problem:
        parsed.problems.append(FilterProblem(name, str(problem)))


def _read_query(parsed: ParsedFilters, raw: str, strict: bool) -> None:
    if strict and (len(raw) > MAX_QUERY_LENGTH or _CONTROL.search(raw)):
        message = _(
            "The search can have at most %(max)s characters and no control characters.",
            max=MAX_QUERY_LENGTH,
        )
        parsed.problems.append(FilterProblem("q", message))
        return
    parsed.filters.q = _CONTROL.sub("", raw).strip()[:MAX_QUERY_LENGTH]


# --- queries -----------------------------------------------------------------------------------


def _of_scheduled_sessions(column: Any) -> Any:
    """A value over the course's scheduled sessions, looked up per listed course.

    Correlated, so only the listed courses' sessions are read (by the course-and-start
    index), not every session in the college's history.
    """
    return (
        sa.select(column)
        .where(
            CourseSession.course_id == Course.id, CourseSession.status == SessionStatus.SCHEDULED
        )
        .correlate(Course)
        .scalar_subquery()
    )


def _has_session(*conditions: Any) -> Any:
    return (
        sa.select(CourseSession.id)
        .where(
            CourseSession.course_id == Course.id,
            CourseSession.status == SessionStatus.SCHEDULED,
            *conditions,
        )
        .exists()
    )


def topics_named(query: str) -> list[str]:
    """Topics whose name, in any of the college's languages, contains the (folded) query.

    Course texts are written in the language the courses are taught in; someone searching
    in another ("creativity") still finds the courses of that topic.
    """
    found = []
    for topic in Topic:
        for language in current_app.config["LANGUAGES"]:
            with force_language(language):
                name = str(topic.label)
            if query in fold_for_search(name):
                found.append(str(topic))
                break
    return found


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The UTC moments a month (``2030-09``) begins and ends on the college's clocks."""
    year, number = (int(part) for part in month.split("-"))
    following = date(year + number // 12, number % 12 + 1, 1)
    return to_utc(date(year, number, 1), time(0)), to_utc(following, time(0))


def _filter_conditions(filters: Filters, now: datetime, first_at: Any) -> list[Any]:
    conditions: list[Any] = []
    if not filters.begun:
        conditions.append(joining.not_begun_condition(now, first_at))
    if filters.month is not None:
        starts, ends = month_bounds(filters.month)
        conditions.append(sa.and_(first_at >= starts, first_at < ends))
    if filters.q:
        query = fold_for_search(filters.q)
        matches = Course.search_text.contains(query, autoescape=True)
        topics = topics_named(query)
        if topics:
            matches = sa.or_(matches, Course.topic.in_(topics))
        conditions.append(matches)
    for name in ("topic", "format", "audience"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(Course, name) == str(value))
    if filters.term is not None:
        conditions.append(Course.term_id == filters.term)
    if filters.day is not None:
        conditions.append(_has_session(CourseSession.local_weekday == filters.day.number))
    if filters.venue is not None:
        conditions.append(
            sa.or_(
                Course.venue_id == filters.venue,
                _has_session(CourseSession.venue_id == filters.venue),
            )
        )
    if filters.available:
        conditions.append(joining.open_now_condition(now, first_at))
    return conditions


def listing_statement(filters: Filters, now: datetime | None = None) -> sa.Select[Any]:
    """Published courses of current and coming terms that match, soonest first.

    Courses still to begin come first, by their first session; those that have begun
    (listed only when asked for) follow.
    """
    now = now or now_utc()
    first_at = _of_scheduled_sessions(sa.func.min(CourseSession.starts_at))
    last_at = _of_scheduled_sessions(sa.func.max(CourseSession.ends_at))
    sessions = _of_scheduled_sessions(sa.func.count(CourseSession.id))
    begun_last = sa.case((first_at <= now, 1), else_=0)
    return (
        sa.select(Course)
        .join(Term, Course.term_id == Term.id)
        .where(
            Course.status == CourseStatus.PUBLISHED,
            Term.ends_on >= local_today(),
            *_filter_conditions(filters, now, first_at),
        )
        .options(
            contains_eager(Course.term),
            with_expression(Course.first_session_at, first_at),
            with_expression(Course.last_session_at, last_at),
            with_expression(Course.session_count, sessions),
            with_expression(Course.someone_waits, someone_waits_for(Course.id)),
            joinedload(Course.venue),
            selectinload(Course.facilitators).joinedload(CourseFacilitator.user),
        )
        .order_by(begun_last, sa.nulls_last(first_at.asc()), Course.title, Course.id)
    )


def find_courses(filters: Filters, now: datetime | None = None) -> Pagination:
    """One page of matching courses: a count, the page, and their facilitators."""
    return db.paginate(
        listing_statement(filters, now),
        page=filters.page,
        per_page=filters.per_page,
        max_per_page=MAX_PER_PAGE,
        error_out=False,
    )


def find_course(slug: str) -> Course | None:
    """A course by its address, with everything its page shows; drafts are not public."""
    if len(slug) > MAX_SLUG_LENGTH or not SLUG_RE.match(slug):
        return None
    return db.session.scalar(
        sa.select(Course)
        .where(Course.slug == slug, Course.status != CourseStatus.DRAFT)
        .options(
            joinedload(Course.term),
            joinedload(Course.venue),
            with_expression(Course.someone_waits, someone_waits_for(Course.id)),
            selectinload(Course.partners),
            selectinload(Course.facilitators).joinedload(CourseFacilitator.user),
            selectinload(Course.sessions).options(
                joinedload(CourseSession.venue),
                selectinload(CourseSession.facilitators).joinedload(SessionFacilitator.user),
            ),
        )
    )


def listed_terms() -> list[Term]:
    return list(
        db.session.scalars(
            sa.select(Term).where(Term.ends_on >= local_today()).order_by(Term.starts_on, Term.id)
        )
    )


def listed_venues() -> list[Venue]:
    return list(db.session.scalars(sa.select(Venue).order_by(Venue.name)))


def venues_of(course: Course) -> list[Venue]:
    """The places a course meets, its usual venue first."""
    found = [course.venue] if course.venue is not None else []
    for session in course.scheduled_sessions:
        if session.venue is not None and session.venue not in found:
            found.append(session.venue)
    return found


def join_states(courses: list[Course], now: datetime | None = None) -> dict[int, JoinState]:
    """Whether each listed course can be joined now (they carry their first and last times)."""
    now = now or now_utc()
    return {
        course.id: joining.join_state(
            course, now=now, first_start=course.first_session_at, last_end=course.last_session_at
        )
        for course in courses
    }


def listed_months(terms: list[Term], today: date | None = None) -> list[date]:
    """The months the listed terms cover from this month on: the choices of "When"."""
    today = today or local_today()
    month = date(today.year, today.month, 1)
    last = max((term.ends_on for term in terms), default=month)
    months: list[date] = []
    while month <= last and len(months) < 24:
        if any(term.starts_on <= _month_end(month) and term.ends_on >= month for term in terms):
            months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - timedelta(days=1)


def next_run_of(course: Course, now: datetime | None = None) -> Course | None:
    """The next course on the same subject that can be joined: same title first, then topic.

    Offered on the page of a course that has begun, so nobody meets a dead end.
    """
    now = now or now_utc()
    first_at = _of_scheduled_sessions(sa.func.min(CourseSession.starts_at))
    return db.session.scalar(
        sa.select(Course)
        .join(Term, Course.term_id == Term.id)
        .where(
            Course.id != course.id,
            sa.or_(Course.title == course.title, Course.topic == course.topic),
            Term.ends_on >= local_today(),
            joining.can_join_condition(now, first_at),
        )
        .options(contains_eager(Course.term), with_expression(Course.first_session_at, first_at))
        .order_by(
            sa.case((Course.title == course.title, 0), else_=1), sa.nulls_last(first_at.asc())
        )
        .limit(1)
    )
