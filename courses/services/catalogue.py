"""Terms, venues and partners."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from college.extensions import db
from college.models import User
from college.services import record_audit, require_admin
from courses.models import Partner, PartnerKind, Term, Venue
from courses.services.common import clean, ensure_order, ensure_unique, require_text
from courses.services.errors import DatesOutOfOrder, InvalidLink, InvalidVenue


@dataclass
class TermDetails:
    name: str
    starts_on: date
    ends_on: date
    enrolment_opens_at: datetime | None = None
    enrolment_closes_at: datetime | None = None


def _apply_term(term: Term, details: TermDetails) -> None:
    name = require_text(details.name, _l("Please give the term a name."))
    if details.ends_on < details.starts_on:
        raise DatesOutOfOrder(_l("The term must end on or after the day it starts."))
    ensure_order(details.enrolment_opens_at, details.enrolment_closes_at)
    ensure_unique(Term, Term.name, name, term.id)
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
    partner.kind = str(PartnerKind(kind))
