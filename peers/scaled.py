"""Absences and cover history of the bulk peers, written in bulk like the courses they teach.

Each absence spans one or more of the peer's sessions. A session already held was taken
by a colleague who holds the course's programme, was free then and under their weekly
maximum; a session still to come is covered too, or still offered to such colleagues.
The absent peer stays on a session until someone takes it, so no session is left without
its peer, and the person covering is never booked twice at once.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from college.db import now_utc
from college.demo import ScaledCollege
from college.extensions import db
from college.models import Qualification
from courses.models import (
    Course,
    CourseSession,
    FacilitatorRole,
    SessionFacilitator,
    SessionStatus,
    college_zone,
)
from peers.models import (
    DEFAULT_WEEKLY_MAXIMUM,
    Absence,
    CoverOffer,
    CoverRequest,
    CoverStatus,
    OfferStatus,
    Unavailability,
)

ABSENCES_PER_PEER = (1, 3)
# Days an absence lasts after the session it starts with.
ABSENCE_DAYS = (0, 0, 2, 9, 16)
OFFERS_PER_REQUEST = 3
COVERED_AHEAD_SHARE = 0.5
UNAVAILABLE_EVERY = 3
HOURS = (9, 12, 15, 18)


@dataclass(frozen=True)
class Taught:
    """One session a peer teaches, by the row that says so."""

    facilitator_id: int
    session_id: int
    starts_at: datetime
    ends_at: datetime
    sequence: int
    programme: str


class Timetable:
    """Who teaches when, kept up to date as colleagues take sessions over."""

    def __init__(self, peers: list[int]) -> None:
        self.peers = peers
        self.taught: dict[int, list[Taught]] = defaultdict(list)
        self.booked: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.away: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.covering: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.unavailable: dict[int, set[tuple[int, int]]] = defaultdict(set)
        self.programmes: dict[int, set[str]] = defaultdict(set)
        rows = db.session.execute(
            sa.select(
                SessionFacilitator.id,
                SessionFacilitator.user_id,
                CourseSession.id,
                CourseSession.starts_at,
                CourseSession.ends_at,
                CourseSession.sequence,
                Course.required_programme,
            )
            .join(CourseSession, SessionFacilitator.session_id == CourseSession.id)
            .join(Course, CourseSession.course_id == Course.id)
            .where(
                SessionFacilitator.user_id.in_(peers),
                SessionFacilitator.role == FacilitatorRole.PEER,
                CourseSession.status == SessionStatus.SCHEDULED,
            )
            .order_by(CourseSession.starts_at)
        )
        for facilitator_id, peer, session_id, starts, ends, sequence, programme in rows:
            self.taught[peer].append(
                Taught(facilitator_id, session_id, starts, ends, sequence, programme)
            )
            self.booked[peer].append((starts, ends))
        qualifications = db.session.execute(
            sa.select(Qualification.user_id, Qualification.programme).where(
                Qualification.user_id.in_(peers)
            )
        )
        for peer, code in qualifications:
            self.programmes[peer].add(code)

    def free(self, peer: int, session: Taught) -> bool:
        """Qualified, not away, not teaching then, and under the weekly maximum."""
        if session.programme not in self.programmes[peer]:
            return False
        local = session.starts_at.astimezone(college_zone())
        if (local.weekday(), local.hour) in self.unavailable[peer]:
            return False
        span = (session.starts_at, session.ends_at)
        if any(_overlap(span, other) for other in self.booked[peer] + self.away[peer]):
            return False
        week = local.isocalendar()[:2]
        that_week = sum(
            1
            for starts, _ in self.booked[peer]
            if starts.astimezone(college_zone()).isocalendar()[:2] == week
        )
        return that_week < DEFAULT_WEEKLY_MAXIMUM

    def colleagues_for(self, absent: int, session: Taught, turn: int) -> list[int]:
        others = self.peers[turn % len(self.peers) :] + self.peers[: turn % len(self.peers)]
        found = []
        for peer in others:
            if peer != absent and self.free(peer, session):
                found.append(peer)
                if len(found) == OFFERS_PER_REQUEST:
                    break
        return found


def _overlap(one: tuple[datetime, datetime], other: tuple[datetime, datetime]) -> bool:
    return one[0] < other[1] and other[0] < one[1]


def seed_scaled(scaled: ScaledCollege) -> None:
    """One to three absences for every bulk peer, with the cover they led to."""
    peers = scaled.bulk_peer_ids
    if len(peers) < 2:
        return
    timetable = Timetable(peers)
    picker = random.Random(13)  # noqa: S311 - repeatable demo data
    _unavailability(timetable)
    history = _History(now_utc())
    for peer in peers:
        sessions = timetable.taught[peer]
        if not sessions:
            continue
        for _ in range(picker.randint(*ABSENCES_PER_PEER)):
            first = picker.choice(sessions)
            period = (
                first.starts_at - timedelta(hours=2),
                first.ends_at + timedelta(days=picker.choice(ABSENCE_DAYS)),
            )
            taken = timetable.away[peer] + timetable.covering[peer]
            if any(_overlap(period, other) for other in taken):
                continue
            timetable.away[peer].append(period)
            history.absence(peer, period)
            for session in sessions:
                if _overlap(period, (session.starts_at, session.ends_at)):
                    history.cover(timetable, peer, session, picker)
    history.write()


def _unavailability(timetable: Timetable) -> None:
    """Every third peer cannot teach at one weekly time they never teach anyway."""
    rows = []
    for number, peer in enumerate(timetable.peers):
        if number % UNAVAILABLE_EVERY:
            continue
        teaching = {
            (starts.astimezone(college_zone()).weekday(), starts.astimezone(college_zone()).hour)
            for starts, _ in timetable.booked[peer]
        }
        for weekday, hour in ((d, h) for h in reversed(HOURS) for d in range(5)):
            if (weekday, hour) not in teaching:
                timetable.unavailable[peer].add((weekday, hour))
                rows.append(
                    {
                        "user_id": peer,
                        "weekday": weekday,
                        "starts": time(hour),
                        "ends": time(hour + 3),
                        "created_at": now_utc(),
                    }
                )
                break
    if rows:
        db.session.execute(sa.insert(Unavailability), rows)


class _History:
    """Rows for absences, cover requests and offers, and the sessions that changed hands."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.absences: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.offers: list[list[dict[str, Any]]] = []
        self.handovers: list[dict[str, Any]] = []
        self.changed: list[dict[str, Any]] = []
        self.turn = 0

    def absence(self, peer: int, period: tuple[datetime, datetime]) -> None:
        recorded = min(period[0] - timedelta(days=3), self.now)
        self.absences.append(
            {
                "user_id": peer,
                "starts_at": period[0],
                "ends_at": period[1],
                "private_note": None,
                "created_at": recorded,
            }
        )

    def cover(
        self, timetable: Timetable, peer: int, session: Taught, picker: random.Random
    ) -> None:
        self.turn += 1
        asked = timetable.colleagues_for(peer, session, self.turn)
        held = session.starts_at < self.now
        opened = min(session.starts_at - timedelta(days=3), self.now - timedelta(hours=1))
        winner = asked[0] if asked and (held or picker.random() < COVERED_AHEAD_SHARE) else None
        if winner is None:
            status = CoverStatus.EXPIRED if held else CoverStatus.OPEN
        else:
            status = CoverStatus.FILLED
        closed = opened + timedelta(hours=5) if status != CoverStatus.OPEN else None
        self.requests.append(
            {
                "session_id": session.session_id,
                "absent_user_id": peer,
                "role": str(FacilitatorRole.PEER),
                "status": str(status),
                "created_at": opened,
                "filled_by_id": winner,
                "closed_at": closed,
                "alerted_at": opened,
                "escalated_at": None,
            }
        )
        self.offers.append(
            [
                {
                    "user_id": colleague,
                    "rank": rank,
                    "status": str(_offer_status(colleague, winner, status)),
                    "offered_at": opened,
                    "responded_at": closed if colleague == winner else None,
                }
                for rank, colleague in enumerate(asked, start=1)
            ]
        )
        if winner is not None:
            timetable.booked[winner].append((session.starts_at, session.ends_at))
            timetable.covering[winner].append((session.starts_at, session.ends_at))
            self.handovers.append({"id": session.facilitator_id, "user_id": winner})
            self.changed.append(
                {"id": session.session_id, "sequence": session.sequence + 1, "updated_at": closed}
            )

    def write(self) -> None:
        if self.absences:
            db.session.execute(sa.insert(Absence), self.absences)
        if not self.requests:
            return
        ids = db.session.scalars(
            sa.insert(CoverRequest).returning(CoverRequest.id, sort_by_parameter_order=True),
            self.requests,
        ).all()
        offers = [
            {"request_id": request_id, **offer}
            for request_id, asked in zip(ids, self.offers, strict=True)
            for offer in asked
        ]
        if offers:
            db.session.execute(sa.insert(CoverOffer), offers)
        if self.handovers:
            db.session.execute(sa.update(SessionFacilitator), self.handovers)
            db.session.execute(sa.update(CourseSession), self.changed)


def _offer_status(colleague: int, winner: int | None, status: CoverStatus) -> OfferStatus:
    if colleague == winner:
        return OfferStatus.ACCEPTED
    if status == CoverStatus.OPEN:
        return OfferStatus.OFFERED
    return OfferStatus.CLOSED
