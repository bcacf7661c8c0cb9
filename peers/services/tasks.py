"""Periodic work: alerts about cover nobody took, expiry, and qualification reminders.

Each task can run as often as wanted: it marks what it has done (``alerted_at``,
``escalated_at``, a reminder row) and never sends the same message twice.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from college.db import now_utc
from college.extensions import db
from college.models import Qualification, User
from courses.models import CourseSession
from courses.times import local_today
from peers.models import CoverRequest, CoverStatus, QualificationReminder
from peers.services.cover import close_request
from peers.services.mail import administrators, notify
from peers.services.training import LAPSE_WARNING

log = logging.getLogger(__name__)


def _hours(name: str, default: int) -> timedelta:
    return timedelta(hours=int(current_app.config.get(name, default)))


def _open_requests_starting_before(
    moment: datetime, flag: sa.ColumnElement[bool]
) -> list[CoverRequest]:
    return list(
        db.session.scalars(
            sa.select(CoverRequest)
            .join(CourseSession, CoverRequest.session_id == CourseSession.id)
            .where(
                CoverRequest.status == CoverStatus.OPEN,
                CourseSession.starts_at <= moment,
                flag,
            )
            .order_by(CourseSession.starts_at, CoverRequest.id)
        )
    )


def alert_unfilled_cover(now: datetime | None = None) -> int:
    """Tell admins about requests nobody has taken when the session is close (72 h)."""
    now = now or now_utc()
    due = _open_requests_starting_before(
        now + _hours("PEERS_COVER_ALERT_HOURS", 72), CoverRequest.alerted_at.is_(None)
    )
    due = [r for r in due if r.session.starts_at > now]
    if due:
        for admin in administrators():
            notify(admin, "cover_alert", requests=due)
        for request in due:
            request.alerted_at = now
        db.session.flush()
        log.info("alerted admins about %s uncovered sessions", len(due))
    return len(due)


def escalate_unstaffed(now: datetime | None = None) -> int:
    """At 24 hours, ask admins to move or cancel the sessions still without cover."""
    now = now or now_utc()
    due = _open_requests_starting_before(
        now + _hours("PEERS_COVER_ESCALATION_HOURS", 24), CoverRequest.escalated_at.is_(None)
    )
    due = [r for r in due if r.session.starts_at > now]
    if due:
        for admin in administrators():
            notify(
                admin,
                "cover_escalation",
                requests=due,
            )
        for request in due:
            request.escalated_at = now
        db.session.flush()
        log.warning("%s sessions are without cover 24 hours ahead", len(due))
    return len(due)


def expire_cover_requests(now: datetime | None = None) -> int:
    """Close requests whose session has begun: nobody can take them any more."""
    now = now or now_utc()
    due = _open_requests_starting_before(now, sa.true())
    for request in due:
        close_request(request, CoverStatus.EXPIRED, now)
    return len(due)


def remind_lapsing_qualifications(today: date | None = None) -> int:
    """Remind a peer and the admins once, 60 days before a qualification lapses."""
    today = today or local_today()
    reminded = sa.select(QualificationReminder.id).where(
        QualificationReminder.qualification_id == Qualification.id,
        QualificationReminder.expires_on == Qualification.expires_on,
    )
    due = list(
        db.session.scalars(
            sa.select(Qualification)
            .join(User, Qualification.user_id == User.id)
            .where(
                Qualification.expires_on.is_not(None),
                Qualification.expires_on >= today,
                Qualification.expires_on <= today + LAPSE_WARNING,
                User.anonymised_at.is_(None),
                ~reminded.exists(),
            )
            .order_by(Qualification.expires_on, Qualification.id)
        )
    )
    if not due:
        return 0
    for qualification in due:
        notify(
            qualification.user,
            "qualification_lapsing",
            qualification=qualification,
        )
        assert qualification.expires_on is not None  # noqa: S101 - filtered above
        db.session.add(
            QualificationReminder(
                qualification_id=qualification.id, expires_on=qualification.expires_on
            )
        )
    for admin in administrators():
        notify(
            admin,
            "qualifications_lapsing_admin",
            qualifications=due,
        )
    db.session.flush()
    return len(due)


def run_periodic_tasks() -> None:
    """One round of every peers task; the mail worker calls it before sending."""
    expire_cover_requests()
    alert_unfilled_cover()
    escalate_unstaffed()
    remind_lapsing_qualifications()
