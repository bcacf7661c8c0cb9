"""Replies that calendar apps send anyway: read from the college's mailbox over IMAP.

Invitations ask for no reply (``RSVP=FALSE``), yet Outlook, Gmail and Apple send one when
someone presses Accept or Decline, and the person believes the college now knows. So
``flask college receive-mail`` reads the mailbox (``INBOX_*`` settings; off without a
host), and for each message:

- takes it as an iTIP REPLY only if it is one: a calendar part with ``METHOD:REPLY``, one
  event with a UID, exactly one ATTENDEE, and that attendee's address is the one the
  mail came from and belongs to an active account. Anything else (a forged ATTENDEE, a
  wrong sender, an unknown address or UID, a plain mail) is ignored;
- sends a DECLINED on to the domain packages (``college.signals.calendar_reply_received``):
  the core knows people, not sessions. ACCEPTED and TENTATIVE change nothing;
- remembers the message by a digest of its Message-ID (``ReceivedMail``), so a message is
  acted on once however often it is read, and moves it to ``INBOX_DONE_FOLDER``.

The log says what became of each message and never whom or what it was about.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from enum import StrEnum
from typing import Any

import icalendar
import sqlalchemy as sa
from flask import current_app

from college import signals
from college.extensions import db
from college.models import ReceivedMail, User
from college.transactions import transaction

log = logging.getLogger(__name__)

CALENDAR_TYPES = ("text/calendar", "application/ics")
MAX_MESSAGE_BYTES = 2 * 1024 * 1024
IMAP_PORT, IMAPS_PORT = 143, 993


class Outcome(StrEnum):
    """What became of one message read from the mailbox (stored, and logged)."""

    ACTED_ON = "acted_on"  # a DECLINED that a package acted on
    NOTHING_TO_DO = "nothing_to_do"  # ACCEPTED or TENTATIVE
    NOT_A_REPLY = "not_a_reply"  # no calendar part, or not METHOD:REPLY, or unreadable
    NOT_FROM_ATTENDEE = "not_from_attendee"  # sender and ATTENDEE differ, or not one ATTENDEE
    UNKNOWN_PERSON = "unknown_person"  # no active account with that address
    UNKNOWN_UID = "unknown_uid"  # no package knows the UID for this person
    UNKNOWN_ANSWER = "unknown_answer"  # a PARTSTAT other than the three


@dataclass(frozen=True)
class CalendarReply:
    """A valid reply: who answered which entry (one occurrence, or all), and how."""

    person: User
    uid: str
    recurrence_id: datetime | None
    partstat: str


@dataclass
class ReceiveReport:
    read: int = 0
    seen_before: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


# --- reading one message --------------------------------------------------------------------


def message_key(message: EmailMessage, raw: bytes) -> str:
    """A digest of the Message-ID (of the whole message when it has none)."""
    message_id = str(message.get("Message-ID", "")).strip()
    return hashlib.sha256(message_id.encode() if message_id else raw).hexdigest()


def calendar_text(message: EmailMessage) -> bytes | None:
    """The first calendar part: inline (Outlook, Apple) or attached (Gmail sends both)."""
    for part in message.walk():
        filename = (part.get_filename() or "").lower()
        if part.get_content_type() in CALENDAR_TYPES or filename.endswith(".ics"):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload
    return None


def sender_address(message: EmailMessage) -> str | None:
    """The one address in From, lower-cased; None when there is not exactly one."""
    addresses = [address for _name, address in getaddresses(message.get_all("From", []))]
    if len(addresses) != 1 or "@" not in addresses[0]:
        return None
    return addresses[0].strip().lower()


def parse_reply(message: EmailMessage) -> CalendarReply | Outcome:
    """The reply a message carries, or why it is not one to act on."""
    text = calendar_text(message)
    if text is None:
        return Outcome.NOT_A_REPLY
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError:
        return Outcome.NOT_A_REPLY
    events = calendar.events
    if str(calendar.get("METHOD", "")).upper() != "REPLY" or len(events) != 1:
        return Outcome.NOT_A_REPLY
    event = events[0]
    attendees = event.attendees
    if not event.uid or len(attendees) != 1:
        return Outcome.NOT_FROM_ATTENDEE if event.uid else Outcome.NOT_A_REPLY
    attendee = attendees[0].email.strip().lower()
    if not attendee or attendee != sender_address(message):
        return Outcome.NOT_FROM_ATTENDEE
    person = db.session.scalar(sa.select(User).where(User.email == attendee))
    if person is None or not person.is_active:
        return Outcome.UNKNOWN_PERSON
    partstat = str(attendees[0].params.get("PARTSTAT", "")).upper()
    recurrence = event.get("RECURRENCE-ID")
    recurrence_id = recurrence.dt if recurrence is not None else None
    if recurrence_id is not None and not isinstance(recurrence_id, datetime):
        return Outcome.NOT_A_REPLY
    return CalendarReply(person, str(event.uid), recurrence_id, partstat)


def act_on(reply: CalendarReply) -> Outcome:
    """Pass a DECLINED to the packages that own the entries; nothing else changes anything."""
    if reply.partstat in ("ACCEPTED", "TENTATIVE"):
        return Outcome.NOTHING_TO_DO
    if reply.partstat != "DECLINED":
        return Outcome.UNKNOWN_ANSWER
    answers = signals.calendar_reply_received.send(signals.sender(), reply=reply)
    return Outcome.ACTED_ON if any(result for _receiver, result in answers) else Outcome.UNKNOWN_UID


def handle_message(raw: bytes) -> Outcome | None:
    """Act on one message once; None when it was handled before. The caller commits."""
    message = message_from_bytes(raw[:MAX_MESSAGE_BYTES], policy=policy.default)
    assert isinstance(message, EmailMessage)  # noqa: S101 - the default policy makes one
    key = message_key(message, raw)
    if db.session.scalar(sa.select(ReceivedMail.id).where(ReceivedMail.message_key == key)):
        return None
    parsed = parse_reply(message)
    outcome = parsed if isinstance(parsed, Outcome) else act_on(parsed)
    db.session.add(ReceivedMail(message_key=key, outcome=str(outcome)))
    db.session.flush()
    if outcome != Outcome.ACTED_ON:
        log.info("received mail %s: %s", key[:12], outcome)
    return outcome


# --- the mailbox ----------------------------------------------------------------------------


def mailbox_name(name: str) -> str:
    """A folder name as IMAP wants it, quoted (imaplib sends arguments as they are)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def open_mailbox(config: Any) -> Iterator[imaplib.IMAP4]:
    """Sign in to the configured mailbox (SSL, STARTTLS or plain) and select its folder."""
    host, timeout = config["INBOX_HOST"], config["INBOX_TIMEOUT"]
    context = ssl.create_default_context()
    connection: imaplib.IMAP4
    if config["INBOX_SSL"] and not config["INBOX_STARTTLS"]:
        port = config["INBOX_PORT"] or IMAPS_PORT
        connection = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
    else:
        connection = imaplib.IMAP4(host, config["INBOX_PORT"] or IMAP_PORT, timeout)
        if config["INBOX_STARTTLS"]:
            connection.starttls(ssl_context=context)
    try:
        connection.login(config["INBOX_USERNAME"], config["INBOX_PASSWORD"])
        status, _data = connection.select(mailbox_name(config["INBOX_FOLDER"]))
        if status != "OK":
            raise imaplib.IMAP4.error("the inbox folder cannot be opened")
        yield connection
    finally:
        with suppress(imaplib.IMAP4.error, OSError):
            connection.logout()


