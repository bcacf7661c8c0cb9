"""Personal data: export everything about a person, and erase it on request.

Each package registers the tables it keeps about people with an exporter and an eraser,
so that a new table with a link to ``users`` cannot be forgotten: a test compares the
registry with every foreign key to ``users.id`` in the schema.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from college.db import now_utc
from college.errors import DomainError
from college.extensions import db
from college.models import (
    AuditEvent,
    LoginSession,
    OutboxMessage,
    PasswordResetToken,
    PublicVisibility,
    Qualification,
    User,
    UserRole,
)
from college.services import InvalidCredentials, end_all_sessions, record_audit, verify_password

log = logging.getLogger(__name__)

Exporter = Callable[[User], dict[str, Any]]
Eraser = Callable[[User], None]


@dataclass(frozen=True)
class PersonalData:
    """What one package keeps about people: the tables, and how to export and erase them."""

    name: str
    tables: tuple[str, ...]
    export: Exporter
    erase: Eraser


class LastAdminCannotLeave(DomainError):
    status_code = 409
    message = _l(
        "You are the college's only administrator. Make someone else an administrator first."
    )


def register_personal_data(app: Flask, entry: PersonalData) -> None:
    app.extensions.setdefault("college.personal_data", []).append(entry)


def registered() -> list[PersonalData]:
    return current_app.extensions.get("college.personal_data", [])


def plain(value: Any) -> Any:
    """Make a value JSON-friendly."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def row_dict(row: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    return {column: plain(getattr(row, column)) for column in columns}


def email_row(message: OutboxMessage) -> dict[str, Any]:
    """A message as the person would know it. One the worker has not written yet has no
    subject: what stands in for it is the college's own note, never meant to leave it."""
    row = row_dict(message, ("created_at", "subject", "status", "sent_at"))
    if message.needs_rendering:
        row["subject"] = None
    return row


def export_person(user: User) -> dict[str, Any]:
    """Everything stored about a person, section by section."""
    data: dict[str, Any] = {"exported_at": now_utc().isoformat(timespec="seconds")}
    for entry in registered():
        data[entry.name] = entry.export(user)
    return data


def erase_person(actor: User | None, user: User, password: str | None = None) -> None:
    """Erase a person's account: personal data removed or anonymised, figures kept.

    ``actor`` is None when the college's retention rules erase an account.
    """
    if (
        actor is not None
        and actor.id == user.id
        and (password is None or not verify_password(user, password))
    ):
        raise InvalidCredentials(_l("Your password is not right."))
    from college.services import _admin_count

    if user.is_admin and _admin_count() <= 1:
        raise LastAdminCannotLeave()
    user_id = user.id
    # Packages first (they may still need the person, e.g. to withdraw enrolments).
    for entry in reversed(registered()):
        entry.erase(user)
    by_someone_else = actor is not None and actor.id != user_id
    record_audit(actor if by_someone_else else None, "user.erased", user)
    db.session.flush()
    log.info("account %s erased", user_id)


# --- the core's own tables ---------------------------------------------------------------------

ACCOUNT_COLUMNS = (
    "email",
    "display_name",
    "language",
    "discreet",
    "consent_version",
    "consented_at",
    "created_at",
    "last_login_at",
    "public_visibility",
)


def export_core(user: User) -> dict[str, Any]:
    qualifications = db.session.scalars(
        sa.select(Qualification).where(Qualification.user_id == user.id)
    )
    messages = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.recipient == user.email)
        .order_by(OutboxMessage.created_at)
    )
    audit = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(
                AuditEvent.actor_id == user.id,
                sa.and_(AuditEvent.target_type == "User", AuditEvent.target_id == user.id),
            )
        )
        .order_by(AuditEvent.at)
    )
    sessions = db.session.scalars(sa.select(LoginSession).where(LoginSession.user_id == user.id))
    resets = db.session.scalars(
        sa.select(PasswordResetToken).where(PasswordResetToken.user_id == user.id)
    )
    return {
        "account": row_dict(user, ACCOUNT_COLUMNS),
        "roles": sorted(str(r) for r in user.roles),
        "qualifications": [
            row_dict(q, ("programme", "granted_on", "expires_on")) for q in qualifications
        ],
        "signed_in_sessions": [row_dict(s, ("created_at", "expires_at")) for s in sessions],
        "password_reset_requests": [
            row_dict(r, ("created_at", "expires_at", "used_at")) for r in resets
        ],
        "emails": [email_row(m) for m in messages],
        "audit_events": [row_dict(e, ("at", "action", "target_type", "detail")) for e in audit],
    }


def erase_core(user: User) -> None:
    end_all_sessions(user)
    db.session.execute(sa.delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    db.session.execute(sa.delete(Qualification).where(Qualification.user_id == user.id))
    # Mail carries names and course titles; unsent mail to an erased person must not go out.
    db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.recipient == user.email))
    db.session.execute(sa.delete(UserRole).where(UserRole.user_id == user.id))
    db.session.expire(user, ["role_rows"])
    user.email = f"erased-{user.id}@invalid"
    user.display_name = ERASED_NAME
    user.password_hash = None
    user.active = False
    user.calendar_token = None
    user.consent_version = None
    user.consented_at = None
    user.last_login_at = None
    user.public_visibility = str(PublicVisibility.NAME)
    user.anonymised_at = now_utc()


ERASED_NAME = "Erased person"

CORE_TABLES = (
    "users",
    "user_roles",
    "login_sessions",
    "password_reset_tokens",
    "qualifications",
    "audit_events",
)


def init_app(app: Flask) -> None:
    register_personal_data(
        app, PersonalData("account", CORE_TABLES, export=export_core, erase=erase_core)
    )
