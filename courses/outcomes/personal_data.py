"""What the ratings keep about a person: only whether they answered or skipped.

The answers themselves name no one, so they are neither exported nor erased. The pairing
value is never exported (it would tie the person to their answers); erasure removes it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from college.extensions import db
from college.models import User
from college.privacy import ValueName
from courses.enrolment.models import Enrolment
from courses.models import Course
from courses.outcomes.models import OutcomePairing, Step
from courses.outcomes.services import forget_pairings_of

LABELS: dict[str, Any] = {
    "outcomes": _l("Ratings before and after a course"),
    "ratings": _l("Ratings"),
    "before": _l("Before the course"),
    "after": _l("After the course"),
}
VALUES: dict[str, ValueName] = {
    "ratings.before": Step.label_of,
    "ratings.after": Step.label_of,
}


def export_steps(user: User) -> dict[str, Any]:
    """Per course, whether the person answered or skipped each rating; never the answers."""
    rows = db.session.execute(
        sa.select(Course.title, OutcomePairing.before, OutcomePairing.after)
        .join(Enrolment, OutcomePairing.enrolment_id == Enrolment.id)
        .join(Course, Enrolment.course_id == Course.id)
        .where(Enrolment.student_id == user.id)
        .order_by(Enrolment.id)
    ).all()
    return {
        "ratings": [
            {"course": title, "before": before, "after": after} for title, before, after in rows
        ]
    }


def erase_pairings(user: User) -> None:
    """Remove every link between the person and their anonymous answers."""
    forget_pairings_of(sa.select(Enrolment.id).where(Enrolment.student_id == user.id))
