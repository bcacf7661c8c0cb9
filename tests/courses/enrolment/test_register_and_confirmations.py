"""The register opens on its day and returns to the schedule; withdrawing and apologies
ask once, and apologies can be taken back."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from college.extensions import db
from courses.enrolment import attendance, services
from courses.enrolment.models import Attendance, AttendanceStatus, EnrolmentStatus
from courses.enrolment.queries import find_enrolment
from tests import factories
from tests.courses.enrolment.conftest import subjects_to

MISSED = "We missed you — Recovery College"


def marks_of(session_id: int) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(Attendance.student_id, Attendance.status).where(
            Attendance.session_id == session_id
        )
    )
    return {student_id: status for student_id, status in rows}


# --- the register opens on the day of its session --------------------------------------------


def test_a_register_for_a_later_day_is_refused_and_saves_nothing(small_course, peer):
    course = small_course()
    student = factories.make_student()
    services.enrol(student, course)
    session = course.sessions[0]
    the_day_before = session.starts_at - timedelta(days=1)
    with pytest.raises(attendance.RegisterNotYetOpen) as refused:
        attendance.mark_attendance(
            peer, session, {student.id: AttendanceStatus.ABSENT}, now=the_day_before
        )
    assert "opens on Tuesday, September 10, 2030" in str(refused.value)
    with pytest.raises(attendance.RegisterNotYetOpen):
        attendance.register_for(peer, session, now=the_day_before)
    assert marks_of(session.id) == {}
    assert subjects_to(student) == ["Your place is confirmed — Recovery College"]


def test_a_register_opens_in_the_morning_of_its_day(small_course, peer):
    course = small_course()
    student = factories.make_student()
    services.enrol(student, course)
    session = course.sessions[0]  # 17:00 in Copenhagen
    morning = session.starts_at - timedelta(hours=8)
    attendance.mark_attendance(peer, session, {student.id: AttendanceStatus.PRESENT}, now=morning)
    assert marks_of(session.id) == {student.id: "present"}


def test_we_missed_you_waits_until_the_session_has_ended(small_course, peer):
    course = small_course()
    student = factories.make_student()
    services.enrol(student, course)
    session = course.sessions[0]
    during = session.starts_at + timedelta(minutes=10)
    attendance.mark_attendance(peer, session, {student.id: AttendanceStatus.ABSENT}, now=during)
    assert MISSED not in subjects_to(student)
    assert attendance.send_missed_notes(now=during) == 0
    assert MISSED not in subjects_to(student)
    after = session.ends_at + timedelta(minutes=1)
    assert attendance.send_missed_notes(now=after) == 1
    assert attendance.send_missed_notes(now=after) == 0
    assert subjects_to(student).count(MISSED) == 1


def test_someone_who_arrives_late_is_never_told_they_were_missed(small_course, peer):
    course = small_course()
    student = factories.make_student()
    services.enrol(student, course)
    session = course.sessions[0]
    start = session.starts_at
    attendance.mark_attendance(peer, session, {student.id: AttendanceStatus.ABSENT}, now=start)
    attendance.mark_attendance(
        peer, session, {student.id: AttendanceStatus.PRESENT}, now=start + timedelta(minutes=20)
    )
    assert attendance.send_missed_notes(now=session.ends_at + timedelta(hours=1)) == 0
    assert MISSED not in subjects_to(student)


def test_the_register_page_refuses_a_later_day_with_a_clear_message(
    client, auth, small_course, peer
):
    course = small_course()
    student = factories.make_student(name="Sara Student")
    services.enrol(student, course)
    session = course.sessions[0]
    auth.login(peer)
    page = client.get(f"/courses/sessions/{session.id}/register")
    assert "The register for this session opens on Tuesday, September 10, 2030" in page.text
    assert "Sara Student" not in page.text and "Save register" not in page.text
    answer = client.post(
        f"/courses/sessions/{session.id}/register", data={f"mark-{student.id}": "absent"}
    )
    assert answer.status_code == 400
    assert "opens on Tuesday, September 10, 2030" in answer.text
    assert marks_of(session.id) == {}


def test_the_register_starts_from_everyone_present_and_keeps_apologies(
    client, auth, small_course, peer
):
    course = small_course(first_start=factories.early_today() + timedelta(days=7))
    coming, sorry = factories.make_student(), factories.make_student()
    for student in (coming, sorry):
        services.enrol(student, course, override=True)
    attendance.send_apologies(sorry, course.sessions[0])
    # The first session is a week away; the one of today is made the first by moving it.
    session = course.sessions[0]
    session.starts_at, session.ends_at = (
        factories.early_today(),
        factories.early_today() + timedelta(hours=2),
    )
    db.session.commit()
    auth.login(peer)
    page = client.get(f"/courses/sessions/{session.id}/register").text
    checked = {
        found.group(1)
        for tag in re.findall(r"<input[^>]*>", page)
        if "checked" in tag and (found := re.search(r'id="(mark-[^"]+)"', tag))
    }
    assert checked == {f"mark-{coming.id}-present", f"mark-{sorry.id}-apologies"}


def test_a_saved_register_returns_to_the_schedule(client, auth, small_course, peer, admin):
    course = small_course(first_start=factories.early_today())
    student = factories.make_student()
    services.enrol(student, course, override=True)
    session = course.sessions[0]
    auth.login(peer)
    url = f"/courses/sessions/{session.id}/register"
    answer = client.post(url, data={f"mark-{student.id}": "present"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/peers/schedule"
    answer = client.post(url, data={f"mark-{student.id}": "present", "next": "//evil.example"})
    assert "evil" not in answer.headers["Location"]
    auth.logout()
    auth.login(admin)
    answer = client.post(url, data={f"mark-{student.id}": "present"})
    assert answer.headers["Location"] == f"/admin/courses/{course.id}"


def test_the_admin_course_page_links_each_register_from_its_day(client, auth, small_course, admin):
    course = small_course(first_start=factories.early_today(), sessions=2)
    today, next_week = course.sessions
    auth.login(admin)
    page = client.get(f"/admin/courses/{course.id}").text
    assert f'href="/courses/sessions/{today.id}/register"' in page
    assert f'href="/courses/sessions/{next_week.id}/register"' not in page
    assert "Opens on the day" in page


# --- withdrawing and apologies ask once ------------------------------------------------------


def test_withdrawing_asks_once_before_the_place_goes(client, auth, small_course):
    course = small_course(title="Finding calm")
    student = factories.make_student()
    services.enrol(student, course)
    auth.login(student)
    my_courses = client.get("/me/courses").text
    assert f'href="/courses/{course.slug}/withdraw"' in my_courses
    assert f'action="/courses/{course.slug}/withdraw"' not in my_courses
    question = client.get(f"/courses/{course.slug}/withdraw")
    assert question.status_code == 200
    assert "Your place goes to the next person" in question.text
    assert find_enrolment(course, student).status == EnrolmentStatus.ENROLLED
    client.post(f"/courses/{course.slug}/withdraw")
    assert find_enrolment(course, student).status == EnrolmentStatus.WITHDRAWN
    again = client.get(f"/courses/{course.slug}/withdraw", follow_redirects=True)
    assert "nothing to withdraw" in again.text.lower() or "not signed up" in again.text.lower()


def test_apologies_ask_once_show_on_the_card_and_can_be_taken_back(client, auth, small_course):
    course = small_course()
    student = factories.make_student()
    services.enrol(student, course)
    session = course.sessions[0]
    auth.login(student)
    assert f'href="/me/sessions/{session.id}/apologies"' in client.get("/me/courses").text
    question = client.get(f"/me/sessions/{session.id}/apologies")
    assert "You cannot come to the session?" in question.text
    assert marks_of(session.id) == {}
    client.post(f"/me/sessions/{session.id}/apologies")
    card = client.get("/me/courses").text
    assert "You have told us you cannot come to this session." in card
    assert "I can come after all" in card
    answer = client.post(f"/me/sessions/{session.id}/apologies/take-back", follow_redirects=True)
    assert "Good to hear you can come after all" in answer.text
    assert marks_of(session.id) == {}
    assert "I cannot come to the next session" in answer.text
    again = client.post(f"/me/sessions/{session.id}/apologies/take-back", follow_redirects=True)
    assert "You have not told us you cannot come" in again.text


def test_apologies_cannot_be_taken_back_once_the_session_began(small_course):
    course = small_course()
    student = factories.make_student()
    services.enrol(student, course)
    session = course.sessions[0]
    attendance.send_apologies(student, session, now=session.starts_at - timedelta(days=1))
    with pytest.raises(attendance.SessionAlreadyStarted):
        attendance.take_back_apologies(student, session, now=session.starts_at)
    assert marks_of(session.id) == {student.id: "apologies"}


def test_apologies_of_someone_not_on_the_course_are_not_found(client, auth, small_course):
    course = small_course()
    stranger = factories.make_student()
    auth.login(stranger)
    assert client.get(f"/me/sessions/{course.sessions[0].id}/apologies").status_code == 404
