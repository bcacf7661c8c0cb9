"""Fuzz the JSON API from its own OpenAPI document: no 500s, no schema violations."""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from courses.models import Audience, CourseFormat, Topic
from tests import factories

EXAMPLES = {GenerationMode.POSITIVE: 120, GenerationMode.NEGATIVE: 80}


@pytest.fixture
def some_courses() -> list[str]:
    peer, trainer = factories.make_peer(), factories.make_trainer()
    venue = factories.make_venue(accessibility_notes=None)
    online = factories.make_venue(is_online=True, meeting_link="https://meet.example/x")
    slugs = []
    for number, (topic, audience, course_format) in enumerate(
        [
            (Topic.MENTAL_HEALTH, Audience.EVERYONE, CourseFormat.IN_PERSON),
            (Topic.RELATIONSHIPS, Audience.RELATIVES, CourseFormat.ONLINE),
            (Topic.RECOVERY, Audience.STAFF, CourseFormat.BLENDED),
        ]
    ):
        course = factories.make_published_course(
            peer=peer,
            trainer=trainer,
            topic=topic,
            audience=audience,
            course_format=course_format,
            venue=online if course_format == CourseFormat.ONLINE else venue,
            partners=(factories.make_partner(),),
            first_start=factories.FIRST_SESSION + timedelta(days=number),
            sessions=2,
        )
        slugs.append(course.slug)
    factories.make_course(slug="a-draft")  # never public
    return slugs


@pytest.mark.slow
def test_api_conforms_to_its_openapi_document(app: Flask, some_courses: list[str]):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema["/courses/{slug}"]["GET"]
    for slug in some_courses:
        operation.Case(path_parameters={"slug": slug}).call_and_validate()

    for mode, examples in EXAMPLES.items():

        @given(case=schema.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate()

        fuzz()
