"""Pages for signing up as a pair: the student's form, the companion's invitation, the answer.

The routes join the enrolment blueprint (``courses.enrolment.views.bp``).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from college.db import now_utc
from college.errors import DomainError
from courses.enrolment import pairs, services
from courses.enrolment.forms import ActionForm, ConfirmCompanionForm, PairEnrolForm
from courses.enrolment.models import EnrolmentStatus
from courses.enrolment.views import bp, course_or_404, me, own_enrolment_or_404
from courses.prospectus import venues_of


def pair_outcome(placement: pairs.PairPlacement) -> str:
    name = placement.companion.name or ""
    if placement.enrolment.status == EnrolmentStatus.ENROLLED:
        return _(
            "You have a place, and one is held for %(name)s. We have emailed them a link to "
            "confirm it.",
            name=name,
        )
    return _(
        "There are not two places free, so you and %(name)s are on the waiting list together "
        "as number %(position)s. We will email you when there are places for you both.",
        name=name,
        position=placement.position,
    )


@bp.route("/courses/<slug>/enrol-together", methods=["GET", "POST"])
@login_required
def enrol_together(slug: str) -> Any:
    """Sign up for a course together with someone who comes with me."""
    course = course_or_404(slug)
    try:
        services.check_enrolment_open(course, now_utc())
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for("courses.detail", slug=slug))
    form = PairEnrolForm()
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return render_template("enrolment/enrol_together.html", course=course, form=form), status

    def sign_up() -> str:
        placement = pairs.enrol_together(
            me(),
            course_or_404(slug),
            name=form.name.data or "",
            email=form.email.data or "",
            relation=form.relation.data or "",
            belongs=bool(form.belongs.data),
        )
        return pair_outcome(placement)

    get_locale()
    try:
        message = sign_up()
    except DomainError as error:
        form.form_errors.append(str(error))
        return render_template("enrolment/enrol_together.html", course=course, form=form), 400
    flash(message, "success")
    return redirect(url_for("enrolment.my_courses"))


@bp.get("/companions/<invitation_token>")
def invitation(invitation_token: str) -> Any:
    """Show an invitation to come along with a student, with confirm and decline."""
    companion = pairs.find_invitation(invitation_token)
    if companion is None:
        abort(404)
    course = companion.course
    return render_template(
        "enrolment/invitation.html",
        companion=companion,
        course=course,
        student=companion.student_enrolment.student,
        is_open=pairs.is_open(companion),
        sessions=course.scheduled_sessions,
        venues=venues_of(course),
        token=invitation_token,
        form=ConfirmCompanionForm(),
        decline_form=ActionForm(),
    )


@bp.post("/companions/<invitation_token>/confirm")
@login_required
def confirm_invitation(invitation_token: str) -> Any:
    """Take the place held for me as someone's companion."""
    if pairs.find_invitation(invitation_token) is None:
        abort(404)
    form = ConfirmCompanionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        pairs.confirm(me(), invitation_token, belongs=bool(form.belongs.data))
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for("enrolment.invitation", invitation_token=invitation_token))
    flash(_("Your place is confirmed. We look forward to seeing you both!"), "success")
    return redirect(url_for("enrolment.my_courses"))


@bp.post("/companions/<invitation_token>/decline")
def decline_invitation(invitation_token: str) -> Any:
    """Say I cannot come; the place held for me goes to the next person."""
    if pairs.find_invitation(invitation_token) is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        pairs.decline(invitation_token)
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for("enrolment.invitation", invitation_token=invitation_token))
    flash(_("Thank you for letting us know. We have told the person who invited you."), "success")
    return redirect(url_for("enrolment.invitation", invitation_token=invitation_token))


@bp.post("/me/enrolments/<int:enrolment_id>/keep-alone")
@login_required
def keep_place_alone(enrolment_id: int) -> Any:
    """Keep my place although the person I signed up with cannot come."""
    if not ActionForm().validate_on_submit():
        abort(400)
    enrolment = own_enrolment_or_404(enrolment_id)
    try:
        pairs.keep_place_alone(me(), enrolment)
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for("enrolment.my_courses"))
    flash(_("You keep your place. We look forward to seeing you!"), "success")
    return redirect(url_for("enrolment.my_courses"))
