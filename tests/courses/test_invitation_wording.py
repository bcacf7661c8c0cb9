"""What an invitation asks of its reader: no reply, and where to say "I cannot come"."""

from __future__ import annotations

import icalendar
import pytest

from college.models import User
from courses import services
from courses.enrolment import services as enrolment_services
from tests import factories
from tests.courses.invite_mail import Invite, last_message_id, queued_invites

NOT_BY_REPLY = "Answering this invitation in your calendar app does not tell us anything."


def vevent_of(invite: Invite) -> icalendar.Event:
    (part,) = [p for p in invite.mime.walk() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]


def html_of(invite: Invite) -> str:
    return invite.mime.get_body(("html",)).get_content()


@pytest.fixture
def invited(admin: User, peer: User, trainer: User) -> tuple[list[Invite], User]:
    course = factories.make_course(pair=(peer, trainer))
    factories.make_session(course, peers=(peer,), professionals=(trainer,))
    start = last_message_id()
    services.publish_course(admin, course)
    student = factories.make_student()
    student.discreet = False
    enrolment_services.enrol(student, course)
    return queued_invites(start), student


def test_an_invitation_asks_for_no_reply_and_says_where_to_tell_us(invited, peer, trainer):
    sent, student = invited
    requests = [i for i in sent if i.method == "REQUEST"]
    assert {i.recipient for i in requests} >= {peer.email, student.email}
    for invite in requests:
        attendee = vevent_of(invite)["ATTENDEE"]
        assert attendee.params["RSVP"] == "FALSE"
        teaches = invite.recipient in (peer.email, trainer.email)
        place = "/peers/schedule" if teaches else "/me/courses"
        assert NOT_BY_REPLY in invite.text and place in invite.text
        assert NOT_BY_REPLY in html_of(invite) and f'href="http://college.test{place}"' in (
            html_of(invite)
        )
        description = str(vevent_of(invite)["DESCRIPTION"])
        assert NOT_BY_REPLY in description and place in description


def test_a_discreet_persons_invitation_is_private_and_an_open_persons_is_not(invited, peer):
    sent, student = invited
    assert peer.discreet and not student.discreet
    assert {i.recipient for i in sent} >= {peer.email, student.email}
    for invite in sent:
        expected = None if invite.recipient == student.email else "PRIVATE"
        assert vevent_of(invite).get("CLASS") == expected, invite.recipient


def test_the_danish_invitation_says_it_in_danish(admin: User, peer: User, trainer: User):
    peer.language = "da"
    course = factories.make_course(pair=(peer, trainer))
    factories.make_session(course, peers=(peer,), professionals=(trainer,))
    start = last_message_id()
    services.publish_course(admin, course)
    (invite,) = [i for i in queued_invites(start) if i.recipient == peer.email]
    assert NOT_BY_REPLY not in invite.text
    assert "kalender-app, får vi ikke besked" in invite.text and "/peers/schedule" in invite.text
