"""Calendar feeds people subscribe to, and one-session "add to calendar" downloads.

- ``/calendar/college.ics``: every public session from 90 days back to 12 months ahead;
- ``/courses/<slug>/calendar.ics``: one course;
- ``/calendar/u/<token>.ics``: one person's own sessions, those they facilitate and those
  other packages add by answering ``personal_feed_requested`` (``college.signals``);
- ``/courses/<slug>/sessions/<id>.ics``: one session, for people who do not enrol.

Every feed is read with the same two queries (sessions, then their facilitators), however
many sessions there are. The ETag is a digest of exactly what those queries returned plus
the language and discretion the text is written in, so an unchanged feed answers 304
before any calendar text is built; and the text depends on nothing else, so two fetches
give identical bytes. Cancelled sessions stay for 30 days so subscribers see them go.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.http import is_resource_modified

from college import signals
from college.calendar import CalendarEvent, build_feed
from college.db import now_utc
from college.extensions import db
from college.languages import force_language
from college.models import Role, User
from college.page_cache import ANYONE, kept, no_language
from college.services import find_user_by_calendar_token
from college.signals import extension_points
from college.templating import NavItem, add_nav_item
from college.urls import absolute_url
from courses import facilitator_name, public_name
from courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    SessionFacilitator,
    SessionStatus,
    Venue,
)

bp = Blueprint("feeds", __name__)

FEED_PAST = timedelta(days=90)
FEED_FUTURE = timedelta(days=365)
CANCELLED_KEPT = timedelta(days=30)
# Subscribers come back every hour; a shared cache may answer for a quarter of that.
PUBLIC_CACHE = "public, max-age=900"
PRIVATE_CACHE = "private, max-age=900"
# Part of every ETag: change it when the text of events changes for the same data.
FEED_FORMAT = "feed-3"
# Subscribed feeds give each session a UID of its own, so that a person who keeps both
# a feed and the invitations sees two entries rather than two calendars fighting over one.
FEED_UID_PREFIX = "feed-"
MAX_SLUG_LENGTH = 80
SLUG_CHARS = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID = 2_147_483_647  # PostgreSQL's integer; larger ids cannot exist
SIGNED_IN = tuple(str(role) for role in Role)

# --- what a calendar says about one session -----------------------------------------------------


@dataclass(frozen=True)
class SessionFacts:
    """Everything a calendar entry shows about one session, read from rows or models."""

    session_id: int
    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    cancelled: bool
    created_at: datetime
    changed_at: datetime
    course_slug: str
    course_title: str
    course_summary: str
    venue_name: str | None
    venue_address: str | None
    online: bool
    meeting_link: str | None
    # (user id, display name, name as the public sees it: see ``courses.public_name``)
    facilitators: tuple[tuple[int, str, str], ...] = ()
    course_id: int = 0
    # A drop-in: nobody signs up, so the public entry says to just come.
    drop_in: bool = False


@dataclass(frozen=True)
class Viewer:
    """Whose calendar an entry is for: their discretion, and whether they teach it."""

    user_id: int
    discreet: bool
    # Taking part (teaching or enrolled): the entry may carry the meeting link.
    taking_part: bool = True


def facts_of(session: CourseSession) -> SessionFacts:
    """The facts of a loaded session (used for invitations)."""
    course, venue = session.course, session.venue
    return SessionFacts(
        session_id=session.id,
        uid=session.uid,
        sequence=session.sequence,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        cancelled=session.status == SessionStatus.CANCELLED,
        created_at=session.created_at,
        changed_at=max(session.updated_at, course.updated_at),
        course_slug=course.slug,
        course_title=course.title,
        course_summary=course.summary,
        venue_name=venue.name if venue else None,
        venue_address=venue.address if venue else None,
        online=bool(venue and venue.is_online),
        meeting_link=venue.meeting_link if venue else None,
        facilitators=tuple(
            (f.user_id, f.user.display_name, facilitator_name(f)) for f in session.facilitators
        ),
        course_id=session.course_id,
        drop_in=session.is_drop_in,
    )


def neutral_title() -> str:
    return _("Course session — %(college)s", college=current_app.config["COLLEGE_NAME"])


def entry_title(facts: SessionFacts, viewer: Viewer | None) -> str:
    """The course title, or the neutral one for a discreet person."""
    return neutral_title() if viewer is not None and viewer.discreet else facts.course_title


def details_link(facts: SessionFacts, viewer: Viewer | None) -> str:
    """Where the full details are; for a discreet person an address that names no course."""
    if viewer is not None and viewer.discreet:
        # The course's number, the same for each of its sessions, so that a weekly
        # invitation's weeks show one link and need no override each.
        return absolute_url("feeds.course_details", course_id=facts.course_id)
    return absolute_url("courses.detail", slug=facts.course_slug)


def entry_location(facts: SessionFacts, viewer: Viewer | None) -> str:
    if facts.online:
        return _("Online")
    if viewer is not None and viewer.discreet:
        # A venue's name may say what the place is; its street address does not.
        return facts.venue_address or ""
    return ", ".join(part for part in (facts.venue_name, facts.venue_address) if part)


def entry_description(facts: SessionFacts, viewer: Viewer | None) -> str:
    lines = []
    if viewer is None or not viewer.discreet:
        lines.append(facts.course_summary)
    if facts.drop_in:
        lines.append(_("Drop-in: just come — you don't need to sign up."))
    me = viewer.user_id if viewer is not None else None
    teaches = any(uid == me for uid, _name, _public in facts.facilitators)
    if teaches:
        # Colleagues teaching together always know each other's names.
        names = [name for uid, name, _public in facts.facilitators if uid != me]
        if names:
            lines.append(_("You teach this session with %(names)s.", names=", ".join(names)))
    elif facts.facilitators:
        names = [public for _uid, _name, public in facts.facilitators]
        lines.append(_("Teachers: %(names)s", names=", ".join(names)))
    # The meeting link is for the people taking part, never for a public feed.
    if viewer is not None and viewer.taking_part and facts.online and facts.meeting_link:
        lines.append(_("Join online: %(link)s", link=facts.meeting_link))
    lines.append(_("Details: %(link)s", link=details_link(facts, viewer)))
    return "\n\n".join(line for line in lines if line)


def calendar_event(facts: SessionFacts, viewer: Viewer | None = None) -> CalendarEvent:
    """The calendar entry for one session, as the viewer (None: the public) may see it."""
    title = entry_title(facts, viewer)
    if facts.cancelled:
        title = _("Cancelled: %(title)s", title=title)
    return CalendarEvent(
        uid=facts.uid,
        sequence=facts.sequence,
        starts_at=facts.starts_at,
        ends_at=facts.ends_at,
        summary=title,
        changed_at=facts.changed_at,
        description=entry_description(facts, viewer),
        location=entry_location(facts, viewer),
        url=details_link(facts, viewer),
        cancelled=facts.cancelled,
        created_at=facts.created_at,
        private=viewer is not None and viewer.discreet,
    )


# --- reading sessions in two queries --------------------------------------------------------------


SESSION_COLUMNS = (
    CourseSession.id,
    CourseSession.course_id,
    CourseSession.uid,
    CourseSession.sequence,
    CourseSession.starts_at,
    CourseSession.ends_at,
    CourseSession.status,
    CourseSession.created_at,
    CourseSession.updated_at,
    Course.updated_at.label("course_updated_at"),
    Course.slug,
    Course.title,
    Course.summary,
    Course.drop_in,
    CourseSession.drop_in.label("session_drop_in"),
    Venue.name.label("venue_name"),
    Venue.address,
    Venue.is_online,
    Venue.meeting_link,
)


def shown_sessions(*conditions: Any) -> sa.Select:  # type: ignore[type-arg]
    """Sessions of public courses; a cancelled one only for 30 days after it was cancelled."""
    return (
        sa.select(*SESSION_COLUMNS)
        .join(Course, CourseSession.course_id == Course.id)
        .outerjoin(Venue, CourseSession.venue_id == Venue.id)
        .where(
            Course.status != CourseStatus.DRAFT,
            sa.or_(
                CourseSession.status == SessionStatus.SCHEDULED,
                CourseSession.updated_at >= now_utc() - CANCELLED_KEPT,
            ),
            *conditions,
        )
        .order_by(CourseSession.starts_at, CourseSession.id)
    )


def in_window() -> list[Any]:
    now = now_utc()
    return [
        CourseSession.starts_at >= now - FEED_PAST,
        CourseSession.starts_at <= now + FEED_FUTURE,
    ]


def facts_from_row(row: Any, people: dict[int, list[tuple[int, str, str]]]) -> SessionFacts:
    """A session's facts from a row of ``SESSION_COLUMNS`` and its facilitators by session."""
    return SessionFacts(
        session_id=row.id,
        uid=row.uid,
        sequence=row.sequence,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        cancelled=row.status == SessionStatus.CANCELLED,
        created_at=row.created_at,
        changed_at=max(row.updated_at, row.course_updated_at),
        course_slug=row.slug,
        course_title=row.title,
        course_summary=row.summary,
        venue_name=row.venue_name,
        venue_address=row.address,
        online=bool(row.is_online),
        meeting_link=row.meeting_link,
        facilitators=tuple(people.get(row.id, ())),
        course_id=row.course_id,
        drop_in=bool(row.drop_in or row.session_drop_in),
    )


