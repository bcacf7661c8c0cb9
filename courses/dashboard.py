"""What courses and enrolment add to the administrators' dashboard.

Attention today: sessions in the next two weeks without their pair, full courses with a long
waiting list, drafts that cannot be published and why. Then the chosen term as charts:
places and waiting lists per course, attendance at the latest sessions, feedback averages.
Every question is one query, whatever the number of courses, so the page cost stays fixed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, selectinload

from college.audit import (
    register_audit_actions,
    register_audit_detail_words,
    register_audit_kinds,
    register_audit_sentences,
    register_audit_subject,
    register_audit_target,
)
from college.charts import (
    BLUE,
    GREY,
    ORANGE,
    PURPLE,
    TEAL,
    Bar,
    Chart,
    Series,
    first_bars,
    shorten,
)
from college.db import now_utc
from college.extensions import db
from college.models import Qualification, User
from college.reports import Attention, Panel, add_dashboard_panel
from college.signals import extension_points
from college.templating import NavItem, add_nav_item
from courses.enrolment.admin import DEMAND_HINT_FROM
from courses.enrolment.forms import FEEDBACK_LABELS
from courses.enrolment.models import FEEDBACK_AREAS, Enrolment, EnrolmentStatus, RemovalReason
from courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    FacilitatorRole,
    Partner,
    SessionFacilitator,
    SessionStatus,
    Term,
    Venue,
)
from courses.reports import (
    CourseFeedback,
    CoursePlaces,
    SessionAttendance,
    all_terms,
    attendance_figures,
    chosen_term,
    feedback_figures,
    places_figures,
)
from courses.services.common import LIVE_STATUSES
from courses.services.staffing import assignments_of, describe_session, staffing_problems
from courses.times import local_today

COVER_HORIZON = timedelta(days=14)
LATEST_SESSIONS = 12
MAX_ITEMS_PER_KIND = 10


# --- attention ------------------------------------------------------------------------------


def unstaffed_sessions(days: timedelta = COVER_HORIZON) -> list[Attention]:
    """Sessions of published courses soon to come that lack a peer or professional trainer."""

    def has(role: FacilitatorRole) -> sa.Exists:
        return sa.exists().where(
            SessionFacilitator.session_id == CourseSession.id, SessionFacilitator.role == role
        )

    now = now_utc()
    rows = db.session.execute(
        sa.select(
            CourseSession.id,
            CourseSession.starts_at,
            Course.title,
            has(FacilitatorRole.PEER),
            has(FacilitatorRole.PROFESSIONAL),
        )
        .join(Course, CourseSession.course_id == Course.id)
        .where(
            Course.status == CourseStatus.PUBLISHED,
            CourseSession.status == SessionStatus.SCHEDULED,
            CourseSession.starts_at >= now,
            CourseSession.starts_at < now + days,
            sa.or_(~has(FacilitatorRole.PEER), ~has(FacilitatorRole.PROFESSIONAL)),
        )
        .order_by(CourseSession.starts_at, CourseSession.id)
    )
    items = []
    for session_id, starts_at, title, has_peer, has_professional in rows:
        when = describe_session(starts_at)
        if not has_peer and not has_professional:
            text = _("%(course)s: no one facilitates %(session)s.", course=title, session=when)
        elif not has_peer:
            text = _(
                "%(course)s: there is no peer trainer for %(session)s.", course=title, session=when
            )
        else:
            text = _(
                "%(course)s: there is no professional trainer for %(session)s.",
                course=title,
                session=when,
            )
        items.append(
            Attention(text, url_for("courses_admin.session_facilitators", session_id=session_id))
        )
    return items


def long_waiting_lists() -> list[Attention]:
    """Full courses still to run with enough people waiting to ask for another run."""
    waiting = sa.func.count(Enrolment.id)
    rows = db.session.execute(
        sa.select(Course.id, Course.title, waiting)
        .join(Term, Course.term_id == Term.id)
        .join(Enrolment, Enrolment.course_id == Course.id)
        .where(
            Enrolment.status == EnrolmentStatus.WAITLISTED,
            Course.status == CourseStatus.PUBLISHED,
            Course.seats_taken >= Course.capacity,
            Term.ends_on >= local_today(),
        )
        .group_by(Course.id, Course.title)
        .having(waiting >= DEMAND_HINT_FROM)
        .order_by(waiting.desc(), Course.title)
    )
    return [
        Attention(
            ngettext(
                "%(course)s is full and %(num)s person is waiting: consider another run.",
                "%(course)s is full and %(num)s people are waiting: consider another run.",
                count,
                course=title,
            ),
            url_for("enrolment_admin.enrolments", course_id=course_id),
        )
        for course_id, title, count in rows
    ]


def draft_problems() -> dict[Course, list[str]]:
    """Why each draft of a term not yet over cannot be published, as ``publication_problems``
    says it, but for every draft at once: the same staffing rules, with the qualifications and
    double bookings of all drafts read in one query each.
    """
    statement = (
        sa.select(Course)
        .join(Term, Course.term_id == Term.id)
        .where(Course.status == CourseStatus.DRAFT)
        .options(
            selectinload(Course.sessions)
            .selectinload(CourseSession.facilitators)
            .joinedload(SessionFacilitator.user)
        )
        .where(Term.ends_on >= local_today())
        .order_by(Term.starts_on, Course.title, Course.id)
    )
    drafts = list(db.session.scalars(statement))
    sessions = [s for course in drafts for s in course.scheduled_sessions]
    qualifications = _qualifications_of(sessions)
    clashes = _clashes_of(sessions)
    problems: dict[Course, list[str]] = {}
    for course in drafts:
        scheduled = course.scheduled_sessions
        if not scheduled:
            problems[course] = [_("The course has no scheduled sessions. Please add at least one.")]
            continue
        found: list[str] = []
        held = qualifications[course.required_programme]
        for session in scheduled:
            found += staffing_problems(
                course, session.starts_at, assignments_of(session), held, course.required_programme
            )
        for session in scheduled:
            found += clashes.get(session.id, [])
        if found:
            problems[course] = found
    return problems


def _qualifications_of(sessions: list[CourseSession]) -> dict[str, dict[int, list[Qualification]]]:
    peer_ids = {
        f.user_id for s in sessions for f in s.facilitators if f.role == FacilitatorRole.PEER
    }
    found: dict[str, dict[int, list[Qualification]]] = defaultdict(lambda: defaultdict(list))
    if peer_ids:
        rows = db.session.scalars(
            sa.select(Qualification).where(Qualification.user_id.in_(peer_ids))
        )
        for qualification in rows:
            found[qualification.programme][qualification.user_id].append(qualification)
    return found


def _clashes_of(sessions: list[CourseSession]) -> dict[int, list[str]]:
    """Double bookings of the facilitators of these sessions, as ``booking_clashes`` words them."""
    if not sessions:
        return {}
    mine, theirs = aliased(SessionFacilitator), aliased(SessionFacilitator)
    this, other = aliased(CourseSession), aliased(CourseSession)
    other_course = aliased(Course)
    rows = db.session.execute(
        sa.select(this.id, User.display_name, other_course.title, other.starts_at)
        .select_from(mine)
        .join(this, mine.session_id == this.id)
        .join(theirs, theirs.user_id == mine.user_id)
        .join(other, theirs.session_id == other.id)
        .join(other_course, other.course_id == other_course.id)
        .join(User, User.id == mine.user_id)
        .where(
            this.id.in_([s.id for s in sessions]),
            other.id != this.id,
            other.status == SessionStatus.SCHEDULED,
            other_course.status.in_(LIVE_STATUSES),
            other.starts_at < this.ends_at,
            other.ends_at > this.starts_at,
        )
        .order_by(this.id, other.starts_at, User.display_name)
    )
    clashes: dict[int, list[str]] = defaultdict(list)
    for session_id, name, title, other_start in rows:
        clashes[session_id].append(
            _(
                "%(name)s already facilitates %(course)s at an overlapping time (%(when)s).",
                name=name,
                course=title,
                when=describe_session(other_start),
            )
        )
    return clashes


def unpublishable_drafts() -> list[Attention]:
    items = []
    for course, problems in draft_problems().items():
        more = len(problems) - 1
        reason = problems[0]
        if more:
            reason += " " + ngettext("(and %(num)s more)", "(and %(num)s more)", more)
        text = _("%(course)s cannot be published: %(reason)s", course=course.title, reason=reason)
        items.append(Attention(text, url_for("courses_admin.course", course_id=course.id)))
    return items


def capped(items: list[Attention], more_url: str) -> list[Attention]:
    """At most a handful of each kind, so the list stays readable; the rest is one link."""
    if len(items) <= MAX_ITEMS_PER_KIND:
        return items
    rest = len(items) - MAX_ITEMS_PER_KIND
    more = Attention(ngettext("%(num)s more like this", "%(num)s more like this", rest), more_url)
    return [*items[:MAX_ITEMS_PER_KIND], more]


def attention_today() -> list[Attention]:
    courses_url = url_for("courses_admin.courses")
    return [
        *capped(unstaffed_sessions(), courses_url),
        *capped(long_waiting_lists(), courses_url),
        *capped(unpublishable_drafts(), courses_url),
    ]


# --- charts ---------------------------------------------------------------------------------


def places_chart(figures: list[CoursePlaces], key: str = "places") -> Chart:
    full = sum(1 for f in figures if f.places_left == 0)
    waiting = sum(f.waiting for f in figures)
    # One sentence per count, so that each gets its own plural ("1 person is waiting").
    description = " ".join(
        (
            ngettext("%(num)s course.", "%(num)s courses.", len(figures)),
            ngettext("%(num)s is full.", "%(num)s are full.", full),
            ngettext(
                "%(num)s person is waiting in all.", "%(num)s people are waiting in all.", waiting
            ),
        )
    )
    return Chart(
        key=key,
        title=_("Places and waiting lists per course"),
        description=description if figures else _("No course of this term is published yet."),
        series=(
            Series(_("Enrolled"), TEAL),
            Series(_("Place held for an offer"), BLUE),
            Series(_("Waiting"), ORANGE),
        ),
        bars=tuple(
            Bar(
                f.title,
                (f.enrolled, f.offered, f.waiting),
                note=_("%(taken)s of %(places)s", taken=f.enrolled + f.offered, places=f.capacity),
                marker=f.capacity,
            )
            for f in figures
        ),
        marker_label=_("Places"),
        row_heading=_("Course"),
    )


def session_label(row: SessionAttendance, with_course: bool = True, short: bool = False) -> str:
    """The session's course and day; ``short`` trims the title so the day always shows."""
    day = format_date(row.starts_at, "d MMM" if short else "medium")
    if not with_course:
        return day
    title = shorten(row.course_title, 14) if short else row.course_title
    return f"{title}, {day}"