def move_to(connection: imaplib.IMAP4, uid: bytes, folder: str) -> None:
    """Move one message (MOVE where the server has it, else copy and delete)."""
    capabilities = connection.capabilities
    if "MOVE" in capabilities:
        connection.uid("MOVE", uid.decode(), mailbox_name(folder))
        return
    status, _data = connection.uid("COPY", uid.decode(), mailbox_name(folder))
    if status == "OK":
        connection.uid("STORE", uid.decode(), "+FLAGS", "(\\Deleted)")
        connection.expunge()


def fetch(connection: imaplib.IMAP4, uid: bytes) -> bytes | None:
    status, data = connection.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and isinstance(item[1], bytes):
            return item[1]
    return None


def receive_mail() -> ReceiveReport | None:
    """Read the mailbox once, act on each new reply and move what was read; None when off.

    Commits per message (this is a worker boundary): a reply acted on is recorded in the
    same transaction as what it changed, before the message is moved, so a failure after
    the commit only means the message is moved the next time, not acted on twice.
    """
    config = current_app.config
    if not config["INBOX_HOST"]:
        return None
    report = ReceiveReport()
    done = config["INBOX_DONE_FOLDER"]
    with open_mailbox(config) as connection:
        connection.create(mailbox_name(done))  # "already exists" is an answer, not an error
        status, data = connection.uid("SEARCH", "ALL")
        uids = data[0].split() if status == "OK" and data and data[0] else []
        for uid in uids:
            raw = fetch(connection, uid)
            if raw is None:
                continue
            report.read += 1
            try:
                with transaction(writes=True):
                    outcome = handle_message(raw)
            except Exception:
                # Left in the inbox for the next round; the log names no one.
                log.exception("received mail could not be handled; it stays in the inbox")
                continue
            if outcome is None:
                report.seen_before += 1
            else:
                report.count(outcome)
            move_to(connection, uid, done)
    return report
