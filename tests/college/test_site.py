"""Site-wide behaviour: language, headers, error pages, migrations, the CLI and the demo."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient

from college.extensions import db
from college.models import OutboxMessage, Role, User
from tests import factories


def test_language_follows_the_browser_then_the_switch(client: FlaskClient):
    page = client.get("/", headers={"Accept-Language": "da-DK,da;q=0.9"})
    assert b'<html lang="da">' in page.data
    client.post("/language", data={"language": "en", "next": "/privacy"})
    page = client.get("/", headers={"Accept-Language": "da"})
    assert b'<html lang="en">' in page.data


def test_language_switch_redirects_back_locally(client: FlaskClient):
    response = client.post("/language", data={"language": "da", "next": "/privacy"})
    assert response.headers["Location"] == "/privacy"
    response = client.post("/language", data={"language": "da", "next": "https://evil.example"})
    assert response.headers["Location"] == "/"
    response = client.post("/language", data={"language": "klingon"})
    assert response.status_code == 302


def test_language_of_a_signed_in_person_is_their_own(client: FlaskClient, auth):
    user = factories.make_student(language="da")
    auth.login(user)
    assert b'<html lang="da">' in client.get("/", headers={"Accept-Language": "en"}).data
    client.post("/language", data={"language": "en"})
    assert user.language == "en"


def test_security_headers(client: FlaskClient):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers
    secure = client.get("/", base_url="https://college.test")
    assert "max-age" in secure.headers["Strict-Transport-Security"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/no/such/page", 404),
        ("post", "/", 405),
        ("get", "/admin/people/not-a-number", 404),
        ("get", "/auth/reset/" + "x" * 5000, 400),
    ],
)
def test_error_pages_are_friendly(client: FlaskClient, method: str, path: str, status: int):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert b"skip-link" in response.data


def test_pages_render_in_both_languages(client: FlaskClient):
    for language in ("en", "da"):
        for path in [
            "/",
            "/privacy",
            "/accessibility",
            "/auth/login",
            "/auth/register",
            "/auth/reset",
        ]:
            response = client.get(path, headers={"Accept-Language": language})
            assert response.status_code == 200, (language, path)
            assert f'<html lang="{language}">'.encode() in response.data


def test_migrations_match_the_models(app: Flask):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_create_admin_command(runner, app: Flask):
    result = runner.invoke(
        args=["college", "create-admin", "Boss@Example.org", "--name", "Boss"],
        input="long enough password\nlong enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "boss@example.org"))
    assert user is not None and Role.ADMIN in user.roles


def test_create_admin_refuses_a_weak_password(runner):
    result = runner.invoke(
        args=["college", "create-admin", "boss@example.org"], input="password\npassword\n"
    )
    assert result.exit_code != 0
    assert db.session.scalar(sa.select(User)) is None


def test_demo_refuses_a_non_empty_database(runner):
    factories.make_student()
    result = runner.invoke(args=["college", "demo"])
    assert result.exit_code != 0
    assert "not empty" in result.output
    result = runner.invoke(args=["college", "demo", "--if-empty"])
    assert result.exit_code == 0


def test_demo_fills_an_empty_database(runner, client: FlaskClient):
    result = runner.invoke(args=["college", "demo"])
    assert result.exit_code == 0, result.output
    response = client.post(
        "/auth/login",
        data={"email": "admin@demo.recovery-college.example", "password": "college-demo"},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_production_refuses_demo_data_and_demo_logins(runner, app: Flask, monkeypatch, client):
    monkeypatch.setitem(app.config, "ALLOW_DEMO_LOGINS", False)
    result = runner.invoke(args=["college", "demo"])
    assert result.exit_code != 0
    assert "production" in result.output
    monkeypatch.setitem(app.config, "ALLOW_DEMO_LOGINS", True)
    runner.invoke(args=["college", "demo"])
    monkeypatch.setitem(app.config, "ALLOW_DEMO_LOGINS", False)
    response = client.post(
        "/auth/login",
        data={"email": "admin@demo.recovery-college.example", "password": "college-demo"},
    )
    assert response.status_code == 401


def test_production_needs_a_secret_key(monkeypatch, tmp_path):
    from college.config import ConfigurationError, load_config

    monkeypatch.setenv("COLLEGE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        load_config(tmp_path)
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    config = load_config(tmp_path)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["ALLOW_DEMO_LOGINS"] is False


def test_development_secret_is_generated_once(monkeypatch, tmp_path):
    from college.config import load_config

    monkeypatch.delenv("COLLEGE_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config(tmp_path)["SECRET_KEY"]
    assert first == load_config(tmp_path)["SECRET_KEY"]
    assert len(first) >= 40


def test_demo_does_not_replay_its_past_mail(runner):

    result = runner.invoke(args=["college", "demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
