"""Replies calendar apps send anyway, read from a real IMAP server (dovecot) and acted on once.

The replies are written the way Outlook and Gmail write them: METHOD:REPLY, one VEVENT with
the invitation's UID, one ATTENDEE with its PARTSTAT; Outlook inline in a
multipart/alternative with Windows time zone names, Gmail inline and attached as invite.ics.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import timedelta
from email.utils import make_msgid

import pytest
import sqlalchemy as sa
from flask import Flask

from college import inbox
from college.db import now_utc
from college.extensions import db
from college.models import OutboxMessage, ReceivedMail, User
from college.outbox import queueing
from college.signals import extension_points
from courses import invites
from courses.enrolment import services as enrolment_services
from courses.enrolment.models import Attendance, AttendanceStatus, Enrolment, EnrolmentStatus
from courses.models import Course, CourseSession
from peers.models import Absence, CoverRequest
from tests import factories
from tests.imap_server import ImapServer, running_dovecot

DONE = "Processed"


@pytest.fixture(scope="module")
def imap() -> Iterator[ImapServer]:
    with running_dovecot() as server:
        yield server


@pytest.fixture
def mailbox(app: Flask, imap: ImapServer, monkeypatch: pytest.MonkeyPatch) -> ImapServer:
    """The college reads the test server's mailbox; it starts empty."""
    settings = {
        "INBOX_HOST": imap.host,
        "INBOX_PORT": imap.port,
        "INBOX_USERNAME": imap.username,
        "INBOX_PASSWORD": imap.password,
        "INBOX_SSL": False,
        "INBOX_STARTTLS": False,
        "INBOX_FOLDER": "INBOX",
        "INBOX_DONE_FOLDER": DONE,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    assert imap.count("INBOX") == 0
    return imap


@pytest.fixture
def upcoming(peer: User, trainer: User) -> Course:
    course = factories.make_published_course(
        peer=peer,
        trainer=trainer,
        # Whole minutes, as a session's times are: a RECURRENCE-ID names the instant exactly.
        first_start=now_utc().replace(second=0, microsecond=0) + timedelta(days=4),
        title="Voices",
    )
    db.session.commit()
    return course


def ics_time(session: CourseSession) -> str:
    return session.starts_at.strftime("%Y%m%dT%H%M%SZ")


def outlook_reply(
    sender: User, uid: str, partstat: str, session: CourseSession, **kw: str
) -> bytes:
    """A reply as Outlook (Exchange) writes it: inline calendar, base64, MAILTO in capitals."""
    attendee = kw.get("attendee", sender.email)
    calendar = (
        "BEGIN:VCALENDAR\r\n"
        "METHOD:REPLY\r\n"
        "PRODID:Microsoft Exchange Server 2010\r\n"
        "VERSION:2.0\r\n"
        "BEGIN:VTIMEZONE\r\nTZID:Romance Standard Time\r\n"
        "BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\n"
        "TZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\n"
        "END:STANDARD\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\n"
        "TZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r\n"
        "END:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
        "BEGIN:VEVENT\r\n"
        f"ATTENDEE;PARTSTAT={partstat};CN={sender.display_name}:MAILTO:{attendee.upper()}\r\n"
        "COMMENT;LANGUAGE=en-GB:\\n\r\n"
        f"SUMMARY;LANGUAGE=en-GB:{partstat.title()}: Course session\r\n"
        f"DTSTART:{ics_time(session)}\r\n"
        f"UID:{uid}\r\n"
        + (f"RECURRENCE-ID:{ics_time(session)}\r\n" if kw.get("one_week") else "")
        + "CLASS:PUBLIC\r\nPRIORITY:5\r\n"
        "DTSTAMP:20301001T101010Z\r\nTRANSP:OPAQUE\r\nSTATUS:CONFIRMED\r\nSEQUENCE:0\r\n"
        "X-MICROSOFT-CDO-APPT-SEQUENCE:0\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    encoded = base64.encodebytes(calendar.encode()).decode()
    message_id = kw.get("message_id", make_msgid(domain="outlook.example"))
    return (
        f"From: {sender.display_name} <{kw.get('from_address', sender.email)}>\r\n"
        "To: Recovery College <college@recovery-college.example>\r\n"
        f"Subject: {partstat.title()}: Course session\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="_000_outlook_"\r\n'
        "\r\n--_000_outlook_\r\n"
        'Content-Type: text/plain; charset="us-ascii"\r\n\r\n'
        f"{partstat.title()}\r\n"
        "\r\n--_000_outlook_\r\n"
        'Content-Type: text/calendar; charset="utf-8"; method=REPLY\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{encoded}"
        "\r\n--_000_outlook_--\r\n"
    ).encode()


def gmail_reply(sender: User, uid: str, partstat: str, session: CourseSession) -> bytes:
    """A reply as Gmail writes it: the calendar inline and again as invite.ics."""
    calendar = (
        "BEGIN:VCALENDAR\r\n"
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
        "VERSION:2.0\r\nCALSCALE:GREGORIAN\r\nMETHOD:REPLY\r\n"
        "BEGIN:VEVENT\r\n"
        f"DTSTART:{ics_time(session)}\r\n"
        "DTSTAMP:20301001T101010Z\r\n"
        "ORGANIZER;CN=Recovery College:mailto:college@recovery-college.example\r\n"
        f"UID:{uid}\r\n"
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT="
        f"{partstat};CN={sender.display_name};X-NUM-GUESTS=0:mailto:{sender.email}\r\n"
        "SEQUENCE:0\r\nSTATUS:CONFIRMED\r\nSUMMARY:Course session\r\nTRANSP:OPAQUE\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    encoded = base64.encodebytes(calendar.encode()).decode()
    return (
        f"From: {sender.display_name} <{sender.email}>\r\n"
        "To: college@recovery-college.example\r\n"
        f"Subject: {partstat.title()}: Course session\r\n"
        f"Message-ID: {make_msgid(domain='mail.gmail.example')}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="mixed"\r\n'
        '\r\n--mixed\r\nContent-Type: multipart/alternative; boundary="alt"\r\n'
        '\r\n--alt\r\nContent-Type: text/plain; charset="UTF-8"\r\n\r\nDeclined\r\n'
        '\r\n--alt\r\nContent-Type: text/calendar; charset="UTF-8"; method=REPLY\r\n'
        "Content-Transfer-Encoding: 7bit\r\n\r\n"
        f"{calendar}"
        "\r\n--alt--\r\n"
        '\r\n--mixed\r\nContent-Type: application/ics; name="invite.ics"\r\n'
        'Content-Disposition: attachment; filename="invite.ics"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{encoded}"
        "\r\n--mixed--\r\n"
    ).encode()


def absences_of(person: User) -> list[Absence]:
    return list(db.session.scalars(sa.select(Absence).where(Absence.user_id == person.id)))


def test_a_teachers_decline_in_outlook_is_i_cant_make_it(mailbox: ImapServer, upcoming, peer):
    session = upcoming.sessions[1]
    mailbox.deliver(outlook_reply(peer, session.uid, "DECLINED", session))
    report = inbox.receive_mail()
    assert report is not None and report.outcomes == {"acted_on": 1}
    (absence,) = absences_of(peer)
    assert (absence.starts_at, absence.ends_at) == (session.starts_at, session.ends_at)
    requests = db.session.scalars(
        sa.select(CoverRequest).where(CoverRequest.session_id == session.id)
    ).all()
    assert [r.absent_user_id for r in requests] == [peer.id]
    told = db.session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.recipient == peer.email, OutboxMessage.renderer == "peers.mail"
        )
    ).all()
    assert [m.payload["template"] for m in told] == ["declined_session"]

    queueing.render_pending()
    db.session.refresh(told[0])
    assert "take it back on your schedule" in told[0].text_body
    assert "http://college.test/peers/schedule" in told[0].text_body
    assert "Voices" not in told[0].subject
    assert (mailbox.count("INBOX"), mailbox.count(DONE)) == (0, 1)


def test_a_teachers_decline_of_one_week_of_a_weekly_invitation_is_i_cant_make_it(
    mailbox: ImapServer, upcoming, peer
):
    session = upcoming.sessions[1]
    uid = invites.series_uid(upcoming.id)  # the UID of the weekly invitation the peer holds
    mailbox.deliver(outlook_reply(peer, uid, "DECLINED", session, one_week="yes"))
    report = inbox.receive_mail()
    assert report is not None and report.outcomes == {"acted_on": 1}
    (absence,) = absences_of(peer)
    assert (absence.starts_at, absence.ends_at) == (session.starts_at, session.ends_at)


@pytest.mark.parametrize(
    "uid",
    [
        "course-{id}-weekly@elsewhere.example",
        "course-{id}x-weekly@{domain}",
        "course-99999999999999999999-weekly@{domain}",
        "course--weekly@{domain}",
        "course-{id}-weekly@{domain}.example",
    ],
)
def test_replies_to_uids_that_only_look_like_a_weekly_invitation_are_unknown(
    app: Flask, mailbox: ImapServer, upcoming, peer, uid: str
):
    session = upcoming.sessions[1]
    forged = uid.format(id=upcoming.id, domain=app.config["COLLEGE_DOMAIN"])
    mailbox.deliver(outlook_reply(peer, forged, "DECLINED", session, one_week="yes"))
    report = inbox.receive_mail()
    assert report is not None and report.outcomes == {"unknown_uid": 1}
    assert absences_of(peer) == []


def test_a_students_decline_in_gmail_sends_apologies_for_that_session(
    mailbox: ImapServer, upcoming
):
    student = factories.make_student(name="Sif Student")
    enrolment_services.enrol(student, upcoming)
    db.session.commit()
    session = upcoming.sessions[2]
    mailbox.deliver(gmail_reply(student, session.uid, "DECLINED", session))
    report = inbox.receive_mail()
    assert report is not None and report.outcomes == {"acted_on": 1}
    marks = db.session.scalars(
        sa.select(Attendance).where(Attendance.student_id == student.id)
    ).all()
    assert [(m.session_id, m.status) for m in marks] == [(session.id, AttendanceStatus.APOLOGIES)]
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.student_id == student.id))
    assert enrolment.status == EnrolmentStatus.ENROLLED


