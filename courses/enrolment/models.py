"""Enrolment, waiting list, attendance and anonymous feedback."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column, relationship

from college.db import Base, UTCDateTime, now_utc
from college.labels import LabelledEnum, enum_type
from college.models import User
from courses.models import Course, CourseSession


class EnrolmentStatus(LabelledEnum):
    ENROLLED = "enrolled", _l("Enrolled")
    WAITLISTED = "waitlisted", _l("On the waiting list")
    # A freed place held for the head of the waiting list until they answer.
    OFFERED = "offered", _l("Offered a place")
    WITHDRAWN = "withdrawn", _l("Withdrawn")
    DECLINED = "declined", _l("Place declined")
    EXPIRED = "expired", _l("Offer ran out")


class RemovalReason(LabelledEnum):
    """Why the office takes someone off: a short list, never free text about a person."""

    ASKED = "asked", _l("They asked us to take them off")
    CANNOT_COME = "cannot_come", _l("They told us they cannot come")
    NO_CONTACT = "no_contact", _l("We could not reach them")
    DUPLICATE = "duplicate", _l("Signed up twice or by mistake")
    OTHER = "other", _l("Another reason")


# Statuses that hold one of the course's places (``Course.seats_taken``).
SEAT_HOLDING = (EnrolmentStatus.ENROLLED, EnrolmentStatus.OFFERED)
ACTIVE = (EnrolmentStatus.ENROLLED, EnrolmentStatus.OFFERED, EnrolmentStatus.WAITLISTED)


def someone_waits_for(
    course_id: sa.ColumnElement[int] | InstrumentedAttribute[int],
) -> sa.Exists:
    """Whether anyone is on the course's waiting list, as SQL (``course_id`` may be a column).

    Nobody passes the queue: while anyone waits, a free place is theirs (a pair at the head
    of the list keeps a single free place until a second one frees), never a newcomer's.
    """
    return sa.exists().where(
        Enrolment.course_id == course_id, Enrolment.status == EnrolmentStatus.WAITLISTED
    )


class Enrolment(Base):
    """One student's place (or place in the queue) on one course; one row per pair."""

    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    # None once the retention period after the term has passed: the row still counts in the
    # term's figures but no longer says whose it was.
    student_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[EnrolmentStatus] = mapped_column(enum_type(EnrolmentStatus, 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # Place in the queue, handed out in arrival order under the course lock (first come,
    # first served); positions shown to people are ranks, so leaving never leaves a gap.
    waitlist_number: Mapped[int | None]
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once feedback is given; the feedback itself carries no link back here.
    feedback_given: Mapped[bool] = mapped_column(default=False)

    course: Mapped[Course] = relationship()
    student: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("course_id", "student_id", name="uq_enrolments_course_student"),
        sa.UniqueConstraint("course_id", "waitlist_number", name="uq_enrolments_course_queue"),
        sa.Index("ix_enrolments_student_status", "student_id", "status"),
        # Places and queues per course: the dashboard's figures, waiting lists, registers.
        sa.Index("ix_enrolments_course_status", "course_id", "status"),
        sa.Index("ix_enrolments_status_offer", "status", "offer_expires_at"),
    )

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_HOLDING

    @property
    def is_enrolled(self) -> bool:
        return self.status == EnrolmentStatus.ENROLLED

    @property
    def is_waitlisted(self) -> bool:
        return self.status == EnrolmentStatus.WAITLISTED

    @property
    def is_offered(self) -> bool:
        """A freed place is held for them until they answer or the offer runs out."""
        return self.status == EnrolmentStatus.OFFERED


class AttendanceStatus(LabelledEnum):
    PRESENT = "present", _l("Present")
    APOLOGIES = "apologies", _l("Sent apologies")
    ABSENT = "absent", _l("Absent")


class Attendance(Base):
    """A mark on a session's register; never a reason to remove anyone."""

    __tablename__ = "attendances"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("course_sessions.id", ondelete="CASCADE"))
    # None after the retention period, like ``Enrolment.student_id``: the mark still counts.
    student_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[AttendanceStatus] = mapped_column(enum_type(AttendanceStatus, 16))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    missed_note_sent: Mapped[bool] = mapped_column(default=False)

    session: Mapped[CourseSession] = relationship()
    student: Mapped[User | None] = relationship(foreign_keys=[student_id])

    __table_args__ = (
        sa.UniqueConstraint("session_id", "student_id", name="uq_attendances_session_student"),
        sa.Index("ix_attendances_student_id", "student_id"),
    )


