"""Who holds an entry for each session, and what each person must be sent for it to be right.

``invitees`` decides who takes part; ``plan_person`` compares what the college would send
a person now about one course with what their calendar holds (``CalendarEntry``) and
returns the messages (``Outgoing``) that bring it in line: one weekly series per course
where the sessions follow a pattern, else one invitation per session.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from college.calendar import CalendarEvent, Method
from college.extensions import db
from college.languages import force_language
from college.models import User
from college.templating import format_clock, format_when
from courses.models import CalendarEntry, Course, CourseSession, CourseStatus, SessionStatus, Venue
from courses.prospectus import MAX_ID
from courses.session_facts import (
    SESSION_COLUMNS,
    SessionFacts,
    Viewer,
    calendar_event,
    facilitators_of,
    facts_from_row,
)

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


def course_of_series(uid: str) -> Course | None:
    """The course whose weekly invitation has this UID, so that a reply to it can be read."""
    prefix, suffix = "course-", f"-weekly@{current_app.config['COLLEGE_DOMAIN']}"
    if not (uid.startswith(prefix) and uid.endswith(suffix)):
        return None
    number = uid[len(prefix) : -len(suffix)]
    if not (number.isascii() and number.isdigit()) or int(number) > MAX_ID:
        return None
    return db.session.get(Course, int(number))


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
