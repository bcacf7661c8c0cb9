"""Registers, apologies, completion, anonymous feedback, reminders and session-change mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from college.extensions import db
from courses import services as course_services
from courses.enrolment import attendance, feedback, notices, services
from courses.enrolment.models import Attendance, AttendanceStatus, Feedback
from tests import factories
from tests.courses.enrolment.conftest import mail_to, subjects_to

START = factories.FIRST_SESSION
AFTER = START + timedelta(weeks=3)  # a three-session course has ended
SCORES = {"hope": 8, "knowledge": 7, "everyday_tools": 6, "connectedness": 9}


def test_facilitators_keep_the_register_and_students_cannot(small_course, peer, admin):
    course = small_course(capacity=3)
    student = factories.make_student()
    services.enrol(student, course)
    session = course.sessions[0]
    on_the_day = session.starts_at
    attendance.mark_attendance(
        peer, session, {student.id: AttendanceStatus.PRESENT}, now=on_the_day
    )
    assert attendance.register_for(admin, session, now=on_the_day) == [(student, "present")]
    with pytest.raises(attendance.NotAFacilitator):
        attendance.mark_attendance(
            student, session, {student.id: AttendanceStatus.PRESENT}, now=on_the_day
        )
    with pytest.raises(attendance.NotAFacilitator):
        attendance.register_for(factories.make_trainer(), session, now=on_the_day)


def test_an_absence_sends_one_warm_note_and_never_removes_anyone(small_course, peer):
    course = small_course()
    student = factories.make_student()
    enrolment = services.enrol(student, course)
    session = course.sessions[0]
    ended = session.ends_at
    attendance.mark_attendance(peer, session, {student.id: AttendanceStatus.ABSENT}, now=ended)
    attendance.mark_attendance(peer, session, {student.id: AttendanceStatus.ABSENT}, now=ended)
    assert attendance.send_missed_notes(now=ended + timedelta(hours=1)) == 0
    assert subjects_to(student).count("We missed you — Recovery College") == 1
    assert enrolment.status == "enrolled"


def test_only_enrolled_students_are_on_the_register(small_course, peer):
    course = small_course()
    stranger = factories.make_student()
    with pytest.raises(attendance.NotFound):
        attendance.mark_attendance(
            peer, course.sessions[0], {stranger.id: "present"}, now=course.sessions[0].starts_at
        )


def test_students_send_apologies_without_a_reason(small_course):
    course = small_course()
    student = factories.make_student()
    services.enrol(student, course)
    session = course.sessions[1]
    attendance.send_apologies(student, session, now=START)
    mark = db.session.scalar(
        sa.select(Attendance.status).where(Attendance.session_id == session.id)
    )
    assert mark == "apologies"
    with pytest.raises(attendance.SessionAlreadyStarted):
        attendance.send_apologies(student, course.sessions[0], now=START)
    with pytest.raises(attendance.NotFound):
        attendance.send_apologies(factories.make_student(), session, now=START)


@pytest.mark.parametrize(("present", "share", "completed"), [(2, 0.75, False), (3, 0.75, True)])
def test_completion_needs_the_configured_share(
    app: Flask, small_course, peer, monkeypatch, present, share, completed
):
    monkeypatch.setitem(app.config, "COMPLETION_SHARE", share)
    course = small_course(sessions=4)
    student = factories.make_student()
    services.enrol(student, course)
    for index, session in enumerate(course.sessions):
        mark = AttendanceStatus.PRESENT if index < present else AttendanceStatus.APOLOGIES
        attendance.mark_attendance(peer, session, {student.id: mark}, now=session.ends_at)
    assert attendance.has_completed(student, course, now=START + timedelta(weeks=4)) is completed
    assert attendance.has_completed(student, course, now=START + timedelta(days=1)) is False


def ended_course_with(small_course, count: int):
    course = small_course(capacity=count + 1)
    students = factories.make_students(count)
    for student in students:
        services.enrol(student, course)
    return course, students


def test_feedback_is_anonymous_and_given_once(small_course):
    course, (student,) = ended_course_with(small_course, 1)
    with pytest.raises(feedback.FeedbackNotOpen):
        feedback.give_feedback(student, course, SCORES, None, now=START)
    feedback.give_feedback(student, course, SCORES, "  Lovely  ", now=AFTER)
    with pytest.raises(feedback.FeedbackAlreadyGiven):
        feedback.give_feedback(student, course, SCORES, None, now=AFTER)
    stored = db.session.scalars(sa.select(Feedback)).all()
    assert len(stored) == 1 and stored[0].comment == "Lovely"
    columns = set(Feedback.__table__.columns.keys())
    assert columns == {"id", "course_id", "comment", *SCORES}
    with pytest.raises(feedback.NotFound):
        feedback.give_feedback(factories.make_student(), course, SCORES, None, now=AFTER)


def test_scores_must_be_whole_numbers_from_0_to_10(small_course):
    course, (student,) = ended_course_with(small_course, 1)
    with pytest.raises(feedback.InvalidScore):
        feedback.give_feedback(student, course, SCORES | {"hope": 11}, None, now=AFTER)
    with pytest.raises(feedback.InvalidScore):
        feedback.give_feedback(student, course, {"hope": 5}, None, now=AFTER)


def test_results_show_only_from_five_answers(small_course):
    course, students = ended_course_with(small_course, 5)
    for student in students[:4]:
        feedback.give_feedback(student, course, SCORES, "Good", now=AFTER)
    summary = feedback.feedback_summary(course)
    assert summary.answers == 4 and summary.averages is None and summary.comments == []
    feedback.give_feedback(students[4], course, SCORES | {"hope": 3}, None, now=AFTER)
    summary = feedback.feedback_summary(course)
    assert summary.averages == {
        "hope": 7.0,
        "knowledge": 7.0,
        "everyday_tools": 6.0,
        "connectedness": 9.0,
    }
    assert summary.comments == ["Good"] * 4


def test_feedback_invitations_and_reminders_go_out_once(small_course):
    _course, (student,) = ended_course_with(small_course, 1)
    assert notices.send_reminders(now=START - timedelta(days=3)) == 0
    assert notices.send_reminders(now=START - timedelta(days=1)) == 1
    assert notices.send_reminders(now=START - timedelta(days=1)) == 0
    assert notices.invite_feedback(now=AFTER) == 1
    assert notices.invite_feedback(now=AFTER) == 0
    assert subjects_to(student)[-2:] == [
        "Starting soon — Recovery College",
        "How was your course? — Recovery College",
    ]
    assert "/feedback" in mail_to(student)[-1].text_body


def test_cancelled_or_moved_sessions_are_told_to_people_with_a_place(small_course, admin):
    course, (student,) = ended_course_with(small_course, 1)
    second, third = course.sessions[1], course.sessions[2]
    before = len(mail_to(student, invitations=True))
    course_services.cancel_session(admin, second)
    course_services.reschedule_session(
        admin, third, third.starts_at + timedelta(days=1), third.ends_at + timedelta(days=1), None
    )
    # Enrolled students hear of a change through that session's calendar invitation.
    changes = mail_to(student, invitations=True)[before:]
    assert [(m.calendar_method, m.subject.split(":")[0]) for m in changes] == [
        ("CANCEL", "Cancelled"),
        ("REQUEST", "Changed"),
    ]
    assert all("Course session — Recovery College" in m.subject for m in changes)
    course_services.cancel_course(admin, course)
    last = mail_to(student, invitations=True)[before + 2 :]
    plain = [m for m in last if m.calendar_method is None]
    assert len(plain) == 1  # one message for the whole cancelled course
    assert "is cancelled" in plain[0].text_body
    assert [m.calendar_method for m in last if m.calendar_method] == ["CANCEL", "CANCEL"]


def test_emails_are_written_in_the_persons_language(small_course):
    course = small_course()
    student = factories.make_student(language="da")
    services.enrol(student, course)
    assert mail_to(student)[0].text_body.startswith("Hej")
