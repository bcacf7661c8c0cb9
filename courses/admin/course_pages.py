"""Admin pages for courses, their pair, status and sessions; local times in, UTC stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import SelectField

from college.errors import DomainError
from college.extensions import db
from college.models import Programme
from college.urls import requested_page
from courses import services
from courses.admin.common import (
    ID,
    PAGE_SIZE,
    bp,
    course_links,
    get_user,
    get_venue,
    load_course,
    rows_of,
    save,
    show,
    to_course,
)
from courses.forms import (
    ConfirmForm,
    CourseForm,
    FacilitatorsForm,
    PairForm,
    SeriesForm,
    SessionForm,
    StatusForm,
    local_parts,
    set_id_choices,
)
from courses.models import (
    Audience,
    Course,
    CourseFormat,
    CourseSession,
    CourseStatus,
    FacilitatorRole,
    Partner,
    Term,
    Topic,
    Venue,
)
from courses.services.candidates import (
    Candidate,
    Hint,
    hints_for,
    matching,
    rank_candidates,
    upcoming_sessions,
)
from courses.services.status import publication_problem_groups
from courses.times import to_utc

PROFESSIONAL = FacilitatorRole.PROFESSIONAL

# --- courses ---------------------------------------------------------------------------------


def term_choices() -> list[tuple[int, str]]:
    """Terms by date, newest first, as the terms page lists them."""
    rows = db.session.scalars(sa.select(Term).order_by(Term.starts_on.desc(), Term.id.desc()))
    return [(term.id, term.name) for term in rows]


@bp.get("/courses/")
def courses() -> str:
    """List every course, filterable by status and term."""
    status = request.args.get("status", "")
    term = request.args.get("term", "")
    statement = sa.select(Course).options(joinedload(Course.term)).order_by(Course.title, Course.id)
    if status in {str(s) for s in CourseStatus}:
        statement = statement.where(Course.status == status)
    if term.isdigit() and len(term) < 10:
        statement = statement.where(Course.term_id == int(term))
    page = db.paginate(statement, per_page=PAGE_SIZE, page=requested_page(), error_out=False)
    terms = db.session.scalars(sa.select(Term).order_by(Term.starts_on.desc()))
    return render_template(
        "admin/courses/courses.html", page=page, status=status, term=term, terms=list(terms)
    )


def course_form(course: Course | None = None) -> CourseForm:
    form = CourseForm(obj=course)
    set_id_choices(form.term, term_choices(), empty=_("Choose a term"))
    set_id_choices(form.venue, rows_of(Venue), empty=_("No usual venue"))
    set_id_choices(form.partners, rows_of(Partner))
    if course is not None and not form.is_submitted():
        form.term.data = course.term_id
        form.venue.data = course.venue_id
        form.partners.data = [p.id for p in course.partners]
    return form


def course_details(form: CourseForm) -> services.CourseDetails:
    partner_ids = form.partners.data or []
    chosen = db.session.scalars(sa.select(Partner).where(Partner.id.in_(partner_ids)))
    return services.CourseDetails(
        title=form.title.data,
        slug=form.slug.data,
        summary=form.summary.data,
        description=form.description.data,
        learning_outcomes=form.learning_outcomes.data or "",
        topic=Topic(form.topic.data),
        audience=Audience(form.audience.data),
        format=CourseFormat(form.format.data),
        capacity=form.capacity.data,
        required_programme=Programme(form.required_programme.data),
        term=db.session.get_one(Term, form.term.data),
        venue=get_venue(form.venue.data),
        partners=list(chosen),
        drop_in=bool(form.drop_in.data),
        room_capacity=form.room_capacity.data,
    )


@bp.route("/courses/new", methods=["GET", "POST"])
def course_new() -> Any:
    """Create a draft course."""
    form = course_form()
    done = save(
        form,
        lambda: services.create_course(current_user, course_details(form)),
        _("The course is saved as a draft. Now add its sessions and its pair."),
        to_course,
    )
    return done or show("admin/courses/form.html", form, title=_("New course"))


@bp.route(f"/courses/<{ID}:course_id>/edit", methods=["GET", "POST"])
def course_edit(course_id: int) -> Any:
    """Change a course's description, places and partners."""
    course = load_course(course_id)
    form = course_form(course)
    done = save(
        form,
        lambda: services.update_course(current_user, course, course_details(form)),
        _("The course is saved."),
        to_course,
    )
    return done or show("admin/courses/form.html", form, title=_("Edit course"), course=course)


