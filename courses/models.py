"""Terms, venues, partners, courses, their sessions and who facilitates them."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship, validates

from college.db import Base, UTCDateTime, now_utc
from college.labels import LabelledEnum, enum_type
from college.models import Programme, User


class CourseStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    PUBLISHED = "published", _l("Published")
    CANCELLED = "cancelled", _l("Cancelled")
    ARCHIVED = "archived", _l("Archived")


class Audience(LabelledEnum):
    EVERYONE = "everyone", _l("Everyone")
    RELATIVES = "relatives", _l("Relatives and carers")
    STAFF = "staff", _l("Staff and professionals")


class CourseFormat(LabelledEnum):
    IN_PERSON = "in_person", _l("In person")
    ONLINE = "online", _l("Online")
    BLENDED = "blended", _l("In person and online")


class Topic(LabelledEnum):
    RECOVERY = "recovery", _l("Recovery and hope")
    MENTAL_HEALTH = "mental_health", _l("Understanding mental health")
    WELLBEING = "wellbeing", _l("Wellbeing in everyday life")
    RELATIONSHIPS = "relationships", _l("Relatives and relationships")
    CREATIVITY = "creativity", _l("Creativity")
    PRACTICAL = "practical", _l("Practical life")


class SessionStatus(LabelledEnum):
    SCHEDULED = "scheduled", _l("Scheduled")
    CANCELLED = "cancelled", _l("Cancelled")


class FacilitatorRole(LabelledEnum):
    PEER = "peer", _l("Peer trainer")
    PROFESSIONAL = "professional", _l("Professional trainer")


class PartnerKind(LabelledEnum):
    REGION = "region", _l("Region")
    MUNICIPALITY = "municipality", _l("Municipality")
    ASSOCIATION = "association", _l("Association")


class Weekday(LabelledEnum):
    """Days as the prospectus filter names them; the value order is Python's weekday()."""

    MONDAY = "monday", _l("Monday")
    TUESDAY = "tuesday", _l("Tuesday")
    WEDNESDAY = "wednesday", _l("Wednesday")
    THURSDAY = "thursday", _l("Thursday")
    FRIDAY = "friday", _l("Friday")
    SATURDAY = "saturday", _l("Saturday")
    SUNDAY = "sunday", _l("Sunday")

    @property
    def number(self) -> int:
        return list(Weekday).index(self)

    @classmethod
    def by_number(cls, number: int) -> Weekday:
        """The day of Python's ``weekday()`` number (Monday is 0)."""
        return list(cls)[number]


def fold_for_search(text: str) -> str:
    """Fold text the same way for stored values and queries.

    SQLite's ``lower()`` only knows ASCII, so Danish letters (Æ/æ, Ø/ø, Å/å) are
    folded in Python when written, and the search compares folded with folded.
    """
    return unicodedata.normalize("NFKC", text).casefold()


def college_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["COLLEGE_TIMEZONE"])


def local_weekday(moment: datetime) -> int:
    """Monday is 0; the day as people at the college see it on their calendar."""
    return moment.astimezone(college_zone()).weekday()


def new_session_uid() -> str:
    """A calendar UID that never changes, whatever happens to the session later."""
    domain = current_app.config["COLLEGE_DOMAIN"]
    return f"session-{secrets.token_hex(12)}@{domain}"


course_partners = sa.Table(
    "course_partners",
    Base.metadata,
    sa.Column("course_id", sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("partner_id", sa.ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True),
)


class Term(Base):
    """A teaching period; enrolment is open between its two moments."""

    __tablename__ = "terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    enrolment_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enrolment_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        sa.CheckConstraint(
            "enrolment_opens_at IS NULL OR enrolment_closes_at IS NULL"
            " OR enrolment_closes_at > enrolment_opens_at",
            name="enrolment_in_order",
        ),
    )

    def __repr__(self) -> str:
        return f"<Term {self.id}>"


