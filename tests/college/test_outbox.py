"""The outbox with the file backend and the worker command."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from college import page_cache
from college.db import now_utc
from college.extensions import db
from college.models import DataVersion, OutboxMessage, OutboxStatus
from college.outbox import delivery, queueing


def test_enqueue_then_deliver_writes_an_eml_file(app: Flask):
    queueing.enqueue("someone@example.org", "Hej æøå", "Plain body", "<p>Html body</p>")
    report = delivery.deliver_due()
    assert report.sent == 1
    files = list(Path(app.config["MAIL_FILE_DIR"]).glob("*.eml"))
    parsed = [message_from_bytes(f.read_bytes(), policy=default) for f in files]
    mine = [m for m in parsed if m["Subject"] == "Hej æøå"]
    assert len(mine) >= 1
    assert mine[-1]["To"] == "someone@example.org"
    assert "Plain body" in mine[-1].get_body(("plain",)).get_content()
    message = db.session.scalar(sa.select(OutboxMessage))
    assert message.status == OutboxStatus.SENT
    assert delivery.deliver_due().sent == 0


def test_nothing_is_queued_when_the_cause_rolls_back(app: Flask):
    queueing.enqueue("someone@example.org", "Subject", "Body")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def queue_described(recipient: str) -> None:
    queueing.enqueue_described(recipient, "tests.unused", {"n": 1}, summary=f"For {recipient}")


def described_recipients() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.recipient)
            .where(OutboxMessage.renderer == "tests.unused")
            .order_by(OutboxMessage.id)
        )
    )


def test_messages_queued_by_description_are_written_with_the_change_in_one_batch(
    app: Flask, count_queries, engine_name: str
):
    with count_queries() as counter:
        for name in ("a", "b", "c"):
            queue_described(f"{name}@example.org")
        db.session.commit()
    inserts = [s for s in counter.statements if "INSERT INTO outbox_messages" in s]
    # The session batches them; SQLite's driver is sent one row at a time.
    assert len(inserts) == (1 if engine_name == "postgresql" else 3)
    assert described_recipients() == ["a@example.org", "b@example.org", "c@example.org"]


def test_a_message_queued_by_description_is_there_for_the_next_read(app: Flask):
    before = now_utc()
    queue_described("a@example.org")
    (message,) = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.renderer == "tests.unused")
    )
    assert message.status == OutboxStatus.PENDING and message.text_body is None
    assert message.subject == "For a@example.org"
    # Due from when it was queued, not from when the row happened to be written.
    assert before <= message.next_attempt_at == message.created_at <= now_utc()


def test_a_message_queued_by_description_goes_with_a_rollback(app: Flask):
    queue_described("a@example.org")
    db.session.rollback()
    db.session.commit()
    assert described_recipients() == []


def test_a_message_queued_by_description_raises_the_data_version(app: Flask):
    read = sa.select(DataVersion.version).where(DataVersion.name == page_cache.DATA)
    db.session.commit()
    before = db.session.scalar(read) or 0
    queue_described("a@example.org")
    db.session.commit()
    assert db.session.scalar(read) == before + 1


def test_deliver_mail_command_once(runner):
    queueing.enqueue("someone@example.org", "Subject", "Body")
    result = runner.invoke(args=["college", "deliver-mail", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output


def test_backoff_grows_and_is_capped(app: Flask):
    delays = [delivery.backoff_delay(n).total_seconds() for n in range(1, 12)]
    assert delays[:3] == [60, 120, 240]
    assert max(delays) == 6 * 3600
