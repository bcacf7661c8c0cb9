"""A peer's or trainer's own pages: schedule, absences, unavailability, cover offers, profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from college.auth import roles_required
from college.errors import DomainError
from college.extensions import db
from college.models import PublicVisibility, Role
from courses.models import CourseSession
from courses.times import local_clock, local_date, to_utc
from peers import services
from peers.forms import AbsenceForm, ProfileForm, UnavailabilityForm
from peers.models import Absence, Unavailability

bp = Blueprint("peers", __name__, url_prefix="/peers")

ID = "int(max=2147483647)"


@bp.before_request
@roles_required(Role.PEER, Role.TRAINER)
def require_teacher() -> None:
    """These pages are for the people who teach."""


def _to_schedule() -> Response:
    return redirect(url_for("peers.schedule"))


def _act(write: Callable[[], Any], done: str) -> Response:
    """Call a service and go back to the schedule; a refusal goes back to its page."""
    write()
    flash(done, "success")
    return _to_schedule()


def _own_absence(absence_id: int) -> Absence:
    absence = db.session.get(Absence, absence_id)
    if absence is None or absence.user_id != current_user.id:
        raise services.NotYourSession(_("We could not find that absence."))
    return absence


@bp.get("/schedule")
def schedule() -> str:
    """Show my upcoming sessions, cover offers, absences and training meetings."""
    return render_template(
        "peers/schedule.html",
        schedule=services.schedule_for(current_user),
        unavailability_form=UnavailabilityForm(),
    )


def _own_session(session_id: int) -> CourseSession:
    session = db.session.get(CourseSession, session_id)
    if session is None or current_user.id not in {f.user_id for f in session.facilitators}:
        raise services.NotYourSession()
    return session


@bp.get(f"/sessions/<{ID}:session_id>/cannot-make-it")
def cannot_make_it_confirm(session_id: int) -> str:
    """Ask once before telling colleagues I cannot come: it asks them to cover."""
    session = _own_session(session_id)
    return render_template("peers/cannot_make_it.html", session=session)


@bp.post(f"/sessions/<{ID}:session_id>/cannot-make-it")
def cannot_make_it(session_id: int) -> Response:
    """Say that I cannot come to one of my sessions; no reason is asked."""
    session = db.session.get(CourseSession, session_id)
    if session is None:
        raise services.NotYourSession()
    return _act(
        lambda: services.cannot_make_it(current_user, session),
        _("Thank you for telling us. We are asking your colleagues to cover."),
    )


def _period(form: AbsenceForm) -> tuple[Any, Any]:
    return (
        to_utc(form.start_day.data, form.start_time.data),
        to_utc(form.end_day.data, form.end_time.data),
    )


def _save_absence(form: AbsenceForm, write: Callable[[], Any]) -> Response | None:
    if not form.validate_on_submit():
        return None
    try:
        with db.session.begin_nested():
            write()
    except DomainError as error:
        form.form_errors.append(str(error))
        return None
    flash(_("Your absence is saved."), "success")
    return _to_schedule()


@bp.route("/absences/new", methods=["GET", "POST"])
def absence_new() -> Any:
    """Record a period I cannot teach; no reason is asked."""
    form = AbsenceForm()
    done = _save_absence(
        form,
        lambda: services.record_absence(current_user, current_user, *_period(form), form.note.data),
    )
    if done:
        return done
    status = 400 if form.errors or form.form_errors else 200
    return render_template("peers/absence_form.html", form=form, absence=None), status


@bp.route(f"/absences/<{ID}:absence_id>", methods=["GET", "POST"])
def absence_edit(absence_id: int) -> Any:
    """Change the period or note of one of my absences."""
    absence = _own_absence(absence_id)
    form = AbsenceForm()
    if not form.is_submitted():
        form.start_day.data, form.start_time.data = (
            local_date(absence.starts_at),
            local_clock(absence.starts_at),
        )
        form.end_day.data, form.end_time.data = (
            local_date(absence.ends_at),
            local_clock(absence.ends_at),
        )
        form.note.data = absence.private_note
    done = _save_absence(
        form,
        lambda: services.update_absence(current_user, absence, *_period(form), form.note.data),
    )
    if done:
        return done
    status = 400 if form.errors or form.form_errors else 200
    return render_template("peers/absence_form.html", form=form, absence=absence), status


@bp.post(f"/absences/<{ID}:absence_id>/withdraw")
def absence_withdraw(absence_id: int) -> Response:
    """Take back one of my absences."""
    absence = _own_absence(absence_id)
    return _act(
        lambda: services.withdraw_absence(current_user, absence),
        _("Your absence is withdrawn. Cover nobody has taken yet is called off."),
    )


@bp.post("/unavailability")
def unavailability_add() -> Response:
    """Add a weekly time I cannot teach."""
    form = UnavailabilityForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return _to_schedule()
    return _act(
        lambda: services.add_unavailability(
            current_user, current_user, int(form.weekday.data), form.starts.data, form.ends.data
        ),
        _("Saved. You will not be asked to teach at that time."),
    )


@bp.post(f"/unavailability/<{ID}:item_id>/remove")
def unavailability_remove(item_id: int) -> Response:
    """Remove one of my weekly unavailable times."""
    item = db.session.get(Unavailability, item_id)
    if item is None or item.user_id != current_user.id:
        raise services.NotYourSession(_("We could not find that."))
    return _act(
        lambda: services.remove_unavailability(current_user, current_user, item),
        _("Removed."),
    )


@bp.post(f"/offers/<{ID}:offer_id>/accept")
def offer_accept(offer_id: int) -> Response:
    """Accept a cover offer; the first colleague to accept takes the session."""
    offer = services.find_offer(current_user, offer_id)
    return _act(
        lambda: services.accept_offer(current_user, offer),
        _("Thank you! The session is yours, and your colleagues are told."),
    )


@bp.post(f"/offers/<{ID}:offer_id>/decline")
def offer_decline(offer_id: int) -> Response:
    """Say no to a cover offer, without giving a reason."""
    offer = services.find_offer(current_user, offer_id)
    return _act(lambda: services.decline_offer(current_user, offer), _("Noted. Thank you."))


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> Any:
    """How I want to teach: active or resting, how often, which topics, my public name."""
    profile = services.profile_of(current_user)
    form = ProfileForm()
    form.offer_choices_for(current_user.has_role(Role.PEER))
    if not form.is_submitted():
        form.status.data = profile.status
        form.max_sessions_per_week.data = profile.max_sessions_per_week
        form.topics.data = sorted(profile.topics)
        form.public_visibility.data = current_user.public_visibility
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                services.update_profile(
                    current_user,
                    current_user,
                    status=form.status.data,
                    max_sessions_per_week=form.max_sessions_per_week.data,
                    topics=form.topics.data or [],
                    public_visibility=PublicVisibility(form.public_visibility.data),
                )
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Your profile is saved."), "success")
            return _to_schedule()
    status = 400 if form.errors or form.form_errors else 200
    return render_template("peers/profile.html", form=form), status


@bp.get("/training")
def training() -> str:
    """My training record: cohorts, meetings attended and qualifications."""
    return render_template("peers/training.html", record=services.training_record(current_user))