def read_facts(statement: sa.Select[Any]) -> list[SessionFacts]:
    rows = db.session.execute(statement).all()
    # The facilitators of exactly those sessions, selected by the same query in SQL: a list
    # of 500 ids as bound parameters costs more to send than the rows it finds.
    ids = statement.with_only_columns(CourseSession.id).order_by(None)
    people = facilitators_of(ids) if rows else {}
    return [facts_from_row(row, people) for row in rows]


def facilitators_of(
    session_ids: Sequence[int] | sa.Select[Any],
) -> dict[int, list[tuple[int, str, str]]]:
    found: dict[int, list[tuple[int, str, str]]] = {}
    if isinstance(session_ids, Sequence) and not session_ids:
        return found
    rows = db.session.execute(
        sa.select(
            SessionFacilitator.session_id,
            User.id,
            User.display_name,
            User.public_visibility,
            SessionFacilitator.role,
        )
        .join(User, SessionFacilitator.user_id == User.id)
        .where(SessionFacilitator.session_id.in_(session_ids))
        .order_by(SessionFacilitator.session_id, SessionFacilitator.role, SessionFacilitator.id)
    )
    for session_id, user_id, name, visibility, role in rows:
        found.setdefault(session_id, []).append(
            (user_id, name, public_name(name, visibility, role))
        )
    return found


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
# the ETag names exactly what was built, so each process keeps recent bodies by ETag and
# every subscriber of an unchanged feed gets them without a rebuild. Only a cache: any
# process can rebuild the same bytes.
_bodies: OrderedDict[str, bytes] = OrderedDict()
_bodies_lock = threading.Lock()
MAX_CACHED_BYTES = 32 * 1024 * 1024


