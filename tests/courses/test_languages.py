"""Course pages in two languages: British dates, Danish course texts marked, topics found."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from college.extensions import db
from college.models import Programme
from courses.models import Course, Topic
from tests import factories

ENGLISH = {"Accept-Language": "en"}
DANISH = {"Accept-Language": "da"}


@pytest.fixture
def danish_course() -> Course:
    """A course written in Danish, as the college writes them; its first session is
    Tuesday 10 September 2030, 17:00 to 19:00 in Copenhagen."""
    return factories.make_published_course(
        title="Kreativitet og recovery",
        summary="Vi maler, skriver og taler sammen.",
        description="Seks aftener med farver.",
        topic=Topic.CREATIVITY,
    )


def page(client: FlaskClient, url: str, headers: dict[str, str]) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_english_pages_write_dates_the_british_way(client: FlaskClient, danish_course: Course):
    listing = page(client, "/courses/", ENGLISH)
    assert "Tuesday 10 September 2030, 17:00" in listing
    detail = page(client, f"/courses/{danish_course.slug}", ENGLISH)
    assert "Tuesday 10 September 2030" in detail
    assert "17:00–19:00" in detail
    assert "September 10" not in listing + detail
    assert "5:00 PM" not in listing + detail


def test_danish_pages_write_dates_the_danish_way(client: FlaskClient, danish_course: Course):
    listing = page(client, "/courses/", DANISH)
    assert "tirsdag den 10. september 2030 kl. 17.00" in listing
    assert "den tirsdag" not in listing


def test_danish_course_texts_are_marked_on_english_pages(
    client: FlaskClient, danish_course: Course
):
    detail = page(client, f"/courses/{danish_course.slug}", ENGLISH)
    # the title is marked, not the heading: a joining badge in English may follow it
    assert re.search(r'<h1 id="course-title"><span lang="da">\s*Kreativitet og recovery', detail)
    assert '<p class="lead" lang="da">Vi maler, skriver og taler sammen.</p>' in detail
    assert '<p lang="da">Seks aftener med farver.</p>' in detail
    listing = page(client, "/courses/", ENGLISH)
    assert re.search(r'<h3><a lang="da" href="[^"]+">Kreativitet og recovery</a>', listing)
    assert '<p lang="da">Vi maler, skriver og taler sammen.</p>' in listing


def test_english_pages_say_once_that_courses_are_taught_in_danish(
    client: FlaskClient, danish_course: Course
):
    note = "Our courses are taught in Danish, so their names and descriptions are in Danish too."
    for url in ("/", "/courses/", f"/courses/{danish_course.slug}"):
        assert page(client, url, ENGLISH).count(note) == 1, url
    assert note not in page(client, "/privacy", ENGLISH)


def test_danish_pages_neither_mark_nor_explain_danish(client: FlaskClient, danish_course: Course):
    detail = page(client, f"/courses/{danish_course.slug}", DANISH)
    main = detail[detail.index("<main") : detail.index("</main>")]
    assert 'lang="da"' not in main
    assert "language-note" not in detail


def test_search_finds_a_course_by_its_topic_name_in_english(
    client: FlaskClient, danish_course: Course
):
    other = factories.make_published_course(title="Søvn og hvile", topic=Topic.WELLBEING)
    found = page(client, "/courses/?q=creativity", ENGLISH)
    assert danish_course.title in found
    assert other.title not in found
    # In Danish too, and by the course's own words as before.
    assert danish_course.title in page(client, "/courses/?q=kreativ", DANISH)
    assert other.title in page(client, "/courses/?q=hvile", ENGLISH)
    assert danish_course.title in client.get("/api/v1/courses?q=Creativity").get_data(True)


def test_search_by_a_word_of_no_topic_finds_no_topic(client: FlaskClient, danish_course: Course):
    assert danish_course.title not in page(client, "/courses/?q=gardening", ENGLISH)


def test_a_stored_programme_is_named_in_the_reader_language(client: FlaskClient, auth):
    """The built-in programmes are rows with an English name; people read their label."""
    from peers.models import Cohort, TrainingPlace, TrainingProgramme

    peer = factories.make_peer(programmes=(Programme.FIVE_DAY,), language="da")
    programme = db.session.scalars(
        sa.select(TrainingProgramme).where(TrainingProgramme.code == str(Programme.FIVE_DAY))
    ).one()
    assert programme.name == "Five-day programme for peer workers"
    cohort = Cohort(programme=programme, name="Forår", places=12)
    db.session.add(cohort)
    db.session.flush()
    db.session.add(TrainingPlace(cohort_id=cohort.id, user_id=peer.id))
    db.session.flush()
    auth.login(peer)
    training = page(client, "/peers/training", DANISH)
    assert "(Femdagesuddannelse for peer-medarbejdere)" in training
    assert "Five-day programme" not in training
