"""A drop-in session's head count and the "hear about courses" sheet: no names, no accounts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from college.db import Base, UTCDateTime, now_utc
from courses.models import CourseSession


class HeadCount(Base):
    """How many came to one drop-in session, as the teachers counted them.

    The visits are what people said themselves (their first, second or third time); those
    who did not say, or came more often, are the rest of ``came``.
    """

    __tablename__ = "head_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_sessions.id", ondelete="CASCADE"), unique=True
    )
    came: Mapped[int]
    first_visits: Mapped[int] = mapped_column(default=0)
    second_visits: Mapped[int] = mapped_column(default=0)
    third_visits: Mapped[int] = mapped_column(default=0)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    session: Mapped[CourseSession] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "came >= 0 AND first_visits >= 0 AND second_visits >= 0 AND third_visits >= 0",
            name="counts_not_negative",
        ),
        sa.CheckConstraint(
            "first_visits + second_visits + third_visits <= came", name="visits_within_came"
        ),
    )

    @property
    def not_said(self) -> int:
        """People who did not say which visit it was, or came more often."""
        return self.came - self.first_visits - self.second_visits - self.third_visits

    def __repr__(self) -> str:
        return f"<HeadCount {self.id}>"


class CourseInterest(Base):
    """Someone at a drop-in who asked to hear about courses: only what they wrote, with consent.

    Kept for ``INTEREST_KEPT_DAYS`` (see ``courses.dropin.services.forget_old_interest``).
    """

    __tablename__ = "course_interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course_sessions.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str | None] = mapped_column(sa.String(120))
    contact: Mapped[str] = mapped_column(sa.String(254))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)

    session: Mapped[CourseSession | None] = relationship()

    def __repr__(self) -> str:
        return f"<CourseInterest {self.id}>"
