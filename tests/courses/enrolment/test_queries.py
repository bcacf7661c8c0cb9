"""My courses answers with a fixed number of SQL queries, however long the history."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from college.db import now_utc
from college.extensions import db
from college.models import User
from courses.enrolment.models import Attendance, AttendanceStatus, EnrolmentStatus
from tests import factories


def add_history(student: User, peer: User, trainer: User, rounds: int, offset: int) -> None:
    """Per round: a coming course, a place in a queue behind someone, a course attended."""
    now = now_utc()
    venue = factories.make_venue()
    for number in range(offset, offset + rounds):
        coming = factories.make_published_course(
            peer=peer,
            trainer=trainer,
            venue=venue,
            first_start=now + timedelta(days=10, hours=number),
        )
        factories.make_enrolment(coming, student)
        full = factories.make_published_course(
            peer=peer, trainer=trainer, first_start=now + timedelta(days=40, hours=number)
        )
        factories.make_enrolment(full, status=EnrolmentStatus.WAITLISTED, waitlist_number=1)
        factories.make_enrolment(
            full, student, status=EnrolmentStatus.WAITLISTED, waitlist_number=2
        )
        done = factories.make_published_course(
            peer=peer, trainer=trainer, first_start=now - timedelta(days=60, hours=number)
        )
        factories.make_enrolment(done, student)
        for session in done.sessions:
            db.session.add(
                Attendance(
                    session=session,
                    student_id=student.id,
                    status=AttendanceStatus.PRESENT,
                    recorded_by_id=trainer.id,
                )
            )
    db.session.flush()


def my_courses_page(client: FlaskClient, count_queries) -> tuple[str, int]:
    with count_queries() as counter:
        answer = client.get("/me/courses")
    assert answer.status_code == 200
    return answer.get_data(as_text=True), counter.count


def test_my_courses_queries_do_not_grow_with_the_history(
    client: FlaskClient, auth, peer: User, trainer: User, count_queries
):
    student = factories.make_student()
    auth.login(student)
    add_history(student, peer, trainer, rounds=1, offset=0)
    page, few = my_courses_page(client, count_queries)
    assert page.count("You are number 2 in the queue.") == 1
    assert page.count("Certificate of participation") == 1
    add_history(student, peer, trainer, rounds=8, offset=1)
    page, many = my_courses_page(client, count_queries)
    assert page.count("You are number 2 in the queue.") == 9
    assert page.count("Certificate of participation") == 9
    assert page.count("Next session") == 18
    assert few == many


def enrol_through_the_site(client: FlaskClient, auth, slug: str, count_queries) -> list[str]:
    student = factories.make_student()
    db.session.flush()
    auth.login(student)
    db.session.expire_all()
    with count_queries() as counter:
        answer = client.post(f"/courses/{slug}/enrol")
    assert answer.status_code in (302, 303)
    return counter.statements


def test_an_enrolment_costs_the_same_queries_however_many_sessions(
    client: FlaskClient, auth, peer: User, trainer: User, count_queries
):
    counts = {}
    for sessions in (2, 8):
        course = factories.make_published_course(
            peer=peer, trainer=trainer, sessions=sessions, capacity=1
        )
        place = enrol_through_the_site(client, auth, course.slug, count_queries)
        queue = enrol_through_the_site(client, auth, course.slug, count_queries)
        counts[sessions] = (len(place), len(queue))
        inserts = [s for s in place if s.lstrip().startswith("INSERT INTO outbox_messages")]
        # One statement for the confirmation and all the invitations; nothing rendered.
        assert len(inserts) == 1
        # The answer is worded after the commit without reading the person again.
        for statements in (place, queue):
            last_write = max(i for i, s in enumerate(statements) if s.lstrip()[:6] == "INSERT")
            assert not statements[last_write + 1 :], statements[last_write:]
        if db.engine.dialect.name == "postgresql":
            # While the course row is held, only writes, and for the waiting list one read
            # (the queue): the course, its sessions and the student's row were all read
            # before the lock, and a place is taken only while nobody waits. The data
            # version is raised in the new row's INSERT, not in a statement of its own.
            for statements, reads in ((place, 0), (queue, 1)):
                locked = next(i for i, s in enumerate(statements) if "FOR UPDATE" in s)
                held = statements[locked + 1 :]
                words = [s.lstrip().split()[0] for s in held]
                assert words.count("SELECT") == reads, held
                assert set(words) <= {"SELECT", "UPDATE", "INSERT", "WITH"}, held
                versions = [s for s in held if "data_versions" in s]
                assert len(versions) == 1 and "INSERT INTO enrolments" in versions[0], held
    assert counts[2] == counts[8], counts
    print("SQL per enrolment through the site (place, queue):", counts[2])
