"""Sessions of a course and the people who facilitate them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from college.db import now_utc
from college.errors import Forbidden
from college.extensions import db
from college.models import User
from college.services import record_audit, require_admin
from courses.models import (
    Course,
    CourseFacilitator,
    CourseSession,
    CourseStatus,
    FacilitatorRole,
    SessionFacilitator,
    SessionStatus,
    Venue,
)
from courses.services.catalogue import ensure_sessions_in_term
from courses.services.common import (
    LIVE_STATUSES,
    MAX_SERIES_LENGTH,
    MAX_SESSION_MINUTES,
    MIN_SESSION_MINUTES,
    status_word,
)
from courses.services.errors import (
    ChangeRefused,
    CourseClosed,
    DatesOutOfOrder,
    InvalidDuration,
    InvalidSeries,
    LastSession,
    MissingFacilitator,
    NotADraft,
    NotAFacilitator,
    SamePerson,
    SessionIsCancelled,
)
from courses.services.events import SessionChange, session_changed
from courses.services.staffing import (
    Assignment,
    assignments_of,
    check_roles,
    check_slot,
    pair_of,
    upcoming,
)
from courses.times import local_date, to_utc


def _ensure_open_for_changes(course: Course) -> None:
    if course.status not in LIVE_STATUSES:
        raise CourseClosed(status=status_word(course.status))


def _ensure_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise DatesOutOfOrder(_l("The session must end after it starts."))
    minutes = (ends_at - starts_at) / timedelta(minutes=1)
    if not MIN_SESSION_MINUTES <= minutes <= MAX_SESSION_MINUTES:
        raise InvalidDuration(min=MIN_SESSION_MINUTES, max=MAX_SESSION_MINUTES // 60)


def _default_pair(course: Course) -> list[Assignment]:
    return [Assignment(f.user, FacilitatorRole(f.role)) for f in course.facilitators]


def _new_session(
    course: Course, starts_at: datetime, ends_at: datetime, venue: Venue | None
) -> CourseSession:
    session = CourseSession(
        course=course,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue if venue is not None else course.venue,
        status=SessionStatus.SCHEDULED,
        facilitators=[SessionFacilitator(user=a.user, role=a.role) for a in _default_pair(course)],
    )
    db.session.add(session)
    return session


def add_session(
    actor: User,
    course: Course,
    starts_at: datetime,
    ends_at: datetime,
    venue: Venue | None = None,
) -> CourseSession:
    """Add one session with the course's default pair (and venue, unless another is given)."""
    require_admin(actor)
    _ensure_open_for_changes(course)
    _ensure_times(starts_at, ends_at)
    ensure_sessions_in_term(course.term, [starts_at])
    problems = check_slot(course, starts_at, ends_at, _default_pair(course))
    if problems:
        raise ChangeRefused(problems)
    session = _new_session(course, starts_at, ends_at, venue)
    db.session.flush()
    session_changed(session, SessionChange.ADDED)
    record_audit(actor, "session.added", session, f"course={course.id}")
    return session


