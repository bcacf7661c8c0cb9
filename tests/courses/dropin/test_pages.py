"""Drop-in pages: what a visitor reads, the teachers' head count and sheet, the admin list."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from college.db import now_utc
from college.extensions import db
from courses.dropin import services
from courses.dropin.models import CourseInterest, HeadCount
from courses.enrolment import services as enrolment_services
from courses.enrolment.models import Enrolment
from courses.services.joining import Joining, join_state_of_loaded
from tests import factories
from tests.danish_text import english_in, lines_of_html

DANISH = {"Accept-Language": "da"}


def join_box(page: str) -> str:
    return page.split('id="join"')[1].split("</section>")[0]


def sign_in_in_danish(auth, person) -> None:
    person.language = "da"
    db.session.flush()
    auth.login(person)


def danish_page(client, url: str) -> str:
    response = client.get(url, headers=DANISH)
    assert response.status_code == 200, url
    text = response.get_data(as_text=True)
    assert english_in(lines_of_html(text)) == [], url
    return text


# --- the prospectus, the course page, the API, enrolment ----------------------------------


def test_the_joining_rule_says_drop_in_and_enrolment_refuses(drop_in, student):
    assert join_state_of_loaded(drop_in, now_utc()).joining == Joining.DROP_IN
    try:
        enrolment_services.enrol(student, drop_in)
    except enrolment_services.CourseNotOpen as refusal:
        assert str(refusal.message) == "This is a drop-in: just come — you don't need to sign up."
    else:
        raise AssertionError("a drop-in course took a sign-up")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 0


def test_the_course_page_says_just_come_and_offers_no_enrol_button(
    app, client, auth, drop_in, student
):
    sign_in_in_danish(auth, student)
    page = danish_page(client, "/courses/torsdagscafe")
    assert "Kom bare — du behøver ikke tilmelde dig" in page
    assert "Der er plads til 20 personer i lokalet." in page
    assert "Tilmeld" not in join_box(page)
    english = app.test_client().get("/courses/torsdagscafe").get_data(as_text=True)
    assert "Just come — you don't need to sign up." in join_box(english)
    assert 'action="/courses/torsdagscafe/enrol"' not in english


def test_a_visitor_is_not_asked_to_log_in_to_a_drop_in(client, drop_in):
    page = client.get("/courses/torsdagscafe").get_data(as_text=True)
    assert "Log in to enrol" not in join_box(page) and "Create account" not in join_box(page)


def test_the_prospectus_lists_a_drop_in_that_is_under_way_and_says_so(client, drop_in):
    page = danish_page(client, "/courses/")
    assert "Torsdagscafé" in page
    assert "Drop-in – ingen tilmelding" in page
    assert "Kom bare — du behøver ikke tilmelde dig (plads til 20 personer)" in page
    available = client.get("/api/v1/courses?available=1").get_json()
    assert "torsdagscafe" not in [item["slug"] for item in available["items"]]


def test_the_api_says_it_is_a_drop_in_with_its_room(client, drop_in):
    item = client.get("/api/v1/courses/torsdagscafe").get_json()
    assert item["joining"] == "drop_in"
    assert item["open_for_enrolment"] is False
    assert (item["drop_in"], item["room_capacity"]) == (True, 20)
    listed = client.get("/api/v1/courses").get_json()["items"]
    assert [i["drop_in"] for i in listed if i["slug"] == "torsdagscafe"] == [True]


def test_the_openapi_document_describes_drop_in(client):
    document = client.get("/api/v1/openapi.json").get_json()
    summary = document["components"]["schemas"]["CourseSummary"]
    assert "drop_in" in summary["required"] and "room_capacity" in summary["required"]
    assert summary["properties"]["room_capacity"]["nullable"] is True
    assert "drop_in" in summary["properties"]["joining"]["enum"]


# --- the administrator marks a course ----------------------------------------------------------


def course_form(course, **changes) -> dict[str, object]:
    data = {
        "title": course.title,
        "summary": course.summary,
        "description": course.description,
        "topic": course.topic,
        "audience": course.audience,
        "format": course.format,
        "capacity": course.capacity,
        "required_programme": course.required_programme,
        "term": course.term_id,
    }
    return {**data, **changes}


def test_an_administrator_marks_a_course_drop_in_with_a_room_capacity(client, signed_in_admin):
    course = factories.make_course()
    form = course_form(course, drop_in="y", room_capacity="14")
    response = client.post(f"/admin/courses/{course.id}/edit", data=form)
    assert response.status_code == 302
    db.session.refresh(course)
    assert (course.drop_in, course.room_capacity) == (True, 14)
    page = client.get(f"/admin/courses/{course.id}").get_data(as_text=True)
    assert "Drop-in: no sign-up (room for 14 people)" in page


def test_a_room_capacity_that_is_not_a_number_is_refused_in_danish(client, auth, admin):
    sign_in_in_danish(auth, admin)
    course = factories.make_course()
    form = course_form(course, drop_in="y", room_capacity="mange")
    response = client.post(f"/admin/courses/{course.id}/edit", data=form, headers=DANISH)
    assert response.status_code == 400
    assert english_in(lines_of_html(response.get_data(as_text=True))) == []
    db.session.refresh(course)
    assert not course.drop_in


def test_a_course_with_places_taken_does_not_become_a_drop_in(client, signed_in_admin):
    course = factories.make_published_course()
    factories.make_enrolment(course)
    response = client.post(
        f"/admin/courses/{course.id}/edit", data=course_form(course, drop_in="y")
    )
    assert response.status_code == 400
    assert "1 places on this course are taken, so it cannot become a drop-in" in response.get_data(
        as_text=True
    )
    db.session.refresh(course)
    assert not course.drop_in


# --- the teachers: from the schedule to the head count ------------------------------------


def test_a_teacher_goes_from_the_schedule_to_the_head_count_and_back(client, auth, peer, today):
    sign_in_in_danish(auth, peer)
    # (Not read for English: a month heading capitalised, "December 2026", reads as both.)
    schedule = client.get("/peers/schedule").get_data(as_text=True)
    link = f"/courses/sessions/{today.id}/head-count?next=/peers/schedule"
    assert link in schedule and "Optælling" in schedule
    page = danish_page(client, link)
    assert "Hvor mange kom" in page
    response = client.post(
        link,
        data={"came": "8", "first_visits": "3", "second_visits": "1", "third_visits": "0",
              "next": "/peers/schedule"},
    )  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"].endswith("/peers/schedule")
    count = db.session.scalars(sa.select(HeadCount)).one()
    assert (count.came, count.first_visits, count.second_visits) == (8, 3, 1)
    again = client.get(link).get_data(as_text=True)
    assert 'value="8"' in again


def test_numbers_that_do_not_add_up_get_a_clear_danish_message_and_save_nothing(
    client, auth, trainer, today
):
    sign_in_in_danish(auth, trainer)
    response = client.post(
        f"/courses/sessions/{today.id}/head-count",
        data={"came": "2", "first_visits": "2", "second_visits": "1", "third_visits": "0"},
        headers=DANISH,
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "giver tilsammen 3, altså flere end de 2, der kom" in text
    assert english_in(lines_of_html(text)) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HeadCount)) == 0


def test_a_word_instead_of_a_number_is_refused(client, signed_in_peer, today):
    response = client.post(
        f"/courses/sessions/{today.id}/head-count", data={"came": "ni", "first_visits": "0"}
    )
    assert response.status_code == 400
    assert "Please enter a whole number, like 12." in response.get_data(as_text=True)


def test_before_its_day_the_head_count_says_when_it_opens(client, signed_in_peer, coming):
    page = client.get(f"/courses/sessions/{coming.id}/head-count").get_data(as_text=True)
    assert "opens on" in page and "<form" not in page.split("<main")[1]


def test_a_session_with_enrolment_goes_on_to_its_register(client, signed_in_peer, peer, trainer):
    course = factories.make_published_course(peer=peer, trainer=trainer)
    session_id = course.sessions[0].id
    response = client.get(f"/courses/sessions/{session_id}/head-count")
    assert response.status_code == 302
    assert f"/courses/sessions/{session_id}/register" in response.headers["Location"]


def test_another_peer_cannot_open_the_head_count(client, auth, today):
    auth.login(factories.make_peer())
    assert client.get(f"/courses/sessions/{today.id}/head-count").status_code == 403
    assert client.get(f"/courses/sessions/{today.id}/hear-about-courses").status_code == 403


# --- the sheet and the administrators' list ------------------------------------------------


def test_the_sheet_keeps_nothing_without_the_tick(client, auth, peer, today):
    sign_in_in_danish(auth, peer)
    url = f"/courses/sessions/{today.id}/hear-about-courses"
    page = danish_page(client, url)
    assert "Vil du høre om vores kurser?" in page
    response = client.post(
        url, data={"name": "Maja", "contact": "maja@example.org"}, headers=DANISH
    )
    assert response.status_code == 400
    assert "kun oplysningerne, hvis personen sætter flueben" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseInterest)) == 0


def test_the_sheet_with_the_tick_gives_a_fresh_sheet_for_the_next_person(
    client, signed_in_peer, today
):
    url = f"/courses/sessions/{today.id}/hear-about-courses"
    response = client.post(url, data={"contact": "maja@example.org", "consent": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert list(db.session.scalars(sa.select(CourseInterest.contact))) == ["maja@example.org"]


def test_administrators_see_the_list_and_delete_an_entry(client, auth, admin, peer, today):
    services.record_interest(peer, today, name="Maja", contact="maja@example.org", consent=True)
    sign_in_in_danish(auth, admin)
    page = danish_page(client, "/admin/drop-in/interest")
    assert "maja@example.org" in page and "Torsdagscafé" in page
    entry = db.session.scalars(sa.select(CourseInterest)).one()
    confirm = danish_page(client, f"/admin/drop-in/interest/{entry.id}/delete")
    assert "Vil du slette disse oplysninger?" in confirm and "maja@example.org" in confirm
    response = client.post(f"/admin/drop-in/interest/{entry.id}/delete")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseInterest)) == 0
    assert "Ingen har spurgt endnu." in client.get("/admin/drop-in/interest").get_data(as_text=True)


def test_the_privacy_notice_speaks_of_drop_in(client):
    page = danish_page(client, "/privacy")
    assert "Hvis du kigger forbi" in page


def test_the_sheet_is_only_for_drop_in_sessions(client, signed_in_peer, peer, trainer):
    course = factories.make_published_course(
        peer=peer, trainer=trainer, first_start=now_utc() - timedelta(hours=1), sessions=1
    )
    url = f"/courses/sessions/{course.sessions[0].id}/hear-about-courses"
    assert client.get(url).status_code == 404


def test_a_sign_up_sent_anyway_is_refused_with_a_message(client, signed_in_student, drop_in):
    response = client.post("/courses/torsdagscafe/enrol", follow_redirects=True)
    assert response.status_code in (200, 400)
    assert "This is a drop-in: just come — you don&#39;t need to sign up." in response.get_data(
        as_text=True
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)) == 0


def test_an_unknown_entry_is_not_found(client, signed_in_admin):
    assert client.get("/admin/drop-in/interest/999999/delete").status_code == 404
