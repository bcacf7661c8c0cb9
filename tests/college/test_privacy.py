"""Export and erasure of personal data."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from college import privacy
from college.extensions import db
from college.models import LoginSession, OutboxMessage, User
from tests import factories


def tables_referencing_users() -> set[str]:
    return {
        table.name
        for table in db.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == "users"
    } | {"users"}


def test_every_table_about_people_is_exported_and_erased(app: Flask):
    covered = {table for entry in privacy.registered() for table in entry.tables}
    missing = tables_referencing_users() - covered
    assert not missing, f"tables with a user reference missing from the export: {missing}"


def test_my_data_page_and_download(client: FlaskClient, auth):
    user = factories.make_student(name="Karen Blixen", email="karen@example.org")
    auth.login(user)
    page = client.get("/me/data")
    assert page.status_code == 200
    assert b"Karen Blixen" in page.data
    download = client.get("/me/data.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    data = json.loads(download.data)
    assert data["account"]["account"]["email"] == "karen@example.org"
    assert data["account"]["roles"] == ["student"]


def test_my_data_needs_login(client: FlaskClient):
    assert client.get("/me/data").status_code == 302
    assert client.get("/me/data.json").status_code == 302


def test_erase_account_removes_personal_details(client: FlaskClient, auth):
    user = factories.make_student(name="Karen Blixen", email="karen@example.org")
    auth.login(user)
    response = client.post("/me/delete", data={"password": factories.PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    erased = db.session.get(User, user.id)
    assert erased.email == f"erased-{user.id}@invalid"
    assert erased.display_name == privacy.ERASED_NAME
    assert erased.password_hash is None
    assert erased.anonymised_at is not None
    assert not erased.roles
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.recipient == "karen@example.org")
        )
        == 0
    )
    assert client.get("/me/settings").status_code == 302
    response = client.post(
        "/auth/login", data={"email": "karen@example.org", "password": factories.PASSWORD}
    )
    assert response.status_code == 401


def test_erase_needs_the_password_and_confirmation(client: FlaskClient, auth):
    user = factories.make_student()
    auth.login(user)
    response = client.post("/me/delete", data={"password": "wrong password", "confirm": "y"})
    assert response.status_code == 400
    assert b"password is not right" in response.data
    response = client.post("/me/delete", data={"password": factories.PASSWORD})
    assert response.status_code == 400
    assert db.session.get(User, user.id).anonymised_at is None


def test_the_only_admin_cannot_erase_themselves(client: FlaskClient, auth):
    admin = factories.make_admin()
    auth.login(admin)
    response = client.post("/me/delete", data={"password": factories.PASSWORD, "confirm": "y"})
    assert response.status_code == 400
    assert b"only administrator" in response.data


def test_mail_not_yet_written_is_exported_without_the_colleges_own_note(client: FlaskClient, auth):
    from college.account_mail import queue_account_mail

    user = factories.make_student(email="tove@example.org")
    queue_account_mail(user, "welcome")
    db.session.commit()
    auth.login(user)
    emails = json.loads(client.get("/me/data.json").data)["account"]["emails"]
    assert [(e["subject"], e["status"]) for e in emails] == [(None, "pending")]
    assert ": welcome" not in client.get("/me/data").get_data(as_text=True)


def test_my_data_is_shown_in_the_persons_own_language(client: FlaskClient, auth):
    user = factories.make_student(language="da", name="Karen Blixen")
    auth.login(user)
    page = client.get("/me/data").get_data(as_text=True)
    for label in ("Konto", "Navn", "Diskrete e-mails", "Browsere, hvor du er logget ind"):
        assert label in page
    assert "<dd>Ja</dd>" in page  # a discreet person, the default
    assert "<dd>Dansk</dd>" in page and "Kursist" in page  # language and role, by name
    assert "display name" not in page and "True" not in page and "student" not in page


def unlabelled_keys(data: Mapping[str, Any]) -> set[str]:
    """The keys of an export, at any depth, that have no name in the reader's language."""
    found = {key for key in data if key != "exported_at" and privacy.label_of(key) is None}
    for value in data.values():
        for row in value if isinstance(value, list) else [value]:
            if isinstance(row, Mapping):
                found |= unlabelled_keys(row)
    return found


@pytest.fixture
def demo_people(app: Flask) -> list[User]:
    """Everyone in the demo college, with what the demo does not hold: mail, a reset link
    and a weekly time off."""
    from datetime import time

    from college import demo
    from college.account_mail import queue_account_mail
    from college.services import create_password_reset
    from peers.services import add_unavailability

    college = demo.seed()
    peer = college.peers[0]
    queue_account_mail(peer, "welcome")
    create_password_reset(peer.email, None)
    add_unavailability(peer, peer, 1, time(14), time(16))
    # Done by an administrator, so that the log holds an action on a peer's record.
    add_unavailability(college.admin, peer, 3, time(9), time(11))
    return list(db.session.scalars(sa.select(User).order_by(User.id)))


def test_every_name_in_the_demo_colleges_exports_has_a_label(demo_people: list[User]):
    found: dict[str, set[str]] = {}
    for person in demo_people:
        exported = privacy.export_person(person)
        for key in unlabelled_keys(exported):
            found.setdefault(key, set()).add(person.email)
    assert not found, f"names the page 'My data' would show untranslated: {sorted(found)}"


def stored_codes() -> set[str]:
    """Every code the college stores: for a status, role, programme or choice, an action in
    the log and the kind of record it touched."""
    from college import models as core
    from college.db import Base
    from courses import models as courses
    from courses.enrolment import models as enrolment
    from peers import models as peers
    from tests.college.test_audit_log import recorded_actions

    choices = {
        str(code)
        for module in (core, courses, enrolment, peers)
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
        for code in value
    }
    kinds = {mapper.class_.__name__ for mapper in Base.registry.mappers}
    return choices | kinds | recorded_actions()


def test_my_data_shows_no_stored_code_or_iso_date(demo_people: list[User]):
    codes = stored_codes()
    assert {"waitlisted", "student", "five_day", "role_only", "pending"} <= codes
    assert {"User", "Unavailability", "unavailability.added"} <= codes
    shown: dict[str, set[str]] = {}
    with force_locale("da"):
        for person in demo_people:
            for section in privacy.describe_person(person):
                for part in section.parts:
                    for item in (*part.fields, *(f for row in part.rows for f in row)):
                        if item.value in codes or re.search(r"\d{4}-\d{2}-\d{2}", item.value):
                            shown.setdefault(f"{part.title}: {item.label}", set()).add(item.value)
    assert not shown, f"values the page 'My data' shows as stored: {shown}"
