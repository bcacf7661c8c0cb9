"""Site-wide journeys in Chromium: the language switch and using the site by keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.browser.helpers import expect, unique
from tests.servers import ROOT

pytestmark = pytest.mark.browser


def test_the_language_switch_changes_the_pages_and_sticks(page: Any) -> None:
    catalogue = ROOT / "college/translations/da/LC_MESSAGES/messages.mo"
    assert catalogue.exists(), "compile the Danish catalogue first: make translations"
    page.goto("/courses/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    page.get_by_role("button", name="Dansk").click()
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page).to_have_url("/courses/")
    expect(page.get_by_role("link", name="Log ind")).to_be_visible()
    expect(page.get_by_role("button", name="Dansk")).to_have_attribute("aria-current", "true")

    page.get_by_role("link", name="Log ind").click()
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log ind")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.goto("/")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


def focused(page: Any) -> dict[str, str]:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {tag: el.tagName.toLowerCase(), id: el.id, name: el.name || '',
                    text: (el.textContent || '').trim(), outline: style.outlineStyle,
                    shadow: style.boxShadow};
        }"""
    )


def tab_to(page: Any, wanted: Any, limit: int = 40) -> dict[str, str]:
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if wanted(element):
            return element
    raise AssertionError("the element cannot be reached with the Tab key")


def assert_focus_visible(element: dict[str, str]) -> None:
    assert element["outline"] != "none" or element["shadow"] != "none", element


def test_the_skip_link_is_first_and_moves_to_the_main_content(page: Any) -> None:
    page.goto("/courses/")
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["text"] == "Skip to main content"
    assert_focus_visible(skip)
    expect(page.get_by_role("link", name="Skip to main content")).to_be_in_viewport()

    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    # The next Tab continues inside the main content, past the header.
    page.keyboard.press("Tab")
    inside_main = page.evaluate(
        "() => document.querySelector('main').contains(document.activeElement)"
    )
    assert inside_main


def test_logging_in_with_the_keyboard_alone(page: Any, live_server: Any) -> None:
    address = f"{unique('keyboard')}@example.org"
    with live_server.seed():
        factories.make_student(email=address, language="en")
    page.goto("/auth/login")
    email = tab_to(page, lambda e: e["name"] == "email")
    assert_focus_visible(email)
    page.keyboard.type(address)
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "password"
    page.keyboard.type(factories.PASSWORD)
    submit = tab_to(page, lambda e: e["name"] == "submit", limit=3)
    assert_focus_visible(submit)
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text("You are logged in")

    # The log-out button in the header is reachable and works with the keyboard too.
    page.goto("/")
    tab_to(page, lambda e: e["text"] == "Log out")
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text("You are logged out")


def test_form_errors_take_the_keyboard_to_the_field(page: Any) -> None:
    page.goto("/auth/reset")
    tab_to(page, lambda e: e["name"] == "submit")
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Email address")).to_be_focused()
