"""One session of a course with sign-up opened as a drop-in: anyone may just come to it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from college.db import now_utc
from college.errors import Forbidden
from college.extensions import db
from courses import feeds
from courses.dropin import services
from courses.dropin.reports import drop_in_figures
from courses.dropin.services import Visits
from courses.services.joining import Joining, join_state_of_loaded
from tests import factories
from tests.calendar_checks import check_calendar


@pytest.fixture
def taster(peer, trainer):
    """A course with sign-up whose first session began an hour ago; two more to come."""
    now = now_utc()
    term = factories.make_term(
        starts_on=(now - timedelta(days=30)).date(), ends_on=(now + timedelta(days=90)).date()
    )
    return factories.make_published_course(
        peer=peer, trainer=trainer, term=term, first_start=now - timedelta(hours=1),
        slug="mindfulness", title="Mindfulness",
    )  # fmt: skip


def test_an_administrator_opens_one_session_and_the_course_keeps_its_sign_up(
    client, signed_in_admin, taster
):
    session = taster.sessions[1]
    response = client.post(f"/admin/drop-in/sessions/{session.id}", data={"drop_in": "y"})
    assert response.status_code == 302
    db.session.refresh(session)
    assert session.drop_in and session.is_drop_in and not taster.drop_in
    assert join_state_of_loaded(taster, now_utc()).joining != Joining.DROP_IN
    page = client.get("/courses/mindfulness").get_data(as_text=True)
    assert page.count("Open session: just come") == 1
    admin_page = client.get(f"/admin/courses/{taster.id}").get_data(as_text=True)
    assert "Close to drop-in" in admin_page
    client.post(f"/admin/drop-in/sessions/{session.id}", data={"drop_in": ""})
    db.session.refresh(session)
    assert not session.drop_in


def test_only_administrators_open_a_session(peer, taster):
    with pytest.raises(Forbidden):
        services.set_session_drop_in(peer, taster.sessions[0], True)


def test_an_open_session_has_a_head_count_beside_its_register(admin, peer, taster):
    session = taster.sessions[0]
    with pytest.raises(services.NotADropIn):
        services.record_head_count(peer, session, Visits(came=2))
    services.set_session_drop_in(admin, session, True)
    services.record_head_count(peer, session, Visits(came=2, first=2))
    rows = drop_in_figures(taster.term)
    assert [(r.session_id, r.came) for r in rows] == [(session.id, 2)]


def test_the_teacher_finds_both_the_register_and_the_head_count(
    client, signed_in_peer, admin, taster
):
    session = taster.sessions[0]
    services.set_session_drop_in(admin, session, True)
    schedule = client.get("/peers/schedule").get_data(as_text=True)
    assert f"/courses/sessions/{session.id}/head-count" in schedule
    assert f"/courses/sessions/{session.id}/register" in schedule


def test_only_the_open_session_says_just_come_in_the_calendar(client, admin, taster):
    services.set_session_drop_in(admin, taster.sessions[1], True)
    db.session.commit()
    events = check_calendar(client.get("/calendar/college.ics").data).by_uid()
    said = ["just come" in events[feeds.feed_uid(s.uid)].description for s in taster.sessions]
    assert said == [False, True, False]
