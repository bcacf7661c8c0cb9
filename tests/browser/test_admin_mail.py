"""An administrator, in Danish, reads why mail failed and sends it all again."""

from __future__ import annotations

from typing import Any

import pytest

from college.outbox import queueing
from tests.browser.helpers import assert_accessible, expect, login, unique

pytestmark = pytest.mark.browser

PASSWORD = "a calm river at dawn"


def test_an_admin_sees_failed_mail_in_plain_danish_and_retries_it_all(
    page: Any, live_server: Any
) -> None:
    from college import services
    from college.models import MailFailure, OutboxMessage, OutboxStatus, Role

    admin_email = f"{unique('mail-admin')}@example.org"
    poison = f"{unique('jøns')}@example.dk"
    with live_server.seed():
        services.create_user(
            email=admin_email,
            display_name="Karin Post",
            password=PASSWORD,
            language="da",
            roles=(Role.ADMIN,),
        )
        for recipient, reason in (
            (poison, MailFailure.ADDRESS_UNSENDABLE),
            (f"{unique('down')}@example.org", MailFailure.SERVER_UNREACHABLE),
        ):
            message: OutboxMessage = queueing.enqueue(recipient, "Velkommen", "Hej")
            message.status = OutboxStatus.FAILED
            message.failure = reason
            message.attempts = 1
            message.last_error = "SMTPNotSupportedError: SMTPUTF8 not offered"

    login(page, admin_email, PASSWORD)
    page.goto("/admin/mail")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text=poison)
    expect(row).to_contain_text("Velkommen")
    expect(row).to_contain_text("Bed personen om en anden adresse")
    # The technical text is folded away until asked for.
    technical = row.get_by_text("SMTPNotSupportedError")
    expect(technical).to_be_hidden()
    row.get_by_text("Tekniske detaljer").click()
    expect(technical).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Prøv alle fejlede beskeder igen").click()
    expect(page.locator(".flash-success")).to_contain_text("bliver sendt igen")
    expect(page.get_by_role("row").filter(has_text=poison)).to_have_count(0)
    expect(page.locator("main")).to_contain_text("venter på at blive sendt")
    assert_accessible(page)