@bp.get(f"/courses/<{ID}:course_id>")
def course(course_id: int) -> str:
    """Show a course, its sessions and pair, and what stands in the way of publishing it."""
    return render_course(load_course(course_id))


def render_course(course: Course, refusal: str | None = None) -> str:
    problems = []
    if course.status == CourseStatus.DRAFT or refusal:
        problems = publication_problem_groups(course)
    return render_template(
        "admin/courses/course.html",
        course=course,
        problems=problems,
        refusal=refusal,
        next_statuses=services.next_statuses(course),
        links=course_links(),
        register_open={s.id for s in course.sessions if services.register_is_open(s)},
    )


@bp.get(f"/courses/<{ID}:course_id>/status")
def course_status_confirm(course_id: int) -> Any:
    """Ask before cancelling or archiving a course: both end it for everyone."""
    course = load_course(course_id)
    wanted = request.args.get("status", "")
    if wanted not in {str(s) for s in services.next_statuses(course)}:
        abort(404)
    return render_template(
        "admin/courses/confirm_status.html",
        course=course,
        status=CourseStatus(wanted),
        form=StatusForm(),
    )


@bp.post(f"/courses/<{ID}:course_id>/status")
def course_status(course_id: int) -> Any:
    """Publish, cancel or archive a course; a refusal lists every reason at once."""
    course = load_course(course_id)
    wanted = request.form.get("status", "")
    if not StatusForm().validate_on_submit() or wanted not in {str(s) for s in CourseStatus}:
        abort(400)
    try:
        with db.session.begin_nested():
            services.change_course_status(current_user, course, CourseStatus(wanted))
    except services.ProblemsError as error:
        return render_course(load_course(course_id), str(error.message)), 409
    except DomainError as error:
        return render_course(load_course(course_id), str(error)), error.status_code
    flash(_("The course is now %(status)s.", status=services.status_word(wanted)), "success")
    return redirect(to_course(course))


@dataclass(frozen=True)
class Picker:
    """One role's radio list: every candidate, the best first, each with their hints."""

    field: SelectField
    rows: list[tuple[Candidate, list[Hint]]]


def offer_candidates(
    form: PairForm | FacilitatorsForm,
    course: Course,
    sessions: list[CourseSession],
    *,
    whole_course: bool,
) -> list[Picker]:
    """Fill both pickers' choices (all candidates) and say what to show of them."""
    query = request.args.get("q", "")[:100]
    pickers = []
    for field, role in ((form.peer, FacilitatorRole.PEER), (form.professional, PROFESSIONAL)):
        ranked = rank_candidates(course, role, sessions, whole_course=whole_course)
        set_id_choices(field, [(c.user_id, c.name) for c in ranked], empty="")
        shown = matching(ranked, query, {field.data} if field.data else set())
        rows = [(c, hints_for(c, course.required_programme)) for c in shown]
        pickers.append(Picker(field, rows))
    return pickers


def show_pickers(form: FlaskForm, pickers: list[Picker], **context: Any) -> tuple[str, int]:
    return show(
        "admin/courses/pair.html",
        form,
        pickers=pickers,
        query=request.args.get("q", "")[:100],
        **context,
    )


@bp.route(f"/courses/<{ID}:course_id>/pair", methods=["GET", "POST"])
def course_pair(course_id: int) -> Any:
    """Choose the peer trainer and professional trainer who usually teach the course."""
    course = load_course(course_id)
    form = PairForm()
    if not form.is_submitted():
        form.peer.data = next((u.id for u in course.pair(FacilitatorRole.PEER)), None)
        form.professional.data = next((u.id for u in course.pair(PROFESSIONAL)), None)
    sessions = upcoming_sessions(course)
    pickers = offer_candidates(form, course, sessions, whole_course=True)
    done = save(
        form,
        lambda: services.set_course_pair(
            current_user,
            course,
            get_user(form.peer.data),
            get_user(form.professional.data),
            apply_to_sessions=form.apply_to_sessions.data,
        ),
        _("The pair is saved."),
        to_course,
    )
    return done or show_pickers(
        form, pickers, title=_("The pair"), course=course, session_count=len(sessions)
    )


# --- sessions --------------------------------------------------------------------------------


def session_form(course: Course, obj: CourseSession | None = None) -> SessionForm:
    form = SessionForm()
    usual = course.venue.name if course.venue else _("none")
    set_id_choices(form.venue, rows_of(Venue), empty=_("The usual venue (%(name)s)", name=usual))
    if obj is not None and not form.is_submitted():
        form.day.data, form.starts.data = local_parts(obj.starts_at)
        form.ends.data = local_parts(obj.ends_at)[1]
        form.venue.data = obj.venue_id
    return form


