"""Periodic tasks (72-hour alert, 24-hour escalation, expiry, lapse reminders) and training."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from college.extensions import db
from college.models import OutboxMessage, Programme, Qualification, Role, User
from college.outbox import queueing, summaries
from college.privacy import erase_person, export_person
from college.signals import extension_points
from peers import services
from peers.models import CoverRequest, CoverStatus
from peers.services import tasks
from tests import factories


def open_request(course, peer) -> CoverRequest:
    session = course.sessions[0]
    services.record_absence(peer, peer, session.starts_at, session.ends_at)
    return db.session.scalars(
        sa.select(CoverRequest).where(CoverRequest.session_id == session.id)
    ).one()


def subjects_to(user: User) -> list[str]:
    queueing.render_pending()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.subject).where(OutboxMessage.recipient == user.email)
        )
    )


def test_admins_are_alerted_once_72_hours_before_an_uncovered_session(course, peer, admin):
    request = open_request(course, peer)
    start = course.sessions[0].starts_at
    assert tasks.alert_unfilled_cover(now=start - timedelta(hours=73)) == 0
    assert tasks.alert_unfilled_cover(now=start - timedelta(hours=71)) == 1
    assert request.alerted_at is not None
    assert tasks.alert_unfilled_cover(now=start - timedelta(hours=70)) == 0
    assert subjects_to(admin) == ["Sessions still need cover"]
    assert course.title not in subjects_to(admin)[0]


def alert_to(admin: User) -> OutboxMessage:
    queueing.render_pending()
    return db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == admin.email)
    ).one()


def test_an_alert_about_sessions_covered_before_it_is_written_is_not_sent(course, peer, admin):
    colleague = factories.make_peer()
    request = open_request(course, peer)
    assert tasks.alert_unfilled_cover(now=course.sessions[0].starts_at - timedelta(hours=71))
    services.accept_offer(colleague, request.offers[0])
    alert = alert_to(admin)
    assert alert.status == "cancelled" and alert.text_body is None
    assert "cancelled" not in summaries.count_undelivered()  # not a delivery for admins to see


def test_an_alert_lists_only_the_sessions_still_without_cover_when_written(
    course, peer, trainer, admin
):
    colleague = factories.make_peer()
    session = course.sessions[0]
    request = open_request(course, peer)
    services.record_absence(trainer, trainer, session.starts_at, session.ends_at)
    assert tasks.alert_unfilled_cover(now=session.starts_at - timedelta(hours=71)) == 2
    services.accept_offer(colleague, request.offers[0])
    alert = alert_to(admin)
    assert alert.status == "pending" and alert.text_body.count(course.title) == 1


def test_the_alert_hours_are_configurable(app, course, peer, admin, monkeypatch):
    open_request(course, peer)
    monkeypatch.setitem(app.config, "PEERS_COVER_ALERT_HOURS", 100)
    start = course.sessions[0].starts_at
    assert tasks.alert_unfilled_cover(now=start - timedelta(hours=99)) == 1


def test_covered_sessions_raise_no_alert(course, peer, admin):
    colleague = factories.make_peer()
    request = open_request(course, peer)
    services.accept_offer(colleague, request.offers[0])
    start = course.sessions[0].starts_at
    assert tasks.alert_unfilled_cover(now=start - timedelta(hours=10)) == 0


def test_escalation_24_hours_before_asks_admins_to_decide(course, peer, admin):
    request = open_request(course, peer)
    start = course.sessions[0].starts_at
    assert tasks.escalate_unstaffed(now=start - timedelta(hours=25)) == 0
    assert tasks.escalate_unstaffed(now=start - timedelta(hours=23)) == 1
    assert tasks.escalate_unstaffed(now=start - timedelta(hours=22)) == 0
    assert request.escalated_at is not None
    assert "Please decide about sessions without cover" in subjects_to(admin)


def test_requests_expire_when_the_session_begins(course, peer):
    request = open_request(course, peer)
    start = course.sessions[0].starts_at
    assert tasks.expire_cover_requests(now=start - timedelta(minutes=1)) == 0
    assert tasks.expire_cover_requests(now=start) == 1
    assert request.status == CoverStatus.EXPIRED


def test_lapse_reminders_go_once_60_days_ahead(admin):
    peer = factories.make_peer(programmes=())
    qualification = Qualification(
        user=peer,
        programme=str(Programme.FIVE_DAY),
        granted_on=date(2024, 1, 1),
        expires_on=date(2026, 6, 30),
    )
    db.session.add(qualification)
    db.session.flush()
    assert tasks.remind_lapsing_qualifications(today=date(2026, 4, 30)) == 0
    assert tasks.remind_lapsing_qualifications(today=date(2026, 5, 1)) == 1
    assert tasks.remind_lapsing_qualifications(today=date(2026, 5, 2)) == 0
    assert subjects_to(peer) == ["Time to plan your refresher training"]
    assert subjects_to(admin) == ["Qualifications lapse soon"]
    # Renewed and lapsing again later: reminded again.
    qualification.expires_on = date(2028, 6, 30)
    db.session.flush()
    assert tasks.remind_lapsing_qualifications(today=date(2028, 5, 15)) == 1


def test_worker_round_runs_the_peers_tasks(app):
    from peers.services.tasks import run_periodic_tasks

    assert run_periodic_tasks in extension_points(app).worker_tasks


def test_cli_commands(runner):
    assert "expired" in runner.invoke(args=["college", "cover-alerts"]).output
    assert "reminded" in runner.invoke(args=["college", "qualification-reminders"]).output


# --- training --------------------------------------------------------------------------------


def meetings(first_day: date, count: int, step: timedelta = timedelta(days=1)):
    from datetime import time

    from courses.times import to_utc

    return [
        (to_utc(first_day + step * n, time(9)), to_utc(first_day + step * n, time(15)))
        for n in range(count)
    ]


def five_day(admin, first_day=date(2030, 3, 4), places=10):
    programme = services.programme_by_code("five_day")
    return services.open_cohort(
        admin,
        programme,
        name=f"Spring {first_day}",
        places=places,
        meetings=meetings(first_day, 5),
        trainers=[],
    )


def test_built_in_programmes_exist():
    assert services.programme_by_code("five_day").meeting_count == 5
    five_week = services.programme_by_code("five_week")
    assert five_week.completion_percent == 80


def test_a_cohort_needs_the_programmes_number_of_meetings(admin):
    programme = services.programme_by_code("five_day")
    with pytest.raises(services.InvalidCohort):
        services.open_cohort(
            admin,
            programme,
            name="Short",
            places=5,
            meetings=meetings(date(2030, 3, 4), 4),
            trainers=[],
        )


def test_five_days_attended_grant_the_qualification_once_confirmed(admin):
    applicant = factories.make_student(name="New Applicant")
    cohort = five_day(admin)
    services.place_in_cohort(admin, cohort, applicant)
    for meeting in cohort.meetings[:4]:
        services.record_register(admin, meeting, {applicant.id})
    services.record_register(admin, cohort.meetings[4], set())
    with pytest.raises(services.NotComplete):
        services.confirm_completion(admin, cohort.programme, applicant)
    # The missed day is made up in a later cohort.
    later = five_day(admin, first_day=date(2030, 5, 6))
    services.place_in_cohort(admin, later, applicant)
    services.record_register(admin, later.meetings[4], {applicant.id})
    qualification = services.confirm_completion(admin, later.programme, applicant)
    assert qualification.granted_on == date(2030, 5, 10)
    assert qualification.recorded_by_id == admin.id
    assert applicant.has_role(Role.PEER)


def test_five_week_programme_needs_its_share_of_meetings(admin):
    programme = services.programme_by_code("five_week")
    cohort = services.open_cohort(
        admin,
        programme,
        name="Autumn",
        places=8,
        meetings=meetings(date(2030, 9, 2), 10, timedelta(days=3)),
        trainers=[],
    )
    peer = factories.make_peer(programmes=())
    services.place_in_cohort(admin, cohort, peer)
    for meeting in cohort.meetings[:7]:
        services.record_register(admin, meeting, {peer.id})
    assert not services.completion_of(programme, peer).complete
    services.record_register(admin, cohort.meetings[8], {peer.id})
    assert services.completion_of(programme, peer).complete


def test_a_cohort_is_never_over_full(admin):
    cohort = five_day(admin, places=1)
    services.place_in_cohort(admin, cohort, factories.make_peer())
    with pytest.raises(services.CohortFull):
        services.place_in_cohort(admin, cohort, factories.make_peer())


def test_refresher_programmes_set_an_expiry(admin):
    programme = services.create_programme(
        admin,
        name="Refresher",
        code="refresher",
        meeting_count=1,
        completion_percent=100,
        valid_for_months=24,
    )
    cohort = services.open_cohort(
        admin, programme, name="R1", places=4, meetings=meetings(date(2030, 1, 31), 1), trainers=[]
    )
    peer = factories.make_peer(programmes=())
    services.place_in_cohort(admin, cohort, peer)
    services.record_register(admin, cohort.meetings[0], {peer.id})
    qualification = services.confirm_completion(admin, programme, peer)
    assert qualification.expires_on == date(2032, 1, 31)


def test_only_admins_and_cohort_trainers_keep_registers(admin):
    cohort = five_day(admin)
    with pytest.raises(Exception, match="access"):
        services.record_register(factories.make_peer(), cohort.meetings[0], set())


def test_pipeline_counts(admin):
    active = factories.make_peer(name="Active One")
    resting = factories.make_peer(name="Resting One")
    factories.make_profile(resting, status=services.profile_of(resting).status.__class__("resting"))
    trainee = factories.make_student(name="Trainee One")
    services.place_in_cohort(admin, five_day(admin), trainee)
    result = services.pipeline(date(2030, 1, 1))
    assert active in result.active and resting in result.resting
    assert trainee in result.in_training


def test_peer_data_is_exported_and_erased(course, peer, admin):
    open_request(course, peer)
    exported = export_person(peer)["peer_work"]
    assert len(exported["absences"]) == 1 and exported["cover_requests"][0]["absent"]
    erase_person(admin, peer)
    assert export_person(peer)["peer_work"]["absences"] == []
