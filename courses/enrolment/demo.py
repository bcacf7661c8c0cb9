"""Demo enrolments: the demo student's courses, a full course with a queue, two pairs, a past
course.

Places are taken through the services, so the demo obeys the same rules as real sign-ups.
The finished course is built directly (the services do not schedule the past), with its
register kept and enough anonymous feedback for the results to show.
"""

from __future__ import annotations

import random
from datetime import time, timedelta

import sqlalchemy as sa

from college.db import now_utc
from college.demo import DEMO_DOMAIN, DemoCollege
from college.extensions import db
from college.models import User
from courses.enrolment import pairs, services
from courses.enrolment.models import (
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
    CourseStatus,
    FacilitatorRole,
    SessionFacilitator,
    Term,
)
from courses.services.joining import join_state_of_loaded
from courses.times import to_utc

PAST_COURSE_SLUG = "hab-og-handlekraft"
FULL_COURSE_TITLE = "Kreativitet og recovery"
STUDENT_COURSES = ("Mindfulness i hverdagen", "Hverdagsøkonomi – overblik uden skam")


def _course(title: str) -> Course | None:
    return db.session.scalar(sa.select(Course).where(Course.title == title))


def seed(college: DemoCollege) -> None:
    """Add enrolments, a waiting list and a finished course with feedback to the demo."""
    me, others = college.students[0], college.students[1:]
    for title in STUDENT_COURSES:
        course = _course(title)
        if course is not None:
            services.enrol(me, course, belongs=True)
    full = _course(FULL_COURSE_TITLE)
    if full is not None:
        for student in others[: full.capacity + 2]:
            services.enrol(student, full, belongs=True)
        # The demo student waits third in line; a few more people join after them.
        services.enrol(me, full, belongs=True)
        for student in others[full.capacity + 2 : full.capacity + 5]:
            services.enrol(student, full, belongs=True)
    _seed_pairs(me, others)
    _seed_past_course(college, [me, *others[:9]])


def _joinable_course_for(student: User) -> Course | None:
    """The first open course for everyone (by title) that the student is not on yet."""
    now = now_utc()
    theirs = sa.select(Enrolment.course_id).where(Enrolment.student_id == student.id)
    candidates = db.session.scalars(
        sa.select(Course)
        .where(
            Course.status == CourseStatus.PUBLISHED,
            Course.audience == "everyone",
            Course.id.not_in(theirs),
        )
        .order_by(Course.title)
    )
    return next((c for c in candidates if join_state_of_loaded(c, now).can_join), None)


def _seed_pairs(me: User, others: list[User]) -> None:
    """The demo student comes with their mother, who has yet to confirm (her invitation is
    in the mail folder); another student and a friend wait together for the full course."""
    course = _joinable_course_for(me)
    if course is not None:
        pairs.enrol_together(
            me, course, name="Mor", email=f"mor@{DEMO_DOMAIN}", relation="relative", belongs=True
        )
    full = _course(FULL_COURSE_TITLE)
    if full is not None:
        pairs.enrol_together(
            others[20], full, name="Kim", email=f"kim@{DEMO_DOMAIN}", relation="friend"
        )


