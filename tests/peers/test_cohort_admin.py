"""Running a cohort from the office: meetings from date and time, the people who may take
part, one register for all meetings, and a question before someone becomes a peer."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from college.extensions import db
from college.models import Qualification, Role, User
from courses.times import to_local
from peers import services
from peers.models import Cohort, TrainingAttendance
from tests import factories


def open_form(programme_id: int, **changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "programme": programme_id,
        "name": "Femdagesuddannelse, forår",
        "places": "10",
        "first_day": "2030-03-06",  # a Wednesday
        "starts": "09:00",
        "ends": "15:00",
        "pattern": "weekdays",
        "count": "",
    }
    data.update(changes)
    return data


def held_cohort(admin: User, first: date = date(2024, 3, 4)) -> Cohort:
    programme = services.programme_by_code("five_day")
    return services.open_cohort(
        admin,
        programme,
        name="Held",
        places=8,
        meetings=services.meeting_times(first, time(9), time(15), 5, weekly=False),
        trainers=[],
    )


def test_meetings_on_weekdays_skip_the_weekend():
    moments = services.meeting_times(date(2030, 3, 6), time(9), time(15), 5, weekly=False)
    assert [to_local(start).date().isoformat() for start, _end in moments] == [
        "2030-03-06",
        "2030-03-07",
        "2030-03-08",
        "2030-03-11",
        "2030-03-12",
    ]
    assert all(to_local(start).hour == 9 and to_local(end).hour == 15 for start, end in moments)


def test_weekly_meetings_keep_the_local_time_across_summer_time():
    moments = services.meeting_times(date(2030, 3, 19), time(10), time(14), 3, weekly=True)
    assert [to_local(start).hour for start, _end in moments] == [10, 10, 10]
    assert moments[1][0] - moments[0][0] == timedelta(days=7)
    assert moments[2][0] - moments[1][0] == timedelta(days=7, hours=-1)  # clocks go forward


def test_open_a_cohort_with_date_and_time_inputs(client, auth, admin: User):
    trainer = factories.make_trainer(name="Tove Trainer")
    programme = services.programme_by_code("five_day")
    auth.login(admin)
    page = client.get("/admin/peers/training").get_data(as_text=True)
    assert 'type="date"' in page and 'type="time"' in page and "Tove Trainer" in page
    assert "2026-09-14 09:00 15:00" not in page

    response = client.post(
        "/admin/peers/training", data=open_form(programme.id, trainers=[str(trainer.id)])
    )

    assert response.status_code == 302
    cohort = db.session.scalars(sa.select(Cohort)).one()
    assert [m.number for m in cohort.meetings] == [1, 2, 3, 4, 5]
    assert to_local(cohort.meetings[-1].starts_at).date() == date(2030, 3, 12)
    assert cohort.trainers == [trainer]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends": "08:00"}, "exactly 5 meetings"),
        ({"count": "4"}, "exactly 5 meetings"),
        ({"first_day": "14/09/2030"}, "Please enter a date like"),
        ({"pattern": "monthly"}, "Not a valid choice"),
    ],
)
def test_bad_meetings_are_explained_and_open_nothing(client, auth, admin, changes, message):
    programme = services.programme_by_code("five_day")
    auth.login(admin)
    response = client.post("/admin/peers/training", data=open_form(programme.id, **changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cohort)) == 0


def test_only_peers_and_applicants_are_offered_a_place(client, auth, admin: User):
    cohort = held_cohort(admin)
    peer = factories.make_peer(name="Pia Peer")
    applicant = factories.make_student(name="Alma Applicant")
    factories.make_trainer(name="Tom Trainer")
    gone = factories.make_peer(name="Gone Peer")
    gone.active = False
    db.session.flush()

    offered = services.eligible_for_cohort(cohort)

    assert [u.display_name for u in offered] == ["Alma Applicant", "Pia Peer"]
    with pytest.raises(services.NotEligible):
        services.place_in_cohort(admin, cohort, admin)
    auth.login(admin)
    page = client.get(f"/admin/peers/cohorts/{cohort.id}").get_data(as_text=True)
    picker = page.split('id="place-title"', 1)[1]
    assert "Pia Peer" in picker and "Alma Applicant" in picker
    assert "Tom Trainer" not in picker and "Ada Admin" not in picker
    found = client.get(f"/admin/peers/cohorts/{cohort.id}?q=alma").get_data(as_text=True)
    assert "Pia Peer" not in found.split('id="place-title"', 1)[1]
    assert peer.id and applicant.id


def test_the_register_is_one_grid_saved_at_once(client, auth, admin: User):
    cohort = held_cohort(admin)
    later = services.open_cohort(
        admin,
        cohort.programme,
        name="Later",
        places=4,
        meetings=services.meeting_times(date(2031, 3, 3), time(9), time(15), 5, weekly=False),
        trainers=[],
    )
    a, b = factories.make_peer(name="Anna"), factories.make_student(name="Bo")
    for person in (a, b):
        services.place_in_cohort(admin, cohort, person)
    services.place_in_cohort(admin, later, a)
    auth.login(admin)
    page = client.get(f"/admin/peers/cohorts/{cohort.id}").get_data(as_text=True)
    assert page.count('type="checkbox" name="present"') == 10
    m = [meeting.id for meeting in cohort.meetings]
    ticks = [f"{m[0]}-{a.id}", f"{m[1]}-{a.id}", f"{m[0]}-{b.id}", "junk", f"{m[2]}-x"]

    response = client.post(f"/admin/peers/cohorts/{cohort.id}/register", data={"present": ticks})

    assert response.status_code == 302
    marks = services.registers_of(cohort)
    assert len(marks) == 10  # every meeting held, everyone placed: present or not
    assert marks[(m[0], a.id)] and marks[(m[1], a.id)] and marks[(m[0], b.id)]
    assert not marks[(m[2], a.id)] and not marks[(m[1], b.id)]
    later_page = client.get(f"/admin/peers/cohorts/{later.id}").get_data(as_text=True)
    assert "not yet" in later_page and 'name="present"' not in later_page
    client.post(f"/admin/peers/cohorts/{later.id}/register", data={"present": []})
    rows = db.session.scalars(
        sa.select(TrainingAttendance).where(
            TrainingAttendance.meeting_id.in_([x.id for x in later.meetings])
        )
    )
    assert list(rows) == []  # a meeting still to come has no register


def test_granting_asks_before_making_someone_a_peer(client, auth, admin: User):
    cohort = held_cohort(admin)
    applicant = factories.make_student(name="Alma Applicant")
    services.place_in_cohort(admin, cohort, applicant)
    for meeting in cohort.meetings:
        services.record_register(admin, meeting, {applicant.id})
    auth.login(admin)
    url = f"/admin/peers/cohorts/{cohort.id}/confirm"

    question = client.post(url, data={"person": applicant.id})

    assert question.status_code == 200
    assert "Make Alma Applicant a peer?" in question.get_data(as_text=True)
    assert not applicant.has_role(Role.PEER)
    assert db.session.scalar(sa.select(Qualification)) is None
    with pytest.raises(services.PeerRoleNotAgreed):
        services.confirm_completion(admin, cohort.programme, applicant, give_peer_role=False)

    done = client.post(url, data={"person": applicant.id, "give_peer_role": "y"})

    assert done.status_code == 302
    assert applicant.has_role(Role.PEER)
    granted = db.session.scalar(sa.select(Qualification))
    assert granted is not None and granted.granted_on == date(2024, 3, 8)


def test_a_peer_is_granted_without_the_question(client, auth, admin: User):
    cohort = held_cohort(admin)
    peer = factories.make_peer(name="Pia Peer", programmes=())
    services.place_in_cohort(admin, cohort, peer)
    for meeting in cohort.meetings:
        services.record_register(admin, meeting, {peer.id})
    auth.login(admin)
    response = client.post(f"/admin/peers/cohorts/{cohort.id}/confirm", data={"person": peer.id})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Qualification).where(Qualification.user_id == peer.id))
    assert datetime.now(UTC)
