"""The mail outbox: messages are queued with the change that causes them, sent by a worker.

``enqueue`` runs inside the caller's transaction, so a message exists exactly when its
cause was committed. ``deliver_due`` claims each message with a conditional update (safe
with several workers on PostgreSQL and SQLite alike), sends it, and records the outcome.

A message can also be queued *by description* (``enqueue_described``): the name of a
renderer and a small JSON payload, written in the same transaction, with no template
rendered on the request path (and no course row held locked while one is). A transaction's
described messages are written together, in one INSERT, just before its next ORM statement
or its commit, and are dropped if it ends without committing (``listen_for_queued``). The
worker fills in the subject and bodies just before sending: it claims the message as any other,
calls the renderer, stores what it wrote, and sends it. A renderer that raises counts as a
failed attempt (retried with the usual backoff, shown to admins, given up after the last
attempt); the bodies are stored once written, so a retry after a failed send sends the
same text. A renderer that raises ``Undeliverable`` (nobody left to write to) gives up at
once. One that raises ``NoLongerNeeded`` (what the message was about has passed, e.g. a
cover offer a colleague took first) cancels it: nothing is sent, and it is no failure
either, so admins are not asked to look at it. Domain packages register their renderers
with ``register_renderer``; the core never imports them.

What a renderer may read at render time, and what must be frozen in the payload, is the
renderer's decision and is argued in its module (see ``courses.invites`` and
``courses.enrolment.notices``). The recipient and the calendar METHOD are frozen here.
"""

from __future__ import annotations

import logging
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any, Protocol

import flask_mail
import sqlalchemy as sa
from flask import Flask, current_app, render_template
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from college.db import changed_rows, now_utc
from college.extensions import BindableSession, db, mail
from college.languages import force_language
from college.models import OutboxMessage, OutboxStatus, User
from college.page_cache import mark_changed

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)


# --- queueing ------------------------------------------------------------------------------


def enqueue(
    recipient: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    calendar: tuple[str, str] | None = None,
) -> OutboxMessage:
    """Queue one email in the current transaction; ``calendar`` is (METHOD, ics text)."""
    message = OutboxMessage(
        recipient=recipient,
        subject=subject[:255],
        text_body=text_body,
        html_body=html_body,
        calendar_method=calendar[0] if calendar else None,
        calendar_body=calendar[1] if calendar else None,
        next_attempt_at=now_utc(),
    )
    db.session.add(message)
    db.session.flush()
    return message


# --- queueing by description, rendered by the worker -------------------------------------------


@dataclass
class Rendered:
    """What a renderer writes: the subject and bodies of one message."""

    subject: str
    text_body: str
    html_body: str | None = None
    calendar: tuple[str, str] | None = None


Renderer = Callable[[dict[str, Any]], Rendered]


class Undeliverable(Exception):
    """Raised by a renderer when there is nothing left to send (e.g. the person is gone)."""


class NoLongerNeeded(Exception):
    """Raised by a renderer when the message's reason has passed since it was queued."""


class UnknownRenderer(LookupError):
    pass


def render_email(
    user: User,
    language: str | None,
    template: str,
    subject: Any,
    calendar: tuple[str, str] | None = None,
    **context: Any,
) -> Rendered:
    """``templates/email/<template>.{txt,html}`` and the subject, in ``language``."""
    with force_language(language):
        context.setdefault("user", user)
        context.setdefault("college_name", current_app.config["COLLEGE_NAME"])
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", **context)
        subject_text = str(subject)
    return Rendered(subject_text, text, html, calendar)


def renderers(app: Flask | None = None) -> dict[str, Renderer]:
    target = app or current_app
    return target.extensions.setdefault("college.outbox_renderers", {})


def register_renderer(app: Flask, name: str, renderer: Renderer) -> None:
    """Let messages queued under ``name`` be written by ``renderer(payload)``."""
    renderers(app)[name] = renderer


