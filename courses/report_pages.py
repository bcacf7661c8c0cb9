"""Report pages and CSV downloads of a term's or a course's figures, for administrators.

The figures are counts and anonymous averages, never names, so downloading them is not an
export of personal data; the register download of a session is (see ``enrolment.views``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from flask import Blueprint, Response, render_template, request
from flask_babel import format_time
from flask_babel import gettext as _

from college.auth import roles_required
from college.extensions import db
from college.models import Role
from college.reports import table_response
from courses.dashboard import attendance_chart, feedback_chart, places_chart
from courses.dropin.reports import drop_in_chart, drop_in_figures, drop_in_table
from courses.enrolment.forms import FEEDBACK_LABELS
from courses.enrolment.models import FEEDBACK_AREAS
from courses.models import Course, CourseStatus, Term
from courses.reports import (
    all_terms,
    attendance_figures,
    chosen_term,
    feedback_figures,
    places_figures,
)
from courses.times import local_date

bp = Blueprint("reports_admin", __name__, url_prefix="/admin/reports")

FIGURE = "any(places, attendance, drop_in, feedback):figure"
Table = tuple[list[str], Iterable[Sequence[object]]]


@bp.before_request
@roles_required(Role.ADMIN)
def require_admin() -> None:
    """Reports are for administrators only."""


def places_table(term: Term | None, course: Course | None) -> Table:
    header = [
        _("Course"),
        _("Status"),
        _("Places"),
        _("Enrolled"),
        _("Place held for an offer"),
        _("Waiting"),
        _("Places left"),
    ]
    rows = [
        [
            f.title,
            CourseStatus.label_of(f.status),
            f.capacity,
            f.enrolled,
            f.offered,
            f.waiting,
            f.places_left,
        ]
        for f in places_figures(term, course)
    ]
    return header, rows


def attendance_table(term: Term | None, course: Course | None) -> Table:
    header = [
        _("Course"),
        _("Date"),
        _("Time"),
        _("Present"),
        _("Sent apologies"),
        _("Absent"),
        _("Not marked"),
        _("Enrolled"),
    ]
    rows = [
        [
            r.course_title,
            local_date(r.starts_at),
            format_time(r.starts_at, "HH:mm"),
            r.present,
            r.apologies,
            r.absent,
            r.not_marked,
            r.enrolled,
        ]
        for r in attendance_figures(term, course)
    ]
    return header, rows


def feedback_table(term: Term | None, course: Course | None) -> Table:
    header = [
        _("Course"),
        _("Answers"),
        *[_("%(area)s (average, 0-10)", area=FEEDBACK_LABELS[a]) for a in FEEDBACK_AREAS],
    ]
    rows = [
        [f.title, f.answers, *[f.averages[a] if f.averages else "" for a in FEEDBACK_AREAS]]
        for f in feedback_figures(term, course)
    ]
    return header, rows


TABLES: dict[str, Callable[[Term | None, Course | None], Table]] = {
    "places": places_table,
    "attendance": attendance_table,
    "drop_in": drop_in_table,
    "feedback": feedback_table,
}


@bp.get("/")
def term_report() -> str:
    """Show a term's figures as charts and tables, with CSV downloads."""
    terms = all_terms()
    term = chosen_term(request.args, terms)
    charts = []
    if term is not None:
        charts = [
            places_chart(places_figures(term)),
            attendance_chart(attendance_figures(term)),
            drop_in_chart(drop_in_figures(term)),
            feedback_chart(feedback_figures(term)),
        ]
    courses = places_figures(term) if term is not None else []
    return render_template(
        "admin/reports/term.html", terms=terms, term=term, charts=charts, courses=courses
    )


@bp.get(f"/terms/<int:term_id>/<{FIGURE}>.<any(xlsx):kind>")
@bp.get(f"/terms/<int:term_id>/<{FIGURE}>.csv", defaults={"kind": "csv"})
def term_csv(term_id: int, figure: str, kind: str) -> Response:
    """Download one of a term's figures as CSV or XLSX."""
    term = db.get_or_404(Term, term_id)
    header, rows = TABLES[figure](term, None)
    return table_response(f"term-{term.id}-{figure}", kind, header, rows)


@bp.get("/courses/<int:course_id>")
def course_report(course_id: int) -> str:
    """Show one course's figures: places, attendance at each session, feedback."""
    course = db.get_or_404(Course, course_id)
    places = places_figures(course=course)
    sessions = attendance_figures(course=course)
    feedback = feedback_figures(course=course)
    attendance = attendance_chart(sessions, with_course=False)
    if course.drop_in:
        # Nobody is enrolled on a drop-in: its attendance is the teachers' head count.
        attendance = drop_in_chart(drop_in_figures(course=course), with_course=False)
    charts = [attendance, feedback_chart(feedback)]
    return render_template(
        "admin/reports/course.html",
        course=course,
        places=places[0] if places else None,
        charts=charts,
        feedback=feedback[0] if feedback else None,
    )


@bp.get(f"/courses/<int:course_id>/<{FIGURE}>.<any(xlsx):kind>")
@bp.get(f"/courses/<int:course_id>/<{FIGURE}>.csv", defaults={"kind": "csv"})
def course_csv(course_id: int, figure: str, kind: str) -> Response:
    """Download one of a course's figures as CSV or XLSX."""
    course = db.get_or_404(Course, course_id)
    header, rows = TABLES[figure](None, course)
    return table_response(f"{course.slug}-{figure}", kind, header, rows)
