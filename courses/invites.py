"""Calendar invitations by email (iTIP over iMIP): what an entry shows is what was last sent.

The rule: for every person and every upcoming session they take part in, the last
invitation the college sent them shows the event it would send now. Nothing here lists the
changes that matter. Each round of the mail worker (``reconcile``) renders, for every
upcoming session and every person who takes part in it (``invitees``), the event exactly as
that person's calendar would show it (title or neutral title, times, place, link, teachers,
description, in their language), and compares a digest of it with the digest stored when it
was last sent to them (``CalendarEntry``). Only where the two differ is a message written,
and only to that person: a renamed course, a venue's new meeting link, a replaced teacher,
a person turning discreet mode on — and any field added to the event later — reach exactly
the people whose entry changes, because the comparison is of what the entry shows.

Why in the mail worker's round, and not at the end of each writing transaction: the round
needs no list of the writes that may change an event (an edit of a venue, a rename, a
person's settings, cover), so none can be forgotten; changes made together, in one form or
in several quick requests, are sent together; and nothing is added to the requests
themselves, among them a sign-up holding its course's row. The price is a few seconds'
delay, which mail has anyway. One worker reconciles at a time (a transaction-level
advisory lock on PostgreSQL), so two workers never send the same update.

What is sent, per person and course:

- a course whose sessions follow a weekly pattern is ONE invitation: a weekly RRULE in the
  college's zone with EXDATE for the weeks without a session, and an override (RECURRENCE-ID)
  for a session that moved or shows something else (another teacher). Other courses get one
  invitation per session, under the session's own UID;
- a change sends the whole invitation again (REQUEST, SEQUENCE + 1, which every client
  applies), saying in its text what changed, old and new; a single week of a series that
  is cancelled, or that the person no longer takes part in, when nothing else changed, is
  a CANCEL of that week alone; an invitation the person no longer holds at all is a CANCEL
  of its UID. A cancelled session and one the person was removed from are worded apart;
- a mail about a place (the confirmation of a place, a withdrawal) still waiting to be
  written carries the invitation itself, so enrolling in a weekly course is one mail.

The SEQUENCE is kept per person and course: every message a person receives about a course
carries a higher number than the one before, whatever it changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from college.calendar import CalendarEvent, Mailbox, Method, build_invite
from college.db import now_utc
from college.extensions import db
from college.languages import force_language
from college.models import OutboxMessage, OutboxStatus, User
from college.outbox import (
    Rendered,
    enqueue,
    enqueue_described,
    register_mail_preparer,
    register_renderer,
    render_email,
)
from college.page_cache import READ_VERSION
from college.templating import format_clock, format_when
from college.urls import absolute_url
from courses.feeds import (
    SESSION_COLUMNS,
    SessionFacts,
    Viewer,
    calendar_event,
    details_link,
    facilitators_of,
    facts_from_row,
    facts_of,
    neutral_title,
)
from courses.models import (
    CalendarEntry,
    Course,
    CourseSession,
    CourseStatus,
    SessionStatus,
    Venue,
)

log = logging.getLogger(__name__)

# The fields of an entry that a person sees; the digest is taken of them, and a "changed"
# mail names those that differ.
SHOWN_FIELDS = ("when", "summary", "location", "description", "url")
FIELD_LABELS = {
    "when": _l("When"),
    "summary": _l("Title"),
    "location": _l("Where"),
    "description": _l("Details"),
    "url": _l("Web page"),
}
SUBJECTS = {
    "new": _l("Invitation: %(title)s, %(when)s"),
    "new_series": _l("Invitation: %(title)s, %(count)s sessions from %(when)s"),
    "changed": _l("Changed: %(title)s, %(when)s"),
    "cancelled": _l("Cancelled: %(title)s, %(when)s"),
    "removed": _l("Removed from this session: %(title)s, %(when)s"),
    "removed_series": _l("Removed from these sessions: %(title)s"),
    # The person follows the sessions in the feed now: they still take part.
    "taken_out": _l("No longer in your calendar: %(title)s"),
}
# Mails about a place that carry the person's invitation when they are still to be written.
NOTICE_RENDERER = "courses.enrolment_notice"
CARRYING_NOTICES = frozenset({"enrolled", "promoted", "withdrawn", "course_cancelled"})
# Any constant will do: one worker reconciles at a time.
RECONCILE_LOCK = 260_026
# The data version this process last reconciled at.
RECONCILED_AT = "courses.invites.reconciled_at"


# A package whose pages let teachers say they cannot come names its endpoint here.
TEACHING_PAGE_ENDPOINT = "courses.teaching_page_endpoint"


def answer_page(teaches: bool) -> str:
    """Where a person tells the college they cannot come: their schedule, or My courses."""
    endpoint = current_app.extensions.get(TEACHING_PAGE_ENDPOINT) if teaches else None
    return absolute_url(endpoint or "enrolment.my_courses")


def not_by_reply(page: str) -> str:
    """The invitation's word that a calendar app's answer reaches nobody."""
    return _(
        "Answering this invitation in your calendar app does not tell us anything. "
        "If you cannot come, tell us here: %(link)s",
        link=page,
    )


# --- who takes part -------------------------------------------------------------------------------


def invitees(sessions: Iterable[Occurrence]) -> dict[int, set[int]]:
    """Who holds an entry for each session (by id): its teachers and the students with a place.

    The one place that decides who receives invitations.
    """
    from courses.enrolment.models import Enrolment, EnrolmentStatus

    held: dict[int, set[int]] = {}
    by_course: dict[int, list[Occurrence]] = defaultdict(list)
    for occurrence in sessions:
        if not occurrence.takes_place:
            continue
        held[occurrence.facts.session_id] = {uid for uid, _n, _p in occurrence.facts.facilitators}
        by_course[occurrence.course_id].append(occurrence)
    if by_course:
        places = db.session.execute(
            sa.select(Enrolment.course_id, Enrolment.student_id).where(
                Enrolment.course_id.in_(sorted(by_course)),
                Enrolment.status == EnrolmentStatus.ENROLLED,
                Enrolment.student_id.is_not(None),
            )
        )
        for course_id, student_id in places:
            for occurrence in by_course[course_id]:
                if student_id is not None:
                    held[occurrence.facts.session_id].add(student_id)
    return held


# --- what the college would send now --------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One session of a course with an entry in someone's calendar, as read for a round."""

    facts: SessionFacts
    course_id: int
    course_live: bool

    @property
    def takes_place(self) -> bool:
        return self.course_live and not self.facts.cancelled


