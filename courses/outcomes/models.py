"""Outcome areas the college sets, and anonymous self-ratings before and after a course.

An answer carries its course, its questionnaire version and whether it came before or
after; never a person. The two answers of one student share a random ``pair`` value; the
link from the student to that value lives on their ``OutcomePairing`` only until the second
answer arrives or the window closes, and is then removed.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from college.db import Base, UTCDateTime, now_utc
from college.labels import LabelledEnum


class Moment(LabelledEnum):
    BEFORE = "before", _l("Before the course")
    AFTER = "after", _l("After the course")


class Questionnaire(Base):
    """One version of the college's outcome areas; a changed area makes a new version."""

    __tablename__ = "outcome_questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    areas: Mapped[list[OutcomeArea]] = relationship(
        order_by="OutcomeArea.position", back_populates="questionnaire"
    )

    def __repr__(self) -> str:
        return f"<Questionnaire v{self.version}>"


class OutcomeArea(Base):
    """A statement rated from 0 to 10, in Danish and English, with the words at each end."""

    __tablename__ = "outcome_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outcome_questionnaires.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    statement_en: Mapped[str] = mapped_column(sa.String(200))
    statement_da: Mapped[str] = mapped_column(sa.String(200))
    low_en: Mapped[str] = mapped_column(sa.String(80))
    low_da: Mapped[str] = mapped_column(sa.String(80))
    high_en: Mapped[str] = mapped_column(sa.String(80))
    high_da: Mapped[str] = mapped_column(sa.String(80))

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="areas")

    __table_args__ = (
        sa.UniqueConstraint("questionnaire_id", "position", name="uq_outcome_areas_position"),
    )

    def _in_reader_language(self, english: str, danish: str) -> str:
        locale = get_locale()
        return danish if locale is not None and locale.language == "da" else english

    @property
    def statement(self) -> str:
        return self._in_reader_language(self.statement_en, self.statement_da)

    @property
    def low(self) -> str:
        return self._in_reader_language(self.low_en, self.low_da)

    @property
    def high(self) -> str:
        return self._in_reader_language(self.high_en, self.high_da)


class TermQuestionnaire(Base):
    """The version a term uses: fixed at its first answer, so a term never mixes versions."""

    __tablename__ = "outcome_term_questionnaires"

    term_id: Mapped[int] = mapped_column(
        sa.ForeignKey("terms.id", ondelete="CASCADE"), primary_key=True
    )
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("outcome_questionnaires.id"))


class OutcomeAnswer(Base):
    """One anonymous set of ratings: no person, no time, only course, version and moment."""

    __tablename__ = "outcome_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("outcome_questionnaires.id"))
    moment: Mapped[str] = mapped_column(sa.String(8))
    # Shared by the before and after answers of one student; random, names no one.
    pair: Mapped[str | None] = mapped_column(sa.String(32))

    scores: Mapped[list[OutcomeScore]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("moment IN ('before', 'after')", name="moment_known"),
        sa.UniqueConstraint("pair", "moment", name="uq_outcome_answers_pair_moment"),
        sa.Index("ix_outcome_answers_course_moment", "course_id", "moment"),
    )


class OutcomeScore(Base):
    """One area's rating within an answer."""

    __tablename__ = "outcome_scores"

    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outcome_answers.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("outcome_areas.id"), primary_key=True)
    score: Mapped[int]

    __table_args__ = (sa.CheckConstraint("score BETWEEN 0 AND 10", name="score_in_range"),)


class Step(LabelledEnum):
    """Where a student is with one of the two ratings; the labels are their data export's."""

    ANSWERED = "answered", _l("Answered (anonymously)")
    SKIPPED = "skipped", _l("Skipped")


class OutcomePairing(Base):
    """Where a student is with the two ratings of one course, and, for a while, the link.

    ``pair`` is the only thing that ties the student to their anonymous answers. It is set
    with the first answer and removed with the second, or when the window closes.
    """

    __tablename__ = "outcome_pairings"

    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True
    )
    before: Mapped[str | None] = mapped_column(sa.String(8))
    after: Mapped[str | None] = mapped_column(sa.String(8))
    pair: Mapped[str | None] = mapped_column(sa.String(32))
