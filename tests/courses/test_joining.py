"""Only what can be joined is offered: one rule for the list, the page, the API, enrolment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from college.db import now_utc
from college.extensions import db
from courses import prospectus
from courses.enrolment import services as enrolment_services
from courses.models import Course, CourseStatus, Term, Topic
from courses.services.joining import Joining, join_state, join_state_of_loaded
from tests import factories

DAY = timedelta(days=1)


@pytest.fixture
def kinds(peer, trainer) -> dict[str, Course]:
    """One published course of each kind a visitor may meet, in one coming term."""
    now = now_utc()
    dates = {"starts_on": (now - 60 * DAY).date(), "ends_on": (now + 200 * DAY).date()}
    open_term = factories.make_term(name="Open term", **dates)
    closed = factories.make_term(
        name="Closed term",
        **dates,
        enrolment_opens_at=now - 20 * DAY,
        enrolment_closes_at=now - DAY,
    )
    later = factories.make_term(
        name="Later term",
        **dates,
        enrolment_opens_at=now + 5 * DAY,
        enrolment_closes_at=now + 50 * DAY,
    )

    def course(slug: str, term: Term, first: datetime, **kwargs: object) -> Course:
        return factories.make_published_course(
            peer=peer, trainer=trainer, term=term, first_start=first, slug=slug, title=slug.title(),
            topic=Topic.CREATIVITY, **kwargs,
        )  # fmt: skip

    return {
        "open": course("open", open_term, now + 10 * DAY),
        "full": course("full", open_term, now + 11 * DAY, capacity=2, seats_taken=2),
        "soon": course("soon", open_term, now + 3 * DAY),
        "closed": course("closed", closed, now + 12 * DAY),
        "later": course("later", later, now + 30 * DAY),
        "begun": course("begun", open_term, now - 8 * DAY),
        "ended": course("ended", open_term, now - 40 * DAY, sessions=2),
        "drop-in": course("drop-in", open_term, now - 20 * DAY, sessions=8, drop_in=True),
    }


def state_of(course: Course) -> Joining:
    db.session.expire(course, ["sessions"])
    return join_state_of_loaded(course, now_utc()).joining


def test_the_rule_says_why_a_course_cannot_be_joined(kinds):
    assert {slug: state_of(course) for slug, course in kinds.items()} == {
        "open": Joining.OPEN,
        "full": Joining.OPEN,
        "soon": Joining.OPEN,
        "closed": Joining.CLOSED,
        "later": Joining.NOT_YET_OPEN,
        "begun": Joining.BEGUN,
        "ended": Joining.ENDED,
        "drop-in": Joining.DROP_IN,
    }
    kinds["open"].status = CourseStatus.CANCELLED
    assert state_of(kinds["open"]) == Joining.NOT_PUBLISHED


def test_a_course_that_begins_this_minute_has_begun(kinds):
    course = kinds["open"]
    first = course.scheduled_sessions[0]
    at_start = join_state(course, now=first.starts_at, first_start=first.starts_at, last_end=None)
    assert at_start.joining == Joining.BEGUN
    before = first.starts_at - timedelta(minutes=1)
    assert join_state(course, now=before, first_start=first.starts_at, last_end=None).can_join


def api_slugs(client, query: str = "") -> list[str]:
    response = client.get("/api/v1/courses" + query)
    assert response.status_code == 200, response.get_json()
    return [item["slug"] for item in response.get_json()["items"]]


def test_the_list_leaves_out_begun_courses_and_shows_the_soonest_first(client, kinds):
    # A drop-in under way is still listed: people come to any of its sessions.
    assert api_slugs(client) == ["soon", "open", "full", "closed", "later", "drop-in"]
    page = client.get("/courses/").get_data(as_text=True)
    assert "Begun" not in page and ">Ended<" not in page


def test_asked_for_begun_courses_come_last_and_are_marked(client, kinds):
    assert api_slugs(client, "?begun=1") == [
        "soon", "open", "full", "closed", "later", "ended", "drop-in", "begun",
    ]  # fmt: skip
    items = {i["slug"]: i for i in client.get("/api/v1/courses?begun=1").get_json()["items"]}
    assert items["begun"]["joining"] == "begun"
    assert items["ended"]["joining"] == "ended"
    assert items["open"]["joining"] == "open" and items["open"]["open_for_enrolment"] is True
    assert items["full"]["open_for_enrolment"] is False
    page = client.get("/courses/?begun=1", headers={"Accept-Language": "da"})
    text = page.get_data(as_text=True)
    assert '<span class="status-badge">Begyndt</span>' in text
    assert '<span class="status-badge">Afsluttet</span>' in text


def test_available_means_open_for_enrolment_now(client, kinds):
    # Places left and enrolment open: not the full one, nor the closed, the not-yet-open
    # or the begun ones, even when begun courses are asked for too.
    assert api_slugs(client, "?available=1") == ["soon", "open"]
    assert api_slugs(client, "?available=1&begun=1") == ["soon", "open"]
    page = client.get("/courses/?available=1").get_data(as_text=True)
    assert "2 courses" in page


def test_the_sql_rule_and_the_python_rule_agree(kinds):
    now = now_utc()
    listed = prospectus.find_courses(prospectus.Filters(begun=True, per_page=100), now).items
    states = prospectus.join_states(listed, now)
    joinable = prospectus.find_courses(prospectus.Filters(available=True, begun=True), now)
    assert {c.slug for c in joinable.items} == {
        c.slug for c in listed if states[c.id].can_join and c.places_left > 0
    }
    for course in listed:
        assert states[course.id].joining == state_of(course), course.slug


def test_the_openapi_document_says_what_available_means(client):
    document = client.get("/api/v1/openapi.json").get_json()
    parameters = {p["name"]: p for p in document["paths"]["/courses"]["get"]["parameters"]}
    assert "open for enrolment now" in parameters["available"]["description"]
    assert "places left" in parameters["available"]["description"]
    assert "enrolment open" in parameters["available"]["description"]
    summary = document["components"]["schemas"]["CourseSummary"]["properties"]
    assert set(summary["joining"]["enum"]) == {j.value for j in Joining}


def test_a_month_filter_finds_courses_that_start_that_month(client, kinds):
    month = kinds["later"].scheduled_sessions[0].starts_at.strftime("%Y-%m")
    expected = sorted(
        slug
        for slug, course in kinds.items()
        if slug not in ("begun", "ended")
        and course.scheduled_sessions[0].starts_at.strftime("%Y-%m") == month
    )
    assert sorted(api_slugs(client, f"?month={month}")) == expected
    assert "later" in expected


@pytest.mark.parametrize("bad", ["2030-13", "2030-9", "september", "2030-09-01", "1999-01"])
def test_a_month_that_is_not_one_is_refused_clearly(client, kinds, bad):
    response = client.get(f"/api/v1/courses?month={bad}")
    assert response.status_code == 400
    assert "month must be a month written like 2030-09." in response.get_json()["error"]["message"]
    page = client.get(f"/courses/?month={bad}", headers={"Accept-Language": "da"})
    assert page.status_code == 200
    assert "month skal være en måned skrevet som 2030-09." in page.get_data(as_text=True)


def test_month_bounds_follow_the_colleges_clock():
    starts, ends = prospectus.month_bounds("2030-12")
    assert starts == datetime(2030, 11, 30, 23, 0, tzinfo=UTC)
    assert ends == datetime(2030, 12, 31, 23, 0, tzinfo=UTC)


def test_the_filters_have_distinct_labels_a_clear_link_and_fold_away(client, kinds):
    page = client.get("/courses/", headers={"Accept-Language": "da"}).get_data(as_text=True)
    options = re.findall(r"<option[^>]*>([^<]+)</option>", page)
    assert options.count("Alle") <= 1
    assert "Alle målgrupper" in options
    assert '<label for="month">Hvornår</label>' in page
    assert "<summary>Filtre</summary>" in page
    assert "Nulstil filtre" not in page
    filtered = client.get("/courses/?topic=creativity", headers={"Accept-Language": "da"})
    text = filtered.get_data(as_text=True)
    assert '<a href="/courses/">Nulstil filtre</a>' in text
    assert re.search(r"<details[^>]*open", text)


def test_a_begun_course_page_offers_no_button_but_says_why_and_shows_the_next_run(
    client, auth, kinds
):
    auth.login(factories.make_student())
    page = client.get("/courses/begun").get_data(as_text=True)
    assert "This course has already begun, so it is no longer possible to join it" in page
    assert "Join the waiting list" not in page and ">Enrol<" not in page
    assert '<a href="/courses/soon">The next course on this subject: Soon</a>' in page


def test_an_ended_course_page_says_so_in_danish(client, kinds):
    page = client.get("/courses/ended", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert "Kurset er afsluttet, så det er ikke længere muligt at komme med." in page
    assert "Log ind for at tilmelde dig" not in page


def test_a_closed_course_without_another_run_points_to_the_list(client, kinds):
    kinds["soon"].topic = kinds["open"].topic = kinds["full"].topic = Topic.PRACTICAL
    kinds["later"].topic = Topic.PRACTICAL
    db.session.flush()
    page = client.get("/courses/closed").get_data(as_text=True)
    assert "Enrolment for this course has closed." in page
    assert '<a href="/courses/?available=1">See the courses you can join now</a>' in page


def test_a_full_course_page_says_how_many_are_waiting(app, client, auth, kinds):
    course = kinds["full"]
    for student in factories.make_students(3):
        enrolment_services.enrol(student, course)
    auth.login(factories.make_student())
    page = client.get("/courses/full").get_data(as_text=True)
    assert "Full – 3 people waiting" in page
    assert "3 people are on the waiting list already, so you would be number 4." in page
    assert "Join the waiting list" in page
    # A visitor whose browser asks for Danish (signing out keeps the person's own language).
    visitor = app.test_client()
    danish = visitor.get("/courses/full", headers={"Accept-Language": "da"})
    assert "Der står allerede 3 personer på ventelisten" in danish.get_data(as_text=True)


@pytest.mark.parametrize(
    ("slug", "error"),
    [
        ("begun", enrolment_services.CourseAlreadyStarted),
        ("ended", enrolment_services.CourseEnded),
        ("closed", enrolment_services.EnrolmentClosed),
        ("later", enrolment_services.EnrolmentNotYetOpen),
    ],
)
def test_enrolment_asks_the_same_rule(kinds, slug, error):
    student = factories.make_student()
    with pytest.raises(error):
        enrolment_services.enrol(student, kinds[slug])
    count = db.session.scalar(
        sa.text("SELECT count(*) FROM enrolments WHERE student_id = :id"), {"id": student.id}
    )
    assert count == 0


def test_pressing_enrol_on_a_begun_course_changes_nothing_and_says_why(client, auth, kinds):
    auth.login(factories.make_student())
    response = client.post("/courses/begun/enrol", follow_redirects=True)
    assert "This course has already started, so it is no longer possible to enrol." in (
        response.get_data(as_text=True)
    )
    assert kinds["begun"].seats_taken == 0


@pytest.mark.parametrize("bad", ["2", "yes", "-1"])
def test_a_begun_flag_that_is_not_0_or_1_is_refused_clearly(client, kinds, bad):
    response = client.get(f"/api/v1/courses?begun={bad}")
    assert response.status_code == 400
    assert response.get_json()["error"]["details"] == [
        {"parameter": "begun", "message": "begun must be 0 or 1."}
    ]
    page = client.get(f"/courses/?begun={bad}").get_data(as_text=True)
    assert "begun must be 0 or 1." in page
    assert "Begun" not in page  # the filter was left out, so begun courses stay hidden
