"""A student rates how things are before a course and after it, and sees what changed for
them; an administrator sees the course's change as a chart. In Danish and in English.

Time cannot pass in a browser test: between the two ratings the test moves the course's
sessions five weeks back, as the weeks of the course would, and marks the student present.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from college.db import now_utc
from college.extensions import db
from courses.enrolment.models import Attendance, AttendanceStatus, Enrolment
from courses.models import Course, CourseSession, Term
from courses.outcomes import services
from courses.outcomes.models import Moment
from tests import factories
from tests.browser.conftest import LiveServer
from tests.browser.helpers import DEMO_ADMIN, DEMO_PASSWORD, assert_accessible, expect, login

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "rate_before": "Before the course: rate how things are for you now",
        "rate_after": "After the course: rate how things are for you now",
        "send": "Send my answers",
        "thanks": "Your answers are stored without your name.",
        "changed": "What changed for you",
        "before": "Before",
    },
    "da": {
        "rate_before": "Før kurset: vurdér, hvordan du har det nu",
        "rate_after": "Efter kurset: vurdér, hvordan du har det nu",
        "send": "Send mine svar",
        "thanks": "Dine svar gemmes uden dit navn.",
        "changed": "Det har ændret sig for dig",
        "before": "Før",
    },
}


def make_course_to_come(live_server: LiveServer, language: str) -> tuple[int, int, str]:
    """A course in the term under way that starts tomorrow, and a student with a place."""
    with live_server.seed():
        today = now_utc().date()
        term = db.session.scalars(
            sa.select(Term).where(Term.starts_on <= today, Term.ends_on >= today)
        ).first()
        course = factories.make_published_course(
            term=term, first_start=now_utc() + timedelta(days=1), title=f"Ro i hverdagen {language}"
        )
        student = factories.make_student(language=language)
        enrolment = factories.make_enrolment(course, student)
        return course.id, enrolment.id, student.email


def hold_the_course(live_server: LiveServer, course_id: int, enrolment_id: int) -> None:
    """The weeks pass: the sessions move into the past, the student came, and five others
    who rated before and after make the course's figures show."""
    with live_server.seed():
        course = db.session.get_one(Course, course_id)
        for session in db.session.scalars(
            sa.select(CourseSession).where(CourseSession.course_id == course_id)
        ):
            session.starts_at -= timedelta(weeks=5)
            session.ends_at -= timedelta(weeks=5)
            student_id = db.session.get_one(Enrolment, enrolment_id).student_id
            db.session.add(
                Attendance(
                    session_id=session.id, student_id=student_id, status=AttendanceStatus.PRESENT
                )
            )
        db.session.flush()
        db.session.expire(course, ["sessions"])
        questionnaire = services.questionnaire_for_term(course.term_id)
        assert questionnaire is not None
        first, last = course.sessions[0], course.sessions[-1]
        for index in range(5):
            other = factories.make_enrolment(course)
            before = {area.id: 3 + index % 3 for area in questionnaire.areas}
            after = {area.id: 6 + index % 3 for area in questionnaire.areas}
            services.rate(other, Moment.BEFORE, before, now=first.starts_at - timedelta(hours=1))
            services.rate(other, Moment.AFTER, after, now=last.ends_at + timedelta(hours=1))


def fill_every_rating(page: Any, value: str) -> None:
    fields = page.get_by_role("spinbutton")
    for index in range(fields.count()):
        fields.nth(index).fill(value)


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_student_sees_what_changed_and_an_admin_sees_the_chart(
    live_server: LiveServer, page: Any, language: str
):
    words = WORDS[language]
    course_id, enrolment_id, email = make_course_to_come(live_server, language)
    login(page, email, factories.PASSWORD)
    page.goto("/me/courses")
    page.get_by_role("link", name=words["rate_before"]).click()
    assert_accessible(page)
    fill_every_rating(page, "3")
    page.get_by_role("button", name=words["send"]).press("Enter")
    expect(page.locator(".flash-success")).to_contain_text(words["thanks"])

    hold_the_course(live_server, course_id, enrolment_id)
    page.goto("/me/courses")
    page.get_by_role("link", name=words["rate_after"]).click()
    fill_every_rating(page, "7")
    page.get_by_role("button", name=words["send"]).press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["changed"])
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name=words["before"], exact=True)).to_be_visible()
    expect(table.locator("tbody tr").first).to_contain_text("+4")
    assert_accessible(page)

    page.context.clear_cookies()
    login(page, DEMO_ADMIN, DEMO_PASSWORD)
    page.goto(f"/admin/outcomes/?course={course_id}")
    chart = page.locator("svg[role=img]").first
    expect(chart).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("6")
    assert_accessible(page)
