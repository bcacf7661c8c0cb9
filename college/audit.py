"""Reading the audit log: filters, readable action names and the names of what was touched.

The log is append-only: the app has no page or service that edits or deletes an event.
Packages describe their own actions and targets in the app's registries
(``college.signals.ExtensionPoints``), each through its helper:

- ``register_audit_actions``: ``{action: lazy label}``;
- ``register_audit_kinds``: ``{target type: lazy label}``, what a kind of target is called,
  such as "Course" for ``Course``;
- ``register_audit_target``: ``{target type: names(ids) -> {id: name}}``, one query per
  type on a page;
- ``register_audit_sentences``: ``{action: lazy "%(who)s … %(target)s"}``, how a row reads;
  ``register_audit_detail_words``: words for the values in an event's ``key=value`` detail;
- ``register_audit_subject``: ``{target type: ids_of(person_id) -> Select of target ids}``
  for targets that belong to a person, such as an enrolment, so that filtering by a
  person finds them too.
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
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from college.extensions import db
from college.forms import CollegeForm
from college.labels import label_or_code
from college.models import AuditEvent, OutboxMessage, User
from college.signals import extension_points

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

CORE_SENTENCES = {
    "user.viewed": _l("%(who)s opened the account page of %(target)s"),
    "user.roles": _l("%(who)s changed the roles of %(target)s"),
    "user.enabled": _l("%(who)s enabled the account of %(target)s"),
    "user.disabled": _l("%(who)s disabled the account of %(target)s"),
    "user.made_admin": _l("%(who)s made %(target)s an administrator"),
    "user.erased": _l("%(who)s erased an account"),
    "password.reset": _l("%(who)s reset their password with an e-mail link"),
    "password.changed": _l("%(who)s changed their password"),
    "consent.given": _l("%(who)s agreed to the privacy notice"),
    "mail.retry": _l("%(who)s queued the e-mail “%(target)s” again"),
}

CORE_KINDS = {
    "User": _l("Account"),
    "OutboxMessage": _l("Email"),
}


def register_audit_actions(app: Flask, labels: Mapping[str, Any]) -> None:
    extension_points(app).audit_actions.update(labels)


def register_audit_kinds(app: Flask, labels: Mapping[str, Any]) -> None:
    extension_points(app).audit_kinds.update(labels)


def register_audit_target(app: Flask, target_type: str, names: TargetNames) -> None:
    extension_points(app).audit_targets[target_type] = names


def register_audit_sentences(app: Flask, sentences: Mapping[str, Any]) -> None:
    """``{action: lazy "%(who)s opened the cohort “%(target)s”"}``: how a row reads."""
    extension_points(app).audit_sentences.update(sentences)


def register_audit_detail_words(app: Flask, key: str, words: Mapping[str, Any]) -> None:
    """Words for the values of one ``key=value`` part of a detail, e.g. removal reasons."""
    extension_points(app).audit_detail_words[key] = words


def register_audit_subject(app: Flask, target_type: str, ids_of: SubjectIds) -> None:
    extension_points(app).audit_subjects[target_type] = ids_of


def action_labels() -> dict[str, Any]:
    return extension_points().audit_actions


def kind_labels() -> dict[str, Any]:
    return extension_points().audit_kinds


def describe_action(action: str) -> str:
    return label_or_code(action_labels(), action)


def describe_target_type(target_type: str) -> str:
    """What a kind of target is called, such as "Course" for ``Course``."""
    return label_or_code(kind_labels(), target_type)


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
    register_audit_sentences(app, CORE_SENTENCES)
    register_audit_target(app, "User", user_names)
    register_audit_target(app, "OutboxMessage", mail_names)


# --- the filter form --------------------------------------------------------------------------


class AuditFilterForm(CollegeForm):
    """Filters read from the query string; a GET form has no CSRF token to check."""

    class Meta:
        csrf = False

    who = StringField(
        _l("Person"),
        validators=[Optional(), Length(max=100)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        description=_l(
            "A name or e-mail address, or part of one. Finds what they did and what was "
            "done to them."
        ),
    )
    # Set by the links on the page (a person's name in a row), never typed.
    person = IntegerField(
        _l("Person number"),
        validators=[Optional(), NumberRange(min=1, max=2_147_483_647)],
    )
    action = SelectField(_l("What happened"), validators=[Optional()], validate_choice=False)
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
    each = BooleanField(_l("Show every view of personal data on its own line"))

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
    # ``None``: anyone; a tuple (perhaps empty, when a search found nobody): these people.
    person_ids: tuple[int, ...] | None = None
    action: str = ""
    since: date | None = None
    until: date | None = None
    each: bool = False


MAX_PEOPLE_FOUND = 50


def people_matching(text: str) -> list[User]:
    """People whose name or e-mail holds ``text`` (case-insensitive), by name."""
    needle = text.lower()
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                sa.or_(
                    sa.func.lower(User.display_name).contains(needle, autoescape=True),
                    sa.func.lower(User.email).contains(needle, autoescape=True),
                )
            )
            .order_by(User.display_name, User.id)
            .limit(MAX_PEOPLE_FOUND)
        )
    )


def filters_from(form: AuditFilterForm, valid: bool) -> AuditFilters:
    """The filters to apply; after a mistake only the action filter, which cannot be wrong."""
    action = (form.action.data or "").strip()[:64]
    each = bool(form.each.data)
    if not valid:
        return AuditFilters(action=action, each=each)
    people: tuple[int, ...] | None = None
    if form.person.data:
        people = (form.person.data,)
    elif form.who.data:
        people = tuple(user.id for user in people_matching(form.who.data))
    return AuditFilters(people, action, form.since.data, form.until.data, each)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(current_app.config["COLLEGE_TIMEZONE"]))


def _about_people(person_ids: tuple[int, ...]) -> sa.ColumnElement[bool]:
    ids = list(person_ids)
    conditions = [
        AuditEvent.actor_id.in_(ids),
        sa.and_(AuditEvent.target_type == "User", AuditEvent.target_id.in_(ids)),
    ]
    subjects = extension_points().audit_subjects
    for target_type, ids_of in subjects.items():
        targets = sa.union(*(ids_of(person_id) for person_id in ids))
        conditions.append(
            sa.and_(AuditEvent.target_type == target_type, AuditEvent.target_id.in_(targets))
        )
    return sa.or_(*conditions)


def is_view(action: str) -> bool:
    """Opening a page that shows someone's personal data (``user.viewed``, ``…_viewed``)."""
    return action.endswith((".viewed", "_viewed"))


