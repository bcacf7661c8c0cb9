"""Course journeys in Chromium: an admin builds and publishes a course, a visitor finds it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from college.extensions import db
from tests import factories
from tests.browser.helpers import assert_accessible, expect, login, unique

pytestmark = pytest.mark.browser


def next_sunday_in(term: Any) -> date:
    start = max(term.starts_on, datetime.now(UTC).date() + timedelta(days=7))
    return start + timedelta(days=(6 - start.weekday()) % 7)


@pytest.fixture
def cast(live_server: Any) -> dict[str, Any]:
    """An English-speaking admin, a peer without a qualification yet, and a trainer."""
    from courses.models import Term, Venue

    with live_server.seed():
        admin = factories.make_admin(email=f"{unique('admin')}@example.org", language="en")
        peer = factories.make_peer(
            programmes=(), name=f"Peer {unique('p')}", email=f"{unique('peer')}@example.org"
        )
        trainer = factories.make_trainer(
            name=f"Trainer {unique('t')}", email=f"{unique('trainer')}@example.org"
        )
        term = db.session.scalars(sa.select(Term).order_by(Term.ends_on.desc())).first()
        venue = db.session.scalars(
            sa.select(Venue).where(Venue.is_online.is_(True)).order_by(Venue.id)
        ).first()
        assert term is not None and venue is not None
        return {
            "admin": admin.email,
            "peer": peer.display_name,
            "trainer": trainer.display_name,
            "term": term.name,
            "venue": venue.name,
            "first_day": next_sunday_in(term),
        }


def test_admin_publishes_a_course_and_a_visitor_finds_it(page: Any, cast: dict[str, Any]) -> None:
    title = f"Writing for recovery {unique('c')}"
    login(page, cast["admin"], factories.PASSWORD)

    # Create the course, online, for relatives, in the last term.
    page.goto("/admin/courses/")
    page.get_by_role("link", name="New course").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Summary").fill("Write short texts about what helps, and share if you like.")
    page.get_by_label("Description").fill("Six evenings of gentle writing exercises.")
    page.get_by_label("Learning outcomes").fill("Use writing to notice what helps\nShare safely")
    page.get_by_label("Topic").select_option(label="Creativity")
    page.get_by_label("Relatives and carers").check()
    page.get_by_label("Online", exact=True).check()
    page.get_by_label("Number of places").fill("12")
    page.get_by_label("Term").select_option(label=cast["term"])
    page.get_by_label("Usual venue").select_option(label=cast["venue"])
    page.get_by_role("button", name="Save course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert_accessible(page)

    # A weekly series of six Sunday evenings.
    page.get_by_role("link", name="Add a weekly series").click()
    page.get_by_label("Date of the first session").fill(cast["first_day"].isoformat())
    page.get_by_label("Starts at").fill("18:00")
    page.get_by_label("Length in minutes").fill("90")
    page.get_by_label("Number of sessions").fill("6")
    page.get_by_role("button", name="Add the sessions").click()
    sessions = page.get_by_role("region", name=f"Sessions of {title}").locator("tbody tr")
    expect(sessions).to_have_count(6)

    # Publishing is refused until the course has its pair: every reason is listed.
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Choose the pair").first.click()
    # The peer has no qualification yet: offered, but marked to check first.
    peers = page.get_by_role("group", name="Peer trainer")
    expect(peers.locator("li", has_text=cast["peer"])).to_contain_text("check first")
    assert_accessible(page)
    peers.get_by_label(cast["peer"]).check()
    page.get_by_role("group", name="Professional trainer").get_by_label(cast["trainer"]).check()
    page.get_by_role("button", name="Save the pair").click()
    expect(sessions.filter(has_text=cast["peer"])).to_have_count(6)
    expect(sessions.filter(has_text=cast["trainer"])).to_have_count(6)

    # The peer has no qualification yet, so publishing is still refused, with that reason.
    page.get_by_role("button", name="Publish").click()
    refusal = page.locator(".error-summary")
    expect(refusal).to_contain_text(cast["peer"])

    # Record the five-day programme by hand, then publish.
    page.goto("/admin/qualifications")
    page.get_by_label("Peer worker", exact=True).select_option(label=cast["peer"])
    page.get_by_label("Five-day programme for peer workers").check()
    page.get_by_label("Completed on").fill("2025-05-01")
    page.get_by_role("button", name="Record qualification").click()
    expect(page.get_by_role("row", name=cast["peer"])).to_be_visible()

    page.goto("/admin/courses/")
    page.get_by_role("link", name=title).click()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Status: Published")).to_be_visible()

    # A visitor without an account finds it with the filters and opens it.
    visitor = page.context.browser.new_context(base_url=page.url.split("/admin")[0])
    try:
        find_and_open(visitor.new_page(), title, cast)
    finally:
        visitor.close()


def find_and_open(page: Any, title: str, cast: dict[str, Any]) -> None:
    page.goto("/courses/")
    filters = page.get_by_role("search", name="Find a course")
    filters.get_by_label("Topic").select_option(label="Creativity")
    filters.get_by_label("How it takes place").select_option(label="Online")
    filters.get_by_label("Who it is for").select_option(label="Relatives and carers")
    filters.get_by_label("Day of the week").select_option(label="Sunday")
    filters.get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"day=sunday"))
    assert_accessible(page)

    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    main = page.locator("main")
    expect(main).to_contain_text("Six evenings of gentle writing exercises.")
    expect(main).to_contain_text("Use writing to notice what helps")
    expect(main).to_contain_text(cast["peer"])
    expect(main).to_contain_text(cast["trainer"])
    assert_accessible(page)
