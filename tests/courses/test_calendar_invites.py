"""Invitations to facilitators: REQUEST and CANCEL per session, per person, in their language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from college.db import now_utc
from college.extensions import db
from college.models import Programme, User
from courses import invites, services
from courses.models import CourseSession, CourseStatus
from tests import factories
from tests.courses.invite_mail import assert_sequences_rise, last_message_id, queued_invites


def draft_course(peer: User, trainer: User, sessions: int = 3, **kwargs: object):
    course = factories.make_course(pair=(peer, trainer), **kwargs)  # type: ignore[arg-type]
    for week in range(sessions):
        factories.make_session(
            course,
            starts_at=factories.FIRST_SESSION + timedelta(weeks=week),
            peers=(peer,),
            professionals=(trainer,),
        )
    db.session.expire(course, ["sessions"])
    return course


@pytest.fixture
def published(admin: User, peer: User, trainer: User):
    peer.discreet = False
    course = draft_course(peer, trainer, title="Hope, recovery; and you")
    start = last_message_id()
    services.publish_course(admin, course)
    return course, start


def test_publishing_invites_each_facilitator_to_each_session(published, peer, trainer):
    course, start = published
    sent = queued_invites(start)
    assert len(sent) == 2 * 3
    assert {(i.recipient, i.event.uid) for i in sent} == {
        (person.email, session.uid) for person in (peer, trainer) for session in course.sessions
    }
    assert all(i.method == "REQUEST" and i.event.sequence == 0 for i in sent)
    to_peer = [i for i in sent if i.recipient == peer.email]
    assert [i.subject.split(":")[0] for i in to_peer] == [
        "Session 1 of 3",
        "Session 2 of 3",
        "Session 3 of 3",
    ]
    assert "Hope, recovery; and you" in to_peer[0].subject
    assert to_peer[0].event.summary == "Hope, recovery; and you"
    assert "Tom Trainer" in to_peer[0].text
    assert to_peer[0].event.starts_at == course.sessions[0].starts_at


def test_a_discreet_facilitator_gets_neutral_subjects_entries_and_bodies(admin, peer, trainer):
    assert trainer.discreet
    course = draft_course(peer, trainer, title="Understanding psychosis")
    start = last_message_id()
    services.publish_course(admin, course)
    to_trainer = [i for i in queued_invites(start) if i.recipient == trainer.email]
    assert to_trainer
    for invite in to_trainer:
        for text in (invite.subject, invite.event.summary, invite.event.description, invite.text):
            assert "psychosis" not in text
            assert course.slug not in text
        assert invite.event.summary == "Course session — Recovery College"
        assert "Course session — Recovery College" in invite.subject


def test_a_reschedule_sends_the_full_request_again_with_a_higher_sequence(
    published, admin, peer, trainer
):
    course, start = published
    session = course.sessions[1]
    later = session.starts_at + timedelta(days=1)
    services.reschedule_session(admin, session, later, later + timedelta(hours=2), session.venue)
    sent = queued_invites(start)
    changed = [i for i in sent if i.event.uid == session.uid and i.event.sequence == 1]
    assert {i.recipient for i in changed} == {peer.email, trainer.email}
    assert all(i.method == "REQUEST" and i.event.starts_at == later for i in changed)
    assert all(i.subject.startswith("Changed: session 2 of 3") for i in changed)
    assert_sequences_rise(sent)


def test_a_replaced_facilitator_gets_cancel_and_the_new_one_request(published, admin, trainer):
    course, start = published
    session = course.sessions[0]
    old_peer = session.people("peer")[0]
    new_peer = factories.make_peer(name="Nina New", programmes=(Programme.FIVE_DAY,))
    services.set_session_facilitators(admin, session, [new_peer], [trainer])
    sent = [i for i in queued_invites(start) if i.event.uid == session.uid]
    to_new = [i for i in sent if i.recipient == new_peer.email]
    to_old = [i for i in sent if i.recipient == old_peer.email]
    assert [i.method for i in to_new] == ["REQUEST"]
    assert [i.method for i in to_old] == ["REQUEST", "CANCEL"]
    assert to_old[-1].event.status == "CANCELLED"
    assert to_new[0].event.sequence == to_old[-1].event.sequence == 1
    # Nobody else hears about it: the trainer still teaches the session as before.
    assert [i.method for i in sent if i.recipient == trainer.email] == ["REQUEST"]
    assert_sequences_rise(queued_invites(start))


def test_cancelling_a_session_or_the_course_cancels_in_every_calendar(
    published, admin, peer, trainer
):
    course, start = published
    first = course.sessions[0]
    services.cancel_session(admin, first)
    services.cancel_course(admin, course)
    sent = queued_invites(start)
    cancels = [i for i in sent if i.method == "CANCEL"]
    assert {(i.recipient, i.event.uid) for i in cancels} == {
        (person.email, session.uid) for person in (peer, trainer) for session in course.sessions
    }
    assert all(i.event.status == "CANCELLED" and i.event.sequence == 1 for i in cancels)
    assert all(i.subject.startswith("Cancelled: session") for i in cancels)
    assert_sequences_rise(sent)


def test_an_added_session_invites_its_facilitators(published, admin, peer, trainer):
    course, start = published
    new = services.add_session(
        admin,
        course,
        factories.FIRST_SESSION + timedelta(weeks=5),
        factories.FIRST_SESSION + timedelta(weeks=5, hours=2),
    )
    sent = [i for i in queued_invites(start) if i.event.uid == new.uid]
    assert {i.recipient for i in sent} == {peer.email, trainer.email}
    assert all(i.subject.startswith("Session 4 of 4") for i in sent)


def test_past_sessions_are_left_alone(admin, peer, trainer):
    course = draft_course(peer, trainer, sessions=0)
    factories.make_session(
        course, starts_at=now_utc() - timedelta(days=3), peers=(peer,), professionals=(trainer,)
    )
    factories.make_session(
        course, starts_at=now_utc() + timedelta(days=3), peers=(peer,), professionals=(trainer,)
    )
    db.session.expire(course, ["sessions"])
    course.status = CourseStatus.PUBLISHED
    start = last_message_id()
    invites.on_course_change(course, services.CourseChange.PUBLISHED)
    assert {i.event.uid for i in queued_invites(start)} == {course.sessions[1].uid}


def test_invitations_speak_the_recipients_language(admin, peer, trainer):
    trainer.language = "da"
    course = draft_course(peer, trainer, sessions=1)
    start = last_message_id()
    services.publish_course(admin, course)
    (danish,) = [i for i in queued_invites(start) if i.recipient == trainer.email]
    (english,) = [i for i in queued_invites(start) if i.recipient == peer.email]
    # 10 September 2030 is a Tuesday: the day's name is written in each person's language.
    assert "tirsdag" in danish.text and "Tuesday" not in danish.text
    assert "Tuesday" in english.text


def test_other_participants_are_invited_through_the_hook(app, published, admin):
    course, _start = published
    student = factories.make_student()
    invites.session_participants().append(lambda session: [student])
    try:
        start = last_message_id()
        session = course.sessions[2]
        later = session.starts_at + timedelta(hours=1)
        services.reschedule_session(admin, session, later, later + timedelta(hours=2), None)
    finally:
        invites.session_participants().pop()
    to_student = [i for i in queued_invites(start) if i.recipient == student.email]
    assert [(i.method, i.event.uid, i.event.sequence) for i in to_student] == [
        ("REQUEST", session.uid, 1)
    ]
    assert to_student[0].event.location == ""  # no venue any more


def test_leaving_and_coming_back_gives_strictly_rising_sequences(published):
    course, start = published
    session: CourseSession = course.sessions[0]
    student = factories.make_student()
    invites.send_request(session, student)
    invites.withdraw_from(session, student)
    invites.send_request(session, student)
    mine = [i for i in queued_invites(start) if i.recipient == student.email]
    assert [(i.method, i.event.sequence) for i in mine] == [
        ("REQUEST", 0),
        ("CANCEL", 1),
        ("REQUEST", 2),
    ]
    assert session.sequence == 2


def test_a_cancelled_session_is_never_requested_and_inactive_people_get_nothing(published):
    course, start = published
    session = course.sessions[0]
    student = factories.make_student()
    session.status = "cancelled"
    invites.send_request(session, student)
    student.active = False
    session.status = "scheduled"
    invites.send_request(session, student)
    assert [i for i in queued_invites(start) if i.recipient == student.email] == []


def test_invite_times_match_the_session_on_both_sides_of_the_clock_change(admin, peer, trainer):
    course = draft_course(peer, trainer, sessions=0)
    starts = [
        datetime(2030, 10, 26, 15, 0, tzinfo=UTC),  # Saturday, summer time
        datetime(2030, 10, 27, 9, 0, tzinfo=UTC),  # Sunday, winter time
        datetime(2031, 3, 29, 16, 0, tzinfo=UTC),  # Saturday, winter time
        datetime(2031, 3, 30, 8, 0, tzinfo=UTC),  # Sunday, summer time
    ]
    for moment in starts:
        factories.make_session(course, starts_at=moment, peers=(peer,), professionals=(trainer,))
    db.session.expire(course, ["sessions"])
    start = last_message_id()
    services.publish_course(admin, course)
    to_peer = [i for i in queued_invites(start) if i.recipient == peer.email]
    assert [i.event.starts_at for i in to_peer] == starts
