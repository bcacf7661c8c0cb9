"""The schedule: "I can't come" asks once and stays visible with its cover, cover cards say
whose session it is, registers appear on their day, sessions come by month, and a
professional trainer is not offered what only peers use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from college.extensions import db
from college.models import Role, User
from courses.models import Course
from peers import services
from peers.models import Absence, CoverOffer, CoverRequest, CoverStatus
from peers.services.schedule import When
from tests import factories


def open_requests(course: Course) -> list[CoverRequest]:
    return list(
        db.session.scalars(
            sa.select(CoverRequest).where(
                CoverRequest.session_id == course.sessions[0].id,
                CoverRequest.status == CoverStatus.OPEN,
            )
        )
    )


def text_of(page: str) -> str:
    return page.replace("&#39;", "'")


def test_i_cant_come_asks_once_and_changes_nothing_until_confirmed(client, auth, course, peer):
    session = course.sessions[0]
    auth.login(peer)
    schedule = text_of(client.get("/peers/schedule").text)
    assert f'href="/peers/sessions/{session.id}/cannot-make-it"' in schedule
    assert "I can't come" in schedule
    question = text_of(client.get(f"/peers/sessions/{session.id}/cannot-make-it").text)
    assert "You can't come?" in question and course.title in question
    assert "Yes, ask a colleague to cover" in question
    assert "why" in question  # no reason asked, and it says so
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Absence)) == 0
    assert open_requests(course) == []


def test_after_i_cant_come_the_card_shows_the_absence_and_can_take_it_back(
    client, auth, course, peer
):
    factories.make_peer()
    session = course.sessions[0]
    auth.login(peer)
    answer = client.post(f"/peers/sessions/{session.id}/cannot-make-it", follow_redirects=True)
    page = text_of(answer.text)
    assert "You can't come. We are asking your colleagues to cover" in page
    assert "I can come after all" in page
    assert len(open_requests(course)) == 1
    [absence] = services.schedule_for(peer).absences
    client.post(f"/peers/absences/{absence.id}/withdraw")
    assert open_requests(course) == []
    assert "I can't come" in text_of(client.get("/peers/schedule").text)


def test_a_covered_session_stays_on_the_schedule_with_who_covers_it(client, auth, course, peer):
    colleague = factories.make_peer(name="Carla Colleague")
    session = course.sessions[0]
    services.cannot_make_it(peer, session)
    offer = db.session.scalars(
        sa.select(CoverOffer).where(CoverOffer.user_id == colleague.id)
    ).one()
    services.accept_offer(colleague, offer)
    db.session.commit()
    auth.login(peer)
    page = text_of(client.get("/peers/schedule").text)
    assert "You can't come. Carla Colleague covers for you." in page
    assert f'href="/peers/sessions/{session.id}/cannot-make-it"' not in page


def test_the_cover_card_says_whose_session_and_which_course(client, auth, course, peer):
    colleague = factories.make_peer()
    services.cannot_make_it(peer, course.sessions[0])
    db.session.commit()
    auth.login(colleague)
    page = text_of(client.get("/peers/schedule").text)
    card = page[page.index('class="card cover-offer"') :]
    card = card[: card.index("</article>")]
    assert course.title in card
    assert "Pia Peer can't come. Can you take their place?" in card
    assert 'class="button button-secondary">Not this time' in card


def test_the_register_link_appears_on_the_day_of_the_session(client, auth, peer, trainer):
    course = factories.make_published_course(
        peer=peer, trainer=trainer, sessions=2, first_start=factories.early_today()
    )
    today, next_week = course.sessions
    auth.login(trainer)
    page = client.get("/peers/schedule").text
    assert f"/courses/sessions/{today.id}/register?next=/peers/schedule" in page
    assert f"/courses/sessions/{next_week.id}/register" not in page


def test_sessions_come_today_then_this_week_then_by_month():
    # Wednesday 2 December 2026, noon in Copenhagen.
    now = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
    starts = [
        datetime(2026, 12, 2, 9, 0, tzinfo=UTC),  # today
        datetime(2026, 12, 5, 9, 0, tzinfo=UTC),  # Saturday: this week
        datetime(2026, 12, 8, 9, 0, tzinfo=UTC),  # next week: December
        datetime(2027, 1, 12, 9, 0, tzinfo=UTC),  # January
    ]

    class Session:
        def __init__(self, number: int, start: datetime) -> None:
            self.id, self.starts_at = number, start

    entries = [
        services.ScheduleEntry(Session(n, s), True, False, False)  # type: ignore[arg-type]
        for n, s in enumerate(starts)
    ]
    groups = services.group_by_when(entries, now)
    assert [(g.when, g.month, len(g.entries)) for g in groups] == [
        (When.TODAY, None, 1),
        (When.THIS_WEEK, None, 1),
        (When.MONTH, date(2026, 12, 1), 1),
        (When.MONTH, date(2027, 1, 1), 1),
    ]


def test_the_schedule_page_has_month_headings(client, auth, course, peer):
    auth.login(peer)
    page = client.get("/peers/schedule").text
    assert "<h3>September 2030</h3>" in page


def test_a_professional_trainer_is_not_offered_what_only_peers_use(client, auth, trainer):
    auth.login(trainer)
    schedule = client.get("/peers/schedule").text
    assert 'href="/peers/training"' not in schedule
    assert "Training meetings" not in schedule
    profile = client.get("/peers/profile").text
    assert "peer trainer" not in profile
    assert "professional trainer" in profile


def test_a_peer_sees_training_and_the_peer_choice(client, auth, peer):
    auth.login(peer)
    schedule = client.get("/peers/schedule").text
    assert 'href="/peers/training"' in schedule
    assert "peer trainer" in client.get("/peers/profile").text


def test_a_trainer_who_is_also_a_peer_is_offered_peer_choices(client, auth):
    both = factories.make_user(roles=(Role.TRAINER, Role.PEER))
    auth.login(both)
    assert 'href="/peers/training"' in client.get("/peers/schedule").text


def test_menus_show_what_each_role_uses(client, auth, peer: User):
    auth.login(peer)
    menu = client.get("/peers/schedule").text
    menu = menu[menu.index('class="wrap main-nav"') : menu.index("</nav>")]
    assert 'href="/peers/schedule"' in menu and 'href="/me/courses"' not in menu
    auth.logout()
    auth.login(factories.make_student())
    menu = client.get("/me/courses").text
    menu = menu[menu.index('class="wrap main-nav"') : menu.index("</nav>")]
    assert 'href="/me/courses"' in menu and 'href="/peers/schedule"' not in menu


def test_i_cant_come_keeps_its_service_signature(course, peer):
    """Calendar replies call this service directly: actor and session, nothing else."""
    absence = services.cannot_make_it(peer, course.sessions[0])
    assert absence.starts_at == course.sessions[0].starts_at
    assert absence.ends_at - absence.starts_at == timedelta(hours=2)


def test_saying_it_twice_is_still_one_absence(course, peer):
    first = services.cannot_make_it(peer, course.sessions[0])
    again = services.cannot_make_it(peer, course.sessions[0])
    assert again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Absence)) == 1
    assert len(open_requests(course)) == 1
