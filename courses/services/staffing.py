"""Who may facilitate which session: roles, qualifications and double bookings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from college.db import now_utc
from college.extensions import db
from college.models import Qualification, Role, User
from college.templating import format_clock, format_day
from courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    FacilitatorRole,
    SessionFacilitator,
    SessionStatus,
)
from courses.services.common import LIVE_STATUSES, programme_word, role_word
from courses.services.errors import MissingFacilitator, SamePerson, WrongRole
from courses.times import local_date


@dataclass(frozen=True)
class Assignment:
    user: User
    role: FacilitatorRole


ROLE_NEEDED = {FacilitatorRole.PEER: Role.PEER, FacilitatorRole.PROFESSIONAL: Role.TRAINER}


def check_roles(assignments: Iterable[Assignment]) -> None:
    for assignment in assignments:
        user = assignment.user
        if not user.is_active or not user.has_role(ROLE_NEEDED[assignment.role]):
            raise WrongRole(name=user.display_name, role=role_word(assignment.role))


def pair_of(peer: User | None, professional: User | None) -> list[Assignment]:
    if peer is None or professional is None:
        raise MissingFacilitator()
    if peer.id == professional.id:
        raise SamePerson()
    pair = [
        Assignment(peer, FacilitatorRole.PEER),
        Assignment(professional, FacilitatorRole.PROFESSIONAL),
    ]
    check_roles(pair)
    return pair


def describe_session(moment: datetime) -> str:
    return _(
        "the session on %(date)s at %(time)s",
        date=format_day(moment),
        time=format_clock(moment),
    )


def teaching_between(
    user_ids: Iterable[int],
    starts_at: datetime,
    ends_at: datetime,
    exclude_session_id: int | None = None,
) -> sa.Select[tuple[()]]:
    """Sessions of live courses that these people teach overlapping the given time.

    One definition of a double booking for the pickers, the publish check and cover; the
    caller adds the columns it needs.
    """
    statement = (
        sa.select()
        .select_from(SessionFacilitator)
        .join(CourseSession, SessionFacilitator.session_id == CourseSession.id)
        .join(Course, CourseSession.course_id == Course.id)
        .where(
            SessionFacilitator.user_id.in_(list(user_ids)),
            CourseSession.status == SessionStatus.SCHEDULED,
            Course.status.in_(LIVE_STATUSES),
            CourseSession.starts_at < ends_at,
            CourseSession.ends_at > starts_at,
        )
    )
    if exclude_session_id is not None:
        statement = statement.where(CourseSession.id != exclude_session_id)
    return statement


def booking_clashes(
    user_ids: Iterable[int],
    starts_at: datetime,
    ends_at: datetime,
    exclude_session_id: int | None = None,
) -> list[str]:
    """Say who is already facilitating another session that overlaps this time."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    statement = (
        teaching_between(ids, starts_at, ends_at, exclude_session_id)
        .add_columns(User.display_name, Course.title, CourseSession.starts_at)
        .join(User, SessionFacilitator.user_id == User.id)
        .order_by(CourseSession.starts_at, User.display_name)
    )
    return [
        _(
            "%(name)s already facilitates %(course)s at an overlapping time (%(when)s).",
            name=name,
            course=title,
            when=describe_session(other_start),
        )
        for name, title, other_start in db.session.execute(statement)
    ]


def valid_qualifications(user_ids: Iterable[int], programme: str) -> dict[int, list[Qualification]]:
    ids = sorted(set(user_ids))
    found: dict[int, list[Qualification]] = {user_id: [] for user_id in ids}
    if ids:
        rows = db.session.scalars(
            sa.select(Qualification).where(
                Qualification.user_id.in_(ids), Qualification.programme == programme
            )
        )
        for qualification in rows:
            found[qualification.user_id].append(qualification)
    return found


def staffing_problems(
    course: Course,
    starts_at: datetime,
    assignments: list[Assignment],
    qualifications: dict[int, list[Qualification]] | None = None,
    programme: str | None = None,
) -> list[str]:
    """What keeps a session of this course from being co-produced as the college requires."""
    programme = programme or course.required_programme
    when = describe_session(starts_at)
    problems = []
    peers = [a.user for a in assignments if a.role == FacilitatorRole.PEER]
    if not peers:
        problems.append(_("There is no peer trainer for %(session)s.", session=when))
    if not any(a.role == FacilitatorRole.PROFESSIONAL for a in assignments):
        problems.append(_("There is no professional trainer for %(session)s.", session=when))
    if qualifications is None:
        qualifications = valid_qualifications((p.id for p in peers), programme)
    day = local_date(starts_at)
    for peer in peers:
        if not any(q.is_valid_on(day) for q in qualifications.get(peer.id, [])):
            problems.append(
                _(
                    "%(name)s does not hold a valid qualification (%(programme)s) "
                    "on the day of %(session)s.",
                    name=peer.display_name,
                    programme=programme_word(programme),
                    session=when,
                )
            )
    return problems


def assignments_of(session: CourseSession) -> list[Assignment]:
    return [Assignment(f.user, FacilitatorRole(f.role)) for f in session.facilitators]


def staffing_problems_for(
    course: Course, sessions: list[CourseSession], programme: str | None = None
) -> list[str]:
    programme = programme or course.required_programme
    peer_ids = {
        f.user_id for s in sessions for f in s.facilitators if f.role == FacilitatorRole.PEER
    }
    qualifications = valid_qualifications(peer_ids, programme)
    problems: list[str] = []
    for session in sessions:
        problems += staffing_problems(
            course, session.starts_at, assignments_of(session), qualifications, programme
        )
    return problems


def upcoming(sessions: list[CourseSession]) -> list[CourseSession]:
    now = now_utc()
    return [s for s in sessions if s.ends_at > now]


def check_slot(
    course: Course,
    starts_at: datetime,
    ends_at: datetime,
    assignments: list[Assignment],
    exclude_session_id: int | None = None,
) -> list[str]:
    """Problems with putting these people on a session at this time.

    Nobody may be double-booked, ever; a published course must also stay fully staffed
    by a qualified pair, so a change never quietly breaks what publishing promised.
    """
    problems = booking_clashes(
        (a.user.id for a in assignments), starts_at, ends_at, exclude_session_id
    )
    if course.status == CourseStatus.PUBLISHED:
        problems = staffing_problems(course, starts_at, assignments) + problems
    return problems
