"""Retention after the term: old enrolments, waiting lists and registers forget the people,
while every figure the dashboard and the reports show for that term stays the same."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from college import privacy
from college.extensions import db
from college.models import User
from college.retention import apply_retention
from courses.enrolment.models import Attendance, AttendanceStatus, Enrolment, EnrolmentStatus
from courses.enrolment.personal_data import forget_old_terms, months_before
from courses.models import Course, Term
from courses.reports import attendance_figures, feedback_figures, places_figures
from tests import factories
from tests.courses.test_reports import feedback, mark

LABEL = "enrolments and registers after their term"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def fill(term: Term, first_start: datetime) -> tuple[Course, list[User]]:
    """A course with places, offers, a waiting list, marks of every kind and feedback."""
    course = factories.make_published_course(
        term=term, capacity=3, sessions=2, first_start=first_start
    )
    ann, bo = factories.make_students(2)
    for student in (ann, bo):
        factories.make_enrolment(course, student)
    offered = factories.make_enrolment(course, status=EnrolmentStatus.OFFERED)
    offered.offer_expires_at = first_start
    waiting = [
        factories.make_enrolment(course, status=EnrolmentStatus.WAITLISTED, waitlist_number=n)
        for n in (1, 2)
    ]
    factories.make_enrolment(course, status=EnrolmentStatus.WITHDRAWN)
    first, second = (s.id for s in course.sessions)
    mark(first, ann, AttendanceStatus.PRESENT)
    mark(first, bo, AttendanceStatus.APOLOGIES)
    mark(second, ann, AttendanceStatus.ABSENT)
    for row in db.session.scalars(sa.select(Attendance).where(Attendance.session_id == first)):
        row.recorded_by_id = ann.id
    for enrolment in (*waiting, offered):
        enrolment.reminder_sent_at = first_start
        enrolment.feedback_invited_at = first_start
    feedback(course, 5)
    return course, [ann, bo, offered.student, *(w.student for w in waiting)]  # type: ignore[list-item]


def figures(term: Term) -> tuple[object, ...]:
    return (
        places_figures(term),
        attendance_figures(term, now=NOW),
        feedback_figures(term),
    )


def rows_of(course: Course) -> tuple[list[Enrolment], list[Attendance]]:
    db.session.expire_all()
    enrolments = db.session.scalars(sa.select(Enrolment).where(Enrolment.course_id == course.id))
    marks = db.session.scalars(
        sa.select(Attendance).where(Attendance.session_id.in_([s.id for s in course.sessions]))
    )
    return list(enrolments), list(marks)


@pytest.fixture
def old_term() -> Term:
    """Over 12 months and a day before ``NOW`` (the default retention period)."""
    return factories.make_term(name="Old", starts_on=date(2025, 8, 1), ends_on=date(2025, 11, 30))


@pytest.fixture
def recent_term() -> Term:
    """Over on the day the retention period starts counting: not old enough yet."""
    return factories.make_term(name="Recent", starts_on=date(2025, 9, 1), ends_on=date(2025, 12, 1))


def test_old_terms_forget_people_and_keep_every_figure(old_term: Term, recent_term: Term):
    old, old_people = fill(old_term, datetime(2025, 9, 2, 15, 0, tzinfo=UTC))
    recent, recent_people = fill(recent_term, datetime(2025, 10, 7, 15, 0, tzinfo=UTC))
    before = {term.id: figures(term) for term in (old_term, recent_term)}
    recent_rows = [
        (e.id, e.student_id, e.reminder_sent_at, e.offer_expires_at) for e in rows_of(recent)[0]
    ]

    counts = apply_retention(NOW)

    assert counts[LABEL] == 6 + 3  # six enrolments, three marks
    for term in (old_term, recent_term):
        assert figures(term) == before[term.id]
    enrolments, marks = rows_of(old)
    assert len(enrolments) == 6 and len(marks) == 3
    assert all(e.student_id is None for e in enrolments)
    assert all(
        e.reminder_sent_at is None and e.offer_expires_at is None and e.feedback_invited_at is None
        for e in enrolments
    )
    assert all(m.student_id is None and m.recorded_by_id is None for m in marks)
    # The people themselves keep their accounts; their export no longer lists the old course.
    for person in old_people:
        exported = privacy.export_person(person)["enrolment"]
        assert exported == {"companions": [], "enrolments": [], "attendance": []}
    assert [
        (e.id, e.student_id, e.reminder_sent_at, e.offer_expires_at) for e in rows_of(recent)[0]
    ] == recent_rows
    assert all(m.student_id is not None for m in rows_of(recent)[1])
    for person in recent_people:
        assert privacy.export_person(person)["enrolment"]["enrolments"]


def test_running_it_again_clears_nothing(old_term: Term):
    fill(old_term, datetime(2025, 9, 2, 15, 0, tzinfo=UTC))
    assert forget_old_terms(NOW) == 9
    assert forget_old_terms(NOW) == 0
    assert apply_retention(NOW)[LABEL] == 0


def test_the_period_is_configurable(app: Flask, recent_term: Term, monkeypatch):
    course, _people = fill(recent_term, datetime(2025, 10, 7, 15, 0, tzinfo=UTC))
    monkeypatch.setitem(app.config, "RETENTION_MONTHS_AFTER_TERM", 13)
    assert forget_old_terms(NOW) == 0
    monkeypatch.setitem(app.config, "RETENTION_MONTHS_AFTER_TERM", 3)
    assert forget_old_terms(NOW) == 9
    assert all(e.student_id is None for e in rows_of(course)[0])


def test_months_before_keeps_the_day_or_the_months_last():
    assert months_before(date(2026, 12, 1), 12) == date(2025, 12, 1)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2024, 5, 31), 3) == date(2024, 2, 29)
    assert months_before(date(2026, 1, 15), 25) == date(2023, 12, 15)


def test_an_erased_person_is_forgotten_the_same_way(old_term: Term, admin: User):
    course, (ann, *_rest) = fill(old_term, datetime(2025, 9, 2, 15, 0, tzinfo=UTC))
    before = figures(old_term)
    privacy.erase_person(admin, ann)
    assert figures(old_term) == before
    enrolments, marks = rows_of(course)
    assert ann.id not in {e.student_id for e in enrolments}
    assert ann.id not in {m.student_id for m in marks} | {m.recorded_by_id for m in marks}


def test_old_courses_pages_still_answer_for_admins(
    client: FlaskClient, auth, admin: User, old_term: Term
):
    course, _people = fill(old_term, datetime(2025, 9, 2, 15, 0, tzinfo=UTC))
    forget_old_terms(NOW)
    enrolment = db.session.scalars(
        sa.select(Enrolment).where(Enrolment.course_id == course.id)
    ).first()
    assert enrolment is not None
    db.session.commit()
    auth.login(admin)
    assert client.get(f"/admin/courses/{course.id}/enrolments").status_code == 200
    assert client.get(f"/admin/reports/courses/{course.id}").status_code == 200
    removed = client.post(f"/admin/courses/{course.id}/enrolments/{enrolment.id}/remove")
    assert removed.status_code == 404
    session_id = course.sessions[0].id
    assert client.get(f"/courses/sessions/{session_id}/register").status_code == 200


def test_the_command_reports_what_it_cleared(runner, old_term: Term, monkeypatch):
    fill(old_term, datetime(2025, 9, 2, 15, 0, tzinfo=UTC))
    monkeypatch.setattr("college.retention.now_utc", lambda: NOW)
    result = runner.invoke(args=["college", "apply-retention"])
    assert result.exit_code == 0, result.output
    assert f"{LABEL}: 9" in result.output
    again = runner.invoke(args=["college", "apply-retention"])
    assert f"{LABEL}: 0" in again.output
