"""The outbox with the file backend and the worker command."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from college import outbox
from college.extensions import db
from college.models import OutboxMessage, OutboxStatus


def test_enqueue_then_deliver_writes_an_eml_file(app: Flask):
    outbox.enqueue("someone@example.org", "Hej æøå", "Plain body", "<p>Html body</p>")
    report = outbox.deliver_due()
    assert report.sent == 1
    files = list(Path(app.config["MAIL_FILE_DIR"]).glob("*.eml"))
    parsed = [message_from_bytes(f.read_bytes(), policy=default) for f in files]
    mine = [m for m in parsed if m["Subject"] == "Hej æøå"]
    assert len(mine) >= 1
    assert mine[-1]["To"] == "someone@example.org"
    assert "Plain body" in mine[-1].get_body(("plain",)).get_content()
    message = db.session.scalar(sa.select(OutboxMessage))
    assert message.status == OutboxStatus.SENT
    assert outbox.deliver_due().sent == 0


def test_nothing_is_queued_when_the_cause_rolls_back(app: Flask):
    outbox.enqueue("someone@example.org", "Subject", "Body")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_deliver_mail_command_once(runner):
    outbox.enqueue("someone@example.org", "Subject", "Body")
    result = runner.invoke(args=["college", "deliver-mail", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output


def test_backoff_grows_and_is_capped(app: Flask):
    delays = [outbox.backoff_delay(n).total_seconds() for n in range(1, 12)]
    assert delays[:3] == [60, 120, 240]
    assert max(delays) == 6 * 3600
