"""Enrol as a pair: a student and their companion get two places or wait together."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from college.db import now_utc
from college.extensions import db
from college.models import OutboxMessage, User
from college.outbox import queueing
from courses.enrolment import attendance, pairs, personal_data, services
from courses.enrolment.models import (
    SEAT_HOLDING,
    Companion,
    CompanionStatus,
    Enrolment,
    EnrolmentStatus,
)
from courses.enrolment.queries import waitlist_position
from courses.models import Audience, Course
from tests import factories
from tests.courses.enrolment.conftest import mail_to, subjects_to

MUM = "mum@example.org"


def together(student: User, course: Course, **kwargs: object) -> pairs.PairPlacement:
    values: dict[str, object] = {"name": "Mum", "email": MUM, "relation": "relative"}
    values.update(kwargs)
    return pairs.enrol_together(student, course, **values)  # type: ignore[arg-type]


def mail_to_address(address: str) -> list[OutboxMessage]:
    queueing.render_pending()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == address)
            .order_by(OutboxMessage.id)
        )
    )


def token_in(message: OutboxMessage) -> str:
    found = re.search(r"/companions/([\w-]+)", message.text_body or "")
    assert found, message.text_body
    return found.group(1)


def invitation_token(address: str = MUM) -> str:
    """The token in the invitation (the first mail to the address)."""
    return token_in(mail_to_address(address)[0])


def assert_places_add_up(course: Course) -> None:
    """Every place counted is held by someone: an enrolment or a companion's held place."""
    db.session.flush()
    held_by_enrolments = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Enrolment)
        .where(Enrolment.course_id == course.id, Enrolment.status.in_(list(SEAT_HOLDING)))
    )
    held_for_companions = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Companion)
        .where(Companion.course_id == course.id, Companion.status == CompanionStatus.INVITED)
    )
    taken = db.session.scalar(sa.select(Course.seats_taken).where(Course.id == course.id))
    assert taken == held_by_enrolments + held_for_companions
    assert taken <= course.capacity


def test_a_pair_gets_both_places_and_the_companion_is_invited_by_mail(small_course):
    course = small_course(capacity=3, title="Being a relative")
    student = factories.make_student(name="Sara")
    placement = together(student, course)
    assert placement.enrolment.status == EnrolmentStatus.ENROLLED
    assert placement.companion.status == CompanionStatus.INVITED
    assert course.seats_taken == 2
    assert_places_add_up(course)
    assert subjects_to(student) == ["Your place is confirmed — Recovery College"]
    [invitation] = mail_to_address(MUM)
    assert invitation.subject == "Sara would like you to come along — Recovery College"
    body = invitation.text_body or ""
    assert body.startswith("Hello Mum,")
    assert "Course: Being a relative" in body
    # The link carries a token, never a name or an address.
    assert re.search(r"http://college\.test/companions/[\w-]{40,}\n", body)
    assert "mum" not in token_in(invitation).lower()
    assert placement.companion.token_hash != token_in(invitation)


def test_with_one_place_left_the_pair_waits_together_as_one_entry(small_course):
    course = small_course(capacity=2)
    factories.make_enrolment(course)
    placement = together(factories.make_student(), course)
    assert placement.enrolment.status == EnrolmentStatus.WAITLISTED
    assert placement.companion.status == CompanionStatus.WAITING
    assert placement.position == 1
    assert course.seats_taken == 1  # the last place is not split
    assert mail_to_address(MUM) == []
    # The free place is the pair's turn, not a newcomer's: nobody passes the queue.
    newcomer = services.enrol(factories.make_student(), course)
    assert newcomer.status == EnrolmentStatus.WAITLISTED
    assert course.seats_taken == 1
    assert_places_add_up(course)


