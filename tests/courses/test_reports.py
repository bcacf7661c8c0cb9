"""Figures for the dashboard and reports: hand-counted fixtures, the five-answer rule,
attention items, CSV downloads and a query count that does not grow with the data."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from college.db import now_utc
from college.extensions import db
from college.models import AuditEvent, Programme, User
from courses import services
from courses.dashboard import draft_problems, long_waiting_lists, unstaffed_sessions
from courses.enrolment.models import Attendance, AttendanceStatus, EnrolmentStatus, Feedback
from courses.models import Course, CourseStatus, Term
from courses.reports import (
    attendance_figures,
    chosen_term,
    default_term,
    feedback_figures,
    places_figures,
)
from tests import factories

PAST = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)


def mark(session_id: int, student: User, status: AttendanceStatus) -> None:
    db.session.add(Attendance(session_id=session_id, student_id=student.id, status=str(status)))


def feedback(course: Course, count: int, score: int = 7) -> None:
    for index in range(count):
        db.session.add(
            Feedback(
                course_id=course.id,
                hope=score,
                knowledge=index % 2 * 10,  # 0, 10, 0, 10, ...
                everyday_tools=5,
                connectedness=10,
            )
        )
    db.session.flush()


@pytest.fixture
def term() -> Term:
    return factories.make_term(name="Spring", starts_on=date(2024, 3, 1), ends_on=date(2024, 6, 1))


# --- figures --------------------------------------------------------------------------------


def test_places_count_enrolled_offered_and_waiting_per_course(term: Term):
    full = factories.make_published_course(term=term, capacity=3, title="B full", sessions=1)
    for _ in range(2):
        factories.make_enrolment(full)
    factories.make_enrolment(full, status=EnrolmentStatus.OFFERED)
    for number in (1, 2):
        factories.make_enrolment(full, status=EnrolmentStatus.WAITLISTED, waitlist_number=number)
    factories.make_enrolment(full, status=EnrolmentStatus.WITHDRAWN)
    empty = factories.make_published_course(term=term, capacity=10, title="A empty", sessions=1)
    factories.make_course(term=term, title="C draft")  # drafts have no students: left out
    factories.make_published_course(title="Other term", sessions=1)

    figures = places_figures(term)

    assert [(f.title, f.capacity, f.enrolled, f.offered, f.waiting) for f in figures] == [
        ("A empty", 10, 0, 0, 0),
        ("B full", 3, 2, 1, 2),
    ]
    assert [f.places_left for f in figures] == [10, 0]
    assert [f.course_id for f in places_figures(course=empty)] == [empty.id]


def test_attendance_per_held_session(term: Term):
    course = factories.make_published_course(term=term, sessions=3, first_start=PAST)
    ann, bo, cy = factories.make_students(3)
    for student in (ann, bo, cy):
        factories.make_enrolment(course, student)
    first, second, third = (s.id for s in course.sessions)
    mark(first, ann, AttendanceStatus.PRESENT)
    mark(first, bo, AttendanceStatus.PRESENT)
    mark(first, cy, AttendanceStatus.APOLOGIES)
    mark(second, ann, AttendanceStatus.ABSENT)
    db.session.flush()
    # The third session has not happened yet on the day we ask.
    now = course.sessions[2].starts_at - timedelta(hours=1)

    rows = attendance_figures(term, now=now)

    assert [(r.session_id, r.present, r.apologies, r.absent, r.not_marked) for r in rows] == [
        (first, 2, 1, 0, 0),
        (second, 0, 0, 1, 2),
    ]
    assert third not in {r.session_id for r in rows}
    assert [r.session_id for r in attendance_figures(term, now=now, latest=1)] == [second]


def test_cancelled_sessions_are_not_in_the_attendance(term: Term):
    course = factories.make_published_course(term=term, sessions=2, first_start=PAST)
    course.sessions[0].status = "cancelled"
    db.session.flush()
    assert [r.session_id for r in attendance_figures(term)] == [course.sessions[1].id]


def test_feedback_averages_only_from_five_answers(term: Term):
    four = factories.make_published_course(term=term, title="Four answers", sessions=1)
    five = factories.make_published_course(term=term, title="Five answers", sessions=1)
    feedback(four, 4)
    feedback(five, 5, score=8)

    figures = {f.title: f for f in feedback_figures(term)}

    assert figures["Four answers"].answers == 4
    assert figures["Four answers"].averages is None
    # knowledge: 0, 10, 0, 10, 0 -> 4.0
    assert figures["Five answers"].averages == {
        "hope": 8.0,
        "knowledge": 4.0,
        "everyday_tools": 5.0,
        "connectedness": 10.0,
    }


def test_default_term_is_the_one_under_way_else_the_next(term: Term):
    later = factories.make_term(starts_on=date(2024, 8, 1), ends_on=date(2024, 12, 1))
    terms = [later, term]
    assert default_term(terms, today=date(2024, 4, 1)) == term
    assert default_term(terms, today=date(2024, 7, 1)) == later
    assert default_term(terms, today=date(2025, 1, 1)) == later
    assert chosen_term({"term": str(term.id)}, terms) == term
    assert chosen_term({"term": "nonsense"}, terms) in terms
    assert default_term([]) is None


# --- attention ------------------------------------------------------------------------------


@pytest.fixture
def in_request(app: Flask) -> Iterator[None]:
    """Attention items link to the page where the problem is fixed."""
    with app.test_request_context():
        yield


def test_long_waiting_lists_name_full_courses_with_five_waiting(
    peer: User, trainer: User, in_request: None
):
    soon = now_utc() + timedelta(days=20)
    term = factories.make_term(
        starts_on=now_utc().date(), ends_on=now_utc().date() + timedelta(days=90)
    )
    course = factories.make_published_course(
        peer=peer, trainer=trainer, term=term, capacity=1, first_start=soon, title="Popular"
    )
    factories.make_enrolment(course)
    for number in range(1, 5):
        factories.make_enrolment(course, status=EnrolmentStatus.WAITLISTED, waitlist_number=number)
    assert long_waiting_lists() == []
    factories.make_enrolment(course, status=EnrolmentStatus.WAITLISTED, waitlist_number=5)
    [item] = long_waiting_lists()
    assert item.text == "Popular is full and 5 people are waiting: consider another run."
    assert item.url == f"/admin/courses/{course.id}/enrolments"


def test_sessions_in_the_next_two_weeks_without_their_pair(
    peer: User, trainer: User, in_request: None
):
    soon = now_utc() + timedelta(days=3)
    course = factories.make_published_course(
        peer=peer, trainer=trainer, sessions=3, first_start=soon, title="Calm"
    )
    assert unstaffed_sessions() == []
    first, second, third = course.sessions
    first.facilitators = [f for f in first.facilitators if f.role != "peer"]
    second.facilitators = []
    third.facilitators = []  # three weeks away: not yet
    db.session.flush()
    texts = [item.text for item in unstaffed_sessions()]
    assert len(texts) == 2
    assert texts[0].startswith("Calm: there is no peer trainer for the session on")
    assert texts[1].startswith("Calm: no one facilitates the session on")


def test_draft_problems_say_what_publishing_would_say(peer: User, trainer: User):
    term = factories.make_term(
        starts_on=now_utc().date(), ends_on=now_utc().date() + timedelta(days=90)
    )
    start = now_utc() + timedelta(days=30)
    unqualified = factories.make_peer(programmes=())
    busy = factories.make_published_course(peer=peer, trainer=trainer, first_start=start)
    draft = factories.make_course(term=term, title="Draft", required_programme=Programme.FIVE_WEEK)
    factories.make_session(draft, starts_at=start, peers=(peer,), professionals=(trainer,))
    factories.make_session(draft, starts_at=start + timedelta(days=1), peers=(unqualified,))
    empty = factories.make_course(term=term, title="Empty draft")
    ready = factories.make_course(term=term, title="Ready")
    factories.make_session(
        ready, starts_at=start + timedelta(days=2), peers=(peer,), professionals=(trainer,)
    )
    db.session.expire_all()

    problems = draft_problems()

    assert busy.status == CourseStatus.PUBLISHED
    found = {course.title: texts for course, texts in problems.items()}
    assert set(found) == {"Draft", "Empty draft"}
    assert found["Draft"] == services.publication_problems(db.session.get(Course, draft.id))
    assert found["Empty draft"] == services.publication_problems(db.session.get(Course, empty.id))
    assert any("overlapping time" in text for text in found["Draft"])
    assert any("no professional trainer" in text for text in found["Draft"])


# --- pages ----------------------------------------------------------------------------------


def build_term(term: Term, courses: int) -> None:
    """A term with ``courses`` courses, each with enrolments, a waiting list, registers,
    feedback, a draft that cannot be published and a session without its peer soon."""
    soon = now_utc() + timedelta(days=2)
    for index in range(courses):
        peer, trainer = factories.make_peer(), factories.make_trainer()
        course = factories.make_published_course(
            peer=peer, trainer=trainer, term=term, capacity=2, first_start=PAST
        )
        students = factories.make_students(8)
        for student in students[:2]:
            factories.make_enrolment(course, student)
        for number, student in enumerate(students[2:], start=1):
            factories.make_enrolment(
                course, student, status=EnrolmentStatus.WAITLISTED, waitlist_number=number
            )
        for session in course.sessions:
            mark(session.id, students[0], AttendanceStatus.PRESENT)
        feedback(course, 5)
        draft = factories.make_course(term=term)
        factories.make_session(draft, starts_at=soon + timedelta(days=index), peers=(peer,))
        uncovered = factories.make_published_course(
            term=term, first_start=soon + timedelta(hours=index), sessions=1
        )
        uncovered.sessions[0].facilitators = []
    db.session.commit()


@pytest.fixture
def live_term() -> Term:
    today = now_utc().date()
    return factories.make_term(
        starts_on=today - timedelta(days=400), ends_on=today + timedelta(days=60)
    )


def test_dashboard_asks_a_fixed_number_of_queries(
    client: FlaskClient, auth, admin: User, live_term: Term, count_queries
):
    auth.login(admin)
    build_term(live_term, 2)
    with count_queries() as small:
        assert client.get("/admin/").status_code == 200
    build_term(live_term, 6)
    with count_queries() as large:
        page = client.get("/admin/")
    assert page.status_code == 200
    assert small.count == large.count, "\n".join(large.statements)


def test_dashboard_shows_attention_and_charts(
    client: FlaskClient, auth, admin: User, live_term: Term
):
    auth.login(admin)
    build_term(live_term, 1)
    html = client.get(f"/admin/?term={live_term.id}").get_data(as_text=True)
    assert "cannot be published: There is no professional trainer" in html
    assert "people are waiting: consider another run." in html
    assert "no one facilitates the session on" in html
    assert html.count('role="img"') == 3 + 2  # the courses' charts and the peers' two
    assert "Places and waiting lists per course" in html
    assert "Attendance per session" in html
    assert "Feedback averages" in html
    assert '<th scope="row">' in html


def test_the_dashboard_shows_the_fullest_courses_and_counts_them_all(app: Flask):
    from courses.dashboard import GLANCE_COURSES, fullest_courses_chart
    from courses.reports import CoursePlaces

    figures = [
        CoursePlaces(n, f"Course {n:02}", "published", 20, enrolled=n % 20, offered=0, waiting=n)
        for n in range(GLANCE_COURSES + 8)
    ]
    with app.test_request_context():
        chart = fullest_courses_chart(figures)
    assert len(chart.bars) == GLANCE_COURSES
    assert [bar.label for bar in chart.bars[:2]] == ["Course 19", "Course 18"]
    assert "20 courses" in chart.description
    assert f"{sum(f.waiting for f in figures)} people are waiting" in chart.description
    assert "Every course is in the term's reports." in chart.description
    with app.test_request_context():
        few = fullest_courses_chart(figures[:3])
    assert len(few.bars) == 3 and few.title == "Places and waiting lists per course"


def test_dashboard_without_terms_still_answers(client: FlaskClient, auth, admin: User):
    auth.login(admin)
    db.session.execute(sa.delete(Course))
    db.session.execute(sa.delete(Term))
    db.session.commit()
    assert "There are no terms yet." in client.get("/admin/?term=abc").get_data(as_text=True)


def read_csv(response) -> list[list[str]]:
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_term_csv_holds_the_figures_and_is_a_private_download(
    client: FlaskClient, auth, admin: User, term: Term
):
    course = factories.make_published_course(term=term, title="=HYPERLINK(evil)", capacity=4)
    factories.make_enrolment(course)
    auth.login(admin)
    response = client.get(f"/admin/reports/terms/{term.id}/places.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="term-{term.id}-places.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response)
    assert rows[0][:4] == ["Course", "Status", "Places", "Enrolled"]
    assert rows[1] == ["'=HYPERLINK(evil)", "Published", "4", "1", "0", "0", "3"]


def test_course_csvs_of_attendance_and_feedback(client: FlaskClient, auth, admin: User, term):
    course = factories.make_published_course(term=term, sessions=1, first_start=PAST, title="Æble")
    student = factories.make_student()
    factories.make_enrolment(course, student)
    mark(course.sessions[0].id, student, AttendanceStatus.PRESENT)
    feedback(course, 3)
    auth.login(admin)
    rows = read_csv(client.get(f"/admin/reports/courses/{course.id}/attendance.csv"))
    assert rows[1] == ["Æble", "2024-03-05", "16:00", "1", "0", "0", "0", "1"]
    rows = read_csv(client.get(f"/admin/reports/courses/{course.id}/feedback.csv"))
    assert rows[1] == ["Æble", "3", "", "", "", ""]  # fewer than five: no averages
    assert client.get(f"/admin/reports/courses/{course.id}/names.csv").status_code == 404


def test_report_pages_show_the_charts(client: FlaskClient, auth, admin: User, term: Term):
    course = factories.make_published_course(term=term, title="Reported")
    auth.login(admin)
    html = client.get(f"/admin/reports/?term={term.id}").get_data(as_text=True)
    assert "Reports: Spring" in html and "Reported" in html
    html = client.get(f"/admin/reports/courses/{course.id}").get_data(as_text=True)
    assert "Report: Reported" in html and "Attendance per session" in html


def test_register_download_is_audited_and_safe(
    client: FlaskClient, auth, peer: User, trainer: User
):
    course = factories.make_published_course(peer=peer, trainer=trainer)
    student = factories.make_student(name="@Sneaky Name")
    factories.make_enrolment(course, student)
    session = course.sessions[0]
    mark(session.id, student, AttendanceStatus.APOLOGIES)
    db.session.commit()
    auth.login(peer)

    response = client.get(f"/courses/sessions/{session.id}/register.csv")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment;" in response.headers["Content-Disposition"]
    assert "Sneaky" not in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == ["Course", "Date", "Time", "Name", "Attendance"]
    assert rows[1][3:] == ["'@Sneaky Name", "Sent apologies"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "register.exported"))
    assert event is not None
    assert (event.actor_id, event.target_type, event.target_id) == (
        peer.id,
        "CourseSession",
        session.id,
    )


def test_register_download_is_refused_to_other_peers(client: FlaskClient, auth, peer, trainer):
    course = factories.make_published_course(peer=peer, trainer=trainer)
    auth.login(factories.make_peer())
    assert client.get(f"/courses/sessions/{course.sessions[0].id}/register.csv").status_code == 403
    assert (
        db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "register.exported"))
        is None
    )


def test_the_demo_dashboard_has_something_to_show(app: Flask):
    from college import demo
    from courses.dashboard import term_panel

    demo.seed()
    with app.test_request_context():
        panel = term_panel({})
    places, attendance, answers = panel.context["charts"]
    assert any(bar.values[0] for bar in places.bars)
    assert any(bar.values[0] for bar in attendance.bars)
    assert answers.bars
    assert any("people are waiting" in item.text for item in panel.attention)
