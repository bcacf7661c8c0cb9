"""Enrol, withdraw, answer offers, My courses, registers, certificates and feedback."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user, login_required

from college.auth import roles_required
from college.errors import DomainError
from college.extensions import db
from college.models import Role, User
from college.page_cache import PERSON, cached_response
from college.reports import table_response
from college.signals import extension_points
from college.transactions import Busy
from college.views import safe_next
from courses.enrolment import attendance, feedback, services
from courses.enrolment import pairs as pair_services
from courses.enrolment.busy import show_busy
from courses.enrolment.forms import ActionForm, EnrolForm, FeedbackForm
from courses.enrolment.models import AttendanceStatus, Enrolment, EnrolmentStatus
from courses.enrolment.queries import find_enrolment
from courses.models import Course, CourseSession, CourseStatus, SessionStatus
from courses.outcomes.models import Moment
from courses.outcomes.services import due_ratings, is_due
from courses.prospectus import venues_of
from courses.times import local_date

bp = Blueprint("enrolment", __name__)
bp.register_error_handler(Busy, show_busy)


def me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


def course_or_404(slug: str) -> Course:
    """A course people can see; drafts do not exist for them.

    The term comes along: enrolment checks its dates before the course row is locked.
    """
    course = db.session.scalar(
        sa.select(Course)
        .where(Course.slug == slug)
        .options(sa.orm.joinedload(Course.term, innerjoin=True))
    )
    if course is None or course.status == CourseStatus.DRAFT:
        abort(404)
    return course


def own_enrolment_or_404(enrolment_id: int) -> Enrolment:
    """Someone else's enrolment looks exactly like one that does not exist."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.student_id != current_user.id:
        abort(404)
    return enrolment


def outcome_message(status: str, position: int | None) -> str:
    if status == EnrolmentStatus.ENROLLED:
        return _("You are enrolled. We look forward to seeing you!")
    if status == EnrolmentStatus.OFFERED:
        return _("A place is being held for you. Please accept it on My courses.")
    return _(
        "The course is full, so you are on the waiting list as number %(position)s. "
        "We will email you as soon as a place is free.",
        position=position,
    )


@bp.post("/courses/<slug>/enrol")
@login_required
def enrol(slug: str) -> Any:
    """Enrol on a course, or join its waiting list."""
    form = EnrolForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = services.sign_up(me(), slug, belongs=bool(form.belongs.data))
    flash(outcome_message(outcome.enrolment.status, outcome.waitlist_position), "success")
    return redirect(url_for("enrolment.my_courses"))


@bp.get("/courses/<slug>/withdraw")
@login_required
def withdraw_confirm(slug: str) -> Any:
    """Ask once before withdrawing: the place goes to the next person."""
    course = course_or_404(slug)
    enrolment = find_enrolment(course, me())
    if enrolment is None or enrolment.status == EnrolmentStatus.WITHDRAWN:
        flash(str(services.NothingToWithdraw()), "error")
        return redirect(url_for("enrolment.my_courses"))
    return render_template(
        "enrolment/withdraw_confirm.html", course=course, enrolment=enrolment, form=ActionForm()
    )


@bp.post("/courses/<slug>/withdraw")
@login_required
def withdraw(slug: str) -> Any:
    """Withdraw from a course or its waiting list."""
    if not ActionForm().validate_on_submit():
        abort(400)
    course = course_or_404(slug)
    enrolment = find_enrolment(course, me())
    if enrolment is None:
        raise services.NothingToWithdraw()
    services.withdraw(me(), enrolment)
    flash(_("You have withdrawn. You are always welcome to sign up again."), "success")
    return redirect(url_for("enrolment.my_courses"))


@bp.get("/me/courses")
@login_required
@cached_response(PERSON)
def my_courses() -> str:
    """Show my upcoming and past courses and waiting lists."""
    upcoming, past = services.my_courses(me())
    ratings = due_ratings([item.enrolment.id for item in (*upcoming, *past)])
    pairs = pair_services.pairs_for([item.enrolment for item in (*upcoming, *past)])
    return render_template(
        "enrolment/my_courses.html",
        upcoming=upcoming,
        past=past,
        form=ActionForm(),
        ratings=ratings,
        pairs=pairs,
    )


