"""Personal data: export everything about a person, and erase it on request.

Each package registers the tables it keeps about people with an exporter and an eraser,
so that a new table with a link to ``users`` cannot be forgotten: a test compares the
registry with every foreign key to ``users.id`` in the schema.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import partial
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import format_date, format_time
from flask_babel import lazy_gettext as _l

from college.audit import describe_action, describe_target_type
from college.db import now_utc
from college.errors import DomainError
from college.extensions import db
from college.labels import label_or_code
from college.models import (
    AuditEvent,
    CalendarChoice,
    LoginSession,
    OutboxMessage,
    OutboxStatus,
    PasswordResetToken,
    PublicVisibility,
    Qualification,
    Role,
    User,
    UserRole,
)
from college.services import (
    InvalidCredentials,
    count_admins,
    end_all_sessions,
    record_audit,
    verify_password,
)
from college.signals import extension_points
from college.templating import LANGUAGE_NAMES

log = logging.getLogger(__name__)

Exporter = Callable[[User], dict[str, Any]]
Eraser = Callable[[User], None]


# Names a stored code in the reader's language, e.g. "waitlisted" as "On the waiting list".
ValueName = Callable[[Any], str]


@dataclass(frozen=True)
class PersonalData:
    """What one package keeps about people: the tables, and how to export and erase them.

    The exporter returns stored values as they are (dates as dates, codes as codes): the
    download writes them as JSON, the page "My data" shows them in the reader's language.
    ``labels`` names the section and every key its export holds that the core's
    ``SHARED_LABELS`` do not. ``values`` names the codes the export holds, by the part of
    the export that holds them: "roles" for a list of codes, "emails.status" for a key of
    each row of "emails".
    """

    name: str
    tables: tuple[str, ...]
    export: Exporter
    erase: Eraser
    labels: Mapping[str, Any] = field(default_factory=dict)
    values: Mapping[str, ValueName] = field(default_factory=dict)


@dataclass(frozen=True)
class DataField:
    label: str
    value: str


@dataclass(frozen=True)
class DataPart:
    """One part of a section of "My data": a record, a list of rows, or one value."""

    title: str
    fields: tuple[DataField, ...] = ()
    rows: tuple[tuple[DataField, ...], ...] = ()
    text: str | None = None


@dataclass(frozen=True)
class DataSection:
    title: str
    parts: tuple[DataPart, ...]


class LastAdminCannotLeave(DomainError):
    status_code = 409
    message = _l(
        "You are the college's only administrator. Make someone else an administrator first."
    )


def register_personal_data(app: Flask, entry: PersonalData) -> None:
    extension_points(app).personal_data.append(entry)


def registered() -> list[PersonalData]:
    return extension_points().personal_data


# Names that more than one package's export uses.
SHARED_LABELS: dict[str, Any] = {
    "course": _l("Course"),
    "status": _l("Status"),
    "role": _l("Role"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "created_at": _l("Created"),
}


def label_of(key: str) -> Any | None:
    """The translatable name of an export's section or key, if a package gave it one."""
    for labels in (SHARED_LABELS, *(entry.labels for entry in registered())):
        if key in labels:
            return labels[key]
    return None


def data_label(key: str) -> str:
    """What the page "My data" calls an export's section or key, in the reader's language."""
    label = label_of(key)
    return str(label) if label is not None else key.replace("_", " ").capitalize()


def value_namer(place: str) -> ValueName | None:
    """How a package names the codes stored at ``place`` ("roles", "emails.status")."""
    for entry in registered():
        if place in entry.values:
            return entry.values[place]
    return None


def show_value(value: Any, namer: ValueName | None = None) -> str:
    """A stored value as the page shows it, in the reader's language and time zone."""
    if value is None or value == "":
        return "–"
    if namer is not None:
        return namer(value)
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, datetime):
        # Minutes are what anyone remembers of a moment; seconds would only be noise.
        return f"{format_date(value, 'medium')} {format_time(value, 'short')}"
    if isinstance(value, date):
        return format_date(value, "medium")
    if isinstance(value, time):
        return format_time(value, "short")
    return str(value)


def show_row(part: str, row: Mapping[str, Any]) -> tuple[DataField, ...]:
    return tuple(
        DataField(data_label(key), show_value(value, value_namer(f"{part}.{key}")))
        for key, value in row.items()
    )


