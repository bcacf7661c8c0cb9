"""What the peers package keeps about a person: export and erasure."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from college.extensions import db
from college.models import PublicVisibility, User
from college.privacy import ValueName, row_dict
from courses.models import FacilitatorRole, Topic, Weekday
from peers import programme_name
from peers.models import (
    Absence,
    Cohort,
    CohortMeeting,
    CoverOffer,
    CoverRequest,
    CoverStatus,
    OfferStatus,
    PeerProfile,
    PeerStatus,
    PlaceStatus,
    TrainingAttendance,
    TrainingPlace,
    Unavailability,
    cohort_trainers,
)

PEER_TABLES = (
    "peer_profiles",
    "cohort_trainers",
    "training_places",
    "training_attendance",
    "absences",
    "unavailabilities",
    "cover_requests",
    "cover_offers",
)
# What the page "My data" calls this package's part of the export.
LABELS: dict[str, Any] = {
    "peer_work": _l("Peer work"),
    "profile": _l("Profile"),
    "max_sessions_per_week": _l("Sessions a week at most"),
    "liked_topics": _l("Topics you like to teach"),
    "training_places": _l("Places in training"),
    "cohort": _l("Cohort"),
    "placed_at": _l("Placed"),
    "training_attendance": _l("Attendance in training"),
    "meeting": _l("Meeting"),
    "on": _l("Date"),
    "present": _l("Present"),
    "cohorts_trained": _l("Cohorts you train"),
    "absences": _l("Absences"),
    "private_note": _l("Private note"),
    "withdrawn_at": _l("Withdrawn"),
    "unavailability": _l("Times you cannot teach"),
    "weekday": _l("Weekday"),
    "from": _l("From"),
    "to": _l("To"),
    "cover_requests": _l("Requests for cover"),
    "session_id": _l("Session number"),
    "closed_at": _l("Closed"),
    "absent": _l("You were the one absent"),
    "cover_offers": _l("Offers to cover"),
    "request_id": _l("Request number"),
    "offered_at": _l("Offered"),
    "mailed_at": _l("Emailed to you"),
}


def name_topics(codes: str) -> str:
    """Liked topics are kept as comma-separated codes."""
    return ", ".join(Topic.label_of(code) for code in codes.split(",") if code)


def name_weekday(number: int) -> str:
    return str(Weekday.by_number(number).label)


# How the page "My data" names the codes in this package's part of the export, and in the
# account's: the choice of public name and the programmes are this package's to offer.
VALUES: dict[str, ValueName] = {
    "account.public_visibility": PublicVisibility.label_of,
    "qualifications.programme": programme_name,
    "profile.status": PeerStatus.label_of,
    "profile.liked_topics": name_topics,
    "training_places.status": PlaceStatus.label_of,
    "unavailability.weekday": name_weekday,
    "cover_requests.role": FacilitatorRole.label_of,
    "cover_requests.status": CoverStatus.label_of,
    "cover_offers.status": OfferStatus.label_of,
}


def export_peer_data(user: User) -> dict[str, Any]:
    profile = db.session.get(PeerProfile, user.id)
    places = db.session.execute(
        sa.select(Cohort.name, TrainingPlace.status, TrainingPlace.placed_at)
        .join(TrainingPlace, TrainingPlace.cohort_id == Cohort.id)
        .where(TrainingPlace.user_id == user.id)
    )
    attendance = db.session.execute(
        sa.select(
            Cohort.name, CohortMeeting.number, CohortMeeting.starts_at, TrainingAttendance.present
        )
        .join(CohortMeeting, TrainingAttendance.meeting_id == CohortMeeting.id)
        .join(Cohort, CohortMeeting.cohort_id == Cohort.id)
        .where(TrainingAttendance.user_id == user.id)
    )
    trains = db.session.scalars(
        sa.select(Cohort.name)
        .join(cohort_trainers, cohort_trainers.c.cohort_id == Cohort.id)
        .where(cohort_trainers.c.user_id == user.id)
    )
    absences = db.session.scalars(sa.select(Absence).where(Absence.user_id == user.id))
    unavailable = db.session.scalars(
        sa.select(Unavailability).where(Unavailability.user_id == user.id)
    )
    requests = db.session.scalars(
        sa.select(CoverRequest).where(
            sa.or_(CoverRequest.absent_user_id == user.id, CoverRequest.filled_by_id == user.id)
        )
    )
    offers = db.session.scalars(sa.select(CoverOffer).where(CoverOffer.user_id == user.id))
    return {
        "profile": row_dict(profile, ("status", "max_sessions_per_week", "liked_topics"))
        if profile
        else None,
        "training_places": [
            {"cohort": name, "status": status, "placed_at": placed_at}
            for name, status, placed_at in places
        ],
        "training_attendance": [
            {"cohort": name, "meeting": number, "on": starts_at, "present": present}
            for name, number, starts_at, present in attendance
        ],
        "cohorts_trained": list(trains),
        "absences": [
            row_dict(a, ("starts_at", "ends_at", "private_note", "created_at", "withdrawn_at"))
            for a in absences
        ],
        "unavailability": [
            {"weekday": u.weekday, "from": u.starts, "to": u.ends} for u in unavailable
        ],
        "cover_requests": [
            row_dict(r, ("session_id", "role", "status", "created_at", "closed_at"))
            | {"absent": r.absent_user_id == user.id}
            for r in requests
        ],
        "cover_offers": [
            row_dict(o, ("request_id", "status", "offered_at", "mailed_at")) for o in offers
        ],
    }


def erase_peer_data(user: User) -> None:
    """Remove a person's availability, training and cover records; others keep their cover."""
    uid = user.id
    db.session.execute(sa.delete(CoverOffer).where(CoverOffer.user_id == uid))
    db.session.execute(sa.delete(CoverRequest).where(CoverRequest.absent_user_id == uid))
    db.session.execute(
        sa.update(CoverRequest).where(CoverRequest.filled_by_id == uid).values(filled_by_id=None)
    )
    db.session.execute(sa.delete(Absence).where(Absence.user_id == uid))
    db.session.execute(sa.delete(Unavailability).where(Unavailability.user_id == uid))
    db.session.execute(sa.delete(TrainingAttendance).where(TrainingAttendance.user_id == uid))
    db.session.execute(
        sa.update(TrainingAttendance)
        .where(TrainingAttendance.recorded_by_id == uid)
        .values(recorded_by_id=None)
    )
    db.session.execute(sa.delete(TrainingPlace).where(TrainingPlace.user_id == uid))
    db.session.execute(sa.delete(cohort_trainers).where(cohort_trainers.c.user_id == uid))
    db.session.execute(sa.delete(PeerProfile).where(PeerProfile.user_id == uid))
    db.session.expire_all()
