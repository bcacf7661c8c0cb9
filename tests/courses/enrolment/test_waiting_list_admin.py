"""The office moves people on a waiting list in one step and takes people off with care."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from college.errors import Forbidden
from college.extensions import db
from college.models import AuditEvent
from courses.enrolment import services
from courses.enrolment.models import EnrolmentStatus
from courses.enrolment.queries import waitlist_position
from tests import factories
from tests.courses.enrolment.conftest import mail_to


def queue_of(small_course, size: int):
    course = small_course(capacity=1)
    services.enrol(factories.make_student(), course)
    waiting = [services.enrol(s, course) for s in factories.make_students(size)]
    return course, waiting


def test_seventh_to_first_in_one_step(small_course, admin):
    course, waiting = queue_of(small_course, 7)
    seventh = waiting[6]
    services.move_to_position(admin, seventh, 1)
    assert [waitlist_position(e) for e in waiting] == [2, 3, 4, 5, 6, 7, 1]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "waitlist.moved"))
    assert event is not None and event.detail == f"course={course.id} position=1"


def test_move_to_a_given_place_and_past_the_end(small_course, admin):
    _course, (a, b, c, d) = queue_of(small_course, 4)
    services.move_to_position(admin, a, 3)
    assert [waitlist_position(e) for e in (a, b, c, d)] == [3, 1, 2, 4]
    services.move_to_position(admin, b, 99)  # beyond the list: the end
    assert [waitlist_position(e) for e in (a, b, c, d)] == [2, 4, 1, 3]


def test_only_admins_move_and_only_waiting_people(small_course, admin):
    course, (a, _b) = queue_of(small_course, 2)
    with pytest.raises(Forbidden):
        services.move_to_position(a.student, a, 1)
    holder = next(e for e in services.enrolments_of(course))
    with pytest.raises(services.NotWaiting):
        services.move_to_position(admin, holder, 1)


def test_move_to_the_top_from_the_page(client, auth, small_course, admin):
    course, waiting = queue_of(small_course, 3)
    auth.login(admin)
    base = f"/admin/courses/{course.id}/enrolments"
    page = client.get(base).get_data(as_text=True)
    assert "Move to the top" in page and "Move to place" in page
    assert client.post(f"{base}/{waiting[2].id}/move/top").status_code == 302
    assert [waitlist_position(e) for e in waiting] == [2, 3, 1]
    assert client.post(f"{base}/{waiting[2].id}/move/to", data={"position": "2"}).status_code == 302
    assert [waitlist_position(e) for e in waiting] == [1, 3, 2]
    bad = client.post(f"{base}/{waiting[2].id}/move/to", data={"position": "first"})
    assert bad.status_code == 302
    assert "Please enter a place in the list" in client.get(base).get_data(as_text=True)
    assert [waitlist_position(e) for e in waiting] == [1, 3, 2]


def test_removing_asks_for_a_reason_and_mails_whom_to_contact(client, auth, small_course, admin):
    course, (waiting,) = queue_of(small_course, 1)
    student = waiting.student
    auth.login(admin)
    url = f"/admin/courses/{course.id}/enrolments/{waiting.id}/remove"
    page = client.get(url).get_data(as_text=True)
    assert f"Take {student.display_name} off" in page
    assert "We could not reach them" in page
    refused = client.post(url, data={})
    assert refused.status_code == 400 and "Please choose a reason." in refused.text
    assert waiting.status == EnrolmentStatus.WAITLISTED

    assert client.post(url, data={"reason": "no_contact"}).status_code == 302

    assert waiting.status == EnrolmentStatus.WITHDRAWN
    mail = mail_to(student)[-1]
    assert "withdraw" not in mail.subject.lower()
    assert "has taken you off" in mail.text_body
    assert "kontakt@recovery-college.example" in mail.text_body
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "enrolment.removed"))
    assert event is not None and event.detail.endswith("reason=no_contact")


def test_the_mail_names_the_contact_setting_when_there_is_one(
    app, small_course, admin, monkeypatch
):
    course, (waiting,) = queue_of(small_course, 1)
    monkeypatch.setitem(app.config, "COLLEGE_CONTACT_EMAIL", "kontakt@example.org")
    services.remove_by_admin(admin, waiting, services.RemovalReason.ASKED)
    assert "kontakt@example.org" in mail_to(waiting.student)[-1].text_body
    assert course.id
