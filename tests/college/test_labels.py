"""Stored codes carry their labels, and rows read from the database hold enum members."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l

from college.extensions import db
from college.labels import LabelledEnum
from college.languages import force_language
from college.models import OutboxStatus, Role, UserRole
from courses.enrolment.models import Enrolment, EnrolmentStatus, RemovalReason
from courses.models import Course, CourseStatus, FacilitatorRole, Topic
from tests.factories import make_course, make_enrolment, make_peer, make_published_course


def forget_loaded_rows() -> None:
    """Forget what the session holds, so the next access reads the row from the database."""
    db.session.flush()
    db.session.expire_all()


def test_a_loaded_course_holds_members_that_name_themselves(app: Flask):
    course = make_course(status=CourseStatus.PUBLISHED, topic=Topic.CREATIVITY)
    forget_loaded_rows()

    loaded = db.session.get_one(Course, course.id)
    assert type(loaded.status) is CourseStatus
    assert type(loaded.topic) is Topic
    assert loaded.is_published and not loaded.is_draft
    with app.test_request_context(), force_language("en"):
        assert str(loaded.status.label) == "Published"
        assert str(loaded.topic.label) == "Creativity"
    with app.test_request_context(), force_language("da"):
        assert str(loaded.status.label) == "Offentliggjort"


def test_columns_selected_on_their_own_are_members_too(app: Flask):
    peer = make_peer()
    course = make_published_course()
    make_enrolment(course, status=EnrolmentStatus.WAITLISTED, waitlist_number=1)
    forget_loaded_rows()

    statuses = db.session.scalars(sa.select(Enrolment.status)).all()
    roles = db.session.scalars(sa.select(UserRole.role).where(UserRole.user_id == peer.id)).all()
    assert statuses == [EnrolmentStatus.WAITLISTED]
    assert all(type(status) is EnrolmentStatus for status in statuses)
    assert roles == [Role.PEER] and type(roles[0]) is Role


def test_the_database_keeps_the_plain_value(app: Flask):
    course = make_course(status=CourseStatus.CANCELLED)
    forget_loaded_rows()

    stored = db.session.execute(
        sa.text("SELECT status FROM courses WHERE id = :id"), {"id": course.id}
    ).scalar_one()
    assert stored == "cancelled" and type(stored) is str


def test_a_string_assigned_becomes_the_member_at_once(app: Flask):
    course = make_course()
    course.status = "archived"  # type: ignore[assignment]

    assert type(course.status) is CourseStatus
    assert course.is_archived


def test_an_unknown_code_is_refused_where_it_is_assigned(app: Flask):
    course = make_course()

    with pytest.raises(ValueError, match="publishd"):
        course.status = "publishd"  # type: ignore[assignment]


def test_a_code_no_longer_known_is_shown_as_it_is(app: Flask):
    with app.test_request_context(), force_language("en"):
        assert OutboxStatus.label_of("sent") == "Sent"
        assert OutboxStatus.label_of("bounced") == "bounced"


def test_choices_list_every_member_with_its_label_in_order(app: Flask):
    with app.test_request_context(), force_language("en"):
        choices = [(value, str(label)) for value, label in RemovalReason.choices()]
        assert choices[0] == ("asked", "They asked us to take them off")
        assert [value for value, _label in choices] == [reason.value for reason in RemovalReason]
        assert str(FacilitatorRole.PEER.label) == "Peer trainer"


def test_a_member_without_a_label_is_a_mistake_found_at_import():
    with pytest.raises(TypeError, match="needs a label"):

        class Colour(LabelledEnum):
            RED = "red", _l("Red")
            BLUE = "blue"


def test_a_query_for_an_unknown_code_finds_nothing(app: Flask):
    make_course(status=CourseStatus.PUBLISHED)

    assert db.session.scalars(sa.select(Course).where(Course.status == "publishd")).all() == []
