"""Mail about places is queued by description and written by the mail worker.

A sign-up renders no template and builds no calendar object; what the worker writes later
carries what was true when the message was queued (METHOD, SEQUENCE, language, discretion,
address), and a renderer that fails is retried like a mail server that is down.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import flask
import pytest
import sqlalchemy as sa
from flask import Flask

from college.db import now_utc
from college.extensions import db
from college.models import OutboxMessage, OutboxStatus
from college.outbox import delivery, mime, queueing, summaries
from courses.enrolment import notices, services
from courses.invites import messages as invite_messages
from tests import factories
from tests.courses.invite_mail import last_message_id, queued_invites


@pytest.fixture
def rendered_templates(app: Flask) -> Iterator[list[str]]:
    names: list[str] = []

    def record(sender: Flask, template: Any, context: dict[str, Any], **extra: Any) -> None:
        names.append(template.name)

    with flask.template_rendered.connected_to(record, app):
        yield names


def unrendered() -> list[OutboxMessage]:
    db.session.flush()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.text_body.is_(None))
            .order_by(OutboxMessage.id)
        )
    )


def test_enrolling_renders_no_template_and_builds_no_invitation(
    small_course, rendered_templates, monkeypatch: pytest.MonkeyPatch
):
    course = small_course(capacity=1)
    student, waiting = factories.make_students(2)
    queueing.render_pending()  # the teachers' invitations
    rendered_templates.clear()

    def no_calendar(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("an invitation was built on the request path")

    monkeypatch.setattr(invite_messages, "build_invite", no_calendar)
    services.enrol(student, course)
    services.enrol(waiting, course)
    queued = unrendered()
    assert rendered_templates == []
    # The confirmation to the student, the queue's letter; invitations come with the worker.
    assert sorted((m.recipient, m.calendar_method or "") for m in queued) == sorted(
        [(student.email, ""), (waiting.email, "")]
    )
    monkeypatch.undo()
    assert queueing.render_pending() == len(queued)
    assert "email/courses/enrolled.txt" in rendered_templates
    assert "email/courses/waitlisted.html" in rendered_templates
    # The confirmation carries the invitation itself: no mail of its own.
    assert "email/calendar/request.txt" not in rendered_templates
    confirmation = next(m for m in queued if m.recipient == student.email)
    assert confirmation.calendar_method == "REQUEST"


def test_enrolling_through_the_site_renders_no_email(
    client, auth, small_course, rendered_templates
):
    course = small_course()
    queueing.render_pending()  # the teachers' invitations
    rendered_templates.clear()
    student = factories.make_student()
    auth.login(student)
    answer = client.post(f"/courses/{course.slug}/enrol")
    assert answer.status_code in (302, 303)
    assert [name for name in rendered_templates if name.startswith("email/")] == []
    assert len(unrendered()) == 1


def test_enrolling_in_a_weekly_course_of_six_sessions_is_one_mail_and_withdrawing_one(
    small_course,
):
    course = small_course(sessions=6)
    student = factories.make_student()
    start = last_message_id()
    enrolment = services.enrol(student, course)
    (enrolled,) = [i for i in queued_invites(start) if i.recipient == student.email]
    assert enrolled.recipient == student.email and enrolled.method == "REQUEST"
    assert enrolled.event.rrule == "FREQ=WEEKLY;COUNT=6"
    assert len(enrolled.calendar.instances) == 6
    assert "Your place is confirmed" in enrolled.subject
    start = last_message_id()
    services.withdraw(student, enrolment)
    (withdrawn,) = [i for i in queued_invites(start) if i.recipient == student.email]
    assert withdrawn.method == "CANCEL" and withdrawn.event.uid == enrolled.event.uid
    assert withdrawn.event.sequence == enrolled.event.sequence + 1
    assert "withdrawal is confirmed" in withdrawn.subject
    # Coming back is one mail again, with a higher SEQUENCE still.
    start = last_message_id()
    services.enrol(student, course)
    (back,) = [i for i in queued_invites(start) if i.recipient == student.email]
    assert back.method == "REQUEST" and back.event.sequence == withdrawn.event.sequence + 1


def test_the_invitation_follows_what_the_person_chose_when_it_is_written(small_course):
    course = small_course()
    student = factories.make_student(language="da")
    student.discreet = True
    start = last_message_id()
    services.enrol(student, course)
    # Changed before the worker writes anything: the calendar entry shows the choice as it
    # is now, since that is what the college would send now.
    student.language = "en"
    student.discreet = False
    (invite,) = [i for i in queued_invites(start) if i.recipient == student.email]
    assert invite.event.summary == course.title
    assert "Details:" in invite.event.description


def test_a_sign_up_message_names_the_place_by_course_and_student(small_course):
    course = small_course()
    student = factories.make_student()
    student.discreet = False
    services.enrol(student, course)
    confirmation = next(m for m in unrendered() if m.calendar_method is None)
    assert confirmation.payload["course_id"] == course.id
    assert confirmation.payload["student_id"] == student.id
    assert "enrolment_id" not in confirmation.payload
    assert queueing.render_pending() >= 1
    assert course.title in confirmation.subject
    assert "confirmed" in confirmation.subject


def test_a_message_queued_with_the_enrolment_number_is_still_written(small_course):
    """Messages queued before they named the course and the student keep working."""
    course = small_course()
    student = factories.make_student()
    student.discreet = False
    enrolment = services.enrol(student, course)
    queueing.render_pending()
    queueing.enqueue_described(
        student.email,
        notices.RENDERER,
        {
            "enrolment_id": enrolment.id,
            "kind": "withdrawn",
            "language": "en",
            "discreet": False,
            "context": {},
        },
        summary=f"Enrolment {enrolment.id}: withdrawn",
    )
    assert queueing.render_pending() == 1
    legacy = db.session.get_one(OutboxMessage, last_message_id())
    assert legacy.subject == f"You have withdrawn: {course.title}"
    assert legacy.text_body


class RecordingTransport:
    def __init__(self) -> None:
        self.sent: list[int] = []

    def __enter__(self) -> RecordingTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, message: OutboxMessage) -> None:
        mime.build_mime(message)
        self.sent.append(message.id)


@pytest.fixture
def transport(monkeypatch: pytest.MonkeyPatch) -> RecordingTransport:
    recording = RecordingTransport()
    monkeypatch.setattr(delivery, "make_transport", lambda: recording)
    return recording


@pytest.fixture
def flaky(app: Flask) -> Iterator[dict[str, int]]:
    state = {"failures_left": 0, "calls": 0}

    def render(payload: dict[str, Any]) -> queueing.Rendered:
        state["calls"] += 1
        if payload.get("gone"):
            raise queueing.Undeliverable("nobody to write to")
        if state["failures_left"] > 0:
            state["failures_left"] -= 1
            raise RuntimeError("template exploded")
        return queueing.Rendered(f"Hello {payload['n']}", "Body", "<p>Body</p>")

    queueing.register_renderer(app, "tests.flaky", render)
    yield state
    queueing.renderers(app).pop("tests.flaky")


def test_a_renderer_that_fails_is_retried_with_backoff_and_sent_once(
    flaky, transport: RecordingTransport, client, auth
):
    flaky["failures_left"] = 1
    queueing.enqueue_described(
        "someone@example.org", "tests.flaky", {"n": 1}, summary="Test message 1"
    )
    message = db.session.get_one(OutboxMessage, last_message_id())
    moment = now_utc()
    report = delivery.deliver_due(now=moment)
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    assert transport.sent == []
    db.session.refresh(message)
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.text_body is None
    assert "RuntimeError: template exploded" in (message.last_error or "")
    assert message.next_attempt_at == moment + delivery.backoff_delay(1)
    assert message in summaries.failing_messages()
    admin = factories.make_admin()
    db.session.commit()
    auth.login(admin)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "someone@example.org" in page and "template exploded" in page
    assert "not written yet" in page
    # Not due again before the backoff has passed; then written and sent, once.
    assert delivery.deliver_due(now=moment + timedelta(seconds=30)).sent == 0
    later = moment + timedelta(minutes=2)
    assert delivery.deliver_due(now=later).sent == 1
    assert delivery.deliver_due(now=later + timedelta(hours=7)).sent == 0
    assert transport.sent == [message.id]
    db.session.refresh(message)
    assert (message.status, message.subject, message.last_error) == (
        OutboxStatus.SENT,
        "Hello 1",
        None,
    )
    assert flaky["calls"] == 2


def test_a_renderer_that_keeps_failing_gives_up_and_nothing_is_sent(
    app: Flask, flaky, transport: RecordingTransport, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    flaky["failures_left"] = 100
    queueing.enqueue_described("a@example.org", "tests.flaky", {"n": 1}, summary="Failing")
    queueing.enqueue_described("b@example.org", "tests.flaky", {"gone": True}, summary="Gone")
    queueing.enqueue_described("c@example.org", "tests.nobody", {}, summary="Unknown renderer")
    db.session.flush()
    moment = now_utc()
    for _ in range(3):
        delivery.deliver_due(now=moment)
        moment += timedelta(hours=7)
    rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.status, r.attempts) for r in rows] == [
        (OutboxStatus.FAILED, 3),
        (OutboxStatus.FAILED, 1),
        (OutboxStatus.FAILED, 3),
    ]
    assert "Undeliverable" in (rows[1].last_error or "")
    assert "tests.nobody" in (rows[2].last_error or "")
    assert transport.sent == []
    assert set(summaries.failing_messages()) == set(rows)
    # An admin's retry puts it back; once the renderer works it goes out exactly once.
    flaky["failures_left"] = 0
    delivery.retry_message(rows[0])
    db.session.commit()
    assert delivery.deliver_due(now=moment).sent == 1
    assert delivery.deliver_due(now=moment + timedelta(hours=7)).sent == 0
    assert transport.sent == [rows[0].id]
