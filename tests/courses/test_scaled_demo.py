"""The region-sized data set: its size grows with the scale, and it keeps the college's rules."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import aliased

from college import demo
from college.extensions import db
from college.models import Qualification, User
from courses import scaled, services
from courses.enrolment.models import (
    Attendance,
    Enrolment,
    EnrolmentStatus,
    Feedback,
)
from courses.enrolment.scaled import KEEN_STUDENT_ENROLMENTS
from courses.models import (
    Course,
    CourseSession,
    CourseStatus,
    FacilitatorRole,
    SessionFacilitator,
    SessionStatus,
    Term,
)
from peers.models import Absence, CoverOffer, CoverRequest, CoverStatus, OfferStatus

SEAT_HOLDING = (EnrolmentStatus.ENROLLED, EnrolmentStatus.OFFERED)
TAKING_PART = (*SEAT_HOLDING, EnrolmentStatus.WAITLISTED)


def count(model: type, *conditions: object) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions)) or 0


def bulk_courses() -> list[Course]:
    return list(
        db.session.scalars(
            sa.select(Course)
            .where(Course.slug.like("hold-%"), Course.slug.not_like("hold-busy-%"))
            .order_by(Course.id)
        )
    )


@pytest.mark.parametrize("scale", [0.02, 0.05])
def test_the_data_grows_in_proportion_to_the_scale(client: FlaskClient, scale: float):
    built = demo.seed_scaled(scale)
    courses = bulk_courses()
    ids = [course.id for course in courses]
    # At scale 1: 5 terms, 1,000 courses, 10,000 sessions, 20,000 students,
    # 60,000 enrolments and waiting-list entries, 100 peers with absences and cover.
    assert count(Term) == 5
    assert len(courses) == round(1000 * scale)
    assert len(built.bulk_student_ids) == round(20000 * scale)
    assert len(built.bulk_peer_ids) == round(100 * scale)
    sessions = count(CourseSession, CourseSession.course_id.in_(ids))
    assert 9 * len(courses) <= sessions <= 11 * len(courses)
    enrolments = count(Enrolment, Enrolment.course_id.in_(ids))
    assert 50 * len(courses) <= enrolments <= 70 * len(courses)
    assert count(Absence, Absence.user_id.in_(built.bulk_peer_ids)) >= len(built.bulk_peer_ids)
    assert count(CoverRequest, CoverRequest.status == CoverStatus.FILLED) > 0
    assert count(Feedback, Feedback.course_id.in_(ids)) > 0
    # The people the benchmark looks for are there at any scale.
    busy = db.session.scalar(sa.select(User).where(User.email == scaled.BUSY_PEER_EMAIL))
    assert busy is not None
    assert count(SessionFacilitator, SessionFacilitator.user_id == busy.id) == 500
    keenest = db.session.execute(
        sa.select(Enrolment.student_id, sa.func.count())
        .group_by(Enrolment.student_id)
        .order_by(sa.func.count().desc())
        .limit(1)
    ).one()
    assert keenest[0] == built.student_ids[0]
    assert keenest[1] >= min(KEEN_STUDENT_ENROLMENTS, len(courses) // 3)
    page = client.get("/api/v1/courses?per_page=100&begun=1").get_json()
    listed = count(
        Course,
        Course.status == CourseStatus.PUBLISHED,
        Course.term.has(Term.ends_on >= built.today),
    )
    assert page["total"] == listed


def test_the_scaled_data_keeps_the_rules(client: FlaskClient):
    built = demo.seed_scaled(0.03)
    courses = bulk_courses()
    ids = [course.id for course in courses]
    statuses = {course.status for course in courses}
    assert statuses == {CourseStatus.PUBLISHED, CourseStatus.ARCHIVED}
    published = [c for c in courses if c.status == CourseStatus.PUBLISHED]
    for course in published:
        assert services.publication_problems(course) == []
    assert_every_session_has_its_pair(ids)
    assert_nobody_is_booked_twice_at_once(ids)
    assert_places_match_enrolments(courses)
    assert_waiting_lists_have_no_gaps(ids)
    assert_finished_courses_have_registers_and_feedback(built, courses)
    assert_cover_went_to_free_qualified_colleagues()


def assert_every_session_has_its_pair(course_ids: list[int]) -> None:
    def staffed(role: FacilitatorRole) -> sa.Exists:
        return sa.exists().where(
            SessionFacilitator.session_id == CourseSession.id, SessionFacilitator.role == role
        )

    unstaffed = db.session.scalars(
        sa.select(CourseSession.id).where(
            CourseSession.course_id.in_(course_ids),
            CourseSession.status == SessionStatus.SCHEDULED,
            sa.or_(~staffed(FacilitatorRole.PEER), ~staffed(FacilitatorRole.PROFESSIONAL)),
        )
    ).all()
    assert unstaffed == []
    unqualified = db.session.execute(
        sa.select(SessionFacilitator.user_id, Course.required_programme)
        .join(CourseSession, SessionFacilitator.session_id == CourseSession.id)
        .join(Course, CourseSession.course_id == Course.id)
        .where(
            SessionFacilitator.role == FacilitatorRole.PEER,
            ~sa.exists().where(
                Qualification.user_id == SessionFacilitator.user_id,
                Qualification.programme == Course.required_programme,
            ),
        )
    ).all()
    assert unqualified == []


def overlapping(this: Any, other: Any) -> list[Any]:
    """Two scheduled sessions that share a moment."""
    return [
        this.status == SessionStatus.SCHEDULED,
        other.status == SessionStatus.SCHEDULED,
        other.starts_at < this.ends_at,
        other.ends_at > this.starts_at,
    ]


def assert_nobody_is_booked_twice_at_once(course_ids: list[int]) -> None:
    this, other = aliased(CourseSession), aliased(CourseSession)
    mine, theirs = aliased(SessionFacilitator), aliased(SessionFacilitator)
    teaching = db.session.execute(
        sa.select(mine.user_id, this.id, other.id)
        .join(this, mine.session_id == this.id)
        .join(theirs, sa.and_(theirs.user_id == mine.user_id, theirs.session_id != this.id))
        .join(other, theirs.session_id == other.id)
        .where(
            *overlapping(this, other),
        )
        .limit(5)
    ).all()
    assert teaching == []
    one, two = aliased(Enrolment), aliased(Enrolment)
    learning = db.session.execute(
        sa.select(one.student_id, this.id, other.id)
        .join(two, sa.and_(two.student_id == one.student_id, two.course_id != one.course_id))
        .join(this, this.course_id == one.course_id)
        .join(other, other.course_id == two.course_id)
        .where(
            # The bulk courses' places; the small demo's own are taken through the services.
            one.course_id.in_(course_ids),
            one.status.in_(TAKING_PART),
            two.status.in_(TAKING_PART),
            *overlapping(this, other),
        )
        .limit(5)
    ).all()
    assert learning == []


def assert_places_match_enrolments(courses: list[Course]) -> None:
    holding = dict(
        db.session.execute(
            sa.select(Enrolment.course_id, sa.func.count())
            .where(Enrolment.status.in_(SEAT_HOLDING))
            .group_by(Enrolment.course_id)
        ).all()
    )
    for course in courses:
        assert course.seats_taken == holding.get(course.id, 0) <= course.capacity
    # Some courses are full with a queue, some have a place held for the head of it.
    assert any(c.seats_taken == c.capacity for c in courses)
    assert count(Enrolment, Enrolment.status == EnrolmentStatus.OFFERED) > 0
    assert count(Enrolment, Enrolment.status == EnrolmentStatus.WITHDRAWN) > 0


def assert_waiting_lists_have_no_gaps(course_ids: list[int]) -> None:
    rows = db.session.execute(
        sa.select(Enrolment.course_id, Enrolment.waitlist_number, Enrolment.status)
        .where(
            Enrolment.course_id.in_(course_ids),
            Enrolment.status.in_([EnrolmentStatus.WAITLISTED, EnrolmentStatus.OFFERED]),
        )
        .order_by(Enrolment.course_id, Enrolment.waitlist_number)
    ).all()
    queues: dict[int, list[tuple[int, str]]] = {}
    for course_id, number, status in rows:
        queues.setdefault(course_id, []).append((number, status))
    assert queues
    for queue in queues.values():
        assert [number for number, _ in queue] == list(range(1, len(queue) + 1))
        # Only the head of a list can hold an offer.
        assert all(status == EnrolmentStatus.WAITLISTED for _, status in queue[1:])


def assert_finished_courses_have_registers_and_feedback(
    built: demo.ScaledCollege, courses: list[Course]
) -> None:
    finished = [c for c in courses if c.term.ends_on < built.today]
    assert len({c.term_id for c in finished}) == 3
    for course in finished[:5]:
        held = course.scheduled_sessions
        enrolled = count(
            Enrolment,
            Enrolment.course_id == course.id,
            Enrolment.status == EnrolmentStatus.ENROLLED,
        )
        marks = count(Attendance, Attendance.session_id.in_([s.id for s in held]))
        assert marks == enrolled * len(held)
        given = count(Enrolment, Enrolment.course_id == course.id, Enrolment.feedback_given)
        assert count(Feedback, Feedback.course_id == course.id) == given > 0
    admin = db.session.get(User, built.admin_id)
    assert admin is not None
    done = next(c for c in finished if c.status == CourseStatus.PUBLISHED)
    services.archive_course(admin, done)
    assert done.status == CourseStatus.ARCHIVED


def assert_cover_went_to_free_qualified_colleagues() -> None:
    filled = list(
        db.session.scalars(sa.select(CoverRequest).where(CoverRequest.status == CoverStatus.FILLED))
    )
    assert filled
    for request in filled:
        people = {f.user_id for f in request.session.facilitators}
        assert request.filled_by_id in people
        assert request.absent_user_id not in people
        accepted = [o for o in request.offers if o.status == OfferStatus.ACCEPTED]
        assert [o.user_id for o in accepted] == [request.filled_by_id]
        assert request.session.sequence >= 1
    # Nobody took over a session while away themselves.
    away = db.session.execute(
        sa.select(CoverOffer.id)
        .join(CoverRequest, CoverOffer.request_id == CoverRequest.id)
        .join(CourseSession, CoverRequest.session_id == CourseSession.id)
        .join(Absence, Absence.user_id == CoverOffer.user_id)
        .where(
            CoverOffer.status == OfferStatus.ACCEPTED,
            Absence.starts_at < CourseSession.ends_at,
            Absence.ends_at > CourseSession.starts_at,
        )
    ).all()
    assert away == []
