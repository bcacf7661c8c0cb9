"""Admin pages for courses: who may use them, the whole flow, and bad input on every form."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from college.extensions import db
from college.models import AuditEvent, Programme, Qualification, Role
from courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    FacilitatorRole,
    Partner,
    SessionStatus,
    Term,
    Venue,
)
from courses.times import to_local
from tests import factories

GET_PAGES = [
    "/admin/courses/",
    "/admin/courses/new",
    "/admin/courses/{course}",
    "/admin/courses/{course}/edit",
    "/admin/courses/{course}/status?status=archived",
    "/admin/courses/{course}/pair",
    "/admin/courses/{course}/sessions/new",
    "/admin/courses/{course}/sessions/series",
    "/admin/sessions/{session}/reschedule",
    "/admin/sessions/{session}/facilitators",
    "/admin/sessions/{session}/cancel",
    "/admin/terms",
    "/admin/terms/new",
    "/admin/terms/{term}/edit",
    "/admin/venues",
    "/admin/venues/new",
    "/admin/venues/{venue}/edit",
    "/admin/partners",
    "/admin/partners/new",
    "/admin/partners/{partner}/edit",
    "/admin/qualifications",
]
POST_ACTIONS = [
    "/admin/courses/{course}/status",
    "/admin/sessions/{session}/delete",
    "/admin/sessions/{session}/cancel",
    "/admin/courses/new",
    "/admin/terms/new",
]


@pytest.fixture
def things() -> dict[str, int]:
    venue = factories.make_venue()
    course = factories.make_course(venue=venue)
    session = factories.make_session(course)
    return {
        "course": course.id,
        "session": session.id,
        "term": course.term_id,
        "venue": venue.id,
        "partner": factories.make_partner().id,
    }


def counts() -> dict[str, int]:
    models = [Course, CourseSession, Term, Venue, Partner, Qualification, AuditEvent]
    return {
        m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models
    }


@pytest.mark.parametrize("path", GET_PAGES)
def test_anonymous_visitors_are_sent_to_login(client: FlaskClient, things, path):
    response = client.get(path.format(**things))
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.STUDENT, Role.PEER, Role.TRAINER])
@pytest.mark.parametrize("path", GET_PAGES)
def test_only_administrators_see_the_pages(client: FlaskClient, auth, things, role, path):
    auth.login(factories.make_user(roles=(role,)))
    assert client.get(path.format(**things)).status_code == 403


@pytest.mark.parametrize("path", POST_ACTIONS)
def test_only_administrators_change_anything(client: FlaskClient, auth, things, path):
    before = counts()
    assert client.post(path.format(**things), data={"status": "archived"}).status_code == 302
    auth.login(factories.make_student())
    response = client.post(path.format(**things), data={"status": "archived", "name": "x"})
    assert response.status_code == 403
    assert counts() == before
    assert db.session.get(Course, things["course"]).status == CourseStatus.DRAFT


@pytest.mark.parametrize("path", GET_PAGES)
def test_administrators_see_every_page(client: FlaskClient, signed_in_admin, things, path):
    response = client.get(path.format(**things))
    assert response.status_code == 200
    assert b'class="admin-nav"' in response.data


def test_unknown_ids_are_not_found(client: FlaskClient, signed_in_admin):
    for path in [
        "/admin/courses/999999",
        "/admin/courses/99999999999999999999",
        "/admin/sessions/999999/reschedule",
        "/admin/terms/999999/edit",
        "/admin/venues/abc/edit",
    ]:
        assert client.get(path).status_code == 404, path


def test_the_whole_flow_from_term_to_published_course(
    client: FlaskClient, signed_in_admin, peer, trainer
):
    response = client.post(
        "/admin/terms/new",
        data={
            "name": "Efterår 2030",
            "starts_on": "2030-09-01",
            "ends_on": "2030-12-20",
            "enrolment_opens_at": "2030-08-01T09:00",
            "enrolment_closes_at": "",
        },
    )
    assert response.status_code == 302
    term = db.session.scalar(sa.select(Term).where(Term.name == "Efterår 2030"))
    assert to_local(term.enrolment_opens_at).hour == 9
    client.post(
        "/admin/venues/new",
        data={
            "name": "Skolegade",
            "address": "Skolegade 12",
            "accessibility_notes": "Lift",
        },
    )
    venue = db.session.scalar(sa.select(Venue).where(Venue.name == "Skolegade"))
    client.post("/admin/partners/new", data={"name": "Region Midtjylland", "kind": "region"})
    partner = db.session.scalar(sa.select(Partner))
    response = client.post(
        "/admin/courses/new",
        data={
            "title": "Mindfulness i hverdagen",
            "summary": "Nærvær",
            "description": "Øvelser",
            "learning_outcomes": "Ro\nNærvær",
            "topic": "wellbeing",
            "audience": "everyone",
            "format": "in_person",
            "capacity": "14",
            "required_programme": "five_day",
            "term": str(term.id),
            "venue": str(venue.id),
            "partners": [str(partner.id)],
        },
    )
    assert response.status_code == 302
    course = db.session.scalar(sa.select(Course))
    assert course.slug == "mindfulness-i-hverdagen" and course.partners == [partner]
    base = f"/admin/courses/{course.id}"
    response = client.post(
        base + "/sessions/series",
        data={
            "first_day": "2030-10-16",
            "starts": "10:00",
            "minutes": "120",
            "count": "4",
            "venue": "",
        },
    )
    assert response.status_code == 302
    assert len(course.sessions) == 4
    page = client.get(base).get_data(as_text=True)
    assert "No peer trainer for 4 sessions: 16, 23, 30 October, 6 November" in page
    assert "No professional trainer for 4 sessions" in page
    pair = {"peer": peer.id, "professional": trainer.id, "apply_to_sessions": "y"}
    response = client.post(base + "/pair", data=pair)
    assert response.status_code == 302
    assert all(s.people(FacilitatorRole.PEER) == [peer] for s in course.sessions)
    response = client.post(base + "/status", data={"status": "published"})
    assert response.status_code == 302
    assert course.status == CourseStatus.PUBLISHED
    assert {to_local(s.starts_at).hour for s in course.sessions} == {10}
    assert client.get("/courses/mindfulness-i-hverdagen").status_code == 200


def test_publish_refusal_lists_every_reason(client: FlaskClient, signed_in_admin, trainer):
    course = factories.make_course()
    factories.make_session(course)
    untrained = factories.make_peer(name="Una Untrained", programmes=())
    factories.make_session(
        course,
        starts_at=factories.FIRST_SESSION + timedelta(weeks=1),
        peers=(untrained,),
        professionals=(trainer,),
    )
    response = client.post(f"/admin/courses/{course.id}/status", data={"status": "published"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "The course cannot be published yet" in page
    assert page.count("No peer trainer for 1 session") == 1
    assert page.count("No professional trainer for 1 session") == 1
    assert "Una Untrained does not hold a valid qualification" in page
    assert f"/admin/courses/{course.id}/pair" in page
    assert course.status == CourseStatus.DRAFT


def test_cancelling_a_course_asks_first(client: FlaskClient, signed_in_admin):
    course = factories.make_published_course(sessions=2)
    page = client.get(f"/admin/courses/{course.id}").get_data(as_text=True)
    assert f"/admin/courses/{course.id}/status?status=cancelled" in page
    confirm = client.get(f"/admin/courses/{course.id}/status?status=cancelled")
    assert "Yes, cancel the course" in confirm.get_data(as_text=True)
    assert course.status == CourseStatus.PUBLISHED
    for impossible in ["published", "draft", "wizard", ""]:
        url = f"/admin/courses/{course.id}/status?status={impossible}"
        assert client.get(url).status_code == 404
    response = client.post(f"/admin/courses/{course.id}/status", data={"status": "cancelled"})
    assert response.status_code == 302
    assert course.status == CourseStatus.CANCELLED


@pytest.mark.parametrize("status", ["", "wizard", "draft"])
def test_impossible_status_changes_are_refused(client: FlaskClient, signed_in_admin, status):
    course = factories.make_course()
    response = client.post(f"/admin/courses/{course.id}/status", data={"status": status})
    assert response.status_code in (400, 409)
    assert course.status == CourseStatus.DRAFT


def test_reschedule_cancel_and_facilitators_of_a_published_course(
    client: FlaskClient, signed_in_admin
):
    course = factories.make_published_course(sessions=2)
    first = course.sessions[0]
    base = f"/admin/sessions/{first.id}"
    form = client.get(base + "/reschedule").get_data(as_text=True)
    assert 'value="2030-09-10"' in form and 'value="17:00"' in form
    response = client.post(
        base + "/reschedule",
        data={"day": "2030-09-11", "starts": "18:00", "ends": "20:00", "venue": ""},
    )
    assert response.status_code == 302
    assert to_local(first.starts_at).day == 11 and first.sequence == 1
    cover = factories.make_peer(name="Carl Cover")
    professional = first.people(FacilitatorRole.PROFESSIONAL)[0]
    response = client.post(
        base + "/facilitators", data={"peer": cover.id, "professional": professional.id}
    )
    assert response.status_code == 302
    assert first.people(FacilitatorRole.PEER) == [cover] and first.sequence == 2
    assert client.post(base + "/cancel").status_code == 302
    assert first.status == SessionStatus.CANCELLED and first.sequence == 3
    page = client.get(f"/admin/courses/{course.id}").get_data(as_text=True)
    assert "Cancelled" in page


def test_last_session_cannot_be_cancelled_from_the_page(client: FlaskClient, signed_in_admin):
    course = factories.make_published_course(sessions=1)
    response = client.post(f"/admin/sessions/{course.sessions[0].id}/cancel")
    assert response.status_code == 400 or response.status_code == 409
    assert "Cancel the course instead" in response.get_data(as_text=True)
    assert course.sessions[0].status == SessionStatus.SCHEDULED


def test_record_and_remove_a_qualification(client: FlaskClient, signed_in_admin):
    peer = factories.make_peer(name="Nina New", programmes=())
    response = client.post(
        "/admin/qualifications",
        data={"person": peer.id, "programme": "five_week", "granted_on": "2026-03-01"},
    )
    assert response.status_code == 302
    qualification = db.session.scalar(
        sa.select(Qualification).where(Qualification.user_id == peer.id)
    )
    assert qualification.programme == Programme.FIVE_WEEK
    page = client.get("/admin/qualifications").get_data(as_text=True)
    row = re.search(r"<th scope=\"row\">Nina New</th>\s*<td>([^<]*)</td>", page)
    assert row is not None and row.group(1) == "Five-week programme for peer support"
    qualification_id = qualification.id
    client.post(f"/admin/qualifications/{qualification_id}/delete")
    db.session.expunge_all()
    assert db.session.get(Qualification, qualification_id) is None


def test_csrf_is_required(client: FlaskClient, signed_in_admin, csrf_enabled, things):
    before = counts()
    response = client.post("/admin/partners/new", data={"name": "Sneaky", "kind": "region"})
    assert response.status_code == 400
    response = client.post(f"/admin/courses/{things['course']}/status", data={"status": "archived"})
    assert response.status_code == 400
    assert counts() == before


# --- bad input on every form ---------------------------------------------------------------

LONG = "x" * 5000


def course_data(**changes: Any) -> dict[str, Any]:
    return {
        "title": "A course",
        "summary": "Short",
        "description": "Long",
        "topic": "wellbeing",
        "audience": "everyone",
        "format": "in_person",
        "capacity": "12",
        "required_programme": "five_day",
        "term": "{term}",
        "venue": "",
    } | changes


BAD_INPUT = [
    ("/admin/terms/new", {}, "Please give the term a name."),
    (
        "/admin/terms/new",
        {"name": LONG, "starts_on": "2030-01-01", "ends_on": "2030-02-01"},
        "at most 80",
    ),
    (
        "/admin/terms/new",
        {"name": "T", "starts_on": "2030-02-01", "ends_on": "2030-01-01"},
        "The term must end on or after the day it starts.",
    ),
    (
        "/admin/terms/new",
        {"name": "T", "starts_on": "31/12/2030", "ends_on": "x"},
        "like 2026-09-14",
    ),
    (
        "/admin/terms/new",
        {"name": "T", "starts_on": "0001-01-01", "ends_on": "9999-12-31"},
        "between the years 2000 and 2100",
    ),
    (
        "/admin/terms/new",
        {
            "name": "T",
            "starts_on": "2030-01-01",
            "ends_on": "2030-02-01",
            "enrolment_opens_at": "2030-01-01T10:00",
            "enrolment_closes_at": "2029-12-01T10:00",
        },
        "The end must come after the start.",
    ),
    (
        "/admin/terms/new",
        {
            "name": "T",
            "starts_on": "2030-03-01",
            "ends_on": "2030-06-01",
            "enrolment_opens_at": "2030-03-31T02:30",
        },
        "does not exist",
    ),
    ("/admin/terms/{term}/edit", {"name": ""}, "Please give the term a name."),
    ("/admin/venues/new", {}, "Please give the venue a name."),
    ("/admin/venues/new", {"name": "Hall"}, "Please give the address"),
    ("/admin/venues/new", {"name": "Hall", "address": LONG}, "at most 300"),
    ("/admin/venues/new", {"name": "O", "is_online": "y", "meeting_link": "ftp://x"}, "https://"),
    ("/admin/venues/{venue}/edit", {"name": "\x00"}, "Please give the venue a name."),
    ("/admin/partners/new", {"name": "P"}, "Please choose the kind of partner."),
    ("/admin/partners/new", {"name": "P", "kind": "planet"}, "Please choose one of the options."),
    ("/admin/partners/new", {"name": LONG, "kind": "region"}, "at most 120"),
    ("/admin/partners/{partner}/edit", {"name": "", "kind": "region"}, "Please give the partner"),
    ("/admin/courses/new", {}, "Please give the course a title."),
    ("/admin/courses/new", course_data(title=LONG), "at most 120"),
    ("/admin/courses/new", course_data(summary=LONG), "at most 300"),
    ("/admin/courses/new", course_data(capacity="0"), "between 1 and 500"),
    ("/admin/courses/new", course_data(capacity="many"), "whole number"),
    ("/admin/courses/new", course_data(term="999999"), "Please choose one of the options."),
    ("/admin/courses/new", course_data(term="abc"), "Please choose one of the options."),
    ("/admin/courses/new", course_data(topic="astrology"), "Please choose one of the options."),
    ("/admin/courses/new", course_data(partners=["x"]), "Please choose one of the options."),
    ("/admin/courses/new", course_data(slug="Ugly Slug!"), "lower-case letters"),
    ("/admin/courses/{course}/edit", course_data(description=""), "Please describe the course."),
    ("/admin/courses/{course}/sessions/new", {}, "Please enter the date of the session."),
    (
        "/admin/courses/{course}/sessions/new",
        {"day": "2030-09-10", "starts": "17:00", "ends": "16:00"},
        "The session must end after it starts.",
    ),
    (
        "/admin/courses/{course}/sessions/new",
        {"day": "2030-09-10", "starts": "25:00", "ends": "26:00"},
        "like 17:00",
    ),
    (
        "/admin/courses/{course}/sessions/new",
        {"day": "2030-03-31", "starts": "02:15", "ends": "04:00"},
        "does not exist",
    ),
    (
        "/admin/courses/{course}/sessions/series",
        {"first_day": "2030-09-10", "starts": "17:00", "minutes": "120", "count": "99"},
        "between 1 and 52",
    ),
    (
        "/admin/courses/{course}/sessions/series",
        {"first_day": "2030-09-10", "starts": "17:00", "minutes": "5", "count": "4"},
        "between 15 and 720 minutes",
    ),
    (
        "/admin/courses/{course}/sessions/series",
        {"first_day": "", "starts": "", "minutes": "", "count": ""},
        "Please enter the first date.",
    ),
    ("/admin/courses/{course}/pair", {}, "Please choose the peer trainer."),
    (
        "/admin/courses/{course}/pair",
        {"peer": "{student}", "professional": "{student}"},
        "Please choose one of the options.",
    ),
    (
        "/admin/sessions/{session}/reschedule",
        {"day": "2030-09-10", "starts": "18:00", "ends": "17:30"},
        "The session must end after it starts.",
    ),
    (
        "/admin/sessions/{session}/facilitators",
        {"peer": "", "professional": ""},
        "Please choose the peer trainer.",
    ),
    ("/admin/qualifications", {}, "Please choose a peer worker."),
    (
        "/admin/qualifications",
        {
            "person": "{peer}",
            "programme": "five_day",
            "granted_on": "2026-02-01",
            "expires_on": "2026-01-01",
        },
        "cannot expire before it was granted",
    ),
]


@pytest.mark.parametrize(("path", "data", "message"), BAD_INPUT)
def test_bad_input_is_explained_and_changes_nothing(
    client: FlaskClient, signed_in_admin, things, peer, path, data, message
):
    ids = things | {"student": factories.make_student().id, "peer": peer.id}
    form = {
        key: [v.format(**ids) for v in value] if isinstance(value, list) else value.format(**ids)
        for key, value in data.items()
    }
    course = db.session.get(Course, things["course"])
    before = counts(), course.title, [(s.starts_at, s.sequence) for s in course.sessions]
    response = client.post(path.format(**ids), data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page[:2000]
    assert 'class="error-summary"' in page
    assert message in page
    db.session.expire_all()
    course = db.session.get(Course, things["course"])
    assert (counts(), course.title, [(s.starts_at, s.sequence) for s in course.sessions]) == before


FORM_FIELDS = {
    "/admin/terms/new": [
        "name",
        "starts_on",
        "ends_on",
        "enrolment_opens_at",
        "enrolment_closes_at",
    ],
    "/admin/venues/new": ["name", "is_online", "address", "meeting_link", "accessibility_notes"],
    "/admin/partners/new": ["name", "kind"],
    "/admin/courses/new": [*course_data(), "slug", "learning_outcomes", "partners"],
    "/admin/courses/{course}/edit": [*course_data(), "slug", "partners"],
    "/admin/courses/{course}/pair": ["peer", "professional", "apply_to_sessions"],
    "/admin/courses/{course}/sessions/new": ["day", "starts", "ends", "venue"],
    "/admin/courses/{course}/sessions/series": ["first_day", "starts", "minutes", "count", "venue"],
    "/admin/sessions/{session}/reschedule": ["day", "starts", "ends", "venue"],
    "/admin/sessions/{session}/facilitators": ["peer", "professional"],
    "/admin/qualifications": ["person", "programme", "granted_on", "expires_on"],
    "/admin/courses/{course}/status": ["status"],
    "/admin/sessions/{session}/cancel": ["submit"],
}
HOSTILE = ["\x00", "9" * 40, "-1", "2030-02-30", "23:61", "<script>x</script>", "ø" * 3000, " "]


@pytest.mark.parametrize("path", list(FORM_FIELDS))
def test_hostile_input_never_breaks_a_form(client: FlaskClient, signed_in_admin, things, path):
    for value in HOSTILE:
        data = {name: value for name in FORM_FIELDS[path]}
        response = client.post(path.format(**things), data=data)
        assert response.status_code < 500, (path, value)
        assert "<script>x</script>" not in response.get_data(as_text=True)
