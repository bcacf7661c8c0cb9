"""Erasing an account first takes that person's upcoming sessions out of their calendar."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from college import privacy
from college.db import now_utc
from college.extensions import db
from college.models import OutboxMessage, User
from courses import invites
from courses.enrolment import services as enrolment_services
from tests import factories
from tests.courses.invite_mail import last_message_id, queued_invites


def pending_to(address: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.recipient == address, OutboxMessage.sent_at.is_(None)
            )
        )
    )


def test_an_erased_student_gets_a_cancel_for_each_upcoming_session_and_nothing_else(
    peer: User, trainer: User
):
    peer.discreet = False
    course = factories.make_published_course(
        peer=peer,
        trainer=trainer,
        title="Hearing voices",
        first_start=now_utc() + timedelta(days=2),
    )
    student = factories.make_student(name="Sif Student", email="sif@example.org")
    student.discreet = False
    enrolment_services.enrol(student, course)
    queued_invites()  # the worker's round: the weekly invitation is in her calendar
    start = last_message_id()
    privacy.erase_person(None, student)
    cancels = queued_invites(start)
    mine = [i for i in cancels if i.recipient == "sif@example.org"]
    # One CANCEL of the weekly invitation takes every session out.
    assert {i.event.uid for i in mine} == {invites.series_uid(course.id)}
    assert {i.method for i in mine} == {"CANCEL"}
    for invite in mine:
        assert invite.subject.startswith("No longer in your calendar:")
        # The message outlives the account: no name, no course.
        for text in (invite.subject, invite.text, invite.event.summary, invite.event.description):
            assert "Sif" not in text and "Hearing voices" not in text
    # Only the CANCELs wait for the old address: the withdrawal notice is gone with the rest.
    assert {m.calendar_method for m in pending_to("sif@example.org")} == {"CANCEL"}


def test_an_erased_teacher_gets_a_cancel_for_each_session_still_ahead(trainer: User):
    leaving = factories.make_peer(name="Lone Leaving", email="lone@example.org")
    course = factories.make_published_course(
        peer=leaving, trainer=trainer, first_start=now_utc() - timedelta(days=8)
    )
    ahead = {s.uid for s in course.sessions if s.starts_at > now_utc()}
    assert ahead and len(ahead) < len(course.sessions)
    queued_invites()  # the worker's round: the session ahead is in their calendar
    start = last_message_id()
    privacy.erase_person(None, leaving)
    to_them = [i for i in queued_invites(start) if i.recipient == "lone@example.org"]
    assert {i.event.uid for i in to_them} == ahead
    assert all(i.method == "CANCEL" and "Lone" not in i.text for i in to_them)


def test_a_person_who_chose_the_feed_gets_no_cancels_on_erasure(peer: User, trainer: User):
    from college import services as college_services

    course = factories.make_published_course(
        peer=peer, trainer=trainer, first_start=now_utc() + timedelta(days=2)
    )
    student = factories.make_student(email="feed@example.org")
    enrolment_services.enrol(student, course)
    college_services.choose_calendar(student, "feed")
    start = last_message_id()
    privacy.erase_person(None, student)
    assert [i for i in queued_invites(start) if i.recipient == "feed@example.org"] == []