def weekly_moments(
    first_day: date, start: time, minutes: int, count: int
) -> list[tuple[datetime, datetime]]:
    """Start and end of each week's session, keeping the local wall-clock time across DST."""
    if not 1 <= count <= MAX_SERIES_LENGTH:
        raise InvalidSeries(max=MAX_SERIES_LENGTH)
    if not MIN_SESSION_MINUTES <= minutes <= MAX_SESSION_MINUTES:
        raise InvalidDuration(min=MIN_SESSION_MINUTES, max=MAX_SESSION_MINUTES // 60)
    moments = []
    for week in range(count):
        starts_at = to_utc(first_day + timedelta(weeks=week), start)
        moments.append((starts_at, starts_at + timedelta(minutes=minutes)))
    return moments


def add_weekly_series(
    actor: User,
    course: Course,
    first_day: date,
    start: time,
    minutes: int,
    count: int,
    venue: Venue | None = None,
) -> list[CourseSession]:
    """Add ``count`` weekly sessions; all of them or none."""
    require_admin(actor)
    _ensure_open_for_changes(course)
    moments = weekly_moments(first_day, start, minutes, count)
    ensure_sessions_in_term(course.term, [starts for starts, _ends in moments])
    pair = _default_pair(course)
    problems: list[str] = []
    for starts_at, ends_at in moments:
        problems += check_slot(course, starts_at, ends_at, pair)
    if problems:
        raise ChangeRefused(problems)
    sessions = [_new_session(course, starts, ends, venue) for starts, ends in moments]
    db.session.flush()
    for session in sessions:
        session_changed(session, SessionChange.ADDED)
    record_audit(actor, "session.series", course, f"count={count}")
    return sessions


def _ensure_changeable(session: CourseSession) -> None:
    _ensure_open_for_changes(session.course)
    if session.status == SessionStatus.CANCELLED:
        raise SessionIsCancelled()


def reschedule_session(
    actor: User,
    session: CourseSession,
    starts_at: datetime,
    ends_at: datetime,
    venue: Venue | None,
) -> CourseSession:
    """Move one session in time or place; its facilitators must be free then."""
    require_admin(actor)
    _ensure_changeable(session)
    _ensure_times(starts_at, ends_at)
    before = {
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "venue_id": session.venue_id,
    }
    after = {"starts_at": starts_at, "ends_at": ends_at, "venue_id": venue.id if venue else None}
    if before == after:
        return session
    ensure_sessions_in_term(session.course.term, [starts_at])
    problems = check_slot(session.course, starts_at, ends_at, assignments_of(session), session.id)
    if problems:
        raise ChangeRefused(problems)
    session.starts_at, session.ends_at, session.venue = starts_at, ends_at, venue
    session_changed(session, SessionChange.RESCHEDULED, before=before)
    record_audit(actor, "session.rescheduled", session, f"course={session.course_id}")
    return session


def cancel_session(actor: User, session: CourseSession) -> CourseSession:
    """Cancel one session; calendars that have it are told."""
    require_admin(actor)
    _ensure_changeable(session)
    course = session.course
    others = [s for s in course.scheduled_sessions if s.id != session.id]
    if course.status == CourseStatus.PUBLISHED and not others:
        raise LastSession()
    session.status = SessionStatus.CANCELLED
    session_changed(session, SessionChange.CANCELLED)
    record_audit(actor, "session.cancelled", session, f"course={course.id}")
    return session


def delete_session(actor: User, session: CourseSession) -> None:
    """Remove a session from a draft: nobody outside the office has seen it."""
    require_admin(actor)
    course = session.course
    if course.status != CourseStatus.DRAFT:
        raise NotADraft()
    record_audit(actor, "session.deleted", course, f"session={session.id}")
    course.sessions.remove(session)
    db.session.flush()


def set_session_facilitators(
    actor: User, session: CourseSession, peers: list[User], professionals: list[User]
) -> CourseSession:
    """Give one session its own facilitators, e.g. when a colleague covers."""
    require_admin(actor)
    _ensure_changeable(session)
    assignments = [Assignment(u, FacilitatorRole.PEER) for u in peers] + [
        Assignment(u, FacilitatorRole.PROFESSIONAL) for u in professionals
    ]
    if not peers or not professionals:
        raise MissingFacilitator()
    if len({a.user.id for a in assignments}) != len(assignments):
        raise SamePerson()
    check_roles(assignments)
    _replace_facilitators(session, assignments)
    record_audit(actor, "session.facilitators", session, f"course={session.course_id}")
    return session


def replace_session_facilitator(
    actor: User, session: CourseSession, leaving: User, joining: User
) -> CourseSession:
    """Put ``joining`` on one session in the place of ``leaving``, in the same role.

    Cover uses this: an administrator may make the swap, and so may the colleague who
    takes the session over, once the caller has checked they were offered it. The
    session keeps every other facilitator; the usual staffing rules and double-booking
    checks apply, and listeners hear who was added and who was removed.
    """
    if not actor.is_admin and actor.id != joining.id:
        raise Forbidden()
    _ensure_changeable(session)
    current = assignments_of(session)
    role = next((a.role for a in current if a.user.id == leaving.id), None)
    if role is None:
        raise NotAFacilitator(name=leaving.display_name)
    if any(a.user.id == joining.id for a in current):
        raise SamePerson()
    replacement = Assignment(joining, role)
    check_roles([replacement])
    assignments = [a if a.user.id != leaving.id else replacement for a in current]
    _replace_facilitators(session, assignments)
    record_audit(
        actor,
        "session.facilitator_replaced",
        session,
        f"course={session.course_id} removed={leaving.id} added={joining.id}",
    )
    return session


def _facilitator_keys(session: CourseSession) -> set[tuple[int, str]]:
    return {(f.user_id, f.role) for f in session.facilitators}


def _replace_facilitators(session: CourseSession, assignments: list[Assignment]) -> None:
    """Swap a session's facilitators after checking nobody is double-booked."""
    wanted = {(a.user.id, str(a.role)) for a in assignments}
    current = _facilitator_keys(session)
    if wanted == current:
        return
    problems = check_slot(
        session.course, session.starts_at, session.ends_at, assignments, session.id
    )
    if problems:
        raise ChangeRefused(problems)
    _write_facilitators(session, assignments, current, wanted)


def _write_facilitators(
    session: CourseSession,
    assignments: list[Assignment],
    current: set[tuple[int, str]],
    wanted: set[tuple[int, str]],
) -> None:
    session.facilitators = [f for f in session.facilitators if (f.user_id, f.role) in wanted]
    # Flush removals first, so a person changing role does not meet their old row.
    db.session.flush()
    remaining = _facilitator_keys(session)
    for a in assignments:
        if (a.user.id, str(a.role)) not in remaining:
            session.facilitators.append(SessionFacilitator(user=a.user, role=a.role))
    db.session.flush()
    wanted_users = {user_id for user_id, _role in wanted}
    current_users = {user_id for user_id, _role in current}
    session_changed(
        session,
        SessionChange.FACILITATORS,
        added_user_ids=sorted(wanted_users - current_users),
        removed_user_ids=sorted(current_users - wanted_users),
    )


def set_course_pair(
    actor: User,
    course: Course,
    peer: User | None,
    professional: User | None,
    *,
    apply_to_sessions: bool = True,
) -> Course:
    """Choose the course's default pair.

    With ``apply_to_sessions``, upcoming sessions that still have the previous pair (or
    nobody) get the new one; sessions changed on their own, e.g. for cover, keep theirs.
    """
    require_admin(actor)
    _ensure_open_for_changes(course)
    pair = pair_of(peer, professional)
    previous = {(f.user_id, str(f.role)) for f in course.facilitators}
    targets = _sessions_following_pair(course, previous) if apply_to_sessions else []
    problems: list[str] = []
    for session in targets:
        problems += check_slot(course, session.starts_at, session.ends_at, pair, session.id)
    if problems:
        raise ChangeRefused(problems)
    _write_course_pair(course, pair)
    for session in targets:
        wanted = {(a.user.id, str(a.role)) for a in pair}
        current = _facilitator_keys(session)
        if wanted != current:
            _write_facilitators(session, pair, current, wanted)
    record_audit(actor, "course.pair", course, f"sessions={len(targets)}")
    return course


def _sessions_following_pair(course: Course, previous: set[tuple[int, str]]) -> list[CourseSession]:
    return [
        s
        for s in upcoming(course.scheduled_sessions)
        if not s.facilitators or _facilitator_keys(s) == previous
    ]


def _write_course_pair(course: Course, pair: list[Assignment]) -> None:
    course.facilitators = []
    db.session.flush()
    course.facilitators = [CourseFacilitator(user=a.user, role=a.role) for a in pair]
    db.session.flush()


def register_is_open(session: CourseSession, now: datetime | None = None) -> bool:
    """A session's register can be kept from its day on (in the college's time zone):
    before that there is nobody to mark."""
    return local_date(session.starts_at) <= local_date(now or now_utc())
