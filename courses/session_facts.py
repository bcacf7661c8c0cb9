"""What a calendar entry says about a session, read for many sessions in two queries.

Feeds and invitations both build their entries from ``SessionFacts``: one frozen record of
everything an entry shows, read from rows (feeds, many sessions at once) or from a loaded
session (invitations). ``calendar_event`` turns the facts into an entry as the viewer may
see it: a discreet person's entry names no course, and only people taking part see the
meeting link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from college.calendar import CalendarEvent
from college.db import now_utc
from college.extensions import db
from college.models import User
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

CANCELLED_KEPT = timedelta(days=30)

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


def read_facts(statement: sa.Select[Any], limit: int | None = None) -> list[SessionFacts]:
    """The facts of the sessions ``statement`` selects (the first ``limit`` of them)."""
    if limit is not None:
        statement = statement.limit(limit)
    rows = db.session.execute(statement).all()
    # The facilitators of exactly those sessions, selected by the same query in SQL: a list
    # of 500 ids as bound parameters costs more to send than the rows it finds. A limited
    # query keeps its order, so that it names the same sessions.
    ids = statement.with_only_columns(CourseSession.id)
    if limit is None:
        ids = ids.order_by(None)
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