def _upcoming_courses(now: datetime) -> sa.CompoundSelect[Any]:
    """Courses with a session ahead that is published, or that someone still holds."""
    live = sa.select(CourseSession.course_id).where(
        CourseSession.ends_at > now,
        CourseSession.status == SessionStatus.SCHEDULED,
        CourseSession.course_id.in_(
            sa.select(Course.id).where(Course.status == CourseStatus.PUBLISHED)
        ),
    )
    held = (
        sa.select(CourseSession.course_id)
        .join(CalendarEntry, CalendarEntry.session_id == CourseSession.id)
        .where(CourseSession.ends_at > now, CalendarEntry.digest.is_not(None))
    )
    return sa.union(live, held)


def read_occurrences(now: datetime) -> list[Occurrence]:
    """Every session ahead of the courses concerned, in two queries (as feeds read them)."""
    statement = (
        sa.select(*SESSION_COLUMNS, Course.status.label("course_status"))
        .join(Course, CourseSession.course_id == Course.id)
        .outerjoin(Venue, CourseSession.venue_id == Venue.id)
        .where(CourseSession.ends_at > now, CourseSession.course_id.in_(_upcoming_courses(now)))
        .order_by(CourseSession.starts_at, CourseSession.id)
    )
    rows = db.session.execute(statement).all()
    people = facilitators_of([row.id for row in rows]) if rows else {}
    return [
        Occurrence(
            facts_from_row(row, people),
            row.course_id,
            row.course_status == CourseStatus.PUBLISHED,
        )
        for row in rows
    ]


def shown_of(event: CalendarEvent) -> dict[str, str]:
    """The fields of an entry as the person sees them (times as instants)."""
    return {
        "when": f"{event.starts_at.isoformat()}/{event.ends_at.isoformat()}",
        "summary": event.summary,
        "location": event.location,
        "description": event.description,
        "url": event.url,
    }


