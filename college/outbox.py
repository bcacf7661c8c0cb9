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
from email.errors import MessageError
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.policy import SMTPUTF8 as SMTPUTF8_POLICY
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any, Protocol

import flask_mail
import sqlalchemy as sa
from flask import Flask, current_app, render_template
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from college.data_version import mark_changed
from college.db import changed_rows, now_utc
from college.extensions import BindableSession, db, mail
from college.languages import force_language
from college.models import MailFailure, OutboxMessage, OutboxStatus, User
from college.text import has_control_character, single_line

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
        # Not flushed first: the rows refer to nothing pending,
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
    """Write the subject and bodies of a message queued by description (no commit).

    A calendar part added to the message while it waited (see ``register_mail_preparer``)
    is kept when the renderer writes none of its own.
    """
    if not message.needs_rendering:
        return
    renderer = renderers().get(message.renderer or "")
    if renderer is None:
        raise UnknownRenderer(f"no renderer named {message.renderer!r}")
    rendered = renderer(dict(message.payload or {}))
    if rendered.calendar is not None or message.calendar_body is None:
        method = rendered.calendar[0] if rendered.calendar else None
        if method != message.calendar_method:
            raise ValueError(f"renderer wrote METHOD {method}, queued as {message.calendar_method}")
        message.calendar_body = rendered.calendar[1] if rendered.calendar else None
    message.subject = rendered.subject[:255]
    message.text_body = rendered.text_body
    message.html_body = rendered.html_body


# --- preparing mail before it is written --------------------------------------------------------


def mail_preparers(app: Flask | None = None) -> list[Callable[[], object]]:
    target = app or current_app
    return target.extensions.setdefault("college.mail_preparers", [])


def register_mail_preparer(app: Flask, preparer: Callable[[], object]) -> None:
    """Run ``preparer()`` before the worker writes and sends mail, in the same transaction.

    A domain package queues there the mail that the data asks for (calendar updates), or
    adds to messages still waiting to be written; it flushes, never commits.
    """
    mail_preparers(app).append(preparer)


def prepare_mail() -> None:
    for preparer in mail_preparers():
        preparer()


def render_pending() -> int:
    """Render every message still waiting for its bodies, in this transaction (no sending).

    What the worker does before sending; tests and tools that read bodies call it.
    """
    prepare_mail()
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


class CannotBuild(Exception):
    """The message cannot be made into an email (a header that cannot be built, say)."""


class AddressNotSendable(Exception):
    """The recipient's address cannot be carried by the mail server (no SMTPUTF8)."""


def build_mime(message: OutboxMessage) -> EmailMessage:
    """Build the email: text and HTML alternatives, plus an iTIP part and .ics when present.

    Whatever stops a message from being built raises ``CannotBuild``: a retry would build
    the same thing, so the worker gives it up at once.
    """
    if message.text_body is None:
        raise ValueError(f"message {message.id} has not been rendered yet")
    try:
        return _build_mime(message, message.text_body)
    except (ValueError, TypeError, UnicodeError, MessageError) as error:
        raise CannotBuild(f"{type(error).__name__}: {error}") from error


def _build_mime(message: OutboxMessage, text_body: str) -> EmailMessage:
    config = current_app.config
    if has_control_character(message.recipient):
        raise ValueError("the address holds a control character")
    mime = EmailMessage()
    mime["From"] = formataddr((config["COLLEGE_NAME"], config["MAIL_DEFAULT_SENDER"]))
    mime["To"] = message.recipient
    # A subject is one line; the forms clean titles, and this keeps an older one sendable.
    mime["Subject"] = single_line(message.subject)
    mime["Date"] = format_datetime(message.created_at)
    mime["Message-ID"] = f"<outbox-{message.id}@{config['COLLEGE_DOMAIN']}>"
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(text_body, charset="utf-8")
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
        # A file can hold any address, so it is written as a SMTPUTF8 server would receive it.
        path.write_bytes(build_mime(message).as_bytes(policy=SMTPUTF8_POLICY))


def needs_smtputf8(address: str) -> bool:
    """Whether the mailbox name (before the @) has letters beyond ASCII."""
    return not address.rpartition("@")[0].isascii()


def wire_address(address: str) -> str:
    """The address as SMTP carries it: a domain with letters beyond ASCII in its IDNA form."""
    local, _at, domain = address.rpartition("@")
    if domain.isascii():
        return address
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError as error:
        raise AddressNotSendable(f"the domain cannot be written for SMTP: {error}") from error


class SmtpTransport:
    """Send over SMTP with Flask-Mail's connection settings, one connection per batch.

    An address with letters beyond ASCII (``jøns@example.dk``) is sent with SMTPUTF8 when
    the server offers it, and given up at once when it does not: no retry would help.
    """

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
        assert self.connection is not None and self.connection.host is not None  # noqa: S101
        host = self.connection.host
        sender = current_app.config["MAIL_DEFAULT_SENDER"]
        recipient = wire_address(message.recipient)
        mime = build_mime(message)
        options: list[str] = []
        wire_policy = SMTP_POLICY
        if needs_smtputf8(recipient) or needs_smtputf8(sender):
            host.ehlo_or_helo_if_needed()
            if not host.has_extn("smtputf8"):
                raise AddressNotSendable("the mail server does not offer SMTPUTF8")
            options, wire_policy = ["SMTPUTF8"], SMTPUTF8_POLICY
        del mime["To"]
        mime["To"] = recipient
        # Sent past Flask-Mail's own ``send``, which would encode a non-ASCII mailbox name
        # as a MIME word and so change the address. SMTP wants CRLF line ends.
        try:
            host.sendmail(sender, [recipient], mime.as_bytes(policy=wire_policy), options)
        except Exception:
            self._reset(host)
            raise

    @staticmethod
    def _reset(host: smtplib.SMTP) -> None:
        """Leave the connection ready for the next message after this one failed midway."""
        try:
            host.rset()
        except (smtplib.SMTPException, OSError):
            log.info("SMTP reset after a failed message did not answer")


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
    """Send every message that is due; commits per message (this is a worker boundary).

    Each message is written, built and sent on its own: whatever one message does is
    recorded on it, and the worker goes on with the next. First the mail the data asks
    for is prepared (``register_mail_preparer``) and committed, so that it is due too.
    """
    try:
        prepare_mail()
        db.session.commit()
    except Exception:
        # Mail already queued still goes out; the next round prepares again.
        db.session.rollback()
        log.exception("mail could not be prepared this round")
    now = now or now_utc()  # after preparing, so that what was just written is due
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
            _count(report, _record_failure(message, error, now))
        db.session.commit()
        log.warning("mail server unavailable; %s messages will be retried", len(claimed))
        return report
    try:
        for message_id in claimed:
            try:
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
    db.session.rollback()
    try:
        message = db.session.get_one(OutboxMessage, message_id)
        _count(report, _record_failure(message, error, now, MailFailure.UNEXPECTED, False))
        db.session.commit()
    except Exception:
        db.session.rollback()
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
            gave_up = _record_failure(message, error, now)
            message.last_error = f"Undeliverable: {error}"[:500]
        else:
            gave_up = _record_failure(message, error, now, MailFailure.CANNOT_WRITE)
        _count(report, gave_up)
        log.exception("mail %s could not be rendered (%s)", message_id, message.renderer)
        db.session.commit()
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


# --- what an admin is told about a message -----------------------------------------------------

Describer = Callable[[dict[str, Any]], str]


def describers(app: Flask | None = None) -> dict[str, Describer]:
    target = app or current_app
    return target.extensions.setdefault("college.outbox_describers", {})


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
