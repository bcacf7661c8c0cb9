"""Cover: when a facilitator cannot come, colleagues are offered the session; one wins.

A cover request opens the moment an absence or unavailability overlaps a session of a
published course that the person facilitates, and is cancelled if they become free again
before anyone has taken it. Candidates are ranked fairly and emailed; the first to
accept wins by one conditional UPDATE on the request's status, so among simultaneous
acceptances exactly one changes the row. The facilitator is then swapped through the
courses service, so the staffing rules, double-booking checks and session-change
listeners (calendars, enrolment) all apply.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _

from college.db import now_utc
from college.errors import Forbidden
from college.extensions import db
from college.models import Role, User, UserRole
from college.services import record_audit
from courses import services as courses
from courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    FacilitatorRole,
    SessionFacilitator,
    SessionStatus,
)
from courses.services.common import LIVE_STATUSES
from courses.services.events import SessionChange
from courses.times import local_date, to_local
from peers.models import (
    CoverOffer,
    CoverRequest,
    CoverStatus,
    OfferStatus,
    PeerStatus,
)
from peers.services.availability import blocked_user_ids, in_training_user_ids
from peers.services.errors import CoverClosed, CoverTaken, NotACandidate, OfferNotFound
from peers.services.mail import notify
from peers.services.profiles import profiles_of

log = logging.getLogger(__name__)

ROLE_NEEDED = {FacilitatorRole.PEER: Role.PEER, FacilitatorRole.PROFESSIONAL: Role.TRAINER}
FAIRNESS_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Candidate:
    user: User
    recent_sessions: int
    likes_topic: bool


# --- candidates ------------------------------------------------------------------------------


def _pool(role: FacilitatorRole, excluded: set[int]) -> list[User]:
    statement = (
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role == str(ROLE_NEEDED[role]),
            User.active.is_(True),
            User.anonymised_at.is_(None),
        )
        .order_by(User.id)
    )
    return [u for u in db.session.scalars(statement) if u.id not in excluded]


def _qualified(users: list[User], course: Course, day: Any) -> list[User]:
    found = courses.valid_qualifications((u.id for u in users), course.required_programme)
    return [u for u in users if any(q.is_valid_on(day) for q in found.get(u.id, []))]


def _booked_user_ids(user_ids: list[int], session: CourseSession) -> set[int]:
    if not user_ids:
        return set()
    clashes = courses.teaching_between(user_ids, session.starts_at, session.ends_at, session.id)
    return set(db.session.scalars(clashes.add_columns(SessionFacilitator.user_id)))


def _week_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, in the college's time zone."""
    local = to_local(moment)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday, monday + timedelta(days=7)


def _sessions_count(
    user_ids: list[int], starts: datetime, ends: datetime, exclude_session_id: int | None = None
) -> dict[int, int]:
    if not user_ids:
        return {}
    statement = (
        sa.select(SessionFacilitator.user_id, sa.func.count())
        .join(CourseSession, SessionFacilitator.session_id == CourseSession.id)
        .join(Course, CourseSession.course_id == Course.id)
        .where(
            SessionFacilitator.user_id.in_(user_ids),
            CourseSession.status == SessionStatus.SCHEDULED,
            Course.status.in_((*LIVE_STATUSES, CourseStatus.ARCHIVED)),
            CourseSession.starts_at >= starts,
            CourseSession.starts_at < ends,
        )
        .group_by(SessionFacilitator.user_id)
    )
    if exclude_session_id is not None:
        statement = statement.where(CourseSession.id != exclude_session_id)
    return {user_id: count for user_id, count in db.session.execute(statement)}


