"""The unit of work: a view's writes are committed together, once, or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from college import services, transactions
from college.errors import DomainError
from college.extensions import BindableSession, db
from college.models import AuditEvent, User
from tests.conftest import IN_CI, PG_URL, postgres_available

SETTINGS = "http://localhost/me/settings"


@pytest.fixture
def commits() -> Iterator[list[object]]:
    """Every commit of a session, in the order they happen."""
    seen: list[object] = []

    def note(session: Any) -> None:
        seen.append(session)

    sa.event.listen(BindableSession, "after_commit", note)
    yield seen
    sa.event.remove(BindableSession, "after_commit", note)


def change_settings(client: FlaskClient, **headers: str) -> Any:
    return client.post("/me/settings", data={"language": "da", "discreet": "y"}, headers=headers)


def test_a_views_writes_are_committed_once(
    client: FlaskClient, signed_in_student: User, commits: list[object]
) -> None:
    response = change_settings(client)
    assert response.status_code == 302
    assert len(commits) == 1
    assert db.session.get_one(User, signed_in_student.id).language == "da"


def refuse_after_writing(user: User, *, language: str, discreet: bool) -> None:
    user.display_name = "Changed before the refusal"
    services.record_audit(user, "user.viewed", user)
    db.session.flush()
    raise DomainError("That setting cannot be saved now.")


def test_a_refusal_rolls_back_everything_the_view_did_and_says_why(
    client: FlaskClient,
    signed_in_student: User,
    monkeypatch: pytest.MonkeyPatch,
    commits: list[object],
) -> None:
    audits_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    monkeypatch.setattr(services, "update_settings", refuse_after_writing)
    response = change_settings(client, Referer=SETTINGS)
    assert response.status_code == 303
    assert response.headers["Location"] == "/me/settings"
    page = client.get("/me/settings").get_data(as_text=True)
    assert "That setting cannot be saved now." in page
    student = db.session.get_one(User, signed_in_student.id)
    assert student.display_name == "Sam Student"
    assert student.language != "da"
    audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert audits == audits_before


def test_a_refusal_without_the_page_it_came_from_shows_the_error_page(
    client: FlaskClient, signed_in_student: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "update_settings", refuse_after_writing)
    response = change_settings(client)
    assert response.status_code == 400
    assert "That setting cannot be saved now." in response.get_data(as_text=True)
    assert db.session.get_one(User, signed_in_student.id).display_name == "Sam Student"


def busy_database() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("UPDATE users", {}, Exception("database is locked"))


def test_a_busy_database_runs_the_view_again_until_it_succeeds(
    client: FlaskClient,
    signed_in_student: User,
    monkeypatch: pytest.MonkeyPatch,
    commits: list[object],
) -> None:
    monkeypatch.setattr(transactions.time, "sleep", lambda seconds: None)
    update = services.update_settings
    calls: list[str] = []

    def busy_twice(user: User, *, language: str, discreet: bool) -> None:
        calls.append(language)
        user.display_name = f"Attempt {len(calls)}"
        db.session.flush()
        if len(calls) < 3:
            raise busy_database()
        update(user, language=language, discreet=discreet)

    monkeypatch.setattr(services, "update_settings", busy_twice)
    response = change_settings(client)
    assert response.status_code == 302
    assert len(calls) == 3
    assert len(commits) == 1
    student = db.session.get_one(User, signed_in_student.id)
    assert (student.display_name, student.language) == ("Attempt 3", "da")
    # The message of the view that succeeded is said once, not once per attempt.
    with client.session_transaction() as browser_session:
        saved = [m for m in browser_session["_flashes"] if m[1] == "Dine indstillinger er gemt."]
    assert len(saved) == 1


def test_a_database_that_stays_busy_is_a_calm_503(
    client: FlaskClient, signed_in_student: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transactions.time, "sleep", lambda seconds: None)

    def always_busy(user: User, *, language: str, discreet: bool) -> None:
        raise busy_database()

    monkeypatch.setattr(services, "update_settings", always_busy)
    response = change_settings(client, Referer=SETTINGS)
    assert response.status_code == 503
    assert "Please wait a moment and try again" in response.get_data(as_text=True)


def test_a_signup_that_stays_busy_says_so_in_its_own_words(
    client: FlaskClient, signed_in_student: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from courses.enrolment import services as enrolment_services

    monkeypatch.setattr(transactions.time, "sleep", lambda seconds: None)

    def always_busy(*args: Any, **kwargs: Any) -> None:
        raise busy_database()

    monkeypatch.setattr(enrolment_services, "sign_up", always_busy)
    response = client.post("/courses/any-course/enrol", data={})
    assert response.status_code == 503
    assert "Many people are signing up right now" in response.get_data(as_text=True)


def test_a_command_commits_when_it_finishes_and_rolls_back_when_it_fails(
    app: Flask, student: User
) -> None:
    group = transactions.CommandGroup("checks")

    @group.command("rename")
    @click.argument("name")
    def rename(name: str) -> None:
        db.session.get_one(User, student.id).display_name = name
        if name == "refused":
            raise click.ClickException("No.")

    app.cli.add_command(group)
    try:
        runner = app.test_cli_runner()
        assert runner.invoke(args=["checks", "rename", "Kept"]).exit_code == 0
        db.session.expire_all()
        assert db.session.get_one(User, student.id).display_name == "Kept"
        result = runner.invoke(args=["checks", "rename", "refused"])
        assert result.exit_code == 1 and "No." in result.output
        db.session.expire_all()
        assert db.session.get_one(User, student.id).display_name == "Kept"
    finally:
        app.cli.commands.pop("checks")


def test_a_connection_that_died_while_idle_is_replaced_unseen(app: Flask) -> None:
    problem = postgres_available(PG_URL)
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but not reachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    engine = sa.create_engine(PG_URL, **app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    try:
        with engine.connect() as connection:
            first = connection.scalar(sa.text("SELECT pg_backend_pid()"))
        killer = sa.create_engine(PG_URL)
        with killer.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        killer.dispose()
        with engine.connect() as connection:
            second = connection.scalar(sa.text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        engine.dispose()


def test_a_gets_bookkeeping_is_committed_with_the_page(
    client: FlaskClient, signed_in_admin: User, student: User, commits: list[object]
) -> None:
    response = client.get(f"/admin/people/{student.id}")
    assert response.status_code == 200
    assert len(commits) == 1
    viewed = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "user.viewed", AuditEvent.actor_id == signed_in_admin.id
        )
    ).all()
    assert len(viewed) == 1
