"""Peers' pages: wiring, permissions, bad input and privacy."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from college.extensions import db
from college.models import AuditEvent, User
from courses.models import Course, FacilitatorRole
from peers import services
from peers.models import Absence, CoverRequest, CoverStatus
from tests import factories

PEER_PAGES = ["/peers/schedule", "/peers/absences/new", "/peers/profile", "/peers/training"]


def open_request(course: Course, peer: User) -> CoverRequest:
    session = course.sessions[0]
    services.record_absence(peer, peer, session.starts_at, session.ends_at, "hospital visit")
    return db.session.scalars(
        sa.select(CoverRequest).where(CoverRequest.session_id == session.id)
    ).one()


@pytest.mark.parametrize("path", PEER_PAGES)
def test_students_cannot_open_peer_pages(client, auth, path: str):
    auth.login(factories.make_student())
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", PEER_PAGES)
def test_peer_pages_need_login(client, path: str):
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/admin/peers/cover", "/admin/peers/training"])
def test_peers_cannot_open_admin_pages(client, auth, peer, path: str):
    auth.login(peer)
    assert client.get(path).status_code == 403


def test_schedule_shows_sessions_with_co_facilitator(client, auth, course, peer, trainer):
    auth.login(peer)
    page = client.get("/peers/schedule").get_data(as_text=True)
    assert course.title in page
    assert f"With {trainer.display_name}" in page
    assert "I can't come" in page.replace("&#39;", "'")


def test_one_tap_cannot_make_it_opens_cover(client, auth, course, peer):
    colleague = factories.make_peer()
    auth.login(peer)
    session = course.sessions[0]
    response = client.post(f"/peers/sessions/{session.id}/cannot-make-it", follow_redirects=True)
    assert response.status_code == 200
    assert "asking your colleagues to cover" in response.get_data(as_text=True)
    auth.logout()
    auth.login(colleague)
    page = client.get("/peers/schedule").get_data(as_text=True)
    assert "I can cover" in page and course.title in page


def test_cannot_make_it_on_a_foreign_session_is_404(client, auth, course):
    auth.login(factories.make_peer())
    assert client.post(f"/peers/sessions/{course.sessions[0].id}/cannot-make-it").status_code == 404
    assert client.post("/peers/sessions/999999/cannot-make-it").status_code == 404


def test_absence_form_records_an_absence(client, auth, course, peer):
    auth.login(peer)
    response = client.post(
        "/peers/absences/new",
        data={
            "start_day": "2030-09-10",
            "start_time": "08:00",
            "end_day": "2030-09-12",
            "end_time": "18:00",
            "note": "rest",
        },
    )
    assert response.status_code == 302
    [absence] = db.session.scalars(sa.select(Absence).where(Absence.user_id == peer.id)).all()
    assert absence.private_note == "rest"


def test_absence_ending_before_it_starts_is_a_clear_400(client, auth, peer):
    auth.login(peer)
    response = client.post(
        "/peers/absences/new",
        data={
            "start_day": "2030-09-12",
            "start_time": "08:00",
            "end_day": "2030-09-10",
            "end_time": "18:00",
        },
    )
    assert response.status_code == 400
    assert "end of the period must come after its start" in response.get_data(as_text=True)
    assert not db.session.scalars(sa.select(Absence).where(Absence.user_id == peer.id)).all()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"start_day": "not a day", "start_time": "25:00", "end_day": "x", "end_time": "y"},
        {
            "start_day": "2030-03-31",
            "start_time": "02:30",
            "end_day": "2030-04-01",
            "end_time": "1",
        },
    ],
)
def test_garbage_absence_input_is_never_a_500(client, auth, peer, data):
    auth.login(peer)
    assert client.post("/peers/absences/new", data=data).status_code == 400


def test_a_peer_cannot_see_or_change_another_peers_absence(client, auth, course, peer):
    open_request(course, peer)
    [absence] = db.session.scalars(sa.select(Absence).where(Absence.user_id == peer.id)).all()
    auth.login(factories.make_peer())
    assert client.get(f"/peers/absences/{absence.id}").status_code == 404
    assert client.post(f"/peers/absences/{absence.id}/withdraw").status_code == 404
    db.session.refresh(absence)
    assert absence.withdrawn_at is None


def test_withdrawing_an_absence_on_the_page(client, auth, course, peer):
    request = open_request(course, peer)
    [absence] = db.session.scalars(sa.select(Absence).where(Absence.user_id == peer.id)).all()
    auth.login(peer)
    assert client.post(f"/peers/absences/{absence.id}/withdraw").status_code == 302
    db.session.refresh(request)
    assert request.status == CoverStatus.CANCELLED


def test_accepting_an_offer_changes_the_facilitator(client, auth, course, peer):
    colleague = factories.make_peer()
    request = open_request(course, peer)
    auth.login(colleague)
    response = client.post(f"/peers/offers/{request.offers[0].id}/accept", follow_redirects=True)
    assert "The session is yours" in response.get_data(as_text=True)
    session = course.sessions[0]
    db.session.refresh(session)
    assert session.people(FacilitatorRole.PEER) == [colleague]


def test_accepting_a_taken_offer_tells_it_is_taken(client, auth, course, peer):
    first_colleague, second_colleague = factories.make_peer(), factories.make_peer()
    request = open_request(course, peer)
    offers = {o.user_id: o.id for o in request.offers}
    services.accept_offer(
        first_colleague, db.session.get(type(request.offers[0]), offers[first_colleague.id])
    )
    auth.login(second_colleague)
    response = client.post(
        f"/peers/offers/{offers[second_colleague.id]}/accept", follow_redirects=True
    )
    assert "already taken this session" in response.get_data(as_text=True)
    db.session.expire_all()
    assert course.sessions[0].people(FacilitatorRole.PEER) == [first_colleague]


def test_accepting_a_foreign_offer_is_404(client, auth, course, peer):
    factories.make_peer()
    request = open_request(course, peer)
    auth.login(factories.make_peer(name="Not Asked"))
    assert client.post(f"/peers/offers/{request.offers[0].id}/accept").status_code == 404
    assert client.post("/peers/offers/2147483647/accept").status_code == 404
    db.session.refresh(request)
    assert request.status == CoverStatus.OPEN


def test_colleagues_never_see_the_private_note(client, auth, course, peer, trainer):
    colleague = factories.make_peer()
    open_request(course, peer)
    for person in (colleague, trainer):
        auth.login(person)
        assert "hospital visit" not in client.get("/peers/schedule").get_data(as_text=True)
        auth.logout()


def test_admin_sees_the_note_and_the_view_is_audited(client, auth, course, peer, admin):
    open_request(course, peer)
    auth.login(admin)
    page = client.get(f"/admin/peers/people/{peer.id}").get_data(as_text=True)
    assert "hospital visit" in page
    events = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "peer.viewed", AuditEvent.target_id == peer.id
        )
    ).all()
    assert len(events) == 1


def test_cover_board_lists_open_requests_and_assigns(client, auth, course, peer, admin):
    colleague = factories.make_peer(name="Cora Colleague")
    request = open_request(course, peer)
    auth.login(admin)
    page = client.get("/admin/peers/cover").get_data(as_text=True)
    assert course.title in page and "Cora Colleague" in page
    response = client.post(
        f"/admin/peers/cover/{request.id}/assign", data={f"r{request.id}-colleague": colleague.id}
    )
    assert response.status_code == 302
    db.session.refresh(request)
    assert request.status == CoverStatus.FILLED and request.filled_by_id == colleague.id


def test_profile_page_saves_and_refuses_bad_numbers(client, auth, peer):
    auth.login(peer)
    ok = client.post(
        "/peers/profile",
        data={
            "status": "resting",
            "max_sessions_per_week": "2",
            "topics": ["creativity"],
            "public_visibility": "role_only",
        },
    )
    assert ok.status_code == 302
    profile = services.profile_of(peer)
    assert profile.status == "resting" and profile.topics == {"creativity"}
    assert peer.public_visibility == "role_only"
    assert peer.public_name is None
    page = client.get("/peers/profile").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="role_only"', page)
    bad = client.post(
        "/peers/profile",
        data={"status": "asleep", "max_sessions_per_week": "99", "public_visibility": "nobody"},
    )
    assert bad.status_code == 400
    assert peer.public_visibility == "role_only"  # nothing changed


def test_unavailability_form(client, auth, peer):
    auth.login(peer)
    assert (
        client.post(
            "/peers/unavailability", data={"weekday": "1", "starts": "14:00", "ends": "23:00"}
        ).status_code
        == 302
    )
    page = client.get("/peers/schedule").get_data(as_text=True)
    assert "Tuesday" in page and "14:00" in page
    bad = client.post(
        "/peers/unavailability", data={"weekday": "9", "starts": "18:00", "ends": "10:00"}
    )
    assert bad.status_code == 302


def test_my_schedule_is_in_the_nav_for_peers_only(client, auth, peer):
    auth.login(peer)
    assert "My schedule" in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login(factories.make_student())
    assert "My schedule" not in client.get("/").get_data(as_text=True)


def test_later_sessions_remain_and_covered_one_leaves_my_schedule(client, auth, course, peer):
    colleague = factories.make_peer()
    request = open_request(course, peer)
    services.accept_offer(colleague, request.offers[0])
    auth.login(peer)
    page = client.get("/peers/schedule").get_data(as_text=True)
    assert page.count('class="card schedule-session"') == len(course.sessions) - 1
