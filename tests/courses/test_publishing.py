"""Publishing rules: co-production on every session, qualified peers, no double bookings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from college import signals
from college.errors import Forbidden
from college.extensions import db
from college.models import AuditEvent, Programme, Qualification, User
from courses import services
from courses.models import CourseStatus, SessionStatus
from tests import factories


def draft_with_sessions(peer: User | None, trainer: User | None, count: int = 2, **kwargs):
    course = factories.make_course(**kwargs)
    for week in range(count):
        factories.make_session(
            course,
            starts_at=factories.FIRST_SESSION + timedelta(weeks=week),
            peers=(peer,) if peer else (),
            professionals=(trainer,) if trainer else (),
        )
    db.session.expire(course, ["sessions"])
    return course


def test_a_fully_staffed_course_is_published(admin, peer, trainer):
    course = draft_with_sessions(peer, trainer)
    assert services.publication_problems(course) == []
    services.publish_course(admin, course)
    assert course.status == CourseStatus.PUBLISHED
    assert course.published_at is not None
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "course.published"))


def test_a_course_without_sessions_cannot_be_published(admin):
    course = factories.make_course()
    with pytest.raises(services.NotPublishable) as refused:
        services.publish_course(admin, course)
    assert "no scheduled sessions" in refused.value.problems[0]
    assert course.status == CourseStatus.DRAFT


def test_cancelled_sessions_do_not_count(admin, peer, trainer):
    course = factories.make_course()
    factories.make_session(course, status=SessionStatus.CANCELLED, peers=(peer,))
    db.session.expire(course, ["sessions"])
    assert len(services.publication_problems(course)) == 1
    assert "no scheduled sessions" in services.publication_problems(course)[0]


def test_missing_peer_is_refused(admin, trainer):
    course = draft_with_sessions(None, trainer, count=1)
    with pytest.raises(services.NotPublishable) as refused:
        services.publish_course(admin, course)
    assert len(refused.value.problems) == 1
    assert "no peer trainer" in refused.value.problems[0]


def test_missing_professional_is_refused(admin, peer):
    course = draft_with_sessions(peer, None, count=1)
    with pytest.raises(services.NotPublishable) as refused:
        services.publish_course(admin, course)
    assert len(refused.value.problems) == 1
    assert "no professional trainer" in refused.value.problems[0]


def test_peer_without_the_required_programme_is_refused(admin, trainer):
    five_day_only = factories.make_peer(name="Freja Fivedays", programmes=(Programme.FIVE_DAY,))
    course = draft_with_sessions(
        five_day_only, trainer, count=1, required_programme=Programme.FIVE_WEEK
    )
    problems = services.publication_problems(course)
    assert len(problems) == 1
    assert "Freja Fivedays does not hold a valid qualification" in problems[0]


def test_peer_with_no_qualification_at_all_is_refused(admin, trainer):
    untrained = factories.make_peer(name="Una Untrained", programmes=())
    course = draft_with_sessions(untrained, trainer, count=1)
    assert "Una Untrained" in services.publication_problems(course)[0]


def test_qualification_must_be_valid_on_the_day_of_each_session(admin, trainer):
    peer = factories.make_peer(name="Eva Expiring", programmes=())
    first_day = factories.FIRST_SESSION.date()
    db.session.add(
        Qualification(
            user=peer,
            programme=str(Programme.FIVE_DAY),
            granted_on=date(2025, 1, 1),
            # Valid for the first session only; it runs out before the second one.
            expires_on=first_day + timedelta(days=3),
        )
    )
    course = draft_with_sessions(peer, trainer, count=2)
    problems = services.publication_problems(course)
    assert len(problems) == 1
    assert "Eva Expiring" in problems[0]
    assert "2030" in problems[0]


def test_qualification_granted_after_the_session_does_not_count(admin, trainer):
    late = factories.make_peer(programmes=(Programme.FIVE_DAY,), granted_on=date(2031, 1, 1))
    course = draft_with_sessions(late, trainer, count=1)
    assert len(services.publication_problems(course)) == 1


def test_double_booked_facilitator_is_refused(admin, peer, trainer):
    other = factories.make_course(title="Sleep well", status=CourseStatus.PUBLISHED)
    factories.make_session(
        other, starts_at=factories.FIRST_SESSION + timedelta(minutes=60), peers=(peer,)
    )
    course = draft_with_sessions(peer, trainer, count=1)
    problems = services.publication_problems(course)
    assert len(problems) == 1
    assert "Pia Peer already facilitates Sleep well at an overlapping time" in problems[0]


def test_back_to_back_sessions_are_not_a_double_booking(admin, peer, trainer):
    other = factories.make_course(status=CourseStatus.PUBLISHED)
    factories.make_session(
        other, starts_at=factories.FIRST_SESSION + timedelta(minutes=120), peers=(peer,)
    )
    course = draft_with_sessions(peer, trainer, count=1)
    assert services.publication_problems(course) == []


def test_bookings_on_cancelled_or_archived_courses_do_not_count(admin, peer, trainer):
    for status in (CourseStatus.CANCELLED, CourseStatus.ARCHIVED):
        other = factories.make_course(status=status)
        factories.make_session(other, peers=(peer,))
    cancelled_session = factories.make_course(status=CourseStatus.PUBLISHED)
    factories.make_session(cancelled_session, peers=(peer,), status=SessionStatus.CANCELLED)
    course = draft_with_sessions(peer, trainer, count=1)
    assert services.publication_problems(course) == []


def test_every_reason_is_given_at_once(admin, trainer):
    untrained = factories.make_peer(name="Una Untrained", programmes=())
    busy = factories.make_trainer(name="Bo Busy")
    other = factories.make_course(title="Elsewhere", status=CourseStatus.PUBLISHED)
    factories.make_session(other, professionals=(busy,))
    course = factories.make_course()
    factories.make_session(course, professionals=(busy,))  # no peer, double-booked trainer
    factories.make_session(
        course, starts_at=factories.FIRST_SESSION + timedelta(weeks=1), peers=(untrained,)
    )  # unqualified peer, no professional
    db.session.expire(course, ["sessions"])
    with pytest.raises(services.NotPublishable) as refused:
        services.publish_course(admin, course)
    problems = refused.value.problems
    assert len(problems) == 4
    joined = " ".join(problems)
    assert "no peer trainer" in joined
    assert "no professional trainer" in joined
    assert "Una Untrained does not hold" in joined
    assert "Bo Busy already facilitates Elsewhere" in joined
    assert course.status == CourseStatus.DRAFT


def test_only_admins_publish(peer, trainer):
    course = draft_with_sessions(peer, trainer)
    with pytest.raises(Forbidden):
        services.publish_course(trainer, course)
    assert course.status == CourseStatus.DRAFT


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (CourseStatus.DRAFT, CourseStatus.ARCHIVED, True),
        (CourseStatus.DRAFT, CourseStatus.CANCELLED, False),
        (CourseStatus.PUBLISHED, CourseStatus.CANCELLED, True),
        (CourseStatus.PUBLISHED, CourseStatus.ARCHIVED, True),
        (CourseStatus.PUBLISHED, CourseStatus.PUBLISHED, False),
        (CourseStatus.PUBLISHED, CourseStatus.DRAFT, False),
        (CourseStatus.CANCELLED, CourseStatus.ARCHIVED, True),
        (CourseStatus.CANCELLED, CourseStatus.PUBLISHED, False),
        (CourseStatus.ARCHIVED, CourseStatus.PUBLISHED, False),
        (CourseStatus.ARCHIVED, CourseStatus.DRAFT, False),
    ],
)
def test_status_changes(admin, start, target, allowed):
    course = factories.make_course(status=start)
    if allowed:
        services.change_course_status(admin, course, target)
        assert course.status == target
    else:
        with pytest.raises(services.StatusChangeNotAllowed):
            services.change_course_status(admin, course, target)
        assert course.status == start


def test_cancelling_a_course_cancels_its_coming_sessions_and_tells_calendars(admin, listen):
    course = factories.make_published_course(sessions=2)
    sessions = list(course.sessions)
    services.cancel_course(admin, course)
    assert course.status == CourseStatus.CANCELLED
    assert {s.status for s in sessions} == {SessionStatus.CANCELLED}
    assert {s.sequence for s in sessions} == {1}
    assert [kind for _id, kind, _details in listen()] == ["cancelled", "cancelled"]


def test_course_listeners_hear_publication(app, admin, peer, trainer):
    heard = []

    def hear(_app, *, course, kind, **details):
        heard.append((course.id, str(kind)))

    with signals.course_changed.connected_to(hear, sender=app):
        course = draft_with_sessions(peer, trainer)
        services.publish_course(admin, course)
    assert heard == [(course.id, "published")]


def test_cancelling_the_last_session_of_a_published_course_is_refused(admin):
    course = factories.make_published_course(sessions=1)
    with pytest.raises(services.LastSession):
        services.cancel_session(admin, course.sessions[0])
    assert course.sessions[0].status == SessionStatus.SCHEDULED


def test_published_course_keeps_a_qualified_peer_when_its_programme_changes(admin):
    course = factories.make_published_course()
    details = services.CourseDetails(
        title=course.title,
        summary=course.summary,
        description=course.description,
        topic=course.topic,
        audience=course.audience,
        format=course.format,
        capacity=course.capacity,
        required_programme=Programme.FIVE_WEEK,
        term=course.term,
    )
    with pytest.raises(services.ChangeRefused) as refused:
        services.update_course(admin, course, details)
    assert len(refused.value.problems) == 3  # one per session
    db.session.rollback()
    assert course.required_programme == Programme.FIVE_DAY


def test_people_without_the_role_cannot_be_facilitators(admin, peer, trainer):
    course = factories.make_course()
    with pytest.raises(services.WrongRole):
        services.set_course_pair(admin, course, trainer, peer)
    with pytest.raises(services.SamePerson):
        services.set_course_pair(admin, course, peer, peer)
    with pytest.raises(services.MissingFacilitator):
        services.set_course_pair(admin, course, peer, None)