def enqueue_described(
    recipient: str,
    renderer: str,
    payload: dict[str, Any],
    *,
    summary: str,
    calendar_method: str | None = None,
) -> None:
    """Queue a message that the worker will render, in the current transaction.

    Nothing is rendered here, and nothing is written yet: the transaction's messages are
    written together, in one INSERT past the ORM, before it next reads or commits
    (``write_queued``). A sign-up queues its confirmation and every invitation while the
    course row is held, and one plain statement is the least it can do there. ``summary``
    stands in for the subject until the worker writes it (admins see it on the mail page);
    it never leaves the college. ``payload`` must be JSON.
    """
    queued_at = now_utc()  # due from now, whenever the row itself is written
    row = {
        "created_at": queued_at,
        "next_attempt_at": queued_at,
        "recipient": recipient,
        "subject": summary[:255],
        "calendar_method": calendar_method,
        "renderer": renderer,
        "payload": payload,
    }
    session = db.session()
    session.connection()  # the transaction has begun, so its end, commit or not, is seen
    session.info.setdefault(QUEUED, []).append(row)


QUEUED = "outbox.queued"
# Built once; the columns left out take their defaults (pending, no attempt, not yet written).
QUEUE_DESCRIBED = sa.insert(OutboxMessage)


def write_queued(session: Session, *_: Any) -> None:
    """Write the messages queued in the session's transaction, all in one INSERT."""
    queued = session.info.pop(QUEUED, None)
    if queued:
        # Not flushed first, as ``execute_write`` would: the rows refer to nothing pending,
        # and a statement loading during a flush may be what calls this.
        mark_changed(session)
        session.connection().execute(QUEUE_DESCRIBED, queued)


def _write_before_statement(state: ORMExecuteState) -> None:
    write_queued(state.session)


def _forget_queued(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint within it
        session.info.pop(QUEUED, None)


def listen_for_queued() -> None:
    """Write queued messages before every ORM statement and at the commit; drop them after."""
    if event.contains(BindableSession, "before_commit", write_queued):
        return
    # First in line at the commit, so the data version counts the messages too.
    event.listen(BindableSession, "before_commit", write_queued, insert=True)
    event.listen(BindableSession, "do_orm_execute", _write_before_statement, insert=True)
    event.listen(BindableSession, "after_transaction_end", _forget_queued)


def render_message(message: OutboxMessage) -> None:
    """Write the subject and bodies of a message queued by description (no commit)."""
    if not message.needs_rendering:
        return
    renderer = renderers().get(message.renderer or "")
    if renderer is None:
        raise UnknownRenderer(f"no renderer named {message.renderer!r}")
    rendered = renderer(dict(message.payload or {}))
    method = rendered.calendar[0] if rendered.calendar else None
    if method != message.calendar_method:
        raise ValueError(f"renderer wrote METHOD {method}, queued as {message.calendar_method}")
    message.subject = rendered.subject[:255]
    message.text_body = rendered.text_body
    message.html_body = rendered.html_body
    message.calendar_body = rendered.calendar[1] if rendered.calendar else None


def render_pending() -> int:
    """Render every message still waiting for its bodies, in this transaction (no sending).

    What the worker does before sending; tests and tools that read bodies call it.
    """
    db.session.flush()
    waiting = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.text_body.is_(None), OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.id)
    ).all()
    for message in waiting:
        try:
            render_message(message)
        except NoLongerNeeded as reason:
            cancel_message(message, reason)
    db.session.flush()
    return len(waiting)


def cancel_message(message: OutboxMessage, reason: NoLongerNeeded) -> None:
    """Keep a message that will never be sent, with why, until retention removes it."""
    message.status = OutboxStatus.CANCELLED
    message.last_error = f"No longer needed: {reason}"[:500]
    log.info("mail %s cancelled (%s): %s", message.id, message.renderer, reason)


# --- building the MIME message -------------------------------------------------------------


