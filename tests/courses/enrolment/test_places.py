"""Enrolment and the waiting list: places, queue order, offers and every path that frees one."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from college import privacy
from college.db import now_utc
from college.errors import Forbidden, NotFound
from college.extensions import db
from college.models import AuditEvent
from courses import services as course_services
from courses.enrolment import services
from courses.enrolment.models import Enrolment, EnrolmentStatus
from courses.enrolment.queries import waiting_counts, waitlist_position
from courses.models import Audience, Course, CourseStatus
from tests import factories
from tests.courses.enrolment.conftest import mail_to, subjects_to

START = factories.FIRST_SESSION


def statuses(course) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(Enrolment.student_id, Enrolment.status).where(Enrolment.course_id == course.id)
    )
    return {student_id: status for student_id, status in rows}


def test_enrolling_takes_a_place_and_confirms_it_discreetly(small_course):
    course = small_course(capacity=2, title="Anxiety and everyday life")
    student = factories.make_student()
    enrolment = services.enrol(student, course)
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert course.seats_taken == 1
    assert subjects_to(student) == ["Your place is confirmed — Recovery College"]
    body = mail_to(student)[0].text_body
    # What a lock screen previews (the greeting and the first sentence) does not name it;
    # the details below it do, with every date and time, so the person knows where to go.
    greeting, opening, details = body.split("\n\n", 2)
    assert opening == "You have a place on a course with us. The details are below."
    assert "Anxiety" not in greeting + opening
    assert "Course: Anxiety and everyday life" in details
    assert "Tuesday 10 September 2030, 17:00–19:00" in details


def test_a_person_who_is_not_discreet_sees_the_course_in_the_subject(small_course):
    course = small_course(title="Mindfulness")
    student = factories.make_student()
    student.discreet = False
    services.enrol(student, course)
    assert subjects_to(student) == ["Your place is confirmed: Mindfulness"]
    assert "Mindfulness" in mail_to(student)[0].text_body


def test_a_full_course_puts_people_on_the_waiting_list_in_order(small_course):
    course = small_course(capacity=1)
    first, *waiting = factories.make_students(4)
    assert services.enrol(first, course).status == EnrolmentStatus.ENROLLED
    queued = [services.enrol(s, course) for s in waiting]
    assert [e.status for e in queued] == [EnrolmentStatus.WAITLISTED] * 3
    assert [waitlist_position(e) for e in queued] == [1, 2, 3]
    assert course.seats_taken == 1
    assert subjects_to(waiting[0]) == ["You are on a waiting list — Recovery College"]
    assert "number 1" in mail_to(waiting[0])[0].text_body
    assert waiting_counts([course.id]) == {course.id: 3}


def test_enrolling_twice_is_one_enrolment_and_one_email(small_course):
    course = small_course()
    student = factories.make_student()
    first = services.enrol(student, course)
    again = services.enrol(student, course)
    assert first.id == again.id
    assert course.seats_taken == 1
    assert len(mail_to(student)) == 1
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Enrolment).where(Enrolment.course_id == course.id)
    )
    assert count == 1


def test_the_database_refuses_a_second_row_for_the_same_person(small_course):
    course = small_course()
    student = factories.make_student()
    services.enrol(student, course)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(Enrolment(course=course, student=student, status=EnrolmentStatus.WAITLISTED))
        db.session.flush()


@pytest.mark.parametrize(
    ("opens", "closes", "error"),
    [
        (timedelta(days=1), timedelta(days=9), services.EnrolmentNotYetOpen),
        (timedelta(days=-9), timedelta(days=-1), services.EnrolmentClosed),
    ],
)
def test_enrolment_only_between_the_terms_dates(peer, trainer, admin, opens, closes, error):
    now = now_utc()
    term = factories.make_term(enrolment_opens_at=now + opens, enrolment_closes_at=now + closes)
    course = factories.make_published_course(peer=peer, trainer=trainer, term=term)
    student = factories.make_student()
    with pytest.raises(error):
        services.enrol(student, course)
    assert statuses(course) == {}
    # An administrator may still enrol someone.
    assert services.enrol(student, course, override=True).status == EnrolmentStatus.ENROLLED


def test_no_enrolment_once_the_course_has_started(small_course):
    course = small_course()
    with pytest.raises(services.CourseAlreadyStarted):
        services.enrol(factories.make_student(), course, now=START + timedelta(minutes=1))


@pytest.mark.parametrize("status", [CourseStatus.DRAFT, CourseStatus.CANCELLED])
def test_no_enrolment_on_a_course_that_is_not_published(small_course, status):
    course = small_course()
    course.status = status
    db.session.flush()
    with pytest.raises(services.CourseNotOpen):
        services.enrol(factories.make_student(), course)
    with pytest.raises(services.CourseNotOpen):
        services.enrol(factories.make_student(), course, override=True)
    assert course.seats_taken == 0


def test_a_course_for_relatives_asks_only_that_people_say_they_belong(small_course):
    course = small_course(audience=Audience.RELATIVES)
    student = factories.make_student()
    with pytest.raises(services.ConfirmAudience):
        services.enrol(student, course)
    assert services.enrol(student, course, belongs=True).status == EnrolmentStatus.ENROLLED


def test_withdrawing_frees_the_place_when_no_one_waits(small_course):
    course = small_course()
    student = factories.make_student()
    enrolment = services.enrol(student, course)
    services.withdraw(student, enrolment)
    assert enrolment.status == EnrolmentStatus.WITHDRAWN
    assert course.seats_taken == 0
    assert subjects_to(student)[-1] == "Your withdrawal is confirmed — Recovery College"
    # Withdrawn people may sign up again, on the same row.
    again = services.enrol(student, course)
    assert again.id == enrolment.id and again.status == EnrolmentStatus.ENROLLED


def test_a_freed_place_is_held_for_the_head_of_the_list_for_48_hours(small_course):
    course = small_course(capacity=1)
    holder, head, second = factories.make_students(3)
    place = services.enrol(holder, course)
    first_in_line = services.enrol(head, course)
    services.enrol(second, course)
    now = now_utc()
    services.withdraw(holder, place, now=now)
    assert first_in_line.status == EnrolmentStatus.OFFERED
    assert first_in_line.offer_expires_at == now + timedelta(hours=48)
    assert course.seats_taken == 1
    assert subjects_to(head)[-1] == "A place is free for you — Recovery College"
    assert f"/me/enrolments/{first_in_line.id}/offer" in mail_to(head)[-1].text_body
    # No one can jump the queue: a newcomer waits behind the others.
    newcomer = services.enrol(factories.make_student(), course)
    assert newcomer.status == EnrolmentStatus.WAITLISTED
    assert waitlist_position(newcomer) == 2


def test_a_free_place_is_not_taken_by_a_newcomer_while_people_wait(small_course):
    course = small_course(capacity=1)
    holder, head = factories.make_students(2)
    place = services.enrol(holder, course)
    waiting = services.enrol(head, course)
    # A place free while someone still waits, as between an offer's end and the next one.
    db.session.execute(
        sa.update(Enrolment)
        .where(Enrolment.id == place.id)
        .values(status=EnrolmentStatus.WITHDRAWN)
    )
    db.session.execute(sa.update(Course).where(Course.id == course.id).values(seats_taken=0))
    db.session.expire_all()
    newcomer = services.enrol(factories.make_student(), course)
    assert newcomer.status == EnrolmentStatus.WAITLISTED
    assert waitlist_position(newcomer) == 2 and waitlist_position(waiting) == 1
    assert db.session.get_one(Course, course.id).seats_taken == 0


def test_the_offer_is_shorter_when_the_course_starts_soon(small_course):
    course = small_course(capacity=1)
    holder, head = factories.make_students(2)
    place = services.enrol(holder, course, now=START - timedelta(days=5))
    waiting = services.enrol(head, course, now=START - timedelta(days=5))
    now = START - timedelta(hours=30)
    services.withdraw(holder, place, now=now)
    assert waiting.status == EnrolmentStatus.OFFERED
    assert waiting.offer_expires_at == START - timedelta(hours=12)


def test_within_a_day_of_the_start_the_head_of_the_list_is_simply_enrolled(small_course):
    course = small_course(capacity=1)
    holder, head = factories.make_students(2)
    place = services.enrol(holder, course, now=START - timedelta(days=5))
    waiting = services.enrol(head, course, now=START - timedelta(days=5))
    services.withdraw(holder, place, now=START - timedelta(hours=20))
    assert waiting.status == EnrolmentStatus.ENROLLED
    assert subjects_to(head)[-1] == "You have a place — Recovery College"
    assert course.seats_taken == 1


def offered_course(small_course, waiting: int = 2):
    course = small_course(capacity=1)
    holder, *queue = factories.make_students(1 + waiting)
    place = services.enrol(holder, course)
    entries = [services.enrol(s, course) for s in queue]
    services.withdraw(holder, place)
    return course, queue, entries


def test_accepting_an_offer_gives_the_place_and_a_second_click_changes_nothing(small_course):
    course, (head, _), (offer, _) = offered_course(small_course)
    services.accept_offer(head, offer)
    assert offer.status == EnrolmentStatus.ENROLLED
    services.accept_offer(head, offer)
    assert offer.status == EnrolmentStatus.ENROLLED
    assert course.seats_taken == 1
    assert subjects_to(head).count("Your place is confirmed — Recovery College") == 1


def test_an_offer_is_only_for_its_person(small_course):
    _course, (_head, second), (offer, _) = offered_course(small_course)
    with pytest.raises(NotFound):
        services.accept_offer(second, offer)
    assert offer.status == EnrolmentStatus.OFFERED


def test_declining_passes_the_place_on_without_penalty(small_course):
    course, (head, _second), (offer, next_in_line) = offered_course(small_course)
    services.decline_offer(head, offer)
    assert offer.status == EnrolmentStatus.DECLINED
    assert next_in_line.status == EnrolmentStatus.OFFERED
    with pytest.raises(services.OfferNotAvailable):
        services.decline_offer(head, offer)
    with pytest.raises(services.OfferNotAvailable):
        services.accept_offer(head, offer)
    assert course.seats_taken == 1
    # "Not now" is no penalty: they may join again (at the back of the list).
    assert services.enrol(head, course).status == EnrolmentStatus.WAITLISTED


def test_an_unanswered_offer_expires_and_moves_on_exactly_once(small_course):
    course, (head, second), (offer, next_in_line) = offered_course(small_course)
    later = offer.offer_expires_at + timedelta(minutes=1)
    with pytest.raises(services.OfferNotAvailable):
        services.accept_offer(head, offer, now=later)
    assert services.expire_offers(now=later) == 1
    assert services.expire_offers(now=later) == 0
    assert offer.status == EnrolmentStatus.EXPIRED
    assert next_in_line.status == EnrolmentStatus.OFFERED
    assert subjects_to(second).count("A place is free for you — Recovery College") == 1
    assert subjects_to(head)[-1] == "About the place we held for you — Recovery College"
    assert course.seats_taken == 1


def test_an_expired_offer_with_no_one_behind_frees_the_place(small_course):
    course, (_head,), (offer,) = offered_course(small_course, waiting=1)
    assert services.expire_offers(now=offer.offer_expires_at) == 1
    assert course.seats_taken == 0


def test_raising_the_capacity_offers_the_new_places_in_order(small_course, admin):
    course, _queue, entries = offered_course(small_course, waiting=4)
    assert [e.status for e in entries] == ["offered", "waitlisted", "waitlisted", "waitlisted"]
    details = course_services.CourseDetails(
        title=course.title,
        summary=course.summary,
        description=course.description,
        topic=course.topic,
        audience=course.audience,
        format=course.format,
        capacity=3,
        required_programme=course.required_programme,
        term=course.term,
    )
    course_services.update_course(admin, course, details)
    assert [e.status for e in entries] == ["offered", "offered", "offered", "waitlisted"]
    assert waitlist_position(entries[3]) == 1
    assert course.seats_taken == 3


def test_an_admin_removal_passes_the_place_on_and_is_audited(small_course, admin):
    course = small_course(capacity=1)
    holder, head = factories.make_students(2)
    place = services.enrol(holder, course)
    waiting = services.enrol(head, course)
    services.remove_by_admin(admin, place)
    assert place.status == EnrolmentStatus.WITHDRAWN
    assert waiting.status == EnrolmentStatus.OFFERED
    query = sa.select(AuditEvent.action).where(AuditEvent.actor_id == admin.id)
    assert "enrolment.removed" in list(db.session.scalars(query))


def test_only_admins_remove_or_reorder(small_course):
    course = small_course(capacity=1)
    holder, head = factories.make_students(2)
    place = services.enrol(holder, course)
    waiting = services.enrol(head, course)
    with pytest.raises(Forbidden):
        services.remove_by_admin(head, place)
    with pytest.raises(Forbidden):
        services.move_in_queue(holder, waiting, -1)
    with pytest.raises(NotFound):
        services.withdraw(head, place)
    assert place.status == EnrolmentStatus.ENROLLED


def test_admins_reorder_the_waiting_list_and_it_is_audited(small_course, admin):
    course = small_course(capacity=1)
    services.enrol(factories.make_student(), course)
    a, b, c = (services.enrol(s, course) for s in factories.make_students(3))
    services.move_in_queue(admin, c, -1)
    assert [waitlist_position(e) for e in (a, b, c)] == [1, 3, 2]
    services.move_in_queue(admin, c, -1)
    assert [waitlist_position(e) for e in (a, b, c)] == [2, 3, 1]
    services.move_in_queue(admin, c, -1)  # already first: nothing changes
    assert waitlist_position(c) == 1
    moved = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "waitlist.moved"))
    assert len(list(moved)) == 2


def test_leaving_the_waiting_list_closes_the_gap(small_course):
    course = small_course(capacity=1)
    services.enrol(factories.make_student(), course)
    people = factories.make_students(3)
    a, b, c = (services.enrol(s, course) for s in people)
    services.withdraw(people[1], b)
    assert [waitlist_position(e) for e in (a, c)] == [1, 2]
    assert course.seats_taken == 1


def test_erasing_a_person_withdraws_them_and_passes_their_place_on(small_course, admin):
    course = small_course(capacity=1)
    holder, head = factories.make_students(2)
    place = services.enrol(holder, course)
    waiting = services.enrol(head, course)
    exported = privacy.export_person(holder)["enrolment"]
    assert exported["enrolments"][0]["course"] == course.title
    privacy.erase_person(admin, holder)
    assert place.status == EnrolmentStatus.WITHDRAWN
    assert waiting.status == EnrolmentStatus.OFFERED
    assert mail_to(holder) == []