@bp.get("/me/enrolments/<int:enrolment_id>/offer")
@login_required
def offer(enrolment_id: int) -> str:
    """Show a place held for me, with accept and "not now" buttons."""
    enrolment = own_enrolment_or_404(enrolment_id)
    course = enrolment.course
    return render_template(
        "enrolment/offer.html",
        enrolment=enrolment,
        sessions=course.scheduled_sessions,
        venues=venues_of(course),
        form=ActionForm(),
    )


@bp.post("/me/enrolments/<int:enrolment_id>/accept")
@login_required
def accept(enrolment_id: int) -> Any:
    """Accept the place held for me."""
    if not ActionForm().validate_on_submit():
        abort(400)
    enrolment = own_enrolment_or_404(enrolment_id)
    services.accept_offer(me(), enrolment)
    flash(_("The place is yours. Welcome!"), "success")
    return redirect(url_for("enrolment.my_courses"))


@bp.post("/me/enrolments/<int:enrolment_id>/decline")
@login_required
def decline(enrolment_id: int) -> Any:
    """Say "not now" to a place held for me."""
    if not ActionForm().validate_on_submit():
        abort(400)
    enrolment = own_enrolment_or_404(enrolment_id)
    services.decline_offer(me(), enrolment)
    flash(
        _("That is fine. The place goes to the next person, and you can sign up again any time."),
        "success",
    )
    return redirect(url_for("enrolment.my_courses"))


@bp.get("/me/sessions/<int:session_id>/apologies")
@login_required
def apologies_confirm(session_id: int) -> Any:
    """Ask once before telling the trainers I cannot come."""
    session = db.get_or_404(CourseSession, session_id)
    enrolment = find_enrolment(session.course, me())
    if enrolment is None or enrolment.status != EnrolmentStatus.ENROLLED:
        abort(404)
    return render_template("enrolment/apologies_confirm.html", session=session, form=ActionForm())