def build_mime(message: OutboxMessage) -> EmailMessage:
    """Build the email: text and HTML alternatives, plus an iTIP part and .ics when present."""
    config = current_app.config
    mime = EmailMessage()
    mime["From"] = formataddr((config["COLLEGE_NAME"], config["MAIL_DEFAULT_SENDER"]))
    mime["To"] = message.recipient
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(message.created_at)
    mime["Message-ID"] = f"<outbox-{message.id}@{config['COLLEGE_DOMAIN']}>"
    mime["Auto-Submitted"] = "auto-generated"
    if message.text_body is None:
        raise ValueError(f"message {message.id} has not been rendered yet")
    mime.set_content(message.text_body, charset="utf-8")
    if message.html_body:
        mime.add_alternative(message.html_body, subtype="html", charset="utf-8")
    if message.calendar_body and message.calendar_method:
        _add_calendar_parts(mime, message.calendar_method, message.calendar_body)
    return mime


def _add_calendar_parts(mime: EmailMessage, method: str, body: str) -> None:
    # Flask-Mail's alternatives cannot carry the method= parameter that iMIP needs,
    # so the calendar part is built here by hand.
    if not mime.is_multipart():
        mime.make_alternative()
    calendar_part = EmailMessage()
    calendar_part.set_content(
        body.encode("utf-8"),
        maintype="text",
        subtype="calendar",
        params={"method": method, "charset": "UTF-8"},
        cte="base64",
    )
    del calendar_part["MIME-Version"]
    mime.attach(calendar_part)
    mime.make_mixed()
    mime.add_attachment(
        body.encode("utf-8"),
        maintype="application",
        subtype="ics",
        filename="invite.ics",
        params={"method": method},
    )


class _PreparedMessage(flask_mail.Message):
    """A Flask-Mail message whose MIME body was built by ``build_mime``."""

    def __init__(self, mime: EmailMessage, recipient: str, sender: str) -> None:
        super().__init__(subject=str(mime["Subject"]), recipients=[recipient], sender=sender)
        self._mime = mime

    def _message(self) -> Any:
        # SMTP wants CRLF line ends; strict servers refuse a message with bare LFs.
        self._mime.policy = policy.SMTP
        return self._mime

    def as_bytes(self) -> bytes:
        # smtplib sends bytes as they are; SMTP needs CRLF line ends (RFC 5321 2.3.8).
        return self._mime.as_bytes(policy=SMTP_POLICY)


# --- transports ----------------------------------------------------------------------------


class Transport(Protocol):
    def __enter__(self) -> Transport: ...
    def __exit__(self, *exc: object) -> None: ...
    def send(self, message: OutboxMessage) -> None: ...


