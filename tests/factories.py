"""Plain, typed factory functions for test data."""

from __future__ import annotations

import itertools
from datetime import date

from flask import current_app

from college import services
from college.extensions import db
from college.models import Programme, Qualification, Role, User

PASSWORD = "a calm river at dawn"
_counter = itertools.count(1)


def make_user(
    *,
    email: str | None = None,
    name: str | None = None,
    roles: tuple[Role, ...] = (Role.STUDENT,),
    password: str | None = PASSWORD,
    language: str = "en",
) -> User:
    number = next(_counter)
    user = services.create_user(
        email=email or f"person{number}@example.org",
        display_name=name or f"Person {number}",
        password=password,
        language=language,
        roles=roles,
    )
    user.consent_version = current_app.config["PRIVACY_NOTICE_VERSION"]
    db.session.flush()
    return user


def make_student(**kwargs: object) -> User:
    return make_user(roles=(Role.STUDENT,), **kwargs)  # type: ignore[arg-type]


def make_admin(**kwargs: object) -> User:
    return make_user(roles=(Role.ADMIN,), **kwargs)  # type: ignore[arg-type]


def make_trainer(**kwargs: object) -> User:
    return make_user(roles=(Role.TRAINER,), **kwargs)  # type: ignore[arg-type]


def make_peer(
    *,
    programmes: tuple[Programme, ...] = (Programme.FIVE_DAY,),
    granted_on: date = date(2025, 1, 15),
    **kwargs: object,
) -> User:
    peer = make_user(roles=(Role.PEER,), **kwargs)  # type: ignore[arg-type]
    for programme in programmes:
        db.session.add(Qualification(user=peer, programme=str(programme), granted_on=granted_on))
    db.session.flush()
    return peer


# --- courses ---------------------------------------------------------------------------------
# These build rows directly, without the course services, so that tests can also set up
# states the services would refuse (a double booking, an unqualified peer on a session).

from datetime import UTC, datetime, timedelta  # noqa: E402

from courses.models import (  # noqa: E402
    Audience,
    Course,
    CourseFacilitator,
    CourseFormat,
    CourseSession,
    CourseStatus,
    FacilitatorRole,
    Partner,
    PartnerKind,
    SessionFacilitator,
    SessionStatus,
    Term,
    Topic,
    Venue,
)

# Far enough ahead to be a "coming" term whenever the suite runs.
TERM_START = date(2030, 9, 2)
FIRST_SESSION = datetime(2030, 9, 10, 15, 0, tzinfo=UTC)  # a Tuesday, 17:00 in Copenhagen


def early_today() -> datetime:
    """00:01 today in the college's time zone: a session that is always "today"."""
    from datetime import time

    from courses.times import local_today, to_utc

    return to_utc(local_today(), time(0, 1))


def make_term(
    *,
    name: str | None = None,
    starts_on: date = TERM_START,
    ends_on: date = date(2030, 12, 20),
    enrolment_opens_at: datetime | None = None,
    enrolment_closes_at: datetime | None = None,
) -> Term:
    term = Term(
        name=name or f"Term {next(_counter)}",
        starts_on=starts_on,
        ends_on=ends_on,
        enrolment_opens_at=enrolment_opens_at,
        enrolment_closes_at=enrolment_closes_at,
    )
    db.session.add(term)
    db.session.flush()
    return term


def make_venue(
    *,
    name: str | None = None,
    address: str | None = "Skolegade 12, 8000 Aarhus C",
    accessibility_notes: str | None = "Step-free entrance and a lift.",
    is_online: bool = False,
    meeting_link: str | None = None,
) -> Venue:
    venue = Venue(
        name=name or f"Venue {next(_counter)}",
        address=None if is_online else address,
        accessibility_notes=accessibility_notes,
        is_online=is_online,
        meeting_link=meeting_link,
    )
    db.session.add(venue)
    db.session.flush()
    return venue


def make_partner(*, name: str | None = None, kind: PartnerKind = PartnerKind.REGION) -> Partner:
    partner = Partner(name=name or f"Partner {next(_counter)}", kind=kind)
    db.session.add(partner)
    db.session.flush()
    return partner


