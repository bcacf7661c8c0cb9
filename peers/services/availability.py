"""Absences and recurring unavailability; who is free at a given time.

No reason is ever asked. The private note is shown to the person and to administrators
only; everyone else sees "unavailable", and only where they need to know.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _
from flask_babel import ngettext

from college.db import now_utc
from college.errors import Forbidden
from college.extensions import db
from college.models import User
from college.services import record_audit
from courses.models import CourseSession, SessionStatus
from courses.services.candidates import CandidateNote
from courses.times import to_local
from peers.models import (
    Absence,
    CohortMeeting,
    PeerProfile,
    PeerStatus,
    PlaceStatus,
    TrainingPlace,
    Unavailability,
    cohort_trainers,
)
from peers.services.errors import (
    AbsenceWithdrawn,
    NotYourSession,
    PeriodInThePast,
    PeriodOutOfOrder,
    PeriodTooLong,
)

log = logging.getLogger(__name__)

MAX_ABSENCE_DAYS = 366
MAX_NOTE_LENGTH = 500


def require_self_or_admin(actor: User, person: User) -> None:
    if actor.id != person.id and not actor.is_admin:
        raise Forbidden()


def _audit_if_staff(actor: User, action: str, target: object, person: User) -> None:
    """Changes a person makes to their own availability are theirs; an admin's are audited."""
    if actor.id != person.id:
        record_audit(actor, action, target, f"user={person.id}")


def _check_period(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise PeriodOutOfOrder()
    if ends_at - starts_at > timedelta(days=MAX_ABSENCE_DAYS):
        raise PeriodTooLong(days=MAX_ABSENCE_DAYS)
    if ends_at <= now_utc():
        raise PeriodInThePast()


def _clean_note(note: str | None) -> str | None:
    text = (note or "").strip()[:MAX_NOTE_LENGTH]
    return text or None


def record_absence(
    actor: User, person: User, starts_at: datetime, ends_at: datetime, note: str | None = None
) -> Absence:
    """Record that ``person`` cannot teach in a period; cover opens for their sessions then."""
    require_self_or_admin(actor, person)
    _check_period(starts_at, ends_at)
    absence = Absence(
        user=person, starts_at=starts_at, ends_at=ends_at, private_note=_clean_note(note)
    )
    db.session.add(absence)
    db.session.flush()
    _audit_if_staff(actor, "absence.recorded", absence, person)
    log.info("absence %s recorded", absence.id)
    _sync(person)
    return absence


def update_absence(
    actor: User, absence: Absence, starts_at: datetime, ends_at: datetime, note: str | None
) -> Absence:
    """Change an absence's period or note; cover follows the new period."""
    require_self_or_admin(actor, absence.user)
    if absence.withdrawn_at is not None:
        raise AbsenceWithdrawn()
    _check_period(starts_at, ends_at)
    absence.starts_at, absence.ends_at = starts_at, ends_at
    absence.private_note = _clean_note(note)
    db.session.flush()
    _audit_if_staff(actor, "absence.changed", absence, absence.user)
    _sync(absence.user)
    return absence


def withdraw_absence(actor: User, absence: Absence) -> Absence:
    """Take an absence back; cover requests nobody has taken yet are cancelled."""
    require_self_or_admin(actor, absence.user)
    if absence.withdrawn_at is not None:
        raise AbsenceWithdrawn()
    absence.withdrawn_at = now_utc()
    db.session.flush()
    _audit_if_staff(actor, "absence.withdrawn", absence, absence.user)
    _sync(absence.user)
    return absence


def cannot_make_it(actor: User, session: CourseSession) -> Absence:
    """The one-tap "I can't make it" on a session of one's own schedule."""
    if (
        actor.id not in {f.user_id for f in session.facilitators}
        or session.status != SessionStatus.SCHEDULED
        or session.ends_at <= now_utc()
    ):
        raise NotYourSession()
    # Said twice (a double tap, a second calendar reply), it is still one absence.
    already = db.session.scalar(
        sa.select(Absence)
        .where(
            Absence.user_id == actor.id,
            Absence.withdrawn_at.is_(None),
            Absence.starts_at <= session.starts_at,
            Absence.ends_at >= session.ends_at,
        )
        .order_by(Absence.id)
        .limit(1)
    )
    if already is not None:
        return already
    return record_absence(actor, actor, session.starts_at, session.ends_at)


def add_unavailability(
    actor: User, person: User, weekday: int, starts: time, ends: time
) -> Unavailability:
    """Record a weekly time ``person`` cannot teach, e.g. Tuesdays from 14:00."""
    require_self_or_admin(actor, person)
    if not 0 <= weekday <= 6 or ends <= starts:
        raise PeriodOutOfOrder()
    item = Unavailability(user_id=person.id, weekday=weekday, starts=starts, ends=ends)
    db.session.add(item)
    db.session.flush()
    _audit_if_staff(actor, "unavailability.added", item, person)
    _sync(person)
    return item


def remove_unavailability(actor: User, person: User, item: Unavailability) -> None:
    require_self_or_admin(actor, person)
    if item.user_id != person.id:
        raise Forbidden()
    _audit_if_staff(actor, "unavailability.removed", item, person)
    db.session.delete(item)
    db.session.flush()
    _sync(person)


def _sync(person: User) -> None:
    from peers.services.cover import sync_cover

    sync_cover(person)


# --- who is free -----------------------------------------------------------------------------


def absent_user_ids(user_ids: Iterable[int], starts_at: datetime, ends_at: datetime) -> set[int]:
    ids = sorted(set(user_ids))
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Absence.user_id).where(
                Absence.user_id.in_(ids),
                Absence.withdrawn_at.is_(None),
                Absence.starts_at < ends_at,
                Absence.ends_at > starts_at,
            )
        )
    )


