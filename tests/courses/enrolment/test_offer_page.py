"""A waiting-list offer people can decide on: the course, every date and time, the place."""

from __future__ import annotations

import re

from courses.enrolment import services
from tests import factories


def held_offer(peer, trainer, language: str = "en"):
    venue = factories.make_venue(name="Skolegade-huset", accessibility_notes="Lift to all floors.")
    course = factories.make_published_course(
        peer=peer, trainer=trainer, capacity=1, title="Sleep and rest", venue=venue, sessions=3
    )
    holder, head = factories.make_student(), factories.make_student(language=language)
    place = services.enrol(holder, course)
    offer = services.enrol(head, course)
    services.withdraw(holder, place)
    return course, head, offer


def test_the_offer_page_shows_the_course_every_session_and_the_venue(client, auth, peer, trainer):
    course, head, offer = held_offer(peer, trainer)
    auth.login(head)
    page = client.get(f"/me/enrolments/{offer.id}/offer").get_data(as_text=True)
    assert 'A place on <span lang="da">Sleep and rest</span> is free' in page
    for day in ("10 September 2030", "17 September 2030", "24 September 2030"):
        assert f"Tuesday {day}</time>, 17:00–19:00, Skolegade-huset" in page
    assert "<strong>Skolegade-huset</strong>, Skolegade 12, 8000 Aarhus C" in page
    assert "Lift to all floors." in page
    assert f'href="/courses/{course.slug}">Read about the course</a>' in page
    # The deadline has no seconds.
    sentence = re.search(r"we are holding it for you until ([^<]+)\.", page)
    assert sentence is not None
    assert not re.search(r"\d:\d\d:\d\d", sentence.group(1)), sentence.group(1)


def test_the_offer_page_in_danish(client, auth, peer, trainer):
    _course, head, offer = held_offer(peer, trainer, language="da")
    auth.login(head)
    page = client.get(f"/me/enrolments/{offer.id}/offer").get_data(as_text=True)
    assert "Der er en ledig plads på Sleep and rest, og vi holder den til dig til kl." in page
    assert "tirsdag den 10. september 2030</time>, 17.00–19.00, Skolegade-huset" in page


def test_my_courses_gives_the_offer_deadline_without_seconds(client, auth, peer, trainer):
    _course, head, _offer = held_offer(peer, trainer)
    auth.login(head)
    page = client.get("/me/courses").get_data(as_text=True)
    deadline = re.search(r"Please answer by ([^<]+)\.", page)
    assert deadline is not None
    assert re.fullmatch(r"\d\d:\d\d on \w+day \d{1,2} \w+ \d{4}", deadline.group(1))
