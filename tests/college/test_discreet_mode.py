"""Discreet mode is explained in one plain sentence where a person can turn it off."""

from __future__ import annotations

import sqlalchemy as sa

from college.extensions import db
from college.models import User
from tests import factories

SENTENCE = (
    "Email subjects and calendar entries do not name your course, so nobody who sees your "
    "lock screen or calendar can tell what it is about; the emails still give the dates, "
    "times and a link. Untick the box to see course names."
)
SIGN_UP = {
    "display_name": "Rikke",
    "email": "rikke@example.org",
    "password": "blue kettle on the stove",
    "language": "en",
    "consent": "y",
}


def person(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None
    return user


def test_sign_up_explains_discreet_mode_and_has_it_on(client):
    page = client.get("/auth/register").get_data(as_text=True)
    assert SENTENCE in page
    assert (
        '<input aria-describedby="discreet-hint" checked id="discreet" name="discreet"'
        ' type="checkbox" value="y">'
    ) in page
    danish = client.get("/auth/register", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert "Diskret tilstand" in danish
    assert "Fjern fluebenet, hvis du vil se kursernes navne." in danish


def test_a_ticked_box_keeps_discreet_mode_on(client):
    client.post("/auth/register", data={**SIGN_UP, "discreet": "y"})
    assert person("rikke@example.org").discreet is True


def test_unticking_the_box_at_sign_up_turns_it_off(client):
    client.post("/auth/register", data=SIGN_UP)
    assert person("rikke@example.org").discreet is False


def test_settings_explain_it_and_turn_it_off_and_on(client, auth):
    student = factories.make_student()
    auth.login(student)
    page = client.get("/me/settings").get_data(as_text=True)
    assert SENTENCE in page
    client.post("/me/settings", data={"language": "en"})
    assert student.discreet is False
    client.post("/me/settings", data={"language": "en", "discreet": "y"})
    assert student.discreet is True


def test_bad_settings_change_nothing(client, auth):
    student = factories.make_student(language="da")
    auth.login(student)
    response = client.post("/me/settings", data={"language": "xx"})
    assert response.status_code == 400
    assert "Fjern fluebenet, hvis du vil se kursernes navne." in response.get_data(as_text=True)
    assert student.discreet is True and student.language == "da"
