"""Sessions: one at a time or weekly, in local time across DST; facilitators; sequences."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from college.extensions import db
from college.models import AuditEvent, Programme, Qualification, Role
from courses import services
from courses.models import CourseSession, CourseStatus, FacilitatorRole, SessionStatus
from courses.times import NonexistentLocalTime, to_local, to_utc
from tests import factories

# The clocks go back in Copenhagen on Sunday 27 October 2030 and forward on 31 March 2030.
AUTUMN_CHANGE = date(2030, 10, 27)


def test_local_times_become_utc_with_the_right_offset():
    assert to_utc(date(2030, 7, 1), time(17, 0)) == datetime(2030, 7, 1, 15, 0, tzinfo=UTC)
    assert to_utc(date(2030, 12, 1), time(17, 0)) == datetime(2030, 12, 1, 16, 0, tzinfo=UTC)


def test_a_time_skipped_in_spring_is_refused():
    with pytest.raises(NonexistentLocalTime):
        to_utc(date(2030, 3, 31), time(2, 30))


def test_a_time_that_happens_twice_in_autumn_means_the_first():
    moment = to_utc(AUTUMN_CHANGE, time(2, 30))
    assert moment == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)


def test_weekly_series_keeps_the_wall_clock_time_across_the_end_of_summer_time(
    admin, peer, trainer
):
    course = factories.make_course(pair=(peer, trainer))
    sessions = services.add_weekly_series(admin, course, date(2030, 10, 15), time(17, 0), 120, 4)
    local_starts = [to_local(s.starts_at) for s in sessions]
    assert [d.date() for d in local_starts] == [
        date(2030, 10, 15),
        date(2030, 10, 22),
        date(2030, 10, 29),
        date(2030, 11, 5),
    ]
    assert {d.time() for d in local_starts} == {time(17, 0)}
    utc_hours = [s.starts_at.astimezone(UTC).hour for s in sessions]
    assert utc_hours == [15, 15, 16, 16]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=120) for s in sessions)
    assert {s.local_weekday for s in sessions} == {1}  # Tuesday


def test_stored_times_come_back_aware_and_equal_on_both_engines(admin, peer, trainer):
    course = factories.make_course(pair=(peer, trainer))
    [session] = services.add_weekly_series(admin, course, date(2030, 11, 5), time(9, 0), 60, 1)
    session_id = session.id
    db.session.expire_all()
    loaded = db.session.get(CourseSession, session_id)
    assert loaded.starts_at == datetime(2030, 11, 5, 8, 0, tzinfo=UTC)
    assert loaded.starts_at.tzinfo is not None


def test_new_sessions_get_the_course_pair_and_usual_venue(admin, peer, trainer):
    venue = factories.make_venue()
    course = factories.make_course(pair=(peer, trainer), venue=venue)
    session = services.add_session(
        admin, course, factories.FIRST_SESSION, factories.FIRST_SESSION + timedelta(hours=2)
    )
    assert session.venue is venue
    assert {(f.user_id, f.role) for f in session.facilitators} == {
        (peer.id, "peer"),
        (trainer.id, "professional"),
    }
    assert session.sequence == 0
    assert session.uid.startswith("session-") and session.uid.endswith("@recovery-college.example")
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "session.added"))


def test_uid_never_changes_and_is_unique(admin):
    course = factories.make_published_course(sessions=2)
    first, second = course.sessions
    assert first.uid != second.uid
    uid = first.uid
    services.reschedule_session(
        admin,
        first,
        first.starts_at + timedelta(days=1),
        first.ends_at + timedelta(days=1),
        first.venue,
    )
    assert first.uid == uid


@pytest.mark.parametrize(
    ("starts", "ends", "error"),
    [
        (0, 0, services.DatesOutOfOrder),
        (60, 0, services.DatesOutOfOrder),
        (0, 10, services.InvalidDuration),
        (0, 13 * 60, services.InvalidDuration),
    ],
)
def test_session_times_are_checked(admin, starts, ends, error):
    course = factories.make_course()
    base = factories.FIRST_SESSION
    with pytest.raises(error):
        services.add_session(
            admin, course, base + timedelta(minutes=starts), base + timedelta(minutes=ends)
        )
    assert course.sessions == []


@pytest.mark.parametrize(("minutes", "count"), [(120, 0), (120, 53), (5, 4), (13 * 60, 4)])
def test_series_limits(admin, minutes, count):
    course = factories.make_course()
    with pytest.raises((services.InvalidSeries, services.InvalidDuration)):
        services.add_weekly_series(admin, course, date(2030, 9, 3), time(17), minutes, count)


def test_series_is_refused_whole_when_one_week_clashes(admin, peer, trainer):
    other = factories.make_course(title="Mindfulness", status=CourseStatus.PUBLISHED)
    factories.make_session(
        other, starts_at=factories.FIRST_SESSION + timedelta(weeks=2), peers=(peer,)
    )
    course = factories.make_course(pair=(peer, trainer))
    with pytest.raises(services.ChangeRefused) as refused:
        services.add_weekly_series(
            admin, course, factories.FIRST_SESSION.date(), time(17, 0), 120, 4
        )
    assert len(refused.value.problems) == 1
    assert "Pia Peer already facilitates Mindfulness" in refused.value.problems[0]
    db.session.flush()
    assert course.sessions == []


def test_rescheduling_into_a_colleagues_booking_is_refused(admin, peer):
    other = factories.make_course(title="Sleep", status=CourseStatus.PUBLISHED)
    factories.make_session(
        other, starts_at=factories.FIRST_SESSION + timedelta(days=1), peers=(peer,)
    )
    course = factories.make_published_course(peer=peer, sessions=2)
    session = course.sessions[0]
    before = (session.starts_at, session.sequence)
    with pytest.raises(services.ChangeRefused):
        services.reschedule_session(
            admin,
            session,
            session.starts_at + timedelta(days=1, minutes=30),
            session.ends_at + timedelta(days=1, minutes=30),
            session.venue,
        )
    assert (session.starts_at, session.sequence) == before


def test_changes_to_a_published_course_bump_the_sequence_and_tell_listeners(admin, listen):
    course = factories.make_published_course(sessions=2)
    session = course.sessions[0]
    updated = session.updated_at
    new_venue = factories.make_venue()
    services.reschedule_session(
        admin,
        session,
        session.starts_at + timedelta(hours=1),
        session.ends_at + timedelta(hours=1),
        session.venue,
    )
    assert session.sequence == 1
    assert session.updated_at >= updated
    services.reschedule_session(admin, session, session.starts_at, session.ends_at, new_venue)
    assert session.sequence == 2
    cover = factories.make_peer(name="Carl Cover")
    services.set_session_facilitators(admin, session, [cover], session.people("professional"))
    assert session.sequence == 3
    services.cancel_session(admin, session)
    assert session.sequence == 4
    assert session.status == SessionStatus.CANCELLED
    kinds = [kind for _id, kind, _details in listen()]
    assert kinds == ["rescheduled", "rescheduled", "facilitators", "cancelled"]
    facilitators_change = listen()[2][2]
    assert facilitators_change["added_user_ids"] == [cover.id]
    assert course.sessions[1].sequence == 0


def test_an_unchanged_reschedule_does_not_bump(admin, listen):
    course = factories.make_published_course(sessions=2)
    session = course.sessions[0]
    services.reschedule_session(admin, session, session.starts_at, session.ends_at, session.venue)
    assert session.sequence == 0
    assert listen() == []


def test_changes_to_a_draft_do_not_bump_the_sequence(admin, peer, trainer, listen):
    course = factories.make_course(pair=(peer, trainer))
    session = factories.make_session(course, peers=(peer,), professionals=(trainer,))
    services.reschedule_session(
        admin, session, session.starts_at + timedelta(hours=1), session.ends_at, None
    )
    assert session.sequence == 0
    assert listen() == []


def test_a_cancelled_session_cannot_be_changed(admin):
    course = factories.make_published_course(sessions=2)
    session = course.sessions[0]
    services.cancel_session(admin, session)
    with pytest.raises(services.SessionIsCancelled):
        services.reschedule_session(
            admin, session, session.starts_at, session.ends_at + timedelta(hours=1), None
        )


def test_a_published_session_keeps_a_qualified_peer(admin, trainer):
    course = factories.make_published_course(trainer=trainer, sessions=2)
    untrained = factories.make_peer(name="Una Untrained", programmes=())
    session = course.sessions[0]
    with pytest.raises(services.ChangeRefused) as refused:
        services.set_session_facilitators(admin, session, [untrained], [trainer])
    assert "Una Untrained" in refused.value.problems[0]
    assert session.people(FacilitatorRole.PEER) != [untrained]


def test_one_session_can_be_changed_on_its_own(admin, peer, trainer):
    course = factories.make_published_course(peer=peer, trainer=trainer, sessions=2)
    cover = factories.make_peer(name="Carl Cover")
    first, second = course.sessions
    services.set_session_facilitators(admin, first, [cover], [trainer])
    assert first.people(FacilitatorRole.PEER) == [cover]
    assert second.people(FacilitatorRole.PEER) == [peer]
    assert course.pair(FacilitatorRole.PEER) == [peer]


def test_a_person_can_swap_roles_on_a_session(admin):
    both = factories.make_user(roles=(Role.PEER, Role.TRAINER))
    db.session.add(
        Qualification(user=both, programme=str(Programme.FIVE_DAY), granted_on=date(2025, 1, 1))
    )
    peer = factories.make_peer()
    course = factories.make_published_course(peer=both, sessions=2)
    trainer = course.sessions[0].people(FacilitatorRole.PROFESSIONAL)[0]
    services.set_session_facilitators(admin, course.sessions[0], [peer], [both])
    assert course.sessions[0].people(FacilitatorRole.PROFESSIONAL) == [both]
    assert trainer not in course.sessions[0].people(FacilitatorRole.PROFESSIONAL)


def test_new_pair_goes_to_sessions_that_followed_the_old_pair(admin, peer, trainer):
    course = factories.make_course(pair=(peer, trainer))
    cover = factories.make_peer(name="Carl Cover")
    following = factories.make_session(course, peers=(peer,), professionals=(trainer,))
    empty = factories.make_session(course, starts_at=factories.FIRST_SESSION + timedelta(weeks=1))
    covered = factories.make_session(
        course,
        starts_at=factories.FIRST_SESSION + timedelta(weeks=2),
        peers=(cover,),
        professionals=(trainer,),
    )
    db.session.expire(course, ["sessions"])
    new_peer = factories.make_peer(name="Nina New")
    services.set_course_pair(admin, course, new_peer, trainer)
    assert following.people(FacilitatorRole.PEER) == [new_peer]
    assert empty.people(FacilitatorRole.PEER) == [new_peer]
    assert covered.people(FacilitatorRole.PEER) == [cover]
    assert course.pair(FacilitatorRole.PEER) == [new_peer]


def test_new_pair_can_leave_sessions_alone(admin, peer, trainer):
    course = factories.make_course(pair=(peer, trainer))
    session = factories.make_session(course, peers=(peer,), professionals=(trainer,))
    db.session.expire(course, ["sessions"])
    services.set_course_pair(admin, course, factories.make_peer(), trainer, apply_to_sessions=False)
    assert session.people(FacilitatorRole.PEER) == [peer]


def test_assigning_a_double_booked_pair_is_refused(admin, trainer):
    busy = factories.make_peer(name="Bo Busy")
    other = factories.make_course(status=CourseStatus.PUBLISHED)
    factories.make_session(other, peers=(busy,))
    course = factories.make_course()
    factories.make_session(course)
    db.session.expire(course, ["sessions"])
    with pytest.raises(services.ChangeRefused):
        services.set_course_pair(admin, course, busy, trainer)
    assert course.facilitators == []


def test_sessions_of_a_draft_can_be_deleted_but_not_of_a_published_course(admin):
    draft = factories.make_course()
    session = factories.make_session(draft)
    db.session.expire(draft, ["sessions"])
    services.delete_session(admin, session)
    assert draft.sessions == []
    published = factories.make_published_course(sessions=2)
    with pytest.raises(services.NotADraft):
        services.delete_session(admin, published.sessions[0])


def test_sessions_of_a_cancelled_course_cannot_be_added(admin):
    course = factories.make_course(status=CourseStatus.CANCELLED)
    with pytest.raises(services.CourseClosed):
        services.add_session(
            admin, course, factories.FIRST_SESSION, factories.FIRST_SESSION + timedelta(hours=1)
        )


def test_replace_one_facilitator_on_one_session(admin, peer, trainer, listen):
    from college.errors import Forbidden

    course = factories.make_published_course(peer=peer, trainer=trainer, sessions=2)
    session = course.sessions[0]
    colleague = factories.make_peer(name="Cover Colleague")
    stranger = factories.make_peer(name="Someone Else")
    with pytest.raises(Forbidden):
        services.replace_session_facilitator(stranger, session, peer, colleague)
    with pytest.raises(services.NotAFacilitator):
        services.replace_session_facilitator(admin, session, stranger, colleague)
    with pytest.raises(services.SamePerson):
        services.replace_session_facilitator(admin, session, peer, trainer)
    services.replace_session_facilitator(colleague, session, peer, colleague)
    assert session.people(FacilitatorRole.PEER) == [colleague]
    assert session.people(FacilitatorRole.PROFESSIONAL) == [trainer]
    assert course.sessions[1].people(FacilitatorRole.PEER) == [peer]
    assert session.sequence == 1
    assert listen() == [
        (
            session.id,
            "facilitators",
            {"added_user_ids": [colleague.id], "removed_user_ids": [peer.id]},
        )
    ]


def test_replacing_with_an_unqualified_or_booked_person_is_refused(admin, peer, trainer):
    course = factories.make_published_course(peer=peer, trainer=trainer, sessions=1)
    session = course.sessions[0]
    unqualified = factories.make_peer(programmes=())
    with pytest.raises(services.ChangeRefused):
        services.replace_session_facilitator(admin, session, peer, unqualified)
    booked = factories.make_peer()
    factories.make_published_course(peer=booked, sessions=1, first_start=session.starts_at)
    with pytest.raises(services.ChangeRefused):
        services.replace_session_facilitator(admin, session, peer, booked)
    assert session.people(FacilitatorRole.PEER) == [peer]
