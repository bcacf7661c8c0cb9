"""The student's whole journey in Chromium, in Danish and in English, using only the screen.

From the front page to a course, an account made from there and back to the course, the
waiting list, an offer by email (the test frees the place through the service, as another
student withdrawing would), the offer accepted, and My courses at the end. Forms are filled
and sent by keyboard; axe-core checks every page on the way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from college.extensions import db
from courses.enrolment import services as enrolment_services
from courses.enrolment.models import Enrolment
from tests import factories
from tests.browser.conftest import LiveServer, PageProblems
from tests.browser.helpers import assert_accessible, expect, link_in, text_of, unique

pytestmark = pytest.mark.browser

PASSWORD = "a quiet walk by the sea"


@dataclass(frozen=True)
class Words:
    """What the screen says in one language."""

    locale: str
    language: str
    see_courses: str
    search: str
    join_box: str
    full_nobody_waiting: str
    create_account: str
    name: str
    email: str
    password: str
    discreet: str
    consent: str
    check_email: str
    log_in: str
    logged_in: str
    join_waiting_list: str
    waiting_flash: str
    waiting_badge: str
    offer_title: str
    take_place: str
    place_is_yours: str
    enrolled: str
    contact: str


ENGLISH = Words(
    locale="en-GB",
    language="English",
    see_courses="See the courses",
    search="Search",
    join_box="Join the course",
    full_nobody_waiting="Nobody is on the waiting list yet, so you would be the first.",
    create_account="Create account",
    name="Your name",
    email="Email address",
    password="Password",
    discreet="Discreet mode",
    consent="I have read the privacy notice",
    check_email="Check your email",
    log_in="Log in",
    logged_in="You are logged in.",
    join_waiting_list="Join the waiting list",
    waiting_flash="you are on the waiting list as number 1",
    waiting_badge="Waiting list",
    offer_title="A place is held for you",
    take_place="Yes, I take the place",
    place_is_yours="The place is yours. Welcome!",
    enrolled="Enrolled",
    contact="Contact us",
)
DANISH = Words(
    locale="da-DK",
    language="Dansk",
    see_courses="Se kurserne",
    search="Søg",
    join_box="Tilmeld dig kurset",
    full_nobody_waiting="Der står ingen på ventelisten endnu, så du ville blive den første.",
    create_account="Opret konto",
    name="Dit navn",
    email="E-mailadresse",
    password="Adgangskode",
    discreet="Diskret tilstand",
    consent="Jeg har læst privatlivserklæringen",
    check_email="Tjek din e-mail",
    log_in="Log ind",
    logged_in="Du er logget ind.",
    join_waiting_list="Skriv dig på ventelisten",
    waiting_flash="du står på ventelisten som nummer 1",
    waiting_badge="Venteliste",
    offer_title="Vi holder en plads til dig",
    take_place="Ja, jeg tager pladsen",
    place_is_yours="Pladsen er din. Velkommen!",
    enrolled="Tilmeldt",
    contact="Kontakt os",
)


@dataclass(frozen=True)
class FullCourse:
    id: int
    slug: str
    title: str
    venue: str
    holder_email: str


@pytest.fixture
def full_course(live_server: LiveServer) -> FullCourse:
    """A coming course with one place, taken; nobody waits yet."""
    with live_server.seed():
        venue = factories.make_venue(
            name=unique("Havnehuset"), address="Havnegade 3, 5000 Odense C"
        )
        course = factories.make_published_course(
            peer=factories.make_peer(email=f"{unique('peer')}@example.org"),
            trainer=factories.make_trainer(email=f"{unique('trainer')}@example.org"),
            title=f"Håb og hverdag {unique('h')}",
            slug=unique("haab-og-hverdag"),
            capacity=1,
            term=factories.make_term(name=unique("Term")),
            venue=venue,
        )
        holder = factories.make_student(email=f"{unique('holder')}@example.org")
        factories.make_enrolment(course, holder)
        return FullCourse(course.id, course.slug, course.title, venue.name, holder.email)


@pytest.fixture(params=[DANISH, ENGLISH], ids=["da", "en"])
def journey(
    request: pytest.FixtureRequest,
    browser: Any,
    live_server: LiveServer,
    page_problems: PageProblems,
) -> Iterator[tuple[Any, Words]]:
    """A fresh browser speaking the language, watched for script errors and server errors."""
    words: Words = request.param
    errors_before = len(live_server.errors)
    context = browser.new_context(
        base_url=live_server.url, locale=words.locale, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    context.on("page", page_problems.watch)
    yield context.new_page(), words
    context.close()
    assert not live_server.errors[errors_before:], live_server.errors[errors_before:]
    assert not page_problems.problems, "\n".join(page_problems.problems)


def type_into(page: Any, label: str, text: str) -> None:
    """Move to a field by its label and type, as a keyboard user would."""
    page.get_by_label(label, exact=True).focus()
    page.keyboard.type(text)


def free_the_place(live_server: LiveServer, course: FullCourse) -> None:
    """The student holding the place withdraws, through the service, as their button would."""
    with live_server.seed():
        holder_place = db.session.scalars(
            sa.select(Enrolment)
            .join(Enrolment.student)
            .where(Enrolment.course_id == course.id)
            .where(sa.text("users.email = :email").bindparams(email=course.holder_email))
        ).one()
        enrolment_services.withdraw(holder_place.student, holder_place)


def test_a_student_finds_a_course_signs_up_from_it_and_takes_an_offered_place(
    journey: tuple[Any, Words], live_server: LiveServer, mailbox: Any, full_course: FullCourse
) -> None:
    page, words = journey
    email = f"{unique('signe')}@example.org"

    # The front page leads to the courses; a search by keyboard finds this one.
    page.goto("/")
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name=words.see_courses).click()
    assert_accessible(page)
    type_into(page, words.search, full_course.title)
    page.keyboard.press("Enter")
    page.get_by_role("link", name=full_course.title).click()

    # A full course says how many wait, and offers to sign up and come back.
    expect(page.get_by_role("heading", level=1)).to_contain_text(full_course.title)
    join_box = page.get_by_role("region", name=words.join_box)
    expect(join_box).to_contain_text(words.full_nobody_waiting)
    expect(page.get_by_role("contentinfo")).to_contain_text(words.contact)
    assert_accessible(page)
    join_box.get_by_role("link", name=words.create_account).click()

    # Sign up by keyboard; discreet mode is explained and already on.
    expect(page.get_by_label(words.discreet)).to_be_checked()
    assert_accessible(page)
    type_into(page, words.name, "Signe")
    type_into(page, words.email, email)
    type_into(page, words.password, PASSWORD)
    page.get_by_label(words.language, exact=True).focus()
    page.keyboard.press("Space")
    page.get_by_label(words.consent).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.get_by_role("button", name=words.create_account).focus()
    page.keyboard.press("Enter")

    # The account is made; logging in from here leads back to the course.
    expect(page.get_by_role("heading", level=1)).to_have_text(words.check_email)
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name=words.log_in).click()
    assert_accessible(page)
    type_into(page, words.email, email)
    type_into(page, words.password, PASSWORD)
    page.keyboard.press("Enter")

    # Back on the course, at the enrol step: one more key press joins the waiting list.
    expect(page).to_have_url(re.compile(rf"/courses/{re.escape(full_course.slug)}#join$"))
    expect(page.locator(".flash-success")).to_contain_text(words.logged_in)
    assert_accessible(page)
    join_box = page.get_by_role("region", name=words.join_box)
    join_box.get_by_role("button", name=words.join_waiting_list).focus()
    page.keyboard.press("Enter")

    expect(page).to_have_url("/me/courses")
    expect(page.locator(".flash-success")).to_contain_text(words.waiting_flash)
    mine = page.locator("article").filter(has=page.get_by_role("heading", name=full_course.title))
    expect(mine).to_contain_text(words.waiting_badge)
    assert_accessible(page)
    mailbox.deliver()

    # Someone withdraws; the place is held for the head of the list, and mailed to them.
    free_the_place(live_server, full_course)
    offers = [m for m in mailbox.deliver_to(email) if "/offer" in text_of(m)]
    assert len(offers) == 1
    offer_mail = text_of(offers[0])
    assert full_course.title not in str(offers[0]["Subject"])  # discreet by default
    assert full_course.title in offer_mail and full_course.venue in offer_mail
    assert "kontakt@recovery-college.example" in offer_mail
    assert not re.search(r"\d[:.]\d\d[:.]\d\d", offer_mail)

    # The offer page shows the course, its dates and the venue; the place is taken by keyboard.
    page.goto(link_in(offers[0], "/offer"))
    expect(page.get_by_role("heading", level=1)).to_have_text(words.offer_title)
    main = page.get_by_role("main")
    expect(main).to_contain_text(full_course.title)
    expect(main).to_contain_text(full_course.venue)
    expect(main).to_contain_text("Havnegade 3, 5000 Odense C")
    expect(main.locator("time")).to_have_count(3)
    assert_accessible(page)
    page.get_by_role("button", name=words.take_place).focus()
    page.keyboard.press("Enter")

    # And the journey ends on My courses, with the place.
    expect(page).to_have_url("/me/courses")
    expect(page.locator(".flash-success")).to_contain_text(words.place_is_yours)
    mine = page.locator("article").filter(has=page.get_by_role("heading", name=full_course.title))
    expect(mine).to_contain_text(words.enrolled)
    assert_accessible(page)


def test_on_a_phone_the_filters_fold_behind_one_button(phone_page: Any, live_server: Any) -> None:
    phone_page.goto("/courses/")
    month = phone_page.get_by_label("When")
    expect(month).to_be_hidden()
    phone_page.get_by_text("Filters", exact=True).focus()
    phone_page.keyboard.press("Enter")
    expect(month).to_be_visible()
    assert_accessible(phone_page)


def test_a_begun_course_offers_no_button_but_the_next_run(page: Any, live_server: Any) -> None:
    from datetime import timedelta

    from college.db import now_utc

    title = f"Stress og sårbarhed {unique('s')}"
    with live_server.seed():
        peer = factories.make_peer(email=f"{unique('peer')}@example.org")
        trainer = factories.make_trainer(email=f"{unique('trainer')}@example.org")
        now = now_utc()
        term = factories.make_term(
            name=unique("Now"),
            starts_on=(now - timedelta(days=30)).date(),
            ends_on=(now + timedelta(days=300)).date(),
        )
        common = {"peer": peer, "trainer": trainer, "title": title, "term": term}
        begun = factories.make_published_course(
            slug=unique("begun"), first_start=now - timedelta(days=3), **common
        )
        following = factories.make_published_course(
            slug=unique("next"), first_start=now + timedelta(days=20), **common
        )
        begun_slug, next_slug = begun.slug, following.slug
    page.goto(f"/courses/{begun_slug}")
    join_box = page.get_by_role("region", name="Join the course")
    expect(join_box).to_contain_text("This course has already begun")
    expect(join_box.get_by_role("button")).to_have_count(0)
    expect(join_box.get_by_role("link", name="Log in to enrol")).to_have_count(0)
    assert_accessible(page)
    join_box.get_by_role("link", name=f"The next course on this subject: {title}").click()
    expect(page).to_have_url(f"/courses/{next_slug}")
