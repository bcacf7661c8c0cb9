"""Kept pages: served again only while the data is unchanged, never to the wrong person."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from college import page_cache
from college.extensions import db
from college.models import AuditEvent, DataVersion, LoginSession, Role, User
from college.services import renew_calendar_token, revoke_calendar_token, set_roles
from courses.models import Course, CourseStatus
from tests import factories

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def page_cache_on(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 60)
    monkeypatch.setitem(app.config, "PAGE_CACHE_VERSION_SECONDS", 0)
    page_cache.clear()
    yield
    page_cache.clear()


def version() -> int:
    found = db.session.scalar(
        sa.select(DataVersion.version).where(DataVersion.name == page_cache.DATA)
    )
    return found or 0


def rename(course: Course, title: str) -> None:
    course.title = title
    db.session.commit()


# --- the data version ----------------------------------------------------------------------


def test_a_committed_change_raises_the_version(app: Flask) -> None:
    before = version()
    factories.make_venue(name="Hall")
    db.session.commit()
    assert version() == before + 1


def test_a_bulk_update_raises_the_version(app: Flask) -> None:
    course = factories.make_course()
    db.session.commit()
    before = version()
    db.session.execute(sa.update(Course).where(Course.id == course.id).values(capacity=3))
    db.session.commit()
    assert version() == before + 1


SET_CAPACITY = sa.update(Course).where(Course.id == sa.bindparam("course")).values(capacity=3)


def test_a_write_past_the_orm_raises_the_version(app: Flask) -> None:
    course = factories.make_course()
    db.session.commit()
    before = version()
    page_cache.execute_write(SET_CAPACITY, {"course": course.id})
    db.session.commit()
    assert version() == before + 1


def version_statements(count_queries, action: Callable[[], object]) -> list[str]:
    with count_queries() as counter:
        action()
    return [s for s in counter.statements if "data_versions" in s and "SELECT" not in s[:7]]


def test_a_last_write_can_raise_the_version_itself(app: Flask, count_queries) -> None:
    course = factories.make_course()
    db.session.commit()
    before = version()

    def write_and_commit() -> None:
        page_cache.execute_write(SET_CAPACITY, {"course": course.id}, raise_version=True)
        factories.make_venue(name="Hall")  # written after it, in the same transaction
        db.session.commit()

    raised = version_statements(count_queries, write_and_commit)
    assert version() == before + 1
    if db.engine.dialect.name == "postgresql":
        # In the UPDATE itself; the commit adds no statement of its own.
        assert len(raised) == 1 and "UPDATE courses" in raised[0], raised
    else:
        # SQLite writes one table per statement, so the commit raises it as always.
        assert len(raised) == 1 and raised[0].lstrip().startswith("INSERT INTO data_versions")


def test_a_version_raised_and_rolled_back_is_raised_again_next_time(app: Flask) -> None:
    course = factories.make_course()
    db.session.commit()
    before = version()
    page_cache.execute_write(SET_CAPACITY, {"course": course.id}, raise_version=True)
    db.session.rollback()
    assert version() == before
    factories.make_venue(name="Hall")
    db.session.commit()
    assert version() == before + 1


def test_within_a_savepoint_the_commit_raises_the_version(app: Flask, count_queries) -> None:
    course = factories.make_course()
    db.session.commit()
    before = version()

    def write_in_a_savepoint() -> None:
        with db.session.begin_nested():
            page_cache.execute_write(SET_CAPACITY, {"course": course.id}, raise_version=True)
        db.session.commit()

    raised = version_statements(count_queries, write_in_a_savepoint)
    assert version() == before + 1
    # A savepoint rolled back would have taken it along, so it is not raised in there.
    assert len(raised) == 1 and raised[0].lstrip().startswith("INSERT INTO data_versions")


def test_a_write_past_the_orm_comes_after_what_was_pending(app: Flask) -> None:
    course = factories.make_course()
    db.session.commit()
    course.title = "Written first"
    page_cache.execute_write(SET_CAPACITY, {"course": course.id})
    # Read on the connection, past the ORM: only what was written is seen there.
    row = db.session.connection().execute(
        sa.select(Course.title, Course.capacity).where(Course.id == course.id)
    )
    assert tuple(row.one()) == ("Written first", 3)


def test_a_rolled_back_change_leaves_the_version(app: Flask) -> None:
    before = version()
    factories.make_venue(name="Hall")
    db.session.rollback()
    db.session.commit()
    assert version() == before


def test_bookkeeping_is_not_a_change_of_data(app: Flask) -> None:
    person = factories.make_student()
    db.session.commit()
    before = version()
    db.session.add(
        AuditEvent(actor_id=person.id, action="person.viewed", target_type="user", target_id=1)
    )
    person.last_login_at = factories.FIRST_SESSION
    db.session.commit()
    assert version() == before
    person.display_name = "Another name"
    db.session.commit()
    assert version() == before + 1


# --- public pages ---------------------------------------------------------------------------


def test_the_prospectus_is_kept_until_a_course_changes(
    page_cache_on: None, client: FlaskClient, count_queries: object
) -> None:
    course = factories.make_published_course(title="Hope and recovery")
    db.session.commit()
    assert "Hope and recovery" in client.get("/courses/").get_data(as_text=True)
    with count_queries() as counter:  # type: ignore[operator]
        again = client.get("/courses/")
    assert "Hope and recovery" in again.get_data(as_text=True)
    assert counter.count == 1  # only the version
    rename(course, "Living with voices")
    page = client.get("/courses/").get_data(as_text=True)
    assert "Living with voices" in page
    assert "Hope and recovery" not in page


def test_a_kept_course_page_shows_places_taken_since(
    page_cache_on: None, client: FlaskClient
) -> None:
    course = factories.make_published_course(title="Mindfulness", capacity=2)
    db.session.commit()
    assert "2 places left" in client.get(f"/courses/{course.slug}").get_data(as_text=True)
    factories.make_enrolment(course)
    db.session.commit()
    assert "1 place left" in client.get(f"/courses/{course.slug}").get_data(as_text=True)


def test_a_sign_up_through_the_site_shows_at_once_on_the_kept_pages(
    page_cache_on: None, app: Flask, client: FlaskClient
) -> None:
    course = factories.make_published_course(title="Mindfulness", capacity=2)
    db.session.commit()
    visitor = app.test_client()
    assert "2 places left" in visitor.get(f"/courses/{course.slug}").get_data(as_text=True)
    signed_in_student(client)
    assert "Mindfulness" not in client.get("/me/courses").get_data(as_text=True)
    assert client.post(f"/courses/{course.slug}/enrol").status_code in (302, 303)
    assert "1 place left" in visitor.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Mindfulness" in client.get("/me/courses").get_data(as_text=True)


def test_browsing_as_a_visitor_sets_no_cookie(page_cache_on: None, client: FlaskClient) -> None:
    course = factories.make_published_course(title="Stress and vulnerability")
    db.session.commit()
    for path in ("/courses/", f"/courses/{course.slug}", "/courses/", f"/courses/{course.slug}"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert "Set-Cookie" not in answer.headers
        assert "csrf_token" not in answer.get_data(as_text=True)
    assert "Log in to enrol" in client.get(f"/courses/{course.slug}").get_data(as_text=True)


def test_the_visitors_language_switch_takes_posts_from_this_site_only(
    client: FlaskClient, csrf_enabled: None
) -> None:
    choose = {"language": "da", "next": "/privacy"}
    elsewhere = client.post("/language", data=choose, headers={"Sec-Fetch-Site": "cross-site"})
    assert elsewhere.status_code == 400
    assert '<html lang="en">' in client.get("/privacy").get_data(as_text=True)
    other_origin = client.post("/language", data=choose, headers={"Origin": "https://evil.example"})
    assert other_origin.status_code == 400
    here = client.post("/language", data=choose, headers={"Sec-Fetch-Site": "same-origin"})
    assert here.status_code == 302
    assert '<html lang="da">' in client.get("/privacy").get_data(as_text=True)


def test_each_browser_of_a_person_gets_a_token_of_its_own(
    page_cache_on: None, app: Flask, csrf_enabled: None
) -> None:
    student = factories.make_student()
    db.session.commit()
    browsers = [app.test_client(), app.test_client()]
    tokens = []
    for browser in browsers:
        login = browser.get("/auth/login").get_data(as_text=True)
        token = CSRF.search(login).group(1)  # type: ignore[union-attr]
        signed_in = browser.post(
            "/auth/login",
            data={"email": student.email, "password": factories.PASSWORD, "csrf_token": token},
        )
        assert signed_in.status_code == 302
        browser.get("/me/courses")  # the welcome is shown once, then the page is kept
        page = browser.get("/me/courses").get_data(as_text=True)
        tokens.append(CSRF.search(page).group(1))  # type: ignore[union-attr]
        assert "\x00" not in page
    assert tokens[0] != tokens[1]
    for browser, token in zip(browsers, tokens, strict=True):
        answer = browser.post(
            "/language", data={"language": "da", "next": "/me/courses", "csrf_token": token}
        )
        assert answer.status_code == 302
        assert 'lang="da"' in browser.get("/me/courses").get_data(as_text=True)
    forged = {"language": "en", "next": "/me/courses", "csrf_token": "forged"}
    browsers[0].post("/language", data=forged)
    page = browsers[0].get("/me/courses").get_data(as_text=True)
    assert 'lang="da"' in page
    assert 'class="flash flash-error"' in page


def test_visitors_get_the_page_in_their_own_language(
    page_cache_on: None, client: FlaskClient
) -> None:
    english = client.get("/courses/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    danish = client.get("/courses/", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert '<html lang="en">' in english
    assert '<html lang="da">' in danish


def test_a_signed_in_person_never_gets_the_visitors_copy(
    page_cache_on: None, client: FlaskClient, auth: object
) -> None:
    client.get("/courses/")
    student = factories.make_student(name="Sam")
    db.session.commit()
    auth.login(student)  # type: ignore[attr-defined]
    page = client.get("/courses/").get_data(as_text=True)
    assert "Log out" in page
    assert "Log in" not in page


def test_a_message_is_shown_once_and_never_kept(
    page_cache_on: None, app: Flask, client: FlaskClient
) -> None:
    client.get("/courses/")
    client.post("/language", data={"language": "xx", "next": "/courses/"})
    assert "That language is not available." in client.get("/courses/").get_data(as_text=True)
    other = app.test_client()
    assert "That language is not available." not in other.get("/courses/").get_data(as_text=True)


# --- a person's own pages -------------------------------------------------------------------


def test_my_courses_are_kept_for_me_alone(
    page_cache_on: None, app: Flask, client: FlaskClient
) -> None:
    mine = factories.make_published_course(title="Being a relative")
    theirs = factories.make_published_course(title="Everyday economics")
    me, them = factories.make_student(), factories.make_student()
    factories.make_enrolment(mine, me)
    factories.make_enrolment(theirs, them)
    db.session.commit()
    other = app.test_client()
    client.post("/auth/login", data={"email": me.email, "password": factories.PASSWORD})
    other.post("/auth/login", data={"email": them.email, "password": factories.PASSWORD})
    for _ in range(2):
        my_page = client.get("/me/courses").get_data(as_text=True)
        their_page = other.get("/me/courses").get_data(as_text=True)
        assert "Being a relative" in my_page and "Everyday economics" not in my_page
        assert "Everyday economics" in their_page and "Being a relative" not in their_page


def signed_in_student(client: FlaskClient) -> User:
    """A student signed in on ``client`` who has opened My courses once."""
    student = factories.make_student()
    db.session.commit()
    client.post("/auth/login", data={"email": student.email, "password": factories.PASSWORD})
    assert client.get("/me/courses").status_code == 200
    return student


def test_a_page_kept_for_someone_is_not_given_after_they_sign_out(
    page_cache_on: None, client: FlaskClient
) -> None:
    signed_in_student(client)
    client.post("/auth/logout")
    assert client.get("/me/courses").status_code == 302


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: object) -> None:
        # The test's own transaction wraps each request in a savepoint; those are not the app's.
        if "SAVEPOINT" not in str(args[2]):
            statements.append(str(args[2]))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def test_a_kept_page_of_a_person_costs_one_statement_and_keeps_their_language(
    page_cache_on: None, app: Flask, client: FlaskClient
) -> None:
    student = factories.make_student(language="da")
    db.session.commit()
    client.post("/auth/login", data={"email": student.email, "password": factories.PASSWORD})
    client.get("/me/courses")  # shows the welcome, so it is not kept
    first = client.get("/me/courses").get_data(as_text=True)
    with recorded_statements() as statements:
        again = client.get("/me/courses")
    assert again.get_data(as_text=True) == first
    assert '<html lang="da"' in first
    assert len(statements) == 1


def test_a_kept_page_is_not_given_once_the_sign_in_ended_elsewhere(
    page_cache_on: None, client: FlaskClient
) -> None:
    student = signed_in_student(client)
    # Ending sessions is bookkeeping: it leaves the data version as it was.
    before = version()
    db.session.execute(sa.delete(LoginSession).where(LoginSession.user_id == student.id))
    db.session.commit()
    assert version() == before
    assert client.get("/me/courses").status_code == 302


def test_the_kept_dashboard_is_not_given_to_someone_who_is_no_longer_an_administrator(
    page_cache_on: None, client: FlaskClient
) -> None:
    admin, other = factories.make_admin(), factories.make_admin()
    db.session.commit()
    client.post("/auth/login", data={"email": admin.email, "password": factories.PASSWORD})
    assert client.get("/admin/").status_code == 200
    set_roles(other, admin, {Role.STUDENT})
    db.session.commit()
    assert client.get("/admin/").status_code == 403


# --- answers read by machines ---------------------------------------------------------------


def test_the_api_answers_304_until_the_prospectus_changes(
    page_cache_on: None, client: FlaskClient
) -> None:
    course = factories.make_published_course(title="Creativity")
    db.session.commit()
    first = client.get("/api/v1/courses")
    etag = first.headers["ETag"]
    assert client.get("/api/v1/courses", headers={"If-None-Match": etag}).status_code == 304
    rename(course, "Creativity and recovery")
    changed = client.get("/api/v1/courses", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "Creativity and recovery" in changed.get_data(as_text=True)


def test_the_public_feed_and_the_api_may_be_kept_by_shared_caches(
    page_cache_on: None, client: FlaskClient
) -> None:
    factories.make_published_course()
    db.session.commit()
    for path in ("/calendar/college.ics", "/api/v1/courses"):
        whole = client.get(path)
        unchanged = client.get(path, headers={"If-None-Match": whole.headers["ETag"]})
        assert (whole.status_code, unchanged.status_code) == (200, 304)
        # The same answer for every cookie: only the language may set it apart.
        for response in (whole, unchanged):
            assert "Cookie" not in response.headers.get("Vary", ""), path


def test_a_feed_answers_from_its_copy_and_stops_when_the_token_is_revoked(
    page_cache_on: None, client: FlaskClient
) -> None:
    peer = factories.make_peer()
    factories.make_published_course(peer=peer)
    token = renew_calendar_token(peer)
    db.session.commit()
    path = f"/calendar/u/{token}.ics"
    whole = client.get(path)
    assert whole.status_code == 200
    etag = whole.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    # A client that sends the ETag first, to a process without a copy, still gets a 304.
    page_cache.clear()
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path).get_data() == whole.get_data()
    revoke_calendar_token(db.session.get(User, peer.id))  # type: ignore[arg-type]
    db.session.commit()
    assert client.get(path).status_code == 404


def test_a_course_withdrawn_from_the_prospectus_disappears_from_kept_pages(
    page_cache_on: None, client: FlaskClient
) -> None:
    course = factories.make_published_course(title="Sleep well")
    db.session.commit()
    assert client.get(f"/courses/{course.slug}").status_code == 200
    course.status = CourseStatus.DRAFT
    db.session.commit()
    assert client.get(f"/courses/{course.slug}").status_code == 404
    assert "Sleep well" not in client.get("/courses/").get_data(as_text=True)


# --- lifetime and size ----------------------------------------------------------------------


def test_a_kept_page_is_rebuilt_when_its_lifetime_is_over(
    page_cache_on: None, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: clock[0])
    factories.make_published_course(title="Hope")
    db.session.commit()
    client.get("/courses/")
    # Written behind the app's back: only the clock can tell the page to move on.
    db.session.execute(sa.text("UPDATE courses SET title = 'Meaning'"))
    page_cache.forget_version()
    assert "Hope" in client.get("/courses/").get_data(as_text=True)
    clock[0] += 61
    assert "Meaning" in client.get("/courses/").get_data(as_text=True)


def test_the_store_forgets_the_least_recently_used_past_its_size() -> None:
    store = page_cache.ResponseStore()

    def item(size: int) -> page_cache.KeptResponse:
        return page_cache.KeptResponse(1, 0.0, 200, (), b"x" * size, None, False, ())

    store.put("a", item(40), limit=100)
    store.put("b", item(40), limit=100)
    assert store.get("a") is not None  # "a" is now the most recent
    store.put("c", item(40), limit=100)
    assert store.get("b") is None
    assert store.get("a") is not None and store.get("c") is not None
    store.put("huge", item(101), limit=100)
    assert store.get("huge") is None


def test_a_kept_feed_answers_before_the_other_request_hooks(
    page_cache_on: None, app: Flask, client: FlaskClient
) -> None:
    peer = factories.make_peer()
    factories.make_published_course(peer=peer)
    token = renew_calendar_token(peer)
    db.session.commit()
    reached: list[str] = []
    # A hook added last, as the sign-in and consent hooks are added after the store's own.
    app.before_request_funcs.setdefault(None, []).append(lambda: reached.append("hook"))
    path = f"/calendar/u/{token}.ics"
    etag = client.get(path).headers["ETag"]
    assert reached == ["hook"]
    with recorded_statements() as statements:
        unchanged = client.get(path, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert reached == ["hook"]
    assert len(statements) == 1  # the data version, nothing else
    # Ahead of the write lock and the CSRF check too, which only concern writes.
    assert app.before_request_funcs[None][0] is page_cache.serve_kept_early


# --- answers given before the app ----------------------------------------------------------


@pytest.fixture
def versions_reused(page_cache_on: None, monkeypatch: pytest.MonkeyPatch, app: Flask) -> None:
    """As in production: a version this process read is good for a second."""
    monkeypatch.setitem(app.config, "PAGE_CACHE_VERSION_SECONDS", 1)


def count_requests(app: Flask) -> list[str]:
    """Every request the app itself handles, from its first hook on."""
    reached: list[str] = []
    app.before_request_funcs[None].insert(0, lambda: reached.append("request"))
    return reached


def personal_feed_path() -> str:
    peer = factories.make_peer()
    factories.make_published_course(peer=peer)
    token = renew_calendar_token(peer)
    db.session.commit()
    return f"/calendar/u/{token}.ics"


def test_a_feed_is_answered_before_the_app_with_the_apps_own_headers(
    versions_reused: None, app: Flask, client: FlaskClient
) -> None:
    path = personal_feed_path()
    reached = count_requests(app)
    whole = client.get(path)
    etag = whole.headers["ETag"]
    unchanged = client.get(path, headers={"If-None-Match": etag})
    assert (whole.status_code, unchanged.status_code, len(reached)) == (200, 304, 2)
    with recorded_statements() as statements:
        again = client.get(path)
        unchanged_again = client.get(path, headers={"If-None-Match": etag})
        head = client.head(path)
    assert len(reached) == 2 and statements == []  # none of them reached the app
    assert again.get_data() == whole.get_data()
    assert sorted(again.headers.items()) == sorted(whole.headers.items())
    assert unchanged_again.status_code == 304 and unchanged_again.get_data() == b""
    assert sorted(unchanged_again.headers.items()) == sorted(unchanged.headers.items())
    assert unchanged_again.headers["Content-Security-Policy"]  # the app's hooks' headers too
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == str(len(whole.get_data()))


def test_an_early_answer_stops_when_the_data_changes(
    versions_reused: None, app: Flask, client: FlaskClient
) -> None:
    course = factories.make_published_course(title="Creativity")
    db.session.commit()
    reached = count_requests(app)
    etag = client.get("/api/v1/courses").headers["ETag"]
    assert client.get("/api/v1/courses", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/api/v1/courses", headers={"If-None-Match": etag}).status_code == 304
    assert len(reached) == 2
    rename(course, "Creativity and recovery")  # a commit in this process
    changed = client.get("/api/v1/courses", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and len(reached) == 3
    assert "Creativity and recovery" in changed.get_data(as_text=True)


def test_a_change_made_elsewhere_reaches_the_feed_once_the_read_version_is_old(
    versions_reused: None, app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: clock[0])
    peer = factories.make_peer()
    factories.make_published_course(peer=peer)
    token = renew_calendar_token(peer)
    db.session.commit()
    path = f"/calendar/u/{token}.ics"
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200  # the headers are learnt; now given early
    # Another process revokes the token: this one forgets nothing, yet moves on within a second.
    db.session.execute(sa.update(User).where(User.id == peer.id).values(calendar_token=None))
    db.session.execute(sa.update(DataVersion).values(version=DataVersion.version + 1))
    assert client.get(path).status_code == 200
    clock[0] += 1
    assert client.get(path).status_code == 404


def test_only_answers_for_anyone_that_follow_their_address_are_given_early(
    versions_reused: None, app: Flask, client: FlaskClient
) -> None:
    factories.make_published_course()
    db.session.commit()
    reached = count_requests(app)
    for path in ("/courses/", "/calendar/college.ics", "/api/v1/courses?per_page=5"):
        for _ in range(3):
            assert client.get(path).status_code == 200
    # The prospectus is for visitors, whose session may hold a message; the college feed
    # follows the reader's language. Another address is another answer.
    assert len(reached) == 3 + 3 + 1
    other = client.get("/api/v1/courses?per_page=6")
    assert len(reached) == 8 and other.get_json()["per_page"] == 6