def attendance_chart(
    rows: list[SessionAttendance], key: str = "attendance", with_course: bool = True
) -> Chart:
    present = sum(r.present for r in rows)
    expected = sum(r.present + r.apologies + r.absent + r.not_marked for r in rows)
    share = round(100 * present / expected) if expected else 0
    description = ngettext(
        "%(num)s session held; %(share)s%% of the people enrolled were there.",
        "%(num)s sessions held; %(share)s%% of the people enrolled were there.",
        len(rows),
        share=share,
    )
    return Chart(
        key=key,
        title=_("Attendance per session"),
        description=description if rows else _("No session has been held yet."),
        series=(
            Series(_("Present"), TEAL),
            Series(_("Sent apologies"), PURPLE),
            Series(_("Absent"), ORANGE),
            Series(_("Not marked"), GREY),
        ),
        bars=tuple(
            Bar(
                session_label(r, with_course),
                (r.present, r.apologies, r.absent, r.not_marked),
                note=_("%(present)s present", present=r.present),
                short_label=session_label(r, with_course, short=True),
            )
            for r in rows
        ),
        row_heading=_("Session"),
    )


def feedback_chart(figures: list[CourseFeedback], key: str = "feedback") -> Chart:
    shown = [f for f in figures if f.averages]
    hidden = len(figures) - len(shown)
    description = ngettext(
        "Average scores from 0 to 10 for %(num)s course with at least 5 answers.",
        "Average scores from 0 to 10 for %(num)s courses with at least 5 answers.",
        len(shown),
    )
    if not shown:
        description = _("No course has 5 answers yet.")
    if hidden:
        description += " " + ngettext(
            "%(num)s course has fewer answers, so its scores are not shown.",
            "%(num)s courses have fewer answers, so their scores are not shown.",
            hidden,
        )
    colours = (TEAL, BLUE, ORANGE, PURPLE)
    return Chart(
        key=key,
        title=_("Feedback averages"),
        description=description,
        series=tuple(
            Series(str(FEEDBACK_LABELS[area]), colour)
            for area, colour in zip(FEEDBACK_AREAS, colours, strict=True)
        ),
        bars=tuple(
            Bar(
                f.title,
                tuple(f.averages[area] for area in FEEDBACK_AREAS),
                note=ngettext("%(num)s answer", "%(num)s answers", f.answers),
            )
            for f in shown
            if f.averages
        ),
        stacked=False,
        scale_max=10,
        decimals=1,
        row_heading=_("Course"),
    )


