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
    assert "Ada Admin opened the account page of Sune Student" in line
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
    assert len(rows(client, "?action=user.viewed&each=y")) == 50
    html = client.get("/admin/audit?action=user.viewed&each=y").get_data(as_text=True)
    assert "/admin/audit?page=2&amp;action=user.viewed&amp;each=y" in html
    assert len(rows(client, "?action=user.viewed&each=y&page=2")) == 5


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
    # A register opens on its session's day: before that it shows nobody.
    course = factories.make_published_course(
        peer=peer, trainer=trainer, first_start=factories.early_today()
    )
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


def test_views_are_folded_per_person_and_day_and_kept(client: FlaskClient, signed_in_admin: User):
    admin = signed_in_admin
    student = factories.make_student(name="Sune Student")
    other = factories.make_admin(name="Olga Office")
    day = datetime(2026, 5, 1, 10, tzinfo=UTC)
    for minutes in range(5):
        event(admin, "user.viewed", student, day + timedelta(minutes=minutes))
    event(admin, "user.viewed", student, day + timedelta(days=1))
    event(other, "user.viewed", student, day)
    event(admin, "user.disabled", student, day + timedelta(minutes=2))

    folded = rows(client)

    assert len(folded) == 4
    assert "Ada Admin opened 5 pages with people&#39;s details that day" in folded[1]
    assert "Show each" in folded[1]
    assert "Ada Admin disabled the account of Sune Student" in folded[2]
    assert len(rows(client, "?each=y")) == 8
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 8


def test_find_a_person_by_name_or_email(client: FlaskClient, signed_in_admin: User):
    admin = signed_in_admin
    mette = factories.make_admin(name="Mette Lund", email="mette@kommune.example")
    student = factories.make_student(name="Sune Student")
    moment = datetime(2026, 5, 1, 10, tzinfo=UTC)
    event(mette, "user.disabled", student, moment)
    event(admin, "user.enabled", factories.make_student(name="Olga Other"), moment)

    by_name = rows(client, "?who=mette")
    by_email = rows(client, "?who=KOMMUNE.example")

    assert len(by_name) == 1 and "Mette Lund disabled the account of Sune Student" in by_name[0]
    assert by_email == by_name
    html = client.get("/admin/audit?who=mette").get_data(as_text=True)
    assert f'href="/admin/audit?person={mette.id}"' in html
    nobody = client.get("/admin/audit?who=zz%25").get_data(as_text=True)
    assert "name or e-mail holds “zz%”" in nobody
    assert len(rows(client, "?who=zz%25")) == 1  # the "nothing matches" row


def test_details_and_cohorts_read_as_words_in_danish(client: FlaskClient, auth):
    from courses.enrolment import services as enrolment_services
    from peers.models import Cohort, TrainingProgramme

    reader = factories.make_admin(name="Mette Lund", language="da")
    course = factories.make_published_course(title="Ro på", capacity=1)
    factories.make_enrolment(course, factories.make_student())
    waiting = factories.make_enrolment(
        course, factories.make_student(name="Sune Student"), status=EnrolmentStatus.WAITLISTED
    )
    enrolment_services.remove_by_admin(reader, waiting, enrolment_services.RemovalReason.NO_CONTACT)
    programme = TrainingProgramme(code="x", name="Femugers grunduddannelse", meeting_count=5)
    db.session.add(programme)
    db.session.flush()
    cohort = Cohort(programme_id=programme.id, name="Femugers grunduddannelse, efterår", places=8)
    db.session.add(cohort)
    db.session.flush()
    record_audit(reader, "training.cohort_viewed", cohort)
    db.session.commit()
    auth.login(reader)

    found = rows(client)

    assert any("Mette Lund så holdet „Femugers grunduddannelse, efterår“" in line for line in found)
    removed = next(line for line in found if "enrolment.removed" in line)
    assert "Ro på" in removed and "Vi kunne ikke få fat i dem" in removed
    assert "reason=" not in removed and "course=" not in removed
