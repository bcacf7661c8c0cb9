"""The unit of work: a view's writes are committed together, once, or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from college import create_app, services, transactions
from college.db import reads_only
from college.errors import DomainError
from college.extensions import BindableSession, db
from college.models import AuditEvent, User
from tests import conftest, factories
from tests.conftest import PG_URL
from tests.factories import PASSWORD
from tests.servers import fresh_database

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


def in_autocommit() -> bool:
    """Whether the request's connection commits each statement by itself (psycopg's flag)."""
    driver_connection = db.session.connection().connection.dbapi_connection
    return bool(getattr(driver_connection, "autocommit", False))


@contextmanager
def fresh_app(engine_name: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on a new database of its own, whose views commit for real."""
    with fresh_database(engine_name, tmp_path, PG_URL) as url:
        application = create_app(conftest.test_config(url, tmp_path))
        conftest.upgrade_schema(application)
        try:
            yield application
        finally:
            with application.app_context():
                db.session.remove()
                db.engine.dispose()


def end_every_other_connection(url: str) -> int:
    """What a database restart does to the app's pooled connections."""
    killer = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with killer.connect() as connection:
        ended = connection.scalar(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    killer.dispose()
    return int(ended or 0)


@pytest.mark.committing
def test_after_a_database_restart_the_next_requests_are_served(
    engine_name: str, tmp_path: Path
) -> None:
    if engine_name != "postgresql":
        pytest.skip("SQLite has no connection to lose")
    with fresh_app(engine_name, tmp_path) as app:
        with app.app_context():
            person = factories.make_student(name="Rita Restart")
            db.session.commit()
            person_id, email = person.id, person.email
            db.session.remove()
        browser, visitor = app.test_client(), app.test_client()
        signed_in = browser.post("/auth/login", data={"email": email, "password": PASSWORD})
        assert signed_in.status_code == 302
        assert browser.get("/me/courses").status_code == 200
        assert visitor.get("/courses/").status_code == 200
        url = app.config["SQLALCHEMY_DATABASE_URI"]

        # Loading the signed-in person is the first thing a request asks the database.
        assert end_every_other_connection(url) >= 1
        page = browser.get("/me/courses")
        assert page.status_code == 200 and "<h1>My courses</h1>" in page.get_data(as_text=True)
        # A visitor's page asks first from inside the view's unit of work.
        assert end_every_other_connection(url) >= 1
        assert visitor.get("/courses/").status_code == 200
        # And a form is saved.
        assert end_every_other_connection(url) >= 1
        saved = browser.post("/me/settings", data={"language": "da", "discreet": "y"})
        assert saved.status_code == 302
        with app.app_context():
            assert db.session.get_one(User, person_id).language == "da"


@pytest.mark.committing
def test_a_get_of_a_view_that_only_reads_runs_without_a_transaction_and_may_not_write(
    engine_name: str, tmp_path: Path
) -> None:
    with fresh_app(engine_name, tmp_path) as app:

        @app.get("/probe/reads")
        @reads_only
        def reads() -> str:
            return str(in_autocommit())

        @app.get("/probe/writes")
        @reads_only
        def writes() -> str:
            db.session.add(AuditEvent(action="probe.wrote", target_type="probe"))
            return str(db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)))

        @app.get("/probe/plain")
        def plain() -> str:
            return str(in_autocommit())

        client = app.test_client()
        # PostgreSQL saves the BEGIN and COMMIT round trips; SQLite, in-process, has none.
        assert client.get("/probe/reads").get_data(as_text=True) == str(engine_name == "postgresql")
        assert client.get("/probe/plain").get_data(as_text=True) == "False"
        with pytest.raises(RuntimeError, match="reads_only"):
            client.get("/probe/writes")
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


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


@pytest.mark.committing
def test_a_refusal_shown_on_its_form_keeps_nothing_of_itself_and_the_rest_is_committed(
    engine_name: str, tmp_path: Path
) -> None:
    with fresh_app(engine_name, tmp_path) as app:

        @app.post("/probe/refused")
        def refused() -> tuple[str, int]:
            try:
                with db.session.begin_nested():
                    db.session.add(AuditEvent(action="probe.refused", target_type="probe"))
                    db.session.flush()
                    raise DomainError("Not like that.")
            except DomainError as error:
                # What the request does after showing the refusal is its own to keep.
                db.session.add(AuditEvent(action="probe.shown", target_type="probe"))
                return str(error), 400

        response = app.test_client().post("/probe/refused")
        assert (response.status_code, response.get_data(as_text=True)) == (400, "Not like that.")
        with app.app_context():
            actions = db.session.scalars(sa.select(AuditEvent.action)).all()
            assert actions == ["probe.shown"]
