"""The Calendar page: my personal feed address, how to subscribe, renewing and revoking it."""

from __future__ import annotations

from urllib.parse import unquote

from flask.testing import FlaskClient

from college.extensions import db
from college.models import User
from tests import factories


def test_the_calendar_page_is_for_signed_in_people(client: FlaskClient):
    response = client.get("/me/calendar")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert client.post("/me/calendar/renew").status_code == 302
    assert client.post("/me/calendar/revoke").status_code == 302


def test_i_can_make_an_address_and_subscribe_in_three_ways(client: FlaskClient, auth):
    student = factories.make_student()
    db.session.commit()
    auth.login(student)
    page = client.get("/me/calendar").get_data(as_text=True)
    assert "You do not have a calendar address" in page
    response = client.post("/me/calendar/renew", follow_redirects=True)
    page = response.get_data(as_text=True)
    db.session.refresh(student)
    token = student.calendar_token
    assert token and len(token) >= 40
    feed = f"http://college.test/calendar/u/{token}.ics"
    assert f'value="{feed}"' in page
    assert 'data-copy="feed-url"' in page
    assert f'href="webcal://college.test/calendar/u/{token}.ics"' in page
    google = next(line for line in page.splitlines() if "calendar.google.com" in line)
    assert f"webcal://college.test/calendar/u/{token}.ics" in unquote(google)
    assert "<script>" not in page  # the copy button works from static/js only
    assert client.get(f"/calendar/u/{token}.ics").status_code == 200


def test_renewing_replaces_the_address_and_revoking_switches_it_off(client: FlaskClient, auth):
    student: User = factories.make_student()
    db.session.commit()
    auth.login(student)
    client.post("/me/calendar/renew")
    db.session.refresh(student)
    first = student.calendar_token
    page = client.post("/me/calendar/renew", follow_redirects=True).get_data(as_text=True)
    assert "The old one no longer works" in page
    db.session.refresh(student)
    second = student.calendar_token
    assert second != first
    assert client.get(f"/calendar/u/{first}.ics").status_code == 404
    assert client.get(f"/calendar/u/{second}.ics").status_code == 200
    page = client.post("/me/calendar/revoke", follow_redirects=True).get_data(as_text=True)
    assert "switched off" in page
    db.session.refresh(student)
    assert student.calendar_token is None
    assert client.get(f"/calendar/u/{second}.ics").status_code == 404


def test_renewing_and_revoking_need_the_form_token(client: FlaskClient, auth, app, monkeypatch):
    student = factories.make_student()
    db.session.commit()
    auth.login(student)
    assert client.get("/me/calendar").status_code == 200
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/me/calendar/renew").status_code == 400
    assert client.post("/me/calendar/revoke").status_code == 400
    db.session.refresh(student)
    assert student.calendar_token is None


def test_the_page_is_in_the_main_navigation_when_signed_in(client: FlaskClient, auth):
    assert 'href="/me/calendar"' not in client.get("/").get_data(as_text=True)
    student = factories.make_student()
    db.session.commit()
    auth.login(student)
    assert 'href="/me/calendar"' in client.get("/").get_data(as_text=True)
