"""A person to contact: the college's details in the footer, every mail and every error page."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from college.account_mail import queue_account_mail
from college.errors import ERROR_TITLES, render_error
from college.extensions import db
from college.models import OutboxMessage
from college.outbox.queueing import render_pending
from tests import factories

TEMPLATES = Path(__file__).parents[2] / "templates" / "email"


@pytest.fixture
def contact(app: Flask, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    details = {
        "COLLEGE_CONTACT_EMAIL": "hej@skolen.example",
        "COLLEGE_CONTACT_PHONE": "+45 11 22 33 44",
        "COLLEGE_CONTACT_ADDRESS": "Havnegade 3, 5000 Odense C",
        "COLLEGE_CONTACT_HOURS": "",
    }
    for key, value in details.items():
        monkeypatch.setitem(app.config, key, value)
    return details


def test_the_settings_have_demo_defaults(app: Flask):
    from college.config import load_config

    config = load_config(Path(app.instance_path))
    assert config["COLLEGE_CONTACT_EMAIL"] == "kontakt@recovery-college.example"
    assert config["COLLEGE_CONTACT_PHONE"] and config["COLLEGE_CONTACT_ADDRESS"]
    assert config["COLLEGE_CONTACT_HOURS"] == ""


@pytest.mark.parametrize("language", ["en", "da"])
def test_every_page_footer_names_whom_to_contact(client, contact, language):
    page = client.get("/courses/", headers={"Accept-Language": language}).get_data(as_text=True)
    footer = page[page.index('<footer class="site-footer">') :]
    assert '<a href="mailto:hej@skolen.example">hej@skolen.example</a>' in footer
    assert '<a href="tel:+4511223344">+45 11 22 33 44</a>' in footer
    assert "Havnegade 3, 5000 Odense C" in footer
    hours = (
        "Monday to Thursday, 9:00 to 15:00" if language == "en" else "Mandag til torsdag kl. 9-15"
    )
    assert hours in footer


def test_hours_set_by_the_college_are_shown_as_written(client, contact, app, monkeypatch):
    monkeypatch.setitem(app.config, "COLLEGE_CONTACT_HOURS", "Hverdage 10-14")
    assert "Hverdage 10-14" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("status", [403, 404, 429, 500, 503])
@pytest.mark.parametrize("language", ["en", "da"])
def test_error_pages_have_their_own_title_and_whom_to_contact(app, contact, status, language):
    with app.test_request_context("/", headers={"Accept-Language": language}):
        body, code = render_error(status)
    assert code == status
    title = str(ERROR_TITLES[status])
    assert f"<title>{title} – Recovery College</title>" in body
    assert f"<h1>{title}</h1>" in body
    assert body.count("hej@skolen.example") >= 4  # on the page and in the footer, as text and link
    help_heading = "Do you need help?" if language == "en" else "Har du brug for hjælp?"
    assert help_heading in body


def test_each_error_has_a_title_of_its_own():
    titles = [str(ERROR_TITLES[status]) for status in (403, 404, 429, 500, 503)]
    assert len(set(titles)) == 5


def test_a_missing_page_says_whom_to_contact(client, contact):
    response = client.get("/no/such/page", headers={"Accept-Language": "da"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "<h1>Vi kunne ikke finde siden</h1>" in page
    assert "hej@skolen.example" in page[: page.index('<footer class="site-footer">')]


def test_the_accessibility_statement_names_a_contact(client, contact):
    page = client.get("/accessibility", headers={"Accept-Language": "da"}).get_data(as_text=True)
    main = page[page.index("<main") : page.index("</main>")]
    assert "<h1>Tilgængelighedserklæring</h1>" in main
    assert "hej@skolen.example" in main and "+45 11 22 33 44" in main
    assert "Digitaliseringsstyrelsen" in main


def test_every_mail_template_ends_with_the_shared_footer():
    for template in TEMPLATES.glob("*/[!_]*"):
        text = template.read_text(encoding="utf-8")
        assert "_footer" in text or "email/_base" in text, template.name
    for base in ("_base.txt", "_base.html"):
        assert "email/_footer" in (TEMPLATES / base).read_text(encoding="utf-8")


def test_an_account_mail_gives_the_contact_details(contact):
    student = factories.make_student(language="da")
    queue_account_mail(student, "welcome")
    render_pending()
    message = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == student.email)
    ).one()
    assert "Spørgsmål? Skriv til hej@skolen.example eller ring på +45 11 22 33 44" in (
        message.text_body
    )
    assert "Havnegade 3, 5000 Odense C" in message.html_body
