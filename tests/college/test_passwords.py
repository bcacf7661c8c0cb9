"""Password reset by emailed one-time link."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient

from college.db import now_utc
from college.extensions import db
from college.models import OutboxMessage, PasswordResetToken
from college.outbox import queueing
from tests import factories


def reset_link(recipient: str) -> str:
    """The link in the last message to ``recipient``, once the mail worker has written it."""
    queueing.render_pending()
    message = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None
    match = re.search(r"http://college\.test(/auth/reset/\S+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


def test_reset_request_answers_the_same_for_known_and_unknown(client: FlaskClient):
    user = factories.make_student()
    known = client.post("/auth/reset", data={"email": user.email})
    unknown = client.post("/auth/reset", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data
    recipients = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert recipients == [user.email]


def test_reset_link_sets_a_new_password_once(client: FlaskClient, auth):
    user = factories.make_student()
    client.post("/auth/reset", data={"email": user.email})
    link = reset_link(user.email)
    assert client.get(link).status_code == 200
    response = client.post(
        link, data={"password": "tea and toast at nine", "confirm": "tea and toast at nine"}
    )
    assert response.status_code == 302
    client.post("/auth/logout")
    assert auth.login(user, "tea and toast at nine").status_code == 302
    client.post("/auth/logout")
    assert auth.login(user).status_code == 401
    again = client.get(link)
    assert again.status_code == 400
    assert b"expired or has already been used" in again.data


def test_reset_link_signs_out_existing_sessions(app, client: FlaskClient):
    user = factories.make_student()
    other = app.test_client()
    other.post("/auth/login", data={"email": user.email, "password": factories.PASSWORD})
    assert other.get("/me/settings").status_code == 200
    client.post("/auth/reset", data={"email": user.email})
    client.post(
        reset_link(user.email),
        data={"password": "tea and toast at nine", "confirm": "tea and toast at nine"},
    )
    assert other.get("/me/settings").status_code == 302


def test_expired_reset_link_is_refused(client: FlaskClient):
    user = factories.make_student()
    client.post("/auth/reset", data={"email": user.email})
    link = reset_link(user.email)
    db.session.execute(
        sa.update(PasswordResetToken).values(expires_at=now_utc() - timedelta(minutes=1))
    )
    response = client.post(
        link, data={"password": "tea and toast at nine", "confirm": "tea and toast at nine"}
    )
    assert response.status_code == 400
    assert b"expired" in response.data


def test_unknown_reset_token_is_refused(client: FlaskClient):
    response = client.get("/auth/reset/not-a-real-token")
    assert response.status_code == 400
    assert b"Ask for a new link" in response.data


def test_weak_new_password_is_refused_and_link_still_works(client: FlaskClient):
    user = factories.make_student()
    client.post("/auth/reset", data={"email": user.email})
    link = reset_link(user.email)
    response = client.post(link, data={"password": "password1", "confirm": "password1"})
    assert response.status_code == 400
    assert b"too easy to guess" in response.data
    assert client.get(link).status_code == 200


def test_reset_requests_are_throttled_per_account_and_per_requester(client: FlaskClient, app):
    user = factories.make_student()
    per_account = app.config["RESET_MAX_PER_ACCOUNT"]
    for _ in range(per_account + 2):
        response = client.post("/auth/reset", data={"email": user.email})
        assert response.status_code == 200  # the page says the same; no more mail is sent
    sent = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    assert sent == per_account
    for number in range(app.config["RESET_MAX_PER_ADDRESS"] - per_account - 2):
        client.post("/auth/reset", data={"email": f"other{number}@example.org"})
    response = client.post("/auth/reset", data={"email": "one.more@example.org"})
    assert response.status_code == 429
    assert b"many requests from your network" in response.data


def test_reset_email_is_in_the_persons_language(client: FlaskClient):
    user = factories.make_student(language="da")
    client.post("/auth/reset", data={"email": user.email})
    assert queueing.render_pending() == 1
    message = db.session.scalar(sa.select(OutboxMessage))
    assert message is not None
    assert message.subject == "Nulstil din adgangskode"