def digest_of(uid: str, shown: dict[str, str]) -> str:
    text = json.dumps({"uid": uid, **{name: shown[name] for name in SHOWN_FIELDS}}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Renderings:
    """Events rendered in one round, shared between people who see the same entry.

    By (session, language, discretion, the teacher who reads it): every student of a
    session with the same language and choice sees the same entry. Digests by (UID, the
    rendering's ``shown``), which lives as long as the round.
    """

    events: dict[tuple[int, str, bool, int | None], tuple[CalendarEvent, dict[str, str]]] = field(
        default_factory=dict
    )
    digests: dict[tuple[str, int], str] = field(default_factory=dict)

    def event(
        self, facts: SessionFacts, person: User, viewer: Viewer
    ) -> tuple[CalendarEvent, dict[str, str]]:
        """The event as this person's calendar shows it (called in the person's locale)."""
        teaches = any(uid == person.id for uid, _n, _p in facts.facilitators)
        key = (facts.session_id, person.language, person.discreet, person.id if teaches else None)
        found = self.events.get(key)
        if found is None:
            event = calendar_event(facts, viewer)
            found = self.events[key] = (event, shown_of(event))
        return found

    def digest(self, uid: str, shown: dict[str, str]) -> str:
        key = (uid, id(shown))
        if key not in self.digests:
            self.digests[key] = digest_of(uid, shown)
        return self.digests[key]


# --- weekly series --------------------------------------------------------------------------------


@dataclass
class Plan:
    """How a person's sessions of one course go out: one weekly series, or one by one."""

    uid: str | None  # the series' UID; None: each session under its own
    anchor: datetime | None = None  # the first week's start (DTSTART)
    duration: timedelta | None = None
    weeks: dict[int, int] = field(default_factory=dict)  # session id -> week number
    count: int = 0

    def week_start(self, week: int, zone: ZoneInfo) -> datetime:
        """A week's start: the same wall-clock time in the college's zone, across DST."""
        assert self.anchor is not None  # noqa: S101 - only series have weeks
        local = self.anchor.astimezone(zone)
        wall = local.replace(tzinfo=None) + timedelta(weeks=week)
        return wall.replace(tzinfo=zone).astimezone(self.anchor.tzinfo)


def series_uid(course_id: int) -> str:
    return f"course-{course_id}-weekly@{current_app.config['COLLEGE_DOMAIN']}"


def plan_for(
    course_id: int, sessions: list[SessionFacts], zone: ZoneInfo, holds_series: bool
) -> Plan:
    """A weekly series when most sessions share a weekday, time and length, one per week.

    ``holds_series``: the person holds the series already, so it stays a series while it fits at
    all (a course's last session alone is not re-sent under another UID).
    """
    if not sessions:
        return Plan(None)

    def pattern(facts: SessionFacts) -> tuple[int, Any, timedelta]:
        local = facts.starts_at.astimezone(zone)
        return local.weekday(), local.time(), facts.ends_at - facts.starts_at

    common, matching = Counter(pattern(f) for f in sessions).most_common(1)[0]
    if not holds_series and (matching < 2 or matching * 2 < len(sessions)):
        return Plan(None)
    first = next(f for f in sessions if pattern(f) == common)
    first_day = first.starts_at.astimezone(zone).date()
    offsets = {
        f.session_id: ((f.starts_at.astimezone(zone).date() - first_day).days + 3) // 7
        for f in sessions
    }
    if len(set(offsets.values())) != len(offsets):
        return Plan(None)  # two sessions in one week: not a weekly pattern
    earliest = min(offsets.values())
    plan = Plan(series_uid(course_id), first.starts_at, common[2])
    plan.anchor = plan.week_start(earliest, zone)
    plan.weeks = {session_id: week - earliest for session_id, week in offsets.items()}
    plan.count = max(plan.weeks.values()) + 1
    return plan


# --- one person's invitations for one course ------------------------------------------------------


@dataclass
class Outgoing:
    """One iTIP message to write: a REQUEST or CANCEL under one UID."""

    method: Method
    uid: str
    occasion: str
    events: list[CalendarEvent]  # the first is the master (or the only event)
    sessions: list[SessionFacts]  # the sessions it is about, in time order
    changes: list[tuple[SessionFacts, list[tuple[str, str, str]]]] = field(default_factory=list)
    taken_out: bool = False  # the person chose the feed instead
    entries: dict[int, tuple[str, str | None, dict[str, str] | None]] = field(default_factory=dict)


@dataclass
class Wanted:
    facts: SessionFacts
    event: CalendarEvent
    shown: dict[str, str]


def _when_text(start: datetime, end: datetime) -> str:
    return f"{format_when(start)}–{format_clock(end)}"


def _readable(name: str, value: str) -> str:
    if name == "when":
        start, end = (datetime.fromisoformat(part) for part in value.split("/"))
        return _when_text(start, end)
    return value


def _changes(
    before: dict[str, str] | None, after: dict[str, str], discreet: bool
) -> list[tuple[str, str, str]]:
    """(label, old, new) for each field the person sees that differs.

    For a discreet person only the time: what their entry showed before may name the course
    (they may have just turned discreet mode on), and the mail must not.
    """
    if not before:
        return []
    names = ("when",) if discreet else SHOWN_FIELDS
    return [
        (
            str(FIELD_LABELS[name]),
            _readable(name, before.get(name, "")),
            _readable(name, after[name]),
        )
        for name in names
        if before.get(name, "") != after[name]
    ]


def _content(event: CalendarEvent) -> tuple[str, str, str, str]:
    return event.summary, event.description, event.location, event.url


def _series_events(plan: Plan, wanted: list[Wanted], zone: ZoneInfo) -> list[CalendarEvent]:
    """The master of a weekly series and its overrides, from the sessions it holds."""
    assert plan.uid is not None and plan.duration is not None  # noqa: S101
    by_week = {plan.weeks[w.facts.session_id]: w for w in wanted}
    on_rule = [
        w
        for week, w in sorted(by_week.items())
        if w.facts.starts_at == plan.week_start(week, zone)
        and w.facts.ends_at - w.facts.starts_at == plan.duration
    ]
    # The master shows what most weeks show; the weeks that differ are its overrides.
    common = Counter(_content(w.event) for w in on_rule).most_common(1)
    model = next((w.event for w in on_rule if _content(w.event) == common[0][0]), None)
    if model is None:
        model = wanted[0].event
    start = plan.week_start(0, zone)
    master = replace(
        model,
        uid=plan.uid,
        starts_at=start,
        ends_at=start + plan.duration,
        weekly_count=plan.count,
        excluded=tuple(plan.week_start(k, zone) for k in range(plan.count) if k not in by_week),
        changed_at=max(w.event.changed_at for w in wanted),
    )
    overrides = [
        replace(w.event, uid=plan.uid, recurrence_id=plan.week_start(week, zone))
        for week, w in sorted(by_week.items())
        if w not in on_rule or _content(w.event) != _content(model)
    ]
    return [master, *overrides]


def plan_person(
    person: User,
    course_id: int,
    occurrences: list[Occurrence],
    held: set[int],
    entries: dict[int, CalendarEntry],
    zone: ZoneInfo,
    cache: Renderings | None = None,
) -> list[Outgoing]:
    """What this person must be sent about this course for their calendar to be right."""
    cache = Renderings() if cache is None else cache
    viewer = Viewer(person.id, person.discreet)
    with force_language(person.language):
        wanted = [
            Wanted(o.facts, *cache.event(o.facts, person, viewer))
            for o in occurrences
            if o.facts.session_id in held
        ]
    live = {sid: e for sid, e in entries.items() if e.digest is not None}
    holds_series = any(e.uid == series_uid(course_id) for e in live.values())
    plan = plan_for(course_id, [w.facts for w in wanted], zone, holds_series)
    groups: dict[str, list[Wanted]] = defaultdict(list)
    for w in wanted:
        groups[plan.uid or w.facts.uid].append(w)
    facts_by_id = {o.facts.session_id: o for o in occurrences}
    outgoing: list[Outgoing] = []
    for uid, members in groups.items():
        desired = {w.facts.session_id: cache.digest(uid, w.shown) for w in members}
        dropped = [sid for sid, e in live.items() if e.uid == uid and sid not in desired]
        stale = [sid for sid, d in desired.items() if sid not in live or live[sid].digest != d]
        if not stale and not dropped:
            continue
        if not stale and plan.uid == uid:
            continue  # single weeks gone from an unchanged series: cancelled below
        if plan.uid == uid:
            events = _series_events(plan, members, zone)
        else:
            (only,) = members
            events = [only.event]
        request = Outgoing(
            Method.REQUEST,
            uid,
            "changed" if any(sid in live for sid in desired) or dropped else "new",
            events,
            [w.facts for w in members],
        )
        for w in members:
            before = live.get(w.facts.session_id)
            if before is not None and before.digest != desired[w.facts.session_id]:
                rows = _changes(before.shown, w.shown, person.discreet)
                request.changes.append((w.facts, rows))
            shown = dict(w.shown)
            if plan.uid == uid:
                shown["recurrence_id"] = plan.week_start(
                    plan.weeks[w.facts.session_id], zone
                ).isoformat()
            request.entries[w.facts.session_id] = (uid, desired[w.facts.session_id], shown)
        for sid in dropped:
            request.entries[sid] = (uid, None, None)
        outgoing.append(request)
    with force_language(person.language):
        outgoing += _cancels(live, groups, outgoing, facts_by_id, viewer)
    return outgoing


def _cancels(
    live: dict[int, CalendarEntry],
    groups: dict[str, list[Wanted]],
    requests: list[Outgoing],
    occurrences: dict[int, Occurrence],
    viewer: Viewer,
) -> list[Outgoing]:
    """CANCELs for entries the person holds that are no longer theirs (and not re-sent)."""
    requested = {r.uid for r in requests}
    wanted_ids = {w.facts.session_id for members in groups.values() for w in members}
    gone: dict[str, list[int]] = defaultdict(list)
    for sid, entry in live.items():
        if entry.uid in requested:
            continue
        if sid not in wanted_ids or entry.uid not in groups:
            gone[entry.uid].append(sid)
    cancels = []
    for uid, session_ids in gone.items():
        sessions = sorted(
            (occurrences[sid] for sid in session_ids if sid in occurrences),
            key=lambda o: o.facts.starts_at,
        )
        if not sessions:
            continue
        occasion = "removed" if all(o.takes_place for o in sessions) else "cancelled"
        whole = uid not in groups
        events = []
        for o in sessions:
            event = replace(calendar_event(o.facts, viewer), uid=uid, cancelled=True)
            shown = live[o.facts.session_id].shown or {}
            if not whole and "recurrence_id" in shown:
                event = replace(event, recurrence_id=datetime.fromisoformat(shown["recurrence_id"]))
            events.append(event)
        if whole and len(events) > 1:
            events = events[:1]  # one CANCEL of the UID takes the whole series away
        cancel = Outgoing(Method.CANCEL, uid, occasion, events, [o.facts for o in sessions])
        for sid in session_ids:
            cancel.entries[sid] = (uid, None, None)
        if whole:
            for sid, entry in live.items():
                if entry.uid == uid:
                    cancel.entries[sid] = (uid, None, None)
        cancels.append(cancel)
    return cancels


# --- writing the messages -------------------------------------------------------------------------


def _itip(events: list[CalendarEvent], method: Method, attendee: Mailbox, sent_at: datetime) -> str:
    """One iTIP message: the first event is the master (or the only one), the rest overrides."""
    return build_invite(
        events[0],
        overrides=events[1:],
        method=method,
        organizer=_organizer(),
        attendee=attendee,
        sent_at=sent_at,
        zone_name=current_app.config["COLLEGE_TIMEZONE"],
    ).decode("utf-8")


def _organizer() -> Mailbox:
    config = current_app.config
    return Mailbox(config["MAIL_DEFAULT_SENDER"], config["COLLEGE_NAME"])


def _subject(out: Outgoing, title: str, first: SessionFacts) -> str:
    when = format_when(first.starts_at)
    key = out.occasion
    if out.method == Method.REQUEST and key == "new" and len(out.sessions) > 1:
        key = "new_series"
    if key == "removed" and out.taken_out:
        key = "taken_out"
    if key == "removed" and len(out.sessions) > 1:
        key = "removed_series"
    return str(SUBJECTS[key] % {"title": title, "when": when, "count": len(out.sessions)})


def build_calendar(person: User, out: Outgoing, sequence: int, sent_at: datetime) -> str:
    """The iTIP text of one message, in the person's language.

    A REQUEST's entries say that answering in a calendar app reaches nobody (Outlook shows
    the description as the invitation's body); that line is not part of what is compared.
    """
    events = [replace(e, sequence=sequence) for e in out.events]
    with force_language(person.language):
        if out.method == Method.REQUEST:
            teaches = any(uid == person.id for uid, _n, _p in out.sessions[0].facilitators)
            note = not_by_reply(answer_page(teaches))
            events = [replace(e, description=f"{e.description}\n\n{note}") for e in events]
        return _itip(events, out.method, Mailbox(person.email, person.display_name), sent_at)


def write_mail(person: User, out: Outgoing, ics: str) -> Rendered:
    """The mail around an invitation: what it is about, and what changed, old and new."""
    viewer = Viewer(person.id, person.discreet)
    first = out.sessions[0]
    changed = [(f, rows) for f, rows in out.changes if rows]
    with force_language(person.language):
        title = calendar_event(replace(first, cancelled=False), viewer).summary
        subject = _subject(out, title, changed[0][0] if changed else first)
    return render_email(
        person,
        person.language,
        f"calendar/{'cancel' if out.method == Method.CANCEL else 'request'}",
        subject,
        calendar=(str(out.method), ics),
        title=title,
        updated=out.occasion == "changed",
        session_cancelled=out.occasion == "cancelled",
        taken_out=out.taken_out,
        sessions=[(f.starts_at, f.ends_at) for f in out.sessions],
        changes=[(f.starts_at, f.ends_at, rows) for f, rows in changed],
        location=out.events[0].location,
        meeting_link=first.meeting_link if first.online and out.method == Method.REQUEST else None,
        details_url=details_link(first, viewer),
        teaches=any(uid == person.id for uid, _n, _p in first.facilitators),
        colleagues=[name for uid, name, _p in first.facilitators if uid != person.id],
        calendar_page=absolute_url("me.calendar"),
        answer_page=answer_page(any(uid == person.id for uid, _n, _p in first.facilitators)),
    )


# --- the round ------------------------------------------------------------------------------------


def _waiting_notices() -> dict[tuple[int, int], OutboxMessage]:
    """Mails about a place, still to be written, that can carry an invitation; by person, course."""
    found: dict[tuple[int, int], OutboxMessage] = {}
    messages = db.session.scalars(
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.renderer == NOTICE_RENDERER,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.text_body.is_(None),
            OutboxMessage.calendar_method.is_(None),
            # Not claimed by a worker that may be writing it right now.
            OutboxMessage.next_attempt_at <= now_utc(),
        )
        .order_by(OutboxMessage.id)
    )
    for message in messages:
        payload = message.payload or {}
        if payload.get("kind") in CARRYING_NOTICES and "student_id" in payload:
            found.setdefault((payload["student_id"], payload["course_id"]), message)
    return found


