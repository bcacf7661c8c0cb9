"""The head count of a drop-in session and the sheet for hearing about courses, for the
session's teachers (and administrators); the sheet's list for administrators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from college.auth import roles_required
from college.errors import DomainError
from college.extensions import db
from college.models import Role, User
from courses.dropin import services
from courses.dropin.forms import HeadCountForm, InterestForm
from courses.enrolment.attendance import RegisterNotYetOpen, can_keep_register
from courses.enrolment.forms import ActionForm
from courses.enrolment.views import after_register
from courses.models import CourseSession

bp = Blueprint("dropin", __name__)
admin_bp = Blueprint("dropin_admin", __name__, url_prefix="/admin/drop-in")

TEACHERS = (Role.PEER, Role.TRAINER, Role.ADMIN)


def me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


def teaching_session(session_id: int) -> CourseSession:
    """A session I teach (or any, for an administrator); 403 for anyone else."""
    session = db.get_or_404(CourseSession, session_id)
    if not can_keep_register(me(), session):
        abort(403)
    return session


@bp.route("/courses/sessions/<int:session_id>/head-count", methods=["GET", "POST"])
@roles_required(*TEACHERS)
def head_count(session_id: int) -> Any:
    """Count how many came to a drop-in session I teach, with no names."""
    session = teaching_session(session_id)
    back = after_register(session)
    if not services.is_drop_in(session):
        return redirect(url_for("enrolment.register", session_id=session.id, next=back))
    try:
        services.open_head_count(me(), session)
    except RegisterNotYetOpen as error:
        page = render_template(
            "dropin/head_count.html", session=session, form=None, back=back, not_open=str(error)
        )
        return page, 200
    form = HeadCountForm(obj=services.head_count_of(session))
    if form.validate_on_submit():
        visits = services.Visits(
            came=form.came.data,
            first=form.first_visits.data or 0,
            second=form.second_visits.data or 0,
            third=form.third_visits.data or 0,
        )
        try:
            with db.session.begin_nested():
                services.record_head_count(me(), session, visits)
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The head count is saved. Thank you."), "success")
            return redirect(back)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("dropin/head_count.html", session=session, form=form, back=back), status


@bp.route("/courses/sessions/<int:session_id>/hear-about-courses", methods=["GET", "POST"])
@roles_required(*TEACHERS)
def interest(session_id: int) -> Any:
    """Write down, with their consent, how someone at a drop-in would like to hear about courses."""
    session = teaching_session(session_id)
    if not services.is_drop_in(session):
        abort(404)
    form = InterestForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                services.record_interest(
                    me(), session, name=form.name.data, contact=form.contact.data,
                    consent=bool(form.consent.data),
                )  # fmt: skip
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Thank you. We will tell you about our courses."), "success")
            # A fresh sheet for the next person.
            return redirect(url_for("dropin.interest", session_id=session.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("dropin/interest.html", session=session, form=form), status


# --- administrators -------------------------------------------------------------------------------


@admin_bp.before_request
@roles_required(Role.ADMIN)
def require_admin() -> None:
    """The list of people's details is for administrators only."""


@admin_bp.post("/sessions/<int:session_id>")
def session_drop_in(session_id: int) -> Any:
    """Open one session of a course with sign-up as a drop-in, or close it again."""
    session = db.get_or_404(CourseSession, session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    opening = bool(request.form.get("drop_in"))
    try:
        with db.session.begin_nested():
            services.set_session_drop_in(me(), session, opening)
    except DomainError as error:
        flash(str(error), "error")
    else:
        done = (
            _("The session is open as a drop-in.")
            if opening
            else _("The session needs sign-up again.")
        )
        flash(done, "success")
    return redirect(url_for("courses_admin.course", course_id=session.course_id))


@admin_bp.get("/interest")
def interest_list() -> str:
    """List who asked at a drop-in to hear about courses (reading it is audited)."""
    rows = services.interest_list(me())
    return render_template(
        "dropin/interest_list.html", rows=rows, form=ActionForm(), kept=services.interest_kept_for()
    )


@admin_bp.get("/interest/<int:interest_id>/delete")
def interest_delete_confirm(interest_id: int) -> Any:
    """Ask before deleting one entry: it cannot be undone."""
    try:
        interest = services.interest_to_delete(me(), interest_id)
    except DomainError:
        abort(404)
    return render_template("dropin/interest_delete.html", interest=interest, form=ActionForm())


@admin_bp.post("/interest/<int:interest_id>/delete")
def interest_delete(interest_id: int) -> Any:
    """Delete one entry of the list."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        with db.session.begin_nested():
            services.delete_interest(me(), interest_id)
    except DomainError as error:
        flash(str(error), "error")
    else:
        flash(_("The entry is deleted."), "success")
    return redirect(url_for("dropin_admin.interest_list"))
