"""What peers add to the administrators' dashboard: the peer pool and who teaches and covers.

The pool is the point of the model: many trained peers, so that one can rest or be absent
and a colleague covers. Both figures are a fixed number of queries (one each), however
many peers, sessions or cohorts there are. Peer names appear for administrators only, and
a download of them is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from college.audit import (
    register_audit_actions,
    register_audit_kinds,
    register_audit_sentences,
    register_audit_target,
)
from college.charts import BLUE, ORANGE, PURPLE, TEAL, Bar, Chart, Series, first_bars
from college.db import now_utc
from college.extensions import db
from college.models import Qualification, Role, User, UserRole
from college.reports import Panel, add_dashboard_panel
from courses.models import (
    Course,
    CourseSession,
    FacilitatorRole,
    SessionFacilitator,
    SessionStatus,
    Term,
)
from courses.reports import REPORTED, all_terms, chosen_term
from courses.times import local_today
from peers.models import (
    Absence,
    Cohort,
    CohortMeeting,
    CoverRequest,
    CoverStatus,
    PeerProfile,
    PeerStatus,
    PlaceStatus,
    TrainingPlace,
    TrainingProgramme,
)

# --- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerPool:
    """Peers by where they are today; ``active`` and ``resting_or_absent`` add up to ``trained``."""

    trained: int
    resting_or_absent: int
    in_training: int

    @property
    def active(self) -> int:
        return self.trained - self.resting_or_absent


def _count(ids: sa.Select[Any]) -> sa.ScalarSelect[int]:
    return sa.select(sa.func.count()).select_from(ids.subquery()).scalar_subquery()


def peer_pool(today: date | None = None, now: datetime | None = None) -> PeerPool:
    """Trained peers (a qualification valid today, an account in use), how many of them rest
    or are absent right now, and how many people are in a cohort that has not finished."""
    today, now = today or local_today(), now or now_utc()
    trained = (
        sa.select(Qualification.user_id)
        .join(User, User.id == Qualification.user_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role == str(Role.PEER),
            User.active.is_(True),
            User.anonymised_at.is_(None),
            Qualification.granted_on <= today,
            sa.or_(Qualification.expires_on.is_(None), Qualification.expires_on >= today),
        )
        .distinct()
    )
    resting = sa.select(PeerProfile.user_id).where(PeerProfile.status == str(PeerStatus.RESTING))
    absent = sa.select(Absence.user_id).where(
        Absence.withdrawn_at.is_(None), Absence.starts_at <= now, Absence.ends_at > now
    )
    away = trained.where(
        sa.or_(Qualification.user_id.in_(resting), Qualification.user_id.in_(absent))
    )
    unfinished = sa.select(CohortMeeting.cohort_id).where(CohortMeeting.ends_at > now)
    learners = (
        sa.select(TrainingPlace.user_id)
        .where(TrainingPlace.status == str(PlaceStatus.PLACED))
        .where(TrainingPlace.cohort_id.in_(unfinished))
        .distinct()
    )
    row = db.session.execute(sa.select(_count(trained), _count(away), _count(learners))).one()
    return PeerPool(*row)


@dataclass(frozen=True)
class PeerTeaching:
    user_id: int
    name: str
    taught: int
    covered: int

    @property
    def own(self) -> int:
        """Sessions they teach that were theirs from the start."""
        return max(self.taught - self.covered, 0)


def teaching_figures(term: Term) -> list[PeerTeaching]:
    """Per peer trainer: the term's sessions they teach (held or to come) and, of those, how
    many they took over from a colleague; most sessions first."""
    taught = sa.func.count(sa.distinct(CourseSession.id))
    took_over = sa.func.count(sa.distinct(CoverRequest.session_id))
    rows = db.session.execute(
        sa.select(User.id, User.display_name, taught, took_over)
        .select_from(SessionFacilitator)
        .join(CourseSession, SessionFacilitator.session_id == CourseSession.id)
        .join(Course, CourseSession.course_id == Course.id)
        .join(User, SessionFacilitator.user_id == User.id)
        .outerjoin(
            CoverRequest,
            sa.and_(
                CoverRequest.session_id == CourseSession.id,
                CoverRequest.filled_by_id == SessionFacilitator.user_id,
                CoverRequest.status == str(CoverStatus.FILLED),
            ),
        )
        .where(
            SessionFacilitator.role == str(FacilitatorRole.PEER),
            CourseSession.status == str(SessionStatus.SCHEDULED),
            Course.term_id == term.id,
            Course.status.in_(REPORTED),
        )
        .group_by(User.id, User.display_name)
        .order_by(taught.desc(), User.display_name, User.id)
    )
    return [PeerTeaching(*row) for row in rows]


# --- charts -----------------------------------------------------------------------------------


def pool_chart(pool: PeerPool) -> Chart:
    return Chart(
        key="peer-pool",
        title=_("The peer pool today"),
        description=_(
            "%(trained)s trained peers: %(active)s active, %(away)s resting or absent now; "
            "%(learning)s people in training.",
            trained=pool.trained,
            active=pool.active,
            away=pool.resting_or_absent,
            learning=pool.in_training,
        ),
        series=(
            Series(_("Active"), TEAL),
            Series(_("Resting or absent now"), PURPLE),
            Series(_("In training"), ORANGE),
        ),
        bars=(
            Bar(_("Trained"), (pool.active, pool.resting_or_absent, 0)),
            Bar(_("In training"), (0, 0, pool.in_training)),
        ),
        row_heading=_("Peers"),
    )


def teaching_chart(rows: list[PeerTeaching]) -> Chart:
    covered = sum(r.covered for r in rows)
    description = ngettext(
        "%(num)s peer trainer teaches this term; %(covered)s sessions are covered by a colleague.",
        "%(num)s peer trainers teach this term; %(covered)s sessions are covered by a colleague.",
        len(rows),
        covered=covered,
    )
    return Chart(
        key="peer-teaching",
        title=_("Sessions taught and covered per peer trainer"),
        description=description if rows else _("No peer trainer teaches in this term yet."),
        series=(
            Series(_("Own sessions"), TEAL),
            Series(_("Covering for a colleague"), BLUE),
        ),
        bars=tuple(
            Bar(
                r.name,
                (r.own, r.covered),
                note=ngettext("%(num)s session", "%(num)s sessions", r.taught),
            )
            for r in rows
        ),
        row_heading=_("Peer trainer"),
    )


GLANCE_PEERS = 15


def peers_panel(args: Mapping[str, str]) -> Panel:
    """The pool today and the chosen term's teaching, below the courses' charts."""
    term = chosen_term(args, all_terms())
    charts = [pool_chart(peer_pool())]
    if term is not None:
        # Most sessions first; the download has every peer trainer.
        charts.append(
            first_bars(
                teaching_chart(teaching_figures(term)),
                GLANCE_PEERS,
                _("Sessions taught and covered: the %(num)s busiest peers", num=GLANCE_PEERS),
                _("Every peer trainer is in the download."),
            )
        )
    csv_url = xlsx_url = None
    if term is not None:
        csv_url = url_for("peers_admin.teaching_csv", term_id=term.id)
        xlsx_url = url_for("peers_admin.teaching_csv", term_id=term.id, kind="xlsx")
    return Panel(
        key="peers",
        template="admin/peers/_dashboard_panel.html",
        context={"term": term, "charts": charts, "csv_url": csv_url, "xlsx_url": xlsx_url},
        order=20,
    )


AUDIT_ACTIONS = {
    "peer_teaching.exported": _l("Downloaded the sessions taught and covered per peer"),
    "peer.viewed": _l("Opened a peer's page"),
    "peer.profile_changed": _l("Changed a peer's teaching preferences"),
    "training.programme_added": _l("Added a training programme"),
    "training.cohort_opened": _l("Opened a cohort"),
    "training.cohort_viewed": _l("Opened a cohort's page"),
    "training.placed": _l("Gave someone a place in training"),
    "training.place_withdrawn": _l("Withdrew someone's place in training"),
    "training.register": _l("Saved a training meeting's register"),
    "training.qualified": _l("Recorded that someone completed training"),
    "absence.recorded": _l("Recorded someone's absence"),
    "absence.changed": _l("Changed someone's absence"),
    "absence.withdrawn": _l("Withdrew someone's absence"),
    "unavailability.added": _l("Added a time someone cannot teach every week"),
    "unavailability.removed": _l("Removed a time someone cannot teach every week"),
    "cover.filled": _l("Chose who covers a session"),
}

AUDIT_SENTENCES = {
    "peer.viewed": _l("%(who)s opened the peer page of %(target)s"),
    "peer.profile_changed": _l("%(who)s changed the teaching preferences of %(target)s"),
    "training.programme_added": _l("%(who)s added the training programme “%(target)s”"),
    "training.cohort_opened": _l("%(who)s opened the cohort “%(target)s”"),
    "training.cohort_viewed": _l("%(who)s viewed the cohort “%(target)s”"),
    "training.placed": _l("%(who)s gave someone a place in the cohort “%(target)s”"),
    "training.place_withdrawn": _l("%(who)s withdrew someone's place in the cohort “%(target)s”"),
    "training.register": _l("%(who)s saved the register of the training meeting “%(target)s”"),
    "training.qualified": _l("%(who)s recorded that %(target)s completed training"),
    "cover.filled": _l("%(who)s chose who covers: %(target)s"),
}

# What the audit log calls the kinds of record peers' work touches.
AUDIT_KINDS = {
    "TrainingProgramme": _l("Training programme"),
    "Cohort": _l("Cohort"),
    "CohortMeeting": _l("Training meeting"),
    "Absence": _l("Absence"),
    "Unavailability": _l("A time someone cannot teach every week"),
    "CoverRequest": _l("Request for cover"),
}


def cohort_names(ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(sa.select(Cohort.id, Cohort.name).where(Cohort.id.in_(ids)))
    return {cohort_id: name for cohort_id, name in rows}


def programme_names(ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(TrainingProgramme.id, TrainingProgramme.name).where(TrainingProgramme.id.in_(ids))
    )
    return {programme_id: name for programme_id, name in rows}


def meeting_names(ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(CohortMeeting.id, Cohort.name, CohortMeeting.starts_at)
        .join(Cohort, CohortMeeting.cohort_id == Cohort.id)
        .where(CohortMeeting.id.in_(ids))
    )
    return {
        meeting_id: f"{name}, {format_date(starts_at, 'medium')}"
        for meeting_id, name, starts_at in rows
    }


def init_app(app: Flask) -> None:
    add_dashboard_panel(app, peers_panel)
    register_audit_target(app, "Cohort", cohort_names)
    register_audit_target(app, "TrainingProgramme", programme_names)
    register_audit_target(app, "CohortMeeting", meeting_names)
    register_audit_actions(app, AUDIT_ACTIONS)
    register_audit_kinds(app, AUDIT_KINDS)
    register_audit_sentences(app, AUDIT_SENTENCES)
