"""Attendance registers that do not punish: apologies, warm notes, completion.

Missing sessions never removes anyone. An absence sends a "we missed you" note once, and
only after the session has ended (a register kept during the session must not tell someone
they were missed while they may still be on their way); a course counts as completed at a
configurable share of its held sessions. A register opens on the day of its session.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from college.db import now_utc
from college.errors import DomainError, Forbidden, NotFound
from college.extensions import db
from college.models import Role, User
from college.services import record_audit
from courses.enrolment import notices
from courses.enrolment.models import Attendance, AttendanceStatus, Enrolment, EnrolmentStatus
from courses.enrolment.queries import find_enrolment, is_enrolled, last_session_end
from courses.models import Course, CourseSession, SessionStatus
from courses.services.sessions import register_is_open
from courses.times import to_local

log = logging.getLogger(__name__)

DEFAULT_COMPLETION_SHARE = 0.75
# A register saved long after its session sends no note any more: it would only puzzle.
MISSED_NOTE_WINDOW = timedelta(days=14)


class NotAFacilitator(Forbidden):
    message = _l("Only the trainers of this session and administrators can keep its register.")


class SessionAlreadyStarted(DomainError):
    message = _l("This session has already started.")


class SessionNotOpen(DomainError):
    message = _l("This session is cancelled.")


class RegisterNotYetOpen(DomainError):
    message = _l(
        "The register for this session opens on %(day)s, the day of the session. Nothing was saved."
    )

    def __init__(self, session: CourseSession) -> None:
        super().__init__(day=format_date(to_local(session.starts_at), "full"))


class NoApologiesToTakeBack(DomainError):
    message = _l("You have not told us you cannot come to this session.")


def check_register_open(session: CourseSession, now: datetime | None = None) -> None:
    if not register_is_open(session, now):
        raise RegisterNotYetOpen(session)


def can_keep_register(actor: User, session: CourseSession) -> bool:
    if actor.has_role(Role.ADMIN):
        return True
    return any(f.user_id == actor.id for f in session.facilitators)


def register_for(
    actor: User, session: CourseSession, now: datetime | None = None
) -> list[tuple[User, str | None]]:
    """The enrolled students of a session with their marks, for its facilitators (audited).

    Refused before the day of the session: there is nothing to mark yet."""
    if not can_keep_register(actor, session):
        raise NotAFacilitator()
    check_register_open(session, now)
    rows = _register_rows(actor, session)
    record_audit(actor, "register.viewed", session, f"course={session.course_id}")
    return rows


def export_register(actor: User, session: CourseSession) -> list[tuple[User, str | None]]:
    """The register for a download: the same rows, written to the audit log as an export."""
    rows = _register_rows(actor, session)
    record_audit(actor, "register.exported", session, f"course={session.course_id}")
    return rows


def _register_rows(actor: User, session: CourseSession) -> list[tuple[User, str | None]]:
    if not can_keep_register(actor, session):
        raise NotAFacilitator()
    students = db.session.scalars(
        sa.select(User)
        .join(Enrolment, Enrolment.student_id == User.id)
        .where(
            Enrolment.course_id == session.course_id,
            Enrolment.status == EnrolmentStatus.ENROLLED,
        )
        .order_by(User.display_name, User.id)
    ).all()
    rows = db.session.execute(
        sa.select(Attendance.student_id, Attendance.status).where(
            Attendance.session_id == session.id
        )
    )
    marks = {student_id: status for student_id, status in rows}
    return [(student, marks.get(student.id)) for student in students]


def mark_attendance(
    actor: User,
    session: CourseSession,
    marks: dict[int, AttendanceStatus],
    now: datetime | None = None,
) -> None:
    """Record the register; an absence sends a warm note once, after the session has ended,
    and never removes anyone."""
    now = now or now_utc()
    if not can_keep_register(actor, session):
        raise NotAFacilitator()
    if session.status != SessionStatus.SCHEDULED:
        raise SessionNotOpen()
    check_register_open(session, now)
    existing = {
        a.student_id: a
        for a in db.session.scalars(
            sa.select(Attendance).where(Attendance.session_id == session.id)
        )
    }
    for student_id, status in marks.items():
        if not is_enrolled(student_id, session.course_id):
            raise NotFound()
        attendance = existing.get(student_id)
        if attendance is None:
            attendance = Attendance(session=session, student_id=student_id, status=status)
            db.session.add(attendance)
        attendance.status = status
        attendance.recorded_by_id = actor.id
        attendance.recorded_at = now
        if (
            status == AttendanceStatus.ABSENT
            and not attendance.missed_note_sent
            and session.ends_at <= now
        ):
            attendance.missed_note_sent = True
            _send_missed_note(student_id, session)
    record_audit(actor, "register.saved", session, f"course={session.course_id}")
    db.session.flush()


def _send_missed_note(student_id: int, session: CourseSession) -> None:
    enrolment = db.session.scalar(
        sa.select(Enrolment).where(
            Enrolment.course_id == session.course_id, Enrolment.student_id == student_id
        )
    )
    if enrolment is not None:
        notices.send(enrolment, "missed", session=session)


def send_missed_notes(now: datetime | None = None) -> int:
    """Send the "we missed you" notes of registers saved before their session ended.

    Run by the mail worker; the mark is read again then, so a student marked absent at
    the start and present once they arrived hears nothing."""
    now = now or now_utc()
    due = db.session.scalars(
        sa.select(Attendance)
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(
            Attendance.status == AttendanceStatus.ABSENT,
            Attendance.missed_note_sent.is_(False),
            Attendance.student_id.is_not(None),
            CourseSession.status == SessionStatus.SCHEDULED,
            CourseSession.ends_at <= now,
            CourseSession.ends_at > now - MISSED_NOTE_WINDOW,
        )
        .order_by(Attendance.id)
        .with_for_update(skip_locked=True, of=Attendance)
    ).all()
    for attendance in due:
        attendance.missed_note_sent = True
        if attendance.student_id is not None:
            _send_missed_note(attendance.student_id, attendance.session)
    db.session.flush()
    return len(due)


def send_apologies(student: User, session: CourseSession, now: datetime | None = None) -> None:
    """Let the trainers know you cannot come; no reason is asked."""
    now = now or now_utc()
    if not is_enrolled(student.id, session.course_id):
        raise NotFound()
    if session.status != SessionStatus.SCHEDULED:
        raise SessionNotOpen()
    if session.starts_at <= now:
        raise SessionAlreadyStarted()
    attendance = db.session.scalar(
        sa.select(Attendance).where(
            Attendance.session_id == session.id, Attendance.student_id == student.id
        )
    )
    if attendance is None:
        attendance = Attendance(
            session=session, student_id=student.id, status=AttendanceStatus.APOLOGIES
        )
        db.session.add(attendance)
    attendance.status = AttendanceStatus.APOLOGIES
    attendance.recorded_by_id = student.id
    attendance.recorded_at = now
    db.session.flush()


def take_back_apologies(student: User, session: CourseSession, now: datetime | None = None) -> None:
    """Take apologies back ("I can come after all") while the session has not begun."""
    now = now or now_utc()
    if not is_enrolled(student.id, session.course_id):
        raise NotFound()
    if session.starts_at <= now:
        raise SessionAlreadyStarted()
    attendance = db.session.scalar(
        sa.select(Attendance).where(
            Attendance.session_id == session.id,
            Attendance.student_id == student.id,
            Attendance.status == AttendanceStatus.APOLOGIES,
        )
    )
    if attendance is None:
        raise NoApologiesToTakeBack()
    db.session.delete(attendance)
    db.session.flush()


def apologised_session_ids(student: User, session_ids: list[int]) -> set[int]:
    """Which of these sessions the student has sent apologies for, in one query."""
    if not session_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Attendance.session_id).where(
                Attendance.student_id == student.id,
                Attendance.session_id.in_(session_ids),
                Attendance.status == AttendanceStatus.APOLOGIES,
            )
        )
    )


def completion_share() -> float:
    return float(current_app.config.get("COMPLETION_SHARE", DEFAULT_COMPLETION_SHARE))


def attendance_share(student: User, course: Course, now: datetime | None = None) -> float | None:
    """Share of the course's sessions held so far that the student was present at."""
    now = now or now_utc()
    held = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CourseSession)
        .where(
            CourseSession.course_id == course.id,
            CourseSession.status == SessionStatus.SCHEDULED,
            CourseSession.starts_at <= now,
        )
    )
    if not held:
        return None
    present = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Attendance)
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(
            CourseSession.course_id == course.id,
            CourseSession.status == SessionStatus.SCHEDULED,
            CourseSession.starts_at <= now,
            Attendance.student_id == student.id,
            Attendance.status == AttendanceStatus.PRESENT,
        )
    )
    return (present or 0) / held


def present_counts(student: User, course_ids: list[int], now: datetime) -> dict[int, int]:
    """Sessions held so far that the student was present at, per course, in one query."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        sa.select(CourseSession.course_id, sa.func.count())
        .select_from(Attendance)
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(
            CourseSession.course_id.in_(course_ids),
            CourseSession.status == SessionStatus.SCHEDULED,
            CourseSession.starts_at <= now,
            Attendance.student_id == student.id,
            Attendance.status == AttendanceStatus.PRESENT,
        )
        .group_by(CourseSession.course_id)
    )
    return {course_id: count for course_id, count in rows}


def has_completed(student: User, course: Course, now: datetime | None = None) -> bool:
    """Completed: the course has ended and the student was there often enough."""
    now = now or now_utc()
    enrolment = find_enrolment(course, student)
    ended = last_session_end(course)
    if enrolment is None or enrolment.status != EnrolmentStatus.ENROLLED or ended is None:
        return False
    if ended > now:
        return False
    share = attendance_share(student, course, now)
    return share is not None and share >= completion_share()
