"""Throttles that stop guessing without locking anyone out, and a sign-up that reveals nothing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from college import services
from college.extensions import db
from college.models import OutboxMessage, User
from college.outbox import queueing
from tests import factories

WRONG = "not the password at all"


def login(client: FlaskClient, email: str, password: str, address: str = "10.0.0.1") -> int:
    response = client.post(
        "/auth/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    client.post("/auth/logout")
    return response.status_code


def written_mail() -> list[OutboxMessage]:
    queueing.render_pending()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def visible_text(html: bytes) -> str:
    """The page without its form token, which differs on every answer anyway."""
    return re.sub(r'name="csrf_token"[^>]*>', "", html.decode())


# --- sign-up ---------------------------------------------------------------------------------


def sign_up(client: FlaskClient, email: str, address: str = "10.0.0.1"):
    return client.post(
        "/auth/register",
        data={
            "display_name": "Someone",
            "email": email,
            "password": "blue kettle on the stove",
            "language": "en",
            "consent": "y",
        },
        environ_base={"REMOTE_ADDR": address},
    )


def test_signing_up_with_a_taken_address_answers_exactly_as_a_new_one(
    app: Flask, client: FlaskClient
):
    owner = factories.make_student(email="taken@example.org", language="en")
    taken = sign_up(client, "taken@example.org")
    new = sign_up(client, "new@example.org")
    assert taken.status_code == new.status_code == 200
    assert visible_text(taken.data) == visible_text(new.data)
    assert "Check your email" in visible_text(taken.data)
    assert ("Set-Cookie" in taken.headers) == ("Set-Cookie" in new.headers)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2
    mail = {m.recipient: m for m in written_mail()}
    assert mail[owner.email].subject == "Someone tried to create an account with your address"
    assert "/auth/reset" in (mail[owner.email].text_body or "")
    assert "Welcome" in mail["new@example.org"].subject


def test_sign_ups_are_throttled_per_requester_address(app: Flask, client: FlaskClient, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUP_MAX_PER_ADDRESS", 3)
    for number in range(3):
        assert sign_up(client, f"s{number}@example.org").status_code == 200
    refused = sign_up(client, "s9@example.org")
    assert refused.status_code == 429
    assert b"many requests from your network" in refused.data
    assert sign_up(client, "s9@example.org", address="10.0.0.2").status_code == 200


def test_an_address_with_special_letters_before_the_at_is_refused_at_sign_up(
    client: FlaskClient,
):
    response = sign_up(client, "jøns@example.dk")
    assert response.status_code == 400
    assert "before the @" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_a_name_with_control_characters_is_cleaned_at_sign_up(client: FlaskClient):
    response = client.post(
        "/auth/register",
        data={
            "display_name": "Ri\x00kke\r\nBcc: x",
            "email": "rikke@example.org",
            "password": "blue kettle on the stove",
            "language": "en",
            "consent": "y",
        },
    )
    assert response.status_code == 200
    assert db.session.scalar(sa.select(User.display_name)) == "Ri kke Bcc: x"


# --- sign-in ---------------------------------------------------------------------------------


def test_reset_requests_never_lock_the_owner_out(app: Flask, client: FlaskClient):
    user = factories.make_student()
    for _ in range(8):
        client.post("/auth/reset", data={"email": user.email})
    assert login(client, user.email, factories.PASSWORD) == 302


def test_a_guesser_at_one_address_is_stopped_while_the_owner_elsewhere_signs_in(
    app: Flask, client: FlaskClient
):
    user = factories.make_student()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, user.email, WRONG, "203.0.113.9") == 401
    assert login(client, user.email, factories.PASSWORD, "203.0.113.9") == 429
    assert login(client, user.email, factories.PASSWORD, "10.0.0.1") == 302


def test_a_whole_class_behind_one_address_is_not_locked_out_by_typos(
    app: Flask, client: FlaskClient
):
    students = [factories.make_student() for _ in range(12)]
    for student in students:
        assert login(client, student.email, WRONG, "192.0.2.50") == 401
        assert login(client, student.email, WRONG, "192.0.2.50") == 401
    for student in students:
        assert login(client, student.email, factories.PASSWORD, "192.0.2.50") == 302


def test_guessing_from_many_addresses_locks_the_account_until_a_reset_link_lifts_it(
    app: Flask, client: FlaskClient
):
    user = factories.make_student()
    for number in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        login(client, user.email, WRONG, f"198.51.100.{number}")
    assert login(client, user.email, factories.PASSWORD, "10.0.0.1") == 429
    found = services.create_password_reset(user.email, None)
    assert found is not None
    db.session.commit()
    response = client.post(
        f"/auth/reset/{found[1]}",
        data={"password": "a brand new kettle", "confirm": "a brand new kettle"},
    )
    assert response.status_code == 302
    client.post("/auth/logout")
    assert login(client, user.email, "a brand new kettle", "10.0.0.1") == 302


def test_wrong_current_passwords_count_as_failed_sign_ins(app: Flask, client: FlaskClient, auth):
    user = factories.make_student()
    auth.login(user)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = client.post(
            "/auth/password",
            data={
                "current": WRONG,
                "password": "a brand new kettle",
                "confirm": "a brand new kettle",
            },
        )
        assert response.status_code == 400
    response = client.post(
        "/auth/password",
        data={
            "current": factories.PASSWORD,
            "password": "a brand new kettle",
            "confirm": "a brand new kettle",
        },
    )
    assert response.status_code == 429
    response = client.post("/me/delete", data={"password": factories.PASSWORD, "confirm": "y"})
    assert response.status_code == 429
    assert db.session.get(User, user.id).anonymised_at is None


def test_wrong_passwords_to_delete_an_account_count_as_failed_sign_ins(
    app: Flask, client: FlaskClient, auth
):
    user = factories.make_student()
    auth.login(user)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert (
            client.post("/me/delete", data={"password": WRONG, "confirm": "y"}).status_code == 400
        )
    response = client.post("/me/delete", data={"password": factories.PASSWORD, "confirm": "y"})
    assert response.status_code == 429
    assert db.session.get(User, user.id).anonymised_at is None


@pytest.mark.parametrize("how", ["changed", "reset"])
def test_a_reset_link_dies_with_any_password_change(client: FlaskClient, auth, how: str):
    user = factories.make_student()
    early = services.create_password_reset(user.email, None)
    assert early is not None
    if how == "changed":
        services.change_password(user, factories.PASSWORD, "a brand new kettle", None)
    else:
        later = services.create_password_reset(user.email, None)
        assert later is not None
        services.reset_password(later[1], "a brand new kettle")
    db.session.commit()
    response = client.get(f"/auth/reset/{early[1]}")
    assert response.status_code == 400
    assert b"expired or has already been used" in response.data


def test_x_forwarded_for_is_ignored_unless_proxies_are_configured(app: Flask, client: FlaskClient):
    user = factories.make_student()
    for number in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post(
            "/auth/login",
            data={"email": user.email, "password": WRONG},
            headers={"X-Forwarded-For": f"198.51.100.{number}"},
            environ_base={"REMOTE_ADDR": "203.0.113.7"},
        )
    # Every guess counted against the real address, whatever the header claimed.
    assert login(client, user.email, factories.PASSWORD, "203.0.113.7") == 429
