"""Calendar feeds people subscribe to, and one-session "add to calendar" downloads.

- ``/calendar/college.ics``: the college's public sessions of the coming 90 days (and the
  past week), at most 500; ``?topic=`` and ``?venue=`` narrow it to one topic or place, as
  the prospectus's filters do, and the prospectus links to the feed of its chosen filters;
- ``/courses/<slug>/calendar.ics``: one course;
- ``/calendar/u/<token>.ics``: one person's own sessions, those they facilitate and those
  other packages add by answering ``personal_feed_requested`` (``college.signals``);
- ``/courses/<slug>/sessions/<id>.ics``: one session, for people who do not enrol.

Every feed is read with the same two queries (sessions, then their facilitators), however
many sessions there are. When it is not served from the page cache, the ETag is a digest of
exactly what those queries returned plus the language and discretion the text is written
in, so an unchanged feed answers 304 before any calendar text is built; and the text
depends on nothing else, so two fetches give identical bytes. Cancelled sessions stay for
30 days so subscribers see them go.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.http import is_resource_modified

from college import signals
from college.calendar import build_feed
from college.db import now_utc
from college.extensions import cache, db
from college.languages import force_language
from college.models import Role, User
from college.page_cache import ANYONE, cached_response, no_language
from college.services import find_user_by_calendar_token
from college.signals import extension_points
from college.templating import NavItem, add_nav_item
from courses import prospectus
from courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    SessionFacilitator,
    Topic,
    Venue,
)
from courses.session_facts import SessionFacts, Viewer, calendar_event, read_facts, shown_sessions

bp = Blueprint("feeds", __name__)

FEED_PAST = timedelta(days=90)
FEED_FUTURE = timedelta(days=365)
# The college's feed: what a subscriber can use, the same size however large the college.
COLLEGE_FEED_PAST = timedelta(days=7)
COLLEGE_FEED_COMING = timedelta(days=90)
COLLEGE_FEED_MAX_SESSIONS = 500
# Subscribers come back every hour; a shared cache may answer for a quarter of that.
PUBLIC_CACHE = "public, max-age=900"
PRIVATE_CACHE = "private, max-age=900"
# A feed changes with the data (the version) and, as its window moves, with the clock.
FEED_FRESH_FOR = 3600
# Part of every ETag: change it when the text of events changes for the same data.
FEED_FORMAT = "feed-3"
# Subscribed feeds give each session a UID of its own, so that a person who keeps both
# a feed and the invitations sees two entries rather than two calendars fighting over one.
FEED_UID_PREFIX = "feed-"
MAX_SLUG_LENGTH = 80
SLUG_CHARS = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID = 2_147_483_647  # PostgreSQL's integer; larger ids cannot exist
SIGNED_IN = tuple(str(role) for role in Role)
# Filters of the prospectus that the college feed follows.
FEED_FILTERS = ("topic", "venue")

# --- the sessions of a feed ----------------------------------------------------------------------


def in_window() -> list[Any]:
    now = now_utc()
    return [
        CourseSession.starts_at >= now - FEED_PAST,
        CourseSession.starts_at <= now + FEED_FUTURE,
    ]


def coming_window() -> list[Any]:
    now = now_utc()
    return [
        CourseSession.starts_at >= now - COLLEGE_FEED_PAST,
        CourseSession.starts_at <= now + COLLEGE_FEED_COMING,
    ]


@dataclass(frozen=True)
class FeedFilters:
    """The topic and place a college feed is narrowed to (None: all)."""

    topic: Topic | None = None
    venue: Venue | None = None

    def conditions(self) -> list[Any]:
        found: list[Any] = []
        if self.topic is not None:
            found.append(Course.topic == self.topic)
        if self.venue is not None:
            found.append(CourseSession.venue_id == self.venue.id)
        return found

    def name(self, college: str) -> str:
        parts = [college]
        if self.topic is not None:
            parts.append(str(Topic.label_of(self.topic)))
        if self.venue is not None:
            parts.append(self.venue.name)
        return " — ".join(parts)


class UnusableFilter(ValueError):
    """A feed filter that cannot be used; the message says why."""


def read_feed_filters(args: MultiDict[str, str]) -> FeedFilters:
    """The topic and place asked for, as the prospectus reads them; raises ``UnusableFilter``."""
    given = MultiDict([(name, value) for name in FEED_FILTERS for value in args.getlist(name)])
    parsed = prospectus.parse_filters(given, strict=True)
    if parsed.problems:
        raise UnusableFilter(" ".join(problem.message for problem in parsed.problems))
    venue = None
    if parsed.filters.venue is not None:
        venue = db.session.get(Venue, parsed.filters.venue)
        if venue is None:
            raise UnusableFilter(_("We know no place with that number."))
    return FeedFilters(parsed.filters.topic, venue)


def feed_link_args(filters: prospectus.Filters) -> dict[str, str]:
    """The prospectus's chosen filters that the college feed follows, as query arguments."""
    return {k: v for k, v in filters.link_args().items() if k in FEED_FILTERS}