def term_panel(args: Mapping[str, str]) -> Panel:
    """Attention items and the chosen term's charts, for the dashboard."""
    terms = all_terms()
    term = chosen_term(args, terms)
    context: dict[str, object] = {"terms": terms, "term": term}
    if term is not None:
        context["charts"] = [
            fullest_courses_chart(places_figures(term)),
            latest_attendance_chart(term),
            feedback_chart(feedback_figures(term)),
        ]
    return Panel(
        key="courses",
        attention=attention_today(),
        template="admin/reports/_term_panel.html",
        context=context,
        order=10,
    )


# A chart of a whole region's term is not read at a glance; the report has every course.
GLANCE_COURSES = 12


def fullest_courses_chart(figures: list[CoursePlaces]) -> Chart:
    """The courses most worth a look first: the longest waiting lists, then the fewest places."""
    fullest = sorted(figures, key=lambda f: (-f.waiting, f.places_left, f.title))
    return first_bars(
        places_chart(fullest),
        GLANCE_COURSES,
        _("Places and waiting lists: the %(num)s fullest courses", num=GLANCE_COURSES),
        _("Every course is in the term's reports."),
    )


def latest_attendance_chart(term: Term) -> Chart:
    rows = attendance_figures(term, latest=LATEST_SESSIONS)
    chart = attendance_chart(rows)
    if len(rows) < LATEST_SESSIONS:
        return chart
    title = _("Attendance at the latest %(num)s sessions", num=LATEST_SESSIONS)
    return replace(chart, title=title)


