"""Trainers and peers in Chromium, in Danish and in English, using only what is on screen.

- a trainer logs in, opens today's register from their schedule, marks who was not there
  and saves, and is back on the schedule;
- a peer logs in, says "I can't come" to a session, confirms, and sees on the schedule that
  they are away and that colleagues are asked to cover;
- a colleague takes that session over from their own schedule, and the peer then sees who
  covers for them.

Forms are filled and sent with the keyboard; axe-core checks every page on the way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from college.extensions import db
from college.models import User
from courses.enrolment.models import Attendance
from courses.models import CourseSession
from peers import services as peers
from tests import factories
from tests.browser.helpers import assert_accessible, expect, unique

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "locale": "en-GB",
        "email": "Email address",
        "password": "Password",
        "log_in": "Log in",
        "schedule": "My schedule",
        "register": "Register",
        "absent": "Absent",
        "save": "Save register",
        "saved": "The register is saved.",
        "cant_come": "I can't come",
        "confirm_title": "You can't come?",
        "confirm": "Yes, ask a colleague to cover",
        "told": "Thank you for telling us.",
        "asking": "You can't come. We are asking your colleagues to cover",
        "take_back": "I can come after all",
        "they_cant": "can't come. Can you take their place?",
        "cover": "I can cover",
        "not_this_time": "Not this time",
        "yours": "The session is yours",
        "covers_for_you": "covers for you.",
        "today": "Today",
    },
    "da": {
        "locale": "da-DK",
        "email": "E-mailadresse",
        "password": "Adgangskode",
        "log_in": "Log ind",
        "schedule": "Mit skema",
        "register": "Fremmødeliste",
        "absent": "Fraværende",
        "save": "Gem fremmødelisten",
        "saved": "Fremmødelisten er gemt.",
        "cant_come": "Jeg kan ikke komme",
        "confirm_title": "Kan du ikke komme?",
        "confirm": "Ja, spørg en kollega om at dække ind",
        "told": "Tak, fordi du gav besked.",
        "asking": "Du kan ikke komme. Vi spørger dine kolleger",
        "take_back": "Jeg kan alligevel komme",
        "they_cant": "kan ikke komme. Kan du tage over?",
        "cover": "Jeg kan dække ind",
        "not_this_time": "Ikke denne gang",
        "yours": "Kursusgangen er din",
        "covers_for_you": "dækker ind for dig.",
        "today": "I dag",
    },
}
LANGUAGES = list(WORDS)


@pytest.fixture
def open_browser(
    browser: Any, live_server: Any, page_problems: Any
) -> Iterator[Callable[[str], Any]]:
    """``open_browser(language)``: a fresh page whose browser asks for that language."""
    contexts: list[Any] = []
    errors_before = len(live_server.errors)

    def open_page(language: str) -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            locale=WORDS[language]["locale"],
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(10_000)
        context.on("page", page_problems.watch)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert not live_server.errors[errors_before:], "the server raised"
    assert not page_problems.problems, "\n".join(page_problems.problems)


def log_in_by_keyboard(page: Any, words: dict[str, str], email: str) -> None:
    """Log in through the form with the keyboard, then open the schedule from the menu."""
    page.goto("/auth/login")
    assert_accessible(page)
    page.get_by_label(words["email"]).focus()
    page.keyboard.type(email)
    page.get_by_label(words["password"], exact=True).focus()
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    heading = page.get_by_role("heading", name=words["schedule"], exact=True)
    if not heading.count():
        page.get_by_role("navigation").get_by_role("link", name=words["schedule"]).click()
    expect(heading).to_be_visible()
    assert_accessible(page)


def press(page: Any, button: Any) -> None:
    """Send a form the way a keyboard user does: focus its button, press Enter."""
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()


_weeks = iter(range(1, 1000))


def a_quiet_sunday() -> datetime:
    """A Sunday morning far ahead, a different one each time, so nobody else teaches then."""
    start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    return start + timedelta(days=150 + (6 - start.weekday()) % 7 + 7 * next(_weeks))


# --- the trainer ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_trainer_keeps_todays_register_from_their_schedule(
    live_server: Any, open_browser: Callable[[str], Any], language: str
):
    words = WORDS[language]
    with live_server.seed():
        trainer = factories.make_trainer(
            email=f"{unique('trainer')}@example.org", language=language
        )
        course = factories.make_published_course(
            trainer=trainer,
            sessions=2,
            first_start=factories.early_today(),
            title=unique("Attendance journey"),
        )
        came = factories.make_student(name=f"Came {unique('s')}")
        missed = factories.make_student(name=f"Missed {unique('s')}")
        for student in (came, missed):
            factories.make_enrolment(course, student)
        cast = {
            "title": course.title,
            "session_id": course.sessions[0].id,
            "came": (came.id, came.display_name),
            "missed": (missed.id, missed.display_name),
            "email": trainer.email,
        }

    page = open_browser(language)
    log_in_by_keyboard(page, words, cast["email"])
    expect(page.get_by_role("heading", name=words["today"], exact=True)).to_be_visible()
    card = page.locator("article.schedule-session", has_text=cast["title"]).first
    card.get_by_role("link", name=words["register"]).click()
    expect(page.get_by_role("heading", name=cast["title"])).to_be_visible()
    assert_accessible(page)

    # Everyone starts as present; only who was not there is changed, by keyboard.
    came_row = page.get_by_role("row", name=cast["came"][1])
    missed_row = page.get_by_role("row", name=cast["missed"][1])
    expect(came_row.get_by_role("radio").first).to_be_checked()
    expect(missed_row.get_by_role("radio").first).to_be_checked()
    missed_row.get_by_role("radio").first.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(missed_row.get_by_role("radio", name=words["absent"])).to_be_checked()
    press(page, page.get_by_role("button", name=words["save"]))

    expect(page.get_by_text(words["saved"])).to_be_visible()
    expect(page.get_by_role("heading", name=words["schedule"], exact=True)).to_be_visible()
    assert_accessible(page)
    with live_server.seed():
        marks = dict(
            db.session.execute(
                sa.select(Attendance.student_id, Attendance.status).where(
                    Attendance.session_id == cast["session_id"]
                )
            ).all()
        )
    assert marks == {cast["came"][0]: "present", cast["missed"][0]: "absent"}


# --- the peer and the colleague who covers ------------------------------------------------------


@pytest.fixture
def cover_cast(live_server: Any) -> Callable[[str], dict[str, Any]]:
    def make(language: str) -> dict[str, Any]:
        with live_server.seed():
            peer = factories.make_peer(
                name=f"Away {unique('p')}",
                email=f"{unique('away')}@example.org",
                language=language,
            )
            colleague = factories.make_peer(
                name=f"Colleague {unique('c')}",
                email=f"{unique('colleague')}@example.org",
                language=language,
            )
            course = factories.make_published_course(
                peer=peer,
                sessions=1,
                first_start=a_quiet_sunday(),
                title=unique("Cover journey"),
            )
            return {
                "peer": peer.email,
                "peer_name": peer.display_name,
                "colleague": colleague.email,
                "colleague_name": colleague.display_name,
                "title": course.title,
                "session_id": course.sessions[0].id,
            }

    return make


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_peer_says_they_cannot_come_and_sees_it_on_their_schedule(
    live_server: Any, open_browser: Callable[[str], Any], cover_cast: Any, language: str
):
    words, cast = WORDS[language], cover_cast(language)
    page = open_browser(language)
    log_in_by_keyboard(page, words, cast["peer"])
    card = page.locator("article.schedule-session", has_text=cast["title"])
    card.get_by_role("link", name=words["cant_come"]).click()

    expect(page.get_by_role("heading", name=words["confirm_title"])).to_be_visible()
    expect(page.get_by_text(cast["title"])).to_be_visible()
    assert_accessible(page)
    press(page, page.get_by_role("button", name=words["confirm"]))

    expect(page.get_by_text(words["told"])).to_be_visible()
    card = page.locator("article.schedule-session", has_text=cast["title"])
    expect(card.get_by_text(words["asking"])).to_be_visible()
    expect(card.get_by_role("button", name=words["take_back"])).to_be_visible()
    expect(card.get_by_role("link", name=words["cant_come"])).to_have_count(0)
    assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_colleague_takes_the_session_over_from_their_schedule(
    live_server: Any, open_browser: Callable[[str], Any], cover_cast: Any, language: str
):
    words, cast = WORDS[language], cover_cast(language)
    with live_server.seed():
        away = db.session.scalar(sa.select(User).where(User.email == cast["peer"]))
        peers.cannot_make_it(away, db.session.get_one(CourseSession, cast["session_id"]))

    page = open_browser(language)
    log_in_by_keyboard(page, words, cast["colleague"])
    offer = page.locator("article.cover-offer", has_text=cast["title"])
    expect(offer.get_by_text(f"{cast['peer_name']} {words['they_cant']}")).to_be_visible()
    expect(offer.get_by_role("button", name=words["not_this_time"])).to_be_visible()
    assert_accessible(page)
    press(page, offer.get_by_role("button", name=words["cover"]))

    expect(page.get_by_text(words["yours"])).to_be_visible()
    expect(page.locator("article.schedule-session", has_text=cast["title"])).to_be_visible()
    assert_accessible(page)

    away_page = open_browser(language)
    log_in_by_keyboard(away_page, words, cast["peer"])
    card = away_page.locator("article.schedule-session", has_text=cast["title"])
    expect(card.get_by_text(f"{cast['colleague_name']} {words['covers_for_you']}")).to_be_visible()
    assert_accessible(away_page)
