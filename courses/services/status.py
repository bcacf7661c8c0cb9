"""Publishing, cancelling and archiving courses."""

from __future__ import annotations

import logging

from flask_babel import gettext as _

from college.db import now_utc
from college.extensions import db
from college.models import User
from college.services import record_audit, require_admin
from courses.models import Course, CourseStatus, SessionStatus
from courses.services.common import status_word
from courses.services.errors import NotPublishable, StatusChangeNotAllowed
from courses.services.events import CourseChange, SessionChange, course_changed, session_changed
from courses.services.staffing import booking_clashes, staffing_problems_for

log = logging.getLogger(__name__)

ALLOWED_STATUS_CHANGES = {
    CourseStatus.DRAFT: {CourseStatus.PUBLISHED, CourseStatus.ARCHIVED},
    CourseStatus.PUBLISHED: {CourseStatus.CANCELLED, CourseStatus.ARCHIVED},
    CourseStatus.CANCELLED: {CourseStatus.ARCHIVED},
    CourseStatus.ARCHIVED: set(),
}


def publication_problems(course: Course) -> list[str]:
    """Every reason the course cannot be published, all at once (empty when it can)."""
    scheduled = course.scheduled_sessions
    if not scheduled:
        return [_("The course has no scheduled sessions. Please add at least one.")]
    problems = staffing_problems_for(course, scheduled)
    for session in scheduled:
        problems += booking_clashes(
            (f.user_id for f in session.facilitators),
            session.starts_at,
            session.ends_at,
            session.id,
        )
    return problems


def publish_course(actor: User, course: Course) -> Course:
    """Make a draft public once it is co-produced on every session by a qualified pair."""
    require_admin(actor)
    _ensure_transition(course, CourseStatus.PUBLISHED)
    db.session.flush()
    problems = publication_problems(course)
    if problems:
        raise NotPublishable(problems)
    course.status = CourseStatus.PUBLISHED
    course.published_at = now_utc()
    for session in course.scheduled_sessions:
        session.updated_at = course.published_at
    course_changed(course, CourseChange.PUBLISHED)
    record_audit(actor, "course.published", course, course.slug)
    log.info("course published course=%s", course.id)
    return course


def cancel_course(actor: User, course: Course) -> Course:
    """Cancel a published course; its sessions still to come are cancelled one by one."""
    require_admin(actor)
    _ensure_transition(course, CourseStatus.CANCELLED)
    now = now_utc()
    for session in course.scheduled_sessions:
        if session.starts_at > now:
            session.status = SessionStatus.CANCELLED
            # ``with_course``: listeners may send one notice for the course instead.
            session_changed(session, SessionChange.CANCELLED, with_course=True)
    course.status = CourseStatus.CANCELLED
    course_changed(course, CourseChange.CANCELLED)
    record_audit(actor, "course.cancelled", course, course.slug)
    log.info("course cancelled course=%s", course.id)
    return course


def archive_course(actor: User, course: Course) -> Course:
    """Put a course away: it no longer shows in the prospectus."""
    require_admin(actor)
    _ensure_transition(course, CourseStatus.ARCHIVED)
    course.status = CourseStatus.ARCHIVED
    course_changed(course, CourseChange.ARCHIVED)
    record_audit(actor, "course.archived", course, course.slug)
    return course


def change_course_status(actor: User, course: Course, status: CourseStatus) -> Course:
    actions = {
        CourseStatus.PUBLISHED: publish_course,
        CourseStatus.CANCELLED: cancel_course,
        CourseStatus.ARCHIVED: archive_course,
    }
    action = actions.get(status)
    if action is None:
        raise StatusChangeNotAllowed(old=status_word(course.status), new=status_word(status))
    return action(actor, course)


def _ensure_transition(course: Course, new: CourseStatus) -> None:
    old = CourseStatus(course.status)
    if new not in ALLOWED_STATUS_CHANGES[old]:
        raise StatusChangeNotAllowed(old=status_word(old), new=status_word(new))


def next_statuses(course: Course) -> list[CourseStatus]:
    return sorted(ALLOWED_STATUS_CHANGES[CourseStatus(course.status)], key=list(CourseStatus).index)
