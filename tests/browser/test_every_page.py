"""axe-core on every page the app serves, found from its URL map so no page is forgotten.

Each GET rule is visited with demo data for its arguments: anonymously first, and, when the
page asks for a login, as an account holding every role. A new rule whose arguments have no
value in ``ARGUMENTS`` fails here: add a value (or, for something that is not a page, a reason
in ``LEFT_OUT``). ``EXTRA_PAGES`` adds states that a bare rule does not show: filters, empty
results, error pages, forms with their messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from college import create_app
from college.extensions import db
from college.models import User
from tests.browser.helpers import (
    DEMO_ADMIN,
    DEMO_STUDENT,
    EVERY_ROLE,
    assert_accessible,
    expect,
)

pytestmark = pytest.mark.browser

# Rules that are not HTML pages, with the reason. Prefixes end with a dot.
LEFT_OUT = {
    "static": "static files, not pages",
    "courses_api.": "the JSON API; fuzzed from its OpenAPI document in tests/courses",
    "me.my_data_json": "a JSON download",
    "enrolment.register_csv": "a CSV download",
    "reports_admin.course_csv": "a CSV download",
    "reports_admin.term_csv": "a CSV download",
    "peers_admin.teaching_csv": "a CSV or XLSX download",
    "feeds.college_feed": "an iCalendar feed",
    "feeds.course_feed": "an iCalendar feed",
    "feeds.personal_feed": "an iCalendar feed",
    "feeds.session_download": "an iCalendar download",
    "dropin.interest": "only a drop-in session has it; checked in test_drop_in_journey",
    "outcomes_admin.download": "a CSV or XLSX download",
    "outcomes_admin.download_json": "a JSON download",
}


def _first(statement: Any) -> Any:
    value = db.session.scalar(statement.limit(1))
    if value is None:
        raise AssertionError(f"the demo has no row for {statement}")
    return value


def _course_id() -> int:
    from courses.models import Course

    return _first(sa.select(Course.id).order_by(Course.id))


def _session_id() -> int:
    from courses.models import CourseSession

    return _first(sa.select(CourseSession.id).order_by(CourseSession.id))


def _slug() -> str:
    from courses.models import Course, CourseStatus

    return _first(
        sa.select(Course.slug).where(Course.status == CourseStatus.PUBLISHED).order_by(Course.id)
    )


def _model_id(model_path: str) -> Callable[[], int]:
    def read() -> int:
        module, name = model_path.rsplit(".", 1)
        model = getattr(__import__(module, fromlist=[name]), name)
        return _first(sa.select(model.id).order_by(model.id))

    return read


def _student_id() -> int:
    return _first(sa.select(User.id).where(User.email == DEMO_STUDENT))


def _peer_id() -> int:
    from tests.browser.helpers import DEMO_PEER

    return _first(sa.select(User.id).where(User.email == DEMO_PEER))


def _own_absence_id() -> int:
    """An absence of the account that visits the pages (only its owner may open it)."""
    from datetime import UTC, datetime, timedelta

    from peers.models import Absence

    owner = _first(sa.select(User.id).where(User.email == EVERY_ROLE))
    found = db.session.scalar(sa.select(Absence.id).where(Absence.user_id == owner).limit(1))
    if found is not None:
        return found
    start = datetime.now(UTC) + timedelta(days=400)
    absence = Absence(user_id=owner, starts_at=start, ends_at=start + timedelta(days=2))
    db.session.add(absence)
    db.session.flush()
    return absence.id


def _own_enrolment_id() -> int:
    """The visiting account's place on the demo's finished course, attended in full.

    Enrolment pages open only for their owner; a finished, attended course shows them all
    (the certificate and the feedback form included).
    """
    from courses.enrolment.demo import PAST_COURSE_SLUG
    from courses.enrolment.models import Attendance, AttendanceStatus, Enrolment, EnrolmentStatus
    from courses.models import Course, CourseSession

    owner = _first(sa.select(User.id).where(User.email == EVERY_ROLE))
    course_id = _first(sa.select(Course.id).where(Course.slug == PAST_COURSE_SLUG))
    found = db.session.scalar(
        sa.select(Enrolment.id).where(
            Enrolment.student_id == owner, Enrolment.course_id == course_id
        )
    )
    if found is not None:
        return found
    enrolment = Enrolment(course_id=course_id, student_id=owner, status=EnrolmentStatus.ENROLLED)
    db.session.add(enrolment)
    for session_id in db.session.scalars(
        sa.select(CourseSession.id).where(CourseSession.course_id == course_id)
    ):
        db.session.add(
            Attendance(session_id=session_id, student_id=owner, status=AttendanceStatus.PRESENT)
        )
    db.session.flush()
    return enrolment.id


def _reset_token() -> str:
    from college import services

    found = services.create_password_reset(DEMO_STUDENT, None)
    assert found is not None
    return found[1]


# A value for each URL argument, read from the live server's database.
ARGUMENTS: dict[str, Callable[[], Any]] = {
    "course_id": _course_id,
    "session_id": _session_id,
    "slug": _slug,
    "term_id": _model_id("courses.models.Term"),
    "venue_id": _model_id("courses.models.Venue"),
    "partner_id": _model_id("courses.models.Partner"),
    "user_id": _student_id,
    "token": _reset_token,
    "peer_id": _peer_id,
    "absence_id": _own_absence_id,
    "cohort_id": _model_id("peers.models.Cohort"),
    "enrolment_id": _own_enrolment_id,
    "interest_id": _model_id("courses.dropin.models.CourseInterest"),
    "moment": lambda: "after",
}

# Query strings a rule needs to show its page.
QUERY = {
    "courses_admin.course_status_confirm": "?status=cancelled",
}

# (id, path, who) for states a bare rule does not show; who is None, "admin" or "student".
EXTRA_PAGES = [
    ("prospectus-filtered", "/courses/?format=in_person&audience=everyone&available=1", None),
    ("prospectus-search", "/courses/?q=mindfulness", None),
    ("prospectus-no-results", "/courses/?q=nothing-matches-this", None),
    ("prospectus-bad-filter", "/courses/?day=99&format=nonsense", None),
    ("prospectus-page-2", "/courses/?page=2", None),
    ("not-found", "/no-such-page", None),
    ("unknown-course", "/courses/no-such-course", None),
    ("reset-link-invalid", "/auth/reset/not-a-real-token", None),
    ("admin-as-student", "/admin/", "student"),
    ("admin-courses-filtered", "/admin/courses/?status=draft", "admin"),
    ("audit", "/admin/audit?page=2", "admin"),
]


def _left_out(endpoint: str) -> bool:
    return any(
        endpoint == key or (key.endswith(".") and endpoint.startswith(key)) for key in LEFT_OUT
    )


def page_rules() -> list[Any]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "collect-only"})
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not _left_out(rule.endpoint)
    ]
    return sorted(rules, key=lambda rule: rule.endpoint)


RULES = page_rules()


def build_path(live_server: Any, rule: Any) -> str:
    missing = sorted(set(rule.arguments) - set(ARGUMENTS))
    assert not missing, (
        f"{rule.rule}: add a demo value for {missing} to ARGUMENTS, "
        "or a reason to LEFT_OUT if it is not a page"
    )
    with live_server.seed():
        values = {name: ARGUMENTS[name]() for name in rule.arguments}
        with live_server.app.test_request_context():
            from flask import url_for

            path = url_for(rule.endpoint, **values)
    return path + QUERY.get(rule.endpoint, "")


def visit(page: Any, path: str) -> Any:
    response = page.goto(path)
    assert response is not None
    return response


@pytest.mark.parametrize("rule", RULES, ids=[rule.endpoint for rule in RULES])
def test_every_page_passes_axe(
    page: Any, logged_in: Callable[..., Any], live_server: Any, rule: Any
) -> None:
    path = build_path(live_server, rule)
    # A cheap request first: pages that need an account redirect to the login form.
    answer = page.request.get(path, max_redirects=0)
    if "/auth/login" in answer.headers.get("location", ""):
        page = logged_in(EVERY_ROLE)
    response = visit(page, path)
    assert response.status < 400, f"{path} answered {response.status}"
    assert "text/html" in response.headers["content-type"]
    expect(page.locator("h1")).to_have_count(1)
    assert_accessible(page)


@pytest.mark.parametrize(
    ("path", "who"), [p[1:] for p in EXTRA_PAGES], ids=[p[0] for p in EXTRA_PAGES]
)
def test_page_states_pass_axe(
    page: Any, logged_in: Callable[..., Any], path: str, who: str | None
) -> None:
    if who:
        page = logged_in(DEMO_ADMIN if who == "admin" else DEMO_STUDENT)
    visit(page, path)
    expect(page.locator("h1")).to_have_count(1)
    assert_accessible(page)


def test_the_checker_reports_a_serious_violation(page: Any) -> None:
    visit(page, "/privacy")
    page.evaluate(
        """() => {
            const input = document.createElement('input');
            document.querySelector('main').append(input);
        }"""
    )
    with pytest.raises(AssertionError, match="label"):
        assert_accessible(page)


def test_no_page_scrolls_sideways_on_a_phone(
    phone_page: Any, logged_in: Callable[..., Any], live_server: Any
) -> None:
    """At 390 px, wide content (tables) scrolls inside its own region, never the whole page."""
    member = logged_in(EVERY_ROLE, width=390)
    too_wide = []
    for rule in RULES:
        path = build_path(live_server, rule)
        page = phone_page if rule.endpoint.startswith("auth.") else member
        visit(page, path)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
        if overflow > 0:
            too_wide.append(f"{path} is {overflow}px too wide")
    assert not too_wide, "\n".join(too_wide)


# Forms submitted empty, to check the page with its error summary and field messages.
FORMS_WITH_ERRORS = [
    ("reset-request", "/auth/reset", False),
    ("reset-password", "rule:auth.reset_password", False),
    ("login", "/auth/login", False),
    ("change-password", "/auth/password", True),
    ("delete-account", "/me/delete", True),
    ("course-new", "/admin/courses/new", True),
    ("course-pair", "rule:courses_admin.course_pair", True),
    ("session-new", "rule:courses_admin.session_new", True),
    ("session-series", "rule:courses_admin.session_series", True),
    ("term-new", "/admin/terms/new", True),
    ("venue-new", "/admin/venues/new", True),
    ("partner-new", "/admin/partners/new", True),
    ("qualification", "/admin/qualifications", True),
]


@pytest.mark.parametrize(
    ("path", "member"), [f[1:] for f in FORMS_WITH_ERRORS], ids=[f[0] for f in FORMS_WITH_ERRORS]
)
def test_forms_with_their_error_messages_pass_axe(
    page: Any, logged_in: Callable[..., Any], live_server: Any, path: str, member: bool
) -> None:
    if path.startswith("rule:"):
        rule = next(rule for rule in RULES if rule.endpoint == path.removeprefix("rule:"))
        path = build_path(live_server, rule)
    if member:
        page = logged_in(EVERY_ROLE)
    visit(page, path)
    form = page.locator("main form[method=post][novalidate]").last
    form.evaluate(
        """form => {
            for (const field of form.elements) {
                if (field.type === 'hidden' || field.type === 'submit') continue;
                if (field.type === 'checkbox' || field.type === 'radio') field.checked = false;
                else field.value = '';
            }
        }"""
    )
    form.locator("[type=submit]").last.click()
    expect(page.locator(".error-summary")).to_be_focused()
    assert_accessible(page)
