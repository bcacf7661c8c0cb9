"""The mail worker's round: bring every calendar entry ahead in line (``reconcile``)."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app

from college.data_version import READ_VERSION, has_changed
from college.db import now_utc
from college.extensions import db
from college.models import OutboxMessage, OutboxStatus, User
from college.outbox.queueing import enqueue
from courses.invites.messages import build_calendar, write_mail
from courses.invites.plans import (
    Occurrence,
    Outgoing,
    Renderings,
    invitees,
    plan_person,
    read_occurrences,
)
from courses.models import CalendarEntry

log = logging.getLogger(__name__)

# Mails about a place that carry the person's invitation when they are still to be written.
NOTICE_RENDERER = "courses.enrolment_notice"
CARRYING_NOTICES = frozenset({"enrolled", "promoted", "withdrawn", "course_cancelled"})
# Any constant will do: one worker reconciles at a time.
RECONCILE_LOCK = 260_026
# The data version this process last reconciled at, per app (tests make one per engine).
reconciled_at: WeakKeyDictionary[Flask, int | None] = WeakKeyDictionary()


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

    Every committed write raises it (``college.data_version``): while it stands still, every
    calendar is as right as the last round left it, since time passing changes no entry.
    """
    if has_changed(db.session()):
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
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if version is not None and reconciled_at.get(app) == version:
        return 0  # nothing was written since this process last found every calendar right
    if not _may_reconcile():
        return 0
    reconciled_at[app] = version
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
        # One line per invitation is for tracing; the mail worker reports each round's totals.
        log.debug(
            "calendar %s written course=%s user=%s seq=%s", method, course_id, person.id, sequence
        )
    return written
