"""Access-control proof: every route of the app against every kind of person.

``ACCESS`` below is the one table to read. Each row names an endpoint, the method the check
uses, and what each person gets. A route that is not in the table fails
``test_every_route_has_a_row``, so a new page cannot ship without a decision about who may
open it. Object-level rows use things that belong to "student" or "peer" and are opened by
"other_student" or "other_peer". The posts name no page they were sent from, so a refusal
answers with its error page and status rather than going back to a page with the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from college import page_cache
from college.db import now_utc
from college.extensions import db
from college.models import Qualification, Role, User
from college.outbox import queueing
from courses.dropin.models import CourseInterest
from courses.enrolment.models import EnrolmentStatus
from tests import factories

PEOPLE = ("anonymous", "student", "other_student", "peer", "other_peer", "trainer", "admin")
LOGIN = 302  # sent to the login page
DENIED = 403


@dataclass(frozen=True)
class Row:
    method: str
    expected: dict[str, int] = field(default_factory=dict)


def everyone(status: int = 200) -> dict[str, int]:
    return dict.fromkeys(PEOPLE, status)


def signed_in(status: int = 200) -> dict[str, int]:
    return {**everyone(status), "anonymous": LOGIN}


def admins(status: int = 200) -> dict[str, int]:
    return {**everyone(DENIED), "anonymous": LOGIN, "admin": status}


def owner_only(status: int = 200) -> dict[str, int]:
    """Things that belong to "student": anyone else is told it does not exist."""
    return {**signed_in(404), "student": status}


def facilitators(status: int = 200) -> dict[str, int]:
    """The session's own peer and professional trainer, and administrators."""
    return {**admins(status), "peer": status, "trainer": status, "other_peer": DENIED}


def staff(status: int = 200) -> dict[str, int]:
    """Peer workers and professional trainers; administrators need one of those roles too."""
    return {**signed_in(DENIED), "peer": status, "other_peer": status, "trainer": status}


def peer_owns(status: int = 200) -> dict[str, int]:
    """Peer work that belongs to "peer": colleagues are told it does not exist."""
    return {**staff(404), "peer": status}


def get(expected: dict[str, int]) -> Row:
    return Row("GET", expected)


def post(expected: dict[str, int]) -> Row:
    """A POST without form data: refused people never reach the form, others get its answer."""
    return Row("POST", expected)


