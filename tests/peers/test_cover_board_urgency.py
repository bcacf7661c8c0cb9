"""The cover board puts the most urgent request first and marks the 72- and 24-hour marks."""

from __future__ import annotations

from datetime import timedelta

from college.db import now_utc
from college.models import User
from peers import services
from tests import factories


def open_cover(peer: User, trainer: User, hours: float, title: str):
    course = factories.make_published_course(
        peer=peer,
        trainer=trainer,
        sessions=1,
        first_start=now_utc() + timedelta(hours=hours),
        title=title,
    )
    session = course.sessions[0]
    services.record_absence(peer, peer, session.starts_at, session.ends_at)
    return course


def test_sessions_are_ordered_and_marked_by_urgency(client, auth, admin: User, trainer: User):
    peers = [factories.make_peer(name=f"Peer {n}") for n in range(3)]
    open_cover(peers[0], trainer, 24 * 10, "Later")
    open_cover(peers[1], factories.make_trainer(), 50, "Within three days")
    open_cover(peers[2], factories.make_trainer(), 10, "Tonight")

    board = services.cover_board()

    assert [e.request.session.course.title for e in board] == [
        "Tonight",
        "Within three days",
        "Later",
    ]
    assert [e.urgency for e in board] == ["24h", "72h", None]
    auth.login(admin)
    page = client.get("/admin/peers/cover").get_data(as_text=True)
    assert page.count("Starts within 24 hours") == 1 and page.count("Starts within 72 hours") == 1
    assert page.index("Tonight") < page.index("Within three days") < page.index("Later")
