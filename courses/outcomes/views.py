"""The student's pages: rate before and after a course, or skip; see what changed."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from college.errors import DomainError
from college.extensions import db
from courses.enrolment.forms import ActionForm
from courses.enrolment.views import own_enrolment_or_404
from courses.outcomes import services
from courses.outcomes.forms import rating_form
from courses.outcomes.models import Moment

bp = Blueprint("outcomes", __name__)

MOMENT = "any(before, after):moment"


@bp.route(f"/me/enrolments/<int:enrolment_id>/ratings/<{MOMENT}>", methods=["GET", "POST"])
@login_required
def rate(enrolment_id: int, moment: str) -> Any:
    """Rate, anonymously, how things are for me now, before or after a course."""
    enrolment = own_enrolment_or_404(enrolment_id)
    when = Moment(moment)
    course = enrolment.course
    try:
        services.check_open(enrolment, when)
        questionnaire = services.questionnaire_for_term(course.term_id)
        if questionnaire is None:
            raise services.NoQuestionnaire()
    except DomainError as error:
        return render_template(
            "outcomes/closed.html", course=course, moment=when, message=str(error)
        ), error.status_code
    form = rating_form(questionnaire)
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                change = services.rate(enrolment, when, form.scores())
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            if change:
                # Shown in this answer only: nothing keeps it where it could be read again.
                return render_template("outcomes/changed.html", course=course, change=change)
            flash(_("Thank you! Your answers are stored without your name."), "success")
            return redirect(url_for("enrolment.my_courses"))
    return render_template(
        "outcomes/rate.html",
        course=course,
        enrolment=enrolment,
        moment=when,
        form=form,
        skip_form=ActionForm(),
    ), 400 if form.errors else 200


@bp.post(f"/me/enrolments/<int:enrolment_id>/ratings/<{MOMENT}>/skip")
@login_required
def skip(enrolment_id: int, moment: str) -> Any:
    """Skip a rating; I will not be asked again."""
    if not ActionForm().validate_on_submit():
        abort(400)
    enrolment = own_enrolment_or_404(enrolment_id)
    try:
        with db.session.begin_nested():
            services.skip(enrolment, Moment(moment))
    except DomainError as error:
        flash(str(error), "error")
    else:
        flash(_("That is fine. We will not ask you again."), "success")
    return redirect(url_for("enrolment.my_courses"))
