"""What a peer or trainer sees on their schedule, and what admins see on the cover board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from college.db import now_utc
from college.extensions import db
from college.models import User
from courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    FacilitatorRole,
    SessionFacilitator,
    SessionStatus,
)
from peers.models import (
    Absence,
    Cohort,
    CohortMeeting,
    CoverOffer,
    CoverRequest,
    CoverStatus,
    OfferStatus,
    PlaceStatus,
    TrainingPlace,
    Unavailability,
    cohort_trainers,
)
from peers.services.cover import Candidate, candidates_for


@dataclass
class Schedule:
    sessions: list[CourseSession]
    requests: dict[int, CoverRequest]
    offers: list[CoverOffer]
    absences: list[Absence]
    unavailability: list[Unavailability]
    meetings: list[CohortMeeting]


def _session_options() -> tuple[Any, ...]:
    return (
        joinedload(CourseSession.course),
        joinedload(CourseSession.venue),
        selectinload(CourseSession.facilitators).joinedload(SessionFacilitator.user),
    )


def schedule_for(person: User, now: datetime | None = None) -> Schedule:
    now = now or now_utc()
    sessions = list(
        db.session.scalars(
            sa.select(CourseSession)
            .join(SessionFacilitator, SessionFacilitator.session_id == CourseSession.id)
            .join(Course, CourseSession.course_id == Course.id)
            .where(
                SessionFacilitator.user_id == person.id,
                CourseSession.status == SessionStatus.SCHEDULED,
                Course.status.in_((CourseStatus.PUBLISHED, CourseStatus.DRAFT)),
                CourseSession.ends_at > now,
            )
            .options(*_session_options())
            .order_by(CourseSession.starts_at)
        )
    )
    requests = {
        r.session_id: r
        for r in db.session.scalars(
            sa.select(CoverRequest).where(
                CoverRequest.absent_user_id == person.id,
                CoverRequest.status == CoverStatus.OPEN,
            )
        )
    }
    offers = list(
        db.session.scalars(
            sa.select(CoverOffer)
            .join(CoverRequest, CoverOffer.request_id == CoverRequest.id)
            .join(CourseSession, CoverRequest.session_id == CourseSession.id)
            .where(
                CoverOffer.user_id == person.id,
                CoverOffer.status == OfferStatus.OFFERED,
                CoverRequest.status == CoverStatus.OPEN,
                CourseSession.starts_at > now,
            )
            .options(joinedload(CoverOffer.request).joinedload(CoverRequest.session))
            .order_by(CourseSession.starts_at)
        )
    )
    absences = list(
        db.session.scalars(
            sa.select(Absence)
            .where(
                Absence.user_id == person.id,
                Absence.withdrawn_at.is_(None),
                Absence.ends_at > now,
            )
            .order_by(Absence.starts_at)
        )
    )
    unavailability = list(
        db.session.scalars(
            sa.select(Unavailability)
            .where(Unavailability.user_id == person.id)
            .order_by(Unavailability.weekday, Unavailability.starts)
        )
    )
    placed = sa.select(TrainingPlace.cohort_id).where(
        TrainingPlace.user_id == person.id, TrainingPlace.status == PlaceStatus.PLACED
    )
    trains = sa.select(cohort_trainers.c.cohort_id).where(cohort_trainers.c.user_id == person.id)
    meetings = list(
        db.session.scalars(
            sa.select(CohortMeeting)
            .join(Cohort, CohortMeeting.cohort_id == Cohort.id)
            .where(
                sa.or_(Cohort.id.in_(placed), Cohort.id.in_(trains)),
                CohortMeeting.ends_at > now,
            )
            .options(joinedload(CohortMeeting.cohort).joinedload(Cohort.programme))
            .order_by(CohortMeeting.starts_at)
        )
    )
    return Schedule(sessions, requests, offers, absences, unavailability, meetings)


@dataclass
class BoardEntry:
    request: CoverRequest
    candidates: list[Candidate]
    # "24h" or "72h" when the session starts within that many hours (the alert marks).
    urgency: str | None = None


def _urgency(starts_at: datetime, now: datetime) -> str | None:
    config = current_app.config
    if starts_at - now <= timedelta(hours=int(config.get("PEERS_COVER_ESCALATION_HOURS", 24))):
        return "24h"
    if starts_at - now <= timedelta(hours=int(config.get("PEERS_COVER_ALERT_HOURS", 72))):
        return "72h"
    return None


def _urgency_order(entry: BoardEntry) -> tuple[int, bool, datetime]:
    band = {"24h": 0, "72h": 1}.get(entry.urgency or "", 2)
    return band, bool(entry.candidates), entry.request.session.starts_at


def cover_board(now: datetime | None = None) -> list[BoardEntry]:
    """Every open request, the most urgent first, with who could still take it."""
    now = now or now_utc()
    requests = db.session.scalars(
        sa.select(CoverRequest)
        .join(CourseSession, CoverRequest.session_id == CourseSession.id)
        .where(CoverRequest.status == CoverStatus.OPEN, CourseSession.starts_at > now)
        .options(
            joinedload(CoverRequest.absent_user),
            joinedload(CoverRequest.session).options(*_session_options()),
        )
        .order_by(CourseSession.starts_at, CoverRequest.id)
    ).unique()
    entries = [
        BoardEntry(
            r,
            candidates_for(r.session, FacilitatorRole(r.role), now),
            _urgency(r.session.starts_at, now),
        )
        for r in requests
    ]
    # Most urgent first: within a band of hours, a request nobody can take comes first.
    return sorted(entries, key=_urgency_order)