def test_declining_a_whole_series_asks_the_student_and_never_withdraws(
    app: Flask, mailbox: ImapServer, upcoming
):
    student = factories.make_student()
    enrolment_services.enrol(student, upcoming)
    db.session.commit()
    series_uid = f"course-{upcoming.id}@recovery-college.example"
    lookups = extension_points(app).series_lookups

    def lookup(uid: str) -> Course | None:
        return upcoming if uid == series_uid else None

    lookups.append(lookup)
    try:
        mailbox.deliver(outlook_reply(student, series_uid, "DECLINED", upcoming.sessions[0]))
        report = inbox.receive_mail()
    finally:
        lookups.remove(lookup)
    assert report is not None and report.outcomes == {"acted_on": 1}
    asked = db.session.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.recipient == student.email,
            OutboxMessage.renderer == "courses.enrolment_notice",
        )
    ).all()
    assert [m.payload["kind"] for m in asked][-1] == "declined_series"
    enrolment = db.session.scalar(sa.select(Enrolment).where(Enrolment.student_id == student.id))
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0


@pytest.mark.parametrize("partstat", ["ACCEPTED", "TENTATIVE"])
def test_accepting_changes_nothing(mailbox: ImapServer, upcoming, peer, partstat: str):
    session = upcoming.sessions[0]
    mailbox.deliver(gmail_reply(peer, session.uid, partstat, session))
    report = inbox.receive_mail()
    assert report is not None and report.outcomes == {"nothing_to_do": 1}
    assert absences_of(peer) == []
    assert (mailbox.count("INBOX"), mailbox.count(DONE) >= 1) == (0, True)


