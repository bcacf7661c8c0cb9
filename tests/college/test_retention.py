"""Retention rules: what is removed, when, and that running them twice changes nothing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from college.db import now_utc
from college.extensions import db
from college.models import AuditEvent, LoginSession, OutboxMessage, OutboxStatus, User
from college.outbox import queueing
from college.privacy import ERASED_NAME
from college.retention import apply_retention
from college.signals import extension_points
from tests import factories

YEAR = timedelta(days=365)


def test_students_inactive_for_years_are_anonymised_and_staff_are_not(app: Flask):
    now = now_utc()
    gone = factories.make_student(name="Long Gone")
    gone.last_login_at = now - 4 * YEAR
    recent = factories.make_student(name="Still Here")
    recent.last_login_at = now - YEAR
    never = factories.make_student(name="Never Came")
    never.created_at = now - 5 * YEAR
    peer = factories.make_peer(name="Resting Peer")
    peer.last_login_at = now - 6 * YEAR
    db.session.flush()

    counts = apply_retention(now)

    assert counts["inactive accounts"] == 2
    for person in (gone, never):
        db.session.refresh(person)
        assert person.display_name == ERASED_NAME
        assert person.email.endswith("@invalid")
        assert person.anonymised_at is not None
    for person in (recent, peer):
        db.session.refresh(person)
        assert person.anonymised_at is None
    erased = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "user.erased")
    ).all()
    assert {e.target_id for e in erased} == {gone.id, never.id}
    assert all(e.actor_id is None for e in erased)


def test_old_sent_mail_and_expired_sign_ins_are_removed(app: Flask):
    now = now_utc()
    student = factories.make_student()
    old = queueing.enqueue(student.email, "Old", "Body")
    old.status, old.sent_at = OutboxStatus.SENT, now - timedelta(days=120)
    fresh = queueing.enqueue(student.email, "Fresh", "Body")
    fresh.status, fresh.sent_at = OutboxStatus.SENT, now - timedelta(days=10)
    failed = queueing.enqueue(student.email, "Failed", "Body")
    failed.status = OutboxStatus.FAILED
    unneeded = queueing.enqueue(student.email, "Old, never needed", "Body")
    unneeded.status, unneeded.created_at = OutboxStatus.CANCELLED, now - timedelta(days=120)
    recent = queueing.enqueue(student.email, "Lately not needed", "Body")
    recent.status = OutboxStatus.CANCELLED
    db.session.add(LoginSession(token_hash="a" * 64, user=student, expires_at=now - YEAR))
    db.session.add(LoginSession(token_hash="b" * 64, user=student, expires_at=now + YEAR))
    db.session.flush()

    counts = apply_retention(now)

    assert counts["sent mail"] == 2
    assert counts["expired sign-ins"] == 1
    subjects = set(db.session.scalars(sa.select(OutboxMessage.subject)))
    assert subjects == {"Fresh", "Failed", "Lately not needed"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 1


def test_running_twice_changes_nothing_more(app: Flask):
    now = now_utc()
    gone = factories.make_student()
    gone.last_login_at = now - 4 * YEAR
    db.session.flush()
    first = apply_retention(now)
    second = apply_retention(now)
    assert first["inactive accounts"] == 1
    assert all(count == 0 for count in second.values())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_domain_rules_run_with_the_same_clock(app: Flask, monkeypatch):
    seen = []

    def clear_old_registers(now):
        seen.append(now)
        return 3

    monkeypatch.setattr(extension_points(app), "retention_tasks", [clear_old_registers])
    now = now_utc()
    counts = apply_retention(now)
    assert seen == [now]
    assert counts["clear_old_registers"] == 3


def test_apply_retention_command(runner):
    result = runner.invoke(args=["college", "apply-retention"])
    assert result.exit_code == 0, result.output
    assert "inactive accounts: 0" in result.output