def candidates_for(
    session: CourseSession, role: FacilitatorRole, now: datetime | None = None
) -> list[Candidate]:
    """Colleagues who could take this session in ``role``, fairest first.

    They hold the role (and, for peers, the course's qualification valid on the day of
    the session), are active and not resting, are neither absent nor unavailable then,
    are not booked into an overlapping session or training meeting (as trainee or trainer),
    and stay under their weekly maximum.
    Ranked by fewest sessions in the last 30 days, then liking the course's topic.
    """
    now = now or now_utc()
    course = session.course
    excluded = {f.user_id for f in session.facilitators}
    people = _pool(role, excluded)
    if role == FacilitatorRole.PEER:
        people = _qualified(people, course, local_date(session.starts_at))
    profiles = profiles_of(u.id for u in people)
    people = [
        u for u in people if u.id not in profiles or profiles[u.id].status == str(PeerStatus.ACTIVE)
    ]
    ids = [u.id for u in people]
    busy = blocked_user_ids(ids, session.starts_at, session.ends_at)
    busy |= _booked_user_ids(ids, session)
    busy |= in_training_user_ids(ids, session.starts_at, session.ends_at)
    week_start, week_end = _week_bounds(session.starts_at)
    this_week = _sessions_count(ids, week_start, week_end, session.id)
    recent = _sessions_count(ids, now - FAIRNESS_WINDOW, now)
    found = []
    for user in people:
        profile = profiles.get(user.id)
        maximum = profile.max_sessions_per_week if profile else 3
        if user.id in busy or this_week.get(user.id, 0) >= maximum:
            continue
        likes = profile is not None and course.topic in profile.topics
        found.append(Candidate(user, recent.get(user.id, 0), likes))
    found.sort(key=lambda c: (c.recent_sessions, not c.likes_topic, c.user.display_name, c.user.id))
    return found


# --- opening and closing requests ------------------------------------------------------------


def _upcoming_sessions_of(person: User, now: datetime) -> list[tuple[CourseSession, str]]:
    rows = db.session.execute(
        sa.select(CourseSession, SessionFacilitator.role)
        .join(SessionFacilitator, SessionFacilitator.session_id == CourseSession.id)
        .join(Course, CourseSession.course_id == Course.id)
        .where(
            SessionFacilitator.user_id == person.id,
            CourseSession.status == SessionStatus.SCHEDULED,
            Course.status == CourseStatus.PUBLISHED,
            CourseSession.starts_at > now,
        )
        .order_by(CourseSession.starts_at)
    )
    return [(session, role) for session, role in rows]


def open_requests_of(person: User) -> dict[int, CoverRequest]:
    rows = db.session.scalars(
        sa.select(CoverRequest).where(
            CoverRequest.absent_user_id == person.id, CoverRequest.status == CoverStatus.OPEN
        )
    )
    return {r.session_id: r for r in rows}


def sync_cover(person: User, now: datetime | None = None) -> None:
    """Open cover where ``person`` is now blocked, and cancel it where they are free again."""
    now = now or now_utc()
    open_by_session = open_requests_of(person)
    for session, role in _upcoming_sessions_of(person, now):
        blocked = bool(blocked_user_ids([person.id], session.starts_at, session.ends_at))
        request = open_by_session.pop(session.id, None)
        if blocked and request is None:
            open_request(session, person, FacilitatorRole(role), now)
        elif not blocked and request is not None:
            close_request(request, CoverStatus.CANCELLED, now)
    # Requests left over are for sessions they no longer face (moved, changed by hand).
    for request in open_by_session.values():
        if request.session.starts_at > now:
            close_request(request, CoverStatus.CANCELLED, now)


def open_request(
    session: CourseSession, person: User, role: FacilitatorRole, now: datetime | None = None
) -> CoverRequest:
    """Ask colleagues to cover ``person`` on ``session`` and email every candidate."""
    now = now or now_utc()
    request = CoverRequest(session=session, absent_user=person, role=role, created_at=now)
    db.session.add(request)
    candidates = candidates_for(session, role, now)
    for rank, candidate in enumerate(candidates, start=1):
        request.offers.append(CoverOffer(user=candidate.user, rank=rank, offered_at=now))
    db.session.flush()
    for offer in request.offers:
        _send_offer(offer)
    log.info("cover request %s opened with %s candidates", request.id, len(candidates))
    return request


def close_request(request: CoverRequest, status: CoverStatus, now: datetime | None = None) -> None:
    """End an open request without a winner; pending offers are closed."""
    request.status = status
    request.closed_at = now or now_utc()
    for offer in request.offers:
        if offer.status == OfferStatus.OFFERED:
            offer.status = OfferStatus.CLOSED
    db.session.flush()


def on_session_change(_app: Flask, *, session: CourseSession, kind: str, **details: Any) -> None:
    """Keep cover in step with changes made to sessions by the office."""
    now = now_utc()
    requests = db.session.scalars(
        sa.select(CoverRequest).where(
            CoverRequest.session_id == session.id, CoverRequest.status == CoverStatus.OPEN
        )
    ).all()
    if kind == SessionChange.CANCELLED:
        for request in requests:
            close_request(request, CoverStatus.CANCELLED, now)
    elif kind == SessionChange.RESCHEDULED:
        # Offers were made for the old time; start again with the people free at the new one.
        for request in requests:
            close_request(request, CoverStatus.CANCELLED, now)
        for facilitator in session.facilitators:
            sync_cover(facilitator.user, now)
    elif kind == SessionChange.FACILITATORS:
        removed = set(details.get("removed_user_ids", ()))
        for request in requests:
            if request.absent_user_id in removed:
                close_request(request, CoverStatus.CANCELLED, now)
        for user_id in details.get("added_user_ids", ()):
            person = db.session.get(User, user_id)
            if person is not None:
                sync_cover(person, now)


