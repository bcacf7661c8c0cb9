"""Terms, venues and partners."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from college.extensions import db
from college.models import User
from college.services import record_audit, require_admin
from courses.models import (
    Course,
    CourseSession,
    Partner,
    PartnerKind,
    SessionStatus,
    Term,
    Venue,
)
from courses.services.common import clean, ensure_order, ensure_unique, require_text
from courses.services.errors import DatesOutOfOrder, InvalidLink, InvalidVenue, OutsideTerm
from courses.times import local_date


@dataclass
class TermDetails:
    name: str
    starts_on: date
    ends_on: date
    enrolment_opens_at: datetime | None = None
    enrolment_closes_at: datetime | None = None


# --- a term holds its courses' sessions ----------------------------------------------------------
#
# Retention counts from the end of a course's term, so a session after it would be forgotten
# from the wrong end. Cancelled sessions are left out: they teach nobody and keep no register.


def sessions_outside(starts_on: date, ends_on: date, moments: list[datetime]) -> list[datetime]:
    """The moments whose local day falls outside ``starts_on`` to ``ends_on``."""
    return sorted(m for m in moments if not starts_on <= local_date(m) <= ends_on)


def ensure_within_term(name: str, starts_on: date, ends_on: date, moments: list[datetime]) -> None:
    """Refuse sessions (their start moments) that would fall outside the term's days."""
    outside = sessions_outside(starts_on, ends_on, moments)
    if outside:
        raise OutsideTerm(
            term=name,
            starts=format_date(starts_on, "medium"),
            ends=format_date(ends_on, "medium"),
            days=", ".join(format_date(local_date(m), "medium") for m in outside[:5]),
        )


def ensure_sessions_in_term(term: Term, moments: list[datetime]) -> None:
    ensure_within_term(term.name, term.starts_on, term.ends_on, moments)


def term_session_starts(term: Term) -> list[datetime]:
    """When each session (not cancelled) of the term's courses starts."""
    if term.id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(CourseSession.starts_at)
            .join(Course, Course.id == CourseSession.course_id)
            .where(Course.term_id == term.id, CourseSession.status != SessionStatus.CANCELLED)
        )
    )


def overlapping_terms(term: Term) -> list[Term]:
    """Other terms that share at least one day with ``term``, earliest first."""
    return list(
        db.session.scalars(
            sa.select(Term)
            .where(
                Term.id != term.id,
                Term.starts_on <= term.ends_on,
                Term.ends_on >= term.starts_on,
            )
            .order_by(Term.starts_on, Term.id)
        )
    )


def term_overlaps() -> dict[int, list[Term]]:
    """For every term, the others it overlaps (two terms at once confuse every report)."""
    terms = list(db.session.scalars(sa.select(Term).order_by(Term.starts_on, Term.id)))
    found: dict[int, list[Term]] = {term.id: [] for term in terms}
    for index, term in enumerate(terms):
        for later in terms[index + 1 :]:
            if later.starts_on > term.ends_on:
                break
            found[term.id].append(later)
            found[later.id].append(term)
    return found


def _apply_term(term: Term, details: TermDetails) -> None:
    name = require_text(details.name, _l("Please give the term a name."))
    if details.ends_on < details.starts_on:
        raise DatesOutOfOrder(_l("The term must end on or after the day it starts."))
    ensure_order(details.enrolment_opens_at, details.enrolment_closes_at)
    ensure_unique(Term, Term.name, name, term.id)
    ensure_within_term(name, details.starts_on, details.ends_on, term_session_starts(term))
    term.name = name
    term.starts_on = details.starts_on
    term.ends_on = details.ends_on
    term.enrolment_opens_at = details.enrolment_opens_at
    term.enrolment_closes_at = details.enrolment_closes_at


def create_term(actor: User, details: TermDetails) -> Term:
    require_admin(actor)
    term = Term()
    _apply_term(term, details)
    db.session.add(term)
    db.session.flush()
    record_audit(actor, "term.created", term, term.name)
    return term


def update_term(actor: User, term: Term, details: TermDetails) -> Term:
    require_admin(actor)
    _apply_term(term, details)
    db.session.flush()
    record_audit(actor, "term.updated", term, term.name)
    return term


# --- venues and partners ---------------------------------------------------------------------


@dataclass
class VenueDetails:
    name: str
    address: str | None = None
    accessibility_notes: str | None = None
    is_online: bool = False
    meeting_link: str | None = None


def _apply_venue(venue: Venue, details: VenueDetails) -> None:
    name = require_text(details.name, _l("Please give the venue a name."))
    address = clean(details.address) or None
    link = clean(details.meeting_link) or None
    if not details.is_online and address is None:
        raise InvalidVenue()
    if link is not None and not re.match(r"^https?://\S+$", link):
        raise InvalidLink()
    ensure_unique(Venue, Venue.name, name, venue.id)
    venue.name = name
    venue.address = address
    venue.accessibility_notes = clean(details.accessibility_notes) or None
    venue.is_online = details.is_online
    venue.meeting_link = link


def create_venue(actor: User, details: VenueDetails) -> Venue:
    require_admin(actor)
    venue = Venue()
    _apply_venue(venue, details)
    db.session.add(venue)
    db.session.flush()
    record_audit(actor, "venue.created", venue, venue.name)
    return venue


def update_venue(actor: User, venue: Venue, details: VenueDetails) -> Venue:
    require_admin(actor)
    _apply_venue(venue, details)
    db.session.flush()
    record_audit(actor, "venue.updated", venue, venue.name)
    return venue


def create_partner(actor: User, name: str, kind: PartnerKind) -> Partner:
    require_admin(actor)
    partner = Partner()
    _apply_partner(partner, name, kind)
    db.session.add(partner)
    db.session.flush()
    record_audit(actor, "partner.created", partner, partner.name)
    return partner


def update_partner(actor: User, partner: Partner, name: str, kind: PartnerKind) -> Partner:
    require_admin(actor)
    _apply_partner(partner, name, kind)
    db.session.flush()
    record_audit(actor, "partner.updated", partner, partner.name)
    return partner


def _apply_partner(partner: Partner, name: str, kind: PartnerKind) -> None:
    clean_name = require_text(name, _l("Please give the partner a name."))
    ensure_unique(Partner, Partner.name, clean_name, partner.id)
    partner.name = clean_name
    partner.kind = PartnerKind(kind)