# --- wiring ---------------------------------------------------------------------------------

AUDIT_ACTIONS = {
    "term.created": _l("Added a term"),
    "term.updated": _l("Changed a term"),
    "venue.created": _l("Added a venue"),
    "venue.updated": _l("Changed a venue"),
    "partner.created": _l("Added a partner"),
    "partner.updated": _l("Changed a partner"),
    "course.created": _l("Created a course"),
    "course.updated": _l("Changed a course"),
    "course.pair": _l("Chose a course's trainers"),
    "course.published": _l("Published a course"),
    "course.cancelled": _l("Cancelled a course"),
    "course.archived": _l("Archived a course"),
    "session.added": _l("Added a session"),
    "session.series": _l("Added a series of sessions"),
    "session.rescheduled": _l("Moved a session"),
    "session.cancelled": _l("Cancelled a session"),
    "session.deleted": _l("Deleted a session"),
    "session.facilitators": _l("Changed who facilitates a session"),
    "session.facilitator_replaced": _l("Put one trainer in another's place on a session"),
    "qualification.recorded": _l("Recorded a qualification"),
    "qualification.removed": _l("Removed a qualification"),
    "enrolments.viewed": _l("Opened a course's list of enrolments"),
    "enrolment.removed": _l("Took someone off a course"),
    "waitlist.moved": _l("Moved someone on a waiting list"),
    "register.viewed": _l("Opened a session's register"),
    "register.saved": _l("Saved a session's register"),
    "register.exported": _l("Downloaded a session's register"),
}

