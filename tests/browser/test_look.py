"""What the site looks like in Chromium: buttons told apart, focus seen, errors marked, an icon."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.helpers import expect, screenshot, unique
from tests.browser.test_accounts import register

pytestmark = pytest.mark.browser

STYLE = """(element) => {
    const style = getComputedStyle(element);
    const page = getComputedStyle(document.body);
    return {background: style.backgroundColor, text: style.color, border: style.borderTopColor,
            outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
            outlineColour: style.outlineColor, ring: style.boxShadow,
            borderWidth: parseFloat(style.borderTopWidth), page: page.backgroundColor};
}"""


def rgb(colour: str) -> tuple[int, int, int]:
    red, green, blue = (int(n) for n in re.findall(r"\d+", colour)[:3])
    return red, green, blue


def luminance(colour: str) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def style_of(locator: Any) -> dict[str, Any]:
    return locator.evaluate(STYLE)


def tab_to(page: Any, locator: Any, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("(element) => element === document.activeElement"):
            return
    raise AssertionError("the button cannot be reached with the Tab key")


def test_main_other_and_danger_buttons_look_different_and_show_focus(page: Any) -> None:
    register(page, f"{unique('looks')}@example.org", "Lone")
    page.goto("/me/calendar")
    page.get_by_role("button", name="Make my calendar address").click()
    buttons = {
        "primary": page.get_by_role("button", name="Make a new address"),
        "secondary": page.get_by_role("button", name="Copy address"),
        "danger": page.get_by_role("button", name="Switch my address off"),
    }
    expect(buttons["danger"]).to_be_visible()
    screenshot(page, "look/01-three-kinds-of-button")
    looks = {kind: style_of(button) for kind, button in buttons.items()}

    backgrounds = {kind: look["background"] for kind, look in looks.items()}
    assert len(set(backgrounds.values())) == 3, backgrounds
    # Outlined: the page's own light colour inside, a coloured border around it.
    assert luminance(looks["secondary"]["background"]) > 0.9
    assert contrast(looks["secondary"]["border"], looks["secondary"]["page"]) >= 3
    # Red: more red than anything else, and far from the main action's colour.
    red, green, blue = rgb(looks["danger"]["background"])
    assert red > 2 * green and red > 2 * blue, looks["danger"]
    for kind, look in looks.items():
        assert contrast(look["text"], look["background"]) >= 4.5, (kind, look)

    for kind, button in buttons.items():
        tab_to(page, button)
        focused = style_of(button)
        assert focused["outline"] != "none" and focused["outlineWidth"] >= 2, (kind, focused)
        assert contrast(focused["outlineColour"], focused["page"]) >= 3, (kind, focused)
    screenshot(page, "look/02-danger-button-focused")


def test_an_invalid_field_is_red_and_the_title_says_error(page: Any) -> None:
    page.goto("/auth/register")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Create account").click()
    field = page.get_by_label("Email address")
    expect(field).to_have_attribute("aria-invalid", "true")
    look = style_of(field)
    assert rgb(look["border"]) == (179, 38, 30) and look["borderWidth"] >= 3, look
    assert page.title().startswith("Error: Create account"), page.title()
    screenshot(page, "look/03-invalid-field")

    page.get_by_role("button", name="Dansk").click()
    page.get_by_label("E-mailadresse").fill("stadig ikke en adresse")
    page.get_by_role("button", name="Opret konto").click()
    expect(page.get_by_label("E-mailadresse")).to_have_attribute("aria-invalid", "true")
    assert page.title().startswith("Fejl: "), page.title()
    page.get_by_role("button", name="English").click()


def test_the_site_has_an_icon_in_two_formats(page: Any) -> None:
    page.goto("/")
    icons = page.locator('link[rel="icon"]')
    expect(icons).to_have_count(2)
    kinds = {}
    for index in range(2):
        href = icons.nth(index).get_attribute("href")
        response = page.request.get(href)
        assert response.ok, href
        kinds[response.headers["content-type"].split(";")[0]] = len(response.body())
    assert set(kinds) == {"image/svg+xml", "image/png"}
    assert all(size > 100 for size in kinds.values())
