"""The data version: raised by every committed change of what pages show, and by nothing else."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from college import data_version
from college.extensions import db
from college.models import AuditEvent, DataVersion
from courses.models import Course
from tests import factories


def version() -> int:
    found = db.session.scalar(
        sa.select(DataVersion.version).where(DataVersion.name == data_version.DATA)
    )
    return found or 0


def test_a_committed_change_raises_the_version(app: Flask) -> None:
    before = version()
    factories.make_venue(name="Hall")
    db.session.commit()
    assert version() == before + 1


def test_a_bulk_update_raises_the_version(app: Flask) -> None:
    course = factories.make_course()
    db.session.commit()
    before = version()
    db.session.execute(sa.update(Course).where(Course.id == course.id).values(capacity=3))
    db.session.commit()
    assert version() == before + 1


def test_a_write_past_the_orm_raises_the_version_once_marked(app: Flask) -> None:
    course = factories.make_course()
    db.session.commit()
    before = version()
    statement = sa.update(Course).where(Course.id == course.id).values(capacity=3)
    db.session.connection().execute(statement)
    data_version.mark_changed(db.session())
    db.session.commit()
    assert version() == before + 1


def test_a_plain_add_in_a_savepoint_raises_the_version_at_the_commit(app: Flask) -> None:
    before = version()
    with db.session.begin_nested():
        db.session.add(factories.make_venue(name="Hall"))
    db.session.commit()
    assert version() == before + 1


def test_a_rolled_back_change_leaves_the_version(app: Flask) -> None:
    before = version()
    factories.make_venue(name="Hall")
    db.session.rollback()
    db.session.commit()
    assert version() == before


def test_bookkeeping_is_not_a_change_of_data(app: Flask) -> None:
    person = factories.make_student()
    db.session.commit()
    before = version()
    db.session.add(
        AuditEvent(actor_id=person.id, action="person.viewed", target_type="user", target_id=1)
    )
    person.last_login_at = factories.FIRST_SESSION
    db.session.commit()
    assert version() == before
    person.display_name = "Another name"
    db.session.commit()
    assert version() == before + 1


def test_signing_in_and_loading_the_person_leave_the_version(
    app: Flask, client: FlaskClient, count_queries: object
) -> None:
    student = factories.make_student()
    db.session.commit()
    before = version()
    client.post("/auth/login", data={"email": student.email, "password": factories.PASSWORD})
    with count_queries() as counter:  # type: ignore[operator]
        assert client.get("/me/courses").status_code == 200
    assert version() == before
    # Loading the person reads their sign-in and roles, never the data version.
    assert not any("data_versions" in s for s in counter.statements)


def test_the_version_can_be_imported_without_sign_ins_services_or_mail() -> None:
    check = (
        "import sys, college.data_version; "
        "print(sorted(m for m in ('college.auth', 'college.services', 'college.outbox',"
        " 'college.page_cache') if m in sys.modules))"
    )
    found = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "[]"
