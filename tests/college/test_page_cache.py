"""Cached responses: given again only while the data is unchanged, never to the wrong person."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from college import data_version, page_cache
from college.extensions import db
from college.models import DataVersion, LoginSession, Role, User
from college.services import renew_calendar_token, revoke_calendar_token, set_roles
from courses.models import Course, CourseStatus
from tests import factories

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def page_cache_on(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 60)
    monkeypatch.setitem(app.config, "PAGE_CACHE_VERSION_SECONDS", 0)
    # A page is cached for a period of the clock; these tests do not cross into the next.
    monkeypatch.setattr(page_cache, "wall_clock", lambda: 1000.0)
    page_cache.clear()
    yield
    page_cache.clear()


def version() -> int:
    found = db.session.scalar(
        sa.select(DataVersion.version).where(DataVersion.name == data_version.DATA)
    )
    return found or 0


def rename(course: Course, title: str) -> None:
    course.title = title
    db.session.commit()


# --- public pages ---------------------------------------------------------------------------


def test_the_prospectus_is_cached_until_a_course_changes(
    page_cache_on: None, client: FlaskClient, count_queries: object
) -> None:
    course = factories.make_published_course(title="Hope and recovery")
    db.session.commit()
    assert "Hope and recovery" in client.get("/courses/").get_data(as_text=True)
    with count_queries() as counter:  # type: ignore[operator]
        again = client.get("/courses/")
    assert "Hope and recovery" in again.get_data(as_text=True)
    assert counter.count == 1, counter.statements  # only the version
    rename(course, "Living with voices")
    page = client.get("/courses/").get_data(as_text=True)
    assert "Living with voices" in page
    assert "Hope and recovery" not in page


def test_a_cached_course_page_shows_places_taken_since(
    page_cache_on: None, client: FlaskClient
) -> None:
    course = factories.make_published_course(title="Mindfulness", capacity=2)
    db.session.commit()
    assert "2 places left" in client.get(f"/courses/{course.slug}").get_data(as_text=True)
    factories.make_enrolment(course)
    db.session.commit()
    assert "1 place left" in client.get(f"/courses/{course.slug}").get_data(as_text=True)


def test_a_sign_up_through_the_site_shows_at_once_on_the_cached_pages(
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
        browser.get("/me/courses")  # the welcome is shown once, then the page is cached
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


def test_a_message_is_shown_once_and_never_cached(
    page_cache_on: None, app: Flask, client: FlaskClient
) -> None:
    client.get("/courses/")
    client.post("/language", data={"language": "xx", "next": "/courses/"})
    assert "That language is not available." in client.get("/courses/").get_data(as_text=True)
    other = app.test_client()
    assert "That language is not available." not in other.get("/courses/").get_data(as_text=True)


# --- a person's own pages -------------------------------------------------------------------


def test_my_courses_are_cached_for_me_alone(
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


def test_a_page_cached_for_someone_is_not_given_after_they_sign_out(
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


def test_a_cached_page_of_a_person_costs_two_statements_and_keeps_their_language(
    page_cache_on: None, app: Flask, client: FlaskClient
) -> None:
    student = factories.make_student(language="da")
    db.session.commit()
    client.post("/auth/login", data={"email": student.email, "password": factories.PASSWORD})
    client.get("/me/courses")  # shows the welcome, so it is not cached
    first = client.get("/me/courses").get_data(as_text=True)
    with recorded_statements() as statements:
        again = client.get("/me/courses")
    assert again.get_data(as_text=True) == first
    assert '<html lang="da"' in first
    # Loading the person (with their roles) and reading the data version, nothing else.
    assert len(statements) == 2, statements


def test_a_cached_page_is_not_given_once_the_sign_in_ended_elsewhere(
    page_cache_on: None, client: FlaskClient
) -> None:
    student = signed_in_student(client)
    # Ending sessions is bookkeeping: it leaves the data version as it was.
    before = version()
    db.session.execute(sa.delete(LoginSession).where(LoginSession.user_id == student.id))
    db.session.commit()
    assert version() == before
    assert client.get("/me/courses").status_code == 302


def test_the_cached_dashboard_is_not_given_to_someone_who_is_no_longer_an_administrator(
    page_cache_on: None, client: FlaskClient
) -> None:
    admin, other = factories.make_admin(), factories.make_admin()
    db.session.commit()
    client.post("/auth/login", data={"email": admin.email, "password": factories.PASSWORD})
    assert client.get("/admin/").status_code == 200
    set_roles(other, admin, {Role.STUDENT})
    db.session.commit()
    assert client.get("/admin/").status_code == 403


# --- the signed-in person on pages that only read -------------------------------------------


@pytest.fixture
def person_kept(page_cache_on: None, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process may show what it read a few seconds ago: pages, and the person reading."""
    monkeypatch.setitem(app.config, "PAGE_CACHE_VERSION_SECONDS", 5)


def test_a_page_that_only_reads_uses_the_person_read_a_moment_ago(
    person_kept: None, client: FlaskClient
) -> None:
    signed_in_student(client)
    with recorded_statements() as statements:
        assert client.get("/me/courses").status_code == 200
    assert not [s for s in statements if "login_sessions" in s or "user_roles" in s], statements


def test_a_session_ended_elsewhere_writes_nothing_and_stops_reading_within_the_window(
    person_kept: None, client: FlaskClient
) -> None:
    student = signed_in_student(client)
    db.session.execute(sa.delete(LoginSession).where(LoginSession.user_id == student.id))
    db.session.commit()
    # Anything that writes asks the database whether the session lasts: it does not.
    saved = client.post("/me/settings", data={"language": "da", "discreet": "y"})
    assert saved.status_code == 302 and "/auth/login" in saved.headers["Location"]
    assert db.session.get_one(User, student.id).language == student.language
    # Once the few seconds have passed, this process no longer holds the person either.
    page_cache.clear()
    assert client.get("/me/courses").status_code == 302


