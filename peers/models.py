"""Peer profiles, training programmes and cohorts, availability, and cover between colleagues."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from college.db import Base, UTCDateTime, now_utc
from college.labels import LabelledEnum, enum_type
from college.models import User
from courses.models import CourseSession, FacilitatorRole, Weekday


class PeerStatus(LabelledEnum):
    ACTIVE = "active", _l("Active")
    RESTING = "resting", _l("Resting for a while")


class CoverStatus(LabelledEnum):
    OPEN = "open", _l("Looking for cover")
    FILLED = "filled", _l("Covered")
    CANCELLED = "cancelled", _l("No longer needed")
    EXPIRED = "expired", _l("Not covered")


class OfferStatus(LabelledEnum):
    OFFERED = "offered", _l("Offered")
    ACCEPTED = "accepted", _l("Accepted")
    DECLINED = "declined", _l("Declined")
    # Someone else accepted first, or the request closed.
    CLOSED = "closed", _l("Closed")


class PlaceStatus(LabelledEnum):
    PLACED = "placed", _l("Placed")
    WITHDRAWN = "withdrawn", _l("Withdrawn")


DEFAULT_WEEKLY_MAXIMUM = 3


class PeerProfile(Base):
    """How a peer or trainer wants to teach; without a row, the defaults apply."""

    __tablename__ = "peer_profiles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[PeerStatus] = mapped_column(enum_type(PeerStatus, 16), default=PeerStatus.ACTIVE)
    max_sessions_per_week: Mapped[int] = mapped_column(default=DEFAULT_WEEKLY_MAXIMUM)
    # Topic codes from ``courses.models.Topic``, comma-separated.
    liked_topics: Mapped[str] = mapped_column(sa.String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint("max_sessions_per_week BETWEEN 0 AND 20", name="weekly_maximum_range"),
    )

    @property
    def topics(self) -> set[str]:
        return {t for t in self.liked_topics.split(",") if t}


class TrainingProgramme(Base):
    """A training programme; completing it grants the qualification named by ``code``."""

    __tablename__ = "training_programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    meeting_count: Mapped[int]
    # The share of meetings (in percent) a peer must attend to complete the programme.
    completion_percent: Mapped[int] = mapped_column(default=100)
    # Refresher training: the qualification lapses this many months after it is granted.
    valid_for_months: Mapped[int | None]
    built_in: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        sa.CheckConstraint("meeting_count BETWEEN 1 AND 60", name="meeting_count_range"),
        sa.CheckConstraint("completion_percent BETWEEN 1 AND 100", name="completion_range"),
    )


cohort_trainers = sa.Table(
    "cohort_trainers",
    Base.metadata,
    sa.Column("cohort_id", sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Cohort(Base):
    """One run of a programme: its meetings, trainers and places."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("training_programmes.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    places: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    programme: Mapped[TrainingProgramme] = relationship()
    trainers: Mapped[list[User]] = relationship(
        secondary=cohort_trainers, order_by=lambda: User.display_name
    )
    meetings: Mapped[list[CohortMeeting]] = relationship(
        back_populates="cohort",
        cascade="all, delete-orphan",
        order_by=lambda: CohortMeeting.number,
    )
    training_places: Mapped[list[TrainingPlace]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.CheckConstraint("places BETWEEN 1 AND 200", name="places_range"),)

    @property
    def placed(self) -> list[TrainingPlace]:
        return [p for p in self.training_places if p.status == PlaceStatus.PLACED]


class CohortMeeting(Base):
    """One day (or weekly meeting) of a cohort; ``number`` is its place in the programme."""

    __tablename__ = "cohort_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"))
    number: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    cohort: Mapped[Cohort] = relationship(back_populates="meetings")

    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "number", name="uq_cohort_meetings_cohort_number"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )


class TrainingPlace(Base):
    """A peer or applicant placed in a cohort."""

    __tablename__ = "training_places"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[PlaceStatus] = mapped_column(
        enum_type(PlaceStatus, 16), default=PlaceStatus.PLACED
    )
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    cohort: Mapped[Cohort] = relationship(back_populates="training_places")
    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "user_id", name="uq_training_places_cohort_user"),
    )


class TrainingAttendance(Base):
    """The register of one meeting for one person."""

    __tablename__ = "training_attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("cohort_meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    present: Mapped[bool]
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    meeting: Mapped[CohortMeeting] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "user_id", name="uq_training_attendance_meeting_user"),
    )


class Absence(Base):
    """A period a person cannot teach; the note is theirs and the admins' only, never a reason."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    private_note: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_absences_user_period", "user_id", "starts_at", "ends_at"),
    )


class Unavailability(Base):
    """A recurring time a person cannot teach, in the college's local time (e.g. Tuesdays 14-24)."""

    __tablename__ = "unavailabilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(sa.SmallInteger)
    starts: Mapped[time]
    ends: Mapped[time]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("ends > starts", name="ends_after_start"),
    )

    @property
    def day(self) -> Weekday:
        return Weekday.by_number(self.weekday)


class CoverRequest(Base):
    """A session that needs someone in place of an absent facilitator."""

    __tablename__ = "cover_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_sessions.id", ondelete="CASCADE"), index=True
    )
    absent_user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[FacilitatorRole] = mapped_column(enum_type(FacilitatorRole, 16))
    status: Mapped[CoverStatus] = mapped_column(
        enum_type(CoverStatus, 16), default=CoverStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    filled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[CourseSession] = relationship()
    absent_user: Mapped[User] = relationship(foreign_keys=[absent_user_id])
    filled_by: Mapped[User | None] = relationship(foreign_keys=[filled_by_id])
    offers: Mapped[list[CoverOffer]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by=lambda: CoverOffer.rank
    )

    @property
    def is_open(self) -> bool:
        return self.status == CoverStatus.OPEN


class CoverOffer(Base):
    """A colleague asked to cover; the first to accept wins the request."""

    __tablename__ = "cover_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cover_requests.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int]
    status: Mapped[OfferStatus] = mapped_column(
        enum_type(OfferStatus, 16), default=OfferStatus.OFFERED
    )
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the mail worker wrote the offer; never, if a colleague took the session first.
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[CoverRequest] = relationship(back_populates="offers")
    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("request_id", "user_id", name="uq_cover_offers_request_user"),
    )


class QualificationReminder(Base):
    """That a lapse reminder went out, so the daily task sends it once per expiry date."""

    __tablename__ = "qualification_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    qualification_id: Mapped[int] = mapped_column(
        sa.ForeignKey("qualifications.id", ondelete="CASCADE")
    )
    expires_on: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (
        sa.UniqueConstraint(
            "qualification_id", "expires_on", name="uq_qualification_reminders_expiry"
        ),
    )
