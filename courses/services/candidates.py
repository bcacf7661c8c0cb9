"""Who would suit a course's or a session's pair: the hints the office chooses people by.

Every person who may facilitate is offered, the best first; nobody is hidden. A hint says
whether they hold the course's qualification on the session dates, whether they already
teach at one of those times and how many sessions they have this term. Other packages
add what only they know (a peer resting or away) by answering the signal
``availability_requested`` (``college.signals``) with ``{user_id: [CandidateNote, ...]}``
for the ``user_ids`` and ``slots`` it is sent with (the sessions' ``(starts_at, ends_at)``
in UTC).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from college import signals
from college.db import now_utc
from college.extensions import db
from college.models import User, UserRole
from courses.models import (
    Course,
    CourseSession,
    FacilitatorRole,
    SessionFacilitator,
    SessionStatus,
)
from courses.services.common import LIVE_STATUSES, programme_word
from courses.services.staffing import ROLE_NEEDED, valid_qualifications
from courses.times import day_list, local_date

Slot = tuple[datetime, datetime]


@dataclass(frozen=True)
class CandidateNote:
    """One thing to know about a person for these sessions; ``blocking`` ranks them lower."""

    text: str
    blocking: bool = True


@dataclass
class Candidate:
    """A person who may facilitate, with what the office should know before choosing them."""

    user_id: int
    name: str
    email: str
    # ``None`` when the role needs no qualification (professional trainers).
    unqualified_days: list[date] | None = None
    clash_days: list[date] = field(default_factory=list)
    notes: list[CandidateNote] = field(default_factory=list)
    sessions_this_term: int = 0

    @property
    def qualified(self) -> bool:
        return not self.unqualified_days

    @property
    def available(self) -> bool:
        return not any(note.blocking for note in self.notes)

    @property
    def marked(self) -> bool:
        """Unqualified, double-booked or away: shown, but flagged and after the others."""
        return not self.qualified or bool(self.clash_days) or not self.available

    def rank(self) -> tuple[bool, bool, bool, int, str, int]:
        return (
            not self.qualified,
            bool(self.clash_days),
            not self.available,
            self.sessions_this_term,
            self.name.casefold(),
            self.user_id,
        )


def _people(role: FacilitatorRole) -> list[tuple[int, str, str]]:
    rows = db.session.execute(
        sa.select(User.id, User.display_name, User.email)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role == str(ROLE_NEEDED[role]),
            User.active.is_(True),
            User.anonymised_at.is_(None),
        )
    )
    return [(row.id, row.display_name, row.email) for row in rows]


def _clash_days(
    user_ids: list[int], slots: list[Slot], exclude: sa.ColumnElement[bool]
) -> dict[int, list[date]]:
    """For each person, the days of these slots when they already teach something else."""
    found: dict[int, set[date]] = defaultdict(set)
    if not slots or not user_ids:
        return {}
    earliest = min(start for start, _end in slots)
    latest = max(end for _start, end in slots)
    rows = db.session.execute(
        sa.select(SessionFacilitator.user_id, CourseSession.starts_at, CourseSession.ends_at)
        .join(CourseSession, SessionFacilitator.session_id == CourseSession.id)
        .join(Course, CourseSession.course_id == Course.id)
        .where(
            SessionFacilitator.user_id.in_(user_ids),
            CourseSession.status == SessionStatus.SCHEDULED,
            Course.status.in_(LIVE_STATUSES),
            CourseSession.starts_at < latest,
            CourseSession.ends_at > earliest,
            exclude,
        )
    )
    for user_id, other_start, other_end in rows:
        for start, end in slots:
            if other_start < end and other_end > start:
                found[user_id].add(local_date(start))
    return {user_id: sorted(days) for user_id, days in found.items()}


def _sessions_this_term(user_ids: list[int], term_id: int) -> dict[int, int]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(SessionFacilitator.user_id, sa.func.count())
        .join(CourseSession, SessionFacilitator.session_id == CourseSession.id)
        .join(Course, CourseSession.course_id == Course.id)
        .where(
            SessionFacilitator.user_id.in_(user_ids),
            Course.term_id == term_id,
            Course.status.in_(LIVE_STATUSES),
            CourseSession.status == SessionStatus.SCHEDULED,
        )
        .group_by(SessionFacilitator.user_id)
    )
    return {user_id: count for user_id, count in rows}


def _unqualified_days(
    user_ids: list[int], programme: str, days: list[date]
) -> dict[int, list[date]]:
    qualifications = valid_qualifications(user_ids, programme)
    return {
        user_id: [d for d in days if not any(q.is_valid_on(d) for q in held)]
        for user_id, held in qualifications.items()
    }


def rank_candidates(
    course: Course,
    role: FacilitatorRole,
    sessions: Sequence[CourseSession],
    *,
    whole_course: bool,
) -> list[Candidate]:
    """Everyone who may take ``role`` on these sessions, the best suited first.

    ``whole_course``: the course's own sessions are being given to someone, so teaching
    one of them is no clash; otherwise only the sessions named are.
    """
    people = _people(role)
    ids = [user_id for user_id, _name, _email in people]
    slots = [(s.starts_at, s.ends_at) for s in sessions]
    days = [local_date(start) for start, _end in slots] or [local_date(now_utc())]
    if whole_course:
        exclude = Course.id != course.id
    else:
        exclude = CourseSession.id.not_in([s.id for s in sessions])
    clashes = _clash_days(ids, slots, exclude)
    load = _sessions_this_term(ids, course.term_id)
    unqualified = (
        _unqualified_days(ids, course.required_programme, days)
        if role == FacilitatorRole.PEER
        else {}
    )
    notes: dict[int, list[CandidateNote]] = defaultdict(list)
    answers = signals.availability_requested.send(signals.sender(), user_ids=ids, slots=slots)
    for _receiver, known in answers:
        for user_id, found in known.items():
            notes[user_id].extend(found)
    candidates = [
        Candidate(
            user_id=user_id,
            name=name,
            email=email,
            unqualified_days=unqualified.get(user_id) if role == FacilitatorRole.PEER else None,
            clash_days=clashes.get(user_id, []),
            notes=notes.get(user_id, []),
            sessions_this_term=load.get(user_id, 0),
        )
        for user_id, name, email in people
    ]
    return sorted(candidates, key=Candidate.rank)


def upcoming_sessions(course: Course) -> list[CourseSession]:
    """The sessions a new pair would take over: scheduled and not yet over."""
    now = now_utc()
    return [s for s in course.scheduled_sessions if s.ends_at > now]


def matching(candidates: list[Candidate], query: str, chosen: set[int]) -> list[Candidate]:
    """Candidates whose name or e-mail holds ``query``; the people already chosen stay."""
    needle = query.strip().casefold()
    if not needle:
        return candidates
    return [
        c
        for c in candidates
        if c.user_id in chosen or needle in c.name.casefold() or needle in c.email.casefold()
    ]


@dataclass(frozen=True)
class Hint:
    text: str
    warning: bool = False


def hints_for(candidate: Candidate, programme: str) -> list[Hint]:
    """The candidate's hints in the reader's language, warnings first."""
    hints = []
    if candidate.unqualified_days:
        hints.append(
            Hint(
                _(
                    "Not qualified (%(programme)s) on %(days)s",
                    programme=programme_word(programme),
                    days=day_list(candidate.unqualified_days),
                ),
                warning=True,
            )
        )
    if candidate.clash_days:
        hints.append(
            Hint(
                _("Already teaching at that time on %(days)s", days=day_list(candidate.clash_days)),
                warning=True,
            )
        )
    hints += [Hint(note.text, note.blocking) for note in candidate.notes]
    if candidate.unqualified_days is not None and not candidate.unqualified_days:
        hints.append(Hint(_("Qualified (%(programme)s)", programme=programme_word(programme))))
    hints.append(
        Hint(
            ngettext(
                "%(num)d session this term",
                "%(num)d sessions this term",
                candidate.sessions_this_term,
            )
        )
    )
    return hints
