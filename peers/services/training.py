"""Training: programmes, cohorts with their meetings and registers, and qualifications granted.

Completion counts the meetings a person attended across every cohort of a programme, so
a day missed can be made up in a later cohort. A qualification is granted only when an
administrator confirms it, dated on the meeting that completed the programme.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from college.db import now_utc
from college.errors import Forbidden
from college.extensions import db
from college.models import Qualification, Role, User, UserRole
from college.services import record_audit, require_admin
from courses.times import local_date, to_utc
from peers.models import (
    Cohort,
    CohortMeeting,
    PeerStatus,
    PlaceStatus,
    TrainingAttendance,
    TrainingPlace,
    TrainingProgramme,
)
from peers.services.errors import (
    AlreadyPlaced,
    CohortFull,
    InvalidCohort,
    InvalidProgramme,
    NotComplete,
    NotEligible,
    NotPlaced,
    PeerRoleNotAgreed,
    ProgrammeCodeTaken,
)
from peers.services.mail import notify
from peers.services.profiles import profiles_of

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
LAPSE_WARNING = timedelta(days=60)


def programmes() -> list[TrainingProgramme]:
    return list(
        db.session.scalars(
            sa.select(TrainingProgramme).order_by(
                TrainingProgramme.built_in.desc(), TrainingProgramme.name
            )
        )
    )


def programme_by_code(code: str) -> TrainingProgramme | None:
    return db.session.scalar(sa.select(TrainingProgramme).where(TrainingProgramme.code == code))


def create_programme(
    actor: User,
    *,
    name: str,
    code: str,
    meeting_count: int,
    completion_percent: int,
    valid_for_months: int | None = None,
) -> TrainingProgramme:
    """Add a programme beyond the two built-in ones."""
    require_admin(actor)
    name, code = name.strip(), code.strip()
    if (
        not name
        or not CODE_PATTERN.match(code)
        or not 1 <= meeting_count <= 60
        or not 1 <= completion_percent <= 100
        or (valid_for_months is not None and not 1 <= valid_for_months <= 240)
    ):
        raise InvalidProgramme()
    if programme_by_code(code) is not None:
        raise ProgrammeCodeTaken()
    programme = TrainingProgramme(
        name=name[:120],
        code=code,
        meeting_count=meeting_count,
        completion_percent=completion_percent,
        valid_for_months=valid_for_months,
    )
    db.session.add(programme)
    db.session.flush()
    record_audit(actor, "training.programme_added", programme, code)
    return programme


MAX_COHORT_MEETINGS = 60


def meeting_times(
    first_day: date, starts: time, ends: time, count: int, *, weekly: bool
) -> list[tuple[datetime, datetime]]:
    """A cohort's meetings at the same local time: every week, or on consecutive weekdays
    (a five-day programme runs Monday to Friday)."""
    if not 1 <= count <= MAX_COHORT_MEETINGS or ends <= starts:
        raise InvalidCohort(count=count)
    days: list[date] = []
    day = first_day
    while len(days) < count:
        if weekly or day.weekday() < 5:
            days.append(day)
        day += timedelta(weeks=1) if weekly else timedelta(days=1)
    return [(to_utc(d, starts), to_utc(d, ends)) for d in days]


def open_cohort(
    actor: User,
    programme: TrainingProgramme,
    *,
    name: str,
    places: int,
    meetings: list[tuple[datetime, datetime]],
    trainers: list[User],
) -> Cohort:
    """Open a cohort with exactly as many meetings as the programme has."""
    require_admin(actor)
    name = name.strip()
    ordered = sorted(meetings)
    if (
        not name
        or not 1 <= places <= 200
        or len(ordered) != programme.meeting_count
        or any(end <= start for start, end in ordered)
    ):
        raise InvalidCohort(count=programme.meeting_count)
    cohort = Cohort(
        programme=programme,
        name=name[:120],
        places=places,
        trainers=list({t.id: t for t in trainers}.values()),
        meetings=[
            CohortMeeting(number=number, starts_at=start, ends_at=end)
            for number, (start, end) in enumerate(ordered, start=1)
        ],
    )
    db.session.add(cohort)
    db.session.flush()
    record_audit(actor, "training.cohort_opened", cohort, f"programme={programme.code}")
    return cohort


def may_take_part(person: User) -> bool:
    """Peers and applicants (student accounts) take part in training; administrators and
    trainers who are not peers run it."""
    if not person.is_active or person.anonymised_at is not None:
        return False
    if person.has_role(Role.PEER):
        return True
    return person.has_role(Role.STUDENT) and not person.has_role(Role.ADMIN, Role.TRAINER)


def eligible_for_cohort(cohort: Cohort) -> list[User]:
    """Who may be given a place: people who may take part and are not placed here yet."""
    placed = {p.user_id for p in cohort.placed}
    people = db.session.scalars(
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role.in_([Role.PEER, Role.STUDENT]),
            User.active.is_(True),
            User.anonymised_at.is_(None),
        )
        .order_by(User.display_name, User.id)
        .options(sa.orm.selectinload(User.role_rows))
    ).unique()
    return [u for u in people if u.id not in placed and may_take_part(u)]


def place_in_cohort(actor: User, cohort: Cohort, person: User) -> TrainingPlace:
    """Give a peer or an applicant a place in a cohort."""
    require_admin(actor)
    if not may_take_part(person):
        raise NotEligible(name=person.display_name)
    place = next((p for p in cohort.training_places if p.user_id == person.id), None)
    if place is not None and place.status == PlaceStatus.PLACED:
        raise AlreadyPlaced(name=person.display_name)
    if len(cohort.placed) >= cohort.places:
        raise CohortFull(places=cohort.places)
    if place is None:
        place = TrainingPlace(user=person)
        cohort.training_places.append(place)
    place.status = PlaceStatus.PLACED
    db.session.flush()
    record_audit(actor, "training.placed", cohort, f"user={person.id}")
    return place


def withdraw_place(actor: User, cohort: Cohort, person: User) -> None:
    require_admin(actor)
    place = next((p for p in cohort.placed if p.user_id == person.id), None)
    if place is None:
        raise NotPlaced(name=person.display_name)
    place.status = PlaceStatus.WITHDRAWN
    db.session.flush()
    record_audit(actor, "training.place_withdrawn", cohort, f"user={person.id}")


def _may_keep_register(actor: User, cohort: Cohort) -> bool:
    return actor.is_admin or any(t.id == actor.id for t in cohort.trainers)


def record_register(actor: User, meeting: CohortMeeting, present_ids: set[int]) -> None:
    """Mark everyone placed in the cohort present or absent at one meeting."""
    cohort = meeting.cohort
    if not _may_keep_register(actor, cohort):
        raise Forbidden()
    existing = {
        row.user_id: row
        for row in db.session.scalars(
            sa.select(TrainingAttendance).where(TrainingAttendance.meeting_id == meeting.id)
        )
    }
    for place in cohort.placed:
        row = existing.get(place.user_id)
        if row is None:
            row = TrainingAttendance(meeting_id=meeting.id, user_id=place.user_id, present=False)
            db.session.add(row)
        row.present = place.user_id in present_ids
        row.recorded_by_id = actor.id
    db.session.flush()
    record_audit(actor, "training.register", meeting, f"cohort={cohort.id}")


def record_registers(
    actor: User, cohort: Cohort, present: set[tuple[int, int]], now: datetime | None = None
) -> int:
    """Save the whole register at once: ``present`` holds (meeting id, person id) pairs.

    Only meetings that have begun are kept: a meeting to come has no register yet. Returns
    how many meetings' registers were saved.
    """
    if not _may_keep_register(actor, cohort):
        raise Forbidden()
    now = now or now_utc()
    saved = 0
    for meeting in cohort.meetings:
        if meeting.starts_at > now:
            continue
        record_register(actor, meeting, {u for m, u in present if m == meeting.id})
        saved += 1
    return saved


def registers_of(cohort: Cohort) -> dict[tuple[int, int], bool]:
    """Every mark of the cohort's registers, by (meeting id, person id), in one query."""
    rows = db.session.scalars(
        sa.select(TrainingAttendance)
        .join(CohortMeeting, TrainingAttendance.meeting_id == CohortMeeting.id)
        .where(CohortMeeting.cohort_id == cohort.id)
    )
    return {(row.meeting_id, row.user_id): row.present for row in rows}


