"""Read calendar invitations as mail clients receive them, for the invitation tests."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import sqlalchemy as sa

from college.extensions import db
from college.models import OutboxMessage
from college.outbox import mime, queueing
from tests.calendar_checks import ParsedCalendar, ParsedEvent, check_calendars


@dataclass(frozen=True)
class Invite:
    recipient: str
    subject: str
    method: str
    event: ParsedEvent  # the master (or, in a CANCEL of single weeks, the first week)
    text: str
    mime: EmailMessage
    calendar: ParsedCalendar
    ics: bytes

    @property
    def events(self) -> list[ParsedEvent]:
        return self.calendar.events

    @property
    def overrides(self) -> list[ParsedEvent]:
        return [e for e in self.calendar.events if e.recurrence_id is not None]


def _calendar_part(mime: EmailMessage) -> EmailMessage | None:
    parts = [p for p in mime.walk() if p.get_content_type() == "text/calendar"]
    if not parts:
        return None
    (part,) = parts
    return part  # type: ignore[return-value]


def _read_invite(mime: EmailMessage, part: EmailMessage, parsed: ParsedCalendar) -> Invite:
    """Check one email's iMIP structure against its parsed calendar."""
    assert mime.get_content_type() == "multipart/mixed"
    alternative = next(
        p for p in mime.iter_parts() if p.get_content_type() == "multipart/alternative"
    )
    kinds = [p.get_content_type() for p in alternative.iter_parts()]
    assert kinds == ["text/plain", "text/html", "text/calendar"], kinds
    assert part.get_param("charset").upper() == "UTF-8"
    body = part.get_payload(decode=True)
    assert part.get_param("method") == parsed.method, "MIME method= must equal METHOD"
    attachments = [p for p in mime.iter_attachments() if p.get_filename() == "invite.ics"]
    assert len(attachments) == 1 and attachments[0].get_payload(decode=True) == body
    assert "X-WR-CALNAME" not in parsed.properties
    assert len({e.uid for e in parsed.events}) == 1, "an invitation carries one UID"
    masters = [e for e in parsed.events if e.recurrence_id is None]
    assert len(masters) <= 1
    for event in parsed.events:
        assert len(event.attendees) == 1, "an invitation lists only its participant"
        assert event.attendees[0] == f"mailto:{mime['To']}"
        if parsed.method == "CANCEL":
            assert event.status == "CANCELLED"
    assert len({e.sequence for e in parsed.events}) == 1
    text = mime.get_body(("plain",)).get_content()
    event = (masters or parsed.events)[0]
    return Invite(
        str(mime["To"]),
        str(mime["Subject"]).strip(),
        str(parsed.method),
        event,
        text,
        mime,
        parsed,
        body,
    )


def read_invites(messages: list[EmailMessage]) -> list[Invite]:
    """The calendar invitations among received emails, each checked and parsed."""
    found = [(m, p) for m in messages if (p := _calendar_part(m)) is not None]
    parsed = check_calendars([p.get_payload(decode=True) for _m, p in found])
    return [_read_invite(m, p, c) for (m, p), c in zip(found, parsed, strict=True)]


def queued_invites(after_id: int = 0) -> list[Invite]:
    """Every queued calendar message, built as the mail worker would build it."""
    queueing.render_pending()
    messages = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.id > after_id).order_by(OutboxMessage.id)
    )
    return read_invites(
        [
            message_from_bytes(mime.build_mime(m).as_bytes(), policy=default)  # type: ignore[misc]
            for m in messages
        ]
    )


def last_message_id() -> int:
    return db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0


def assert_sequences_rise(invites: list[Invite]) -> None:
    """Per person and UID, every message carries a higher SEQUENCE than the one before."""
    seen: dict[tuple[str, str], list[int]] = defaultdict(list)
    for invite in invites:
        seen[(invite.recipient, invite.event.uid)].append(invite.event.sequence)
    for key, numbers in seen.items():
        assert numbers == sorted(set(numbers)), f"{key}: {numbers}"