def _version_if_clean() -> int | None:
    """The data version, when this transaction has written nothing yet (else None).

    Every committed write raises it (``college.page_cache``): while it stands still, every
    calendar is as right as the last round left it, since time passing changes no entry.
    """
    session = db.session()
    if session.info.get("data_changed") or session.new or session.dirty or session.deleted:
        return None
    return db.session.scalar(READ_VERSION)


def _may_reconcile() -> bool:
    """Only one worker at a time, so that no update is sent twice."""
    bind = db.session.connection()
    if bind.dialect.name != "postgresql":
        return True  # SQLite lets one writer in at a time
    return bool(db.session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(RECONCILE_LOCK))))


def reconcile(now: datetime | None = None) -> int:
    """Bring every calendar entry ahead in line with what the college would send now.

    Writes the messages (or adds the invitation to a waiting mail about a place) and
    records what was sent; flushes, never commits. Returns the number of messages.
    """
    version = (
        _version_if_clean() if current_app.config["CALENDAR_CHECK_ONLY_AFTER_WRITES"] else None
    )
    if version is not None and current_app.extensions.get(RECONCILED_AT) == version:
        return 0  # nothing was written since this process last found every calendar right
    if not _may_reconcile():
        return 0
    current_app.extensions[RECONCILED_AT] = version
    now = now or now_utc()
    occurrences = read_occurrences(now)
    if not occurrences:
        return 0
    held = invitees(occurrences)
    session_ids = [o.facts.session_id for o in occurrences]
    entries: dict[int, dict[int, CalendarEntry]] = defaultdict(dict)
    # What was shown is read only for the entries that change (the "changed" mail needs it).
    for entry in db.session.scalars(
        sa.select(CalendarEntry)
        .where(CalendarEntry.session_id.in_(session_ids))
        .options(sa.orm.defer(CalendarEntry.shown))
    ):
        entries[entry.user_id][entry.session_id] = entry
    holders: dict[int, set[int]] = defaultdict(set)
    for session_id, people in held.items():
        for person_id in people:
            holders[person_id].add(session_id)
    people_ids = set(holders) | {
        uid for uid, rows in entries.items() if any(e.digest is not None for e in rows.values())
    }
    if not people_ids:
        return 0
    users = {
        u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(sorted(people_ids))))
    }
    by_course: dict[int, list[Occurrence]] = defaultdict(list)
    course_of: dict[int, int] = {}
    for occurrence in occurrences:
        by_course[occurrence.course_id].append(occurrence)
        course_of[occurrence.facts.session_id] = occurrence.course_id
    zone = ZoneInfo(current_app.config["COLLEGE_TIMEZONE"])
    notices = _waiting_notices()
    cache = Renderings()
    written = 0
    for person_id in sorted(people_ids):
        person = users.get(person_id)
        if person is None or not person.is_active:
            continue  # nobody to write to (an erased account's entries go with it)
        # Who chose the feed instead holds no invitations: theirs are taken out.
        mine = holders.get(person_id, set()) if person.wants_invitations else set()
        sent = entries.get(person_id, {})
        courses = {course_of[sid] for sid in mine} | {
            course_of[sid] for sid, e in sent.items() if e.digest is not None
        }
        for course_id in sorted(courses):
            course_sessions = by_course[course_id]
            ids = {o.facts.session_id for o in course_sessions}
            theirs = {sid: e for sid, e in sent.items() if sid in ids}
            outgoing = plan_person(
                person, course_id, course_sessions, mine & ids, theirs, zone, cache
            )
            for out in outgoing:
                out.taken_out = not person.wants_invitations
            if outgoing:
                written += _send(person, course_id, outgoing, theirs, notices, now)
    db.session.flush()
    return written