class FileTransport:
    """Write each message as an .eml file, so a newcomer can open the mail in any client."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def __enter__(self) -> FileTransport:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, message: OutboxMessage) -> None:
        stamp = message.created_at.strftime("%Y%m%d-%H%M%S")
        path = self.directory / f"{stamp}-{message.id:06d}.eml"
        path.write_bytes(build_mime(message).as_bytes())


class SmtpTransport:
    """Send through Flask-Mail over SMTP, one connection per batch."""

    def __init__(self) -> None:
        self.connection: flask_mail.Connection | None = None

    def __enter__(self) -> SmtpTransport:
        socket.setdefaulttimeout(current_app.config["MAIL_TIMEOUT"])
        self.connection = mail.connect().__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.connection is not None and self.connection.host is not None:
            try:
                self.connection.host.quit()
            except (smtplib.SMTPException, OSError):
                log.warning("SMTP connection did not close cleanly")

    def send(self, message: OutboxMessage) -> None:
        assert self.connection is not None  # noqa: S101 - set in __enter__
        sender = current_app.config["MAIL_DEFAULT_SENDER"]
        self.connection.send(_PreparedMessage(build_mime(message), message.recipient, sender))


def make_transport() -> Transport:
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "smtp":
        return SmtpTransport()
    if backend == "files":
        return FileTransport(current_app.config["MAIL_FILE_DIR"])
    raise RuntimeError(f"Unknown MAIL_BACKEND {backend!r}; use 'files' or 'smtp'.")


# --- delivery ------------------------------------------------------------------------------


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
    db.session.commit()
    return changed_rows(result) == 1


def backoff_delay(attempts: int) -> timedelta:
    base = timedelta(seconds=current_app.config["MAIL_RETRY_BASE_SECONDS"])
    return min(base * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _record_failure(message: OutboxMessage, error: Exception, now: datetime) -> bool:
    """Schedule a retry, or give up after the last attempt; return True when given up."""
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    if message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        message.status = OutboxStatus.FAILED
        return True
    message.next_attempt_at = now + backoff_delay(message.attempts)
    return False


def deliver_due(now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """Send every message that is due; commits per message (this is a worker boundary)."""
    now = now or now_utc()
    report = DeliveryReport()
    ids = _due_ids(now, limit)
    if not ids:
        return report
    claimed = [message_id for message_id in ids if _claim(message_id, now)]
    if not claimed:
        return report
    try:
        transport = make_transport().__enter__()
    except (smtplib.SMTPException, OSError) as error:
        for message_id in claimed:
            message = db.session.get_one(OutboxMessage, message_id)
            if _record_failure(message, error, now):
                report.failed += 1
            else:
                report.retrying += 1
        db.session.commit()
        log.warning("mail server unavailable; %s messages will be retried", len(claimed))
        return report
    try:
        for message_id in claimed:
            _deliver_one(transport, message_id, now, report)
    finally:
        transport.__exit__(None, None, None)
    return report


def _deliver_one(
    transport: Transport, message_id: int, now: datetime, report: DeliveryReport
) -> None:
    message = db.session.get_one(OutboxMessage, message_id)
    if message.needs_rendering and not _render_claimed(message, now, report):
        return
    try:
        transport.send(message)
    except (smtplib.SMTPException, OSError, flask_mail.BadHeaderError) as error:
        if _record_failure(message, error, now):
            report.failed += 1
            log.error("mail %s failed for good after %s attempts", message.id, message.attempts)
        else:
            report.retrying += 1
    else:
        message.status = OutboxStatus.SENT
        message.sent_at = now_utc()
        message.attempts += 1
        message.last_error = None
        report.sent += 1
    db.session.commit()


def _render_claimed(message: OutboxMessage, now: datetime, report: DeliveryReport) -> bool:
    """Write a claimed message's bodies; a renderer's error is a failed attempt."""
    message_id = message.id
    try:
        render_message(message)
    except Exception as error:
        # The claim was committed, so undoing the renderer's work keeps the lease.
        db.session.rollback()
        message = db.session.get_one(OutboxMessage, message_id)
        if isinstance(error, NoLongerNeeded):
            cancel_message(message, error)
            report.cancelled += 1
            db.session.commit()
            return False
        if isinstance(error, Undeliverable):
            message.attempts += 1
            message.last_error = f"Undeliverable: {error}"[:500]
            message.status = OutboxStatus.FAILED
            gave_up = True
        else:
            gave_up = _record_failure(message, error, now)
        if gave_up:
            report.failed += 1
        else:
            report.retrying += 1
        log.exception("mail %s could not be rendered (%s)", message_id, message.renderer)
        db.session.commit()
        return False
    return True


def retry_message(message: OutboxMessage) -> None:
    """Put a failed message back in the queue (an admin's decision)."""
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = now_utc()
    message.attempts = 0


def failing_messages(limit: int = 200) -> list[OutboxMessage]:
    """Messages that failed for good or are retrying after an error, newest first."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(
                sa.or_(
                    OutboxMessage.status == OutboxStatus.FAILED,
                    sa.and_(
                        OutboxMessage.status == OutboxStatus.PENDING,
                        OutboxMessage.last_error.is_not(None),
                    ),
                )
            )
            .order_by(OutboxMessage.created_at.desc())
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