def test_a_pair_at_the_head_is_offered_two_places_at_once(small_course):
    course = small_course(capacity=2)
    first, second = factories.make_enrolment(course), factories.make_enrolment(course)
    student = factories.make_student()
    pair = together(student, course)
    single = services.enrol(factories.make_student(), course)
    assert (pair.position, waitlist_position(single)) == (1, 2)

    services.withdraw(first.student, first)
    # One place is not enough for two: it stays free for the pair, not for the single behind.
    assert course.seats_taken == 1
    assert pair.enrolment.status == EnrolmentStatus.WAITLISTED
    assert single.status == EnrolmentStatus.WAITLISTED
    assert_places_add_up(course)

    services.withdraw(second.student, second)
    assert pair.enrolment.status == EnrolmentStatus.OFFERED
    assert pair.companion.status == CompanionStatus.INVITED
    assert pair.enrolment.offer_expires_at == pair.companion.hold_expires_at
    assert course.seats_taken == 2
    assert single.status == EnrolmentStatus.WAITLISTED
    assert_places_add_up(course)
    assert "A place is free for you — Recovery College" in subjects_to(student)
    assert len(mail_to_address(MUM)) == 1


def test_a_place_kept_for_a_pair_goes_on_when_the_pair_leaves_the_list(small_course):
    course = small_course(capacity=1)
    first = factories.make_enrolment(course)
    student = factories.make_student()
    pair = together(student, course)
    single = services.enrol(factories.make_student(), course)
    services.withdraw(first.student, first)
    assert course.seats_taken == 0
    services.withdraw(student, pair.enrolment)
    assert pair.companion.status == CompanionStatus.CANCELLED
    assert single.status == EnrolmentStatus.OFFERED
    assert_places_add_up(course)


def test_the_companion_confirms_with_an_account_of_their_own(small_course):
    course = small_course(capacity=2)
    student = factories.make_student(name="Sara")
    pair = together(student, course)
    mum = factories.make_student(name="Mum", email="mum.account@example.org")
    enrolment = pairs.confirm(mum, invitation_token())
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert enrolment.student_id == mum.id
    assert pair.companion.status == CompanionStatus.CONFIRMED
    assert pair.companion.companion_enrolment is enrolment
    # The account says who they are now; what Sara typed about them is gone.
    assert (pair.companion.name, pair.companion.email) == (None, None)
    assert course.seats_taken == 2
    assert_places_add_up(course)
    assert subjects_to(mum) == ["Your place is confirmed — Recovery College"]
    # A second click changes nothing.
    assert pairs.confirm(mum, invitation_token()) is enrolment
    assert course.seats_taken == 2


def test_the_student_cannot_confirm_their_own_companions_place(small_course):
    course = small_course(capacity=2)
    student = factories.make_student()
    together(student, course)
    with pytest.raises(pairs.CompanionIsYou):
        pairs.confirm(student, invitation_token())


def test_a_companion_already_on_the_course_is_refused_and_the_place_stays_held(small_course):
    course = small_course(capacity=3)
    mum = factories.make_student()
    services.enrol(mum, course)
    pair = together(factories.make_student(), course)
    with pytest.raises(pairs.CompanionAlreadyOnCourse):
        pairs.confirm(mum, invitation_token())
    assert pair.companion.status == CompanionStatus.INVITED


def test_when_the_companion_declines_the_place_passes_on_and_the_student_is_asked(small_course):
    course = small_course(capacity=2)
    student = factories.make_student(name="Sara")
    pair = together(student, course)
    waiting = services.enrol(factories.make_student(), course)
    pairs.decline(invitation_token())
    assert pair.companion.status == CompanionStatus.DECLINED
    assert pair.companion.student_asked
    assert pair.enrolment.status == EnrolmentStatus.ENROLLED  # the student keeps their place
    assert waiting.status == EnrolmentStatus.OFFERED
    assert_places_add_up(course)
    assert "Do you want to come alone? — Recovery College" in subjects_to(student)
    body = mail_to(student)[-1].text_body or ""
    assert "Mum has told us that they cannot come" in body
    # Declining twice changes nothing; confirming afterwards is refused.
    pairs.decline(invitation_token())
    with pytest.raises(pairs.InvitationNotAvailable):
        pairs.confirm(factories.make_student(), invitation_token())
    pairs.keep_place_alone(student, pair.enrolment)
    assert not pair.companion.student_asked
    with pytest.raises(pairs.NothingToAnswer):
        pairs.keep_place_alone(student, pair.enrolment)


