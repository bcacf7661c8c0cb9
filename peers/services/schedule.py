"""What a peer or trainer sees on their schedule, and what admins see on the cover board."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from college.db import now_utc
from college.extensions import db
from college.labels import LabelledEnum
from college.models import Role, User
from courses import services as courses
from courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    FacilitatorRole,
    SessionFacilitator,
    SessionStatus,
)
from courses.times import local_date, to_utc
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


class When(LabelledEnum):
    """The headings of a schedule: today and this week first, then month by month (a month's
    heading is its name; "Later" only names the group in general)."""

    TODAY = "today", _l("Today")
    THIS_WEEK = "this_week", _l("Later this week")
    MONTH = "month", _l("Later")


@dataclass
class ScheduleEntry:
    """One session on a person's schedule, with what they can do about it now.

    ``request`` is the cover asked for them on it (open, or filled by a colleague: then the
    session is no longer theirs, but stays on their schedule so they see who covers it);
    ``absence`` is an absence that covers just this session, which they can take back.
    """

    session: CourseSession
    teaching: bool
    register_open: bool
    has_ended: bool
    request: CoverRequest | None = None
    absence: Absence | None = None

    @property
    def can_say_cannot_come(self) -> bool:
        return self.teaching and not self.has_ended and self.request is None

    @property
    def covered(self) -> bool:
        return self.request is not None and self.request.status == CoverStatus.FILLED


@dataclass
class ScheduleGroup:
    when: When
    entries: list[ScheduleEntry] = field(default_factory=list)
    month: date | None = None


@dataclass
class Schedule:
    sessions: list[CourseSession]
    requests: dict[int, CoverRequest]
    offers: list[CoverOffer]
    absences: list[Absence]
    unavailability: list[Unavailability]
    meetings: list[CohortMeeting]
    groups: list[ScheduleGroup] = field(default_factory=list)
    is_peer: bool = False


def _session_options() -> tuple[Any, ...]:
    return (
        joinedload(CourseSession.course),
        joinedload(CourseSession.venue),
        selectinload(CourseSession.facilitators).joinedload(SessionFacilitator.user),
    )


def _start_of_today(now: datetime) -> datetime:
    return to_utc(local_date(now), time(0, 0))


def schedule_for(person: User, now: datetime | None = None) -> Schedule:
    """A person's schedule: sessions from today on (today's stay after they end, for the
    register), cover offers, absences, weekly times and training meetings."""
    now = now or now_utc()
    today_starts = _start_of_today(now)
    sessions = list(
        db.session.scalars(
            sa.select(CourseSession)
            .join(SessionFacilitator, SessionFacilitator.session_id == CourseSession.id)
            .join(Course, CourseSession.course_id == Course.id)
            .where(
                SessionFacilitator.user_id == person.id,
                CourseSession.status == SessionStatus.SCHEDULED,
                Course.status.in_((CourseStatus.PUBLISHED, CourseStatus.DRAFT)),
                CourseSession.ends_at > today_starts,
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
    covered = _covered_for(person, today_starts)
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
            .options(
                joinedload(CoverOffer.request).options(
                    joinedload(CoverRequest.absent_user),
                    joinedload(CoverRequest.session).options(*_session_options()),
                )
            )
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
    schedule = Schedule(sessions, requests, offers, absences, unavailability, meetings)
    schedule.is_peer = person.has_role(Role.PEER)
    entries = _entries(sessions, requests, covered, absences, now)
    schedule.groups = group_by_when(entries, now)
    return schedule


def _covered_for(person: User, since: datetime) -> list[CoverRequest]:
    """Requests a colleague filled for ``person``, for sessions from today on."""
    return list(
        db.session.scalars(
            sa.select(CoverRequest)
            .join(CourseSession, CoverRequest.session_id == CourseSession.id)
            .where(
                CoverRequest.absent_user_id == person.id,
                CoverRequest.status == CoverStatus.FILLED,
                CourseSession.status == SessionStatus.SCHEDULED,
                CourseSession.ends_at > since,
            )
            .options(
                joinedload(CoverRequest.filled_by),
                joinedload(CoverRequest.session).options(*_session_options()),
            )
        ).unique()
    )


def _absence_for(session: CourseSession, absences: list[Absence]) -> Absence | None:
    """The absence made for just this session ("I can't come"), which can be taken back.

    A longer absence is changed on its own, since taking it back here would free more."""
    return next(
        (a for a in absences if a.starts_at == session.starts_at and a.ends_at == session.ends_at),
        None,
    )


def _entries(
    sessions: list[CourseSession],
    requests: dict[int, CoverRequest],
    covered: list[CoverRequest],
    absences: list[Absence],
    now: datetime,
) -> list[ScheduleEntry]:
    entries = [
        ScheduleEntry(
            session=s,
            teaching=True,
            register_open=courses.register_is_open(s, now),
            has_ended=s.ends_at <= now,
            request=requests.get(s.id),
            absence=_absence_for(s, absences),
        )
        for s in sessions
    ]
    mine = {s.id for s in sessions}
    entries += [
        ScheduleEntry(
            session=r.session,
            teaching=False,
            register_open=False,
            has_ended=r.session.ends_at <= now,
            request=r,
        )
        for r in covered
        if r.session_id not in mine
    ]
    entries.sort(key=lambda e: (e.session.starts_at, e.session.id))
    return entries


def group_by_when(entries: list[ScheduleEntry], now: datetime) -> list[ScheduleGroup]:
    """Today's sessions, the rest of this week's (to Sunday), then one group per month."""
    today = local_date(now)
    week_ends = today + timedelta(days=6 - today.weekday())
    groups: list[ScheduleGroup] = []
    for entry in entries:
        day = local_date(entry.session.starts_at)
        if day <= today:
            when, month = When.TODAY, None
        elif day <= week_ends:
            when, month = When.THIS_WEEK, None
        else:
            when, month = When.MONTH, day.replace(day=1)
        if not groups or (groups[-1].when, groups[-1].month) != (when, month):
            groups.append(ScheduleGroup(when, month=month))
        groups[-1].entries.append(entry)
    return groups


class Urgency(LabelledEnum):
    """How soon a session still looking for cover starts: the board's alert marks, most
    urgent first (the value is also the mark's CSS class, ``due-24h``)."""

    WITHIN_24_HOURS = "24h", _l("Starts within 24 hours")
    WITHIN_72_HOURS = "72h", _l("Starts within 72 hours")


@dataclass
class BoardEntry:
    request: CoverRequest
    candidates: list[Candidate]
    urgency: Urgency | None = None

    @property
    def is_most_urgent(self) -> bool:
        return self.urgency == Urgency.WITHIN_24_HOURS


def _urgency(starts_at: datetime, now: datetime) -> Urgency | None:
    config = current_app.config
    if starts_at - now <= timedelta(hours=int(config.get("PEERS_COVER_ESCALATION_HOURS", 24))):
        return Urgency.WITHIN_24_HOURS
    if starts_at - now <= timedelta(hours=int(config.get("PEERS_COVER_ALERT_HOURS", 72))):
        return Urgency.WITHIN_72_HOURS
    return None


def _urgency_order(entry: BoardEntry) -> tuple[int, bool, datetime]:
    band = list(Urgency).index(entry.urgency) if entry.urgency else len(Urgency)
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