def test_a_persons_own_change_shows_at_once_on_pages_that_only_read(
    person_kept: None, client: FlaskClient
) -> None:
    student = signed_in_student(client)
    assert student.language != "da"
    client.post("/me/settings", data={"language": "da", "discreet": "y"})
    assert '<html lang="da"' in client.get("/me/courses").get_data(as_text=True)


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


def test_the_public_feed_and_the_api_may_be_cached_by_shared_caches(
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


def test_a_feed_answers_from_the_cache_and_stops_when_the_token_is_revoked(
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
    # A client that sends the ETag first, to a process without a cached response, still gets a 304.
    page_cache.clear()
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path).get_data() == whole.get_data()
    revoke_calendar_token(db.session.get(User, peer.id))  # type: ignore[arg-type]
    db.session.commit()
    assert client.get(path).status_code == 404


def test_a_course_withdrawn_from_the_prospectus_disappears_from_cached_pages(
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


def test_a_cached_page_is_rebuilt_when_its_lifetime_is_over(
    page_cache_on: None, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(page_cache, "wall_clock", lambda: clock[0])
    factories.make_published_course(title="Hope")
    db.session.commit()
    client.get("/courses/")
    # Written behind the app's back: only the clock can tell the page to move on.
    db.session.execute(sa.text("UPDATE courses SET title = 'Meaning'"))
    assert "Hope" in client.get("/courses/").get_data(as_text=True)
    clock[0] += 61
    assert "Meaning" in client.get("/courses/").get_data(as_text=True)


# --- conditional requests and what others may cache -----------------------------------------


def test_an_unchanged_prospectus_answers_304_without_being_built(
    page_cache_on: None, client: FlaskClient
) -> None:
    course = factories.make_published_course(title="Hope and recovery")
    db.session.commit()
    whole = client.get("/courses/")
    etag = whole.headers["ETag"]
    with recorded_statements() as statements:
        unchanged = client.get("/courses/", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.get_data() == b""
    assert unchanged.headers["ETag"] == etag
    assert len(statements) == 1  # the data version, nothing else
    rename(course, "Living with voices")
    changed = client.get("/courses/", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Living with voices" in changed.get_data(as_text=True)


def test_visitor_pages_may_be_cached_by_a_proxy_that_varies_by_cookie_and_language(
    page_cache_on: None, client: FlaskClient
) -> None:
    course = factories.make_published_course()
    db.session.commit()
    for path in ("/courses/", f"/courses/{course.slug}"):
        answer = client.get(path)
        assert answer.headers["Cache-Control"] == "public, max-age=60"
        assert {"Cookie", "Accept-Language"} <= set(answer.vary), path


def test_an_etag_of_one_language_does_not_answer_for_another(
    page_cache_on: None, client: FlaskClient
) -> None:
    english = client.get("/courses/", headers={"Accept-Language": "en"})
    danish = client.get(
        "/courses/", headers={"Accept-Language": "da", "If-None-Match": english.headers["ETag"]}
    )
    assert danish.status_code == 200
    assert '<html lang="da">' in danish.get_data(as_text=True)


def test_a_persons_page_is_private_and_never_stored(
    page_cache_on: None, app: Flask, client: FlaskClient
) -> None:
    mine = factories.make_published_course(title="Being a relative")
    me, them = factories.make_student(), factories.make_student()
    factories.make_enrolment(mine, me)
    db.session.commit()
    other = app.test_client()
    client.post("/auth/login", data={"email": me.email, "password": factories.PASSWORD})
    other.post("/auth/login", data={"email": them.email, "password": factories.PASSWORD})
    client.get("/me/courses")  # the welcome, not cached
    other.get("/me/courses")
    my_page = client.get("/me/courses")
    # About a person, and health-related: no browser or proxy stores it.
    assert my_page.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in my_page.headers
    # Even a conditional request gets the whole page, built for its reader.
    theirs = other.get("/me/courses", headers={"If-None-Match": "*"})
    assert theirs.status_code == 200
    assert "Being a relative" not in theirs.get_data(as_text=True)


def test_a_signed_in_person_gets_public_pages_uncached_and_private(
    page_cache_on: None, client: FlaskClient, auth: object
) -> None:
    auth.login(factories.make_student())  # type: ignore[attr-defined]
    answer = client.get("/courses/")
    assert answer.headers["Cache-Control"] == "no-store"
    assert "ETag" not in answer.headers


def test_my_own_sign_up_shows_at_once_while_others_may_wait_a_moment(
    page_cache_on: None, app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PAGE_CACHE_VERSION_SECONDS", 60)
    course = factories.make_published_course(title="Mindfulness", capacity=2)
    db.session.commit()
    signed_in_student(client)
    visitor = app.test_client()
    assert "2 places left" in visitor.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Mindfulness" not in client.get("/me/courses").get_data(as_text=True)
    # The process that handled the sign-up keeps the version it read, as others do, so a
    # run of sign-ups does not rebuild every page after each one.
    remembered = data_version._last_read
    assert client.post(f"/courses/{course.slug}/enrol").status_code in (302, 303)
    assert data_version._last_read == remembered
    assert "Mindfulness" in client.get("/me/courses").get_data(as_text=True)
    # Visitors may see the place taken once the version this process read is too old.
    assert "2 places left" in visitor.get(f"/courses/{course.slug}").get_data(as_text=True)
    monkeypatch.setitem(app.config, "PAGE_CACHE_VERSION_SECONDS", 0)
    assert "1 place left" in visitor.get(f"/courses/{course.slug}").get_data(as_text=True)