def show_part(name: str, value: Any) -> DataPart:
    title = data_label(name)
    if isinstance(value, Mapping):
        return DataPart(title, fields=show_row(name, value))
    if isinstance(value, list):
        namer = value_namer(name)
        rows = tuple(
            show_row(name, row)
            if isinstance(row, Mapping)
            else (DataField("", show_value(row, namer)),)
            for row in value
        )
        return DataPart(title, rows=rows)
    return DataPart(title, text=None if value is None else show_value(value, value_namer(name)))


def json_ready(value: Any) -> Any:
    """An export with its dates and times written as ISO 8601, for the JSON download."""
    if isinstance(value, Mapping):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def row_dict(row: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    return {column: getattr(row, column) for column in columns}


def email_row(message: OutboxMessage) -> dict[str, Any]:
    """A message as the person would know it. One the worker has not written yet has no
    subject: what stands in for it is the college's own note, never meant to leave it."""
    row = row_dict(message, ("created_at", "subject", "status", "sent_at"))
    if message.needs_rendering:
        row["subject"] = None
    return row


def collect_person(user: User) -> dict[str, dict[str, Any]]:
    """Everything stored about a person, section by section, as it is stored."""
    return {entry.name: entry.export(user) for entry in registered()}


def export_person(user: User) -> dict[str, Any]:
    """Everything stored about a person, ready to be written as JSON."""
    data: dict[str, Any] = {"exported_at": now_utc().isoformat(timespec="seconds")}
    return data | json_ready(collect_person(user))


def describe_person(user: User) -> list[DataSection]:
    """Everything stored about a person, named and written in the reader's language."""
    return [
        DataSection(data_label(name), tuple(show_part(key, v) for key, v in content.items()))
        for name, content in collect_person(user).items()
    ]


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
    if user.is_admin and count_admins() <= 1:
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
    "calendar_choice",
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
    # Mail carries names and course titles; unsent mail to an erased person must not go out,
    # except the calendar CANCELs queued just now that empty their calendar (they are
    # written without a name or a course title).
    db.session.execute(
        sa.delete(OutboxMessage).where(
            OutboxMessage.recipient == user.email,
            sa.or_(
                OutboxMessage.calendar_method.is_(None),
                OutboxMessage.calendar_method != "CANCEL",
                OutboxMessage.status != OutboxStatus.PENDING,
                OutboxMessage.text_body.is_not(None),
            ),
        )
    )
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
    user.public_visibility = PublicVisibility.NAME
    user.calendar_choice = CalendarChoice.INVITATIONS
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


# What the page "My data" calls the core's part of the export.
CORE_LABELS: dict[str, Any] = {
    "account": _l("Account"),
    "email": _l("Email"),
    "display_name": _l("Name"),
    "language": _l("Language"),
    "discreet": _l("Discreet emails"),
    "consent_version": _l("Privacy notice accepted"),
    "consented_at": _l("Accepted"),
    "last_login_at": _l("Last signed in"),
    "public_visibility": _l("Shown to others as"),
    "calendar_choice": _l("Sessions in your calendar by"),
    "roles": _l("Roles"),
    "qualifications": _l("Qualifications"),
    "programme": _l("Programme"),
    "granted_on": _l("Granted on"),
    "expires_on": _l("Valid until"),
    "signed_in_sessions": _l("Browsers you are signed in on"),
    "expires_at": _l("Expires"),
    "password_reset_requests": _l("Requests for a new password"),
    "used_at": _l("Used"),
    "emails": _l("Emails"),
    "subject": _l("Subject"),
    "sent_at": _l("Sent"),
    "audit_events": _l("Actions recorded"),
    "at": _l("When"),
    "action": _l("Action"),
    "target_type": _l("Concerning"),
    "detail": _l("Detail"),
}


# How the page "My data" names the codes in the core's part of the export.
CORE_VALUES: dict[str, ValueName] = {
    "account.language": partial(label_or_code, LANGUAGE_NAMES),
    "account.calendar_choice": CalendarChoice.label_of,
    "roles": Role.label_of,
    "emails.status": OutboxStatus.label_of,
    "audit_events.action": describe_action,
    "audit_events.target_type": describe_target_type,
}


def init_app(app: Flask) -> None:
    register_personal_data(
        app,
        PersonalData(
            "account",
            CORE_TABLES,
            export=export_core,
            erase=erase_core,
            labels=CORE_LABELS,
            values=CORE_VALUES,
        ),
    )