# --- accepting -------------------------------------------------------------------------------


def find_offer(actor: User, offer_id: int) -> CoverOffer:
    """One's own offer; anyone else's is "not found", so ids reveal nothing."""
    offer = db.session.get(CoverOffer, offer_id)
    if offer is None or offer.user_id != actor.id:
        raise OfferNotFound()
    return offer


def accept_offer(actor: User, offer: CoverOffer) -> CoverRequest:
    """Take the session offered; raises ``CoverTaken`` when a colleague was first."""
    if offer.user_id != actor.id:
        raise OfferNotFound()
    request = offer.request
    if offer.status != OfferStatus.OFFERED or not request.is_open:
        raise CoverTaken() if request.status == CoverStatus.FILLED else CoverClosed()
    return _take(actor, request, actor)


def decline_offer(actor: User, offer: CoverOffer) -> CoverOffer:
    if offer.user_id != actor.id:
        raise OfferNotFound()
    if offer.status == OfferStatus.OFFERED:
        offer.status = OfferStatus.DECLINED
        offer.responded_at = now_utc()
        db.session.flush()
    return offer


def assign_cover(actor: User, request: CoverRequest, colleague: User) -> CoverRequest:
    """An administrator gives the session to a candidate by hand."""
    if not actor.is_admin:
        raise Forbidden()
    if not request.is_open:
        raise CoverClosed()
    return _take(actor, request, colleague)


def _claim(request: CoverRequest, winner: User, now: datetime) -> bool:
    """Fill the request if it is still open; only one transaction's UPDATE can match."""
    result = cast(
        "sa.CursorResult[Any]",
        db.session.execute(
            sa.update(CoverRequest)
            .where(CoverRequest.id == request.id, CoverRequest.status == CoverStatus.OPEN)
            .values(status=CoverStatus.FILLED, filled_by_id=winner.id, closed_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    db.session.refresh(request)
    return result.rowcount == 1


def _take(actor: User, request: CoverRequest, winner: User) -> CoverRequest:
    now = now_utc()
    if not _claim(request, winner, now):
        raise CoverTaken()
    session = request.session
    role = FacilitatorRole(request.role)
    # The world may have moved since the offer was made (a new booking, an absence).
    if winner.id not in {c.user.id for c in candidates_for(session, role, now)}:
        raise NotACandidate(
            name=winner.display_name,
            reason=_("they are not free, not qualified or at their weekly maximum then."),
        )
    courses.replace_session_facilitator(actor, session, request.absent_user, winner)
    _settle_offers(request, winner, now)
    record_audit(actor, "cover.filled", request, f"session={session.id} by={winner.id}")
    _tell_everyone(request, winner)
    log.info("cover request %s filled", request.id)
    return request


def _settle_offers(request: CoverRequest, winner: User, now: datetime) -> None:
    mine = next((o for o in request.offers if o.user_id == winner.id), None)
    if mine is None:
        mine = CoverOffer(user=winner, rank=0, offered_at=now)
        request.offers.append(mine)
    mine.status, mine.responded_at = OfferStatus.ACCEPTED, now
    for offer in request.offers:
        if offer.status == OfferStatus.OFFERED:
            offer.status = OfferStatus.CLOSED
            _send(offer.user, "cover_taken", request, offer=offer)
    db.session.flush()


def _tell_everyone(request: CoverRequest, winner: User) -> None:
    session = request.session
    for facilitator in session.facilitators:
        if facilitator.user_id != winner.id:
            _send(
                facilitator.user,
                "cover_colleague",
                request,
                cover=winner,
            )
    _send(
        request.absent_user,
        "cover_found",
        request,
        cover=winner,
    )


# --- mail ------------------------------------------------------------------------------------


def _send(user: User, template: str, request: CoverRequest, **context: Any) -> None:
    if user.anonymised_at is not None:
        return
    notify(user, template, request=request, course_session=request.session, **context)


def _send_offer(offer: CoverOffer) -> None:
    _send(offer.user, "cover_offer", offer.request, offer=offer)
