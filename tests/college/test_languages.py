"""Dates, plurals, page titles and the goodbye, in English and in Danish."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from college.languages import force_language
from college.templating import format_clock, format_day, format_when
from tests import factories

WEDNESDAY = datetime(2026, 12, 16, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen


@pytest.mark.parametrize(
    ("language", "day", "when"),
    [
        ("en", "Wednesday 16 December 2026", "Wednesday 16 December 2026, 10:00"),
        ("da", "onsdag den 16. december 2026", "onsdag den 16. december 2026 kl. 10.00"),
    ],
)
def test_days_and_times_read_as_each_language_writes_them(
    app: Flask, language: str, day: str, when: str
):
    with app.test_request_context(), force_language(language):
        assert format_day(WEDNESDAY) == day
        assert format_day(date(2026, 12, 16)) == day
        assert format_when(WEDNESDAY) == when
        assert format_clock(WEDNESDAY) == ("10:00" if language == "en" else "10.00")


def test_short_and_medium_days_have_no_seconds_and_no_american_order(app: Flask):
    with app.test_request_context(), force_language("en"):
        assert format_when(WEDNESDAY, "short") == "16/12/2026, 10:00"
        assert format_day(WEDNESDAY, "medium") == "16 Dec 2026"


def test_plurals_follow_the_count(app: Flask):
    from peers.dashboard import PeerTeaching, teaching_chart

    one = [PeerTeaching(user_id=1, name="Pia", taught=3, covered=1)]
    two = [*one, PeerTeaching(user_id=2, name="Per", taught=2, covered=1)]
    with app.test_request_context(), force_language("en"):
        assert teaching_chart(one).description == (
            "1 peer trainer teaches this term. 1 session is covered by a colleague."
        )
        assert teaching_chart(two).description == (
            "2 peer trainers teach this term. 2 sessions are covered by a colleague."
        )
    with app.test_request_context(), force_language("da"):
        assert "1 kursusgang dækkes af en kollega." in teaching_chart(one).description
        assert "2 kursusgange dækkes af en kollega." in teaching_chart(two).description


@pytest.mark.parametrize(("language", "prefix"), [("en", "Error: Log in"), ("da", "Fejl: Log ind")])
def test_a_page_with_form_errors_says_so_first_in_its_title(
    client: FlaskClient, language: str, prefix: str
):
    headers = {"Accept-Language": language}
    page = client.get("/auth/login", headers=headers).get_data(as_text=True)
    assert "<title>Error" not in page and "<title>Fejl" not in page
    sent_back = client.post("/auth/login", data={}, headers=headers).get_data(as_text=True)
    assert f"<title>{prefix} – " in sent_back


def test_an_invalid_field_is_marked_for_screen_readers(client: FlaskClient):
    page = client.post("/auth/login", data={"email": "nobody"}).get_data(as_text=True)
    assert 'aria-invalid="true"' in page
    assert "field-error" in page


def test_every_page_names_its_icon(client: FlaskClient):
    page = client.get("/").get_data(as_text=True)
    for path in ("/static/img/favicon.svg", "/static/img/favicon.png"):
        assert f'href="{path}"' in page
        response = client.get(path)
        assert response.status_code == 200
        assert response.mimetype in {"image/svg+xml", "image/png"}
        response.close()


def test_the_goodbye_is_in_the_language_the_person_chose(client: FlaskClient, auth):
    person = factories.make_student(language="da")
    auth.login(person)
    english_browser = {"Accept-Language": "en"}
    client.post("/auth/logout", headers=english_browser)
    page = client.get("/", headers=english_browser).get_data(as_text=True)
    assert "Du er logget ud. Pas godt på dig selv." in page
    assert '<html lang="da">' in page