def test_forged_and_foreign_replies_are_ignored_and_logged_without_personal_data(
    mailbox: ImapServer, upcoming, peer, trainer, caplog: pytest.LogCaptureFixture
):
    session = upcoming.sessions[0]
    stranger = factories.make_student(name="Eve Stranger", email="eve@example.org")
    db.session.commit()
    forged = [
        # Someone else's address in ATTENDEE, sent from the forger's own address.
        outlook_reply(stranger, session.uid, "DECLINED", session, attendee=peer.email),
        # The teacher's ATTENDEE, but sent from another address.
        outlook_reply(peer, session.uid, "DECLINED", session, from_address="eve@example.org"),
        # A UID the college never sent.
        outlook_reply(peer, "not-ours@example.org", "DECLINED", session),
        # A session of a course the sender has nothing to do with.
        gmail_reply(stranger, session.uid, "DECLINED", session),
        # An address with no account.
        outlook_reply(
            factories.make_student(email="gone@example.org"),
            session.uid,
            "DECLINED",
            session,
            from_address="nobody@example.org",
            attendee="nobody@example.org",
        ),
        # Not a calendar reply at all.
        b"From: eve@example.org\r\nSubject: hello\r\nMessage-ID: <x@y>\r\n\r\nHi there\r\n",
    ]
    for raw in forged:
        mailbox.deliver(raw)
    with caplog.at_level(logging.INFO, logger="college.inbox"):
        report = inbox.receive_mail()
    assert report is not None and report.read == len(forged)
    assert "acted_on" not in report.outcomes
    assert report.outcomes == {
        "not_from_attendee": 2,
        "unknown_uid": 2,
        "unknown_person": 1,
        "not_a_reply": 1,
    }
    assert absences_of(peer) == [] and absences_of(trainer) == []
    logged = caplog.text
    assert logged.count("received mail") == len(forged)
    for secret in ("eve@", peer.email, "Eve", "Pia", session.uid, "nobody@"):
        assert secret not in logged
    assert (mailbox.count("INBOX"), mailbox.count(DONE) >= len(forged)) == (0, True)


