"""The outbox against a real SMTP server on loopback: arrival, outages, retries, failures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from bench.run import free_port
from college.account_mail import queue_account_mail
from college.db import now_utc
from college.extensions import db
from college.models import MailFailure, OutboxMessage, OutboxStatus
from college.outbox import delivery, queueing
from tests import factories


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=default)  # type: ignore[attr-defined]
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.envelopes.append(list(envelope.rcpt_tos))  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        return sorted(str(m["Subject"]) for m in self.messages)


class SmtpServer:
    """A real SMTP server on a fixed loopback port that can be stopped and started again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self, *, smtputf8: bool = False) -> None:
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=smtputf8
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)
    # Flask-Mail reads its settings once, and suppresses sending while TESTING.
    state = app.extensions["mail"]
    monkeypatch.setattr(state, "server", "127.0.0.1")
    monkeypatch.setattr(state, "port", server.port)
    monkeypatch.setattr(state, "suppress", False)
    yield server
    server.stop()


def queue(count: int) -> list[int]:
    messages = [
        queueing.enqueue(f"p{n}@example.org", f"Message {n}", f"Body {n}") for n in range(count)
    ]
    db.session.flush()
    return [message.id for message in messages]


def statuses() -> list[str]:
    return list(db.session.scalars(sa.select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_messages_arrive_on_a_real_smtp_server(app: Flask, smtp: SmtpServer):
    smtp.start()
    user = factories.make_student(language="da", name="Åse Ærø")
    queue_account_mail(user, "welcome")  # written by the worker as it sends
    report = delivery.deliver_due()
    assert report.sent == 1
    (received,) = smtp.inbox.messages
    assert received["To"] == user.email
    assert received["Subject"] == f"Velkommen til {app.config['COLLEGE_NAME']}"
    assert "Åse Ærø" in received.get_body(("plain",)).get_content()
    assert statuses() == [OutboxStatus.SENT]


def test_a_server_that_is_down_then_back_gets_every_message_exactly_once(smtp: SmtpServer):
    queue(5)
    down = delivery.deliver_due()
    assert (down.sent, down.retrying, down.failed) == (0, 5, 0)
    rows = db.session.scalars(sa.select(OutboxMessage)).all()
    assert all(r.attempts == 1 and r.last_error for r in rows)
    # Nothing is due again before the backoff has passed, even with the server back.
    smtp.start()
    assert delivery.deliver_due().sent == 0
    later = now_utc() + timedelta(minutes=2)
    assert delivery.deliver_due(now=later).sent == 5
    assert delivery.deliver_due(now=later + timedelta(hours=1)).sent == 0
    assert smtp.inbox.subjects() == [f"Message {n}" for n in range(5)]
    assert statuses() == [OutboxStatus.SENT] * 5


def test_a_server_that_stays_down_marks_mail_failed_for_admins(
    smtp: SmtpServer, app: Flask, monkeypatch: pytest.MonkeyPatch, client, auth
):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    queue(1)
    moment = now_utc()
    reports = []
    for _ in range(3):
        reports.append(delivery.deliver_due(now=moment))
        moment += timedelta(hours=7)
    assert [(r.retrying, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    assert statuses() == [OutboxStatus.FAILED]
    admin = factories.make_admin()
    db.session.commit()
    auth.login(admin)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "p0@example.org" in page
    assert "ConnectionRefusedError" in page


def test_a_refused_recipient_is_retried_and_then_delivered(smtp: SmtpServer):
    smtp.start()
    refusals = {"left": 1}
    original = smtp.inbox.handle_DATA

    async def refuse_once(server: object, session: object, envelope: object) -> str:
        if refusals["left"]:
            refusals["left"] -= 1
            return "451 Try again later"
        return await original(server, session, envelope)

    smtp.inbox.handle_DATA = refuse_once  # type: ignore[method-assign]
    queue(1)
    assert delivery.deliver_due().retrying == 1
    assert delivery.deliver_due(now=now_utc() + timedelta(minutes=5)).sent == 1
    assert len(smtp.inbox.messages) == 1


# --- one bad message never stops the others -------------------------------------------------


def queue_between_two_good(recipient: str, subject: str = "Poison") -> list[int]:
    messages = [
        queueing.enqueue("first@example.org", "Good 1", "Body"),
        queueing.enqueue(recipient, subject, "Body"),
        queueing.enqueue("last@example.org", "Good 2", "Body"),
    ]
    db.session.commit()
    return [message.id for message in messages]


def outcome(message_id: int) -> tuple[str, str | None, int]:
    message = db.session.get_one(OutboxMessage, message_id)
    db.session.refresh(message)
    return message.status, message.failure, message.attempts


def test_a_non_ascii_mailbox_without_smtputf8_fails_at_once_and_the_others_arrive(
    smtp: SmtpServer,
):
    smtp.start(smtputf8=False)
    first, poison, last = queue_between_two_good("jøns@example.dk")
    report = delivery.deliver_due()
    assert (report.sent, report.failed, report.retrying) == (2, 1, 0)
    assert smtp.inbox.subjects() == ["Good 1", "Good 2"]
    assert outcome(first)[0] == outcome(last)[0] == OutboxStatus.SENT
    assert outcome(poison) == (OutboxStatus.FAILED, MailFailure.ADDRESS_UNSENDABLE, 1)


def test_a_non_ascii_mailbox_is_sent_with_smtputf8_when_the_server_offers_it(smtp: SmtpServer):
    smtp.start(smtputf8=True)
    _first, poison, _last = queue_between_two_good("jøns@example.dk", "Til Jøns")
    report = delivery.deliver_due()
    assert (report.sent, report.failed) == (3, 0)
    assert outcome(poison)[0] == OutboxStatus.SENT
    assert ["jøns@example.dk"] in smtp.inbox.envelopes
    received = next(m for m in smtp.inbox.messages if str(m["Subject"]) == "Til Jøns")
    assert str(received["To"]) == "jøns@example.dk"


def test_a_domain_beyond_ascii_travels_in_its_idna_form(smtp: SmtpServer):
    smtp.start(smtputf8=False)
    queueing.enqueue("ole@blåbær.dk", "Hej", "Body")
    db.session.commit()
    assert delivery.deliver_due().sent == 1
    assert smtp.inbox.envelopes == [["ole@xn--blbr-roah.dk"]]


@pytest.mark.parametrize(
    "recipient",
    ["someone@example.org\nBcc: everyone@example.org", "bell\x07@example.org"],
)
def test_a_message_that_cannot_be_built_fails_at_once_between_two_good_ones(
    smtp: SmtpServer, recipient: str
):
    smtp.start()
    _first, poison, _last = queue_between_two_good(recipient)
    report = delivery.deliver_due()
    assert (report.sent, report.failed) == (2, 1)
    assert smtp.inbox.subjects() == ["Good 1", "Good 2"]
    status, failure, attempts = outcome(poison)
    assert (status, attempts) == (OutboxStatus.FAILED, 1)
    assert failure in (MailFailure.CANNOT_BUILD, MailFailure.ADDRESS_UNSENDABLE)


def test_a_subject_with_a_line_break_is_sent_on_one_line(smtp: SmtpServer):
    smtp.start()
    queueing.enqueue("p@example.org", "Angst\nog depression\r", "Body")
    db.session.commit()
    assert delivery.deliver_due().sent == 1
    assert smtp.inbox.subjects() == ["Angst og depression"]


def test_a_permanently_refused_address_fails_at_once(smtp: SmtpServer):
    smtp.start()

    async def refuse(
        server: object, session: object, envelope: object, address: str, options: object
    ) -> str:
        if address.startswith("gone"):
            return "550 No such user"
        envelope.rcpt_tos.append(address)  # type: ignore[attr-defined]
        return "250 OK"

    smtp.inbox.handle_RCPT = refuse  # type: ignore[attr-defined]
    _first, poison, _last = queue_between_two_good("gone@example.org")
    assert delivery.deliver_due().sent == 2
    assert outcome(poison) == (OutboxStatus.FAILED, MailFailure.ADDRESS_REFUSED, 1)


def test_anything_a_transport_raises_is_recorded_and_the_worker_goes_on(
    app: Flask, monkeypatch: pytest.MonkeyPatch
):
    sent: list[str] = []

    class Exploding:
        def __enter__(self) -> Exploding:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def send(self, message: OutboxMessage) -> None:
            if message.subject == "Poison":
                raise KeyError("something no one foresaw")
            sent.append(message.subject)

    monkeypatch.setattr(delivery, "make_transport", Exploding)
    _first, poison, _last = queue_between_two_good("p@example.org")
    report = delivery.deliver_due()
    assert (report.sent, report.retrying) == (2, 1)
    assert sent == ["Good 1", "Good 2"]
    assert outcome(poison) == (OutboxStatus.PENDING, MailFailure.UNEXPECTED, 1)


def test_the_mail_page_says_what_went_wrong_in_plain_words_and_retries_all(
    smtp: SmtpServer, client, auth
):
    smtp.start(smtputf8=False)
    _first, poison, _last = queue_between_two_good("jøns@example.dk")
    user = factories.make_student(language="da")
    queue_account_mail(user, "welcome")
    db.session.commit()
    smtp.stop()
    delivery.deliver_due()  # the welcome meets a server that is down; the poison is never tried
    smtp.start(smtputf8=False)
    delivery.deliver_due(now=now_utc() + timedelta(hours=7))
    admin = factories.make_admin(language="en")
    db.session.commit()
    auth.login(admin)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "jøns@example.dk" in page
    assert "cannot send to" in page  # the plain reason
    assert "<details><summary>Technical details</summary>" in page
    assert "1 message could not be delivered." in page
    assert "All mail has been delivered" not in page
    response = client.post("/admin/mail/retry", data={"which": "all"})
    assert response.status_code == 302
    assert outcome(poison)[0] == OutboxStatus.PENDING
    assert "1 message will be sent again shortly." in client.get("/admin/mail").get_data(
        as_text=True
    )


def test_the_mail_page_names_a_message_in_the_admins_language_and_counts_agree(
    smtp: SmtpServer, client, auth
):
    student = factories.make_student(language="da")
    queue_account_mail(student, "welcome")
    queueing.enqueue("waiting@example.org", "Not yet due", "Body").next_attempt_at = now_utc() + (
        timedelta(hours=1)
    )
    db.session.commit()
    delivery.deliver_due()  # the server is down: the welcome is retried, never written
    admin = factories.make_admin(language="en")
    db.session.commit()
    auth.login(admin)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "Welcome to Recovery College" in page  # not the college's own note, not Danish
    assert "Account " not in page
    assert "1 message is being tried again after an error." in page
    assert "1 message is waiting to be sent." in page
    assert "All mail has been delivered" not in page


def test_the_mail_page_says_all_is_delivered_only_when_nothing_waits(client, auth):
    admin = factories.make_admin(language="en")
    db.session.commit()
    auth.login(admin)
    assert "All mail has been delivered." in client.get("/admin/mail").get_data(as_text=True)
    queueing.enqueue("waiting@example.org", "Soon", "Body")
    db.session.commit()
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "All mail has been delivered." not in page
    assert "No mail has failed." in page
