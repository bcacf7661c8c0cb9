"""Exactly one of several colleagues accepting the same cover at once wins.

Each thread has its own app context, session and database connection, and commits for
real, as concurrent web requests would; the database is a fresh one of its own.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from college import create_app
from college.extensions import db
from college.models import User
from college.transactions import run_in_transaction
from courses.models import CourseSession, FacilitatorRole
from peers import services
from peers.models import CoverOffer, CoverRequest, CoverStatus, OfferStatus
from tests import conftest, factories
from tests.servers import fresh_database

COLLEAGUES = 6


def accept_in_thread(app: Flask, offer_id: int, barrier: threading.Barrier, out: list[str]) -> None:
    with app.app_context():
        try:
            barrier.wait(timeout=30)

            def accept() -> None:
                offer = db.session.get_one(CoverOffer, offer_id)
                actor = db.session.get_one(User, offer.user_id)
                services.accept_offer(actor, offer)

            run_in_transaction(accept)
            out.append("won")
        except services.CoverTaken:
            out.append("taken")
        except Exception as error:
            out.append(f"error: {error!r}")
        finally:
            db.session.remove()


@pytest.mark.committing
@pytest.mark.slow
def test_only_one_of_simultaneous_acceptances_wins(engine_name: str, tmp_path: Path):
    with fresh_database(engine_name, tmp_path, conftest.PG_URL) as url:
        app = create_app(conftest.test_config(url, tmp_path))
        conftest.upgrade_schema(app)
        with app.app_context():
            peer = factories.make_peer()
            course = factories.make_published_course(peer=peer, sessions=1)
            colleagues = [factories.make_peer() for _ in range(COLLEAGUES)]
            session = course.sessions[0]
            services.record_absence(peer, peer, session.starts_at, session.ends_at)
            db.session.commit()
            request_id = db.session.scalars(sa.select(CoverRequest.id)).one()
            offer_ids = list(db.session.scalars(sa.select(CoverOffer.id)))
            session_id = session.id
            colleague_ids = {c.id for c in colleagues}
            assert len(offer_ids) == COLLEAGUES
            db.session.remove()

        barrier = threading.Barrier(COLLEAGUES)
        results: list[str] = []
        threads = [
            threading.Thread(target=accept_in_thread, args=(app, oid, barrier, results))
            for oid in offer_ids
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert sorted(results) == ["taken"] * (COLLEAGUES - 1) + ["won"]
        with app.app_context():
            request = db.session.get_one(CoverRequest, request_id)
            assert request.status == CoverStatus.FILLED
            statuses = [o.status for o in request.offers]
            assert statuses.count(OfferStatus.ACCEPTED) == 1
            session = db.session.get_one(CourseSession, session_id)
            peers_now = session.people(FacilitatorRole.PEER)
            assert len(peers_now) == 1 and peers_now[0].id == request.filled_by_id
            assert request.filled_by_id in colleague_ids
            db.session.remove()
            db.engine.dispose()
