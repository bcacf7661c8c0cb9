"""Invitations: what an entry shows is what was last sent, one invitation per weekly course."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from college.db import now_utc
from college.extensions import db
from college.models import Programme, User
from college.outbox import queueing
from courses import invites, services
from courses.invites import rounds
from courses.models import CalendarEntry, Course
from courses.services import VenueDetails
from tests import factories
from tests.courses.invite_mail import Invite, assert_sequences_rise, last_message_id, queued_invites

ZONE = ZoneInfo("Europe/Copenhagen")


def draft_course(peer: User, trainer: User, sessions: int = 3, **kwargs: object) -> Course:
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


def to(person: User, sent: list[Invite]) -> list[Invite]:
    return [i for i in sent if i.recipient == person.email]


def starts(invite: Invite) -> list[datetime]:
    return [start for _uid, _week, start, _end, _summary in invite.calendar.instances]


@pytest.fixture
def published(admin: User, peer: User, trainer: User):
    peer.discreet = False
    course = draft_course(peer, trainer, title="Hope, recovery; and you")
    services.publish_course(admin, course)
    queued_invites()  # the first round: everyone has their invitation
    return course, last_message_id()


def test_publishing_a_weekly_course_sends_each_teacher_one_recurring_invitation(
    admin, peer, trainer
):
    peer.discreet = False
    course = draft_course(peer, trainer, title="Hope, recovery; and you")
    start = last_message_id()
    services.publish_course(admin, course)
    sent = queued_invites(start)
    assert sorted(i.recipient for i in sent) == sorted([peer.email, trainer.email])
    (invite,) = to(peer, sent)
    assert invite.method == "REQUEST" and invite.event.sequence == 0
    assert invite.event.uid == invites.series_uid(course.id)
    assert invite.event.rrule == "FREQ=WEEKLY;COUNT=3"
    assert not invite.overrides and not invite.event.excluded
    assert starts(invite) == [s.starts_at for s in course.sessions]
    assert invite.subject.startswith("Invitation: Hope, recovery; and you, 3 sessions from")
    assert invite.event.summary == "Hope, recovery; and you"
    assert "Tom Trainer" in invite.text


def test_a_discreet_teacher_gets_neutral_subjects_entries_and_bodies(admin, peer, trainer):
    assert trainer.discreet
    course = draft_course(peer, trainer, title="Understanding psychosis")
    start = last_message_id()
    services.publish_course(admin, course)
    (invite,) = to(trainer, queued_invites(start))
    for text in (invite.subject, invite.event.summary, invite.event.description, invite.text):
        assert "psychosis" not in text
        assert course.slug not in text
    assert invite.event.summary == "Course session — Recovery College"


def test_a_second_round_with_nothing_changed_sends_nothing(published):
    _course, start = published
    assert queued_invites(start) == []


def test_a_moved_session_is_an_override_and_the_mail_says_old_and_new(
    published, admin, peer, trainer
):
    course, start = published
    session = course.sessions[1]
    was = session.starts_at
    later = was + timedelta(days=1)
    services.reschedule_session(admin, session, later, later + timedelta(hours=2), session.venue)
    sent = queued_invites(start)
    assert sorted(i.recipient for i in sent) == sorted([peer.email, trainer.email])
    (invite,) = to(peer, sent)
    assert invite.method == "REQUEST" and invite.event.sequence == 1
    (moved,) = invite.overrides
    assert moved.recurrence_id == was and moved.starts_at == later
    assert starts(invite) == [course.sessions[0].starts_at, later, course.sessions[2].starts_at]
    assert invite.subject.startswith("Changed: Hope, recovery; and you")
    assert "What changed" in invite.text
    assert "Before: Tuesday 17 September 2030, 17:00–19:00" in invite.text
    assert "Now: Wednesday 18 September 2030, 17:00–19:00" in invite.text
    assert_sequences_rise(queued_invites(start))


def test_changes_made_together_are_sent_together(published, admin, peer, trainer):
    course, start = published
    for session in course.sessions:
        later = session.starts_at + timedelta(hours=1)
        services.reschedule_session(admin, session, later, later + timedelta(hours=2), None)
    sent = queued_invites(start)
    assert sorted(i.recipient for i in sent) == sorted([peer.email, trainer.email])
    (invite,) = to(peer, sent)
    assert not invite.overrides  # all three moved alike: the rule itself moved
    assert starts(invite) == [s.starts_at for s in course.sessions]


def test_a_replaced_teacher_is_removed_and_everyone_else_sees_the_new_name(
    published, admin, peer, trainer
):
    course, start = published
    session = course.sessions[0]
    new_peer = factories.make_peer(name="Nina New", programmes=(Programme.FIVE_DAY,))
    student = factories.make_student()
    factories.make_enrolment(course, student)
    queued_invites(start)
    start = last_message_id()
    services.set_session_facilitators(admin, session, [new_peer], [trainer])
    sent = queued_invites(start)
    (to_old,) = to(peer, sent)
    assert to_old.method == "CANCEL"
    assert to_old.event.recurrence_id == session.starts_at  # that week only
    assert to_old.subject.startswith("Removed from this session:")
    assert "The session itself still takes place" in to_old.text
    (to_new,) = to(new_peer, sent)
    assert to_new.method == "REQUEST" and to_new.event.uid == session.uid
    assert "You teach this session with Tom Trainer" in to_new.event.description
    (to_trainer,) = to(trainer, sent)
    (week,) = to_trainer.overrides
    assert "Nina New" in week.description
    (to_student,) = to(student, sent)
    assert "Nina New" in to_student.overrides[0].description
    assert_sequences_rise(queued_invites())


def test_a_cancelled_session_and_a_cancelled_course_are_cancelled_in_every_calendar(
    published, admin, peer, trainer
):
    course, start = published
    first = course.sessions[0]
    services.cancel_session(admin, first)
    sent = queued_invites(start)
    for person in (peer, trainer):
        (invite,) = to(person, sent)
        assert invite.method == "CANCEL" and invite.event.recurrence_id == first.starts_at
        assert invite.subject.startswith("Cancelled: ")
        assert "it will not take place" in invite.text
    start = last_message_id()
    services.cancel_course(admin, course)
    sent = queued_invites(start)
    assert sorted(i.recipient for i in sent) == sorted([peer.email, trainer.email])
    assert all(i.method == "CANCEL" and i.event.recurrence_id is None for i in sent)
    assert all(i.event.uid == invites.series_uid(course.id) for i in sent)


def test_an_added_week_after_a_gap_keeps_one_series_with_the_gap_excluded(published, admin, peer):
    course, start = published
    services.add_session(
        admin,
        course,
        factories.FIRST_SESSION + timedelta(weeks=5),
        factories.FIRST_SESSION + timedelta(weeks=5, hours=2),
    )
    (invite,) = to(peer, queued_invites(start))
    assert invite.event.rrule == "FREQ=WEEKLY;COUNT=6"
    assert invite.event.excluded == tuple(
        factories.FIRST_SESSION + timedelta(weeks=w) for w in (3, 4)
    )
    assert len(starts(invite)) == 4


def test_an_irregular_course_has_one_invitation_per_session(admin, peer, trainer):
    course = draft_course(peer, trainer, sessions=0)
    for days in (0, 3, 11):
        factories.make_session(
            course,
            starts_at=factories.FIRST_SESSION + timedelta(days=days),
            peers=(peer,),
            professionals=(trainer,),
        )
    db.session.expire(course, ["sessions"])
    start = last_message_id()
    services.publish_course(admin, course)
    mine = to(peer, queued_invites(start))
    assert sorted(i.event.uid for i in mine) == sorted(s.uid for s in course.sessions)
    assert all(not i.event.rrule for i in mine)


def test_past_sessions_are_left_alone(admin, peer, trainer):
    course = draft_course(peer, trainer, sessions=0)
    factories.make_session(
        course, starts_at=now_utc() - timedelta(days=3), peers=(peer,), professionals=(trainer,)
    )
    ahead = factories.make_session(
        course, starts_at=now_utc() + timedelta(days=3), peers=(peer,), professionals=(trainer,)
    )
    db.session.expire(course, ["sessions"])
    start = last_message_id()
    services.publish_course(admin, course)
    (invite,) = to(peer, queued_invites(start))
    assert starts(invite) == [ahead.starts_at.replace(microsecond=0)]


def test_invitations_speak_the_recipients_language(admin, peer, trainer):
    trainer.language = "da"
    course = draft_course(peer, trainer, sessions=1)
    start = last_message_id()
    services.publish_course(admin, course)
    sent = queued_invites(start)
    (danish,) = to(trainer, sent)
    (english,) = to(peer, sent)
    # 10 September 2030 is a Tuesday: the day's name is written in each person's language.
    assert "tirsdag" in danish.text and "Tuesday" not in danish.text
    assert "Tuesday" in english.text


# --- changes no list of triggers names --------------------------------------------------------


def test_a_new_meeting_link_reaches_everyone_who_holds_the_course(admin, peer, trainer):
    room = factories.make_venue(
        name="Online room", is_online=True, meeting_link="https://meet.example.org/old-room"
    )
    course = draft_course(peer, trainer, venue=room)
    for session in course.sessions:
        session.venue = room
    services.publish_course(admin, course)
    queued_invites()
    start = last_message_id()
    details = VenueDetails(
        name=room.name, is_online=True, meeting_link="https://meet.example.org/new-room"
    )
    services.update_venue(admin, room, details)
    sent = queued_invites(start)
    assert sorted(i.recipient for i in sent) == sorted([peer.email, trainer.email])
    assert all("https://meet.example.org/new-room" in i.event.description for i in sent)
    assert all("Details" in i.text and "new-room" in i.text for i in sent)


def test_a_renamed_course_reaches_those_who_see_its_name_only(published, admin, peer, trainer):
    course, start = published
    course.title = "Hope and recovery"
    course.updated_at = now_utc()
    db.session.flush()
    sent = queued_invites(start)
    # The trainer is discreet: their entry shows no course name, so it has not changed.
    assert [i.recipient for i in sent] == [peer.email]
    assert sent[0].event.summary == "Hope and recovery"
    assert "Hope, recovery; and you" in sent[0].text  # the old title, beside the new one


@pytest.mark.parametrize("change", ["discreet", "language"])
def test_a_persons_own_setting_updates_their_entry_only(published, peer, change):
    _course, start = published
    if change == "discreet":
        peer.discreet = True
    else:
        peer.language = "da"
    db.session.flush()
    sent = queued_invites(start)
    assert [i.recipient for i in sent] == [peer.email]
    assert sent[0].method == "REQUEST" and sent[0].event.sequence == 1
    if change == "discreet":
        # Nothing of it names the course, not even as what the entry said before.
        for text in (sent[0].subject, sent[0].event.summary, sent[0].text):
            assert "Hope" not in text
    else:
        assert "Oplysninger:" in sent[0].event.description


def test_inactive_people_get_nothing(published, peer):
    _course, start = published
    peer.active = False
    peer.discreet = True
    db.session.flush()
    assert to(peer, queued_invites(start)) == []


def test_what_was_sent_is_recorded_per_person_and_session(published, peer):
    course, _start = published
    entries = db.session.scalars(
        sa.select(CalendarEntry).where(CalendarEntry.user_id == peer.id)
    ).all()
    assert sorted(e.session_id for e in entries) == sorted(s.id for s in course.sessions)
    assert {e.uid for e in entries} == {invites.series_uid(course.id)}
    assert all(e.digest and e.shown and e.shown["summary"] == course.title for e in entries)


def test_weekly_invitations_keep_the_local_time_across_both_clock_changes(admin, peer, trainer):
    course = draft_course(peer, trainer, sessions=0)
    # Tuesdays at 17:00 in Copenhagen from 15 October 2030 to 1 April 2031: summer time,
    # winter time from 27 October, summer time again from 30 March.
    moments = [
        datetime.combine(date(2030, 10, 15) + timedelta(weeks=w), time(17), ZONE).astimezone(UTC)
        for w in range(25)
    ]
    assert {m.hour for m in moments} == {15, 16}
    for moment in moments:
        factories.make_session(course, starts_at=moment, peers=(peer,), professionals=(trainer,))
    db.session.expire(course, ["sessions"])
    start = last_message_id()
    services.publish_course(admin, course)
    (invite,) = to(peer, queued_invites(start))
    assert invite.event.rrule == "FREQ=WEEKLY;COUNT=25"
    assert not invite.overrides and not invite.event.excluded
    assert starts(invite) == moments
    assert queueing.render_pending() == 0


def test_a_moved_and_a_cancelled_week_read_alike_in_three_parsers_across_both_clock_changes(
    admin, peer, trainer
):
    peer.discreet = False
    course = draft_course(peer, trainer, sessions=0)
    days = [date(2030, 10, 15) + timedelta(weeks=w) for w in range(27)]
    moments = [datetime.combine(d, time(17), ZONE).astimezone(UTC) for d in days]
    for moment in moments:
        factories.make_session(course, starts_at=moment, peers=(peer,), professionals=(trainer,))
    db.session.expire(course, ["sessions"])
    services.publish_course(admin, course)
    queued_invites()
    by_start = {s.starts_at: s for s in course.sessions}
    # The first Tuesday in winter time moves to Wednesday morning; the first in summer
    # time again (1 April 2031) is cancelled; both in one go.
    moved, cancelled = by_start[moments[2]], by_start[moments[24]]
    assert moments[2].hour == 16 and moments[24].hour == 15
    wednesday = datetime.combine(days[2] + timedelta(days=1), time(10), ZONE).astimezone(UTC)
    start = last_message_id()
    services.reschedule_session(
        admin, moved, wednesday, wednesday + timedelta(hours=2), moved.venue
    )
    services.cancel_session(admin, cancelled)
    # Read by icalendar with recurring-ical-events, vobject and ical.js, which must agree.
    (invite,) = to(peer, queued_invites(start))
    assert invite.method == "REQUEST"
    (override,) = invite.overrides
    assert (override.recurrence_id, override.starts_at) == (moments[2], wednesday)
    assert invite.event.excluded == (moments[24],)
    assert starts(invite) == [
        wednesday if m == moments[2] else m for m in moments if m != moments[24]
    ]
    # One more week cancelled alone: a CANCEL of that week, read alike too.
    start = last_message_id()
    services.cancel_session(admin, by_start[moments[25]])
    (week,) = to(peer, queued_invites(start))
    assert week.method == "CANCEL"
    assert [e.recurrence_id for e in week.events] == [moments[25]]


def test_the_worker_checks_calendars_again_only_after_a_write(app, published, peer, monkeypatch):
    _course, start = published
    monkeypatch.setitem(app.config, "CALENDAR_CHECK_ONLY_AFTER_WRITES", True)
    monkeypatch.delitem(rounds.reconciled_at, app, raising=False)
    checks: list[object] = []
    read = rounds.read_occurrences
    monkeypatch.setattr(rounds, "read_occurrences", lambda now: checks.append(now) or read(now))
    db.session.commit()
    queueing.render_pending()
    db.session.commit()
    queueing.render_pending()
    assert len(checks) == 1  # nothing was written in between
    peer.language = "da"
    db.session.commit()
    sent = queued_invites(start)
    assert len(checks) == 2
    assert [i.recipient for i in sent] == [peer.email]
