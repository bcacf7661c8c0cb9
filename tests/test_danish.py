"""No English on a Danish page or in a Danish mail, and no Danish unmarked on an English page.

Every page of the access table (``tests.test_access.ACCESS``) is opened in Danish by someone
it is for, a few forms are sent back with their errors, and every mail template is written
in Danish. None may show an English source string of the catalogue, an English date, or
"den tirsdag den" (see ``tests.danish_text`` for how the text is read). The same pages in
English show no Danish of the catalogue outside what is marked ``lang="da"``.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from college.extensions import db
from college.models import OutboxMessage
from college.services import record_audit
from college.signals import extension_points
from tests.danish_text import (
    danish_in,
    english_in,
    lines_of_csv,
    lines_of_html,
    lines_of_text,
)
from tests.mail_contexts import mail_names, render_mail
from tests.test_access import ACCESS, World, sign_in_as, url_for_rule
from tests.test_access import world as world  # the fixture, shared

# Who opens a page when several may: the person it is most for comes first.
PREFERENCE = ("student", "peer", "trainer", "admin", "anonymous")
PAGES = sorted(
    endpoint
    for endpoint, row in ACCESS.items()
    if row.method == "GET" and endpoint != "static" and 200 in row.expected.values()
)
# Forms sent empty, so that their error messages and the error summary show.
FORMS = ("auth.login", "auth.register", "auth.reset_request", "courses_admin.term_new")


def reader_for(endpoint: str) -> str:
    expected = ACCESS[endpoint].expected
    return next(who for who in PREFERENCE if expected.get(who) == 200)


def lines_of_response(response) -> list[str] | None:
    kind = response.mimetype
    text = response.get_data(as_text=True)
    if kind == "text/html":
        return lines_of_html(text)
    if kind == "text/csv":
        return lines_of_csv(text)
    return None  # JSON and calendars speak to programs


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser that asks for Danish, signing in and out too."""
    danish = app.test_client()
    danish.environ_base["HTTP_ACCEPT_LANGUAGE"] = "da"
    return danish


@pytest.fixture
def danish_world(world: World) -> World:
    for person in world.people.values():
        person.language = "da"
    # The failed message on the mail page is data, not the site's words: Danish too.
    db.session.get_one(OutboxMessage, world.values["message_id"]).subject = "Velkommen"
    add_training_and_history(world)
    db.session.commit()
    return world


def add_training_and_history(world: World) -> None:
    """The peer in training (programme names show), and one audit event of every kind."""
    from peers.models import CohortMeeting, TrainingAttendance, TrainingPlace

    peer, admin = world.people["peer"], world.people["admin"]
    meeting = db.session.get_one(CohortMeeting, world.values["meeting_id"])
    db.session.add(TrainingPlace(cohort_id=world.values["cohort_id"], user_id=peer.id))
    db.session.add(TrainingAttendance(meeting_id=meeting.id, user_id=peer.id, present=True))
    for action in extension_points().audit_actions:
        record_audit(admin, action, world.people["student"])


def test_the_checks_find_what_they_look_for():
    page = (
        '<main><h1>Log ind</h1><p>Please check the form</p><p lang="en">English</p>'
        '<button aria-label="Next page">›</button><p>den tirsdag den 10. september</p>'
        '<p>3 sessions</p><p translate="no">session.added</p></main>'
    )
    found = "\n".join(english_in(lines_of_html(page)))
    for english in ("Please check the form", "Next page", "den … den", "%(num)s sessions"):
        assert english in found
    assert "English" not in found and "session.added" not in found
    assert english_in(lines_of_text("Tuesday 10 September 2030"))
    marked = '<p lang="da">Log ind</p><p>Log in</p>'
    assert danish_in(lines_of_html(marked, "en")) == []
    assert danish_in(lines_of_html("<p>Log ind</p>", "en"))


def test_the_reader_sees_the_page_they_are_for():
    assert reader_for("enrolment.my_courses") == "student"
    assert reader_for("peers.schedule") == "peer"
    assert reader_for("admin.dashboard") == "admin"
    assert reader_for("auth.register") == "anonymous"


@pytest.mark.parametrize("endpoint", PAGES)
def test_a_danish_page_has_no_english(
    app: Flask, client: FlaskClient, danish_world: World, endpoint: str
):
    who = reader_for(endpoint)
    sign_in_as(client, danish_world.people.get(who))
    url = url_for_rule(app, endpoint, danish_world)
    response = client.get(url)
    assert response.status_code == 200, f"{url} as {who}"
    lines = lines_of_response(response)
    if lines is None:
        pytest.skip(f"{response.mimetype} is not read by people")
    if response.mimetype == "text/html":
        assert '<html lang="da">' in response.get_data(as_text=True)
    found = english_in(lines)
    assert not found, f"English on {url} as {who}:\n" + "\n".join(found)


@pytest.mark.parametrize("endpoint", FORMS)
def test_a_danish_form_sent_back_has_no_english(
    app: Flask, client: FlaskClient, danish_world: World, endpoint: str
):
    who = reader_for(endpoint)
    sign_in_as(client, danish_world.people.get(who))
    url = url_for_rule(app, endpoint, danish_world)
    response = client.post(url, data={})
    page = response.get_data(as_text=True)
    assert "Tjek venligst formularen" in page, url
    assert "<title>Fejl: " in page
    found = english_in(lines_of_html(page))
    assert not found, f"English on {url} sent back empty:\n" + "\n".join(found)


@pytest.mark.parametrize("endpoint", PAGES)
def test_an_english_page_has_no_unmarked_danish(app: Flask, world: World, endpoint: str):
    english = app.test_client()
    english.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    who = reader_for(endpoint)
    sign_in_as(english, world.people.get(who))
    url = url_for_rule(app, endpoint, world)
    response = english.get(url)
    assert response.status_code == 200, f"{url} as {who}"
    if response.mimetype != "text/html":
        pytest.skip(f"{response.mimetype}: read above in Danish")
    found = danish_in(lines_of_html(response.get_data(as_text=True), "en"))
    assert not found, f"Danish on {url} as {who}:\n" + "\n".join(found)


# --- mail ------------------------------------------------------------------------------------

MAILS = mail_names()


def test_every_mail_is_checked():
    assert "courses/enrolled" in MAILS
    assert "peers/qualified" in MAILS
    assert not any(name.rsplit("/", 1)[-1].startswith("_") for name in MAILS)


@pytest.mark.parametrize("first", [True, False], ids=["new", "changed"])
@pytest.mark.parametrize("name", MAILS)
def test_a_danish_mail_has_no_english(app: Flask, danish_world: World, name: str, first: bool):
    mail = render_mail(danish_world.values, danish_world.people, name, "da", first)
    found = english_in(lines_of_text(mail.text_body)) + english_in(
        lines_of_html(mail.html_body or "")
    )
    assert not found, f"English in email/{name}:\n" + "\n".join(found)
