"""A week of a busy college: 30 active peers, 200 sessions, several peers away all week.

The property: after colleagues take the offers (fairest candidate first), no session is
left without a qualified peer while a qualified, available colleague existed.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from itertools import pairwise

import pytest
import sqlalchemy as sa

from college.extensions import db
from college.models import Programme
from courses.models import CourseStatus, FacilitatorRole
from courses.services.staffing import staffing_problems_for
from courses.times import to_utc
from peers import services
from peers.models import CoverRequest, CoverStatus
from tests import factories

MONDAY = date(2030, 9, 9)
SLOTS = [time(8), time(11), time(14), time(17)]
COURSES = 40  # five sessions each, Monday to Friday: 200 sessions


def build_week(admin):
    peers = []
    for index in range(30):
        programmes = (
            (Programme.FIVE_DAY, Programme.FIVE_WEEK) if index % 3 == 0 else (Programme.FIVE_DAY,)
        )
        peer = factories.make_peer(name=f"Peer {index:02d}", programmes=programmes)
        factories.make_profile(peer, max_sessions_per_week=12)
        peers.append(peer)
    courses = []
    for index in range(COURSES):
        # Course i and i+30 share a peer; their slots differ, so nobody is double-booked.
        peer = peers[index % 30]
        programme = Programme.FIVE_WEEK if index % 3 == 0 and index < 30 else Programme.FIVE_DAY
        trainer = factories.make_trainer()
        course = factories.make_course(
            status=CourseStatus.PUBLISHED, pair=(peer, trainer), required_programme=programme
        )
        for day in range(5):
            factories.make_session(
                course,
                starts_at=to_utc(MONDAY + timedelta(days=day), SLOTS[index % 4]),
                peers=(peer,),
                professionals=(trainer,),
            )
        courses.append(course)
    return peers, courses


@pytest.mark.slow
def test_a_week_of_absences_leaves_no_session_uncovered_needlessly(admin):
    peers, courses = build_week(admin)
    sessions = [s for c in courses for s in c.sessions]
    assert len(sessions) == 200
    away = peers[::5]  # six peers away all week
    week_start, week_end = to_utc(MONDAY, time(0)), to_utc(MONDAY + timedelta(days=7), time(0))
    for peer in away:
        services.record_absence(peer, peer, week_start, week_end)

    requests = list(
        db.session.scalars(sa.select(CoverRequest).where(CoverRequest.status == CoverStatus.OPEN))
    )
    assert len(requests) == sum(5 * (1 + (peers.index(p) < 10)) for p in away)
    for request in sorted(requests, key=lambda r: r.session.starts_at):
        candidates = services.candidates_for(request.session, FacilitatorRole.PEER)
        if not candidates:
            continue
        winner = candidates[0].user
        offer = next((o for o in request.offers if o.user_id == winner.id), None)
        if offer is not None:
            services.accept_offer(winner, offer)
        else:
            services.assign_cover(admin, request, winner)

    away_ids = {p.id for p in away}
    covered = 0
    for session in sessions:
        peers_now = session.people(FacilitatorRole.PEER)
        if any(p.id in away_ids for p in peers_now):
            # Still uncovered: there must be nobody qualified and free who could take it.
            assert services.candidates_for(session, FacilitatorRole.PEER) == []
        else:
            assert len(peers_now) == 1
            # The peer now on the session holds the course's programme on that day.
            assert staffing_problems_for(session.course, [session]) == []
            covered += 1
    assert covered >= 150
    # No one is double-booked after all the swaps.
    for peer in peers:
        mine = sorted(
            (s for s in sessions if peer in s.people(FacilitatorRole.PEER)),
            key=lambda s: s.starts_at,
        )
        for earlier, later in pairwise(mine):
            assert earlier.ends_at <= later.starts_at