AUDIT_SENTENCES = {
    "term.created": _l("%(who)s added the term “%(target)s”"),
    "term.updated": _l("%(who)s changed the term “%(target)s”"),
    "venue.created": _l("%(who)s added the venue “%(target)s”"),
    "venue.updated": _l("%(who)s changed the venue “%(target)s”"),
    "partner.created": _l("%(who)s added the partner “%(target)s”"),
    "partner.updated": _l("%(who)s changed the partner “%(target)s”"),
    "course.created": _l("%(who)s created the course “%(target)s”"),
    "course.updated": _l("%(who)s changed the course “%(target)s”"),
    "course.pair": _l("%(who)s chose the trainers of the course “%(target)s”"),
    "course.published": _l("%(who)s published the course “%(target)s”"),
    "course.cancelled": _l("%(who)s cancelled the course “%(target)s”"),
    "course.archived": _l("%(who)s archived the course “%(target)s”"),
    "session.added": _l("%(who)s added the session “%(target)s”"),
    "session.rescheduled": _l("%(who)s moved the session “%(target)s”"),
    "session.cancelled": _l("%(who)s cancelled the session “%(target)s”"),
    "session.facilitators": _l("%(who)s changed who facilitates the session “%(target)s”"),
    "qualification.recorded": _l("%(who)s recorded a qualification for %(target)s"),
    "qualification.removed": _l("%(who)s removed a qualification from %(target)s"),
    "enrolments.viewed": _l("%(who)s opened the enrolments of the course “%(target)s”"),
    "enrolment.removed": _l("%(who)s took %(target)s off the course"),
    "waitlist.moved": _l("%(who)s moved %(target)s on the waiting list"),
    "register.viewed": _l("%(who)s opened the register of the session “%(target)s”"),
    "register.saved": _l("%(who)s saved the register of the session “%(target)s”"),
    "register.exported": _l("%(who)s downloaded the register of the session “%(target)s”"),
}

# What the audit log calls the kinds of record the courses touch.
AUDIT_KINDS = {
    "Term": _l("Term"),
    "Venue": _l("Venue"),
    "Partner": _l("Partner"),
    "Course": _l("Course"),
    "CourseSession": _l("Session"),
    "Enrolment": _l("Place on a course"),
}


def course_names(ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(sa.select(Course.id, Course.title).where(Course.id.in_(ids)))
    return {course_id: title for course_id, title in rows}


def session_names(ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(CourseSession.id, Course.title, CourseSession.starts_at)
        .join(Course, CourseSession.course_id == Course.id)
        .where(CourseSession.id.in_(ids))
    )
    return {
        session_id: f"{title}, {format_date(starts_at, 'medium')}"
        for session_id, title, starts_at in rows
    }


def enrolment_names(ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(Enrolment.id, User.display_name, Course.title)
        .join(User, Enrolment.student_id == User.id)
        .join(Course, Enrolment.course_id == Course.id)
        .where(Enrolment.id.in_(ids))
    )
    return {enrolment_id: f"{name} ({title})" for enrolment_id, name, title in rows}


def names_of(
    model: type[Term] | type[Venue] | type[Partner],
) -> Callable[[list[int]], dict[int, str]]:
    def names(ids: list[int]) -> dict[int, str]:
        rows = db.session.execute(sa.select(model.id, model.name).where(model.id.in_(ids)))
        return {row_id: name for row_id, name in rows}

    return names


def enrolments_of(person_id: int) -> sa.Select[Any]:
    return sa.select(Enrolment.id).where(Enrolment.student_id == person_id)


def init_app(app: Flask) -> None:
    """Plug the dashboard panel, the report pages and readable audit entries into the app."""
    from courses import report_pages
    from courses.enrolment.demo import seed_term_figures

    app.register_blueprint(report_pages.bp)
    extension_points(app).demo_seeders.append(seed_term_figures)
    add_nav_item(app, "admin", NavItem("reports_admin.term_report", _l("Reports")))
    add_dashboard_panel(app, term_panel)
    extension_points(app).course_admin_links.append(
        NavItem("reports_admin.course_report", _l("Figures and downloads"))
    )
    register_audit_actions(app, AUDIT_ACTIONS)
    register_audit_kinds(app, AUDIT_KINDS)
    register_audit_sentences(app, AUDIT_SENTENCES)
    register_audit_detail_words(app, "reason", dict(RemovalReason.choices()))
    register_audit_target(app, "Course", course_names)
    register_audit_target(app, "CourseSession", session_names)
    register_audit_target(app, "Enrolment", enrolment_names)
    for model in (Term, Venue, Partner):
        register_audit_target(app, model.__name__, names_of(model))
    register_audit_subject(app, "Enrolment", enrolments_of)