def make_course(
    *,
    title: str | None = None,
    summary: str = "A calm introduction.",
    description: str = "We meet, learn and share.",
    term: Term | None = None,
    venue: Venue | None = None,
    status: CourseStatus = CourseStatus.DRAFT,
    topic: Topic = Topic.WELLBEING,
    audience: Audience = Audience.EVERYONE,
    course_format: CourseFormat = CourseFormat.IN_PERSON,
    capacity: int = 16,
    seats_taken: int = 0,
    required_programme: Programme = Programme.FIVE_DAY,
    partners: tuple[Partner, ...] = (),
    pair: tuple[User, User] | None = None,
    slug: str | None = None,
    drop_in: bool = False,
    room_capacity: int | None = None,
) -> Course:
    number = next(_counter)
    course = Course(
        slug=slug or f"course-{number}",
        title=title or f"Course {number}",
        summary=summary,
        description=description,
        learning_outcomes="Know more\nFeel less alone",
        topic=topic,
        audience=audience,
        format=course_format,
        capacity=capacity,
        seats_taken=seats_taken,
        required_programme=required_programme,
        status=status,
        term=term or make_term(),
        venue=venue,
        partners=list(partners),
        drop_in=drop_in,
        room_capacity=room_capacity,
    )
    if pair is not None:
        course.facilitators = [
            CourseFacilitator(user=pair[0], role=FacilitatorRole.PEER),
            CourseFacilitator(user=pair[1], role=FacilitatorRole.PROFESSIONAL),
        ]
    db.session.add(course)
    db.session.flush()
    return course


def make_session(
    course: Course,
    *,
    starts_at: datetime = FIRST_SESSION,
    minutes: int = 120,
    venue: Venue | None = None,
    status: SessionStatus = SessionStatus.SCHEDULED,
    peers: tuple[User, ...] = (),
    professionals: tuple[User, ...] = (),
) -> CourseSession:
    session = CourseSession(
        course=course,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        venue=venue or course.venue,
        status=status,
        facilitators=[SessionFacilitator(user=u, role=FacilitatorRole.PEER) for u in peers]
        + [SessionFacilitator(user=u, role=FacilitatorRole.PROFESSIONAL) for u in professionals],
    )
    db.session.add(session)
    db.session.flush()
    return session


def make_published_course(
    *,
    peer: User | None = None,
    trainer: User | None = None,
    sessions: int = 3,
    first_start: datetime = FIRST_SESSION,
    **kwargs: object,
) -> Course:
    """A published course with its pair on every weekly session."""
    peer = peer or make_peer()
    trainer = trainer or make_trainer()
    course = make_course(status=CourseStatus.PUBLISHED, pair=(peer, trainer), **kwargs)  # type: ignore[arg-type]
    for week in range(sessions):
        make_session(
            course,
            starts_at=first_start + timedelta(weeks=week),
            peers=(peer,),
            professionals=(trainer,),
        )
    db.session.expire(course, ["sessions"])
    return course


# --- enrolment -------------------------------------------------------------------------------

from courses.enrolment.models import Enrolment, EnrolmentStatus  # noqa: E402


def make_enrolment(
    course: Course,
    student: User | None = None,
    *,
    status: EnrolmentStatus = EnrolmentStatus.ENROLLED,
    waitlist_number: int | None = None,
) -> Enrolment:
    """A row as it would be after the services ran; a place held counts in ``seats_taken``."""
    enrolment = Enrolment(
        course=course,
        student=student or make_student(),
        status=status,
        waitlist_number=waitlist_number,
    )
    if status in (EnrolmentStatus.ENROLLED, EnrolmentStatus.OFFERED):
        course.seats_taken += 1
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def make_students(count: int) -> list[User]:
    return [make_student() for _ in range(count)]


# --- peers -----------------------------------------------------------------------------------

from peers.models import Absence, PeerProfile, PeerStatus  # noqa: E402


def make_profile(
    user: User,
    *,
    status: PeerStatus = PeerStatus.ACTIVE,
    max_sessions_per_week: int = 3,
    topics: tuple[Topic, ...] = (),
) -> PeerProfile:
    profile = PeerProfile(
        user_id=user.id,
        status=status,
        max_sessions_per_week=max_sessions_per_week,
        liked_topics=",".join(str(t) for t in topics),
    )
    db.session.add(profile)
    db.session.flush()
    return profile


def make_absence(user: User, starts_at: datetime, ends_at: datetime) -> Absence:
    """An absence written directly, without opening cover."""
    absence = Absence(user=user, starts_at=starts_at, ends_at=ends_at)
    db.session.add(absence)
    db.session.flush()
    return absence
