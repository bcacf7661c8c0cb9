"""The audit log page: readable, filterable by person, action and dates, and read only."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from college.audit import action_labels
from college.extensions import db
from college.models import AuditEvent, User
from college.services import record_audit
from courses.enrolment.models import EnrolmentStatus
from tests import factories


def event(actor: User | None, action: str, target: object, at: datetime) -> AuditEvent:
    recorded = record_audit(actor, action, target)
    recorded.at = at
    db.session.flush()
    return recorded


def rows(client: FlaskClient, query: str = "") -> list[str]:
    """The table rows' text, so page chrome (filters, menus) never counts as a match."""
    html = client.get("/admin/audit" + query).get_data(as_text=True)
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(row.split()) for row in body.split("<tr>")[1:]]


def test_actions_are_described_in_words_with_names(client: FlaskClient, signed_in_admin: User):
    student = factories.make_student(name="Sune Student")
    client.get(f"/admin/people/{student.id}")
    [line] = rows(client)
    assert "Opened a person&#39;s account page" in line
    assert "Ada Admin" in line and "Sune Student" in line
    assert "user.viewed" in line  # the code stays for whoever needs to be precise


# The calls that write to the log, and what each adds to the action it is given.
AUDITING_CALLS = {"record_audit": "", "_audit_if_staff": "", "record_export": ".exported"}
ROOT = Path(__file__).resolve().parents[2]


def called_name(call: ast.Call) -> str:
    function = call.func
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")


def recorded_actions() -> set[str]:
    """Every action the college's code writes to the log, read from its source."""
    found: set[str] = set()
    for package in ("college", "courses", "peers"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or len(node.args) < 2:
                    continue
                suffix = AUDITING_CALLS.get(called_name(node))
                action = node.args[1]
                if suffix is not None and isinstance(action, ast.Constant):
                    found.add(f"{action.value}{suffix}")
    return found


def test_every_action_the_college_records_is_described(app: Flask):
    actions = recorded_actions()
    assert {"user.viewed", "cover.filled", "peer_teaching.exported"} <= actions
    assert not actions - set(action_labels()), "actions the log would show only as a code"


def test_a_record_nobody_can_name_is_shown_by_its_kind_in_the_readers_language(
    client: FlaskClient, auth
):
    from peers.services import record_absence

    admin = factories.make_admin(language="da")
    peer = factories.make_peer()
    starts = datetime(2031, 3, 4, 9, tzinfo=UTC)
    absence = record_absence(admin, peer, starts, starts + timedelta(days=2))
    db.session.commit()
    auth.login(admin)
    [line] = rows(client, "?action=absence.recorded")
    assert f"Fravær {absence.id}" in line and "Registrerede en persons fravær" in line
    assert "Absence" not in line


def test_filter_by_person_finds_what_they_did_and_what_was_done_to_them(
    client: FlaskClient, signed_in_admin: User
):
    student = factories.make_student(name="Sune Student")
    other = factories.make_student(name="Olga Other")
    course = factories.make_published_course(title="Calm course")
    enrolment = factories.make_enrolment(course, student, status=EnrolmentStatus.WAITLISTED)
    moment = datetime(2026, 5, 1, 10, tzinfo=UTC)
    event(signed_in_admin, "user.viewed", student, moment)
    event(student, "consent.given", student, moment)
    event(signed_in_admin, "waitlist.moved", enrolment, moment)
    event(signed_in_admin, "user.viewed", other, moment)

    found = rows(client, f"?person={student.id}")

    assert len(found) == 3
    assert not any("Olga Other" in line for line in found)
    assert any("Sune Student (Calm course)" in line for line in found)
    html = client.get(f"/admin/audit?person={student.id}").get_data(as_text=True)
    assert "Showing what Sune Student did" in html


def test_filter_by_action_and_dates(client: FlaskClient, signed_in_admin: User):
    student = factories.make_student()
    event(signed_in_admin, "user.viewed", student, datetime(2026, 5, 1, 10, tzinfo=UTC))
    event(signed_in_admin, "user.disabled", student, datetime(2026, 5, 3, 21, 30, tzinfo=UTC))
    event(signed_in_admin, "user.enabled", student, datetime(2026, 5, 5, 10, tzinfo=UTC))

    assert len(rows(client, "?action=user.disabled")) == 1
    assert len(rows(client, "?action=mail.retry")) == 1  # the "nothing matches" row
    # 21:30 UTC on 3 May is 23:30 on 3 May in Copenhagen: inside a range ending that day.
    dated = rows(client, "?since=2026-05-02&until=2026-05-03")
    assert len(dated) == 1 and "user.disabled" in dated[0]
    assert len(rows(client, "?since=2026-05-01&until=2026-05-05")) == 3


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?since=2026-05-05&until=2026-05-01", "The end date is before the start date."),
        ("?since=yesterday", "Not a valid date value."),
        ("?person=abc", "Not a valid integer value."),
    ],
)
def test_bad_filters_get_a_clear_message(
    client: FlaskClient, signed_in_admin: User, query, message
):
    response = client.get("/admin/audit" + query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_the_log_is_paginated(client: FlaskClient, signed_in_admin: User):
    student = factories.make_student()
    for _ in range(55):
        record_audit(signed_in_admin, "user.viewed", student)
    db.session.flush()
    assert len(rows(client, "?action=user.viewed")) == 50
    html = client.get("/admin/audit?action=user.viewed").get_data(as_text=True)
    assert "/admin/audit?page=2&amp;action=user.viewed" in html
    assert len(rows(client, "?action=user.viewed&page=2")) == 5


def test_no_route_can_change_the_log(app: Flask, client: FlaskClient, signed_in_admin: User):
    methods = {
        method
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/admin/audit")
        for method in rule.methods or ()
    }
    assert methods <= {"GET", "HEAD", "OPTIONS"}
    assert client.post("/admin/audit").status_code == 405
    assert client.delete("/admin/audit").status_code == 405


def test_staff_views_of_people_are_recorded(client: FlaskClient, auth):
    """Each page that shows a person's data to staff leaves a trace in the log."""
    peer, trainer, admin = factories.make_peer(), factories.make_trainer(), factories.make_admin()
    course = factories.make_published_course(peer=peer, trainer=trainer)
    student = factories.make_student()
    factories.make_enrolment(course, student)
    session_id = course.sessions[0].id
    db.session.commit()
    auth.login(admin)
    client.get(f"/admin/people/{student.id}")
    client.get(f"/admin/courses/{course.id}/enrolments")
    auth.logout()
    auth.login(peer)
    client.get(f"/courses/sessions/{session_id}/register")
    client.get(f"/courses/sessions/{session_id}/register.csv")
    recorded = set(db.session.execute(sa.select(AuditEvent.actor_id, AuditEvent.action)).all())
    assert {
        (admin.id, "user.viewed"),
        (admin.id, "enrolments.viewed"),
        (peer.id, "register.viewed"),
        (peer.id, "register.exported"),
    } <= recorded


def test_unexpected_query_arguments_are_ignored(client: FlaskClient, signed_in_admin: User):
    student = factories.make_student()
    for _ in range(51):
        record_audit(signed_in_admin, "user.viewed", student)
    db.session.flush()
    response = client.get("/admin/audit?endpoint=x&_external=1&_scheme=ftp&page=-3")
    assert response.status_code == 200
