"""An administrator's day in Danish (and once in English): choosing a pair with hints,
moving someone to the top of a waiting list, running a cohort to qualification with one
register, and downloading files a Danish office can open."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from college.extensions import db
from tests import factories
from tests.browser.helpers import assert_accessible, expect, login, unique

pytestmark = pytest.mark.browser


def next_monday() -> date:
    start = datetime.now(UTC).date() + timedelta(days=21)
    return start + timedelta(days=(7 - start.weekday()) % 7)


@pytest.fixture
def office(live_server: Any) -> dict[str, Any]:
    """A Danish-speaking administrator, two qualified peers (one busy), and a trainer."""
    from courses.models import Term

    with live_server.seed():
        admin = factories.make_admin(
            name="Mette Lund", email=f"{unique('mette')}@example.org", language="da"
        )
        free = factories.make_peer(name=f"Frida {unique('fri')}", email=f"{unique('f')}@x.org")
        busy = factories.make_peer(name=f"Bente {unique('bus')}", email=f"{unique('b')}@x.org")
        trainer = factories.make_trainer(
            name=f"Tage {unique('tra')}", email=f"{unique('t')}@example.org"
        )
        term = db.session.scalars(sa.select(Term).order_by(Term.ends_on.desc())).first()
        assert term is not None
        first = next_monday()
        if not term.starts_on <= first <= term.ends_on:
            term = factories.make_term(
                name=unique("Semester"), starts_on=first, ends_on=first + timedelta(days=90)
            )
        elsewhere = factories.make_published_course(
            peer=busy,
            trainer=factories.make_trainer(email=f"{unique('o')}@example.org"),
            sessions=4,
            first_start=datetime.combine(first, datetime.min.time(), tzinfo=UTC)
            + timedelta(hours=16),
            term=term,
            title=unique("Andet kursus"),
        )
        assert elsewhere.id
        return {
            "admin": admin.email,
            "free": free.display_name,
            "busy": busy.display_name,
            "trainer": trainer.display_name,
            "term": term.name,
            "first_day": first,
        }


def test_build_and_publish_a_course_choosing_the_pair_with_hints(
    page: Any, office: dict[str, Any]
) -> None:
    title = f"Håb og hverdag {unique('k')}"
    login(page, office["admin"], factories.PASSWORD)
    page.goto("/admin/courses/new")
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Kort beskrivelse").fill("Vi taler om det, der hjælper.")
    page.get_by_label("Beskrivelse", exact=True).fill("Fire eftermiddage med samtale.")
    page.get_by_label("Semester").select_option(label=office["term"])
    page.get_by_role("button", name="Gem kursus").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    page.get_by_role("link", name="Tilføj en ugentlig serie").click()
    page.get_by_label("Dato for første kursusgang").fill(office["first_day"].isoformat())
    page.get_by_label("Begynder kl.").fill("17:00")
    page.get_by_label("Varighed i minutter").fill("120")
    page.get_by_label("Antal kursusgange").fill("4")
    page.get_by_role("button", name="Tilføj kursusgangene").click()

    # Publishing first: the refusal is grouped, with a link to fix it.
    page.get_by_role("button", name="Offentliggør").click()
    refusal = page.locator(".error-summary")
    expect(refusal).to_contain_text("Ingen peer-underviser til 4 kursusgange")
    assert_accessible(page)
    refusal.get_by_role("link", name="Vælg underviserparret").first.click()

    # The hints: the busy peer is marked and comes after the free one.
    peers = page.get_by_role("group", name="Peer-underviser")
    busy = peers.locator("li", has_text=office["busy"])
    expect(busy).to_contain_text("Underviser allerede på det tidspunkt")
    expect(busy).to_contain_text("tjek først")
    names = peers.locator("li.candidate > label").all_inner_texts()
    assert names.index(next(n for n in names if office["free"] in n)) < names.index(
        next(n for n in names if office["busy"] in n)
    )
    assert_accessible(page)
    page.get_by_label("Find en person ud fra navn eller e-mail").fill(office["free"])
    expect(busy).to_be_hidden()
    peers.get_by_label(office["free"]).check()
    page.get_by_label("Find en person ud fra navn eller e-mail").fill(office["trainer"])
    expect(peers.get_by_label(office["free"])).to_be_checked()  # a choice stays in sight
    page.get_by_role("group", name="Fagprofessionel underviser").get_by_label(
        office["trainer"]
    ).check()
    page.get_by_role("button", name="Gem underviserparret").click()

    page.get_by_role("button", name="Offentliggør").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert_accessible(page)


@pytest.fixture
def waiting_course(live_server: Any) -> dict[str, Any]:
    from courses.enrolment import services

    with live_server.seed():
        admin = factories.make_admin(email=f"{unique('admin')}@example.org", language="da")
        course = factories.make_published_course(
            capacity=1,
            first_start=datetime.now(UTC) + timedelta(days=30),
            title=unique("Venteliste"),
            slug=unique("venteliste"),
        )
        services.enrol(factories.make_student(email=f"{unique('s')}@example.org"), course)
        waiting = [
            services.enrol(
                factories.make_student(name=f"Nr {n} {unique('w')}", email=f"{unique('w')}@x.org"),
                course,
            )
            for n in range(1, 8)
        ]
        return {
            "admin": admin.email,
            "course_id": course.id,
            "seventh": waiting[6].student.display_name,
        }


def test_move_the_seventh_person_to_the_top_in_one_step(
    page: Any, waiting_course: dict[str, Any]
) -> None:
    login(page, waiting_course["admin"], factories.PASSWORD)
    page.goto(f"/admin/courses/{waiting_course['course_id']}/enrolments")
    assert_accessible(page)
    rows = page.get_by_role("table", name="Venteliste").locator("tbody tr")
    seventh = rows.filter(has_text=waiting_course["seventh"])
    seventh.get_by_role("button", name="Flyt øverst").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(rows.first).to_contain_text(waiting_course["seventh"])

    # Taking someone off asks first, with a reason.
    rows.first.get_by_role("link", name="Fjern").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(waiting_course["seventh"])
    assert_accessible(page)
    page.get_by_label("Vi kunne ikke få fat i dem").check()
    page.get_by_role("button", name="Ja, afmeld dem").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(rows.filter(has_text=waiting_course["seventh"])).to_have_count(0)


def test_run_a_cohort_from_creation_to_qualification(page: Any, live_server: Any) -> None:
    with live_server.seed():
        admin = factories.make_admin(email=f"{unique('admin')}@example.org", language="da")
        applicant = factories.make_student(
            name=f"Alma {unique('ans')}", email=f"{unique('alma')}@example.org"
        )
        trainer = factories.make_trainer(
            name=f"Tove {unique('tr')}", email=f"{unique('tove')}@example.org"
        )
        names = {
            "admin": admin.email,
            "applicant": applicant.display_name,
            "trainer": trainer.display_name,
        }
    cohort_name = f"Femdagesuddannelse {unique('hold')}"
    login(page, names["admin"], factories.PASSWORD)
    page.goto("/admin/peers/training")
    page.get_by_label("Uddannelse", exact=True).select_option(index=1)
    page.get_by_label("Navn", exact=True).fill(cohort_name)
    first = datetime.now(UTC).date() - timedelta(
        days=30
    )  # held already, so the register can be kept
    page.get_by_label("Dato for første mødegang").fill(first.isoformat())
    page.get_by_label("Begynder kl.").fill("09:00")
    page.get_by_label("Slutter kl.").fill("15:00")
    page.get_by_label("På hverdage i træk").check()
    page.get_by_label("Find en person ud fra navn", exact=True).fill(names["trainer"])
    page.get_by_label(names["trainer"]).check()
    assert_accessible(page)
    page.get_by_role("button", name="Opret holdet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(cohort_name)

    page.get_by_label("Find en person ud fra navn eller e-mail").fill(names["applicant"])
    page.get_by_label(names["applicant"]).check()
    page.get_by_role("button", name="Giv en plads").click()
    expect(page.locator(".flash-success")).to_be_visible()

    grid = page.get_by_role("table", name=f"Fremmøde for {cohort_name}")
    boxes = grid.locator("input[type=checkbox]")
    expect(boxes).to_have_count(5)
    for index in range(5):
        boxes.nth(index).check()
    assert_accessible(page)
    page.get_by_role("button", name="Gem fremmødelisten").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(grid).to_contain_text("5 af de 5 mødegange")

    page.get_by_label("Person", exact=True).select_option(label=names["applicant"])
    page.get_by_role("button", name="Bekræft og giv kvalifikationen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("peer?")
    assert_accessible(page)
    page.get_by_role("button", name="Ja, giv kvalifikationen og gør personen til peer").click()
    expect(page.locator(".flash-success")).to_be_visible()


def test_danish_csv_and_xlsx_downloads(page: Any, live_server: Any, tmp_path: Path) -> None:
    from courses.enrolment.models import Feedback

    with live_server.seed():
        admin = factories.make_admin(email=f"{unique('admin')}@example.org", language="da")
        course = factories.make_published_course(
            sessions=1,
            first_start=datetime(2024, 3, 5, 15, tzinfo=UTC),
            title=f"Æblehave {unique('c')}",
            slug=unique("aeblehave"),
        )
        for index in range(7):
            db.session.add(
                Feedback(
                    course_id=course.id,
                    hope=7,
                    knowledge=index % 2 * 10,
                    everyday_tools=5,
                    connectedness=10,
                )
            )
        ids = {"admin": admin.email, "course": course.id, "title": course.title}
    login(page, ids["admin"], factories.PASSWORD)
    page.goto(f"/admin/reports/courses/{ids['course']}")
    assert_accessible(page)

    with page.expect_download() as info:
        page.get_by_role("link", name="Gennemsnit af evalueringer (CSV)").click()
    text = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1][0] == ids["title"]
    assert Decimal(rows[1][3].replace(",", ".")) == Decimal("4.3")

    with page.expect_download() as info:
        page.locator("a[href$='/feedback.xlsx']").click()
    sheet = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    assert sheet.cell(2, 1).value == ids["title"]
    assert sheet.cell(2, 2).value == 7 and abs(sheet.cell(2, 4).value - 4.3) < 1e-9


def test_read_the_audit_log_in_english(page: Any, live_server: Any) -> None:
    from college.services import record_audit

    with live_server.seed():
        admin = factories.make_admin(email=f"{unique('admin')}@example.org", language="en")
        reader = factories.make_admin(
            name=f"Mette {unique('lund')}", email=f"{unique('mette')}@example.org"
        )
        student = factories.make_student(name=f"Sune {unique('s')}")
        for _ in range(4):
            record_audit(reader, "user.viewed", student)
        record_audit(reader, "user.disabled", student)
        names = {
            "admin": admin.email,
            "reader": reader.display_name,
            "student": student.display_name,
        }
    login(page, names["admin"], factories.PASSWORD)
    page.goto("/admin/audit")
    page.get_by_label("Person", exact=True).fill(names["reader"])
    page.get_by_role("button", name="Filter").click()
    rows = page.locator(".audit-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(
        f"{names['reader']} disabled the account of {names['student']}"
    )
    expect(rows.nth(1)).to_contain_text("opened 4 pages with people's details that day")
    assert_accessible(page)
    rows.nth(1).get_by_role("link", name="Show each").click()
    expect(rows).to_have_count(5)
