"""The enrolments of the bulk courses, written in bulk for benchmarks after the ordinary demo.

Places, waiting lists, offers held, people who withdrew, registers for the sessions held
and feedback on finished courses, as a real college's terms have them; the services would
take minutes for this many rows, so they are inserted directly, the seat counts with them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from college.db import now_utc
from college.demo import ScaledCollege
from college.extensions import db
from courses.enrolment.demo import random_mark
from courses.enrolment.models import (
    ACTIVE,
    Attendance,
    AttendanceStatus,
    Enrolment,
    EnrolmentStatus,
    Feedback,
)
from courses.models import (
    Course,
    CourseFacilitator,
    CourseSession,
    FacilitatorRole,
    SessionStatus,
    Term,
    college_zone,
)
from courses.times import to_utc

# The first demo student has a long history, to measure My courses at its largest.
KEEN_STUDENT_ENROLMENTS = 50

# How full the bulk courses are, by where their term stands; from FULL_FROM on, a queue.
FILL = {"finished": (0.75, 1.0), "running": (0.6, 1.0), "coming": (0.35, 1.0)}
FULL_FROM = 0.85
QUEUE = (5, 45)
# People who signed up and later withdrew, as a share of the places taken (at most).
WITHDRAWN_SHARE = 0.3
FEEDBACK_SHARE = 0.6
OFFER_EVERY = 3
CHUNK = 5_000


@dataclass
class BulkCourse:
    """A bulk course with what its enrolments depend on."""

    id: int
    capacity: int
    term_id: int
    stage: str
    opens_at: datetime
    peer_id: int | None = None
    sessions: list[tuple[int, datetime, datetime]] = field(default_factory=list)

    def slot(self) -> tuple[int, int, int]:
        """Term, weekday and local hour: courses in different slots never meet at once."""
        first = self.sessions[0][1].astimezone(college_zone())
        return self.term_id, first.weekday(), first.hour


@dataclass
class Pools:
    """Each slot of each term hands out its own run of students, so nobody who takes two
    courses in a term is booked into both at the same time.
    """

    students: list[int]
    starts: dict[tuple[int, int, int], int] = field(default_factory=dict)
    handed: dict[tuple[int, int, int], int] = field(default_factory=dict)

    def take(self, slot: tuple[int, int, int], count: int) -> list[int]:
        # Each slot starts somewhere else in the list, so histories spread over everyone,
        # and never hands out more people than there are, so no one comes round twice.
        start = self.starts.setdefault(slot, (sum(slot) * 7919) % len(self.students))
        handed = self.handed.get(slot, 0)
        count = min(count, len(self.students) - handed)
        self.handed[slot] = handed + count
        first = start + handed
        return [self.students[(first + n) % len(self.students)] for n in range(count)]


def seed_scaled(scaled: ScaledCollege) -> None:
    """Fill the bulk courses of five terms: places, waiting lists, offers held, people
    who withdrew, and for the sessions held, registers; finished courses have feedback.
    """
    students = scaled.bulk_student_ids
    courses = _bulk_courses(scaled.today)
    if not students or not courses:
        return
    writer = _EnrolmentWriter(now_utc())
    keen = _KeenStudent(scaled.student_ids[0])
    pools, queues = Pools(students), 0
    picker = random.Random(11)  # noqa: S311 - repeatable demo data
    for course in courses:
        share = picker.uniform(*FILL[course.stage])
        full = share >= FULL_FROM
        taken = course.capacity if full else max(round(course.capacity * share), 1)
        waiting = picker.randint(*QUEUE) if full else 0
        withdrawn = round(taken * picker.uniform(0, WITHDRAWN_SHARE))
        people = pools.take(course.slot(), taken + waiting + withdrawn)
        if not full and keen.can_take(course):
            people.insert(0, keen.take(course))
        seated = people[:taken]
        queue = people[taken : taken + waiting]
        gone = people[taken + waiting :]
        # Every third full course still to finish holds a freed place for its first in line.
        open_queue = bool(queue) and course.stage != "finished"
        queues += open_queue
        offered = open_queue and queues % OFFER_EVERY == 1
        writer.add(course, seated, queue, gone, offered, picker)
    writer.finish()


def _bulk_courses(today: date) -> list[BulkCourse]:
    rows = db.session.execute(
        sa.select(Course.id, Course.capacity, Term.id, Term.starts_on, Term.ends_on)
        .join(Term, Course.term_id == Term.id)
        .where(Course.slug.like("hold-%"), Course.slug.not_like("hold-busy-%"))
        .order_by(Course.id)
    ).all()
    courses = {}
    for course_id, capacity, term_id, starts_on, ends_on in rows:
        stage = "finished" if ends_on < today else "running" if starts_on <= today else "coming"
        opens_at = to_utc(starts_on - timedelta(weeks=5), time(9))
        courses[course_id] = BulkCourse(course_id, capacity, term_id, stage, opens_at)
    peers = db.session.execute(
        sa.select(CourseFacilitator.course_id, CourseFacilitator.user_id).where(
            CourseFacilitator.role == FacilitatorRole.PEER,
            CourseFacilitator.course_id.in_(list(courses)),
        )
    )
    for course_id, peer_id in peers:
        courses[course_id].peer_id = peer_id
    sessions = db.session.execute(
        sa.select(
            CourseSession.course_id,
            CourseSession.id,
            CourseSession.starts_at,
            CourseSession.ends_at,
        )
        .where(
            CourseSession.course_id.in_(list(courses)),
            CourseSession.status == SessionStatus.SCHEDULED,
        )
        .order_by(CourseSession.course_id, CourseSession.starts_at)
    )
    for course_id, session_id, starts_at, ends_at in sessions:
        courses[course_id].sessions.append((session_id, starts_at, ends_at))
    return [course for course in courses.values() if course.sessions]


class _KeenStudent:
    """The demo student's long history: up to 50 courses with room, none of them meeting
    at the same time as another they take.
    """

    def __init__(self, student_id: int) -> None:
        self.student_id = student_id
        self.count = 0
        self.booked = _sessions_of(student_id)

    def can_take(self, course: BulkCourse) -> bool:
        if self.count >= KEEN_STUDENT_ENROLMENTS:
            return False
        return not any(
            starts < other_ends and other_starts < ends
            for _, starts, ends in course.sessions
            for other_starts, other_ends in self.booked
        )

    def take(self, course: BulkCourse) -> int:
        self.count += 1
        self.booked += [(starts, ends) for _, starts, ends in course.sessions]
        return self.student_id


def _sessions_of(student_id: int) -> list[tuple[datetime, datetime]]:
    rows = db.session.execute(
        sa.select(CourseSession.starts_at, CourseSession.ends_at)
        .join(Enrolment, Enrolment.course_id == CourseSession.course_id)
        .where(Enrolment.student_id == student_id, Enrolment.status.in_(ACTIVE))
    )
    return [(starts, ends) for starts, ends in rows]


class _EnrolmentWriter:
    """Rows for the enrolment tables, written in chunks as they pile up."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.enrolments: list[dict[str, Any]] = []
        self.attendance: list[dict[str, Any]] = []
        self.feedback: list[dict[str, Any]] = []
        self.seats: list[dict[str, int]] = []

    def add(
        self,
        course: BulkCourse,
        seated: list[int],
        queue: list[int],
        gone: list[int],
        offered: bool,
        picker: random.Random,
    ) -> None:
        """``offered``: the last of ``seated`` withdrew and their place is held for the
        head of ``queue``, so the places taken stay the same.
        """
        finished = course.stage == "finished"
        holder = queue[:1] if offered else []
        enrolled = seated[:-1] if offered else seated
        waiting = queue[1:] if offered else queue
        gone = gone + (seated[-1:] if offered else [])
        given = set(picker.sample(enrolled, round(len(enrolled) * FEEDBACK_SHARE)))
        arrival = 0
        for student in enrolled:
            row = self._enrolment(course, student, EnrolmentStatus.ENROLLED, arrival)
            arrival += 1
            if finished:
                row["feedback_invited_at"] = course.sessions[-1][2] + timedelta(days=1)
                row["feedback_given"] = student in given
        for number, student in enumerate(holder + waiting, start=1):
            status = EnrolmentStatus.OFFERED if student in holder else EnrolmentStatus.WAITLISTED
            row = self._enrolment(course, student, status, arrival)
            arrival += 1
            row["waitlist_number"] = number
            if student in holder:
                row["offer_expires_at"] = self.now + timedelta(days=2)
        for student in gone:
            self._enrolment(course, student, EnrolmentStatus.WITHDRAWN, arrival)
            arrival += 1
        self.seats.append({"id": course.id, "seats_taken": len(enrolled) + len(holder)})
        self._registers(course, enrolled, picker)
        if finished:
            self.feedback += [_random_feedback(course.id, picker) for _ in given]
        if len(self.attendance) >= CHUNK * 4 or len(self.enrolments) >= CHUNK:
            self._write()

    def _enrolment(
        self, course: BulkCourse, student: int, status: EnrolmentStatus, arrival: int
    ) -> dict[str, Any]:
        at = course.opens_at + timedelta(minutes=7 * arrival)
        row: dict[str, Any] = {
            "course_id": course.id,
            "student_id": student,
            "status": str(status),
            "created_at": at,
            "updated_at": at,
            "waitlist_number": None,
            "offer_expires_at": None,
            "feedback_invited_at": None,
            "feedback_given": False,
        }
        self.enrolments.append(row)
        return row

    def _registers(self, course: BulkCourse, present: list[int], picker: random.Random) -> None:
        for session_id, starts, ends in course.sessions:
            if starts >= self.now:
                break
            for student in present:
                mark = random_mark(picker)
                self.attendance.append(
                    {
                        "session_id": session_id,
                        "student_id": student,
                        "status": str(mark),
                        "recorded_at": ends,
                        "recorded_by_id": course.peer_id,
                        # Notes of a college that has been running for a while were sent.
                        "missed_note_sent": mark == AttendanceStatus.ABSENT,
                    }
                )

    def _write(self) -> None:
        for model, rows in (
            (Enrolment, self.enrolments),
            (Attendance, self.attendance),
            (Feedback, self.feedback),
        ):
            if rows:
                db.session.execute(sa.insert(model), rows)
            rows.clear()

    def finish(self) -> None:
        self._write()
        if self.seats:
            db.session.execute(sa.update(Course), self.seats)


def _random_feedback(course_id: int, picker: random.Random) -> dict[str, Any]:
    return {
        "course_id": course_id,
        "hope": picker.randint(4, 10),
        "knowledge": picker.randint(3, 10),
        "everyday_tools": picker.randint(3, 10),
        "connectedness": picker.randint(4, 10),
        "comment": None,
    }
