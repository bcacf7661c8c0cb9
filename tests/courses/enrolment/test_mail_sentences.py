"""Mail about places reads as whole sentences, discreet or not, in both languages.

Discreet mode keeps the course out of the subject and out of the first sentence (what a
lock screen shows); the message still says which course, every date and time and where.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from college.db import now_utc
from courses.enrolment import notices
from courses.enrolment.models import EnrolmentStatus
from tests import factories
from tests.courses.enrolment.conftest import mail_to

TITLE = "Angst og hverdagsliv"
KINDS = [
    "enrolled",
    "waitlisted",
    "offered",
    "promoted",
    "offer_expired",
    "withdrawn",
    "reminder",
    "missed",
    "feedback",
    "session_cancelled",
    "session_moved",
    "course_cancelled",
]
WITH_DATES = {"enrolled", "waitlisted", "offered", "promoted", "reminder", "session_moved"}
BROKEN = [
    "course your course",
    "on the course your",
    "the course the course",
    "kurset dit kursus",
    "kursus dit kursus",
    "%(",
    "None",
]
SECONDS = re.compile(r"\d[:.]\d\d[:.]\d\d")


def context_for(kind: str, course) -> dict:
    session = course.scheduled_sessions[0]
    return {
        "waitlisted": {"position": 3},
        "offered": {"expires_at": now_utc() + timedelta(hours=40)},
        "reminder": {"starts_at": session.starts_at},
        "missed": {"session": session},
        "feedback": {"feedback_url": "http://college.test/feedback"},
        "session_cancelled": {"session": session},
        "session_moved": {"session": session, "before": session.starts_at - timedelta(days=1)},
    }.get(kind, {})


@pytest.fixture
def course(peer, trainer):
    venue = factories.make_venue(name="Skolegade-huset", address="Skolegade 12, 8000 Aarhus C")
    return factories.make_published_course(
        peer=peer, trainer=trainer, title=TITLE, venue=venue, sessions=3
    )


def mail_about(course, kind: str, *, discreet: bool, language: str):
    student = factories.make_student(language=language)
    student.discreet = discreet
    enrolment = factories.make_enrolment(course, student, status=EnrolmentStatus.WAITLISTED)
    notices.send(enrolment, kind, **context_for(kind, course))
    (message,) = mail_to(student)
    return message


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize("discreet", [True, False], ids=["discreet", "open"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_course_mail_reads_well_and_says_what_the_person_needs(
    course, kind, discreet, language
):
    message = mail_about(course, kind, discreet=discreet, language=language)
    text, html = message.text_body, message.html_body
    for broken in BROKEN:
        assert broken not in text, (broken, text)
    assert "your course your" not in text.lower()
    assert not SECONDS.search(text), text
    greeting, opening, rest = text.split("\n\n", 2)
    course_word = "Course" if language == "en" else "Kursus"
    assert f"{course_word}: {TITLE}" in rest
    if discreet:
        assert TITLE not in message.subject
        assert TITLE not in greeting + opening, opening
    else:
        assert TITLE in message.subject or kind == "feedback" or TITLE in opening
        assert TITLE in opening
    if kind in WITH_DATES:
        for session in course.scheduled_sessions:
            day = session.starts_at.strftime("%d").lstrip("0")
            assert re.search(rf"\b{day}\b", rest), (day, rest)
        assert "Skolegade-huset" in rest
        assert "Skolegade 12, 8000 Aarhus C" in rest
    # Every mail says whom to contact, in its text and its HTML.
    assert "kontakt@recovery-college.example" in text
    assert "+45 70 20 30 40" in html


def test_the_old_broken_sentences_are_gone(course):
    enrolled = mail_about(course, "enrolled", discreet=True, language="en").text_body
    assert "You have a place on a course with us. The details are below." in enrolled
    waiting = mail_about(course, "waitlisted", discreet=True, language="en").text_body
    assert "The course is full right now, so you are number 3 on its waiting list." in waiting
    danish = mail_about(course, "waitlisted", discreet=False, language="da").text_body
    assert f"{TITLE} er fuldt lige nu, så du er nummer 3 på ventelisten." in danish


def test_the_offer_mail_gives_a_deadline_without_seconds(course):
    message = mail_about(course, "offered", discreet=False, language="en")
    assert re.search(
        r"we are holding it for you until \d\d:\d\d on \w+day \d{1,2} \w+ \d{4}\.",
        message.text_body,
    ), message.text_body
    danish = mail_about(course, "offered", discreet=True, language="da").text_body
    assert re.search(r"holder den til dig til kl\. \d\d[.:]\d\d \w+dag den \d", danish), danish