class Venue(Base):
    """Where sessions happen; an online venue keeps its link for enrolled people only."""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    address: Mapped[str | None] = mapped_column(sa.String(300))
    accessibility_notes: Mapped[str | None] = mapped_column(sa.String(2000))
    is_online: Mapped[bool] = mapped_column(default=False)
    meeting_link: Mapped[str | None] = mapped_column(sa.String(500))

    def __repr__(self) -> str:
        return f"<Venue {self.id}>"


class Partner(Base):
    """A region, municipality or association that co-hosts and co-produces courses."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kind: Mapped[PartnerKind] = mapped_column(enum_type(PartnerKind, 16))

    def __repr__(self) -> str:
        return f"<Partner {self.id}>"


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    summary: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text)
    learning_outcomes: Mapped[str] = mapped_column(sa.Text, default="")
    topic: Mapped[Topic] = mapped_column(enum_type(Topic, 32))
    audience: Mapped[Audience] = mapped_column(enum_type(Audience, 16), default=Audience.EVERYONE)
    format: Mapped[CourseFormat] = mapped_column(
        enum_type(CourseFormat, 16), default=CourseFormat.IN_PERSON
    )
    capacity: Mapped[int]
    # Places held by enrolments; changed only by atomic conditional updates.
    seats_taken: Mapped[int] = mapped_column(default=0, server_default="0")
    required_programme: Mapped[Programme] = mapped_column(enum_type(Programme, 32))
    status: Mapped[CourseStatus] = mapped_column(
        enum_type(CourseStatus, 16), default=CourseStatus.DRAFT, index=True
    )
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("terms.id"), index=True)
    venue_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("venues.id", ondelete="SET NULL"), index=True
    )
    # Title, summary and description folded by ``fold_for_search``.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Drop-in: people just come, with no sign-up; the teachers keep a head count instead.
    drop_in: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # How many the room holds, told to people who drop in; None when it does not matter.
    room_capacity: Mapped[int | None]

    term: Mapped[Term] = relationship()
    venue: Mapped[Venue | None] = relationship()
    partners: Mapped[list[Partner]] = relationship(
        secondary=course_partners, order_by=lambda: Partner.name
    )
    sessions: Mapped[list[CourseSession]] = relationship(
        back_populates="course",
        cascade="all, delete-orphan",
        order_by=lambda: (CourseSession.starts_at, CourseSession.id),
    )
    facilitators: Mapped[list[CourseFacilitator]] = relationship(
        back_populates="course",
        cascade="all, delete-orphan",
        order_by=lambda: (CourseFacilitator.role, CourseFacilitator.id),
    )

    # Filled by prospectus queries from an aggregate over scheduled sessions.
    first_session_at: Mapped[datetime | None] = query_expression()
    last_session_at: Mapped[datetime | None] = query_expression()
    session_count: Mapped[int | None] = query_expression()
    # Filled by prospectus queries: whether anyone is on the waiting list.
    someone_waits: Mapped[bool | None] = query_expression()

    __table_args__ = (
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("seats_taken >= 0", name="seats_not_negative"),
        sa.CheckConstraint("seats_taken <= capacity", name="seats_within_capacity"),
        sa.CheckConstraint("room_capacity > 0", name="room_capacity_positive"),
    )

    @validates("title", "summary", "description")
    def _refresh_search_text(self, key: str, value: str | None) -> str | None:
        parts: dict[str, str | None] = {
            "title": self.title,
            "summary": self.summary,
            "description": self.description,
        }
        parts[key] = value
        self.search_text = fold_for_search("\n".join(part or "" for part in parts.values()))
        return value

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def open_places(self) -> int:
        """The places a newcomer can take: none while anyone waits, since nobody passes the
        queue (a pair at the head of the list keeps a single free place for itself)."""
        return 0 if self.someone_waits else self.places_left

    @property
    def outcomes(self) -> list[str]:
        return [line.strip() for line in self.learning_outcomes.splitlines() if line.strip()]

    @property
    def is_draft(self) -> bool:
        return self.status == CourseStatus.DRAFT

    @property
    def is_published(self) -> bool:
        return self.status == CourseStatus.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == CourseStatus.CANCELLED

    @property
    def is_archived(self) -> bool:
        return self.status == CourseStatus.ARCHIVED

    @property
    def is_live(self) -> bool:
        """A draft or published course: its sessions still take place and can be planned."""
        return self.status in (CourseStatus.DRAFT, CourseStatus.PUBLISHED)

    @property
    def is_for_everyone(self) -> bool:
        return self.audience == Audience.EVERYONE

    @property
    def scheduled_sessions(self) -> list[CourseSession]:
        return [s for s in self.sessions if s.status == SessionStatus.SCHEDULED]

    def pair(self, role: FacilitatorRole) -> list[User]:
        return [f.user for f in self.facilitators if f.role == role]

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.slug}>"


class CourseFacilitator(Base):
    """One of the course's default pair, copied onto every new session."""

    __tablename__ = "course_facilitators"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[FacilitatorRole] = mapped_column(enum_type(FacilitatorRole, 16))

    course: Mapped[Course] = relationship(back_populates="facilitators")
    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("course_id", "user_id", name="uq_course_facilitators_course_user"),
    )


