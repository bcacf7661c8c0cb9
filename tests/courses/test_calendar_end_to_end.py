"""Invitations end to end: services → outbox → a real SMTP server → three calendar parsers."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from college import services as college_services
from college.extensions import db
from college.models import Programme, User
from college.outbox import delivery
from courses import feeds
from courses import services as course_services
from courses.enrolment import services as enrolment_services
from tests import factories
from tests.calendar_checks import check_calendar
from tests.college.test_smtp import SmtpServer, smtp  # noqa: F401 - the fixture
from tests.courses.invite_mail import Invite, assert_sequences_rise, read_invites


def delivered(server: SmtpServer, start: int) -> list[Invite]:
    report = delivery.deliver_due()
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
    _first, second, third = course.sessions
    student = factories.make_student(name="Åse Ærø")

    # Enrol: one mail, the confirmation, carrying the weekly invitation.
    enrolment = enrolment_services.enrol(student, course)
    delivery.deliver_due()
    to_student = [m for m in smtp.inbox.messages if m["To"] == student.email]
    assert len(to_student) == 1
    (enrolled,) = read_invites(to_student)  # type: ignore[arg-type]
    series = enrolled.event.uid
    assert (enrolled.method, enrolled.event.sequence) == ("REQUEST", 0)
    assert enrolled.event.rrule == "FREQ=WEEKLY;COUNT=3"
    assert [i[2] for i in enrolled.calendar.instances] == [s.starts_at for s in course.sessions]
    assert enrolled.subject == "Your place is confirmed — Recovery College"

    # An administrator reschedules one session: the same UID, a higher SEQUENCE, an override.
    mark = len(smtp.inbox.messages)
    was = second.starts_at
    later = was + timedelta(days=1)
    course_services.reschedule_session(admin, second, later, later + timedelta(hours=2), None)
    moved = delivered(smtp, mark)
    assert sorted(i.recipient for i in moved) == sorted([student.email, peer.email, trainer.email])
    assert all((i.method, i.event.uid) == ("REQUEST", series) for i in moved)
    for invite in moved:
        (override,) = invite.overrides
        assert (override.recurrence_id, override.starts_at) == (was, later)
    assert [i.event.sequence for i in moved if i.recipient == student.email] == [1]

    # Withdraw: one mail, the confirmation of it, carrying the CANCEL of the series.
    mark = len(smtp.inbox.messages)
    enrolment_services.withdraw(student, enrolment)
    (cancel,) = [i for i in delivered(smtp, mark) if i.recipient == student.email]
    assert (cancel.method, cancel.event.uid, cancel.event.status) == ("CANCEL", series, "CANCELLED")
    assert cancel.event.sequence == 2 and cancel.event.recurrence_id is None

    # A teacher is replaced in one week: the newcomer is invited to it, the one replaced is
    # removed from that week alone, and the co-teacher's entry shows the new name.
    mark = len(smtp.inbox.messages)
    newcomer = factories.make_peer(name="Nina New", programmes=(Programme.FIVE_DAY,))
    course_services.set_session_facilitators(admin, third, [newcomer], [trainer])
    swapped = delivered(smtp, mark)
    assert sorted((i.recipient, i.method) for i in swapped) == sorted(
        [(newcomer.email, "REQUEST"), (peer.email, "CANCEL"), (trainer.email, "REQUEST")]
    )
    (removed,) = [i for i in swapped if i.recipient == peer.email]
    assert (removed.event.uid, removed.event.recurrence_id) == (series, third.starts_at)
    assert "Removed from this session" in removed.subject
    (joined,) = [i for i in swapped if i.recipient == newcomer.email]
    assert joined.event.uid == third.uid and joined.event.starts_at == third.starts_at

    # Across everything one person received, each invitation's SEQUENCE only ever rose.
    assert_sequences_rise(read_invites(smtp.inbox.messages))  # type: ignore[arg-type]


def test_leaving_and_coming_back_in_one_round_sends_what_is_true_at_the_end(
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
    delivery.deliver_due()
    mine = read_invites([m for m in smtp.inbox.messages if m["To"] == student.email])  # type: ignore[misc]
    # Three mails about the place; the calendar needs one invitation, and gets one.
    assert [(i.method, i.event.sequence) for i in mine] == [("REQUEST", 0)]


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