def _send(
    person: User,
    course_id: int,
    outgoing: list[Outgoing],
    entries: dict[int, CalendarEntry],
    notices: dict[tuple[int, int], OutboxMessage],
    now: datetime,
) -> int:
    """Write one person's messages about one course and record what their calendar now holds."""
    sequence = max((e.sequence + 1 for e in entries.values()), default=0)
    written = 0
    for out in outgoing:
        method = str(out.method)
        ics = build_calendar(person, out, sequence, now)
        carrier = notices.pop((person.id, course_id), None)
        if carrier is not None:
            # The confirmation (or withdrawal) is written by its own renderer; it carries this.
            carrier.calendar_method = method
            carrier.calendar_body = ics
        else:
            mail = write_mail(person, out, ics)
            enqueue(person.email, mail.subject, mail.text_body, mail.html_body, (method, ics))
            written += 1
        for session_id, (uid, digest, shown) in out.entries.items():
            entry = entries.get(session_id)
            if entry is None:
                entry = CalendarEntry(user_id=person.id, session_id=session_id)
                db.session.add(entry)
                entries[session_id] = entry
            entry.uid, entry.sequence, entry.digest, entry.shown = uid, sequence, digest, shown
            entry.sent_at = now
        log.info(
            "calendar %s written course=%s user=%s seq=%s", method, course_id, person.id, sequence
        )
    return written