def cached_body(etag: str, build: Callable[[], bytes]) -> bytes:
    with _bodies_lock:
        body = _bodies.get(etag)
        if body is not None:
            _bodies.move_to_end(etag)
            return body
    body = build()
    with _bodies_lock:
        _bodies[etag] = body
        while sum(len(b) for b in _bodies.values()) > MAX_CACHED_BYTES and len(_bodies) > 1:
            _bodies.popitem(last=False)
    return body


def clear_feed_cache() -> None:
    with _bodies_lock:
        _bodies.clear()


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
@kept(ANYONE, language=public_language)
def college_feed() -> Response:
    """Subscribe to every public session of the college."""
    language = public_language()
    with force_language(language):
        name = str(current_app.config["COLLEGE_NAME"])
    feed = Feed(
        name, read_facts(shown_sessions(*in_window())), None, language, False, "college.ics"
    )
    return feed_response(feed)


@bp.get("/courses/<slug>/calendar.ics")
@kept(ANYONE, language=public_language)
def course_feed(slug: str) -> Response:
    """Subscribe to the sessions of one course."""
    course = public_course(slug)
    language = public_language()
    name = f"{course.title} — {current_app.config['COLLEGE_NAME']}"
    facts = read_facts(shown_sessions(CourseSession.course_id == course.id))
    return feed_response(Feed(name, facts, None, language, False, f"{course.slug}.ics"))


@bp.get("/calendar/u/<token>.ics")
@kept(ANYONE, language=no_language)
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
