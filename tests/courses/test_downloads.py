"""Downloads Danish offices can open: CSV in the reader's dialect, and XLSX with real cells."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from college.extensions import db
from college.models import User
from courses.enrolment.models import Feedback
from courses.models import Course, Term
from tests import factories

PAST = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def term() -> Term:
    return factories.make_term(name="Forår", starts_on=date(2024, 3, 1), ends_on=date(2024, 6, 1))


def feedback(course: Course, count: int) -> None:
    for index in range(count):
        db.session.add(
            Feedback(
                course_id=course.id,
                hope=7,
                knowledge=index % 2 * 10,  # 0, 10, 0, 10, 0, 10, 0: 30 / 7
                everyday_tools=5,
                connectedness=10,
            )
        )
    db.session.flush()


def danish_admin(auth) -> User:
    admin = factories.make_admin(name="Mette Lund")
    admin.language = "da"
    db.session.flush()
    auth.login(admin)
    return admin


def test_danish_csv_uses_semicolons_and_a_decimal_comma(client: FlaskClient, auth, term):
    course = factories.make_published_course(term=term, sessions=1, first_start=PAST, title="Æble")
    feedback(course, 7)
    danish_admin(auth)

    response = client.get(f"/admin/reports/courses/{course.id}/feedback.csv")

    assert response.data.startswith("\ufeff".encode())
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Kursus"
    title, answers, hope, knowledge, *_rest = rows[1]
    assert (title, int(answers)) == ("Æble", 7)
    assert Decimal(hope.replace(",", ".")) == Decimal("7")
    assert "," in knowledge and Decimal(knowledge.replace(",", ".")) == Decimal("4.3")


def test_english_csv_keeps_commas_and_points(client: FlaskClient, auth, term):
    course = factories.make_published_course(term=term, sessions=1, first_start=PAST, title="Calm")
    feedback(course, 7)
    auth.login(factories.make_admin())
    text = client.get(f"/admin/reports/courses/{course.id}/feedback.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][:4] == ["Calm", "7", "7.0", "4.3"]


def test_xlsx_has_number_and_date_cells(client: FlaskClient, auth, term):
    course = factories.make_published_course(term=term, sessions=1, first_start=PAST, title="=Æble")
    feedback(course, 7)
    danish_admin(auth)

    response = client.get(f"/admin/reports/courses/{course.id}/feedback.xlsx")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.headers["Content-Disposition"].endswith('feedback.xlsx"')
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "=Æble"  # text, never a formula
    assert sheet.cell(2, 1).data_type == "s"
    assert rows[1][1] == 7 and rows[1][3] == pytest.approx(4.3)
    attendance = client.get(f"/admin/reports/courses/{course.id}/attendance.xlsx")
    sheet = load_workbook(io.BytesIO(attendance.data)).active
    day = sheet.cell(2, 2)
    assert day.is_date and day.value.date() == date(2024, 3, 5)


def test_register_downloads_as_xlsx_and_is_audited(client: FlaskClient, auth):
    peer, trainer = factories.make_peer(), factories.make_trainer()
    course = factories.make_published_course(peer=peer, trainer=trainer, sessions=1)
    factories.make_enrolment(course, factories.make_student(name="Søren Ærø"))
    auth.login(peer)
    response = client.get(f"/courses/sessions/{course.sessions[0].id}/register.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[1][3] == "Søren Ærø"


def test_the_pages_offer_both_files(client: FlaskClient, auth, term):
    course = factories.make_published_course(term=term, sessions=1, first_start=PAST)
    danish_admin(auth)
    page = client.get(f"/admin/reports/courses/{course.id}").get_data(as_text=True)
    assert f"/admin/reports/courses/{course.id}/places.csv" in page
    assert f"/admin/reports/courses/{course.id}/places.xlsx" in page
    assert client.get(f"/admin/reports/courses/{course.id}/places.ods").status_code == 404