# --- an account being erased ----------------------------------------------------------------------

# The last mails to an erased person: written by the worker, naming neither them nor a course.
ERASED_RENDERER = "courses.calendar_erased"


@dataclass(frozen=True)
class Addressee:
    """Whom a message greets when the account is gone: the address it goes to."""

    display_name: str


def take_out_on_erasure(person: User, now: datetime | None = None) -> int:
    """Before an account is erased: CANCEL every entry ahead that the person holds.

    Called while the person and their entries are still there. Each invitation they hold
    (a weekly series, or a session's own) is taken out, whole when all of it is ahead, else
    week by week; the CANCELs name no person and no course (the message outlives the
    account), and are queued by description, so the erasure keeps them while it removes
    the rest of the person's unsent mail. Returns the number of messages.
    """
    now = now or now_utc()
    rows = db.session.execute(
        sa.select(CalendarEntry, CourseSession)
        .join(CourseSession, CalendarEntry.session_id == CourseSession.id)
        .where(CalendarEntry.user_id == person.id)
        .order_by(CourseSession.starts_at, CourseSession.id)
    ).all()
    by_uid: dict[str, list[tuple[CalendarEntry, CourseSession]]] = defaultdict(list)
    for entry, session in rows:
        by_uid[entry.uid].append((entry, session))
    viewer = Viewer(0, True, taking_part=False)  # nobody's: discreet, no meeting link
    written = 0
    with force_language(person.language):
        for uid, held in by_uid.items():
            ahead = [(e, s) for e, s in held if e.digest is not None and s.ends_at > now]
            if not ahead:
                continue
            whole = len(ahead) == len(held)
            sequence = max(e.sequence for e, _s in held) + 1
            events = []
            for entry, session in ahead:
                facts = replace(facts_of(session), facilitators=(), cancelled=False)
                event = replace(calendar_event(facts, viewer), uid=uid, sequence=sequence)
                recurrence = (entry.shown or {}).get("recurrence_id")
                if not whole and recurrence:
                    event = replace(event, recurrence_id=datetime.fromisoformat(recurrence))
                events.append(event)
            if whole:
                events = events[:1]  # one CANCEL of the UID takes all of it away
            ics = _itip(events, Method.CANCEL, Mailbox(person.email, person.email), now)
            first = facts_of(ahead[0][1])
            enqueue_described(
                person.email,
                ERASED_RENDERER,
                {
                    "email": person.email,
                    "language": person.language,
                    "sessions": [
                        [s.starts_at.isoformat(), s.ends_at.isoformat()] for _e, s in ahead
                    ],
                    "details_url": details_link(first, viewer),
                    "ics": ics,
                },
                summary="Calendar: no longer in your calendar (account erased)",
                calendar_method=str(Method.CANCEL),
            )
            written += 1
    log.info("calendar CANCEL queued on erasure user=%s count=%s", person.id, written)
    return written