def personal_session_ids(user: User) -> sa.CompoundSelect[Any]:
    facilitated = sa.select(SessionFacilitator.session_id).where(
        SessionFacilitator.user_id == user.id
    )
    # Facilitated sessions are always theirs; other packages (enrolment) answer with theirs.
    theirs = signals.personal_feed_requested.send(signals.sender(), user=user)
    return sa.union(facilitated, *(select for _receiver, select in theirs))


# --- answering with a feed -----------------------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    name: str
    facts: list[SessionFacts]
    viewer: Viewer | None
    language: str
    private: bool
    filename: str
    vary: str | None = "Accept-Language"


def feed_etag(feed: Feed) -> str:
    """A strong ETag from everything the text depends on.

    Feeds carry no Last-Modified: the newest change among the sessions shown can go
    backwards (a withdrawal removes the newest one), and a client that revalidated by
    date alone would then keep entries that are gone. The ETag changes with any change.
    """
    digest = hashlib.sha256()
    parts: Iterable[object] = (
        FEED_FORMAT,
        feed.name,
        feed.language,
        feed.viewer,
        current_app.config["COLLEGE_BASE_URL"],
        current_app.config["COLLEGE_NAME"],
        current_app.config["COLLEGE_TIMEZONE"],
        *feed.facts,
    )
    for part in parts:
        digest.update(repr(part).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def feed_response(feed: Feed) -> Response:
    """Answer 304 when the client has this version, else build the calendar text."""
    etag = feed_etag(feed)
    headers = {"Cache-Control": PRIVATE_CACHE if feed.private else PUBLIC_CACHE}
    if feed.vary:
        headers["Vary"] = feed.vary
    if feed.private:
        headers["X-Robots-Tag"] = "noindex, nofollow"
    if not is_resource_modified(request.environ, etag=etag):
        response = Response(status=304, headers=headers)
    else:
        body = cached_body(etag, lambda: render(feed))
        response = Response(body, mimetype="text/calendar", headers=headers)
        response.headers["Content-Type"] = "text/calendar; charset=utf-8"
        response.headers["Content-Disposition"] = f'inline; filename="{feed.filename}"'
    response.set_etag(etag)
    return response


def feed_uid(uid: str) -> str:
    """The UID a session's entry has in subscribed feeds; never one an invitation carries."""
    return FEED_UID_PREFIX + uid


def render(feed: Feed) -> bytes:
    with force_language(feed.language):
        events = [calendar_event(facts, feed.viewer) for facts in feed.facts]
        if feed.name:
            # A subscription; a single download (no name) keeps the invitation's UID, so
            # that an invitation received later updates the entry rather than doubling it.
            events = [replace(event, uid=feed_uid(event.uid)) for event in events]
        return build_feed(events, name=feed.name, zone_name=current_app.config["COLLEGE_TIMEZONE"])


# Building the text is the slow part (the library takes a few milliseconds per event), and
# the ETag names exactly what was built, so bodies are cached by ETag: every subscriber of an
# unchanged feed gets them without a rebuild, even after a change elsewhere in the college.
def cached_body(etag: str, build: Callable[[], bytes]) -> bytes:
    key = f"feed-body:{etag}"
    body: bytes | None = cache.get(key)
    if body is None:
        body = build()
        cache.set(key, body, timeout=FEED_FRESH_FOR)
    return body


def clear_feed_cache() -> None:
    cache.clear()


def public_language() -> str:
    """Public feeds follow the client's Accept-Language only, never a cookie."""
    languages = current_app.config["LANGUAGES"]
    return request.accept_languages.best_match(languages) or str(
        current_app.config["COLLEGE_DEFAULT_LANGUAGE"]
    )


def public_course(slug: str) -> Course:
    if len(slug) > MAX_SLUG_LENGTH or not SLUG_CHARS.fullmatch(slug):
        abort(404)
    course = db.session.scalar(
        sa.select(Course).where(Course.slug == slug, Course.status != CourseStatus.DRAFT)
    )
    if course is None:
        abort(404)
    return course


@bp.get("/calendar/college.ics")
@cached_response(ANYONE, public_language, PUBLIC_CACHE, "Accept-Language", FEED_FRESH_FOR)
def college_feed() -> Response:
    """Subscribe to the college's coming sessions, of one topic or place if chosen."""
    try:
        filters = read_feed_filters(request.args)
    except UnusableFilter as problem:
        return Response(str(problem), status=400, mimetype="text/plain")
    language = public_language()
    with force_language(language):
        name = filters.name(str(current_app.config["COLLEGE_NAME"]))
    sessions = shown_sessions(*coming_window(), *filters.conditions())
    facts = read_facts(sessions, limit=COLLEGE_FEED_MAX_SESSIONS)
    return feed_response(Feed(name, facts, None, language, False, "college.ics"))


@bp.get("/courses/<slug>/calendar.ics")
@cached_response(ANYONE, public_language, PUBLIC_CACHE, "Accept-Language", FEED_FRESH_FOR)
def course_feed(slug: str) -> Response:
    """Subscribe to the sessions of one course."""
    course = public_course(slug)
    language = public_language()
    name = f"{course.title} — {current_app.config['COLLEGE_NAME']}"
    facts = read_facts(shown_sessions(CourseSession.course_id == course.id))
    return feed_response(Feed(name, facts, None, language, False, f"{course.slug}.ics"))


@bp.get("/calendar/u/<token>.ics")
@cached_response(ANYONE, no_language, PRIVATE_CACHE, fresh_for=FEED_FRESH_FOR)
def personal_feed(token: str) -> Response:
    """Subscribe to my own sessions: the ones I teach and the ones I take part in."""
    user = find_user_by_calendar_token(token)
    if user is None:
        abort(404)
    with force_language(user.language):
        name = _("My sessions — %(college)s", college=current_app.config["COLLEGE_NAME"])
    facts = read_facts(
        shown_sessions(CourseSession.id.in_(personal_session_ids(user)), *in_window())
    )
    viewer = Viewer(user.id, user.discreet)
    feed = Feed(name, facts, viewer, user.language, True, "my-sessions.ics", vary=None)
    return feed_response(feed)


@bp.get("/courses/<slug>/sessions/<int:session_id>.ics")
def session_download(slug: str, session_id: int) -> Response:
    """Download one session to add it to a calendar, without enrolling."""
    course = public_course(slug)
    if session_id > MAX_ID:
        abort(404)
    facts = read_facts(
        shown_sessions(CourseSession.course_id == course.id, CourseSession.id == session_id)
    )
    if not facts:
        abort(404)
    viewer = None
    language = public_language()
    if current_user.is_authenticated and current_user.discreet:
        # Shown as the public sees it, but with the neutral title the person chose.
        viewer = Viewer(current_user.id, True, taking_part=False)
        language = current_user.language
    # No calendar name: a single entry is imported, not subscribed to.
    feed = Feed("", facts, viewer, language, True, "", vary="Cookie, Accept-Language")
    response = feed_response(feed)
    if response.status_code == 200:
        response.headers["Content-Disposition"] = (
            f'attachment; filename="session-{facts[0].session_id}.ics"'
        )
    return response


@bp.get("/calendar/sessions/<int:session_id>")
def session_details(session_id: int) -> Any:
    """Lead from a discreet calendar entry to the course page, naming no course in the link."""
    if session_id > MAX_ID:
        abort(404)
    slug = db.session.scalar(
        sa.select(Course.slug)
        .join(CourseSession, CourseSession.course_id == Course.id)
        .where(CourseSession.id == session_id, Course.status != CourseStatus.DRAFT)
    )
    if slug is None:
        abort(404)
    return redirect(url_for("courses.detail", slug=slug, _anchor="sessions-title"))


@bp.get("/calendar/courses/<int:course_id>")
def course_details(course_id: int) -> Any:
    """Lead from a discreet calendar entry to the course page, naming no course in the link."""
    if course_id > MAX_ID:
        abort(404)
    slug = db.session.scalar(
        sa.select(Course.slug).where(Course.id == course_id, Course.status != CourseStatus.DRAFT)
    )
    if slug is None:
        abort(404)
    return redirect(url_for("courses.detail", slug=slug, _anchor="sessions-title"))


def init_app(app: Flask) -> None:
    """Serve the feeds, and name the personal one for the core's Calendar page."""
    app.register_blueprint(bp)
    extension_points(app).personal_feed_endpoint = "feeds.personal_feed"
    add_nav_item(app, "main", NavItem("me.calendar", _l("Calendar"), SIGNED_IN))
