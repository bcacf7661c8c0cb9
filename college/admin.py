"""The admin shell: dashboard, people and roles, undelivered mail, audit log."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectChoice

from college import audit as audit_log
from college import services
from college.auth import roles_required
from college.extensions import db
from college.forms import ConfirmForm, RolesForm
from college.models import OutboxMessage, OutboxStatus, Role, User, UserRole
from college.outbox import delivery, summaries
from college.page_cache import PERSON, cached_response
from college.reports import dashboard_panels
from college.templating import local_datetime
from college.urls import requested_page

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.record_once(lambda state: audit_log.init_app(state.app))  # type: ignore[arg-type]

PAGE_SIZE = 50


@bp.before_request
@roles_required(Role.ADMIN)
def require_admin() -> None:
    """Every admin page is for administrators only."""


@bp.get("/")
@cached_response(PERSON)
def dashboard() -> str:
    """Show what needs attention today and the chosen term at a glance."""
    role_counts = dict(
        db.session.execute(sa.select(UserRole.role, sa.func.count()).group_by(UserRole.role)).all()
    )
    return render_template(
        "admin/dashboard.html",
        role_counts=role_counts,
        roles=Role,
        mail=summaries.count_undelivered(),
        panels=dashboard_panels(request.args),
    )


@bp.get("/people")
def people() -> str:
    """List people, searchable by name or email and filterable by role."""
    query = request.args.get("q", "").strip()[:100]
    role = request.args.get("role", "")
    statement = sa.select(User).where(User.anonymised_at.is_(None)).order_by(User.display_name)
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            sa.or_(sa.func.lower(User.display_name).like(pattern), User.email.like(pattern))
        )
    if role in {str(r) for r in Role}:
        statement = statement.where(User.role_rows.any(UserRole.role == role))
    page = db.paginate(statement, per_page=PAGE_SIZE, page=requested_page(), error_out=False)
    return render_template("admin/people.html", page=page, q=query, role=role, roles=Role)


def _roles_form(user: User) -> RolesForm:
    form = RolesForm(roles=[str(r) for r in user.roles])
    form.roles.choices = [SelectChoice(role.value, str(role.label)) for role in Role]
    return form


@bp.get("/people/<int:user_id>")
def person(user_id: int) -> str:
    """Show one person's account and roles (the view is audited)."""
    user = db.get_or_404(User, user_id)
    services.record_audit(current_user, "user.viewed", user)
    return render_template(
        "admin/person.html",
        person=user,
        form=_roles_form(user),
        status_form=ConfirmForm(),
    )


@bp.post("/people/<int:user_id>/roles")
def person_roles(user_id: int) -> Any:
    """Grant or remove roles."""
    user = db.get_or_404(User, user_id)
    form = _roles_form(user)
    if not form.validate_on_submit():
        flash(_("Please choose valid roles."), "error")
        return redirect(url_for("admin.person", user_id=user.id))
    services.set_roles(current_user, user, {Role(r) for r in form.roles.data})
    flash(_("Roles saved."), "success")
    return redirect(url_for("admin.person", user_id=user.id))


@bp.post("/people/<int:user_id>/status")
def person_status(user_id: int) -> Any:
    """Disable or re-enable an account."""
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    services.set_account_active(current_user, user, active)
    flash(_("The account is enabled.") if active else _("The account is disabled."), "success")
    return redirect(url_for("admin.person", user_id=user.id))


@bp.get("/mail")
def mail() -> str:
    """Show mail that could not be delivered yet, with why, and a way to send it again."""
    messages = summaries.failing_messages()
    return render_template(
        "admin/mail.html",
        messages=messages,
        descriptions={m.id: summaries.describe_message(m) for m in messages},
        summary=summaries.summarise_mail(),
        form=ConfirmForm(),
    )


@bp.post("/mail/retry")
def mail_retry_many() -> Any:
    """Queue again all failed mail, or the messages ticked on the page."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if request.form.get("which") == "all":
        count = delivery.retry_failed()
    else:
        chosen = [int(v) for v in request.form.getlist("message") if v.isdigit() and len(v) < 10]
        if not chosen:
            flash(_("Please tick the messages to send again."), "error")
            return redirect(url_for("admin.mail"))
        count = delivery.retry_failed(chosen)
    services.record_audit(current_user, "mail.retry", detail=f"messages={count}")
    flash(
        ngettext(
            "%(num)s message will be sent again shortly.",
            "%(num)s messages will be sent again shortly.",
            count,
        ),
        "success",
    )
    return redirect(url_for("admin.mail"))


@bp.post("/mail/<int:message_id>/retry")
def mail_retry(message_id: int) -> Any:
    """Queue a failed message again."""
    message = db.get_or_404(OutboxMessage, message_id)
    if message.status == OutboxStatus.SENT:
        abort(409)
    delivery.retry_message(message)
    services.record_audit(current_user, "mail.retry", message)
    flash(_("The message will be sent again shortly."), "success")
    return redirect(url_for("admin.mail"))


FILTERS = ("who", "person", "action", "since", "until", "each")


def _each_view_url(event: Any) -> str:
    """The views a folded line stands for: that person's, that day, one per line."""
    day = local_datetime(event.at).date().isoformat()
    return url_for("admin.audit", person=event.actor_id, since=day, until=day, each="y")


@bp.get("/audit")
def audit() -> tuple[str, int]:
    """Show the audit log, newest first, filtered by person, action and dates (read only)."""
    form = audit_log.AuditFilterForm(request.args)
    form.action.choices = audit_log.action_choices()
    valid = form.validate() if request.args else True
    filters = audit_log.filters_from(form, valid)
    page = db.paginate(
        audit_log.audit_query(filters),
        per_page=audit_log.PAGE_SIZE,
        page=requested_page(),
        error_out=False,
    )
    events = list(page.items)
    person = db.session.get(User, form.person.data) if valid and form.person.data else None
    found = []
    if valid and form.who.data and not form.person.data:
        found = audit_log.people_matching(form.who.data)
    lines = audit_log.describe_events(events, audit_log.folded_counts(filters, events))
    html = render_template(
        "admin/audit.html",
        form=form,
        page=page,
        lines=lines,
        each_urls={line.event.id: _each_view_url(line.event) for line in lines if line.views > 1},
        person=person,
        found=found,
        query={key: request.args[key] for key in FILTERS if request.args.get(key)},
    )
    return html, 200 if valid else 400
