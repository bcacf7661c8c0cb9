"""Retention: personal details are removed on a schedule, without anyone having to remember.

``apply_retention`` is idempotent and meant for cron (``flask college apply-retention``).
The core removes what it keeps itself: mail sent or cancelled (it carries names and titles),
expired sign-in sessions and reset links, and accounts of students who have not signed in
for years. Domain packages add their own rules (e.g. enrolments a while after their term
ends) to ``extension_points(app).retention_tasks``: callables ``task(now) -> int``
returning how many records they cleared.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from college.db import changed_rows, now_utc
from college.extensions import db
from college.models import (
    LoginSession,
    OutboxMessage,
    OutboxStatus,
    PasswordResetToken,
    Role,
    User,
    UserRole,
)
from college.privacy import erase_person
from college.signals import extension_points

log = logging.getLogger(__name__)

RetentionTask = Callable[[datetime], int]
STAFF_ROLES = (Role.PEER, Role.TRAINER, Role.ADMIN)


def retention_tasks() -> list[RetentionTask]:
    return extension_points().retention_tasks


def purge_sent_mail(now: datetime) -> int:
    """Mail sent, or cancelled unsent, longer ago than the college keeps it."""
    cutoff = now - timedelta(days=current_app.config["RETENTION_MAIL_DAYS"])
    sent = sa.and_(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at < cutoff)
    cancelled = sa.and_(
        OutboxMessage.status == OutboxStatus.CANCELLED, OutboxMessage.created_at < cutoff
    )
    result = db.session.execute(sa.delete(OutboxMessage).where(sa.or_(sent, cancelled)))
    return changed_rows(result)


def purge_expired_sign_ins(now: datetime) -> int:
    sessions = db.session.execute(sa.delete(LoginSession).where(LoginSession.expires_at < now))
    resets = db.session.execute(
        sa.delete(PasswordResetToken).where(PasswordResetToken.expires_at < now)
    )
    return changed_rows(sessions) + changed_rows(resets)


def inactive_students(now: datetime) -> list[User]:
    """Student accounts unused for the configured number of years; staff are never included."""
    cutoff = now - timedelta(days=365 * current_app.config["RETENTION_INACTIVE_YEARS"])
    staff = sa.select(UserRole.user_id).where(UserRole.role.in_([str(r) for r in STAFF_ROLES]))
    last_seen = sa.func.coalesce(User.last_login_at, User.created_at)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.anonymised_at.is_(None), last_seen < cutoff, User.id.not_in(staff))
            .order_by(User.id)
        )
    )


def anonymise_inactive_accounts(now: datetime) -> int:
    people = inactive_students(now)
    for person in people:
        erase_person(None, person)
    return len(people)


def apply_retention(now: datetime | None = None) -> dict[str, int]:
    """Apply every retention rule once; running it again at once changes nothing."""
    now = now or now_utc()
    counts = {
        "sent mail": purge_sent_mail(now),
        "expired sign-ins": purge_expired_sign_ins(now),
    }
    for task in retention_tasks():
        counts[getattr(task, "retention_label", task.__name__)] = task(now)
    counts["inactive accounts"] = anonymise_inactive_accounts(now)
    db.session.flush()
    log.info("retention applied: %s", counts)
    return counts