class CourseSession(Base):
    """One meeting of a course; its UID and sequence let calendars follow every change."""

    __tablename__ = "course_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Monday is 0, in the college's time zone; kept so both engines filter by day alike.
    local_weekday: Mapped[int] = mapped_column(sa.SmallInteger)
    venue_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("venues.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[SessionStatus] = mapped_column(
        enum_type(SessionStatus, 16), default=SessionStatus.SCHEDULED
    )
    sequence: Mapped[int] = mapped_column(default=0)
    # One open session of a course with sign-up (a taster): anyone may just come to it.
    drop_in: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    uid: Mapped[str] = mapped_column(sa.String(255), unique=True, default=new_session_uid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    course: Mapped[Course] = relationship(back_populates="sessions")
    venue: Mapped[Venue | None] = relationship()
    facilitators: Mapped[list[SessionFacilitator]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        order_by=lambda: (SessionFacilitator.role, SessionFacilitator.id),
    )

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        sa.CheckConstraint("local_weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.Index("ix_course_sessions_course_starts", "course_id", "starts_at"),
        sa.Index("ix_course_sessions_starts_at", "starts_at"),
    )

    @validates("starts_at")
    def _refresh_weekday(self, key: str, value: datetime) -> datetime:
        self.local_weekday = local_weekday(value)
        return value

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def is_drop_in(self) -> bool:
        """People just come, with no sign-up: the session or its whole course is drop-in."""
        return self.drop_in or self.course.drop_in

    def people(self, role: FacilitatorRole) -> list[User]:
        return [f.user for f in self.facilitators if f.role == role]

    def __repr__(self) -> str:
        return f"<CourseSession {self.id}>"


class SessionFacilitator(Base):
    """A person facilitating one session, as peer or professional trainer."""

    __tablename__ = "session_facilitators"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("course_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[FacilitatorRole] = mapped_column(enum_type(FacilitatorRole, 16))

    session: Mapped[CourseSession] = relationship(back_populates="facilitators")
    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("session_id", "user_id", name="uq_session_facilitators_session_user"),
    )


class CalendarEntry(Base):
    """What the college last sent one person about one session: the entry in their calendar.

    ``digest`` is a digest of the event as it was last sent (None when the last message
    took it out of their calendar); ``shown`` keeps its fields, so that a "changed" mail
    can say what was there before. ``uid`` is the invitation the session went out in (its
    own, or its course's weekly series) and ``sequence`` that invitation's last SEQUENCE.
    See ``courses.invites``.
    """

    __tablename__ = "calendar_entries"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_sessions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    uid: Mapped[str] = mapped_column(sa.String(255))
    sequence: Mapped[int] = mapped_column(default=0)
    digest: Mapped[str | None] = mapped_column(sa.String(64))
    shown: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    __table_args__ = (sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),)