# fmt: off
ACCESS: dict[str, Row] = {
    # --- public pages -------------------------------------------------------------------------
    "main.index":                         get(everyone()),
    "main.accessibility":                 get(everyone()),
    "main.privacy":                       get(everyone()),
    "main.set_language":                  post(everyone(302)),
    "static":                             get(everyone()),
    "courses.index":                      get(everyone()),
    "courses.detail":                     get(everyone()),
    "courses_api.list_courses":           get(everyone()),
    "courses_api.get_course":             get(everyone()),
    "courses_api.openapi":                get(everyone()),
    # --- accounts -----------------------------------------------------------------------------
    "auth.login":                         get(everyone()),
    "auth.register":                      get({**everyone(302), "anonymous": 200}),
    "auth.reset_request":                 get(everyone()),
    "auth.reset_password":                get(everyone(400)),  # an unknown token
    "auth.logout":                        post(everyone(302)),
    "auth.change_password":               get(signed_in()),
    "me.settings":                        get(signed_in()),
    "me.consent":                         get(signed_in(302)),  # nothing new to agree to
    "me.my_data":                         get(signed_in()),
    "me.my_data_json":                    get(signed_in()),
    "me.delete_account":                  get(signed_in()),
    # --- administration -----------------------------------------------------------------------
    "admin.dashboard":                    get(admins()),
    "admin.audit":                        get(admins()),
    "admin.mail":                         get(admins()),
    "admin.mail_retry":                   post(admins(302)),
    "admin.mail_retry_many":              post(admins(302)),
    "admin.people":                       get(admins()),
    "admin.person":                       get(admins()),
    "admin.person_roles":                 post(admins(302)),  # "needs a role", flashed
    "admin.person_status":                post(admins(302)),
    "courses_admin.courses":              get(admins()),
    "courses_admin.course":               get(admins()),
    "courses_admin.course_new":           get(admins()),
    "courses_admin.course_edit":          get(admins()),
    "courses_admin.course_pair":          get(admins()),
    "courses_admin.course_status_confirm": get(admins(404)),  # no status asked for
    "courses_admin.course_status":        post(admins(400)),
    "courses_admin.session_new":          get(admins()),
    "courses_admin.session_series":       get(admins()),
    "courses_admin.session_reschedule":   get(admins()),
    "courses_admin.session_cancel":       get(admins()),
    "courses_admin.session_delete":       post(admins(409)),  # refused, as the world has it
    "courses_admin.session_facilitators": get(admins()),
    "courses_admin.terms":                get(admins()),
    "courses_admin.term_new":             get(admins()),
    "courses_admin.term_edit":            get(admins()),
    "courses_admin.venues":               get(admins()),
    "courses_admin.venue_new":            get(admins()),
    "courses_admin.venue_edit":           get(admins()),
    "courses_admin.partners":             get(admins()),
    "courses_admin.partner_new":          get(admins()),
    "courses_admin.partner_edit":         get(admins()),
    "courses_admin.qualifications":       get(admins()),
    "courses_admin.qualification_delete": post(admins(302)),
    # --- enrolment: "student" holds an offered place; others must not see or touch it --------
    "enrolment.enrol":                    post(signed_in(302)),
    "enrolment.withdraw":                 post({**signed_in(400), "student": 302}),  # no place
    "enrolment.withdraw_confirm":         get({**signed_in(302), "student": 200}),  # has a place
    "enrolment.my_courses":               get(signed_in()),
    "enrolment.offer":                    get(owner_only()),
    "enrolment.accept":                   post(owner_only(302)),
    "enrolment.decline":                  post(owner_only(302)),
    "enrolment.certificate":              get(owner_only(404)),  # no certificate before the end
    "enrolment.give_feedback":            get(owner_only()),  # says when it opens
    "enrolment.apologies":                post(signed_in(404)),  # nobody is enrolled on it
    "enrolment.apologies_confirm":        get(signed_in(404)),  # nobody is enrolled on it
    "enrolment.apologies_take_back":      post(signed_in(404)),  # nobody is enrolled on it
    "enrolment.register":                 get(facilitators()),
    "enrolment.register_csv":             get(facilitators()),  # names: audited
    # --- drop-in: the world's session has enrolment, so its register is the one with names ----
    "dropin.head_count":                  get(facilitators(302)),  # on to the register
    "dropin.interest":                    get(facilitators(404)),  # only at a drop-in
    "dropin_admin.interest_list":         get(admins()),  # people's details: audited
    "dropin_admin.interest_delete_confirm": get(admins()),
    "dropin_admin.interest_delete":       post(admins(302)),
    "dropin_admin.session_drop_in":       post(admins(302)),
    "outcomes.rate":                      get(signed_in(404)),  # a place only offered: no rating
    "outcomes.skip":                      post(owner_only(302)),  # refused with a message
    "enrolment_admin.enrolments":         get(admins()),
    "enrolment_admin.move":               post(admins(400)),  # refused, as the world has it
    "enrolment_admin.remove":             post(admins(400)),  # a reason is asked first
    # --- reports: counts and anonymous averages, for administrators -----------------------------
    "reports_admin.term_report":          get(admins()),
    "reports_admin.term_csv":             get(admins()),
    "reports_admin.course_report":        get(admins()),
    "reports_admin.course_csv":           get(admins()),
    "outcomes_admin.report_page":         get(admins()),
    "outcomes_admin.download":            get(admins()),
    "outcomes_admin.download_json":       get(admins()),
    "outcomes_admin.areas":               get(admins()),
    # --- calendars: feeds are public or reached by an unguessable token ------------------------
    "feeds.college_feed":                 get(everyone()),
    "feeds.course_feed":                  get(everyone()),
    "feeds.session_download":             get(everyone()),
    "feeds.session_details":              get(everyone(302)),  # on to the course page
    "feeds.course_details":               get(everyone(302)),  # on to the course page
    "feeds.personal_feed":                get(everyone(404)),  # an unknown token
    "me.calendar":                        get(signed_in()),
    "me.renew_calendar":                  post(signed_in(302)),
    "me.revoke_calendar":                 post(signed_in(302)),
    "me.choose_calendar":                 post(signed_in(400)),
    # --- peer work: "peer" owns the absence, the weekly time and the cover offer -------------
    "peers.schedule":                     get(staff()),
    "peers.training":                     get(staff()),
    "peers.profile":                      get(staff()),
    "peers.absence_new":                  get(staff()),
    "peers.absence_edit":                 get(peer_owns()),
    "peers.absence_withdraw":             post(peer_owns(302)),
    "peers.unavailability_add":           post(staff(302)),  # refused with a message
    "peers.unavailability_remove":        post(peer_owns(302)),
    "peers.cannot_make_it":               post({**staff(302), "other_peer": 404}),  # not theirs
    "peers.cannot_make_it_confirm":       get({**staff(), "other_peer": 404}),
    "peers.offer_accept":                 post(peer_owns(409)),  # refused, as the world has it
    "peers.offer_decline":                post(peer_owns(302)),
    "peers_admin.training":               get(admins()),
    "peers_admin.programme_new":          get(admins()),
    "peers_admin.cohort":                 get(admins()),
    "peers_admin.cohort_place":           post(admins(302)),
    "peers_admin.cohort_confirm":         post(admins(302)),
    "peers_admin.meeting_register":       post(admins(302)),
    "peers_admin.cohort_register":        post(admins(302)),
    "peers_admin.cover_board":            get(admins()),
    "peers_admin.cover_assign":           post(admins(302)),
    "peers_admin.person":                 get(admins()),
    "peers_admin.teaching_csv":           get(admins()),
}
# fmt: on


