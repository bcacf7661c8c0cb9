"""Creating and describing courses."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from college.db import now_utc
from college.extensions import db
from college.models import Programme, User
from college.services import record_audit, require_admin
from courses.models import (
    Audience,
    Course,
    CourseFormat,
    CourseStatus,
    Partner,
    SessionStatus,
    Term,
    Topic,
    Venue,
    fold_for_search,
)
from courses.services.catalogue import ensure_sessions_in_term
from courses.services.common import (
    MAX_CAPACITY,
    MAX_SLUG_LENGTH,
    SLUG_PATTERN,
    clean,
    require_text,
    status_word,
)
from courses.services.errors import (
    CapacityBelowTaken,
    ChangeRefused,
    CourseClosed,
    DropInWithPlacesTaken,
    InvalidCapacity,
    InvalidRoomCapacity,
    InvalidSlug,
    SlugTaken,
)
from courses.services.events import CourseChange, course_changed
from courses.services.staffing import staffing_problems_for, upcoming

log = logging.getLogger(__name__)


@dataclass
class CourseDetails:
    title: str
    summary: str
    description: str
    topic: Topic
    audience: Audience
    format: CourseFormat
    capacity: int
    required_programme: Programme
    term: Term
    venue: Venue | None = None
    learning_outcomes: str = ""
    partners: list[Partner] = field(default_factory=list)
    slug: str | None = None
    # No sign-up: people just come; the room's capacity is told to them if given.
    drop_in: bool = False
    room_capacity: int | None = None


_TRANSLITERATION = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ß": "ss"})


def slugify(text: str) -> str:
    """A readable web address from a title, with Danish letters spelled out."""
    folded = fold_for_search(text).translate(_TRANSLITERATION)
    ascii_text = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[: MAX_SLUG_LENGTH - 4].strip("-") or "course"


def _slug_exists(slug: str, current_id: int | None) -> bool:
    statement = sa.select(Course.id).where(Course.slug == slug)
    if current_id is not None:
        statement = statement.where(Course.id != current_id)
    return db.session.scalar(statement.limit(1)) is not None


def _choose_slug(course: Course, wanted: str | None, title: str) -> str:
    wanted = clean(wanted).lower()
    if wanted:
        if len(wanted) > MAX_SLUG_LENGTH or not SLUG_PATTERN.match(wanted):
            raise InvalidSlug()
        if _slug_exists(wanted, course.id):
            raise SlugTaken()
        return wanted
    if course.slug:
        return course.slug
    base = slugify(title)
    candidate, number = base, 2
    while _slug_exists(candidate, course.id):
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _apply_course(course: Course, details: CourseDetails) -> None:
    title = require_text(details.title, _l("Please give the course a title."))
    summary = require_text(details.summary, _l("Please write a short summary."))
    description = require_text(details.description, _l("Please describe the course."))
    if not 1 <= details.capacity <= MAX_CAPACITY:
        raise InvalidCapacity(max=MAX_CAPACITY)
    if details.capacity < (course.seats_taken or 0):
        raise CapacityBelowTaken(taken=course.seats_taken)
    _check_drop_in(course, details)
    course.slug = _choose_slug(course, details.slug, title)
    course.title = title
    course.summary = summary
    course.description = description
    course.learning_outcomes = clean(details.learning_outcomes)
    course.topic = Topic(details.topic)
    course.audience = Audience(details.audience)
    course.format = CourseFormat(details.format)
    course.capacity = details.capacity
    course.required_programme = Programme(details.required_programme)
    course.drop_in = details.drop_in
    course.room_capacity = details.room_capacity
    if course.id is not None and details.term is not course.term:
        ensure_sessions_in_term(
            details.term,
            [s.starts_at for s in course.sessions if s.status != SessionStatus.CANCELLED],
        )
    course.term = details.term
    course.venue = details.venue
    course.partners = list(details.partners)
    course.updated_at = now_utc()


def _check_drop_in(course: Course, details: CourseDetails) -> None:
    """A room capacity is a whole number of people; places people hold are never taken away
    by turning their course into a drop-in."""
    if details.room_capacity is not None and not 1 <= details.room_capacity <= MAX_CAPACITY:
        raise InvalidRoomCapacity(max=MAX_CAPACITY)
    if details.drop_in and not course.drop_in and (course.seats_taken or 0) > 0:
        raise DropInWithPlacesTaken(taken=course.seats_taken)


def create_course(actor: User, details: CourseDetails) -> Course:
    """Create a draft course; it goes public only once publishing rules are met."""
    require_admin(actor)
    course = Course(status=CourseStatus.DRAFT, seats_taken=0)
    _apply_course(course, details)
    db.session.add(course)
    db.session.flush()
    record_audit(actor, "course.created", course, course.slug)
    log.info("course created course=%s", course.id)
    return course


def update_course(actor: User, course: Course, details: CourseDetails) -> Course:
    """Change a course's description; a published course must stay publishable."""
    require_admin(actor)
    if course.status in (CourseStatus.CANCELLED, CourseStatus.ARCHIVED):
        raise CourseClosed(status=status_word(course.status))
    programme = Programme(details.required_programme)
    if course.status == CourseStatus.PUBLISHED and programme != course.required_programme:
        coming = upcoming(course.scheduled_sessions)
        problems = staffing_problems_for(course, coming, programme)
        if problems:
            raise ChangeRefused(problems)
    if details.capacity < course.capacity:
        # Enrolment may be taking a place right now; read the count under a row lock.
        db.session.refresh(course, ["seats_taken"], with_for_update=True)
    title_changed = course.title != details.title.strip()
    _apply_course(course, details)
    db.session.flush()
    if course.status == CourseStatus.PUBLISHED:
        if title_changed:
            # Calendar feeds show the title; let them see that they changed.
            for session in course.sessions:
                session.updated_at = course.updated_at
        course_changed(course, CourseChange.UPDATED)
    record_audit(actor, "course.updated", course, course.slug)
    return course
