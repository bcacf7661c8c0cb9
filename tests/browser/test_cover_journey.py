"""Cover in Chromium: a peer records an absence over a session, a colleague takes it over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from college.extensions import db
from courses.models import CourseSession, FacilitatorRole
from courses.times import to_local
from tests import factories
from tests.browser.helpers import assert_accessible, expect, unique

pytestmark = pytest.mark.browser


@pytest.fixture
def cover_cast(live_server: Any) -> dict[str, Any]:
    """Two peers and a trainer, and a published course the first peer teaches once."""
    with live_server.seed():
        peer = factories.make_peer(
            name=f"Away {unique('p')}", email=f"{unique('away')}@example.org"
        )
        colleague = factories.make_peer(
            name=f"Colleague {unique('c')}", email=f"{unique('colleague')}@example.org"
        )
        trainer = factories.make_trainer(email=f"{unique('trainer')}@example.org")
        # A quiet Sunday morning far enough ahead that nobody else teaches then.
        start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
        start += timedelta(days=200 + (6 - start.weekday()) % 7)
        course = factories.make_published_course(
            peer=peer, trainer=trainer, sessions=1, first_start=start, title=unique("Cover journey")
        )
        cast = {
            "peer": peer.email,
            "colleague": colleague.email,
            "colleague_id": colleague.id,
            "title": course.title,
            "session_id": course.sessions[0].id,
            "local_start": to_local(start),
        }
    return cast


def test_a_colleague_takes_over_a_session_of_an_absent_peer(
    live_server: Any, logged_in: Any, cover_cast: dict[str, Any], mailbox: Any
):
    title, local_start = cover_cast["title"], cover_cast["local_start"]
    away = logged_in(cover_cast["peer"], factories.PASSWORD, width=390)
    away.goto("/peers/schedule")
    expect(away.get_by_role("heading", name=title)).to_be_visible()
    away.get_by_role("link", name="Record an absence").click()
    day = local_start.date().isoformat()
    away.get_by_label("First day").fill(day)
    away.get_by_label("From").fill("00:00")
    away.get_by_label("Last day").fill(day)
    away.get_by_label("Until").fill("23:00")
    away.get_by_role("button", name="Save the absence").click()
    expect(away.get_by_text("Your absence is saved.")).to_be_visible()
    expect(away.get_by_text("We are asking your colleagues to cover")).to_be_visible()
    assert_accessible(away)

    offers = mailbox.deliver_to(cover_cast["colleague"])
    assert offers and title not in str(offers[0]["Subject"])

    colleague = logged_in(cover_cast["colleague"], factories.PASSWORD)
    colleague.goto("/peers/schedule")
    offer = colleague.locator("article.cover-offer", has_text=title)
    expect(offer).to_be_visible()
    assert_accessible(colleague)
    offer.get_by_role("button", name="I can cover").click()
    expect(colleague.get_by_text("The session is yours")).to_be_visible()
    expect(colleague.locator("article.schedule-session", has_text=title)).to_be_visible()

    with live_server.seed():
        session = db.session.get_one(CourseSession, cover_cast["session_id"])
        assert [u.id for u in session.people(FacilitatorRole.PEER)] == [cover_cast["colleague_id"]]

    away.goto("/peers/schedule")
    expect(away.get_by_role("heading", name="My schedule")).to_be_visible()
    # The session is no longer theirs, and their schedule says who took it.
    card = away.locator("article.schedule-session", has_text=title)
    expect(card.get_by_text("covers for you.")).to_be_visible()
    expect(card.get_by_role("link", name="I can't come")).to_have_count(0)