@dataclass
class World:
    """One of everything a route can point at, and the people who open them."""

    people: dict[str, User]
    values: dict[str, Any]


@pytest.fixture(autouse=True)
def pages_kept(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The table holds as in production, with kept pages: none may reach the wrong person."""
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 60)
    page_cache.clear()
    yield
    page_cache.clear()


@pytest.fixture
def world(app: Flask) -> World:
    people = {
        "student": factories.make_student(),
        "other_student": factories.make_student(),
        "peer": factories.make_peer(),
        "other_peer": factories.make_peer(),
        "trainer": factories.make_trainer(),
        "admin": factories.make_admin(),
    }
    partner = factories.make_partner()
    venue = factories.make_venue()
    course = factories.make_published_course(
        peer=people["peer"], trainer=people["trainer"], venue=venue, partners=(partner,)
    )
    session = course.sessions[0]
    qualification = db.session.query(Qualification).filter_by(user_id=people["peer"].id).one()
    enrolment = factories.make_enrolment(course, people["student"], status=EnrolmentStatus.OFFERED)
    enrolment.offer_expires_at = now_utc() + timedelta(days=1)
    peer_work = make_peer_work(people, session)
    interest = CourseInterest(contact="someone@example.org", consented_at=now_utc())
    db.session.add(interest)
    message = queueing.enqueue("someone@example.org", "Subject", "Body")
    message.status = "failed"
    db.session.commit()
    values = {
        "course_id": course.id,
        "slug": course.slug,
        "session_id": session.id,
        "term_id": course.term_id,
        "venue_id": venue.id,
        "partner_id": partner.id,
        "qualification_id": qualification.id,
        "message_id": message.id,
        "interest_id": interest.id,
        "enrolment_id": enrolment.id,
        "peer_id": people["peer"].id,
        **peer_work,
        "direction": "up",
        "user_id": people["student"].id,
        "token": "not-a-real-token",
        "filename": "css/site.css",
        "figure": "attendance",
        "kind": "csv",
        "moment": "before",
    }
    return World(people, values)


def make_peer_work(people: dict[str, User], session: Any) -> dict[str, int]:
    """An absence, a weekly time and a cover offer of "peer"; a cohort with one meeting."""
    from datetime import time

    from peers.models import (
        Absence,
        Cohort,
        CohortMeeting,
        CoverOffer,
        CoverRequest,
        TrainingProgramme,
        Unavailability,
    )

    peer = people["peer"]
    later = now_utc() + timedelta(days=300)
    absence = Absence(user_id=peer.id, starts_at=later, ends_at=later + timedelta(days=1))
    weekly = Unavailability(user_id=peer.id, weekday=6, starts=time(20), ends=time(21))
    request = CoverRequest(
        session_id=session.id, absent_user_id=people["other_peer"].id, role="peer"
    )
    programme = db.session.query(TrainingProgramme).order_by(TrainingProgramme.id).first()
    cohort = Cohort(programme_id=programme.id, name="Spring", places=10)
    db.session.add_all([absence, weekly, request, cohort])
    db.session.flush()
    offer = CoverOffer(request_id=request.id, user_id=peer.id, rank=1)
    meeting = CohortMeeting(
        cohort_id=cohort.id, number=1, starts_at=later, ends_at=later + timedelta(hours=6)
    )
    db.session.add_all([offer, meeting])
    db.session.flush()
    return {
        "absence_id": absence.id,
        "item_id": weekly.id,
        "offer_id": offer.id,
        "request_id": request.id,
        "cohort_id": cohort.id,
        "meeting_id": meeting.id,
    }


def url_for_rule(app: Flask, endpoint: str, world: World) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{name: world.values[name] for name in rule.arguments})


def status_for(client: FlaskClient, row: Row, url: str) -> int:
    response = client.get(url) if row.method == "GET" else client.post(url, data={})
    response.close()  # static files are streamed from disk
    return response.status_code


def sign_in_as(client: FlaskClient, person: User | None) -> None:
    client.post("/auth/logout")
    if person is not None:
        response = client.post(
            "/auth/login", data={"email": person.email, "password": factories.PASSWORD}
        )
        assert response.status_code == 302, f"{person} could not sign in"


def test_every_route_has_a_row(app: Flask):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - ACCESS.keys())
    stale = sorted(ACCESS.keys() - endpoints)
    assert not missing, f"routes without a row in ACCESS: {missing}"
    assert not stale, f"rows in ACCESS for routes that no longer exist: {stale}"


@pytest.mark.parametrize("endpoint", sorted(ACCESS))
def test_route_answers_each_person_as_the_table_says(
    app: Flask, client: FlaskClient, world: World, endpoint: str
):
    row = ACCESS[endpoint]
    url = url_for_rule(app, endpoint, world)
    seen = {}
    for who in PEOPLE:
        sign_in_as(client, world.people.get(who))
        seen[who] = status_for(client, row, url)
    wrong = {
        who: (seen[who], row.expected[who]) for who in PEOPLE if seen[who] != row.expected[who]
    }
    assert not wrong, f"{row.method} {url}: got (status, expected) {wrong}"


def test_a_refused_post_changes_nothing(app: Flask, client: FlaskClient, world: World):
    student = world.people["student"]
    sign_in_as(client, world.people["other_student"])
    url = url_for_rule(app, "admin.person_roles", world)
    assert client.post(url, data={"roles": ["admin"]}).status_code == DENIED
    db.session.refresh(student)
    assert student.roles == {Role.STUDENT}
