"""Invitations end to end: services → outbox → a real SMTP server → three calendar parsers."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from college import outbox
from college import services as college_services
from college.extensions import db
from college.models import Programme, User
from courses import feeds
from courses import services as course_services
from courses.enrolment import services as enrolment_services
from tests import factories
from tests.calendar_checks import check_calendar
from tests.college.test_smtp import SmtpServer, smtp  # noqa: F401 - the fixture
from tests.courses.invite_mail import Invite, assert_sequences_rise, read_invites


def delivered(server: SmtpServer, start: int) -> list[Invite]:
    report = outbox.deliver_due()
    assert report.failed == 0 and report.retrying == 0
    return read_invites(server.inbox.messages[start:])  # type: ignore[arg-type]


def test_enrol_reschedule_withdraw_and_replace_reach_calendars_over_smtp(
    smtp: SmtpServer,  # noqa: F811
    admin: User,
    peer: User,
    trainer: User,
):
    smtp.start()
    course = factories.make_published_course(peer=peer, trainer=trainer, title="Hope; together")
    first, second, third = course.sessions
    student = factories.make_student(name="Åse Ærø")

    # Enrol: one plain confirmation, then a REQUEST per session.
    enrolment = enrolment_services.enrol(student, course)
    outbox.deliver_due()
    to_student = [m for m in smtp.inbox.messages if m["To"] == student.email]
    assert len(to_student) == 4
    assert "text/calendar" not in {p.get_content_type() for p in to_student[0].walk()}
    enrolled = read_invites(to_student)  # type: ignore[arg-type]
    assert [(i.method, i.event.uid, i.event.sequence) for i in enrolled] == [
        ("REQUEST", s.uid, 0) for s in (first, second, third)
    ]
    assert enrolled[0].subject.startswith("Session 1 of 3: Course session — Recovery College")

    # An administrator reschedules one session: the same UID, a higher SEQUENCE.
    mark = len(smtp.inbox.messages)
    later = second.starts_at + timedelta(days=1)
    course_services.reschedule_session(admin, second, later, later + timedelta(hours=2), None)
    moved = delivered(smtp, mark)
    assert {i.recipient for i in moved} == {student.email, peer.email, trainer.email}
    assert all(
        (i.method, i.event.uid, i.event.sequence) == ("REQUEST", second.uid, 1) for i in moved
    )
    assert all(i.event.starts_at == later for i in moved)

    # Withdraw: a CANCEL for every session, each above what the student had before.
    mark = len(smtp.inbox.messages)
    enrolment_services.withdraw(student, enrolment)
    cancels = [i for i in delivered(smtp, mark) if i.recipient == student.email]
    assert [(i.method, i.event.uid, i.event.status) for i in cancels] == [
        ("CANCEL", s.uid, "CANCELLED") for s in (first, second, third)
    ]
    assert [i.event.sequence for i in cancels] == [1, 2, 1]

    # A facilitator is replaced: REQUEST to the new one, CANCEL to the one replaced.
    mark = len(smtp.inbox.messages)
    newcomer = factories.make_peer(name="Nina New", programmes=(Programme.FIVE_DAY,))
    course_services.set_session_facilitators(admin, third, [newcomer], [trainer])
    swapped = delivered(smtp, mark)
    assert sorted((i.recipient, i.method) for i in swapped) == sorted(
        [(newcomer.email, "REQUEST"), (peer.email, "CANCEL")]
    )
    assert all(i.event.uid == third.uid for i in swapped)
    assert {i.event.sequence for i in swapped} == {third.sequence}

    # Across everything one person received, each session's SEQUENCE only ever rose.
    assert_sequences_rise(read_invites(smtp.inbox.messages))  # type: ignore[arg-type]


def test_coming_back_after_withdrawing_gets_a_higher_sequence(
    smtp: SmtpServer,  # noqa: F811
    peer: User,
    trainer: User,
):
    smtp.start()
    course = factories.make_published_course(peer=peer, trainer=trainer, sessions=1)
    student = factories.make_student()
    enrolment = enrolment_services.enrol(student, course)
    enrolment_services.withdraw(student, enrolment)
    enrolment_services.enrol(student, course)
    outbox.deliver_due()
    mine = read_invites([m for m in smtp.inbox.messages if m["To"] == student.email])  # type: ignore[misc]
    assert [(i.method, i.event.sequence) for i in mine] == [
        ("REQUEST", 0),
        ("CANCEL", 1),
        ("REQUEST", 2),
    ]


def test_my_feed_holds_my_enrolled_sessions_and_loses_them_when_i_withdraw(
    client: FlaskClient, peer: User, trainer: User
):
    from tests.courses.test_calendar_feeds import soon

    course = factories.make_published_course(peer=peer, trainer=trainer, first_start=soon(10))
    other = factories.make_published_course(first_start=soon(11))
    student = factories.make_student()
    enrolment = enrolment_services.enrol(student, course)
    token = college_services.renew_calendar_token(student)
    db.session.commit()
    feed = check_calendar(client.get(f"/calendar/u/{token}.ics").data)
    assert set(feed.by_uid()) == {feeds.feed_uid(s.uid) for s in course.sessions}
    assert not set(feed.by_uid()) & {feeds.feed_uid(s.uid) for s in other.sessions}
    assert "Teachers:" in feed.events[0].description
    enrolment_services.withdraw(student, enrolment)
    db.session.commit()
    assert check_calendar(client.get(f"/calendar/u/{token}.ics").data).events == []
