"""Build the email of a message: text and HTML alternatives, and the iMIP calendar parts."""

from __future__ import annotations

from email.errors import MessageError
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from flask import current_app

from college.models import OutboxMessage
from college.text import has_control_character, single_line


class CannotBuild(Exception):
    """The message cannot be made into an email (a header that cannot be built, say)."""


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
