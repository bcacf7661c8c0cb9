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
from college import outbox
from college.account_mail import queue_account_mail
from college.db import now_utc
from college.extensions import db
from college.models import OutboxMessage, OutboxStatus
from tests import factories


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=default)  # type: ignore[attr-defined]
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        return sorted(str(m["Subject"]) for m in self.messages)


class SmtpServer:
    """A real SMTP server on a fixed loopback port that can be stopped and started again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
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
    ids = [
        outbox.enqueue(f"p{n}@example.org", f"Message {n}", f"Body {n}").id for n in range(count)
    ]
    db.session.flush()
    return ids


def statuses() -> list[str]:
    return list(db.session.scalars(sa.select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_messages_arrive_on_a_real_smtp_server(app: Flask, smtp: SmtpServer):
    smtp.start()
    user = factories.make_student(language="da", name="Åse Ærø")
    queue_account_mail(user, "welcome")  # written by the worker as it sends
    report = outbox.deliver_due()
    assert report.sent == 1
    (received,) = smtp.inbox.messages
    assert received["To"] == user.email
    assert received["Subject"] == f"Velkommen til {app.config['COLLEGE_NAME']}"
    assert "Åse Ærø" in received.get_body(("plain",)).get_content()
    assert statuses() == [OutboxStatus.SENT]


def test_a_server_that_is_down_then_back_gets_every_message_exactly_once(smtp: SmtpServer):
    queue(5)
    down = outbox.deliver_due()
    assert (down.sent, down.retrying, down.failed) == (0, 5, 0)
    rows = db.session.scalars(sa.select(OutboxMessage)).all()
    assert all(r.attempts == 1 and r.last_error for r in rows)
    # Nothing is due again before the backoff has passed, even with the server back.
    smtp.start()
    assert outbox.deliver_due().sent == 0
    later = now_utc() + timedelta(minutes=2)
    assert outbox.deliver_due(now=later).sent == 5
    assert outbox.deliver_due(now=later + timedelta(hours=1)).sent == 0
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
        reports.append(outbox.deliver_due(now=moment))
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
    assert outbox.deliver_due().retrying == 1
    assert outbox.deliver_due(now=now_utc() + timedelta(minutes=5)).sent == 1
    assert len(smtp.inbox.messages) == 1
