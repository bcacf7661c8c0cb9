"""The worker: claim what is due, render it, send it, and record what happened."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from college.db import changed_rows, now_utc
from college.extensions import db
from college.models import MailFailure, OutboxMessage, OutboxStatus
from college.outbox.mime import CannotBuild
from college.outbox.queueing import (
    NoLongerNeeded,
    Undeliverable,
    cancel_message,
    prepare_mail,
    render_message,
)
from college.outbox.transports import AddressNotSendable, Transport, make_transport
from college.transactions import transaction

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0


def _due_ids(now: datetime, limit: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def _claim(message_id: int, now: datetime) -> bool:
    """Take a message for this worker; only one worker's update can match the row."""
    with transaction(writes=True):
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + CLAIM_LEASE)
            .execution_options(synchronize_session=False)
        )
    return changed_rows(result) == 1


def backoff_delay(attempts: int) -> timedelta:
    base = timedelta(seconds=current_app.config["MAIL_RETRY_BASE_SECONDS"])
    return min(base * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


# SMTP errors that the worker's connection to the server lost or never had.
UNREACHABLE = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError)


def classify_failure(error: BaseException) -> tuple[MailFailure, bool]:
    """Why a message was not sent, in a word an admin can read, and whether it is for good."""
    if isinstance(error, Undeliverable):
        return MailFailure.NO_RECIPIENT, True
    if isinstance(error, AddressNotSendable | smtplib.SMTPNotSupportedError):
        return MailFailure.ADDRESS_UNSENDABLE, True
    if isinstance(error, CannotBuild):
        return MailFailure.CANNOT_BUILD, True
    if isinstance(error, UnicodeError):
        # Raised by smtplib when an address reaches the wire that SMTP cannot carry.
        return MailFailure.ADDRESS_UNSENDABLE, True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            return MailFailure.ADDRESS_REFUSED, True
        return MailFailure.SERVER_BUSY, False
    if isinstance(error, UNREACHABLE):
        return MailFailure.SERVER_UNREACHABLE, False
    if isinstance(error, smtplib.SMTPResponseException):
        if error.smtp_code >= 500:
            return MailFailure.MESSAGE_REFUSED, True
        return MailFailure.SERVER_BUSY, False
    if isinstance(error, smtplib.SMTPException):
        return MailFailure.SERVER_BUSY, False
    return MailFailure.UNEXPECTED, False


def _record_failure(
    message: OutboxMessage,
    error: BaseException,
    now: datetime,
    reason: MailFailure | None = None,
    permanent: bool | None = None,
) -> bool:
    """Schedule a retry, or give up (at once for a failure no retry helps); True when given up."""
    found_reason, found_permanent = classify_failure(error)
    reason = reason or found_reason
    permanent = found_permanent if permanent is None else permanent
    message.attempts += 1
    message.failure = reason
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    # The log names the message by number and the error by kind: an SMTP server's text
    # may quote the address, and addresses never go to the log.
    log.warning("mail %s not sent (%s, %s)", message.id, reason, type(error).__name__)
    if permanent or message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        message.status = OutboxStatus.FAILED
        return True
    message.next_attempt_at = now + backoff_delay(message.attempts)
    return False


def _count(report: DeliveryReport, gave_up: bool) -> None:
    if gave_up:
        report.failed += 1
    else:
        report.retrying += 1


def deliver_due(now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """Send every message that is due, each in a transaction of its own.

    Each message is written, built and sent on its own: whatever one message does is
    recorded on it, and the worker goes on with the next. First the mail the data asks
    for is prepared (``register_mail_preparer``) and committed, so that it is due too.
    """
    try:
        with transaction(writes=True):
            prepare_mail()
    except Exception:
        # Mail already queued still goes out; the next round prepares again.
        log.exception("mail could not be prepared this round")
    now = now or now_utc()  # after preparing, so that what was just written is due
    report = DeliveryReport()
    with transaction():
        ids = _due_ids(now, limit)
    claimed = [message_id for message_id in ids if _claim(message_id, now)]
    if not claimed:
        return report
    try:
        transport = make_transport().__enter__()
    except (smtplib.SMTPException, OSError) as error:
        with transaction(writes=True):
            for message_id in claimed:
                message = db.session.get_one(OutboxMessage, message_id)
                _count(report, _record_failure(message, error, now))
        log.warning("mail server unavailable; %s messages will be retried", len(claimed))
        return report
    try:
        for message_id in claimed:
            try:
                with transaction(writes=True):
                    _deliver_one(transport, message_id, now, report)
            except Exception as error:
                _record_unexpected(message_id, error, now, report)
    finally:
        try:
            transport.__exit__(None, None, None)
        except Exception:
            log.exception("mail transport did not close")
    return report


def _record_unexpected(
    message_id: int, error: Exception, now: datetime, report: DeliveryReport
) -> None:
    """Note an error that escaped a message's own handling (the database's, say) on it."""
    log.exception("mail %s: unexpected error", message_id)
    try:
        with transaction(writes=True):
            message = db.session.get_one(OutboxMessage, message_id)
            _count(report, _record_failure(message, error, now, MailFailure.UNEXPECTED, False))
    except Exception:
        log.exception("mail %s: the failure could not be recorded", message_id)


def _deliver_one(
    transport: Transport, message_id: int, now: datetime, report: DeliveryReport
) -> None:
    message = db.session.get_one(OutboxMessage, message_id)
    if message.needs_rendering and not _render_claimed(message, now, report):
        return
    try:
        transport.send(message)
    except Exception as error:
        gave_up = _record_failure(message, error, now)
        _count(report, gave_up)
        if gave_up:
            log.error("mail %s failed for good after %s attempts", message.id, message.attempts)
    else:
        message.status = OutboxStatus.SENT
        message.sent_at = now_utc()
        message.attempts += 1
        message.last_error = None
        message.failure = None
        report.sent += 1


def _render_claimed(message: OutboxMessage, now: datetime, report: DeliveryReport) -> bool:
    """Write a claimed message's bodies; a renderer's error is a failed attempt.

    The renderer runs in a savepoint, so what it did is undone when it raises while the
    claim (committed before) stands.
    """
    try:
        with db.session.begin_nested():
            render_message(message)
    except Exception as error:
        if isinstance(error, NoLongerNeeded):
            cancel_message(message, error)
            report.cancelled += 1
            return False
        if isinstance(error, Undeliverable):
            gave_up = _record_failure(message, error, now)
            message.last_error = f"Undeliverable: {error}"[:500]
        else:
            gave_up = _record_failure(message, error, now, MailFailure.CANNOT_WRITE)
        _count(report, gave_up)
        log.exception("mail %s could not be rendered (%s)", message.id, message.renderer)
        return False
    return True


def retry_message(message: OutboxMessage) -> None:
    """Put a failed message back in the queue (an admin's decision): it starts afresh."""
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = now_utc()
    message.attempts = 0
    message.failure = None
    message.last_error = None


def retry_failed(message_ids: list[int] | None = None) -> int:
    """Put failed messages back in the queue: the chosen ones, or all; returns how many."""
    statement = sa.select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    if message_ids is not None:
        statement = statement.where(OutboxMessage.id.in_(message_ids))
    messages = db.session.scalars(statement).all()
    for message in messages:
        retry_message(message)
    db.session.flush()
    return len(messages)
