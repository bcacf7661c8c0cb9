"""Signing up together: the form, the companion's invitation page, My courses for both."""

from __future__ import annotations

import sqlalchemy as sa

from college.extensions import db
from courses.enrolment import pairs
from courses.enrolment.models import Companion, CompanionStatus, Enrolment, EnrolmentStatus
from courses.enrolment.queries import find_enrolment
from tests import factories
from tests.courses.enrolment.test_pairs import MUM, invitation_token, mail_to_address

PAIR_FORM = {"name": "Mum", "email": MUM, "relation": "relative"}


def count_rows() -> tuple[int, int]:
    enrolments = db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment))
    companions = db.session.scalar(sa.select(sa.func.count()).select_from(Companion))
    return enrolments or 0, companions or 0


def test_the_course_page_offers_signing_up_together_to_a_signed_in_student(
    client, auth, small_course
):
    course = small_course()
    link = f'href="/courses/{course.slug}/enrol-together"'
    assert link not in client.get(f"/courses/{course.slug}").get_data(as_text=True)
    auth.login(factories.make_student())
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert link in page
    assert "m coming with someone</a>" in page


def test_bad_input_on_the_pair_form_is_explained_and_changes_nothing(client, auth, small_course):
    course = small_course()
    auth.login(factories.make_student())
    before = count_rows()
    answer = client.post(
        f"/courses/{course.slug}/enrol-together", data={"name": "Mum", "relation": "cousin"}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Please enter the email address of the person coming with you." in page
    assert "Please choose who they are to you." in page
    assert count_rows() == before


def test_a_course_that_cannot_be_joined_sends_the_student_back_with_the_reason(
    client, auth, small_course
):
    course = small_course(capacity=2)
    course.status = "cancelled"
    auth.login(factories.make_student())
    answer = client.get(f"/courses/{course.slug}/enrol-together", follow_redirects=True)
    assert "This course is not open for enrolment." in answer.get_data(as_text=True)


def test_a_pair_signs_up_and_both_see_the_course_on_my_courses(client, auth, small_course):
    course = small_course(capacity=4, title="Hope and everyday life")
    sara = factories.make_student(name="Sara")
    auth.login(sara)
    answer = client.post(
        f"/courses/{course.slug}/enrol-together", data=PAIR_FORM, follow_redirects=True
    )
    page = answer.get_data(as_text=True)
    assert "You have a place, and one is held for Mum." in page
    assert "Coming with Mum (a relative):" in page
    assert "Asked to confirm" in page

    auth.logout()
    token = invitation_token()
    invitation = client.get(f"/companions/{token}").get_data(as_text=True)
    assert "Sara has signed up for a course at Recovery College" in invitation
    assert "Hope and everyday life" in invitation
    assert f"/auth/login?next=/companions/{token}" in invitation
    assert f"/auth/register?next=/companions/{token}" in invitation

    mum = factories.make_student(name="Mum", email="mum.account@example.org")
    auth.login(mum)
    answer = client.post(f"/companions/{token}/confirm", follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "Your place is confirmed. We look forward to seeing you both!" in page
    assert "Hope and everyday life" in page
    assert "You are coming with Sara." in page
    assert find_enrolment(course, mum).status == EnrolmentStatus.ENROLLED

    auth.logout()
    auth.login(sara)
    page = client.get("/me/courses").get_data(as_text=True)
    assert "Coming with Mum (a relative):" in page
    assert "Confirmed" in page


def test_a_companion_who_cannot_come_says_so_and_the_student_keeps_their_place(
    client, auth, small_course
):
    course = small_course(capacity=4)
    sara = factories.make_student(name="Sara")
    auth.login(sara)
    client.post(f"/courses/{course.slug}/enrol-together", data=PAIR_FORM)
    auth.logout()
    token = invitation_token()
    answer = client.post(f"/companions/{token}/decline", follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "Thank you for letting us know." in page
    assert "You have said that you cannot come." in page

    auth.login(sara)
    page = client.get("/me/courses").get_data(as_text=True)
    assert "Mum cannot come. Do you want to keep your place and come alone?" in page
    enrolment = find_enrolment(course, sara)
    answer = client.post(f"/me/enrolments/{enrolment.id}/keep-alone", follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "You keep your place." in page
    assert "Do you want to keep your place and come alone?" not in page
    companion = db.session.scalar(sa.select(Companion))
    assert companion.status == CompanionStatus.DECLINED
    assert find_enrolment(course, sara).status == EnrolmentStatus.ENROLLED


def test_an_answered_invitation_says_so_and_cannot_be_confirmed(client, auth, small_course):
    course = small_course(capacity=4)
    sara = factories.make_student(name="Sara")
    auth.login(sara)
    client.post(f"/courses/{course.slug}/enrol-together", data=PAIR_FORM)
    client.post(f"/courses/{course.slug}/withdraw")
    auth.logout()
    token = invitation_token()
    page = client.get(f"/companions/{token}").get_data(as_text=True)
    assert "This invitation is no longer open." in page
    auth.login(factories.make_student())
    answer = client.post(f"/companions/{token}/confirm", follow_redirects=True)
    assert "This invitation is no longer open." in answer.get_data(as_text=True)
    assert client.get("/companions/not-a-token").status_code == 404


def test_the_admin_page_counts_the_places_held_for_companions(
    client, signed_in_admin, small_course
):
    course = small_course(capacity=4)
    pairs.enrol_together(
        factories.make_student(), course, name="Mum", email=MUM, relation="relative"
    )
    page = client.get(f"/admin/courses/{course.id}/enrolments").get_data(as_text=True)
    assert "Held for companions who have yet to confirm" in page
    assert course.seats_taken == 2


def test_the_pair_pages_and_mails_are_all_danish_for_a_danish_reader(app, small_course):
    from tests.danish_text import english_in, lines_of_html, lines_of_text

    danish = app.test_client()
    danish.environ_base["HTTP_ACCEPT_LANGUAGE"] = "da"
    course = small_course(capacity=4, title="Håb i hverdagen")
    sara = factories.make_student(name="Sara", language="da")
    danish.post("/auth/login", data={"email": sara.email, "password": factories.PASSWORD})
    errors = danish.post(f"/courses/{course.slug}/enrol-together", data={"name": "Mor"})
    assert errors.status_code == 400
    assert "Skriv e-mailadressen på den person, der kommer med dig." in errors.get_data(
        as_text=True
    )
    pages = [errors.get_data(as_text=True)]
    danish.post(f"/courses/{course.slug}/enrol-together", data={**PAIR_FORM, "name": "Mor"})
    pages.append(danish.get("/me/courses").get_data(as_text=True))
    assert "Kommer sammen med Mor (en pårørende):" in pages[-1]
    danish.post("/auth/logout")
    token = invitation_token()
    pages.append(danish.get(f"/companions/{token}").get_data(as_text=True))
    assert "En invitation til at komme med" in pages[-1]
    danish.post(f"/companions/{token}/decline")
    pages.append(danish.get(f"/companions/{token}").get_data(as_text=True))
    for page in pages:
        assert english_in(lines_of_html(page)) == []
    mails = [m for m in mail_to_address(MUM)] + [
        m for m in mail_to_address(sara.email) if "alene" in (m.subject or "")
    ]
    assert [m.subject for m in mails] == [
        "Sara vil gerne have dig med — Recovery College",
        "Vil du komme alene? — Recovery College",
    ]
    for mail in mails:
        assert english_in(lines_of_text(mail.text_body or "")) == []
