"""The public prospectus: filters, search, pagination and the course page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from college.extensions import db
from college.signals import extension_points
from courses.models import (
    Audience,
    Course,
    CourseFormat,
    CourseStatus,
    SessionStatus,
    Term,
    Topic,
    Venue,
)
from tests import factories

TUESDAY = factories.FIRST_SESSION


@dataclass
class Catalogue:
    autumn: Term
    spring: Term
    hall: Venue
    library: Venue
    anxiety: Course
    relatives: Course
    economy: Course
    night: Course


def published(term, venue, starts_at, sessions=2, **kwargs) -> Course:
    return factories.make_published_course(
        term=term, venue=venue, first_start=starts_at, sessions=sessions, **kwargs
    )


@pytest.fixture
def catalogue() -> Catalogue:
    autumn = factories.make_term(name="Autumn 2030")
    spring = factories.make_term(
        name="Spring 2031", starts_on=date(2031, 1, 6), ends_on=date(2031, 5, 30)
    )
    hall = factories.make_venue(name="Skolegade hall")
    library = factories.make_venue(name="Library")
    anxiety = published(
        autumn,
        hall,
        TUESDAY,
        title="Angst og depression",
        summary="Forstå angsten",
        topic=Topic.MENTAL_HEALTH,
        slug="angst",
    )
    relatives = published(
        autumn,
        library,
        TUESDAY - timedelta(days=1),
        title="At være pårørende",
        summary="For dig, der står tæt på nogen",
        topic=Topic.RELATIONSHIPS,
        audience=Audience.RELATIVES,
        slug="paaroerende",
    )
    economy = published(
        spring,
        None,
        datetime(2031, 1, 15, 17, 0, tzinfo=UTC),
        title="Hverdagsøkonomi",
        summary="Overblik",
        description="Budget og ØKONOMI uden skam.",
        topic=Topic.PRACTICAL,
        course_format=CourseFormat.ONLINE,
        capacity=10,
        seats_taken=10,
        slug="oekonomi",
    )
    # 00:30 on a Tuesday in Copenhagen is still Monday in UTC.
    night = published(
        spring,
        library,
        datetime(2031, 1, 13, 23, 30, tzinfo=UTC),
        sessions=1,
        title="Night owls",
        summary="Sleep and wakefulness",
        topic=Topic.WELLBEING,
        slug="night-owls",
    )
    hidden_term = factories.make_term(
        name="Spring 2020", starts_on=date(2020, 1, 6), ends_on=date(2020, 5, 30)
    )
    published(hidden_term, hall, datetime(2020, 2, 4, 16, tzinfo=UTC), title="Angst long ago")
    factories.make_course(title="Angst draft", term=autumn, slug="angst-draft")
    factories.make_course(title="Angst cancelled", term=autumn, status=CourseStatus.CANCELLED)
    return Catalogue(autumn, spring, hall, library, anxiety, relatives, economy, night)


def slugs(client: FlaskClient, query: str = "") -> list[str]:
    response = client.get("/api/v1/courses" + query)
    assert response.status_code == 200, response.get_json()
    return [item["slug"] for item in response.get_json()["items"]]


def test_only_published_courses_of_current_and_coming_terms_are_listed(client, catalogue):
    assert slugs(client) == ["paaroerende", "angst", "night-owls", "oekonomi"]
    page = client.get("/courses/").get_data(as_text=True)
    assert "Angst og depression" in page
    assert "Angst draft" not in page
    assert "Angst cancelled" not in page
    assert "Angst long ago" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=angst", ["angst"]),
        ("?q=ANGST", ["angst"]),
        ("?q=pårørende", ["paaroerende"]),
        ("?q=PÅRØRENDE", ["paaroerende"]),
        ("?q=ØKONOMI", ["oekonomi"]),
        ("?q=økonomi", ["oekonomi"]),
        ("?q=står tæt", ["paaroerende"]),
        ("?q=100%25", []),
        ("?q=_", []),
        ("?topic=mental_health", ["angst"]),
        ("?topic=practical", ["oekonomi"]),
        ("?format=online", ["oekonomi"]),
        ("?format=in_person", ["paaroerende", "angst", "night-owls"]),
        ("?audience=relatives", ["paaroerende"]),
        ("?audience=staff", []),
        ("?day=monday", ["paaroerende"]),
        ("?day=tuesday", ["angst", "night-owls"]),
        ("?day=wednesday", ["oekonomi"]),
        ("?day=sunday", []),
        ("?available=1", ["paaroerende", "angst", "night-owls"]),
        ("?available=0", ["paaroerende", "angst", "night-owls", "oekonomi"]),
    ],
)
def test_each_filter(client, catalogue, query, expected):
    assert slugs(client, query) == expected


def test_term_and_venue_filters(client, catalogue):
    assert slugs(client, f"?term={catalogue.autumn.id}") == ["paaroerende", "angst"]
    assert slugs(client, f"?term={catalogue.spring.id}") == ["night-owls", "oekonomi"]
    assert slugs(client, f"?venue={catalogue.hall.id}") == ["angst"]
    assert slugs(client, f"?venue={catalogue.library.id}") == ["paaroerende", "night-owls"]


def test_venue_filter_finds_courses_meeting_there_only_sometimes(client, catalogue):
    factories.make_session(
        catalogue.economy,
        starts_at=datetime(2031, 3, 1, 10, tzinfo=UTC),
        venue=catalogue.hall,
        peers=(factories.make_peer(),),
    )
    assert slugs(client, f"?venue={catalogue.hall.id}") == ["angst", "oekonomi"]


def test_cancelled_sessions_do_not_make_a_day(client, catalogue):
    factories.make_session(
        catalogue.economy,
        starts_at=datetime(2031, 1, 19, 10, tzinfo=UTC),  # a Sunday
        status=SessionStatus.CANCELLED,
    )
    assert slugs(client, "?day=sunday") == []


def test_filters_combine(client, catalogue):
    assert slugs(client, "?q=angst&day=tuesday&available=1") == ["angst"]
    assert slugs(client, "?q=angst&day=monday") == []
    assert slugs(client, f"?term={catalogue.spring.id}&available=1") == ["night-owls"]
    assert slugs(client, f"?format=in_person&venue={catalogue.library.id}&day=tuesday") == [
        "night-owls"
    ]
    assert slugs(client, "?topic=relationships&audience=relatives&q=PÅRØRENDE") == ["paaroerende"]
    assert slugs(client, "?topic=relationships&audience=everyone") == []


def test_html_filters_match_the_api(client, catalogue):
    page = client.get(
        f"/courses/?q=&topic=&term={catalogue.autumn.id}&format=&audience=&day=tuesday&venue="
    ).get_data(as_text=True)
    assert "Angst og depression" in page
    assert "At være pårørende" not in page
    assert "1 course" in page


def test_list_shows_what_a_student_needs(client, catalogue):
    catalogue.anxiety.seats_taken = 4
    db.session.flush()
    page = client.get("/courses/?q=angst").get_data(as_text=True)
    assert "Forstå angsten" in page
    assert "Tuesday 10 September 2030" in page and "17:00" in page
    assert "<dt>Sessions</dt><dd>2</dd>" in page
    assert "In person" in page
    assert "Skolegade hall" in page
    assert re.search(r"<dt>Places left</dt>\s*<dd>12</dd>", page)
    assert "Peer trainer" in page and "Professional trainer" in page
    peer = catalogue.anxiety.facilitators[0].user.display_name
    assert peer in page


def test_a_full_course_offers_the_waiting_list(client, catalogue):
    page = client.get("/courses/?q=okonomi&q=").get_data(as_text=True)
    assert "Please give q once" in page
    page = client.get("/courses/?format=online").get_data(as_text=True)
    assert "join the waiting list" in page


@pytest.mark.parametrize(
    "query",
    [
        "?topic=astrology",
        "?term=abc",
        "?term=99999999999999999999",
        "?venue=-1",
        "?day=funday",
        "?available=yes",
        "?page=0",
        "?page=abc",
        "?format=",
        "?q=" + "x" * 5000,
        "?q=%00angst",
        "?term=1&term=2",
    ],
)
def test_bad_filters_never_break_the_page(client, catalogue, query):
    response = client.get("/courses/" + query)
    assert response.status_code == 200
    assert "Courses" in response.get_data(as_text=True)


def test_bad_filter_values_are_named_and_ignored(client, catalogue):
    page = client.get("/courses/?topic=astrology&day=tuesday").get_data(as_text=True)
    assert "astrology is not a value we know for topic" in page
    assert "Angst og depression" in page and "Hverdagsøkonomi" not in page


def test_pagination(client, catalogue):
    term = factories.make_term(name="Many")
    for number in range(25):
        published(
            term,
            None,
            datetime(2032, 2, 1, 10, tzinfo=UTC) + timedelta(days=number),
            sessions=1,
            title=f"Extra {number:02}",
        )
    first = client.get(f"/courses/?term={term.id}").get_data(as_text=True)
    assert "25 courses" in first
    assert first.count('class="course-card"') == 20
    assert "Page 1 of 2" in first
    assert f"/courses/?page=2&amp;term={term.id}" in first
    second = client.get(f"/courses/?term={term.id}&page=2").get_data(as_text=True)
    assert second.count('class="course-card"') == 5
    assert "Extra 24" in second and "Extra 00" not in second
    beyond = client.get(f"/courses/?term={term.id}&page=9").get_data(as_text=True)
    assert beyond.count('class="course-card"') == 0


def test_course_page_shows_everything_needed_to_decide(client, catalogue):
    partner = factories.make_partner(name="Region Midtjylland")
    catalogue.anxiety.partners.append(partner)
    catalogue.hall.accessibility_notes = "Step-free entrance, hearing loop."
    db.session.flush()
    response = client.get("/courses/angst")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Angst og depression" in page
    assert "We meet, learn and share." in page
    assert "<li>Know more</li>" in page and "<li>Feel less alone</li>" in page
    assert "Everyone" in page
    assert "Tuesday 10 September 2030" in page and "Tuesday 17 September 2030" in page
    assert "5:00" in page and "7:00" in page
    assert "Step-free entrance, hearing loop." in page
    assert "Region Midtjylland" in page
    assert "16 places left" in page
    assert "Peer trainer" in page and "Professional trainer" in page


def test_course_page_in_danish_uses_local_time(client, catalogue):
    page = client.get("/courses/angst", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert "17.00" in page or "17:00" in page


def test_full_course_page_says_waiting_list(client, catalogue):
    page = client.get("/courses/oekonomi").get_data(as_text=True)
    assert "Full – 0 people waiting" in page
    assert "Nobody is on the waiting list yet, so you would be the first." in page


def test_online_meeting_link_is_not_public(client, catalogue):
    online = factories.make_venue(
        name="Online room", is_online=True, meeting_link="https://meet.example/secret"
    )
    catalogue.night.venue = online
    db.session.flush()
    page = client.get("/courses/night-owls").get_data(as_text=True)
    assert "Online room" in page
    assert "meet.example/secret" not in page
    assert "meet.example/secret" not in client.get("/api/v1/courses/night-owls").get_data(
        as_text=True
    )


def test_enrolment_placeholder_until_enrolment_exists(client, catalogue, app, auth):
    page = client.get("/courses/angst").get_data(as_text=True)
    if "enrolment.enrol" in app.view_functions or "courses.enrol" in app.view_functions:
        # A visitor is asked to sign in first, and comes back to the course afterwards.
        assert "/auth/login?next=/courses/angst" in page
        assert 'action="/courses/angst/enrol"' not in page
        auth.login(factories.make_student())
        page = client.get("/courses/angst").get_data(as_text=True)
        assert 'action="/courses/angst/enrol"' in page
    else:
        assert "Enrolment opens soon." in page
        assert "/enrol" not in page


def test_detail_panels_from_other_packages_replace_the_placeholder(client, catalogue, app):
    from markupsafe import Markup

    panels = extension_points(app).course_page_panels
    panels.append(lambda course: Markup(f"<p>Panel for {course.slug}</p>"))  # noqa: S704
    try:
        page = client.get("/courses/angst").get_data(as_text=True)
    finally:
        panels.pop()
    assert "<p>Panel for angst</p>" in page
    assert "Enrolment opens soon." not in page


@pytest.mark.parametrize("slug", ["angst-draft", "no-such-course", "UPPER", "x" * 200, "%00"])
def test_drafts_and_unknown_courses_are_not_found(client, catalogue, slug):
    assert client.get(f"/courses/{slug}").status_code == 404


def test_cancelled_course_page_says_so(client, catalogue, admin):
    from courses import services

    services.cancel_course(admin, catalogue.anxiety)
    page = client.get("/courses/angst").get_data(as_text=True)
    assert "This course is cancelled" in page
    assert "/enrol" not in page