def register_of(meeting: CohortMeeting) -> dict[int, bool]:
    rows = db.session.scalars(
        sa.select(TrainingAttendance).where(TrainingAttendance.meeting_id == meeting.id)
    )
    return {row.user_id: row.present for row in rows}


# --- completion ------------------------------------------------------------------------------


@dataclass
class Completion:
    programme: TrainingProgramme
    attended: set[int] = field(default_factory=set)
    needed: int = 0
    completed_on: date | None = None

    @property
    def complete(self) -> bool:
        return self.completed_on is not None


def meetings_needed(programme: TrainingProgramme) -> int:
    return math.ceil(programme.meeting_count * programme.completion_percent / 100)


def completion_of(programme: TrainingProgramme, person: User) -> Completion:
    """Which meetings of the programme ``person`` attended (any cohort), and when they finished."""
    rows = db.session.execute(
        sa.select(CohortMeeting.number, CohortMeeting.starts_at)
        .join(TrainingAttendance, TrainingAttendance.meeting_id == CohortMeeting.id)
        .join(Cohort, CohortMeeting.cohort_id == Cohort.id)
        .where(
            Cohort.programme_id == programme.id,
            TrainingAttendance.user_id == person.id,
            TrainingAttendance.present.is_(True),
        )
        .order_by(CohortMeeting.starts_at)
    )
    result = Completion(programme, needed=meetings_needed(programme))
    for number, starts_at in rows:
        result.attended.add(number)
        if result.completed_on is None and len(result.attended) >= result.needed:
            result.completed_on = local_date(starts_at)
    return result


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - one of the days always exists