def test_a_hold_nobody_answers_runs_out_after_48_hours(small_course):
    course = small_course(capacity=2)
    student = factories.make_student(name="Sara")
    now = now_utc()
    pair = together(student, course, now=now)
    assert pair.companion.hold_expires_at == now + timedelta(hours=48)
    assert pairs.expire_holds(now + timedelta(hours=47)) == 0
    assert pairs.expire_holds(now + timedelta(hours=48, minutes=1)) == 1
    assert pairs.expire_holds(now + timedelta(hours=49)) == 0
    assert pair.companion.status == CompanionStatus.EXPIRED
    assert pair.companion.student_asked
    assert course.seats_taken == 1
    assert_places_add_up(course)
    assert "Mum did not confirm their place in time" in (mail_to(student)[-1].text_body or "")
    with pytest.raises(pairs.InvitationNotAvailable):
        pairs.confirm(factories.make_student(), invitation_token())


def test_either_can_withdraw_alone_and_the_other_keeps_their_place(small_course):
    course = small_course(capacity=4)
    student = factories.make_student()
    pair = together(student, course)
    mum = factories.make_student(email="mum.account@example.org")
    mine = pairs.confirm(mum, invitation_token())
    services.withdraw(mum, mine)
    assert pair.enrolment.status == EnrolmentStatus.ENROLLED
    assert course.seats_taken == 1

    other = factories.make_student()
    second = together(other, course, email="dad@example.org", name="Dad")
    dad = factories.make_student(email="dad.account@example.org")
    dads = pairs.confirm(dad, invitation_token("dad@example.org"))
    services.withdraw(other, second.enrolment)
    assert dads.status == EnrolmentStatus.ENROLLED
    assert second.companion.status == CompanionStatus.CONFIRMED
    assert course.seats_taken == 2
    assert_places_add_up(course)


def test_a_student_who_leaves_before_the_companion_answers_withdraws_the_invitation(
    small_course,
):
    course = small_course(capacity=2)
    student = factories.make_student(name="Sara")
    pair = together(student, course)
    services.withdraw(student, pair.enrolment)
    assert pair.companion.status == CompanionStatus.CANCELLED
    assert course.seats_taken == 0
    assert_places_add_up(course)
    cancelled = mail_to_address(MUM)[-1]
    assert cancelled.subject == "About the invitation from Sara — Recovery College"
    with pytest.raises(pairs.InvitationNotAvailable):
        pairs.confirm(factories.make_student(), invitation_token())


def test_a_student_who_says_not_now_to_the_pairs_offer_frees_both_places(small_course):
    course = small_course(capacity=2)
    holders = [factories.make_enrolment(course) for _ in range(2)]
    student = factories.make_student()
    pair = together(student, course)
    for holder in holders:
        services.withdraw(holder.student, holder)
    assert pair.enrolment.status == EnrolmentStatus.OFFERED
    services.decline_offer(student, pair.enrolment)
    assert pair.companion.status == CompanionStatus.CANCELLED
    assert course.seats_taken == 0
    assert_places_add_up(course)


def test_the_courses_audience_applies_to_each_of_the_two(small_course):
    course = small_course(capacity=4, audience=Audience.RELATIVES)
    student = factories.make_student()
    with pytest.raises(services.ConfirmAudience):
        together(student, course)
    together(student, course, belongs=True)
    mum = factories.make_student(email="mum.account@example.org")
    with pytest.raises(services.ConfirmAudience):
        pairs.confirm(mum, invitation_token())
    assert pairs.confirm(mum, invitation_token(), belongs=True).status == "enrolled"


def test_a_pair_is_refused_for_a_student_already_signed_up_and_the_same_pair_is_one(
    small_course,
):
    course = small_course(capacity=4)
    student = factories.make_student(email="sara@example.org")
    with pytest.raises(pairs.CompanionIsYou):
        together(student, course, email=" Sara@Example.org ")
    first = together(student, course)
    again = together(student, course)  # a double click
    assert again.companion is first.companion
    assert course.seats_taken == 2
    with pytest.raises(pairs.AlreadySignedUp):
        together(student, course, email="someone.else@example.org")


