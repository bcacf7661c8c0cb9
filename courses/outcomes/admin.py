"""Administrators' pages: the outcome areas, the outcome report with its downloads, and the
dashboard's "change this term" panel."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from college.auth import roles_required
from college.errors import DomainError
from college.extensions import db
from college.models import Role
from college.reports import Panel, table_response
from courses.models import Course, Partner, Topic
from courses.outcomes import services
from courses.outcomes.charts import change_chart
from courses.outcomes.export import FORMAT, document, table
from courses.outcomes.figures import MIN_PAIRS, course_reports, report, scope_from
from courses.outcomes.forms import AREA_FIELDS, AreasForm
from courses.reports import REPORTED, all_terms

bp = Blueprint("outcomes_admin", __name__, url_prefix="/admin/outcomes")


@bp.before_request
@roles_required(Role.ADMIN)
def require_admin() -> None:
    """Outcomes are for administrators only."""


@bp.get("/")
def report_page() -> str:
    """Show the change before and after the courses of a term, filtered, with downloads."""
    scope = scope_from(request.args)
    if scope is None:
        return render_template("admin/outcomes/report.html", scope=None)
    figures = report(scope)
    courses = db.session.execute(
        sa.select(Course.id, Course.title)
        .where(Course.term_id == scope.term.id, Course.status.in_(REPORTED))
        .order_by(Course.title, Course.id)
    ).all()
    return render_template(
        "admin/outcomes/report.html",
        scope=scope,
        report=figures,
        chart=change_chart(figures),
        drill_down=course_reports(figures) if scope.course is None else [],
        terms=all_terms(),
        topics=dict(Topic.choices()),
        partners=db.session.scalars(sa.select(Partner).order_by(Partner.name)).all(),
        courses=courses,
        minimum=MIN_PAIRS,
    )


@bp.get("/outcomes.<any(csv, xlsx):kind>")
def download(kind: str) -> Response:
    """Download the report's figures per area as CSV or XLSX."""
    scope = scope_from(request.args)
    if scope is None:
        return table_response("outcomes", kind, *table_of_nothing())
    header, rows = table(report(scope))
    return table_response(f"outcomes-term-{scope.term.id}", kind, header, rows)


def table_of_nothing() -> tuple[list[str], list[list[object]]]:
    return [_("Statement")], []


@bp.get("/outcomes.json")
def download_json() -> Response:
    """Download the report in the open JSON format for evaluators."""
    scope = scope_from(request.args)
    body: dict[str, Any] = {"format": FORMAT, "shown": False}
    name = "outcomes.json"
    if scope is not None:
        body = document(report(scope))
        name = f"outcomes-term-{scope.term.id}.json"
    response = Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/areas", methods=["GET", "POST"])
def areas() -> Any:
    """Set the outcome areas; a change makes a new version and leaves past answers alone."""
    latest = services.latest_questionnaire()
    form = AreasForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                saved = services.save_areas(form.texts())
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            if latest is not None and saved.id == latest.id:
                flash(_("Nothing changed, so the version stays the same."), "success")
            else:
                flash(_("Saved as version %(version)s.", version=saved.version), "success")
            return redirect(url_for("outcomes_admin.areas"))
    elif request.method == "GET":
        fill_areas(form, latest)
    status = 400 if form.errors else 200
    return render_template(
        "admin/outcomes/areas.html", form=form, latest=latest, fields=AREA_FIELDS
    ), status


def fill_areas(form: AreasForm, latest: Any) -> None:
    """The latest version's areas, and one empty row to add another."""
    while len(form.areas):
        form.areas.pop_entry()
    for area in latest.areas if latest is not None else []:
        form.areas.append_entry({name: getattr(area, name) for name in AREA_FIELDS})
    if len(form.areas) < form.areas.max_entries:
        form.areas.append_entry()


def change_panel(args: Mapping[str, str]) -> Panel | None:
    """The dashboard's "change this term" chart, through the same threshold as the report."""
    scope = scope_from(args)
    if scope is None:
        return None
    figures = report(scope)
    chart = change_chart(figures, key="outcomes-glance", title=_("Change this term"))
    return Panel(
        key="outcomes",
        template="admin/outcomes/_panel.html",
        context={"chart": chart, "scope": scope},
        order=20,
    )
