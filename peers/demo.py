"""Demo peers: a pool of about 80 trained peers (about 30 active), cohorts of both
programmes with their registers, and absences with open cover requests.

The demo peer gets a training record, a schedule and an open cover offer to show.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from college.demo import DEMO_DOMAIN, DemoCollege, _person, demo_name
from college.extensions import db
from college.models import Programme, Qualification, Role, User
from courses.models import Course, CourseSession, SessionFacilitator, SessionStatus, Topic
from courses.times import to_utc
from peers import services
from peers.models import PeerProfile, PeerStatus

EXTRA_PEERS = 68
ACTIVE_EXTRA = 18


def _meetings(first: date, count: int, step_days: int) -> list[tuple[datetime, datetime]]:
    return [
        (
            to_utc(first + timedelta(days=step_days * n), time(9)),
            to_utc(first + timedelta(days=step_days * n), time(15)),
        )
        for n in range(count)
    ]


def _pool(college: DemoCollege) -> list[User]:
    """More trained peers, most of them resting: the pool that makes cover possible."""
    password_hash = college.admin.password_hash or ""
    extra = []
    for index in range(EXTRA_PEERS):
        peer = _person(
            f"peer{index + 12}@{DEMO_DOMAIN}",
            demo_name(index + 60),
            (Role.PEER,),
            password_hash,
        )
        granted = college.today - timedelta(days=200 + index * 11)
        db.session.add(
            Qualification(user=peer, programme=str(Programme.FIVE_DAY), granted_on=granted)
        )
        if index % 4 == 0:
            db.session.add(
                Qualification(
                    user=peer,
                    programme=str(Programme.FIVE_WEEK),
                    granted_on=granted + timedelta(days=60),
                    # A few need a refresher soon, so the reminders have something to show.
                    expires_on=college.today + timedelta(days=30 + index) if index < 12 else None,
                )
            )
        extra.append(peer)
    db.session.flush()
    topics = list(Topic)
    for index, peer in enumerate(college.peers + extra):
        resting = index >= len(college.peers) + ACTIVE_EXTRA
        db.session.add(
            PeerProfile(
                user_id=peer.id,
                status=PeerStatus.RESTING if resting else PeerStatus.ACTIVE,
                max_sessions_per_week=5 if index == 0 else 2 + index % 3,
                liked_topics=",".join(str(t) for t in topics[index % 6 : index % 6 + 2]),
            )
        )
    db.session.flush()
    return extra


def _cohorts(college: DemoCollege, extra: list[User]) -> None:
    admin, today = college.admin, college.today
    five_day = services.programme_by_code(str(Programme.FIVE_DAY))
    five_week = services.programme_by_code(str(Programme.FIVE_WEEK))
    assert five_day is not None and five_week is not None  # noqa: S101 - built in
    past = services.open_cohort(
        admin,
        five_day,
        name="Femdagesuddannelse, forår",
        places=12,
        meetings=_meetings(today - timedelta(days=120), 5, 1),
        trainers=[college.trainers[1], college.peers[1]],
    )
    trainees = [college.peers[0], *extra[:9]]
    for person in trainees:
        services.place_in_cohort(admin, past, person)
    for number, meeting in enumerate(past.meetings):
        # One trainee missed a day, to be made up in the next cohort.
        present = {p.id for p in trainees if not (p is extra[3] and number == 2)}
        services.record_register(admin, meeting, present)
    upcoming = services.open_cohort(
        admin,
        five_week,
        name="Femugers grunduddannelse, efterår",
        places=14,
        meetings=_meetings(today + timedelta(days=9), 10, 3),
        trainers=[college.trainers[2], college.peers[0]],
    )
    for student in college.students[:6]:
        services.place_in_cohort(admin, upcoming, student)
    services.place_in_cohort(admin, upcoming, extra[3])


def _next_session_of(peer: User, today: date) -> CourseSession | None:
    return db.session.scalar(
        sa.select(CourseSession)
        .join(SessionFacilitator, SessionFacilitator.session_id == CourseSession.id)
        .join(Course, CourseSession.course_id == Course.id)
        .where(
            SessionFacilitator.user_id == peer.id,
            CourseSession.status == SessionStatus.SCHEDULED,
            CourseSession.starts_at > to_utc(today + timedelta(days=2), time(0)),
        )
        .order_by(CourseSession.starts_at)
        .limit(1)
    )


def _absences(college: DemoCollege) -> None:
    """Two colleagues are away over a session; the demo peer is offered one of them."""
    for index in (2, 4):
        peer = college.peers[index]
        session = _next_session_of(peer, college.today)
        if session is not None:
            services.record_absence(
                peer,
                peer,
                session.starts_at - timedelta(hours=2),
                session.ends_at + timedelta(days=1),
                "Lægebesøg" if index == 2 else None,
            )


def seed(college: DemoCollege) -> None:
    """Add the peers' part of the demo college."""
    extra = _pool(college)
    _cohorts(college, extra)
    _absences(college)
