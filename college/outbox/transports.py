"""Where messages go: ``.eml`` files for a newcomer, or an SMTP server."""

from __future__ import annotations

import logging
import smtplib
import socket
from email.policy import SMTP as SMTP_POLICY
from email.policy import SMTPUTF8 as SMTPUTF8_POLICY
from pathlib import Path
from typing import Protocol

import flask_mail
from flask import current_app

from college.extensions import mail
from college.models import OutboxMessage
from college.outbox.mime import build_mime

log = logging.getLogger(__name__)


class AddressNotSendable(Exception):
    """The recipient's address cannot be carried by the mail server (no SMTPUTF8)."""


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
