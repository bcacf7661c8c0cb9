"""Reading the audit log: filters, readable action names and the names of what was touched.

The log is append-only: the app has no page or service that edits or deletes an event.
Packages describe their own actions and targets through ``app.extensions``:

- ``college.audit_actions``: ``{action: lazy label}`` (``register_audit_actions``);
- ``college.audit_kinds``: ``{target type: lazy label}``, what a kind of target is called,
  such as "Course" for ``Course`` (``register_audit_kinds``);
- ``college.audit_targets``: ``{target type: names(ids) -> {id: name}}``, one query per
  type on a page (``register_audit_target``);
- ``college.audit_subjects``: ``{target type: ids_of(person_id) -> Select of target ids}``
  for targets that belong to a person, such as an enrolment, so that filtering by a
  person finds them too (``register_audit_subject``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from college.extensions import db
from college.forms import CollegeForm
from college.models import AuditEvent, OutboxMessage, User

PAGE_SIZE = 50

TargetNames = Callable[[list[int]], dict[int, str]]
SubjectIds = Callable[[int], sa.Select[Any]]

CORE_ACTIONS = {
    "user.viewed": _l("Opened a person's account page"),
    "user.roles": _l("Changed a person's roles"),
    "user.enabled": _l("Enabled an account"),
    "user.disabled": _l("Disabled an account"),
    "user.made_admin": _l("Made a person an administrator"),
    "user.erased": _l("Erased an account"),
    "password.reset": _l("Reset their password with an email link"),
    "password.changed": _l("Changed their password"),
    "consent.given": _l("Agreed to the privacy notice"),
    "mail.retry": _l("Queued an undelivered email again"),
}

CORE_KINDS = {
    "User": _l("Account"),
    "OutboxMessage": _l("Email"),
}


def register_audit_actions(app: Flask, labels: Mapping[str, Any]) -> None:
    app.extensions.setdefault("college.audit_actions", {}).update(labels)


def register_audit_kinds(app: Flask, labels: Mapping[str, Any]) -> None:
    app.extensions.setdefault("college.audit_kinds", {}).update(labels)


def register_audit_target(app: Flask, target_type: str, names: TargetNames) -> None:
    app.extensions.setdefault("college.audit_targets", {})[target_type] = names


def register_audit_subject(app: Flask, target_type: str, ids_of: SubjectIds) -> None:
    app.extensions.setdefault("college.audit_subjects", {})[target_type] = ids_of


def action_labels() -> dict[str, Any]:
    return current_app.extensions.get("college.audit_actions", {})


def kind_labels() -> dict[str, Any]:
    return current_app.extensions.get("college.audit_kinds", {})


def in_words(labels: Mapping[str, Any], code: str) -> str:
    """The code's label in the reader's language; a code nobody described shows as it is."""
    label = labels.get(code)
    return str(label) if label is not None else code


def describe_action(action: str) -> str:
    return in_words(action_labels(), action)


def describe_target_type(target_type: str) -> str:
    """What a kind of target is called, such as "Course" for ``Course``."""
    return in_words(kind_labels(), target_type)


def user_names(ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def mail_names(ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.subject).where(OutboxMessage.id.in_(ids))
    )
    return {message_id: subject for message_id, subject in rows}


def init_app(app: Flask) -> None:
    register_audit_actions(app, CORE_ACTIONS)
    register_audit_kinds(app, CORE_KINDS)
    register_audit_target(app, "User", user_names)
    register_audit_target(app, "OutboxMessage", mail_names)


# --- the filter form --------------------------------------------------------------------------


class AuditFilterForm(CollegeForm):
    """Filters read from the query string; a GET form has no CSRF token to check."""

    class Meta:
        csrf = False

    person = IntegerField(
        _l("Person number"),
        validators=[Optional(), NumberRange(min=1, max=2_147_483_647)],
        description=_l(
            "Shown on the person's page. Finds what they did and what was done to them."
        ),
    )
    action = SelectField(_l("What happened"), validators=[Optional()], validate_choice=False)
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.since.data and self.until.data and self.until.data < self.since.data:
            self.until.errors = [*self.until.errors, _l("The end date is before the start date.")]
            return False
        return valid


def action_choices() -> list[tuple[str, str]]:
    labels = sorted(((str(label), action) for action, label in action_labels().items()))
    return [("", str(_l("Anything"))), *((action, label) for label, action in labels)]


@dataclass(frozen=True)
class AuditFilters:
    person_id: int | None = None
    action: str = ""
    since: date | None = None
    until: date | None = None


def filters_from(form: AuditFilterForm, valid: bool) -> AuditFilters:
    """The filters to apply; after a mistake only the action filter, which cannot be wrong."""
    action = (form.action.data or "").strip()[:64]
    if not valid:
        return AuditFilters(action=action)
    return AuditFilters(form.person.data, action, form.since.data, form.until.data)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(current_app.config["COLLEGE_TIMEZONE"]))


def _about_person(person_id: int) -> sa.ColumnElement[bool]:
    conditions = [
        AuditEvent.actor_id == person_id,
        sa.and_(AuditEvent.target_type == "User", AuditEvent.target_id == person_id),
    ]
    subjects: dict[str, SubjectIds] = current_app.extensions.get("college.audit_subjects", {})
    for target_type, ids_of in subjects.items():
        conditions.append(
            sa.and_(
                AuditEvent.target_type == target_type, AuditEvent.target_id.in_(ids_of(person_id))
            )
        )
    return sa.or_(*conditions)


def audit_query(filters: AuditFilters) -> sa.Select[Any]:
    """Events matching the filters, newest first; dates are local days, both included."""
    statement = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters.person_id is not None:
        statement = statement.where(_about_person(filters.person_id))
    if filters.action:
        statement = statement.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.since is not None:
        statement = statement.where(AuditEvent.at >= _start_of(filters.since))
    if filters.until is not None:
        statement = statement.where(AuditEvent.at < _start_of(filters.until + timedelta(days=1)))
    return statement.options(sa.orm.joinedload(AuditEvent.actor))


@dataclass(frozen=True)
class AuditLine:
    """One event as the page shows it."""

    event: AuditEvent
    action: str
    target: str
    target_person_id: int | None


def target_names(events: list[AuditEvent]) -> dict[tuple[str, int], str]:
    """Names of everything the events touched: one query per kind of target."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for event in events:
        if event.target_type and event.target_id is not None:
            wanted[event.target_type].append(event.target_id)
    namers: dict[str, TargetNames] = current_app.extensions.get("college.audit_targets", {})
    names: dict[tuple[str, int], str] = {}
    for target_type, ids in wanted.items():
        namer = namers.get(target_type)
        if namer is not None:
            for target_id, name in namer(sorted(set(ids))).items():
                names[(target_type, target_id)] = name
    return names


def unnamed_target(event: AuditEvent) -> str:
    """A target nobody can name, such as one deleted since: its kind and number."""
    if not event.target_type:
        return ""
    return f"{describe_target_type(event.target_type)} {event.target_id or ''}".strip()


def describe_events(events: list[AuditEvent]) -> list[AuditLine]:
    names = target_names(events)
    lines = []
    for event in events:
        key = (event.target_type or "", event.target_id or 0)
        target = names.get(key) or unnamed_target(event)
        person = event.target_id if event.target_type == "User" else None
        lines.append(AuditLine(event, describe_action(event.action), target, person))
    return lines