def view_actions() -> list[str]:
    return sorted(action for action in action_labels() if is_view(action))


def _conditions(filters: AuditFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.person_ids is not None:
        if not filters.person_ids:
            conditions.append(sa.false())
        else:
            conditions.append(_about_people(filters.person_ids))
    if filters.action:
        conditions.append(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.since is not None:
        conditions.append(AuditEvent.at >= _start_of(filters.since))
    if filters.until is not None:
        conditions.append(AuditEvent.at < _start_of(filters.until + timedelta(days=1)))
    return conditions


def _local_day(dialect: str) -> sa.ColumnElement[Any]:
    """The event's day in the college's time zone, for folding views per person and day."""
    zone = current_app.config["COLLEGE_TIMEZONE"]
    if dialect == "postgresql":
        return sa.func.date(sa.func.timezone(zone, AuditEvent.at))
    # SQLite keeps naive UTC and knows no zones: today's offset is near enough for folding.
    offset = datetime.now(ZoneInfo(zone)).utcoffset() or timedelta(0)
    return sa.func.date(AuditEvent.at, f"{int(offset.total_seconds() // 60):+d} minutes")


def _folded(conditions: list[sa.ColumnElement[bool]]) -> sa.Subquery:
    """One row per event, except views: one per person and day (the latest, with a count)."""
    views = view_actions()
    day = _local_day(db.session.get_bind().dialect.name)
    grouped = (
        sa.select(sa.func.max(AuditEvent.id).label("id"), sa.func.count().label("views"))
        .where(*conditions, AuditEvent.action.in_(views))
        .group_by(AuditEvent.actor_id, day)
    )
    single = sa.select(AuditEvent.id, sa.literal(1).label("views")).where(
        *conditions, AuditEvent.action.not_in(views)
    )
    return sa.union_all(grouped, single).subquery("shown")


def audit_query(filters: AuditFilters) -> sa.Select[Any]:
    """Events matching the filters, newest first; dates are local days, both included.

    Unless ``each`` is asked for, views of personal data are folded to one line per person
    and day: they are all kept, but a day of looking things up does not bury the changes.
    """
    conditions = _conditions(filters)
    statement = sa.select(AuditEvent)
    if filters.each:
        statement = statement.where(*conditions)
    else:
        shown = _folded(conditions)
        statement = statement.where(AuditEvent.id.in_(sa.select(shown.c.id)))
    statement = statement.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return statement.options(sa.orm.joinedload(AuditEvent.actor))


def folded_counts(filters: AuditFilters, events: list[AuditEvent]) -> dict[int, int]:
    """How many views each folded line on this page stands for (only lines with more than one)."""
    shown_views = [e for e in events if is_view(e.action)]
    if filters.each or not shown_views:
        return {}
    shown = _folded(_conditions(filters))
    rows = db.session.execute(
        sa.select(shown.c.id, shown.c.views).where(shown.c.id.in_([e.id for e in shown_views]))
    )
    return {event_id: views for event_id, views in rows if views > 1}


@dataclass(frozen=True)
class AuditLine:
    """One event as the page shows it."""

    event: AuditEvent
    action: str
    target: str
    target_person_id: int | None
    sentence: str = ""
    detail: str = ""
    # More than 1: the line stands for this many views by the same person that day.
    views: int = 1


def target_names(
    events: list[AuditEvent], also: Mapping[str, list[int]] | None = None
) -> dict[tuple[str, int], str]:
    """Names of everything the events touched: one query per kind of target."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for target_type, ids in (also or {}).items():
        wanted[target_type].extend(ids)
    for event in events:
        if event.target_type and event.target_id is not None:
            wanted[event.target_type].append(event.target_id)
    namers = extension_points().audit_targets
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


def sentence_labels() -> dict[str, Any]:
    return extension_points().audit_sentences


def who_did(event: AuditEvent) -> str:
    if event.actor is not None:
        return event.actor.display_name
    return str(_l("The system") if event.actor_id is None else _l("Someone"))


def describe_sentence(event: AuditEvent, action: str, target: str, views: int) -> str:
    """The event as a sentence: "Mette Lund opened the cohort “Femugers …”"."""
    who = who_did(event)
    if views > 1:
        return ngettext(
            "%(who)s opened %(num)d pages with people's details that day (the latest: %(target)s)",
            "%(who)s opened %(num)d pages with people's details that day (the latest: %(target)s)",
            views,
            who=who,
            target=target or action,
        )
    sentence = sentence_labels().get(event.action)
    if sentence is not None:
        return str(sentence) % {"who": who, "target": target}
    if target:
        return gettext("%(who)s — %(action)s: %(target)s", who=who, action=action, target=target)
    return gettext("%(who)s — %(action)s", who=who, action=action)


# ``key=value`` words that say where a change went (``course=7 position=1``).
DETAIL_TARGETS = {"course": "Course", "user": "User"}


def detail_words() -> dict[str, Mapping[str, Any]]:
    return extension_points().audit_detail_words


def describe_detail(detail: str | None, names: dict[tuple[str, int], str]) -> str:
    """An event's detail in words where it is made of known ``key=value`` parts."""
    if not detail:
        return ""
    parts = detail.split()
    if not all("=" in part for part in parts):
        return detail
    words = []
    for part in parts:
        key, value = part.split("=", 1)
        words.append(_detail_part(key, value, names))
    return "; ".join(words)


def _detail_part(key: str, value: str, names: dict[tuple[str, int], str]) -> str:
    target_type = DETAIL_TARGETS.get(key)
    if target_type is not None and value.isdigit():
        name = names.get((target_type, int(value)))
        return name or f"{describe_target_type(target_type)} {value}"
    if key == "position" and value.isdigit():
        return gettext("to place %(num)s in the list", num=value)
    if key == "steps" and value.lstrip("-").isdigit():
        return gettext("one place up") if int(value) < 0 else gettext("one place down")
    label = detail_words().get(key, {}).get(value)
    return str(label) if label is not None else f"{key}={value}"


def _detail_targets(events: list[AuditEvent]) -> dict[str, list[int]]:
    wanted: dict[str, list[int]] = defaultdict(list)
    for event in events:
        for part in (event.detail or "").split():
            key, _sep, value = part.partition("=")
            if key in DETAIL_TARGETS and value.isdigit():
                wanted[DETAIL_TARGETS[key]].append(int(value))
    return wanted


def describe_events(
    events: list[AuditEvent], views: Mapping[int, int] | None = None
) -> list[AuditLine]:
    names = target_names(events, _detail_targets(events))
    lines = []
    for event in events:
        key = (event.target_type or "", event.target_id or 0)
        target = names.get(key) or unnamed_target(event)
        person = event.target_id if event.target_type == "User" else None
        action = describe_action(event.action)
        count = (views or {}).get(event.id, 1)
        lines.append(
            AuditLine(
                event,
                action,
                target,
                person,
                describe_sentence(event, action, target, count),
                describe_detail(event.detail, names),
                count,
            )
        )
    return lines
