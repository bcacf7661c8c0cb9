"""The pages people read most: the prospectus, a course, the API, My courses, the dashboard.

Signed-in pages are measured with the cookie of a real sign-in, made once before the run.
"""

from __future__ import annotations

import requests
import sqlalchemy as sa

from bench.enrolment import DEMO_PASSWORD, token_of
from bench.run import Scenario

DEMO_DOMAIN = "demo.recovery-college.example"
ADMIN = f"admin@{DEMO_DOMAIN}"


def cookie_of(url: str, email: str) -> str:
    """Sign in through the login form and return the Cookie header the browser would send."""
    browser = requests.Session()
    token = token_of(browser.get(f"{url}/auth/login", timeout=60).text)
    answer = browser.post(
        f"{url}/auth/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"could not sign in {email}: {answer.status_code}")
    # Read the welcome once, as a browser would: a cookie still carrying it would make
    # every measured request show it again.
    browser.get(f"{url}{answer.headers['Location']}", timeout=60)
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def keenest_student(database_url: str) -> tuple[str, int]:
    """The student with the most enrolments (the data generator makes one with 50)."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        email, count = connection.execute(
            sa.text(
                "SELECT u.email, count(*) FROM enrolments e JOIN users u ON u.id = e.student_id"
                " GROUP BY u.email ORDER BY count(*) DESC, u.email LIMIT 1"
            )
        ).one()
    engine.dispose()
    return email, count


def a_course_slug(database_url: str) -> str:
    """A bulk course of the current data: six sessions, a pair, two thirds full."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        slug = connection.scalar(
            sa.text(
                "SELECT slug FROM courses WHERE status = 'published'"
                " ORDER BY slug LIKE 'hold-%' DESC, id LIMIT 1"
            )
        )
    engine.dispose()
    if slug is None:
        raise RuntimeError("no published course: build the data first")
    return slug


def scenarios(url: str, database_url: str) -> list[Scenario]:
    student, enrolments = keenest_student(database_url)
    print(f"  My courses: a student with {enrolments} enrolments", flush=True)
    student_cookie = {"Cookie": cookie_of(url, student)}
    admin_cookie = {"Cookie": cookie_of(url, ADMIN)}
    return [
        Scenario("prospectus", "/courses/", 0.5),
        Scenario(
            "prospectus, search + 2 filters", "/courses/?q=recovery&day=tuesday&available=1", 0.5
        ),
        Scenario("course page", f"/courses/{a_course_slug(database_url)}", 0.5),
        Scenario("API list", "/api/v1/courses", 0.5),
        Scenario("My courses, 50 enrolments", "/me/courses", 0.2, student_cookie),
        Scenario("admin dashboard", "/admin/", 0.2, admin_cookie),
    ]
