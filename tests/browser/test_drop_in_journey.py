"""Drop-in in Chromium, in Danish, using only what is on screen.

- a visitor finds the Thursday drop-in, reads that it needs no sign-up, and is offered no
  way to enrol;
- a trainer opens today's drop-in from their schedule, types the head count with the
  keyboard, saves, and is back on the schedule; a count that does not add up is explained.

axe-core checks every page on the way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from college.extensions import db
from courses.dropin.demo import TITLE as DEMO_DROP_IN
from courses.dropin.models import HeadCount
from tests import factories
from tests.browser.helpers import assert_accessible, expect, unique
from tests.browser.test_teaching_journeys import WORDS, log_in_by_keyboard, press
from tests.browser.test_teaching_journeys import open_browser as open_browser  # the fixture

pytestmark = pytest.mark.browser

DANISH = WORDS["da"]


def test_a_visitor_reads_that_the_thursday_drop_in_needs_no_sign_up(
    open_browser: Callable[[str], Any],
):
    page = open_browser("da")
    page.goto("/courses/?q=Torsdagscaf%C3%A9")
    card = page.locator("article.course-card", has_text=DEMO_DROP_IN)
    expect(card).to_contain_text("Drop-in – ingen tilmelding")
    expect(card).to_contain_text("Kom bare — du behøver ikke tilmelde dig")
    assert_accessible(page)

    card.get_by_role("link", name=DEMO_DROP_IN).click()
    box = page.locator("#join")
    expect(box.get_by_role("heading", name="Kom og vær med")).to_be_visible()
    expect(box).to_contain_text("Kom bare — du behøver ikke tilmelde dig.")
    expect(box).to_contain_text("Der er plads til 20 personer i lokalet.")
    # Nothing is offered that would be refused: no enrol button, no "log in to enrol".
    expect(box.get_by_role("button")).to_have_count(0)
    expect(box.get_by_role("link")).to_have_count(0)
    expect(page.locator("#sessions-caption").locator("..")).to_contain_text("torsdag")
    assert_accessible(page)


def test_a_trainer_records_a_head_count_from_their_schedule(
    live_server: Any, open_browser: Callable[[str], Any]
):
    with live_server.seed():
        trainer = factories.make_trainer(email=f"{unique('trainer')}@example.org", language="da")
        course = factories.make_published_course(
            trainer=trainer,
            sessions=2,
            first_start=factories.early_today(),
            title=unique("Torsdagscafé"),
            drop_in=True,
            room_capacity=20,
        )
        cast = {"title": course.title, "session_id": course.sessions[0].id, "email": trainer.email}

    page = open_browser("da")
    log_in_by_keyboard(page, DANISH, cast["email"])
    card = page.locator("article.schedule-session", has_text=cast["title"]).first
    card.get_by_role("link", name="Optælling").click()
    expect(page.get_by_role("heading", name=f"Optælling: {cast['title']}")).to_be_visible()
    assert_accessible(page)

    # A count whose visits add up to more than who came is explained, and nothing is saved.
    for label, value in (("Hvor mange kom", "4"), ("Heraf første besøg", "3"),
                         ("Heraf andet besøg", "2")):  # fmt: skip
        field = page.get_by_label(label)
        field.focus()
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
    press(page, page.get_by_role("button", name="Gem optællingen"))
    expect(page.locator(".error-summary")).to_contain_text("giver tilsammen 5")
    assert_accessible(page)

    field = page.get_by_label("Hvor mange kom")
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("9")
    press(page, page.get_by_role("button", name="Gem optællingen"))
    expect(page.get_by_text("Optællingen er gemt. Tak.")).to_be_visible()
    expect(page.get_by_role("heading", name=DANISH["schedule"], exact=True)).to_be_visible()
    assert_accessible(page)
    with live_server.seed():
        count = db.session.scalar(
            sa.select(HeadCount).where(HeadCount.session_id == cast["session_id"])
        )
        assert count is not None
        assert (count.came, count.first_visits, count.second_visits) == (9, 3, 2)


def test_the_sheet_to_hear_about_courses_passes_axe_with_its_messages(
    live_server: Any, open_browser: Callable[[str], Any]
):
    with live_server.seed():
        trainer = factories.make_trainer(email=f"{unique('trainer')}@example.org", language="da")
        course = factories.make_published_course(
            trainer=trainer, sessions=1, first_start=factories.early_today(),
            title=unique("Torsdagscafé"), drop_in=True,
        )  # fmt: skip
        cast = {"session_id": course.sessions[0].id, "email": trainer.email}

    page = open_browser("da")
    log_in_by_keyboard(page, DANISH, cast["email"])
    page.goto(f"/courses/sessions/{cast['session_id']}/hear-about-courses")
    expect(page.get_by_role("heading", name="Vil du høre om vores kurser?")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("E-mailadresse eller telefonnummer").fill("maja@example.org")
    press(page, page.get_by_role("button", name="Gem"))
    expect(page.locator(".error-summary")).to_contain_text("sætter flueben")
    assert_accessible(page)
