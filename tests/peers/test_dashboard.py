"""The peers' panel on the dashboard: the pool today, sessions taught and covered per peer
trainer in the term, its CSV download, and a query count that does not grow with the data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from college.db import now_utc
from college.extensions import db
from college.models import AuditEvent, Programme, Qualification, User
from courses.models import Term
from peers import services
from peers.dashboard import PeerPool, peer_pool, teaching_figures
from peers.models import PeerStatus
from peers.services.cover import open_requests_of
from tests import factories

NOW = datetime(2030, 9, 1, 10, 0, tzinfo=UTC)
TODAY = date(2030, 9, 1)


def cohort(admin: User, first_day: date, name: str):
    """A five-day cohort starting on ``first_day`` at 09:00 UTC."""
    days = [
        datetime.combine(first_day + timedelta(days=n), datetime.min.time(), UTC) for n in range(5)
    ]
    return services.open_cohort(
        admin,
        services.programme_by_code("five_day"),
        name=name,
        places=10,
        meetings=[(d + timedelta(hours=9), d + timedelta(hours=15)) for d in days],
        trainers=[],
    )


def test_the_pool_counts_trained_resting_absent_and_in_training(admin: User):
    factories.make_peer(name="Active One")
    factories.make_peer(name="Active Two")
    resting = factories.make_peer(name="Resting")
    factories.make_profile(resting, status=PeerStatus.RESTING)
    away = factories.make_peer(name="Away")
    factories.make_absence(away, NOW - timedelta(days=1), NOW + timedelta(days=3))
    back = factories.make_peer(name="Back Again")
    factories.make_absence(back, NOW - timedelta(days=9), NOW - timedelta(days=2))
    lapsed = factories.make_peer(name="Lapsed", programmes=())
    db.session.add(
        Qualification(
            user=lapsed,
            programme=str(Programme.FIVE_DAY),
            granted_on=date(2027, 1, 1),
            expires_on=date(2029, 1, 1),
        )
    )
    gone = factories.make_peer(name="Account Closed")
    gone.active = False
    factories.make_student(name="Just A Student")
    running = cohort(admin, date(2030, 8, 30), "Running")
    finished = cohort(admin, date(2030, 5, 4), "Finished")
    learner, leaving, done = (factories.make_student() for _ in range(3))
    services.place_in_cohort(admin, running, learner)
    services.place_in_cohort(admin, running, leaving)
    services.withdraw_place(admin, running, leaving)
    services.place_in_cohort(admin, running, lapsed)  # refreshing: counted in training
    services.place_in_cohort(admin, finished, done)

    pool = peer_pool(TODAY, NOW)

    assert pool == PeerPool(trained=5, resting_or_absent=2, in_training=2)
    assert pool.active == 3


@pytest.fixture
def term() -> Term:
    return factories.make_term(name="Autumn")


def test_sessions_taught_and_covered_per_peer(term: Term, admin: User, trainer: User):
    pia, ole = factories.make_peer(name="Pia"), factories.make_peer(name="Ole")
    course = factories.make_published_course(peer=pia, trainer=trainer, term=term, sessions=3)
    factories.make_published_course(
        peer=ole,
        trainer=trainer,
        term=term,
        sessions=1,
        first_start=course.sessions[0].starts_at + timedelta(days=1),
    )
    factories.make_published_course(  # another term: not counted
        peer=ole, sessions=2, first_start=datetime(2031, 3, 4, 15, 0, tzinfo=UTC)
    )
    session = course.sessions[0]
    services.cannot_make_it(pia, session)
    request = open_requests_of(pia)[session.id]
    services.assign_cover(admin, request, ole)

    rows = teaching_figures(term)

    assert [(r.name, r.taught, r.own, r.covered) for r in rows] == [
        ("Ole", 2, 1, 1),
        ("Pia", 2, 2, 0),
    ]


def test_the_dashboard_shows_both_charts_and_the_download(
    client: FlaskClient, auth, admin: User, term: Term, trainer: User
):
    factories.make_published_course(
        peer=factories.make_peer(name="Pia Peer-Trainer"), trainer=trainer, term=term
    )
    db.session.commit()
    auth.login(admin)
    page = client.get(f"/admin/?term={term.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "The peer pool today" in html
    assert "Sessions taught and covered per peer trainer" in html
    assert "Pia Peer-Trainer" in html
    assert f"/admin/peers/reports/terms/{term.id}/teaching.csv" in html
    admin.language = "da"
    db.session.commit()
    danish = client.get(f"/admin/?term={term.id}")
    assert "Peer-puljen i dag" in danish.get_data(as_text=True)


def test_the_download_holds_the_figures_and_is_audited(
    client: FlaskClient, auth, admin: User, term: Term, trainer: User
):
    factories.make_published_course(
        peer=factories.make_peer(name="=Pia"), trainer=trainer, term=term, sessions=2
    )
    db.session.commit()
    auth.login(admin)
    response = client.get(f"/admin/peers/reports/terms/{term.id}/teaching.csv")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1] == ["'=Pia", "2", "2", "0"]  # never run as a formula
    exported = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "peer_teaching.exported")
    ).all()
    assert [(e.actor_id, e.target_type, e.target_id) for e in exported] == [
        (admin.id, "Term", term.id)
    ]
    assert client.get("/admin/peers/reports/terms/999999/teaching.csv").status_code == 404


def grow(admin: User, term: Term, size: int) -> None:
    """Peers who teach, cover, rest, are absent and train, ``size`` of each."""
    start = now_utc() - timedelta(days=7)
    for index in range(size):
        peer, colleague = factories.make_peer(), factories.make_peer()
        course = factories.make_published_course(
            peer=peer,
            trainer=factories.make_trainer(),
            term=term,
            sessions=2,
            first_start=start + timedelta(days=20 + 7 * index, hours=index),
        )
        services.cannot_make_it(peer, course.sessions[0])
        request = open_requests_of(peer)[course.sessions[0].id]
        services.assign_cover(admin, request, colleague)
        factories.make_profile(factories.make_peer(), status=PeerStatus.RESTING)
        factories.make_absence(factories.make_peer(), start, start + timedelta(days=30))
        running = cohort(admin, (start + timedelta(days=index)).date(), f"Cohort {index}")
        services.place_in_cohort(admin, running, factories.make_student())
    db.session.commit()


def test_the_panel_asks_a_fixed_number_of_queries(
    client: FlaskClient, auth, admin: User, count_queries
):
    today = now_utc().date()
    term = factories.make_term(
        starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=200)
    )
    auth.login(admin)
    grow(admin, term, 1)
    with count_queries() as small:
        assert client.get("/admin/").status_code == 200
    grow(admin, term, 4)
    with count_queries() as large:
        assert client.get("/admin/").status_code == 200
    assert small.count == large.count, "\n".join(large.statements)
