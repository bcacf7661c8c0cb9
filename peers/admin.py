"""Administration of peers: the cover board, training programmes and cohorts, a peer's record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from college.auth import roles_required
from college.db import now_utc
from college.errors import DomainError
from college.extensions import db
from college.models import Role, User
from college.reports import record_export, table_response
from college.services import record_audit
from college.templating import NavItem
from courses.admin.common import people_with
from courses.forms import set_id_choices
from courses.models import Term
from courses.times import local_today
from peers import programme_name, services
from peers.forms import (
    AssignForm,
    CohortForm,
    ConfirmQualificationForm,
    MeetingPattern,
    PlaceForm,
    ProgrammeForm,
    RegisterGridForm,
)
from peers.models import Absence, Cohort, CohortMeeting, CoverRequest, TrainingProgramme

bp = Blueprint("peers_admin", __name__, url_prefix="/admin/peers")

ID = "int(max=2147483647)"
NAV = [
    NavItem("peers_admin.cover_board", _l("Cover board")),
    NavItem("peers_admin.training", _l("Training")),
]


@bp.before_request
@roles_required(Role.ADMIN)
def require_admin() -> None:
    """Every page here is for administrators only."""


def _act(write: Any, done: str, target: str) -> Response:
    """Call a service, say it is done and go to ``target`` (a refusal goes back to its page)."""
    write()
    flash(done, "success")
    return redirect(target)


# --- cover -----------------------------------------------------------------------------------


@bp.get("/cover")
def cover_board() -> str:
    """Every open cover request, the most urgent first."""
    entries = services.cover_board()
    forms = {}
    for entry in entries:
        form = AssignForm(prefix=f"r{entry.request.id}")
        set_id_choices(
            form.colleague,
            [(c.user.id, c.user.display_name) for c in entry.candidates],
            empty=_("Choose a colleague"),
        )
        forms[entry.request.id] = form
    return render_template("admin/peers/cover_board.html", entries=entries, forms=forms)


@bp.post(f"/cover/<{ID}:request_id>/assign")
def cover_assign(request_id: int) -> Response:
    """Give an open request to a colleague by hand."""
    request = db.get_or_404(CoverRequest, request_id)
    form = AssignForm(prefix=f"r{request.id}")
    form.colleague.choices = None  # any id; the service checks the person is a candidate
    target = url_for("peers_admin.cover_board")
    colleague = db.session.get(User, form.colleague.data) if form.colleague.data else None
    if colleague is None:
        flash(_("Please choose a colleague."), "error")
        return redirect(target)
    return _act(
        lambda: services.assign_cover(current_user, request, colleague),
        _("%(name)s now covers the session.", name=colleague.display_name),
        target,
    )


# --- training --------------------------------------------------------------------------------


def _cohort_form() -> CohortForm:
    form = CohortForm()
    set_id_choices(
        form.programme,
        [(p.id, programme_name(p.code)) for p in services.programmes()],
        empty=_("Choose a programme"),
    )
    people = dict(people_with(Role.TRAINER) + people_with(Role.PEER))
    form.trainers.choices = [
        SelectChoice(user_id, name) for user_id, name in sorted(people.items(), key=lambda p: p[1])
    ]
    return form


def _meetings_of(form: CohortForm, programme: TrainingProgramme) -> list[tuple[datetime, datetime]]:
    return services.meeting_times(
        form.first_day.data,
        form.starts.data,
        form.ends.data,
        form.count.data or programme.meeting_count,
        weekly=form.pattern.data == MeetingPattern.WEEKLY,
    )


@bp.route("/training", methods=["GET", "POST"])
def training() -> Any:
    """The training pipeline, the programmes and cohorts, and a form to open a cohort."""
    form = _cohort_form()
    if form.validate_on_submit():
        programme = db.session.get(TrainingProgramme, form.programme.data)
        trainers = [u for u in (db.session.get(User, i) for i in form.trainers.data or []) if u]
        try:
            with db.session.begin_nested():
                if programme is None:
                    raise DomainError(_l("Please choose a programme."))
                cohort = services.open_cohort(
                    current_user,
                    programme,
                    name=form.name.data,
                    places=form.places.data,
                    meetings=_meetings_of(form, programme),
                    trainers=trainers,
                )
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The cohort is open."), "success")
            return redirect(url_for("peers_admin.cohort", cohort_id=cohort.id))
    cohorts = db.session.scalars(sa.select(Cohort).order_by(Cohort.created_at.desc())).all()
    status = 400 if form.errors or form.form_errors else 200
    return (
        render_template(
            "admin/peers/training.html",
            form=form,
            pipeline=services.pipeline(local_today()),
            programmes=services.programmes(),
            cohorts=cohorts,
        ),
        status,
    )


@bp.route("/programmes/new", methods=["GET", "POST"])
def programme_new() -> Any:
    """Add a training programme beyond the two built-in ones."""
    form = ProgrammeForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                services.create_programme(
                    current_user,
                    name=form.name.data,
                    code=form.code.data,
                    meeting_count=form.meeting_count.data,
                    completion_percent=form.completion_percent.data,
                    valid_for_months=form.valid_for_months.data,
                )
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("The programme is added."), "success")
            return redirect(url_for("peers_admin.training"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("admin/peers/programme_form.html", form=form), status


def _cohort_people_forms(cohort: Cohort) -> tuple[PlaceForm, ConfirmQualificationForm]:
    place_form = PlaceForm()
    set_id_choices(
        place_form.person,
        [(u.id, u.display_name) for u in services.eligible_for_cohort(cohort)],
        empty=_("Choose a person"),
    )
    confirm_form = ConfirmQualificationForm()
    set_id_choices(
        confirm_form.person,
        [(p.user.id, p.user.display_name) for p in cohort.placed],
        empty=_("Choose a person"),
    )
    return place_form, confirm_form


@bp.get(f"/cohorts/<{ID}:cohort_id>")
def cohort(cohort_id: int) -> str:
    """One cohort: the register of all its meetings, places and completions."""
    cohort = db.get_or_404(Cohort, cohort_id)
    place_form, confirm_form = _cohort_people_forms(cohort)
    query = request.args.get("q", "").strip()[:100]
    candidates = [
        u
        for u in services.eligible_for_cohort(cohort)
        if not query
        or query.casefold() in u.display_name.casefold()
        or query.casefold() in u.email.casefold()
    ]
    completions = {
        p.user_id: services.completion_of(cohort.programme, p.user) for p in cohort.placed
    }
    record_audit(current_user, "training.cohort_viewed", cohort)
    return render_template(
        "admin/peers/cohort.html",
        cohort=cohort,
        marks=services.registers_of(cohort),
        begun={m.id for m in cohort.meetings if m.starts_at <= now_utc()},
        completions=completions,
        candidates=candidates,
        query=query,
        place_form=place_form,
        confirm_form=confirm_form,
        register_form=RegisterGridForm(),
    )


@bp.post(f"/cohorts/<{ID}:cohort_id>/register")
def cohort_register(cohort_id: int) -> Response:
    """Save the register of every meeting held so far at once, as one grid."""
    cohort = db.get_or_404(Cohort, cohort_id)
    target = url_for("peers_admin.cohort", cohort_id=cohort.id)
    if not RegisterGridForm().validate_on_submit():
        abort(400)
    present = set()
    for value in request.form.getlist("present"):
        meeting_id, _sep, user_id = value.partition("-")
        if meeting_id.isdigit() and user_id.isdigit() and len(value) < 24:
            present.add((int(meeting_id), int(user_id)))
    return _act(
        lambda: services.record_registers(current_user, cohort, present),
        _("The register is saved."),
        target,
    )


@bp.post(f"/cohorts/<{ID}:cohort_id>/places")
def cohort_place(cohort_id: int) -> Response:
    """Give a person a place in the cohort."""
    cohort = db.get_or_404(Cohort, cohort_id)
    form = PlaceForm()
    form.person.choices = None
    person = db.session.get(User, form.person.data) if form.person.data else None
    target = url_for("peers_admin.cohort", cohort_id=cohort.id)
    if person is None:
        flash(_("Please choose a person."), "error")
        return redirect(target)
    return _act(
        lambda: services.place_in_cohort(current_user, cohort, person),
        _("%(name)s has a place.", name=person.display_name),
        target,
    )


@bp.post(f"/meetings/<{ID}:meeting_id>/register")
def meeting_register(meeting_id: int) -> Response:
    """Save who was present at one meeting."""
    from flask import request

    meeting = db.get_or_404(CohortMeeting, meeting_id)
    present = {int(v) for v in request.form.getlist("present") if v.isdigit()}
    return _act(
        lambda: services.record_register(current_user, meeting, present),
        _("The register is saved."),
        url_for("peers_admin.cohort", cohort_id=meeting.cohort_id),
    )


@bp.post(f"/cohorts/<{ID}:cohort_id>/confirm")
def cohort_confirm(cohort_id: int) -> Any:
    """Confirm that a person completed the programme, granting the qualification; someone
    who is not a peer yet is asked about first, since it makes them one."""
    cohort = db.get_or_404(Cohort, cohort_id)
    form = ConfirmQualificationForm()
    form.person.choices = None
    person = db.session.get(User, form.person.data) if form.person.data else None
    target = url_for("peers_admin.cohort", cohort_id=cohort.id)
    if person is None or person.id not in {p.user_id for p in cohort.placed}:
        flash(_("Please choose a person."), "error")
        return redirect(target)
    if not person.has_role(Role.PEER) and not form.give_peer_role.data:
        return render_template(
            "admin/peers/confirm_peer_role.html", cohort=cohort, person=person, form=form
        )
    return _act(
        lambda: services.confirm_completion(
            current_user, cohort.programme, person, give_peer_role=bool(form.give_peer_role.data)
        ),
        _("%(name)s is qualified.", name=person.display_name),
        target,
    )


# --- one peer's record -----------------------------------------------------------------------


@bp.get(f"/people/<{ID}:peer_id>")
def person(peer_id: int) -> str:
    """A peer's or trainer's record: profile, availability and training (audited)."""
    person = db.get_or_404(User, peer_id)
    if not person.has_role(Role.PEER, Role.TRAINER):
        abort(404)
    absences = db.session.scalars(
        sa.select(Absence).where(Absence.user_id == person.id).order_by(Absence.starts_at.desc())
    ).all()
    record_audit(current_user, "peer.viewed", person)
    return render_template(
        "admin/peers/person.html",
        person=person,
        profile=services.profile_of(person),
        absences=absences,
        record=services.training_record(person),
        schedule=services.schedule_for(person),
    )


# --- reports ---------------------------------------------------------------------------------


@bp.get(f"/reports/terms/<{ID}:term_id>/teaching.<any(xlsx):kind>")
@bp.get(f"/reports/terms/<{ID}:term_id>/teaching.csv", defaults={"kind": "csv"})
def teaching_csv(term_id: int, kind: str) -> Response:
    """Download the sessions taught and covered per peer trainer in a term (audited)."""
    from peers.dashboard import teaching_figures

    term = db.get_or_404(Term, term_id)
    rows = [[r.name, r.taught, r.own, r.covered] for r in teaching_figures(term)]
    header = [
        _("Peer trainer"),
        _("Sessions"),
        _("Own sessions"),
        _("Covering for a colleague"),
    ]
    record_export(current_user, "peer_teaching", term)
    return table_response(f"term-{term.id}-peer-teaching", kind, header, rows)