def test_each_message_is_acted_on_once(mailbox: ImapServer, upcoming, peer):
    session = upcoming.sessions[0]
    message_id = make_msgid(domain="outlook.example")
    reply = outlook_reply(peer, session.uid, "DECLINED", session, message_id=message_id)
    mailbox.deliver(reply)
    mailbox.deliver(reply)  # delivered twice, as happens
    first = inbox.receive_mail()
    assert first is not None and (first.read, first.seen_before) == (2, 1)
    mailbox.deliver(reply, folder="INBOX")
    second = inbox.receive_mail()
    assert second is not None and (second.read, second.seen_before) == (1, 1)
    assert len(absences_of(peer)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReceivedMail)) == 1
    assert mailbox.count("INBOX") == 0


def test_the_command_reads_the_mailbox_and_is_off_by_default(
    app: Flask, runner, mailbox: ImapServer, upcoming, peer, monkeypatch: pytest.MonkeyPatch
):
    session = upcoming.sessions[0]
    mailbox.deliver(gmail_reply(peer, session.uid, "ACCEPTED", session))
    result = runner.invoke(args=["college", "receive-mail"])
    assert result.exit_code == 0, result.output
    assert "read 1" in result.output and "nothing_to_do 1" in result.output
    monkeypatch.setitem(app.config, "INBOX_HOST", "")
    off = runner.invoke(args=["college", "receive-mail"])
    assert off.exit_code != 0 and "INBOX_HOST" in off.output
