"""Account journeys in Chromium: register, log in and out, reset a password by email."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import assert_accessible, expect, link_in, login, logout, unique

pytestmark = pytest.mark.browser

PASSWORD = "a calm river at dawn"


def register(page: Any, email: str, name: str, password: str = PASSWORD) -> None:
    page.goto("/auth/register")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("English").check()
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Create account").click()
    # The answer is the same for a new address and a taken one, so nobody is signed in by it.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    main = page.locator("main")
    main.get_by_role("link", name="Log in").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_register_then_log_out_and_in_again(page: Any) -> None:
    email = f"{unique('newcomer')}@example.org"
    register(page, email, "Kirsten")

    expect(page.locator(".flash-success")).to_contain_text("You are logged in")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    logout(page)
    expect(page.locator(".flash-success")).to_contain_text("You are logged out")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto("/me/settings")
    expect(page).to_have_url("/auth/login?next=%2Fme%2Fsettings", ignore_case=True)

    login(page, email, PASSWORD)
    page.goto("/me/settings")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page).to_have_url("/me/settings")


def test_registering_with_bad_input_shows_every_problem(page: Any) -> None:
    page.goto("/auth/register")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("button", name="Create account").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please tell us what to call you.")
    expect(summary).to_contain_text("Please enter an email address like name@example.dk.")
    expect(summary).to_contain_text("between 8 and 256 characters")
    expect(summary).to_contain_text("Please accept the privacy notice")
    expect(page.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_a_wrong_password_is_refused_with_a_message(page: Any) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email address").fill("nobody@example.org")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Log in").click()

    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    assert_accessible(page)


def test_password_reset_through_the_mail_server(page: Any, mailbox: Any) -> None:
    email = f"{unique('forgetful')}@example.org"
    register(page, email, "Birgit")
    logout(page)
    mailbox.deliver()  # the welcome message

    page.get_by_role("link", name="Log in").click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    messages = mailbox.deliver_to(email)
    assert [m["Subject"] for m in messages] == ["Reset your password"]
    link = link_in(messages[0], "/auth/reset/")

    page.goto(link)
    new_password = "a new song for the morning"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("Repeat the new password").fill(new_password)
    page.get_by_role("button", name="Save new password").click()
    expect(page.locator(".flash-success")).to_contain_text("Your password has been changed")

    logout(page)
    login(page, email, new_password)

    # The link works once.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Choose a new password")
    expect(page.get_by_label("New password", exact=True)).to_have_count(0)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(page: Any, mailbox: Any) -> None:
    page.goto("/auth/reset")
    email = f"{unique('stranger')}@example.org"
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert mailbox.deliver_to(email) == []
