"""Drop-in attendance beside enrolled attendance; drop-in sessions in the public calendars."""

from __future__ import annotations

from datetime import timedelta

from college.db import now_utc
from college.extensions import db
from courses import feeds
from courses.dropin import services
from courses.dropin.reports import drop_in_figures
from courses.dropin.services import Visits
from courses.reports import attendance_figures
from tests import factories
from tests.calendar_checks import check_calendar


def count_held(drop_in, peer) -> None:
    """Head counts at the two sessions held before today; today's is not taken yet."""
    now = now_utc()
    first, second = drop_in.sessions[0], drop_in.sessions[1]
    services.record_head_count(peer, first, Visits(came=7, first=3, second=2, third=1), now=now)
    services.record_head_count(peer, second, Visits(came=9, first=2, second=3), now=now)


def test_figures_per_drop_in_session_held_so_far(drop_in, peer):
    count_held(drop_in, peer)
    rows = drop_in_figures(drop_in.term)
    assert [(r.counted, r.came, r.first_visits, r.not_said) for r in rows] == [
        (True, 7, 3, 1),
        (True, 9, 2, 4),
        (False, 0, 0, 0),  # today's session, not counted yet
    ]


def test_enrolled_attendance_leaves_drop_in_sessions_to_their_head_count(drop_in, peer, trainer):
    enrolled = factories.make_published_course(
        peer=factories.make_peer(), trainer=factories.make_trainer(), term=drop_in.term,
        first_start=now_utc() - timedelta(days=3), sessions=1,
    )  # fmt: skip
    rows = attendance_figures(drop_in.term)
    assert {r.course_id for r in rows} == {enrolled.id}
    assert {r.course_id for r in drop_in_figures(drop_in.term)} == {drop_in.id}


def test_the_term_report_shows_drop_in_beside_enrolled_attendance(
    client, signed_in_admin, drop_in, peer
):
    count_held(drop_in, peer)
    page = client.get(f"/admin/reports/?term={drop_in.term_id}").get_data(as_text=True)
    assert "Attendance per session" in page
    assert "Drop-in: how many came" in page
    assert "3 drop-in sessions held. 16 visits in all, 5 of them first visits." in page
    csv = client.get(f"/admin/reports/terms/{drop_in.term_id}/drop_in.csv")
    assert csv.status_code == 200
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].lstrip("\ufeff").startswith("Course,Date,Time,Came,First visit")
    assert lines[1].endswith(",7,3,2,1,1")


def test_the_course_report_of_a_drop_in_shows_its_head_counts(
    client, signed_in_admin, drop_in, peer
):
    count_held(drop_in, peer)
    page = client.get(f"/admin/reports/courses/{drop_in.id}").get_data(as_text=True)
    assert "Drop-in: how many came" in page and "7 came" in page and "Not counted" in page


def test_the_dashboard_has_a_drop_in_panel_in_danish(client, auth, admin, drop_in, peer):
    count_held(drop_in, peer)
    admin.language = "da"
    db.session.flush()
    auth.login(admin)
    page = client.get(f"/admin/?term={drop_in.term_id}").get_data(as_text=True)
    assert "Fremmøde ved drop-in" in page
    assert "3 drop-in-kursusgange holdt. 16 besøg i alt, heraf 5 første besøg." in page


def test_the_dashboard_has_no_drop_in_panel_without_drop_in_sessions(client, signed_in_admin):
    factories.make_published_course()
    assert "Drop-in attendance" not in client.get("/admin/").get_data(as_text=True)


def test_the_college_feed_shows_drop_in_sessions_as_public_events(client, drop_in):
    db.session.commit()
    response = client.get("/calendar/college.ics", headers={"Accept-Language": "da"})
    assert "public" in response.headers["Cache-Control"]
    events = check_calendar(response.data).by_uid()
    for session in drop_in.sessions:
        event = events[feeds.feed_uid(session.uid)]
        assert event.summary == "Torsdagscafé"
        assert "Kom bare — du behøver ikke tilmelde dig." in event.description
    course_feed = check_calendar(client.get("/courses/torsdagscafe/calendar.ics").data)
    assert all("Drop-in: just come" in e.description for e in course_feed.events)


def test_sessions_of_other_courses_do_not_say_just_come(client):
    course = factories.make_published_course(first_start=now_utc() + timedelta(days=3))
    db.session.commit()
    events = check_calendar(client.get("/calendar/college.ics").data).by_uid()
    for session in course.sessions:
        assert "just come" not in events[feeds.feed_uid(session.uid)].description
