"""Enrolment journey in Chromium: enrol, withdraw, and a waiting-list offer taken from the email."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa

from college.extensions import db
from college.models import User
from courses.enrolment import services as enrolment_services
from courses.enrolment.models import Enrolment, EnrolmentStatus
from courses.enrolment.queries import waitlist_position
from courses.models import Course
from tests import factories
from tests.browser.helpers import assert_accessible, expect, link_in, unique
from tests.browser.test_accounts import register

pytestmark = pytest.mark.browser


@pytest.fixture
def course(live_server: Any) -> dict[str, Any]:
    """A published course with two places, one of them already taken."""
    with live_server.seed():
        peer = factories.make_peer(email=f"{unique('peer')}@example.org")
        trainer = factories.make_trainer(email=f"{unique('trainer')}@example.org")
        course = factories.make_published_course(
            peer=peer,
            trainer=trainer,
            title=f"Sleep and rest {unique('c')}",
            slug=unique("sleep-and-rest"),
            capacity=2,
            term=factories.make_term(name=unique("Term")),
            venue=factories.make_venue(name=unique("Venue")),
        )
        factories.make_enrolment(
            course, factories.make_student(email=f"{unique('early')}@example.org")
        )
        return {"id": course.id, "slug": course.slug, "title": course.title}


def join_waiting_list(live_server: Any, course_id: int, name: str) -> str:
    """A student joins the waiting list through the service, as the enrol button does."""
    with live_server.seed():
        student = factories.make_student(email=f"{unique(name)}@example.org", name=name.title())
        enrolment = enrolment_services.enrol(student, db.session.get_one(Course, course_id))
        assert enrolment.status == EnrolmentStatus.WAITLISTED
        return student.email


def enrolment_of(live_server: Any, course_id: int, email: str) -> tuple[str, int | None]:
    """The status of someone's place on the course, and their position in the queue."""
    with live_server.seed():
        enrolment = db.session.scalars(
            sa.select(Enrolment)
            .join(User, Enrolment.student_id == User.id)
            .where(Enrolment.course_id == course_id, User.email == email)
            .order_by(Enrolment.id.desc())
        ).first()
        assert enrolment is not None
        return enrolment.status, waitlist_position(enrolment)


def subjects(messages: list[EmailMessage], address: str) -> list[str]:
    return [str(m["Subject"]) for m in messages if address.lower() in str(m["To"]).lower()]


def test_a_freed_place_is_offered_by_email_and_accepted_from_the_link(
    page: Any,
    browser: Any,
    live_server: Any,
    mailbox: Any,
    page_problems: Any,
    course: dict[str, Any],
) -> None:
    title = course["title"]

    # A visitor registers and takes the last place.
    visitor = f"{unique('visitor')}@example.org"
    register(page, visitor, "Malene")
    expect(page.locator(".flash-success")).to_contain_text("You are logged in")
    page.goto(f"/courses/{course['slug']}")
    join_box = page.get_by_role("region", name="Join the course")
    expect(page.locator("main")).to_contain_text("1 place left")
    join_box.get_by_role("button", name="Enrol").click()

    expect(page).to_have_url("/me/courses")
    expect(page.locator(".flash-success")).to_contain_text("You are enrolled")
    mine = page.locator("article").filter(has=page.get_by_role("heading", name=title))
    expect(mine).to_contain_text("Enrolled")
    expect(mine).to_contain_text("Next session")
    assert_accessible(page)
    assert enrolment_of(live_server, course["id"], visitor) == (EnrolmentStatus.ENROLLED, None)

    # The course is now full: two people queue behind it.
    first = join_waiting_list(live_server, course["id"], "first-waiting")
    second = join_waiting_list(live_server, course["id"], "second-waiting")
    assert enrolment_of(live_server, course["id"], first) == (EnrolmentStatus.WAITLISTED, 1)
    assert enrolment_of(live_server, course["id"], second) == (EnrolmentStatus.WAITLISTED, 2)
    mailbox.deliver()  # the welcome, the confirmation, invitations, waiting-list notes

    # The visitor withdraws; the place is held for the head of the list, and only for them.
    withdraw = re.compile(rf"^Withdraw from this course\s*: {re.escape(title)}$")
    mine.get_by_role("link", name=withdraw).click()
    expect(page.locator("main")).to_contain_text("Your place goes to the next person")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, withdraw").click()
    expect(page.locator(".flash-success")).to_contain_text("You have withdrawn")
    expect(page.get_by_role("heading", name=title)).to_have_count(0)
    expect(page.locator("main")).to_contain_text("You are not signed up for any courses yet.")
    assert enrolment_of(live_server, course["id"], first) == (EnrolmentStatus.OFFERED, None)
    assert enrolment_of(live_server, course["id"], second) == (EnrolmentStatus.WAITLISTED, 1)

    # The offer travels through the outbox to the SMTP server; nobody else is offered it.
    delivered = mailbox.deliver()
    assert any(s.startswith("Your withdrawal is confirmed") for s in subjects(delivered, visitor))
    assert subjects(delivered, second) == []
    offers = [m for m in delivered if first in str(m["To"])]
    assert [str(m["Subject"]) for m in offers] == ["A place is free for you — Recovery College"]
    link = link_in(offers[0], "/offer")

    # The first person opens the link in their own browser, logs in when asked, and accepts.
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    context.on("page", page_problems.watch)
    try:
        waiting = context.new_page()
        waiting.goto(link)
        expect(waiting).to_have_url(re.compile(r"/auth/login\?next="))
        waiting.get_by_label("Email address").fill(first)
        waiting.get_by_label("Password", exact=True).fill(factories.PASSWORD)
        waiting.get_by_role("button", name="Log in").click()

        expect(waiting).to_have_url(link)
        expect(waiting.get_by_role("heading", level=1)).to_have_text("A place is held for you")
        expect(waiting.locator("main")).to_contain_text(title)
        assert_accessible(waiting)
        waiting.get_by_role("button", name="Yes, I take the place").click()

        expect(waiting).to_have_url("/me/courses")
        expect(waiting.locator(".flash-success")).to_contain_text("The place is yours")
        theirs = waiting.locator("article").filter(has=waiting.get_by_role("heading", name=title))
        expect(theirs).to_contain_text("Enrolled")
        expect(
            theirs.get_by_role("link", name=re.compile("Withdraw from this course"))
        ).to_be_visible()
        assert_accessible(waiting)
    finally:
        context.close()

    assert enrolment_of(live_server, course["id"], first) == (EnrolmentStatus.ENROLLED, None)
    assert enrolment_of(live_server, course["id"], second) == (EnrolmentStatus.WAITLISTED, 1)
    assert "Your place is confirmed" in subjects(mailbox.deliver(), first)[0]
    with live_server.seed():
        full = db.session.get_one(Course, course["id"])
        assert (full.seats_taken, full.capacity) == (2, 2)
