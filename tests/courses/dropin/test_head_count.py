"""A drop-in's register is a head count with no names; the sheet keeps only what people wrote."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from college.db import now_utc
from college.extensions import db
from college.models import AuditEvent
from college.signals import extension_points
from courses.dropin import services
from courses.dropin.models import CourseInterest, HeadCount
from courses.dropin.services import Visits
from courses.enrolment.attendance import NotAFacilitator, RegisterNotYetOpen
from tests import factories


def saved_counts() -> list[tuple[int, int, int, int]]:
    rows = db.session.execute(
        sa.select(
            HeadCount.came, HeadCount.first_visits, HeadCount.second_visits, HeadCount.third_visits
        )
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


# --- the head count --------------------------------------------------------------------------


def test_a_teacher_counts_who_came_and_which_visit_it_was(peer, today):
    count = services.record_head_count(peer, today, Visits(came=9, first=3, second=2, third=1))
    assert (count.came, count.first_visits, count.second_visits, count.third_visits) == (
        9, 3, 2, 1,
    )  # fmt: skip
    assert count.not_said == 3
    assert saved_counts() == [(9, 3, 2, 1)]


def test_saving_again_corrects_the_count_rather_than_adding_a_second(trainer, today):
    services.record_head_count(trainer, today, Visits(came=9))
    services.record_head_count(trainer, today, Visits(came=10, first=10))
    assert saved_counts() == [(10, 10, 0, 0)]


def test_the_visits_must_fit_within_who_came(peer, today):
    with pytest.raises(services.VisitsAboveHeadCount) as refused:
        services.record_head_count(peer, today, Visits(came=5, first=3, second=2, third=1))
    assert str(refused.value) == (
        "The first, second and third visits add up to 6, more than the 5 people who came."
        " Please check the numbers. Nothing was saved."
    )
    assert saved_counts() == []


@pytest.mark.parametrize(
    "visits",
    [Visits(came=-1), Visits(came=3, first=-1), Visits(came=501), Visits(came=2, third=-2)],
)
def test_numbers_out_of_range_are_refused(peer, today, visits):
    with pytest.raises(services.InvalidHeadCount):
        services.record_head_count(peer, today, visits)
    assert saved_counts() == []


def test_nobody_came_is_a_count_too(peer, today):
    services.record_head_count(peer, today, Visits(came=0))
    assert saved_counts() == [(0, 0, 0, 0)]


def test_the_database_refuses_visits_beyond_the_count_whatever_the_caller(peer, today):
    db.session.add(HeadCount(session_id=today.id, came=2, first_visits=3))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_only_the_sessions_teachers_and_administrators_count(admin, student, today):
    other_peer = factories.make_peer()
    for person in (other_peer, student):
        with pytest.raises(NotAFacilitator):
            services.record_head_count(person, today, Visits(came=3))
    services.record_head_count(admin, today, Visits(came=3))
    assert saved_counts() == [(3, 0, 0, 0)]


def test_a_count_is_taken_from_the_day_of_the_session_on(peer, coming):
    with pytest.raises(RegisterNotYetOpen):
        services.record_head_count(peer, coming, Visits(came=3))
    assert saved_counts() == []


def test_a_course_with_enrolment_has_no_head_count(peer, trainer):
    course = factories.make_published_course(
        peer=peer, trainer=trainer, first_start=now_utc() - timedelta(hours=1), sessions=1
    )
    with pytest.raises(services.NotADropIn):
        services.record_head_count(peer, course.sessions[0], Visits(came=3))


def test_saving_a_count_is_audited_without_any_numbers_about_people(peer, today):
    services.record_head_count(peer, today, Visits(came=4, first=1))
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "head_count.saved"))
    assert event is not None and event.actor_id == peer.id
    assert event.detail == f"course={today.course_id}"


# --- would you like to hear about courses? ----------------------------------------------------


def test_without_consent_nothing_is_kept(peer, today):
    with pytest.raises(services.ConsentMissing) as refused:
        services.record_interest(
            peer, today, name="Maja", contact="maja@example.org", consent=False
        )
    assert "Nothing was saved" in str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseInterest)) == 0


def test_with_consent_only_what_was_written_is_kept(peer, today):
    services.record_interest(peer, today, name="  ", contact=" 20 30 40 50 ", consent=True)
    interest = db.session.scalars(sa.select(CourseInterest)).one()
    assert (interest.name, interest.contact) == (None, "20 30 40 50")
    assert interest.session_id == today.id and interest.consented_at is not None
    # Who wrote it down is audited; what was written is not.
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "course_interest.recorded")
    )
    assert event is not None and "20 30" not in (event.detail or "")


def test_a_way_to_reach_the_person_is_needed(peer, today):
    with pytest.raises(services.ContactMissing):
        services.record_interest(peer, today, name="Maja", contact="  ", consent=True)


def test_administrators_read_and_delete_the_list_and_both_are_audited(admin, peer, today):
    services.record_interest(peer, today, name="Maja", contact="maja@example.org", consent=True)
    rows = services.interest_list(admin)
    assert [row.contact for row in rows] == ["maja@example.org"]
    services.delete_interest(admin, rows[0].id)
    assert services.interest_list(admin) == []
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"course_interest.viewed", "course_interest.deleted"} <= actions


def test_teachers_do_not_read_the_list(peer, today):
    from college.errors import Forbidden

    with pytest.raises(Forbidden):
        services.interest_list(peer)


def test_retention_forgets_what_is_older_than_a_year(peer, today):
    now = now_utc()
    services.record_interest(
        peer, today, name=None, contact="old@example.org", consent=True,
        now=now - timedelta(days=400),
    )  # fmt: skip
    services.record_interest(peer, today, name=None, contact="new@example.org", consent=True)
    assert services.forget_old_interest(now) == 1
    assert list(db.session.scalars(sa.select(CourseInterest.contact))) == ["new@example.org"]


def test_the_retention_task_is_registered(app):
    assert services.forget_old_interest in extension_points(app).retention_tasks
