"""Publishing, cancelling and archiving courses."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext

from college.db import now_utc
from college.extensions import db
from college.models import User
from college.services import record_audit, require_admin
from courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    FacilitatorRole,
    SessionFacilitator,
    SessionStatus,
)
from courses.services.common import programme_word, status_word
from courses.services.errors import NotPublishable, StatusChangeNotAllowed
from courses.services.events import CourseChange, SessionChange, course_changed, session_changed
from courses.services.staffing import (
    booking_clashes,
    staffing_problems_for,
    teaching_between,
    valid_qualifications,
)
from courses.times import day_list, local_date

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


@dataclass
class ProblemGroup:
    """One reason a course cannot be published, for all the sessions it concerns.

    ``pair``: choosing the course's pair fixes it; each of ``sessions`` can also be
    fixed on its own page.
    """

    text: str
    pair: bool = False
    sessions: list[CourseSession] = field(default_factory=list)


def _days(sessions: list[CourseSession]) -> str:
    return day_list([local_date(s.starts_at) for s in sessions])


def _missing(sessions: list[CourseSession], role: FacilitatorRole) -> ProblemGroup | None:
    without = [s for s in sessions if not s.people(role)]
    if not without:
        return None
    if role == FacilitatorRole.PEER:
        text = ngettext(
            "No peer trainer for %(num)d session: %(days)s",
            "No peer trainer for %(num)d sessions: %(days)s",
            len(without),
            days=_days(without),
        )
    else:
        text = ngettext(
            "No professional trainer for %(num)d session: %(days)s",
            "No professional trainer for %(num)d sessions: %(days)s",
            len(without),
            days=_days(without),
        )
    return ProblemGroup(text, pair=True, sessions=without)


def _unqualified(course: Course, sessions: list[CourseSession]) -> list[ProblemGroup]:
    peers = {u.id: u for s in sessions for u in s.people(FacilitatorRole.PEER)}
    held = valid_qualifications(peers, course.required_programme)
    lacking: dict[int, list[CourseSession]] = defaultdict(list)
    for session in sessions:
        day = local_date(session.starts_at)
        for peer in session.people(FacilitatorRole.PEER):
            if not any(q.is_valid_on(day) for q in held.get(peer.id, [])):
                lacking[peer.id].append(session)
    return [
        ProblemGroup(
            ngettext(
                "%(name)s does not hold a valid qualification (%(programme)s) "
                "for %(num)d session: %(days)s",
                "%(name)s does not hold a valid qualification (%(programme)s) "
                "for %(num)d sessions: %(days)s",
                len(found),
                name=peers[user_id].display_name,
                programme=programme_word(course.required_programme),
                days=_days(found),
            ),
            pair=True,
            sessions=found,
        )
        for user_id, found in lacking.items()
    ]


def _double_bookings(sessions: list[CourseSession]) -> list[ProblemGroup]:
    """People teaching another course at the same time, one line per person and course."""
    found: dict[tuple[str, str], list[CourseSession]] = defaultdict(list)
    for session in sessions:
        ids = [f.user_id for f in session.facilitators]
        if not ids:
            continue
        others = db.session.execute(
            teaching_between(ids, session.starts_at, session.ends_at, session.id)
            .add_columns(User.display_name, Course.title)
            .join(User, SessionFacilitator.user_id == User.id)
        )
        for name, title in others:
            if session not in found[(name, title)]:
                found[(name, title)].append(session)
    return [
        ProblemGroup(
            ngettext(
                "%(name)s already teaches %(course)s at the same time, for %(num)d session: "
                "%(days)s",
                "%(name)s already teaches %(course)s at the same time, for %(num)d sessions: "
                "%(days)s",
                len(clashing),
                name=name,
                course=title,
                days=_days(clashing),
            ),
            sessions=clashing,
        )
        for (name, title), clashing in found.items()
    ]


def publication_problem_groups(course: Course) -> list[ProblemGroup]:
    """Every reason the course cannot be published, one line per kind and person."""
    scheduled = course.scheduled_sessions
    if not scheduled:
        return [ProblemGroup(_("The course has no scheduled sessions. Please add at least one."))]
    groups = [
        group
        for role in (FacilitatorRole.PEER, FacilitatorRole.PROFESSIONAL)
        if (group := _missing(scheduled, role)) is not None
    ]
    return groups + _unqualified(course, scheduled) + _double_bookings(scheduled)


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
