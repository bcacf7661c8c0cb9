"""Asking again for consent when the privacy notice changes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from college.extensions import db
from college.models import AuditEvent
from tests import factories


def change_notice(app: Flask, monkeypatch) -> str:
    monkeypatch.setitem(app.config, "PRIVACY_NOTICE_VERSION", "2099-01")
    return "2099-01"


def test_a_changed_notice_is_asked_for_before_anything_else(
    app: Flask, client: FlaskClient, auth, monkeypatch
):
    student = factories.make_student()
    db.session.commit()
    auth.login(student)
    change_notice(app, monkeypatch)
    response = client.get("/me/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/me/consent?next=/me/settings")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Our privacy notice has changed" in page
    assert "2099-01" in page


def test_accepting_records_the_version_and_goes_back(
    app: Flask, client: FlaskClient, auth, monkeypatch
):
    student = factories.make_student()
    db.session.commit()
    auth.login(student)
    version = change_notice(app, monkeypatch)
    response = client.post("/me/consent?next=/me/settings", data={"consent": "y"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/me/settings"
    db.session.refresh(student)
    assert student.consent_version == version
    assert client.get("/me/settings").status_code == 200
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "consent.given"))
    assert event is not None and event.detail == version


def test_not_ticking_the_box_changes_nothing(app: Flask, client: FlaskClient, auth, monkeypatch):
    student = factories.make_student()
    db.session.commit()
    before = student.consent_version
    auth.login(student)
    change_notice(app, monkeypatch)
    response = client.post("/me/consent", data={})
    assert response.status_code == 400
    assert "Please accept the privacy notice to go on." in response.get_data(as_text=True)
    db.session.refresh(student)
    assert student.consent_version == before


def test_a_person_who_has_not_agreed_can_still_leave_with_their_data(
    app: Flask, client: FlaskClient, auth, monkeypatch
):
    student = factories.make_student()
    db.session.commit()
    auth.login(student)
    change_notice(app, monkeypatch)
    for path in ("/privacy", "/me/data", "/me/data.json", "/me/delete"):
        assert client.get(path).status_code == 200, path
    assert client.post("/auth/logout").status_code == 302


def test_staff_accounts_without_consent_are_not_asked(
    app: Flask, client: FlaskClient, auth, monkeypatch
):
    admin = factories.make_admin()
    admin.consent_version = None
    db.session.commit()
    auth.login(admin)
    change_notice(app, monkeypatch)
    assert client.get("/admin/").status_code == 200


def test_the_next_address_cannot_leave_the_site(app: Flask, client: FlaskClient, auth, monkeypatch):
    student = factories.make_student()
    db.session.commit()
    auth.login(student)
    change_notice(app, monkeypatch)
    response = client.post("/me/consent?next=https://evil.example/", data={"consent": "y"})
    assert response.headers["Location"] == "/"