def test_registers_and_certificates_count_each_person_as_themselves(small_course, peer):
    course = small_course(capacity=2, first_start=now_utc() - timedelta(days=30), sessions=1)
    student = factories.make_student(name="Sara")
    mum = factories.make_student(name="Mum")
    # Signed up before the course began; the place is then confirmed the usual way.
    start = now_utc() - timedelta(days=40)
    pair = together(student, course, now=start)
    pairs.confirm(mum, invitation_token(), now=start)
    [session] = course.scheduled_sessions
    names = {user.display_name for user, _mark in attendance.register_for(peer, session)}
    assert names == {"Sara", "Mum"}
    assert pair.companion.companion_enrolment is not None


def test_an_erased_student_leaves_no_companions_name_or_address(small_course):
    course = small_course(capacity=2)
    student = factories.make_student()
    pair = together(student, course)
    exported = personal_data.export_enrolments(student)
    assert [(c["name"], c["email"]) for c in exported["companions"]] == [("Mum", MUM)]
    personal_data.erase_enrolments(student)
    db.session.refresh(pair.companion)
    assert (pair.companion.name, pair.companion.email) == (None, None)
    assert pair.companion.status == CompanionStatus.CANCELLED
    assert_places_add_up(course)


def test_the_demo_has_a_pair_with_places_and_a_pair_waiting(app):
    from college import demo

    college = demo.seed()
    found = db.session.execute(
        sa.select(Enrolment.student_id, Enrolment.status, Companion.status, Companion.name).join(
            Companion, Companion.student_enrolment_id == Enrolment.id
        )
    ).all()
    assert sorted((status, companion, name) for _, status, companion, name in found) == [
        ("enrolled", "invited", "Mor"),
        ("waitlisted", "waiting", "Kim"),
    ]
    assert college.students[0].id in {student_id for student_id, *_ in found}
    for course in db.session.scalars(sa.select(Course)):
        assert_places_add_up(course)


def test_a_companion_who_left_can_come_again_with_someone_else(small_course):
    course = small_course(capacity=4)
    mum = factories.make_student(email="mum.account@example.org")
    first = together(factories.make_student(), course)
    services.withdraw(mum, pairs.confirm(mum, invitation_token()))
    second = together(factories.make_student(), course, email="mum.again@example.org")
    enrolment = pairs.confirm(mum, invitation_token("mum.again@example.org"))
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert second.companion.companion_enrolment is enrolment
    db.session.refresh(first.companion)
    assert first.companion.companion_enrolment_id is None
    assert_places_add_up(course)


def test_a_place_kept_for_the_pair_at_the_head_is_open_to_no_newcomer_on_any_page(
    small_course, client, auth
):
    course = small_course(capacity=2, title="Kept for a pair")
    first = factories.make_enrolment(course)
    factories.make_enrolment(course)
    together(factories.make_student(), course)
    services.withdraw(first.student, first)
    db.session.flush()
    assert course.places_left == 1  # free, and the pair's turn

    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Full – 1 person waiting" in page
    assert "1 person is on the waiting list already, so you would be number 2" in page
    assert "place left" not in page

    listing = client.get("/courses/").get_data(as_text=True)
    card = listing[listing.index("Kept for a pair") :].split("</article>")[0]
    assert "None – join the waiting list" in card
    available = client.get("/courses/?available=1").get_data(as_text=True)
    assert "Kept for a pair" not in available

    summary = client.get(f"/api/v1/courses/{course.slug}").get_json()
    assert (summary["places_left"], summary["open_for_enrolment"]) == (0, False)
    listed = client.get("/api/v1/courses?available=1").get_json()["items"]
    assert course.slug not in [item["slug"] for item in listed]

    auth.login(factories.make_student())
    signed_in = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Join the waiting list</button>" in signed_in and ">Enrol</button>" not in signed_in
