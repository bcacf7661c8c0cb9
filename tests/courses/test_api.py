"""The JSON API for partner websites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from courses.models import CourseFormat
from tests import factories


@pytest.fixture
def course():
    partner = factories.make_partner(name="Aarhus Kommune")
    venue = factories.make_venue(name="Skolegade", accessibility_notes="Lift to all floors.")
    peer = factories.make_peer(name="Sofie Holm", email="sofie@example.org")
    trainer = factories.make_trainer(name="Anders Berg", email="anders@example.org")
    return factories.make_published_course(
        peer=peer,
        trainer=trainer,
        title="Mindfulness",
        slug="mindfulness",
        venue=venue,
        partners=(partner,),
        capacity=12,
        seats_taken=2,
        course_format=CourseFormat.BLENDED,
        first_start=datetime(2030, 10, 22, 15, 0, tzinfo=UTC),  # last week of summer time
        sessions=2,
    )


def test_list(client: FlaskClient, course):
    response = client.get("/api/v1/courses")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 20, 1, 1)
    [item] = body["items"]
    assert item["slug"] == "mindfulness"
    assert item["format"] == "blended"
    assert item["places_left"] == 10
    assert item["session_count"] == 2
    assert item["first_session_at"] == "2030-10-22T17:00:00+02:00"
    assert item["venue"]["name"] == "Skolegade"
    assert item["facilitators"] == [
        {"display_name": "Sofie Holm", "role": "peer"},
        {"display_name": "Anders Berg", "role": "professional"},
    ]
    assert item["url"] == "http://college.test/courses/mindfulness"


def test_detail_has_iso_times_with_offsets_across_dst(client: FlaskClient, course):
    body = client.get("/api/v1/courses/mindfulness").get_json()
    starts = [s["starts_at"] for s in body["sessions"]]
    assert starts == ["2030-10-22T17:00:00+02:00", "2030-10-29T16:00:00+01:00"]
    for text in starts:
        assert datetime.fromisoformat(text).utcoffset() is not None
    assert body["sessions"][0]["ends_at"] == "2030-10-22T19:00:00+02:00"
    assert body["learning_outcomes"] == ["Know more", "Feel less alone"]
    assert body["partners"] == [{"name": "Aarhus Kommune", "kind": "region"}]
    assert body["venue"]["accessibility_notes"] == "Lift to all floors."
    assert body["sessions"][0]["facilitators"][0] == {"display_name": "Sofie Holm", "role": "peer"}


def test_no_personal_data_beyond_names_and_roles(client: FlaskClient, course):
    text = client.get("/api/v1/courses/mindfulness").get_data(as_text=True)
    text += client.get("/api/v1/courses").get_data(as_text=True)
    assert "example.org" not in text
    assert "user_id" not in text and "email" not in text
    assert "seats_taken" not in text and "meeting_link" not in text


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?per_page=0", "per_page"),
        ("?per_page=101", "per_page"),
        ("?page=0", "page"),
        ("?page=abc", "page"),
        ("?topic=astrology", "topic"),
        ("?topic=", "topic"),
        ("?term=-3", "term"),
        ("?term=99999999999", "term"),
        ("?venue=1.5", "venue"),
        ("?day=Tuesday", "day"),
        ("?available=true", "available"),
        ("?q=" + "x" * 101, "q"),
        ("?format=online&format=blended", "format"),
    ],
)
def test_bad_parameters_get_a_json_400(client: FlaskClient, course, query, parameter):
    response = client.get("/api/v1/courses" + query)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400
    assert error["details"][0]["parameter"] == parameter
    assert error["message"]


def test_every_bad_parameter_is_reported(client: FlaskClient):
    error = client.get("/api/v1/courses?topic=x&day=y&page=z").get_json()["error"]
    assert [d["parameter"] for d in error["details"]] == ["topic", "day", "page"]


def test_paging(client: FlaskClient):
    term = factories.make_term()
    peer, trainer = factories.make_peer(), factories.make_trainer()
    for number in range(5):
        factories.make_published_course(
            peer=peer,
            trainer=trainer,
            term=term,
            sessions=1,
            first_start=factories.FIRST_SESSION + timedelta(days=number),
        )
    body = client.get("/api/v1/courses?per_page=2&page=3").get_json()
    assert (body["page"], body["pages"], body["total"], len(body["items"])) == (3, 3, 5, 1)
    assert client.get("/api/v1/courses?per_page=2&page=4").get_json()["items"] == []


@pytest.mark.parametrize("slug", ["nope", "draft-course", "UPPER", "a" * 81])
def test_unknown_course_is_a_json_404(client: FlaskClient, course, slug):
    factories.make_course(slug="draft-course")
    response = client.get(f"/api/v1/courses/{slug}")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"]["status"] == 404


def test_writing_is_not_allowed(client: FlaskClient, course):
    response = client.post("/api/v1/courses")
    assert response.status_code == 405
    assert response.is_json


def test_openapi_document_describes_the_api(client: FlaskClient):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/courses", "/courses/{slug}"}
    names = [p["name"] for p in document["paths"]["/courses"]["get"]["parameters"]]
    assert names == [
        "q",
        "topic",
        "term",
        "format",
        "audience",
        "day",
        "venue",
        "month",
        "available",
        "begun",
        "page",
        "per_page",
    ]
    summary = document["components"]["schemas"]["CourseSummary"]
    assert summary["additionalProperties"] is False


def test_control_characters_in_a_search_are_read_as_spaces(client: FlaskClient):
    # Query parameters are cleaned like single-line fields before any view reads them.
    response = client.get("/api/v1/courses?q=a%00b")
    assert response.status_code == 200
