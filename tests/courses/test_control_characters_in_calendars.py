"""A title stored with a line break (before the forms cleaned it) still makes a calendar."""

from __future__ import annotations

from flask.testing import FlaskClient

from college.extensions import db
from courses.models import CourseStatus
from tests import factories
from tests.calendar_checks import check_calendar


def test_a_feed_answers_whatever_control_characters_a_stored_title_holds(client: FlaskClient):
    peer, trainer = factories.make_peer(), factories.make_trainer()
    course = factories.make_course(
        status=CourseStatus.PUBLISHED, pair=(peer, trainer), title="Angst\r\nog uro\x0b"
    )
    factories.make_session(course, peers=(peer,), professionals=(trainer,))
    db.session.commit()
    response = client.get(f"/courses/{course.slug}/calendar.ics")
    assert response.status_code == 200
    parsed = check_calendar(response.data)
    assert parsed.properties["X-WR-CALNAME"].startswith("Angst og uro")
    (event,) = parsed.events
    assert "\x0b" not in event.summary and event.summary.startswith("Angst")
    assert client.get("/calendar/college.ics").status_code == 200
