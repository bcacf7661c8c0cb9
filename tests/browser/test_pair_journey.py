"""In Danish: a student signs up with their mother, who confirms from the mail."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from college.extensions import db
from college.models import User
from courses.enrolment.models import Companion, CompanionStatus, Enrolment, EnrolmentStatus
from tests import factories
from tests.browser.helpers import assert_accessible, expect, link_in, screenshot, unique

pytestmark = pytest.mark.browser


def danish_page(browser: Any, live_server: Any, page_problems: Any) -> tuple[Any, Any]:
    context = browser.new_context(base_url=live_server.url, locale="da-DK")
    context.set_default_timeout(10_000)
    context.on("page", page_problems.watch)
    return context, context.new_page()


def log_in(page: Any, email: str) -> None:
    page.get_by_label("E-mailadresse").fill(email)
    page.get_by_label("Adgangskode", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Log ind").click()


def test_a_student_signs_up_with_their_mother_who_confirms_from_the_mail(
    browser: Any, live_server: Any, mailbox: Any, page_problems: Any
) -> None:
    with live_server.seed():
        course = factories.make_published_course(
            peer=factories.make_peer(email=f"{unique('peer')}@example.org"),
            trainer=factories.make_trainer(email=f"{unique('trainer')}@example.org"),
            title=f"Angst i hverdagen {unique('c')}",
            slug=unique("angst-i-hverdagen"),
            capacity=3,
            term=factories.make_term(name=unique("Semester")),
            venue=factories.make_venue(name=unique("Huset")),
        )
        sara = factories.make_student(
            email=f"{unique('sara')}@example.org", name="Sara", language="da"
        )
        title, slug, sara_email = course.title, course.slug, sara.email
    mother = f"{unique('mor')}@example.org"
    mailbox.deliver()

    # Sara signs up for both of them from the course page.
    context, page = danish_page(browser, live_server, page_problems)
    try:
        page.goto("/auth/login")
        log_in(page, sara_email)
        page.goto(f"/courses/{slug}")
        join_box = page.get_by_role("region", name="Tilmeld dig kurset")
        join_box.get_by_role("link", name="Jeg kommer sammen med en anden").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Tilmeld jer sammen")
        assert_accessible(page)
        page.get_by_label("Personens navn").fill("Mor")
        page.get_by_label("Personens e-mailadresse").fill(mother)
        page.get_by_label("En pårørende").check()
        page.get_by_role("button", name="Tilmeld jer sammen").click()

        expect(page).to_have_url("/me/courses")
        expect(page.locator(".flash-success")).to_contain_text(
            "Du har fået en plads, og vi holder en plads til Mor."
        )
        mine = page.locator("article").filter(has=page.get_by_role("heading", name=title))
        expect(mine).to_contain_text("Kommer sammen med Mor (en pårørende):")
        expect(mine).to_contain_text("Bedt om at bekræfte")
        assert_accessible(page)
        screenshot(page, "pairs/01-my-courses-waiting-for-mother")
    finally:
        context.close()

    # The mother's invitation arrives in Danish, with a link that names nobody.
    invitations = mailbox.deliver_to(mother)
    assert [str(m["Subject"]) for m in invitations] == [
        "Sara vil gerne have dig med — Recovery College"
    ]
    link = link_in(invitations[0], "/companions/")
    assert "mor" not in link.rsplit("/", 1)[-1].lower()

    # She creates an account (step one), logs in (step two) and confirms her place.
    context, page = danish_page(browser, live_server, page_problems)
    try:
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text("En invitation til at komme med")
        expect(page.locator("main")).to_contain_text("Sara har tilmeldt sig et kursus")
        expect(page.locator("main")).to_contain_text(title)
        assert_accessible(page)
        screenshot(page, "pairs/02-invitation")
        page.get_by_role("link", name="Opret en konto").click()
        page.get_by_label("Dit navn").fill("Mor")
        page.get_by_label("E-mailadresse").fill(mother)
        page.get_by_label("Adgangskode", exact=True).fill(factories.PASSWORD)
        page.get_by_label("Dansk", exact=True).check()
        page.get_by_label("Jeg har læst privatlivserklæringen").check()
        page.get_by_role("button", name="Opret konto").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Tjek din e-mail")
        page.get_by_role("main").get_by_role("link", name="Log ind").click()
        log_in(page, mother)

        expect(page).to_have_url(re.compile(r"/companions/"))
        page.get_by_role("button", name="Bekræft min plads").click()
        expect(page).to_have_url("/me/courses")
        expect(page.locator(".flash-success")).to_contain_text("Din plads er bekræftet.")
        hers = page.locator("article").filter(has=page.get_by_role("heading", name=title))
        expect(hers).to_contain_text("Tilmeldt")
        expect(hers).to_contain_text("Du kommer sammen med Sara.")
        assert_accessible(page)
        screenshot(page, "pairs/03-mother-confirmed")
    finally:
        context.close()

    # Sara sees that her mother is coming.
    context, page = danish_page(browser, live_server, page_problems)
    try:
        page.goto("/auth/login")
        log_in(page, sara_email)
        page.goto("/me/courses")
        mine = page.locator("article").filter(has=page.get_by_role("heading", name=title))
        expect(mine).to_contain_text("Tilmeldt")
        expect(mine).to_contain_text("Kommer sammen med Mor (en pårørende):")
        expect(mine).to_contain_text("Bekræftet")
    finally:
        context.close()

    with live_server.seed():
        rows = db.session.execute(
            sa.select(User.email, Enrolment.status)
            .join(Enrolment, Enrolment.student_id == User.id)
            .where(Enrolment.course.has(slug=slug))
        ).all()
        assert sorted(rows) == sorted(
            [(sara_email, EnrolmentStatus.ENROLLED), (mother, EnrolmentStatus.ENROLLED)]
        )
        pair = db.session.scalars(sa.select(Companion).where(Companion.course.has(slug=slug))).one()
        assert pair.status == CompanionStatus.CONFIRMED