def render_erased(payload: dict[str, Any]) -> Rendered:
    """Write an erased person's last CANCEL: no name and no course, only times and a link."""
    language = payload.get("language")
    with force_language(language):
        title = neutral_title()
        subject = SUBJECTS["taken_out"] % {"title": title}
    return render_email(
        Addressee(payload["email"]),  # type: ignore[arg-type]
        language,
        "calendar/cancel",
        subject,
        calendar=(str(Method.CANCEL), payload["ics"]),
        title=title,
        updated=False,
        session_cancelled=False,
        taken_out=True,
        sessions=[
            (datetime.fromisoformat(start), datetime.fromisoformat(end))
            for start, end in payload["sessions"]
        ],
        details_url=payload["details_url"],
    )


def init_app(app: Flask) -> None:
    """Reconcile calendars before the mail worker writes mail; name enrolled students' sessions."""
    extensions = app.extensions
    extensions.setdefault("courses.personal_feed_sources", []).append(enrolled_session_ids)
    register_mail_preparer(app, reconcile)
    register_renderer(app, ERASED_RENDERER, render_erased)


def enrolled_session_ids(user: User) -> sa.Select[Any]:
    """The personal feed's sessions from the person's confirmed places."""
    from courses.enrolment.models import Enrolment, EnrolmentStatus

    return (
        sa.select(CourseSession.id)
        .join(Enrolment, Enrolment.course_id == CourseSession.course_id)
        .where(Enrolment.student_id == user.id, Enrolment.status == EnrolmentStatus.ENROLLED)
    )
