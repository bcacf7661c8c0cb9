"""Peers tell the office who is resting or away when it chooses a course's pair."""

from __future__ import annotations

from datetime import timedelta

from college.extensions import db
from college.models import User
from courses.models import FacilitatorRole
from courses.services.candidates import rank_candidates, upcoming_sessions
from peers.models import PeerStatus
from tests import factories


def draft(count: int = 3):
    course = factories.make_course()
    for week in range(count):
        factories.make_session(course, starts_at=factories.FIRST_SESSION + timedelta(weeks=week))
    db.session.expire(course, ["sessions"])
    return course


def test_resting_and_away_peers_are_marked_and_come_last(peer: User):
    resting = factories.make_peer(name="Rita Resting")
    factories.make_profile(resting, status=PeerStatus.RESTING)
    away = factories.make_peer(name="Aksel Away")
    factories.make_absence(
        away, factories.FIRST_SESSION, factories.FIRST_SESSION + timedelta(days=8)
    )
    course = draft()

    ranked = rank_candidates(
        course, FacilitatorRole.PEER, upcoming_sessions(course), whole_course=True
    )

    assert ranked[0].name == "Pia Peer"
    notes = {c.name: [n.text for n in c.notes] for c in ranked}
    assert notes["Rita Resting"] == ["Resting for a while"]
    assert notes["Aksel Away"] == ["Away or unavailable at 2 of these sessions"]
    assert notes["Pia Peer"] == []


def test_the_pair_page_shows_the_notes_but_never_a_reason(client, auth, admin: User, peer):
    away = factories.make_peer(name="Aksel Away")
    absence = factories.make_absence(
        away, factories.FIRST_SESSION, factories.FIRST_SESSION + timedelta(hours=3)
    )
    absence.private_note = "hospital visit"
    db.session.flush()
    course = draft()
    auth.login(admin)
    page = client.get(f"/admin/courses/{course.id}/pair").get_data(as_text=True)
    assert "Away or unavailable at 1 of these sessions" in page
    assert "hospital" not in page
    assert page.index("Pia Peer") < page.index("Aksel Away")
