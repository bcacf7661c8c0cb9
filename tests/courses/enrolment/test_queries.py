"""My courses answers with a fixed number of SQL queries, however long the history."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm
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


def enrol_through_the_site(
    client: FlaskClient, auth, slug: str, count_queries
) -> tuple[list[str], list[int]]:
    """The statements of one press of "enrol", and how many had run at each commit."""
    student = factories.make_student()
    db.session.flush()
    auth.login(student)
    db.session.expire_all()
    commits: list[int] = []
    with count_queries() as counter:

        def count_commit(session: sa.orm.Session) -> None:
            commits.append(len(counter.statements))

        sa.event.listen(sa.orm.Session, "after_commit", count_commit)
        try:
            answer = client.post(f"/courses/{slug}/enrol")
        finally:
            sa.event.remove(sa.orm.Session, "after_commit", count_commit)
    assert answer.status_code in (302, 303)
    return counter.statements, commits


# Budgets, not a script: simpler code passes as long as it stays within them. A sign-up
# is 7 today: the person, the course with their own row, the lock, the seat or the queue,
# the enrolment, the messages and the data version. Every statement is a round trip, and
# on two processors the round trips are most of a sign-up's cost.
SIGN_UP_BUDGET = 8
# While the course row is held the next person waits, so only the seat, the queue and the
# writes happen then; everything else (the course, its sessions, the student) is read before.
WHILE_HELD_BUDGET = 5


def test_an_enrolment_costs_the_same_queries_however_many_sessions(
    client: FlaskClient, auth, peer: User, trainer: User, count_queries
):
    counts = {}
    for sessions in (2, 8):
        course = factories.make_published_course(
            peer=peer, trainer=trainer, sessions=sessions, capacity=1
        )
        seat, seat_commits = enrol_through_the_site(client, auth, course.slug, count_queries)
        queue, queue_commits = enrol_through_the_site(client, auth, course.slug, count_queries)
        counts[sessions] = (len(seat), len(queue))
        inserts = [s for s in seat if s.lstrip().startswith("INSERT INTO outbox_messages")]
        # One statement for the confirmation and all the invitations; nothing rendered.
        assert len(inserts) == 1
        for statements in (seat, queue):
            assert len(statements) <= SIGN_UP_BUDGET, statements
        if db.engine.dialect.name == "postgresql":
            for statements, commits in ((seat, seat_commits), (queue, queue_commits)):
                locked = next(i for i, s in enumerate(statements) if "FOR UPDATE" in s)
                released = next(n for n in commits if n > locked)
                held = statements[locked + 1 : released]
                assert len(held) <= WHILE_HELD_BUDGET, held
                read_while_held = [s for s in held if s.lstrip().startswith("SELECT")]
                assert not any("course_sessions" in s or "users" in s for s in read_while_held)
    assert counts[2] == counts[8], counts
    print("SQL per enrolment through the site (seat, waiting list):", counts[2])