def _seed_past_course(college: DemoCollege, students: list[User]) -> None:
    # Early in the term under way, so it shows as finished next to the courses still to come.
    term = db.session.scalars(
        sa.select(Term).where(Term.starts_on <= college.today).order_by(Term.starts_on.desc())
    ).first()
    if term is None:
        return
    # Saturday mornings, when no other demo course meets, so no one is booked twice.
    start = term.starts_on + timedelta(days=(5 - term.starts_on.weekday()) % 7)
    peer, trainer = college.peers[0], college.trainers[0]
    course = Course(
        slug=PAST_COURSE_SLUG,
        title="Håb og handlekraft",
        summary="Fire aftener om håb, mening og de små skridt i hverdagen.",
        description="Vi deler erfaringer og prøver redskaber, der gør hverdagen lettere.",
        learning_outcomes="At finde håb i små skridt\nAt kende sine egne redskaber",
        topic="recovery",
        audience="everyone",
        format="in_person",
        capacity=12,
        seats_taken=len(students),
        required_programme="five_day",
        status=CourseStatus.PUBLISHED,
        term=term,
        published_at=now_utc() - timedelta(weeks=12),
        facilitators=[
            CourseFacilitator(user=peer, role=FacilitatorRole.PEER),
            CourseFacilitator(user=trainer, role=FacilitatorRole.PROFESSIONAL),
        ],
    )
    db.session.add(course)
    sessions = []
    for week in range(4):
        starts = to_utc(start + timedelta(weeks=week), time(10))
        if starts.date() >= college.today:
            break
        sessions.append(
            CourseSession(
                course=course,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                facilitators=[
                    SessionFacilitator(user=peer, role=FacilitatorRole.PEER),
                    SessionFacilitator(user=trainer, role=FacilitatorRole.PROFESSIONAL),
                ],
            )
        )
    db.session.add_all(sessions)
    db.session.flush()
    picker = random.Random(4)  # noqa: S311 - repeatable demo data
    for index, student in enumerate(students):
        db.session.add(
            Enrolment(
                course=course,
                student=student,
                status=EnrolmentStatus.ENROLLED,
                feedback_given=index > 0,
                feedback_invited_at=now_utc() - timedelta(weeks=3),
            )
        )
        for number, session in enumerate(sessions):
            present = index == 0 or number != index % 4
            mark = AttendanceStatus.PRESENT if present else AttendanceStatus.APOLOGIES
            db.session.add(
                Attendance(session=session, student=student, status=mark, recorded_by_id=peer.id)
            )
        if index > 0:
            db.session.add(
                Feedback(
                    course_id=course.id,
                    hope=picker.randint(6, 10),
                    knowledge=picker.randint(5, 10),
                    everyday_tools=picker.randint(5, 9),
                    connectedness=picker.randint(6, 10),
                    comment="Rart at møde andre, der forstår." if index % 3 == 0 else None,
                )
            )
    db.session.flush()


def random_mark(picker: random.Random) -> AttendanceStatus:
    """A register mark as they fall in a real term: mostly present, some apologies."""
    roll = picker.random()
    if roll < 0.78:
        return AttendanceStatus.PRESENT
    return AttendanceStatus.APOLOGIES if roll < 0.93 else AttendanceStatus.ABSENT


def seed_term_figures(college: DemoCollege) -> None:
    """Fill the term under way so the dashboard has something to show: places taken on every
    course and registers kept for the sessions already held.
    """
    picker = random.Random(7)  # noqa: S311 - repeatable demo data
    today = college.today
    term = db.session.scalars(
        sa.select(Term).where(Term.starts_on <= today, Term.ends_on >= today)
    ).first()
    if term is None:
        return
    courses = db.session.scalars(
        sa.select(Course)
        .where(
            Course.term_id == term.id,
            Course.status == CourseStatus.PUBLISHED,
            Course.slug != PAST_COURSE_SLUG,
            Course.title != FULL_COURSE_TITLE,
        )
        .order_by(Course.id)
    ).all()
    students = college.students[1:]
    for course in courses:
        share = picker.uniform(0.45, 0.95)
        for student in picker.sample(students, min(len(students), round(course.capacity * share))):
            services.enrol(student, course, belongs=True, override=True)
        _keep_registers(course, college, picker)


def _keep_registers(course: Course, college: DemoCollege, picker: random.Random) -> None:
    enrolled = db.session.scalars(
        sa.select(Enrolment.student_id).where(
            Enrolment.course_id == course.id, Enrolment.status == EnrolmentStatus.ENROLLED
        )
    ).all()
    facilitator = course.facilitators[0].user_id if course.facilitators else None
    for session in course.sessions:
        if session.starts_at >= now_utc():
            continue
        for student_id in enrolled:
            mark = random_mark(picker)
            db.session.add(
                Attendance(
                    session=session,
                    student_id=student_id,
                    status=mark,
                    recorded_by_id=facilitator,
                    # Demo notes were never sent; marking them sent keeps the outbox calm.
                    missed_note_sent=mark == AttendanceStatus.ABSENT,
                )
            )
    db.session.flush()
