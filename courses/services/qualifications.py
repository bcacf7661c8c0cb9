"""Qualifications recorded by hand by administrators."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from college.extensions import db
from college.models import Programme, Qualification, Role, User
from college.services import record_audit, require_admin
from courses.models import FacilitatorRole
from courses.services.common import role_word
from courses.services.errors import QualificationDatesOutOfOrder, WrongRole


def record_qualification(
    actor: User,
    person: User,
    programme: Programme,
    granted_on: date,
    expires_on: date | None = None,
) -> Qualification:
    """Record a completed programme (until the peers package grants them from training)."""
    require_admin(actor)
    if not person.has_role(Role.PEER):
        raise WrongRole(name=person.display_name, role=role_word(FacilitatorRole.PEER))
    if expires_on is not None and expires_on < granted_on:
        raise QualificationDatesOutOfOrder()
    qualification = db.session.scalar(
        sa.select(Qualification).where(
            Qualification.user_id == person.id, Qualification.programme == str(programme)
        )
    )
    if qualification is None:
        qualification = Qualification(user=person, programme=str(programme))
        db.session.add(qualification)
    qualification.granted_on = granted_on
    qualification.expires_on = expires_on
    qualification.recorded_by_id = actor.id
    db.session.flush()
    record_audit(actor, "qualification.recorded", person, str(programme))
    return qualification


def remove_qualification(actor: User, qualification: Qualification) -> None:
    require_admin(actor)
    record_audit(actor, "qualification.removed", qualification.user, qualification.programme)
    db.session.delete(qualification)
    db.session.flush()
