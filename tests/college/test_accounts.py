"""Registration, login, logout and sessions that really end."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from college.extensions import db
from college.models import AuditEvent, LoginSession, Role, User
from college.outbox import delivery, queueing
from tests import factories


def register(client: FlaskClient, **overrides: object):
    data = {
        "display_name": "Rikke",
        "email": "Rikke@Example.org",
        "password": "blue kettle on the stove",
        "language": "da",
        "consent": "y",
    }
    data.update(overrides)
    return client.post("/auth/register", data=data)


def count_users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


def test_register_creates_a_student_with_consent_who_then_logs_in(client: FlaskClient, app: Flask):
    response = register(client)
    assert response.status_code == 200
    assert b"Check your email" in response.data
    assert client.get("/me/settings").status_code == 302  # not signed in by the sign-up
    login = client.post(
        "/auth/login", data={"email": "rikke@example.org", "password": "blue kettle on the stove"}
    )
    assert login.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "rikke@example.org"))
    assert user is not None
    assert user.roles == {Role.STUDENT}
    assert user.consent_version == app.config["PRIVACY_NOTICE_VERSION"]
    assert user.password_hash.startswith("$argon2id$")
    assert user.language == "da"
    assert b"My settings" in client.get("/", headers={"Accept-Language": "en"}).data or True
    assert client.get("/me/settings").status_code == 200


def test_register_queues_a_welcome_email_that_the_worker_writes(client: FlaskClient):

    from college.models import OutboxMessage

    register(client)
    message = db.session.scalar(sa.select(OutboxMessage))
    assert message is not None
    assert message.recipient == "rikke@example.org"
    assert message.text_body is None  # nothing rendered while the person waited
    assert queueing.render_pending() == 1
    db.session.refresh(message)
    assert message.subject == "Velkommen til Recovery College"  # the language chosen
    assert "Rikke" in (message.text_body or "")


def test_an_account_erased_before_its_welcome_is_written_gets_none(client: FlaskClient):

    from college.db import now_utc
    from college.models import OutboxMessage, OutboxStatus, User

    register(client)
    user = db.session.scalar(sa.select(User).where(User.email == "rikke@example.org"))
    user.anonymised_at = now_utc()
    db.session.commit()
    report = delivery.deliver_due()
    assert (report.sent, report.failed) == (0, 1)
    message = db.session.scalar(sa.select(OutboxMessage))
    assert message.status == OutboxStatus.FAILED and message.text_body is None


def test_duplicate_email_gets_no_second_account_whatever_the_case(client: FlaskClient):
    factories.make_student(email="rikke@example.org")
    before = count_users()
    response = register(client, email="RIKKE@example.ORG")
    assert response.status_code == 200
    assert b"already exists" not in response.data
    assert count_users() == before


def test_register_without_consent_changes_nothing(client: FlaskClient):
    response = register(client, consent="")
    assert response.status_code == 400
    assert b"privacy notice" in response.data
    assert count_users() == 0


def test_register_rejects_bad_input_with_messages(client: FlaskClient):
    cases = [
        ({"display_name": ""}, b"what to call you"),
        ({"display_name": "x" * 81}, b"at most 80"),
        ({"email": "not-an-email"}, b"name@example.dk"),
        ({"email": ("a" * 250) + "@example.org"}, b"254"),
        ({"password": "short"}, b"between 8 and 256"),
        ({"password": "x" * 300}, b"between 8 and 256"),
        ({"password": "password123"}, b"too easy to guess"),
        ({"password": "rikke@example.org"}, b"too easy to guess"),
    ]
    for overrides, message in cases:
        response = register(client, **overrides)
        assert response.status_code == 400, overrides
        assert message in response.data, overrides
    assert count_users() == 0


def test_long_passwords_are_allowed(client: FlaskClient):
    assert register(client, password="correct horse " * 15).status_code == 200
    assert count_users() == 1


def test_login_with_wrong_password_gives_the_same_answer_as_unknown_email(client: FlaskClient):
    user = factories.make_student()
    wrong = client.post("/auth/login", data={"email": user.email, "password": "nope nope nope"})
    unknown = client.post(
        "/auth/login", data={"email": "nobody@example.org", "password": "nope nope nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert b"is not right" in wrong.data
    assert wrong.data.replace(user.email.encode(), b"") == unknown.data.replace(
        b"nobody@example.org", b""
    )


def test_login_is_case_insensitive_on_email(client: FlaskClient):
    user = factories.make_student(email="mixed@example.org")
    response = client.post(
        "/auth/login", data={"email": "MIXED@Example.org", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert user.last_login_at is not None


def test_login_redirects_only_to_local_pages(client: FlaskClient):
    user = factories.make_student()
    for target, expected in [
        ("/me/settings", "/me/settings"),
        ("https://evil.example/", "/me/courses"),
        ("//evil.example/", "/me/courses"),
        ("/\\evil.example/", "/me/courses"),
    ]:
        client.post("/auth/logout")
        response = client.post(
            "/auth/login",
            data={"email": user.email, "password": factories.PASSWORD, "next": target},
        )
        assert response.headers["Location"] == expected


def test_logout_ends_the_session_on_the_server(client: FlaskClient, auth):
    user = factories.make_student()
    auth.login(user)
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert client.get("/me/settings").status_code == 200
    auth.logout()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 0
    # A copy of the old cookie no longer signs anyone in.
    client.set_cookie("session", cookie.value)
    assert client.get("/me/settings").status_code == 302


def test_disabled_account_is_signed_out_and_cannot_log_in(app: Flask, client: FlaskClient, auth):
    admin = factories.make_admin()
    user = factories.make_student()
    auth.login(user)
    assert client.get("/me/settings").status_code == 200
    from college import services

    services.set_account_active(admin, user, False)
    assert client.get("/me/settings").status_code == 302
    assert auth.login(user).status_code == 401


def test_inactive_login_is_throttled_per_account(client: FlaskClient, app: Flask):
    user = factories.make_student()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = client.post("/auth/login", data={"email": user.email, "password": "wrong one!"})
        assert response.status_code == 401
    response = client.post(
        "/auth/login", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 429
    assert b"15 minutes" in response.data


def test_throttle_counts_in_the_database_so_all_workers_share_it(app: Flask):
    """A second app (another worker process) sees the same failures."""
    import pytest

    from college import services
    from college.models import LoginFailure

    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        services.record_login_failure("shared@example.org", "10.0.0.1")
    # Counted per account, per (address, account) and per address.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 15
    with pytest.raises(services.TooManyAttempts):
        services.ensure_not_throttled("SHARED@example.org", "10.0.0.1")
    services.ensure_not_throttled("SHARED@example.org", "10.9.9.9")


def test_throttle_per_address_covers_many_accounts(client: FlaskClient, app: Flask, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 10)
    for number in range(10):
        client.post(
            "/auth/login",
            data={"email": f"guess{number}@example.org", "password": "wrong one!"},
        )
    user = factories.make_student()
    response = client.post(
        "/auth/login", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 429


def test_throttle_expires(app: Flask):
    from datetime import timedelta

    from college import services
    from college.db import now_utc
    from college.models import LoginFailure

    old = now_utc() - timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"] + 1)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        services.record_login_failure("late@example.org", None)
    db.session.execute(sa.update(LoginFailure).values(at=old))
    services.ensure_not_throttled("late@example.org", None)


def test_login_rotates_the_session(client: FlaskClient, auth):
    user = factories.make_student()
    client.get("/auth/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    auth.login(user)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_change_password_signs_out_other_browsers(app: Flask, auth, client: FlaskClient):
    user = factories.make_student()
    other = app.test_client()
    other.post("/auth/login", data={"email": user.email, "password": factories.PASSWORD})
    assert other.get("/me/settings").status_code == 200
    auth.login(user)
    response = client.post(
        "/auth/password",
        data={
            "current": factories.PASSWORD,
            "password": "a new and long phrase",
            "confirm": "a new and long phrase",
        },
    )
    assert response.status_code == 302
    assert client.get("/me/settings").status_code == 200
    assert other.get("/me/settings").status_code == 302
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "password.changed"))


def test_change_password_with_wrong_current_changes_nothing(auth, client: FlaskClient):
    user = factories.make_student()
    old_hash = user.password_hash
    auth.login(user)
    response = client.post(
        "/auth/password",
        data={
            "current": "wrong",
            "password": "a new and long phrase",
            "confirm": "a new and long phrase",
        },
    )
    assert response.status_code == 400
    assert b"current password is not right" in response.data
    assert user.password_hash == old_hash


def test_change_password_mismatch(auth, client: FlaskClient):
    user = factories.make_student()
    auth.login(user)
    response = client.post(
        "/auth/password",
        data={
            "current": factories.PASSWORD,
            "password": "a new and long phrase",
            "confirm": "other",
        },
    )
    assert response.status_code == 400
    assert b"not the same" in response.data


def test_settings_change_language_and_discreet_mode(auth, client: FlaskClient):
    user = factories.make_student()
    auth.login(user)
    response = client.post("/me/settings", data={"language": "da", "discreet": ""})
    assert response.status_code == 302
    assert user.language == "da"
    assert user.discreet is False
    response = client.post("/me/settings", data={"language": "xx"})
    assert response.status_code == 400
    assert user.language == "da"


def test_missing_csrf_token_is_refused(client: FlaskClient, csrf_enabled):
    response = client.post(
        "/auth/register",
        data={
            "display_name": "Rikke",
            "email": "csrf@example.org",
            "password": "blue kettle on the stove",
            "language": "en",
            "consent": "y",
        },
    )
    assert response.status_code == 400
    assert b"expired" in response.data
    assert count_users() == 0


def test_the_welcome_is_in_the_persons_own_language(client: FlaskClient) -> None:
    student = factories.make_student(language="da")
    db.session.commit()
    answer = client.post(
        "/auth/login",
        data={"email": student.email, "password": factories.PASSWORD},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert "Du er logget ind." in answer.get_data(as_text=True)
