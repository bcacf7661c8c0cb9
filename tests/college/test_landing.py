"""Back to the course after signing up or in; otherwise everyone lands where their work is."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from college.extensions import db
from college.models import Role, User
from tests import factories

SIGN_UP = {
    "display_name": "Rikke",
    "email": "rikke@example.org",
    "password": "blue kettle on the stove",
    "language": "en",
    "consent": "y",
    "discreet": "y",
}


@pytest.fixture
def course_page() -> str:
    course = factories.make_published_course(slug="calm-minds")
    return f"/courses/{course.slug}"


def test_the_course_page_sends_log_in_and_sign_up_back_to_its_enrol_step(client, course_page):
    page = client.get(course_page).get_data(as_text=True)
    back = "next=/courses/calm-minds%23join"
    assert f'href="/auth/login?{back}">Log in to enrol</a>' in page
    assert f'href="/auth/register?{back}">Create account</a>' in page
    # The header's links, too, come back here.
    assert page.count(f"/auth/login?{back}") == 2
    assert page.count(f"/auth/register?{back}") == 2
    assert 'id="join"' in page


def test_signing_up_from_a_course_returns_to_its_enrol_step(client: FlaskClient, course_page):
    form = client.get("/auth/register?next=/courses/calm-minds%23join").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/courses/calm-minds#join"' in form
    assert 'href="/auth/login?next=/courses/calm-minds%23join"' in form
    sent = client.post("/auth/register", data={**SIGN_UP, "next": "/courses/calm-minds#join"})
    assert sent.status_code == 200
    # The page after signing up leads to logging in, and logging in back to the course.
    assert 'href="/auth/login?next=/courses/calm-minds%23join">Log in</a>' in sent.text
    response = client.post(
        "/auth/login",
        data={
            "email": SIGN_UP["email"],
            "password": SIGN_UP["password"],
            "next": "/courses/calm-minds#join",
        },
    )
    assert response.headers["Location"] == "/courses/calm-minds#join"
    page = client.get(course_page).get_data(as_text=True)
    assert ">Enrol</button>" in page


def test_logging_in_from_a_course_returns_to_its_enrol_step(client, course_page):
    student = factories.make_student()
    form = client.get("/auth/login?next=/courses/calm-minds%23join").get_data(as_text=True)
    assert 'href="/auth/register?next=/courses/calm-minds%23join"' in form
    response = client.post(
        "/auth/login",
        data={"email": student.email, "password": factories.PASSWORD, "next": course_page},
    )
    assert response.headers["Location"] == course_page


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        ((Role.STUDENT,), "/me/courses"),
        ((Role.PEER,), "/peers/schedule"),
        ((Role.TRAINER,), "/peers/schedule"),
        ((Role.STUDENT, Role.PEER), "/peers/schedule"),
        ((Role.ADMIN,), "/admin/"),
        ((Role.ADMIN, Role.PEER, Role.STUDENT), "/admin/"),
    ],
)
def test_after_login_everyone_lands_where_their_work_is(client, roles, landing):
    person = factories.make_user(roles=roles)
    response = client.post("/auth/login", data={"email": person.email, "password": "x" * 0})
    assert response.status_code == 400  # no password: the form says so, nobody is signed in
    response = client.post(
        "/auth/login", data={"email": person.email, "password": factories.PASSWORD}
    )
    assert response.headers["Location"] == landing


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/courses",
        "/\\evil.example",
        "javascript:alert(1)",
        "courses/relative",
    ],
)
def test_a_next_that_leaves_the_site_is_ignored(client, target):
    sent = client.post("/auth/register", data={**SIGN_UP, "next": target})
    assert sent.status_code == 200
    assert 'href="/auth/login">Log in</a>' in sent.text
    assert "evil" not in sent.text.split("<main", 1)[1]


def test_signing_up_without_a_next_then_logging_in_lands_on_my_courses(client):
    sent = client.post("/auth/register", data=SIGN_UP)
    assert 'href="/auth/login">Log in</a>' in sent.text
    response = client.post(
        "/auth/login", data={"email": SIGN_UP["email"], "password": SIGN_UP["password"]}
    )
    assert response.headers["Location"] == "/me/courses"


def test_a_signed_in_person_opening_sign_up_goes_to_their_page(client, auth):
    auth.login(factories.make_student())
    assert client.get("/auth/register").headers["Location"] == "/me/courses"


def test_bad_sign_up_keeps_the_way_back_and_changes_nothing(client):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    response = client.post(
        "/auth/register",
        data={**SIGN_UP, "email": "not an address", "next": "/courses/calm-minds#join"},
        headers={"Accept-Language": "da"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="/courses/calm-minds#join"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before
