"""Terms, venues, partners, course descriptions and qualifications recorded by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from college.errors import DomainError, Forbidden
from college.extensions import db
from college.models import AuditEvent, Programme, Qualification
from courses import services
from courses.models import (
    Audience,
    Course,
    CourseFormat,
    PartnerKind,
    Topic,
    fold_for_search,
)
from tests import factories


def term_details(**changes) -> services.TermDetails:
    values = {"name": "Autumn 2030", "starts_on": date(2030, 9, 1), "ends_on": date(2030, 12, 20)}
    return services.TermDetails(**(values | changes))


def course_details(term, **changes) -> services.CourseDetails:
    values = {
        "title": "Angst og depression – at forstå",
        "summary": "Om ÆNGSTELSE og mod",
        "description": "Vi taler om økonomi, søvn og pårørende.",
        "topic": Topic.MENTAL_HEALTH,
        "audience": Audience.EVERYONE,
        "format": CourseFormat.IN_PERSON,
        "capacity": 16,
        "required_programme": Programme.FIVE_DAY,
        "term": term,
    }
    return services.CourseDetails(**(values | changes))


def test_term_is_created_and_audited(admin):
    term = services.create_term(admin, term_details())
    assert term.id and term.name == "Autumn 2030"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "term.created"))
    assert (event.actor_id, event.target_type, event.target_id) == (admin.id, "Term", term.id)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"name": "  "}, DomainError),
        ({"ends_on": date(2030, 8, 1)}, services.DatesOutOfOrder),
        (
            {
                "enrolment_opens_at": datetime(2030, 8, 1, tzinfo=UTC),
                "enrolment_closes_at": datetime(2030, 7, 1, tzinfo=UTC),
            },
            services.DatesOutOfOrder,
        ),
    ],
)
def test_bad_terms_are_refused(admin, changes, error):
    with pytest.raises(error):
        services.create_term(admin, term_details(**changes))


def test_term_names_are_unique(admin):
    services.create_term(admin, term_details())
    with pytest.raises(services.NameTaken):
        services.create_term(admin, term_details())


def test_venue_needs_an_address_unless_online(admin):
    with pytest.raises(services.InvalidVenue):
        services.create_venue(admin, services.VenueDetails(name="Hall"))
    online = services.create_venue(
        admin,
        services.VenueDetails(name="Online", is_online=True, meeting_link="https://meet.example/x"),
    )
    assert online.is_online and online.address is None


def test_meeting_link_must_be_a_web_address(admin):
    with pytest.raises(services.InvalidLink):
        services.create_venue(
            admin,
            services.VenueDetails(name="Online", is_online=True, meeting_link="javascript:x"),
        )


def test_partner_is_created_and_renamed(admin):
    partner = services.create_partner(admin, "Region Midtjylland", PartnerKind.REGION)
    services.update_partner(admin, partner, "Aarhus Kommune", PartnerKind.MUNICIPALITY)
    assert (partner.name, partner.kind) == ("Aarhus Kommune", "municipality")
    with pytest.raises(services.NameTaken):
        services.create_partner(admin, "Aarhus Kommune", PartnerKind.REGION)


def test_course_gets_a_readable_unique_address(admin):
    term = factories.make_term()
    first = services.create_course(admin, course_details(term))
    second = services.create_course(admin, course_details(term))
    assert first.slug == "angst-og-depression-at-forstaa"
    assert second.slug == "angst-og-depression-at-forstaa-2"
    assert first.status == "draft"


def test_course_address_can_be_chosen_but_must_be_valid_and_free(admin):
    term = factories.make_term()
    course = services.create_course(admin, course_details(term, slug="min-kurs"))
    assert course.slug == "min-kurs"
    with pytest.raises(services.SlugTaken):
        services.create_course(admin, course_details(term, slug="min-kurs"))
    with pytest.raises(services.InvalidSlug):
        services.create_course(admin, course_details(term, slug="Not valid!"))


def test_search_text_is_folded_for_danish_letters(admin):
    course = services.create_course(admin, course_details(factories.make_term()))
    assert "ængstelse" in course.search_text
    assert "økonomi" in course.search_text
    course.title = "ÅBEN SAMTALE"
    assert "åben samtale" in course.search_text
    assert fold_for_search("ØKONOMI") == "økonomi"


def test_capacity_cannot_drop_below_places_taken(admin):
    course = factories.make_course(capacity=10, seats_taken=8)
    with pytest.raises(services.CapacityBelowTaken):
        services.update_course(admin, course, course_details(course.term, capacity=5))
    with pytest.raises(services.InvalidCapacity):
        services.update_course(admin, course, course_details(course.term, capacity=0))
    assert course.capacity == 10


def test_the_database_keeps_places_within_capacity(admin):
    course = factories.make_course(capacity=2)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.update(Course).where(Course.id == course.id).values(seats_taken=3))
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.update(Course).where(Course.id == course.id).values(seats_taken=-1))


def test_places_left():
    course = factories.make_course(capacity=5, seats_taken=3)
    assert course.places_left == 2


def test_only_admins_change_the_catalogue(peer):
    with pytest.raises(Forbidden):
        services.create_term(peer, term_details())


def test_qualification_is_recorded_and_updated_by_hand(admin):
    peer = factories.make_peer(programmes=())
    services.record_qualification(admin, peer, Programme.FIVE_WEEK, date(2026, 1, 10))
    again = services.record_qualification(
        admin, peer, Programme.FIVE_WEEK, date(2026, 2, 1), date(2029, 2, 1)
    )
    rows = db.session.scalars(sa.select(Qualification).where(Qualification.user_id == peer.id))
    assert list(rows) == [again]
    assert again.expires_on == date(2029, 2, 1)
    assert again.recorded_by_id == admin.id
    with pytest.raises(services.QualificationDatesOutOfOrder):
        services.record_qualification(
            admin, peer, Programme.FIVE_DAY, date(2026, 2, 1), date(2026, 1, 1)
        )
    with pytest.raises(services.WrongRole):
        services.record_qualification(
            admin, factories.make_student(), Programme.FIVE_DAY, date(2026, 2, 1)
        )
    services.remove_qualification(admin, again)
    assert db.session.get(Qualification, again.id) is None