def session_times(form: SessionForm) -> tuple[Any, Any]:
    return to_utc(form.day.data, form.starts.data), to_utc(form.day.data, form.ends.data)


@bp.route(f"/courses/<{ID}:course_id>/sessions/new", methods=["GET", "POST"])
def session_new(course_id: int) -> Any:
    """Add one session, taught by the course's pair."""
    course = load_course(course_id)
    form = session_form(course)
    done = save(
        form,
        lambda: services.add_session(
            current_user, course, *session_times(form), get_venue(form.venue.data)
        ),
        _("The session is added."),
        lambda _session: to_course(course),
    )
    return done or show("admin/courses/form.html", form, title=_("Add a session"), course=course)


@bp.route(f"/courses/<{ID}:course_id>/sessions/series", methods=["GET", "POST"])
def session_series(course_id: int) -> Any:
    """Add a weekly series of sessions at the same local time."""
    course = load_course(course_id)
    form = SeriesForm()
    usual = course.venue.name if course.venue else _("none")
    set_id_choices(form.venue, rows_of(Venue), empty=_("The usual venue (%(name)s)", name=usual))
    done = save(
        form,
        lambda: services.add_weekly_series(
            current_user,
            course,
            form.first_day.data,
            form.starts.data,
            form.minutes.data,
            form.count.data,
            get_venue(form.venue.data),
        ),
        _("The sessions are added."),
        lambda _sessions: to_course(course),
    )
    return done or show(
        "admin/courses/form.html", form, title=_("Add a weekly series"), course=course
    )


def load_session(session_id: int) -> CourseSession:
    session = db.session.get(CourseSession, session_id)
    if session is None:
        abort(404)
    return session


@bp.route(f"/sessions/<{ID}:session_id>/reschedule", methods=["GET", "POST"])
def session_reschedule(session_id: int) -> Any:
    """Move one session to another time or place."""
    session = load_session(session_id)
    form = session_form(session.course, session)
    done = save(
        form,
        lambda: services.reschedule_session(
            current_user,
            session,
            *session_times(form),
            get_venue(form.venue.data) or session.course.venue,
        ),
        _("The session is moved."),
        lambda _session: to_course(session.course),
    )
    return done or show(
        "admin/courses/form.html",
        form,
        title=_("Move a session"),
        course=session.course,
        course_session=session,
    )


@bp.route(f"/sessions/<{ID}:session_id>/facilitators", methods=["GET", "POST"])
def session_facilitators(session_id: int) -> Any:
    """Change who facilitates this one session."""
    session = load_session(session_id)
    form = FacilitatorsForm()
    if not form.is_submitted():
        form.peer.data = next((u.id for u in session.people(FacilitatorRole.PEER)), None)
        form.professional.data = next((u.id for u in session.people(PROFESSIONAL)), None)
    pickers = offer_candidates(form, session.course, [session], whole_course=False)
    done = save(
        form,
        lambda: services.set_session_facilitators(
            current_user,
            session,
            [u for u in [get_user(form.peer.data)] if u],
            [u for u in [get_user(form.professional.data)] if u],
        ),
        _("The facilitators of the session are saved."),
        lambda _session: to_course(session.course),
    )
    return done or show_pickers(
        form,
        pickers,
        title=_("Facilitators of one session"),
        course=session.course,
        course_session=session,
        session_count=1,
    )


@bp.route(f"/sessions/<{ID}:session_id>/cancel", methods=["GET", "POST"])
def session_cancel(session_id: int) -> Any:
    """Cancel one session after confirming."""
    session = load_session(session_id)
    form = ConfirmForm()
    done = save(
        form,
        lambda: services.cancel_session(current_user, session),
        _("The session is cancelled."),
        lambda _session: to_course(session.course),
    )
    return done or show(
        "admin/courses/cancel_session.html", form, course=session.course, course_session=session
    )


@bp.post(f"/sessions/<{ID}:session_id>/delete")
def session_delete(session_id: int) -> Any:
    """Delete a session of a draft course."""
    session = load_session(session_id)
    course = session.course
    if not StatusForm().validate_on_submit():
        abort(400)
    services.delete_session(current_user, session)
    flash(_("The session is deleted."), "success")
    return redirect(to_course(course))