def confirm_completion(
    actor: User, programme: TrainingProgramme, person: User, *, give_peer_role: bool = True
) -> Qualification:
    """Grant the programme's qualification, dated on the day it was completed.

    A qualification makes its holder a peer trainer; someone who is not a peer yet gets the
    role only when the office said so (``give_peer_role``).
    """
    require_admin(actor)
    if not person.has_role(Role.PEER) and not give_peer_role:
        raise PeerRoleNotAgreed(name=person.display_name)
    result = completion_of(programme, person)
    if result.completed_on is None:
        raise NotComplete(name=person.display_name)
    qualification = db.session.scalar(
        sa.select(Qualification).where(
            Qualification.user_id == person.id, Qualification.programme == programme.code
        )
    )
    if qualification is None:
        qualification = Qualification(user=person, programme=programme.code)
        db.session.add(qualification)
    qualification.granted_on = result.completed_on
    qualification.expires_on = (
        _add_months(result.completed_on, programme.valid_for_months)
        if programme.valid_for_months
        else None
    )
    qualification.recorded_by_id = actor.id
    if not person.has_role(Role.PEER):
        person.role_rows.append(UserRole(role=Role.PEER))
    db.session.flush()
    record_audit(actor, "training.qualified", person, programme.code)
    notify(
        person,
        "qualified",
        programme=programme,
        qualification=qualification,
    )
    return qualification


# --- records and the pipeline ----------------------------------------------------------------


@dataclass
class TrainingRecord:
    places: list[TrainingPlace]
    attendance: dict[int, bool]
    completions: list[Completion]
    qualifications: list[Qualification]


def training_record(person: User) -> TrainingRecord:
    places = list(
        db.session.scalars(
            sa.select(TrainingPlace)
            .where(TrainingPlace.user_id == person.id)
            .order_by(TrainingPlace.placed_at)
        )
    )
    attendance = {
        row.meeting_id: row.present
        for row in db.session.scalars(
            sa.select(TrainingAttendance).where(TrainingAttendance.user_id == person.id)
        )
    }
    seen = {p.cohort.programme_id: p.cohort.programme for p in places}
    qualifications = list(
        db.session.scalars(
            sa.select(Qualification)
            .where(Qualification.user_id == person.id)
            .order_by(Qualification.granted_on)
        )
    )
    return TrainingRecord(
        places=places,
        attendance=attendance,
        completions=[completion_of(p, person) for p in seen.values()],
        qualifications=qualifications,
    )


@dataclass
class Pipeline:
    in_training: list[User] = field(default_factory=list)
    qualified: list[User] = field(default_factory=list)
    active: list[User] = field(default_factory=list)
    resting: list[User] = field(default_factory=list)
    lapsing: list[tuple[User, Qualification]] = field(default_factory=list)


def pipeline(today: date) -> Pipeline:
    """Everyone on the way to teaching or teaching, for the training overview."""
    result = Pipeline()
    in_training_ids = set(
        db.session.scalars(
            sa.select(TrainingPlace.user_id).where(TrainingPlace.status == PlaceStatus.PLACED)
        )
    )
    qualifications = list(
        db.session.scalars(sa.select(Qualification).order_by(Qualification.expires_on))
    )
    valid: dict[int, list[Qualification]] = {}
    for q in qualifications:
        if q.is_valid_on(today):
            valid.setdefault(q.user_id, []).append(q)
            if q.expires_on is not None and q.expires_on <= today + LAPSE_WARNING:
                result.lapsing.append((q.user, q))
    ids = in_training_ids | set(valid)
    people = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.id.in_(sorted(ids))).order_by(User.display_name)
        )
    }
    profiles = profiles_of(ids)
    for user_id, user in sorted(people.items(), key=lambda item: item[1].display_name):
        if user_id in valid:
            result.qualified.append(user)
            profile = profiles.get(user_id)
            if profile is not None and profile.status == PeerStatus.RESTING:
                result.resting.append(user)
            elif user.is_active and user.has_role(Role.PEER):
                result.active.append(user)
        elif user_id in in_training_ids:
            result.in_training.append(user)
    return result