@bp.post("/me/sessions/<int:session_id>/apologies")
@login_required
def apologies(session_id: int) -> Any:
    """Tell the trainers I cannot come to a session (no reason needed)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db.get_or_404(CourseSession, session_id)
    attendance.send_apologies(me(), session)
    flash(_("Thank you for letting us know. We hope to see you next time."), "success")
    return redirect(url_for("enrolment.my_courses"))


@bp.post("/me/sessions/<int:session_id>/apologies/take-back")
@login_required
def apologies_take_back(session_id: int) -> Any:
    """Take my apologies back: I can come after all."""
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db.get_or_404(CourseSession, session_id)
    attendance.take_back_apologies(me(), session)
    flash(_("Good to hear you can come after all. See you there!"), "success")
    return redirect(url_for("enrolment.my_courses"))


@bp.get("/me/enrolments/<int:enrolment_id>/certificate")
@login_required
def certificate(enrolment_id: int) -> str:
    """Show a print-ready certificate of participation."""
    enrolment = own_enrolment_or_404(enrolment_id)
    if not attendance.has_completed(me(), enrolment.course):
        abort(404)
    sessions = [s for s in enrolment.course.sessions if s.status == SessionStatus.SCHEDULED]
    return render_template(
        "enrolment/certificate.html",
        enrolment=enrolment,
        course=enrolment.course,
        sessions=sessions,
    )


@bp.route("/me/enrolments/<int:enrolment_id>/feedback", methods=["GET", "POST"])
@login_required
def give_feedback(enrolment_id: int) -> Any:
    """Give anonymous feedback on a course I took."""
    enrolment = own_enrolment_or_404(enrolment_id)
    course = enrolment.course
    try:
        feedback.check_feedback_allowed(me(), course)
    except DomainError as error:
        return render_template("enrolment/feedback_closed.html", course=course, message=str(error))
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                feedback.give_feedback(me(), course, form.scores(), form.comment.data)
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Thank you! Your answers help us make the courses better."), "success")
            if is_due(enrolment, Moment.AFTER):
                return redirect(url_for("outcomes.rate", enrolment_id=enrolment.id, moment="after"))
            return redirect(url_for("enrolment.my_courses"))
    status = 400 if form.errors else 200
    return render_template("enrolment/feedback.html", course=course, form=form), status


def parse_marks(form: Any) -> dict[int, AttendanceStatus] | None:
    """``mark-<student id>`` fields as statuses, or None when any is not understood."""
    marks: dict[int, AttendanceStatus] = {}
    for key, value in form.items():
        if not key.startswith("mark-") or not value:
            continue
        student_id = key.removeprefix("mark-")
        if not student_id.isdigit() or value not in set(AttendanceStatus):
            return None
        marks[int(student_id)] = AttendanceStatus(value)
    return marks


def after_register(session: CourseSession) -> str:
    """Where a register returns to: where it was opened from, else the person's schedule
    (or, for an administrator who does not teach it, the course's admin page)."""
    target = request.values.get("next")
    if target:
        return safe_next(target)
    teaches = any(f.user_id == me().id for f in session.facilitators)
    if not teaches and me().has_role(Role.ADMIN):
        return url_for("courses_admin.course", course_id=session.course_id)
    # The page teachers work from belongs to another package, which names it.
    endpoint = extension_points().teaching_page_endpoint
    return url_for(endpoint) if endpoint else url_for("main.index")


@bp.route("/courses/sessions/<int:session_id>/register", methods=["GET", "POST"])
@roles_required(Role.PEER, Role.TRAINER, Role.ADMIN)
def register(session_id: int) -> Any:
    """Keep the attendance register of a session I facilitate; everyone starts as present."""
    session = db.get_or_404(CourseSession, session_id)
    if not attendance.can_keep_register(me(), session):
        abort(403)
    form = ActionForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        marks = parse_marks(request.form)
        try:
            with db.session.begin_nested():
                if marks is None:
                    raise DomainError(_("Please choose present, sent apologies or absent."))
                attendance.mark_attendance(me(), session, marks)
        except attendance.RegisterNotYetOpen:
            status = 400  # the page below says why
        except DomainError as error:
            flash(str(error), "error")
            status = 400
        else:
            flash(_("The register is saved."), "success")
            return redirect(after_register(session))
    back = after_register(session)
    try:
        rows = attendance.register_for(me(), session)  # refused before it writes anything
    except attendance.RegisterNotYetOpen as error:
        # Said on the page itself, with the way back: there is nothing to mark yet.
        html = render_template(
            "enrolment/register.html",
            session=session,
            rows=[],
            form=form,
            back=back,
            not_open=str(error),
        )
        return html, status
    html = render_template(
        "enrolment/register.html", session=session, rows=rows, form=form, back=back
    )
    return html, status


@bp.get("/courses/sessions/<int:session_id>/register.<any(xlsx):kind>")
@bp.get("/courses/sessions/<int:session_id>/register.csv", defaults={"kind": "csv"})
@roles_required(Role.PEER, Role.TRAINER, Role.ADMIN)
def register_csv(session_id: int, kind: str) -> Response:
    """Download the register of a session I facilitate (the download is audited)."""
    session = db.get_or_404(CourseSession, session_id)
    if not attendance.can_keep_register(me(), session):
        abort(403)
    rows = attendance.export_register(me(), session)
    day, clock = local_date(session.starts_at), format_time(session.starts_at, "HH:mm")
    header = [_("Course"), _("Date"), _("Time"), _("Name"), _("Attendance")]
    lines = [
        [session.course.title, day, clock, student.display_name, _mark_word(mark)]
        for student, mark in rows
    ]
    return table_response(f"register-{session.course.slug}-{day.isoformat()}", kind, header, lines)


def _mark_word(mark: str | None) -> str:
    return AttendanceStatus.label_of(mark) if mark else ""
