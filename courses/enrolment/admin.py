"""Admin pages for a course's enrolments and waiting list, and feedback summaries."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from college.auth import roles_required
from college.extensions import db
from college.models import Role, User
from college.services import record_audit
from college.transactions import Busy
from courses.enrolment import pairs, services
from courses.enrolment.busy import show_busy
from courses.enrolment.feedback import feedback_summary
from courses.enrolment.forms import FEEDBACK_LABELS, ActionForm, PositionForm, RemoveForm
from courses.enrolment.models import Enrolment, RemovalReason
from courses.enrolment.queries import waiting_list
from courses.models import Course

bp = Blueprint("enrolment_admin", __name__, url_prefix="/admin/courses")
bp.register_error_handler(Busy, show_busy)

# Show the "plan another run" hint from this many people waiting.
DEMAND_HINT_FROM = 5


def me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


@bp.before_request
@roles_required(Role.ADMIN)
def require_admin() -> None:
    """Only administrators manage enrolments."""


@bp.get("/<int:course_id>/enrolments")
def enrolments(course_id: int) -> str:
    """Show who is enrolled and who is waiting, with the demand for another run."""
    course = db.get_or_404(Course, course_id)
    enrolled = services.enrolments_of(course)
    waiting = waiting_list(course)
    record_audit(me(), "enrolments.viewed", course)
    return render_template(
        "admin/enrolment/enrolments.html",
        course=course,
        enrolled=enrolled,
        waiting=waiting,
        held_for_companions=pairs.places_held_for_companions(course),
        demand_hint=len(waiting) >= DEMAND_HINT_FROM,
        summary=feedback_summary(course),
        form=ActionForm(),
        feedback_labels=FEEDBACK_LABELS,
    )


def _course_enrolment_or_404(course_id: int, enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    # Rows past their retention period belong to no one any more: nothing to act on.
    if enrolment is None or enrolment.course_id != course_id or enrolment.student is None:
        abort(404)
    return enrolment


MOVES = {"up", "down", "top", "to"}


@bp.post("/<int:course_id>/enrolments/<int:enrolment_id>/move/<direction>")
def move(course_id: int, enrolment_id: int, direction: str) -> Any:
    """Move someone up or down the waiting list, to the top, or to a given place."""
    if direction not in MOVES:
        abort(404)
    target = url_for("enrolment_admin.enrolments", course_id=course_id)
    form = PositionForm() if direction == "to" else ActionForm()
    if not form.validate_on_submit():
        if direction == "to" and not form.errors.get("csrf_token"):
            flash(_("Please enter a place in the list, like 1."), "error")
            return redirect(target)
        abort(400)
    enrolment = _course_enrolment_or_404(course_id, enrolment_id)
    _move(enrolment, direction, form)
    flash(_("The waiting list is updated."), "success")
    return redirect(target)


def _move(enrolment: Enrolment, direction: str, form: Any) -> None:
    if direction == "top":
        services.move_to_position(me(), enrolment, 1)
    elif direction == "to":
        services.move_to_position(me(), enrolment, form.position.data)
    else:
        services.move_in_queue(me(), enrolment, -1 if direction == "up" else 1)


@bp.route("/<int:course_id>/enrolments/<int:enrolment_id>/remove", methods=["GET", "POST"])
def remove(course_id: int, enrolment_id: int) -> Any:
    """Ask why, then take someone off the course or its waiting list (the place passes on)."""
    enrolment = _course_enrolment_or_404(course_id, enrolment_id)
    form = RemoveForm()
    name = enrolment.student.display_name if enrolment.student else ""
    if form.validate_on_submit():
        reason = RemovalReason(form.reason.data)
        services.remove_by_admin(me(), enrolment, reason)
        flash(_("%(name)s is no longer on this course.", name=name), "success")
        return redirect(url_for("enrolment_admin.enrolments", course_id=course_id))
    status = 400 if form.errors else 200
    page = render_template(
        "admin/enrolment/remove.html", course=enrolment.course, enrolment=enrolment, form=form
    )
    return page, status