def _local_pieces(starts_at: datetime, ends_at: datetime) -> list[tuple[int, time, time]]:
    """The session's local weekday and clock times, split at midnight."""
    start, end = to_local(starts_at), to_local(ends_at)
    pieces = []
    while start.date() < end.date():
        pieces.append((start.weekday(), start.time(), time.max))
        start = datetime.combine(start.date() + timedelta(days=1), time.min, tzinfo=start.tzinfo)
    pieces.append((start.weekday(), start.time(), end.time()))
    return pieces


def unavailable_user_ids(
    user_ids: Iterable[int], starts_at: datetime, ends_at: datetime
) -> set[int]:
    ids = sorted(set(user_ids))
    if not ids:
        return set()
    found: set[int] = set()
    rows = list(
        db.session.scalars(sa.select(Unavailability).where(Unavailability.user_id.in_(ids)))
    )
    for weekday, start, end in _local_pieces(starts_at, ends_at):
        for row in rows:
            if row.weekday == weekday and row.starts < end and row.ends > start:
                found.add(row.user_id)
    return found


def blocked_user_ids(user_ids: Iterable[int], starts_at: datetime, ends_at: datetime) -> set[int]:
    """People who are absent or unavailable at any moment of the period."""
    ids = list(user_ids)
    return absent_user_ids(ids, starts_at, ends_at) | unavailable_user_ids(ids, starts_at, ends_at)


def in_training_user_ids(
    user_ids: Iterable[int], starts_at: datetime, ends_at: datetime
) -> set[int]:
    """People in a training meeting at any moment of the period: placed in the cohort (and
    not withdrawn from it) or one of its trainers."""
    ids = sorted(set(user_ids))
    if not ids:
        return set()
    overlapping = sa.select(CohortMeeting.cohort_id).where(
        CohortMeeting.starts_at < ends_at, CohortMeeting.ends_at > starts_at
    )
    learners = sa.select(TrainingPlace.user_id).where(
        TrainingPlace.user_id.in_(ids),
        TrainingPlace.status == PlaceStatus.PLACED,
        TrainingPlace.cohort_id.in_(overlapping),
    )
    teachers = sa.select(cohort_trainers.c.user_id).where(
        cohort_trainers.c.user_id.in_(ids), cohort_trainers.c.cohort_id.in_(overlapping)
    )
    return set(db.session.scalars(sa.union(learners, teachers)))


# --- hints for choosing a course's pair ------------------------------------------------------


def candidate_notes(
    _app: Flask, *, user_ids: list[int], slots: list[tuple[datetime, datetime]]
) -> dict[int, list[CandidateNote]]:
    """What the office should know about each person when choosing who teaches these slots.

    Courses asks through the signal ``availability_requested``; the reason for an absence is
    never shown, only that the person is away.
    """
    ids = sorted(set(user_ids))
    notes: dict[int, list[CandidateNote]] = {}
    if not ids:
        return notes
    resting = db.session.scalars(
        sa.select(PeerProfile.user_id).where(
            PeerProfile.user_id.in_(ids), PeerProfile.status == PeerStatus.RESTING
        )
    )
    for user_id in resting:
        notes.setdefault(user_id, []).append(CandidateNote(_("Resting for a while")))
    away: dict[int, int] = {}
    training: dict[int, int] = {}
    for starts_at, ends_at in slots:
        for user_id in blocked_user_ids(ids, starts_at, ends_at):
            away[user_id] = away.get(user_id, 0) + 1
        for user_id in in_training_user_ids(ids, starts_at, ends_at):
            training[user_id] = training.get(user_id, 0) + 1
    for user_id, count in away.items():
        text = ngettext(
            "Away or unavailable at %(num)d of these sessions",
            "Away or unavailable at %(num)d of these sessions",
            count,
        )
        notes.setdefault(user_id, []).append(CandidateNote(text))
    for user_id, count in training.items():
        text = ngettext(
            "In training at the time of %(num)d session",
            "In training at the time of %(num)d sessions",
            count,
        )
        notes.setdefault(user_id, []).append(CandidateNote(text))
    return notes
