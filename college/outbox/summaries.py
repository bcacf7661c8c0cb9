"""What administrators are told about mail: what failed, what waits, what a message is."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask

from college.extensions import db
from college.models import OutboxMessage, OutboxStatus
from college.signals import extension_points

log = logging.getLogger(__name__)


FAILING = sa.or_(
    OutboxMessage.status == OutboxStatus.FAILED,
    sa.and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.last_error.is_not(None)),
)


def failing_messages(limit: int = 200) -> list[OutboxMessage]:
    """Messages that failed for good or are retrying after an error, newest first."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(FAILING)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def count_undelivered() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count())
        .where(OutboxMessage.status.not_in([OutboxStatus.SENT, OutboxStatus.CANCELLED]))
        .group_by(OutboxMessage.status)
    )
    return {status: count for status, count in rows}


@dataclass
class MailSummary:
    """What the mail page says in one line, with numbers that add up."""

    failed: int = 0
    retrying: int = 0
    waiting: int = 0  # not yet tried, or not due yet, with no error

    @property
    def all_delivered(self) -> bool:
        return not (self.failed or self.retrying or self.waiting)


def summarise_mail() -> MailSummary:
    """Count failed mail, mail retrying after an error, and mail simply waiting its turn."""
    retrying = sa.and_(
        OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.last_error.is_not(None)
    )
    kind = sa.case(
        (OutboxMessage.status == OutboxStatus.FAILED, "failed"),
        (retrying, "retrying"),
        else_="waiting",
    )
    rows = db.session.execute(
        sa.select(kind, sa.func.count())
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]))
        .group_by(kind)
    )
    return MailSummary(**{name: count for name, count in rows})


Describer = Callable[[dict[str, Any]], str]


def describers(app: Flask | None = None) -> dict[str, Describer]:
    return extension_points(app).outbox_describers


def register_description(app: Flask, name: str, describe: Describer) -> None:
    """Let admins read what a message queued under ``name`` is, in their own language.

    ``describe(payload)`` runs on the mail page, in the admin's locale; it should read no
    more than the payload and must not raise for a payload it does not know.
    """
    describers(app)[name] = describe


def describe_message(message: OutboxMessage) -> str | None:
    """What the message is, in the reader's language; None when only its subject can say."""
    describe = describers().get(message.renderer or "")
    if describe is None:
        return None
    try:
        return describe(dict(message.payload or {}))
    except Exception:
        log.exception("mail %s could not be described", message.id)
        return None
