"""Choosing a course's pair: hints per person, the best first, and a refusal that groups."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from college.extensions import db
from college.models import Programme, User
from courses.models import CourseStatus, FacilitatorRole
from courses.services.candidates import hints_for, rank_candidates, upcoming_sessions
from courses.services.status import publication_problem_groups
from tests import factories

FIVE_DAY = "five-day programme for peer workers"


def weekly_draft(count: int = 4, **kwargs):
    course = factories.make_course(**kwargs)
    for week in range(count):
        factories.make_session(course, starts_at=factories.FIRST_SESSION + timedelta(weeks=week))
    db.session.expire(course, ["sessions"])
    return course


def names(candidates) -> list[str]:
    return [c.name for c in candidates]


def test_qualified_free_and_less_busy_peers_come_first(peer: User, trainer: User):
    course = weekly_draft(required_programme=Programme.FIVE_DAY)
    factories.make_peer(name="Aage Untrained", programmes=())
    busy = factories.make_peer(name="Bea Busy")
    elsewhere = factories.make_published_course(peer=busy, trainer=trainer, title="Sleep well")
    assert elsewhere.sessions[0].starts_at == factories.FIRST_SESSION

    ranked = rank_candidates(
        course, FacilitatorRole.PEER, upcoming_sessions(course), whole_course=True
    )

    order = names(ranked)
    assert order.index("Pia Peer") < order.index("Bea Busy") < order.index("Aage Untrained")
    by_name = {c.name: c for c in ranked}
    assert by_name["Aage Untrained"].marked and not by_name["Aage Untrained"].qualified
    assert by_name["Bea Busy"].marked and len(by_name["Bea Busy"].clash_days) == 3
    assert not by_name["Pia Peer"].marked


def test_hints_say_why_in_words(peer: User):
    course = weekly_draft()
    untrained = factories.make_peer(name="Una Untrained", programmes=())
    ranked = rank_candidates(
        course, FacilitatorRole.PEER, upcoming_sessions(course), whole_course=True
    )
    una = next(c for c in ranked if c.user_id == untrained.id)
    texts = [h.text for h in hints_for(una, course.required_programme)]
    assert texts[0] == f"Not qualified ({FIVE_DAY}) on 10, 17, 24 September, 1 October"
    assert texts[-1] == "0 sessions this term"
    pia = next(c for c in ranked if c.user_id == peer.id)
    assert [h.warning for h in hints_for(pia, course.required_programme)] == [False, False]


def test_professionals_need_no_qualification(trainer: User):
    course = weekly_draft()
    ranked = rank_candidates(
        course, FacilitatorRole.PROFESSIONAL, upcoming_sessions(course), whole_course=True
    )
    assert names(ranked) == ["Tom Trainer"]
    assert ranked[0].unqualified_days is None and not ranked[0].marked


def test_the_course_own_sessions_are_no_clash_when_choosing_its_pair(peer: User, trainer):
    course = factories.make_published_course(peer=peer, trainer=trainer)
    ranked = rank_candidates(
        course, FacilitatorRole.PEER, upcoming_sessions(course), whole_course=True
    )
    assert ranked[0].user_id == peer.id and ranked[0].clash_days == []
    assert ranked[0].sessions_this_term == 3


def test_pair_page_lists_everyone_with_hints_and_searches(
    client: FlaskClient, signed_in_admin, peer, trainer
):
    course = weekly_draft()
    factories.make_peer(name="Una Untrained", programmes=())
    page = client.get(f"/admin/courses/{course.id}/pair").get_data(as_text=True)
    assert page.index("Pia Peer") < page.index("Una Untrained")
    assert f"Not qualified ({FIVE_DAY}) on 10, 17, 24 September, 1 October" in page
    assert "check first" in page
    assert 'type="radio" name="peer"' in page
    found = client.get(f"/admin/courses/{course.id}/pair?q=una").get_data(as_text=True)
    assert "Una Untrained" in found and "Pia Peer" not in found
    assert "Tom Trainer" not in found


def test_choosing_a_marked_person_is_allowed_and_refused_only_at_publishing(
    client: FlaskClient, signed_in_admin, trainer
):
    course = weekly_draft(count=2)
    untrained = factories.make_peer(name="Una Untrained", programmes=())
    response = client.post(
        f"/admin/courses/{course.id}/pair",
        data={"peer": untrained.id, "professional": trainer.id, "apply_to_sessions": "y"},
    )
    assert response.status_code == 302
    response = client.post(f"/admin/courses/{course.id}/status", data={"status": "published"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert (
        "Una Untrained does not hold a valid qualification (five-day programme for peer workers) "
        "for 2 sessions: 10, 17 September" in page
    )
    assert course.status == CourseStatus.DRAFT


def test_the_refusal_groups_sessions_and_links_to_each_fix(peer, trainer):
    course = weekly_draft(count=4)
    groups = publication_problem_groups(course)
    assert [g.text for g in groups] == [
        "No peer trainer for 4 sessions: 10, 17, 24 September, 1 October",
        "No professional trainer for 4 sessions: 10, 17, 24 September, 1 October",
    ]
    assert all(g.pair and len(g.sessions) == 4 for g in groups)


def test_a_double_booking_is_one_line_per_person_and_course(peer, trainer):
    factories.make_published_course(
        peer=peer, trainer=factories.make_trainer(), title="Sleep well", sessions=2
    )
    course = factories.make_course(pair=(peer, trainer))
    for week in range(3):
        factories.make_session(
            course,
            starts_at=factories.FIRST_SESSION + timedelta(weeks=week),
            peers=(peer,),
            professionals=(trainer,),
        )
    db.session.expire(course, ["sessions"])
    texts = [g.text for g in publication_problem_groups(course)]
    assert texts == [
        "Pia Peer already teaches Sleep well at the same time, for 2 sessions: 10, 17 September"
    ]


def test_danish_dates_in_the_refusal(client: FlaskClient, signed_in_admin, peer):
    signed_in_admin.language = "da"
    db.session.flush()
    course = weekly_draft(count=2)
    page = client.get(f"/admin/courses/{course.id}").get_data(as_text=True)
    assert "10., 17. september" in page
