"""My courses: a student's enrolments, next sessions and waiting-list positions, read at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm

from college.db import now_utc
from college.extensions import db
from college.models import User
from courses.enrolment.models import ACTIVE, Enrolment, EnrolmentStatus
from courses.enrolment.queries import waitlist_positions
from courses.models import Course, CourseSession, SessionStatus


@dataclass
class MyCourse:
    enrolment: Enrolment
    course: Course
    next_session: CourseSession | None
    position: int | None
    completed: bool
    can_give_feedback: bool
    apologies_sent: bool = False


def my_courses(student: User, now: datetime | None = None) -> tuple[list[MyCourse], list[MyCourse]]:
    """The student's upcoming and past courses, with positions and next sessions.

    A fixed number of queries however long the history: sessions, venues, queue positions
    and attendance are each read once for all the courses.
    """
    from courses.enrolment.attendance import (
        apologised_session_ids,
        completion_share,
        present_counts,
    )

    now = now or now_utc()
    enrolments = (
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.student_id == student.id, Enrolment.status.in_(list(ACTIVE)))
            .options(
                sa.orm.joinedload(Enrolment.course)
                .selectinload(Course.sessions)
                .joinedload(CourseSession.venue),
            )
            .order_by(Enrolment.created_at.desc(), Enrolment.id.desc())
        )
        .unique()
        .all()
    )
    positions = waitlist_positions(enrolments)
    scheduled = {
        e.course.id: [s for s in e.course.sessions if s.status == SessionStatus.SCHEDULED]
        for e in enrolments
    }
    ended = {
        course_id
        for course_id, sessions in scheduled.items()
        if sessions and all(s.ends_at <= now for s in sessions)
    }
    present = present_counts(student, sorted(ended), now)
    next_sessions = {
        course_id: next((s for s in sessions if s.ends_at > now), None)
        for course_id, sessions in scheduled.items()
    }
    apologised = apologised_session_ids(
        student, sorted(s.id for s in next_sessions.values() if s is not None)
    )
    upcoming: list[MyCourse] = []
    past: list[MyCourse] = []
    for enrolment in enrolments:
        course = enrolment.course
        sessions = scheduled[course.id]
        next_session = next_sessions[course.id]
        finished = course.id in ended
        enrolled = enrolment.status == EnrolmentStatus.ENROLLED
        held = sum(1 for s in sessions if s.starts_at <= now)
        share = present.get(course.id, 0) / held if held else None
        item = MyCourse(
            enrolment=enrolment,
            course=course,
            next_session=next_session,
            position=positions.get(enrolment.id),
            completed=finished and enrolled and share is not None and share >= completion_share(),
            can_give_feedback=finished and enrolled and not enrolment.feedback_given,
            apologies_sent=next_session is not None and next_session.id in apologised,
        )
        (past if finished else upcoming).append(item)
    return upcoming, past
