"""Enrolment pages: wiring, permissions and bad input (never a 500, nothing changed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bench.enrolment import token_of
from college.db import now_utc
from college.extensions import db
from courses.enrolment import attendance, services
from courses.enrolment.models import Enrolment, EnrolmentStatus, Feedback
from courses.enrolment.queries import find_enrolment
from courses.models import CourseStatus
from tests import factories


def count_enrolments() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) or 0


def test_a_student_enrols_sees_my_courses_and_withdraws(client, auth, small_course):
    course = small_course(title="Finding calm")
    student = factories.make_student()
    auth.login(student)
    answer = client.post(f"/courses/{course.slug}/enrol", follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "You are enrolled" in page
    assert "Finding calm" in page
    assert client.get("/me/courses").status_code == 200
    answer = client.post(f"/courses/{course.slug}/withdraw", follow_redirects=True)
    assert "You have withdrawn" in answer.get_data(as_text=True)
    assert find_enrolment(course, student).status == EnrolmentStatus.WITHDRAWN


def test_a_full_course_tells_people_their_place_in_the_queue(client, auth, small_course):
    course = small_course(capacity=1)
    services.enrol(factories.make_student(), course)
    auth.login(factories.make_student())
    answer = client.post(f"/courses/{course.slug}/enrol", follow_redirects=True)
    assert "waiting list as number 1" in answer.get_data(as_text=True)


def test_the_answer_to_a_sign_up_is_in_the_persons_language(client, auth, small_course):
    # Worded after the commit, which expires the person: in their language all the same
    # (that they are not read again for it is in test_queries).
    course = small_course(capacity=1)
    auth.login(factories.make_student(language="da"))
    answer = client.post(f"/courses/{course.slug}/enrol", follow_redirects=True)
    assert "Du er tilmeldt. Vi glæder os til at se dig!" in answer.get_data(as_text=True)
    auth.login(factories.make_student(language="da"))
    answer = client.post(f"/courses/{course.slug}/enrol", follow_redirects=True)
    assert "du står på ventelisten som nummer 1" in answer.get_data(as_text=True)


def test_visitors_must_sign_in_to_enrol(client, small_course):
    course = small_course()
    answer = client.post(f"/courses/{course.slug}/enrol")
    assert answer.status_code == 302 and "/auth/login" in answer.headers["Location"]
    assert client.get("/me/courses").status_code == 302
    assert count_enrolments() == 0


def test_unknown_and_draft_courses_are_not_found(client, auth, small_course):
    draft = small_course()
    draft.status = CourseStatus.DRAFT
    db.session.flush()
    auth.login(factories.make_student())
    assert client.post("/courses/no-such-course/enrol").status_code == 404
    assert client.post(f"/courses/{draft.slug}/enrol").status_code == 404
    assert count_enrolments() == 0


def test_closed_enrolment_and_cancelled_courses_explain_themselves(client, auth, peer, trainer):
    now = now_utc()
    term = factories.make_term(
        enrolment_opens_at=now - timedelta(days=9), enrolment_closes_at=now - timedelta(days=1)
    )
    closed = factories.make_published_course(peer=peer, trainer=trainer, term=term)
    cancelled = factories.make_published_course(peer=peer, trainer=trainer)
    cancelled.status = CourseStatus.CANCELLED
    db.session.flush()
    auth.login(factories.make_student())
    answer = client.post(f"/courses/{closed.slug}/enrol", follow_redirects=True)
    assert "Enrolment for this course is closed." in answer.get_data(as_text=True)
    answer = client.post(f"/courses/{cancelled.slug}/enrol", follow_redirects=True)
    assert "not open for enrolment" in answer.get_data(as_text=True)
    assert count_enrolments() == 0


def test_someone_elses_enrolment_looks_like_nothing(client, auth, small_course):
    course = small_course(capacity=1)
    holder, head = factories.make_students(2)
    place = services.enrol(holder, course)
    offer = services.enrol(head, course)
    services.withdraw(holder, place)
    auth.login(factories.make_student())
    for path in ("offer", "certificate", "feedback"):
        assert client.get(f"/me/enrolments/{offer.id}/{path}").status_code == 404
    for path in ("accept", "decline"):
        assert client.post(f"/me/enrolments/{offer.id}/{path}").status_code == 404
    db.session.refresh(offer)
    assert offer.status == EnrolmentStatus.OFFERED


def test_the_offer_is_accepted_from_the_link(client, auth, small_course):
    course = small_course(capacity=1)
    holder, head = factories.make_students(2)
    place = services.enrol(holder, course)
    offer = services.enrol(head, course)
    services.withdraw(holder, place)
    auth.login(head)
    assert "Yes, I take the place" in client.get(f"/me/enrolments/{offer.id}/offer").text
    answer = client.post(f"/me/enrolments/{offer.id}/accept", follow_redirects=True)
    assert "The place is yours" in answer.get_data(as_text=True)
    db.session.refresh(offer)
    assert offer.status == EnrolmentStatus.ENROLLED


def test_forms_without_a_csrf_token_are_refused(client, auth, small_course, csrf_enabled):
    course = small_course()
    student = factories.make_student()
    services.enrol(student, course)
    # Signing in itself needs the token, so this person signs in through the real form.
    token = token_of(client.get("/auth/login").get_data(as_text=True))
    client.post(
        "/auth/login",
        data={"email": student.email, "password": factories.PASSWORD, "csrf_token": token},
    )
    answer = client.post(f"/courses/{course.slug}/withdraw")
    assert answer.status_code == 400
    assert find_enrolment(course, student).status == EnrolmentStatus.ENROLLED


def test_students_cannot_keep_a_register(client, auth, small_course):
    course = small_course()
    student = factories.make_student()
    services.enrol(student, course)
    auth.login(student)
    session = course.sessions[0]
    assert client.get(f"/courses/sessions/{session.id}/register").status_code == 403
    answer = client.post(
        f"/courses/sessions/{session.id}/register", data={f"mark-{student.id}": "present"}
    )
    assert answer.status_code == 403


def test_facilitators_keep_the_register_and_bad_marks_change_nothing(
    client, auth, small_course, peer
):
    course = small_course(first_start=factories.early_today())
    student = factories.make_student(name="Sara Student")
    services.enrol(student, course, override=True)
    session = course.sessions[0]
    auth.login(peer)
    assert "Sara Student" in client.get(f"/courses/sessions/{session.id}/register").text
    bad = client.post(f"/courses/sessions/{session.id}/register", data={"mark-x": "late"})
    assert bad.status_code == 400
    good = client.post(
        f"/courses/sessions/{session.id}/register", data={f"mark-{student.id}": "present"}
    )
    assert good.status_code == 302
    assert attendance.attendance_share(student, course, now=session.ends_at) == 1.0
    other = factories.make_trainer()
    auth.logout()
    auth.login(other)
    assert client.get(f"/courses/sessions/{session.id}/register").status_code == 403
    assert client.get("/courses/sessions/999999/register").status_code == 404


def test_certificate_and_feedback_after_the_course(client, auth, small_course, peer):
    course = small_course(first_start=now_utc() - timedelta(weeks=4))
    student = factories.make_student(name="Nina Nielsen")
    enrolment = services.enrol(student, course, override=True)
    for session in course.sessions:
        attendance.mark_attendance(peer, session, {student.id: "present"})
    auth.login(student)
    certificate = client.get(f"/me/enrolments/{enrolment.id}/certificate")
    assert certificate.status_code == 200 and "Nina Nielsen" in certificate.text
    form = client.get(f"/me/enrolments/{enrolment.id}/feedback")
    assert form.status_code == 200
    bad = client.post(f"/me/enrolments/{enrolment.id}/feedback", data={"hope": "12"})
    assert bad.status_code == 400
    scores = {"hope": "8", "knowledge": "7", "everyday_tools": "6", "connectedness": "9"}
    answer = client.post(f"/me/enrolments/{enrolment.id}/feedback", data=scores)
    assert answer.status_code == 302
    again = client.get(f"/me/enrolments/{enrolment.id}/feedback")
    assert "already given feedback" in again.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 1


def test_certificate_is_not_there_before_completion(client, auth, small_course):
    course = small_course()
    student = factories.make_student()
    enrolment = services.enrol(student, course)
    auth.login(student)
    assert client.get(f"/me/enrolments/{enrolment.id}/certificate").status_code == 404


def test_admins_see_the_waiting_list_and_reorder_it(client, auth, small_course, admin):
    course = small_course(capacity=1)
    services.enrol(factories.make_student(), course)
    a, b = (services.enrol(s, course) for s in factories.make_students(2))
    auth.login(admin)
    page = client.get(f"/admin/courses/{course.id}/enrolments")
    assert page.status_code == 200 and "Waiting list" in page.text
    assert client.post(f"/admin/courses/{course.id}/enrolments/{b.id}/move/up").status_code == 302
    sideways = client.post(f"/admin/courses/{course.id}/enrolments/{b.id}/move/sideways")
    assert sideways.status_code == 404
    removal = {"reason": "asked"}
    response = client.post(f"/admin/courses/{course.id}/enrolments/{a.id}/remove", data=removal)
    assert response.status_code == 302
    db.session.refresh(b)
    assert b.status == EnrolmentStatus.WAITLISTED
    other = small_course()
    response = client.post(f"/admin/courses/{other.id}/enrolments/{b.id}/remove", data=removal)
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["student", "peer"])
def test_only_admins_reach_the_enrolment_admin(client, auth, small_course, role):
    course = small_course()
    person = factories.make_student() if role == "student" else factories.make_peer()
    auth.login(person)
    assert client.get(f"/admin/courses/{course.id}/enrolments").status_code == 403
