"""Cover rules: who is a candidate, how they are ranked, opening, withdrawing, winning."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from college import signals
from college.extensions import db
from college.models import OutboxMessage, Programme, Qualification, User
from college.outbox import delivery, queueing, summaries
from courses import services as courses
from courses.models import Course, CourseStatus, FacilitatorRole, Topic
from peers import services
from peers.models import CoverRequest, CoverStatus, OfferStatus, PeerStatus
from tests import factories

ONE_DAY = timedelta(days=1)


def first(course: Course):
    return course.sessions[0]


def candidate_ids(session, role=FacilitatorRole.PEER) -> list[int]:
    return [c.user.id for c in services.candidates_for(session, role)]


def absent_over(person: User, session) -> None:
    services.record_absence(
        person, person, session.starts_at - timedelta(hours=1), session.ends_at + timedelta(hours=1)
    )


def requests_for(session) -> list[CoverRequest]:
    return list(
        db.session.scalars(sa.select(CoverRequest).where(CoverRequest.session_id == session.id))
    )


def mail_to(user: User) -> list[OutboxMessage]:
    queueing.render_pending()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == user.email)
            .order_by(OutboxMessage.id)
        )
    )


# --- candidate rules -------------------------------------------------------------------------


def test_a_qualified_free_active_colleague_is_a_candidate(course: Course):
    colleague = factories.make_peer()
    assert colleague.id in candidate_ids(first(course))


def test_the_session_facilitators_are_not_candidates(course: Course, peer: User):
    assert peer.id not in candidate_ids(first(course))


def test_a_peer_without_the_required_programme_is_not_a_candidate(course: Course):
    other = factories.make_peer(programmes=(Programme.FIVE_WEEK,))
    assert other.id not in candidate_ids(first(course))


def test_qualification_is_judged_on_the_session_date(course: Course):
    session = first(course)
    lapsed = factories.make_peer(programmes=())
    db.session.add(
        Qualification(
            user=lapsed,
            programme=str(Programme.FIVE_DAY),
            granted_on=date(2025, 1, 1),
            expires_on=session.starts_at.date() - ONE_DAY,
        )
    )
    later = factories.make_peer(programmes=(), name="Later")
    db.session.add(
        Qualification(
            user=later,
            programme=str(Programme.FIVE_DAY),
            granted_on=session.starts_at.date() + ONE_DAY,
        )
    )
    db.session.flush()
    ids = candidate_ids(session)
    assert lapsed.id not in ids and later.id not in ids


def test_a_resting_peer_is_not_a_candidate(course: Course):
    resting = factories.make_peer()
    factories.make_profile(resting, status=PeerStatus.RESTING)
    assert resting.id not in candidate_ids(first(course))


def test_an_inactive_account_is_not_a_candidate(course: Course):
    gone = factories.make_peer()
    gone.active = False
    db.session.flush()
    assert gone.id not in candidate_ids(first(course))


def test_an_absent_colleague_is_not_a_candidate(course: Course):
    session = first(course)
    away = factories.make_peer()
    factories.make_absence(
        away, session.starts_at + timedelta(minutes=30), session.ends_at + ONE_DAY
    )
    withdrawn = factories.make_peer()
    absence = factories.make_absence(withdrawn, session.starts_at, session.ends_at)
    absence.withdrawn_at = session.starts_at - ONE_DAY
    db.session.flush()
    ids = candidate_ids(session)
    assert away.id not in ids
    assert withdrawn.id in ids


def test_a_colleague_unavailable_at_that_time_every_week_is_not_a_candidate(course: Course):
    session = first(course)  # Tuesdays 17:00-19:00 in Copenhagen
    tuesday_afternoons = factories.make_peer()
    services.add_unavailability(tuesday_afternoons, tuesday_afternoons, 1, time(14), time(23, 59))
    tuesday_mornings = factories.make_peer()
    services.add_unavailability(tuesday_mornings, tuesday_mornings, 1, time(8), time(12))
    ids = candidate_ids(session)
    assert tuesday_afternoons.id not in ids
    assert tuesday_mornings.id in ids


def test_a_colleague_teaching_at_an_overlapping_time_is_not_a_candidate(course: Course):
    session = first(course)
    busy = factories.make_peer()
    other = factories.make_published_course(
        peer=busy, sessions=1, first_start=session.starts_at + timedelta(minutes=60)
    )
    assert other.sessions
    assert busy.id not in candidate_ids(session)


def training_at(admin: User, start, trainers: list[User], name: str):
    """A five-day cohort whose third day covers ``start``; the other days are a week apart."""
    days = [start + timedelta(weeks=week) for week in (-2, -1, 0, 1, 2)]
    return services.open_cohort(
        admin,
        services.programme_by_code("five_day"),
        name=name,
        places=5,
        meetings=[(day - timedelta(hours=2), day + timedelta(hours=4)) for day in days],
        trainers=trainers,
    )


def test_a_colleague_in_a_training_meeting_then_is_not_a_candidate(course: Course, admin):
    session = first(course)
    learner, leaving, teacher, elsewhere = (factories.make_peer() for _ in range(4))
    cohort = training_at(admin, session.starts_at, [teacher], "Overlapping")
    for person in (learner, leaving):
        services.place_in_cohort(admin, cohort, person)
    services.withdraw_place(admin, cohort, leaving)
    other_day = training_at(admin, session.starts_at + timedelta(days=1), [], "Other days")
    services.place_in_cohort(admin, other_day, elsewhere)

    ids = candidate_ids(session)

    assert learner.id not in ids  # in the meeting
    assert teacher.id not in ids  # leading it
    assert leaving.id in ids  # no longer placed in the cohort
    assert elsewhere.id in ids  # training, but on other days
    assert services.in_training_user_ids(
        [learner.id, leaving.id, teacher.id, elsewhere.id], session.starts_at, session.ends_at
    ) == {learner.id, teacher.id}


def test_a_colleague_at_their_weekly_maximum_is_not_a_candidate(course: Course):
    session = first(course)
    full = factories.make_peer()
    factories.make_profile(full, max_sessions_per_week=1)
    factories.make_published_course(peer=full, sessions=1, first_start=session.starts_at + ONE_DAY)
    room = factories.make_peer()
    factories.make_profile(room, max_sessions_per_week=2)
    factories.make_published_course(peer=room, sessions=1, first_start=session.starts_at + ONE_DAY)
    ids = candidate_ids(session)
    assert full.id not in ids
    assert room.id in ids


def test_professional_cover_comes_from_professional_trainers(course: Course, trainer: User):
    other_trainer = factories.make_trainer()
    a_peer = factories.make_peer()
    ids = candidate_ids(first(course), FacilitatorRole.PROFESSIONAL)
    assert other_trainer.id in ids
    assert a_peer.id not in ids and trainer.id not in ids


def test_ranking_prefers_fewest_recent_sessions_then_liked_topic(course: Course):
    session = first(course)
    course.topic = Topic.WELLBEING
    busy = factories.make_peer(name="Aa Busy")
    recent_start = factories.FIRST_SESSION - timedelta(days=10)
    factories.make_published_course(peer=busy, sessions=1, first_start=recent_start)
    plain = factories.make_peer(name="Bb Plain")
    fan = factories.make_peer(name="Cc Fan")
    factories.make_profile(fan, topics=(Topic.WELLBEING,))
    ranked = [
        c.user.id
        for c in services.candidates_for(session, FacilitatorRole.PEER, now=factories.FIRST_SESSION)
        if c.user.id in {busy.id, plain.id, fan.id}
    ]
    assert ranked == [fan.id, plain.id, busy.id]


# --- opening, withdrawing, accepting --------------------------------------------------------


def test_an_absence_over_a_session_opens_a_request_and_emails_candidates(course: Course, peer):
    colleague = factories.make_peer()
    session = first(course)
    absent_over(peer, session)
    [request] = requests_for(session)
    assert request.status == CoverStatus.OPEN and request.absent_user_id == peer.id
    assert [o.user_id for o in request.offers] == [colleague.id]
    [message] = mail_to(colleague)
    assert course.title not in message.subject
    assert "cover" in message.subject.lower()


def test_offers_are_written_by_the_worker_in_each_colleagues_language(course: Course, peer):
    colleague = factories.make_peer(language="da")
    absent_over(peer, first(course))
    [queued] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == colleague.email)
    )
    assert queued.renderer == "peers.mail" and queued.text_body is None  # nothing rendered yet
    [message] = mail_to(colleague)
    assert message.subject.startswith("Kan du dække ind på en kursusgang den")
    assert course.title not in message.subject
    assert course.title in message.text_body and "Hej" in message.text_body


def test_an_offer_to_an_account_erased_before_it_is_written_is_given_up(course: Course, peer):
    from peers.services.mail import render_peer_mail

    colleague = factories.make_peer()
    absent_over(peer, first(course))
    [queued] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == colleague.email)
    )
    db.session.delete(db.session.get(User, colleague.id))
    db.session.flush()
    with pytest.raises(queueing.Undeliverable):
        render_peer_mail(dict(queued.payload))


def test_an_absence_not_overlapping_opens_nothing(course: Course, peer: User):
    session = first(course)
    services.record_absence(peer, peer, session.ends_at, session.ends_at + timedelta(hours=2))
    assert requests_for(session) == []


def test_withdrawing_an_absence_cancels_open_requests(course: Course, peer: User):
    colleague = factories.make_peer()
    absent_over(peer, first(course))
    [absence] = services.schedule_for(peer).absences
    services.withdraw_absence(peer, absence)
    [request] = requests_for(first(course))
    assert request.status == CoverStatus.CANCELLED
    assert [o.status for o in request.offers] == [OfferStatus.CLOSED]
    assert services.schedule_for(colleague).offers == []


def test_withdrawing_after_cover_was_taken_keeps_the_cover(course: Course, peer: User):
    colleague = factories.make_peer()
    session = first(course)
    absent_over(peer, session)
    [request] = requests_for(session)
    services.accept_offer(colleague, request.offers[0])
    [absence] = services.schedule_for(peer).absences
    services.withdraw_absence(peer, absence)
    assert request.status == CoverStatus.FILLED
    assert colleague in session.people(FacilitatorRole.PEER)


def test_accepting_makes_the_colleague_the_peer_facilitator(course: Course, peer, trainer):
    colleague = factories.make_peer()
    other = factories.make_peer()
    session = first(course)
    heard = []

    def hear(_app, *, session, kind, **details):
        heard.append((kind, details))

    with signals.session_changed.connected_to(hear, sender=current_app._get_current_object()):
        absent_over(peer, session)
        queueing.render_pending()  # the worker writes the offers before anyone answers
        [request] = requests_for(session)
        offer = next(o for o in request.offers if o.user_id == colleague.id)
        services.accept_offer(colleague, offer)
    assert session.people(FacilitatorRole.PEER) == [colleague]
    assert session.people(FacilitatorRole.PROFESSIONAL) == [trainer]
    assert request.status == CoverStatus.FILLED and request.filled_by_id == colleague.id
    assert ("facilitators", {"added_user_ids": [colleague.id], "removed_user_ids": [peer.id]}) in [
        (str(k), d) for k, d in heard
    ]
    assert session.sequence == 1
    assert {o.user_id: o.status for o in request.offers} == {
        colleague.id: OfferStatus.ACCEPTED,
        other.id: OfferStatus.CLOSED,
    }
    assert any("covered" in m.subject for m in mail_to(other))
    assert mail_to(trainer) and mail_to(peer)
    # The other sessions of the course keep their usual peer.
    assert course.sessions[1].people(FacilitatorRole.PEER) == [peer]


def test_an_offer_taken_before_it_is_written_is_not_sent_nor_its_covered_note(
    course: Course, peer: User, client, auth
):
    colleague = factories.make_peer()
    other = factories.make_peer(language="da")
    session = first(course)
    absent_over(peer, session)
    [request] = requests_for(session)
    services.accept_offer(colleague, next(o for o in request.offers if o.user_id == colleague.id))
    db.session.commit()

    report = delivery.deliver_due()

    [offer_mail, note] = mail_to(other)
    assert (offer_mail.status, note.status) == ("cancelled", "cancelled")
    assert offer_mail.text_body is None and note.text_body is None
    # The one who took it had their offer on the site, so theirs is not sent either.
    assert report.cancelled == 3 and report.failed == 0
    [offer] = [o for o in request.offers if o.user_id == other.id]
    assert offer.mailed_at is None
    # Nothing for admins to look at, and the colleague's own data says what happened.
    assert summaries.count_undelivered() == {}
    assert summaries.failing_messages() == []
    auth.login(other)
    page = client.get("/me/data").get_data(as_text=True)
    assert page.count("Ikke sendt, da den ikke længere var nødvendig") == 2


def test_an_offer_written_before_it_is_taken_is_followed_by_the_covered_note(
    course: Course, peer: User
):
    colleague = factories.make_peer()
    other = factories.make_peer()
    session = first(course)
    absent_over(peer, session)
    db.session.commit()
    delivery.deliver_due()
    [request] = requests_for(session)
    assert all(o.mailed_at is not None for o in request.offers)
    services.accept_offer(colleague, next(o for o in request.offers if o.user_id == colleague.id))
    db.session.commit()
    delivery.deliver_due()
    assert [m.status for m in mail_to(other)] == ["sent", "sent"]
    assert "covered" in mail_to(other)[1].subject


def test_accepting_a_taken_offer_is_refused(course: Course, peer: User):
    first_colleague, second_colleague = factories.make_peer(), factories.make_peer()
    absent_over(peer, first(course))
    [request] = requests_for(first(course))
    offers = {o.user_id: o for o in request.offers}
    services.accept_offer(first_colleague, offers[first_colleague.id])
    with pytest.raises(services.CoverTaken):
        services.accept_offer(second_colleague, offers[second_colleague.id])
    assert first(course).people(FacilitatorRole.PEER) == [first_colleague]


def test_accepting_someone_elses_offer_is_not_found(course: Course, peer: User):
    colleague, stranger = factories.make_peer(), factories.make_peer(programmes=())
    absent_over(peer, first(course))
    [request] = requests_for(first(course))
    offer = next(o for o in request.offers if o.user_id == colleague.id)
    with pytest.raises(services.OfferNotFound):
        services.accept_offer(stranger, offer)
    with pytest.raises(services.OfferNotFound):
        services.find_offer(stranger, offer.id)
    assert request.status == CoverStatus.OPEN


def test_a_colleague_no_longer_free_cannot_accept(course: Course, peer: User):
    colleague = factories.make_peer()
    session = first(course)
    absent_over(peer, session)
    [request] = requests_for(session)
    factories.make_absence(colleague, session.starts_at, session.ends_at)
    with pytest.raises(services.NotACandidate):
        services.accept_offer(colleague, request.offers[0])


def test_admin_assigns_cover_by_hand(course: Course, peer: User, admin: User):
    colleague = factories.make_peer()
    absent_over(peer, first(course))
    [request] = requests_for(first(course))
    services.assign_cover(admin, request, colleague)
    assert first(course).people(FacilitatorRole.PEER) == [colleague]


def test_cancelling_the_session_closes_its_request(course: Course, peer: User, admin: User):
    factories.make_peer()
    absent_over(peer, first(course))
    courses.cancel_session(admin, first(course))
    [request] = requests_for(first(course))
    assert request.status == CoverStatus.CANCELLED


def test_cannot_make_it_on_a_session_opens_cover(course: Course, peer: User):
    factories.make_peer()
    services.cannot_make_it(peer, first(course))
    [request] = requests_for(first(course))
    assert request.is_open


def test_cannot_make_it_on_someone_elses_session_is_not_found(course: Course):
    stranger = factories.make_peer()
    with pytest.raises(services.NotYourSession):
        services.cannot_make_it(stranger, first(course))


def test_recurring_unavailability_opens_cover_for_every_matching_session(course, peer):
    factories.make_peer()
    services.add_unavailability(peer, peer, 1, time(16), time(20))
    assert all(requests_for(s) for s in course.sessions)


def test_absence_ending_before_it_starts_is_refused(peer: User, course: Course):
    start = first(course).starts_at
    with pytest.raises(services.PeriodOutOfOrder):
        services.record_absence(peer, peer, start, start - timedelta(hours=1))
    assert services.schedule_for(peer).absences == []


def test_a_peer_cannot_change_another_peers_absence(course: Course, peer: User):
    absent_over(peer, first(course))
    [absence] = services.schedule_for(peer).absences
    other = factories.make_peer()
    from college.errors import Forbidden

    with pytest.raises(Forbidden):
        services.withdraw_absence(other, absence)
    assert absence.withdrawn_at is None


def test_draft_course_sessions_need_no_cover(peer: User, trainer: User):
    course = factories.make_published_course(peer=peer, trainer=trainer, sessions=1)
    course.status = CourseStatus.DRAFT
    db.session.flush()
    absent_over(peer, course.sessions[0])
    assert requests_for(course.sessions[0]) == []


def test_cover_moves_the_session_in_both_calendars(course: Course, peer: User):
    """The colleague who covers is invited; the absent peer's calendar drops that session."""
    colleague = factories.make_peer()
    session = first(course)
    queueing.render_pending()  # the course is in everyone's calendar
    absent_over(peer, session)
    [request] = requests_for(session)
    offer = next(o for o in request.offers if o.user_id == colleague.id)
    services.accept_offer(colleague, offer)

    invited = [m for m in mail_to(colleague) if m.calendar_method == "REQUEST"]
    cancelled = [m for m in mail_to(peer) if m.calendar_method == "CANCEL"]
    assert len(invited) == 1 and len(cancelled) == 1
    assert session.uid in invited[0].calendar_body
    assert "SEQUENCE:0" in invited[0].calendar_body
    # The absent peer loses that one week of the course's weekly invitation, and is told
    # they no longer take part, not that the session is off.
    assert "RECURRENCE-ID" in cancelled[0].calendar_body
    assert "STATUS:CANCELLED" in cancelled[0].calendar_body
    assert cancelled[0].subject.startswith("Removed from this session")
