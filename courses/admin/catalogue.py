"""Admin pages for terms, venues, partners and qualifications recorded by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from college.extensions import db
from college.models import Programme, Qualification, Role, User
from courses import services
from courses.admin.common import ID, bp, people_with, save, show
from courses.forms import (
    PartnerForm,
    QualificationForm,
    StatusForm,
    TermForm,
    VenueForm,
    local_parts,
    set_id_choices,
)
from courses.models import Partner, PartnerKind, Term, Venue
from courses.times import to_utc

# --- terms -----------------------------------------------------------------------------------


@bp.get("/terms")
def terms() -> str:
    """List the terms by date, newest first, each with the terms it overlaps."""
    rows = db.session.scalars(sa.select(Term).order_by(Term.starts_on.desc(), Term.id.desc()))
    return render_template(
        "admin/courses/terms.html", terms=list(rows), overlaps=services.term_overlaps()
    )


def after_term_saved(term: Term) -> str:
    """Warn when the saved term shares days with another (allowed, but rarely meant)."""
    others = services.overlapping_terms(term)
    if others:
        flash(
            _(
                "Note: %(term)s overlaps with %(others)s. Courses and reports may be counted "
                "in either term; check the dates if that was not meant.",
                term=term.name,
                others=", ".join(other.name for other in others),
            ),
            "error",
        )
    return url_for("courses_admin.terms")


def term_details(form: TermForm) -> services.TermDetails:
    opens, closes = form.enrolment_opens_at.data, form.enrolment_closes_at.data
    return services.TermDetails(
        name=form.name.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        enrolment_opens_at=to_utc(opens.date(), opens.time()) if opens else None,
        enrolment_closes_at=to_utc(closes.date(), closes.time()) if closes else None,
    )


@bp.route("/terms/new", methods=["GET", "POST"])
def term_new() -> Any:
    """Create a term."""
    form = TermForm()
    done = save(
        form,
        lambda: services.create_term(current_user, term_details(form)),
        _("The term is saved."),
        after_term_saved,
    )
    return done or show("admin/courses/form.html", form, title=_("New term"))


@bp.route(f"/terms/<{ID}:term_id>/edit", methods=["GET", "POST"])
def term_edit(term_id: int) -> Any:
    """Change a term's dates."""
    term = db.get_or_404(Term, term_id)
    form = TermForm(obj=term)
    if not form.is_submitted():
        form.enrolment_opens_at.data = _local_naive(term.enrolment_opens_at)
        form.enrolment_closes_at.data = _local_naive(term.enrolment_closes_at)
    done = save(
        form,
        lambda: services.update_term(current_user, term, term_details(form)),
        _("The term is saved."),
        after_term_saved,
    )
    return done or show("admin/courses/form.html", form, title=_("Edit term"))


def _local_naive(moment: Any) -> Any:
    day, clock = local_parts(moment)
    if day is None or clock is None:
        return None
    return datetime.combine(day, clock)


# --- venues and partners ---------------------------------------------------------------------


@bp.get("/venues")
def venues() -> str:
    """List the venues."""
    rows = db.session.scalars(sa.select(Venue).order_by(Venue.name))
    return render_template("admin/courses/venues.html", venues=list(rows))


def venue_details(form: VenueForm) -> services.VenueDetails:
    return services.VenueDetails(
        name=form.name.data,
        address=form.address.data,
        accessibility_notes=form.accessibility_notes.data,
        is_online=form.is_online.data,
        meeting_link=form.meeting_link.data,
    )


@bp.route("/venues/new", methods=["GET", "POST"])
def venue_new() -> Any:
    """Create a venue."""
    form = VenueForm()
    done = save(
        form,
        lambda: services.create_venue(current_user, venue_details(form)),
        _("The venue is saved."),
        lambda _venue: url_for("courses_admin.venues"),
    )
    return done or show("admin/courses/form.html", form, title=_("New venue"))


@bp.route(f"/venues/<{ID}:venue_id>/edit", methods=["GET", "POST"])
def venue_edit(venue_id: int) -> Any:
    """Change a venue."""
    venue = db.get_or_404(Venue, venue_id)
    form = VenueForm(obj=venue)
    done = save(
        form,
        lambda: services.update_venue(current_user, venue, venue_details(form)),
        _("The venue is saved."),
        lambda _venue: url_for("courses_admin.venues"),
    )
    return done or show("admin/courses/form.html", form, title=_("Edit venue"))


@bp.get("/partners")
def partners() -> str:
    """List the co-producing partners."""
    rows = db.session.scalars(sa.select(Partner).order_by(Partner.name))
    return render_template("admin/courses/partners.html", partners=list(rows))


@bp.route("/partners/new", methods=["GET", "POST"])
def partner_new() -> Any:
    """Add a partner."""
    form = PartnerForm()
    done = save(
        form,
        lambda: services.create_partner(current_user, form.name.data, PartnerKind(form.kind.data)),
        _("The partner is saved."),
        lambda _partner: url_for("courses_admin.partners"),
    )
    return done or show("admin/courses/form.html", form, title=_("New partner"))


@bp.route(f"/partners/<{ID}:partner_id>/edit", methods=["GET", "POST"])
def partner_edit(partner_id: int) -> Any:
    """Change a partner."""
    partner = db.get_or_404(Partner, partner_id)
    form = PartnerForm(obj=partner)
    done = save(
        form,
        lambda: services.update_partner(
            current_user, partner, form.name.data, PartnerKind(form.kind.data)
        ),
        _("The partner is saved."),
        lambda _partner: url_for("courses_admin.partners"),
    )
    return done or show("admin/courses/form.html", form, title=_("Edit partner"))


# --- qualifications --------------------------------------------------------------------------


@bp.route("/qualifications", methods=["GET", "POST"])
def qualifications() -> Any:
    """List peers' qualifications and record one by hand."""
    form = QualificationForm()
    set_id_choices(form.person, people_with(Role.PEER), empty=_("Choose a peer worker"))
    done = save(
        form,
        lambda: services.record_qualification(
            current_user,
            db.session.get_one(User, form.person.data),
            Programme(form.programme.data),
            form.granted_on.data,
            form.expires_on.data,
        ),
        _("The qualification is recorded."),
        lambda _q: url_for("courses_admin.qualifications"),
    )
    rows = db.session.scalars(
        sa.select(Qualification)
        .join(User, Qualification.user_id == User.id)
        .options(joinedload(Qualification.user))
        .order_by(User.display_name, Qualification.programme)
    )
    return done or show(
        "admin/courses/qualifications.html", form, qualifications=list(rows), delete=StatusForm()
    )


@bp.post(f"/qualifications/<{ID}:qualification_id>/delete")
def qualification_delete(qualification_id: int) -> Any:
    """Remove a qualification recorded by mistake."""
    qualification = db.get_or_404(Qualification, qualification_id)
    if not StatusForm().validate_on_submit():
        abort(400)
    services.remove_qualification(current_user, qualification)
    flash(_("The qualification is removed."), "success")
    return redirect(url_for("courses_admin.qualifications"))