class Feedback(Base):
    """Anonymous ratings of a course: no student, no timestamp, nothing to trace back."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    hope: Mapped[int]
    knowledge: Mapped[int]
    everyday_tools: Mapped[int]
    connectedness: Mapped[int]
    comment: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint(
            "hope BETWEEN 0 AND 10 AND knowledge BETWEEN 0 AND 10 "
            "AND everyday_tools BETWEEN 0 AND 10 AND connectedness BETWEEN 0 AND 10",
            name="scores_in_range",
        ),
    )


FEEDBACK_AREAS = ("hope", "knowledge", "everyday_tools", "connectedness")


class CompanionRelation(LabelledEnum):
    """Who the companion is to the student; no more than that is asked."""

    RELATIVE = "relative", _l("A relative")
    FRIEND = "friend", _l("A friend")
    SUPPORTER = "supporter", _l("A professional supporter")


class CompanionStatus(LabelledEnum):
    # The pair waits together, as the student's one entry on the waiting list.
    WAITING = "waiting", _l("Waiting with you")
    # A place is held for the companion until they answer or the hold runs out.
    INVITED = "invited", _l("Asked to confirm")
    CONFIRMED = "confirmed", _l("Confirmed")
    DECLINED = "declined", _l("Cannot come")
    EXPIRED = "expired", _l("Did not answer in time")
    # The student left before the companion answered, so the invitation was withdrawn.
    CANCELLED = "cancelled", _l("Invitation withdrawn")


class Companion(Base):
    """A student's companion on a course: two places "both or none".

    The student's enrolment is the pair's one entry on the waiting list. Until the companion
    confirms (and so has an account and an enrolment of their own), the place held for them
    counts in ``Course.seats_taken`` through this row (status ``invited``). The URL of the
    invitation carries a random token; only its hash is stored.
    """

    __tablename__ = "companions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    student_enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolments.id", ondelete="CASCADE"), unique=True
    )
    companion_enrolment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enrolments.id", ondelete="SET NULL"), unique=True
    )
    # What the student typed, kept only until the companion confirms with an account.
    name: Mapped[str | None] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    relation: Mapped[CompanionRelation] = mapped_column(enum_type(CompanionRelation, 16))
    status: Mapped[CompanionStatus] = mapped_column(enum_type(CompanionStatus, 16))
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the companion cannot come: the student is asked whether to keep their place.
    student_asked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    course: Mapped[Course] = relationship()
    student_enrolment: Mapped[Enrolment] = relationship(foreign_keys=[student_enrolment_id])
    companion_enrolment: Mapped[Enrolment | None] = relationship(
        foreign_keys=[companion_enrolment_id]
    )

    __table_args__ = (
        sa.CheckConstraint(
            "companion_enrolment_id IS NULL OR companion_enrolment_id <> student_enrolment_id",
            name="two_people",
        ),
        sa.Index("ix_companions_status_hold", "status", "hold_expires_at"),
        sa.Index("ix_companions_course_status", "course_id", "status"),
    )

    @property
    def holds_seat(self) -> bool:
        return self.status == CompanionStatus.INVITED

    @property
    def is_invited(self) -> bool:
        return self.status == CompanionStatus.INVITED

    @property
    def is_waiting(self) -> bool:
        return self.status == CompanionStatus.WAITING

    @property
    def is_confirmed(self) -> bool:
        return self.status == CompanionStatus.CONFIRMED

    @property
    def is_declined(self) -> bool:
        return self.status == CompanionStatus.DECLINED
