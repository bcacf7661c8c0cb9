"""Demo drop-in: a weekly Thursday café in the current term, with a few head counts."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from college.db import now_utc
from college.demo import DemoCollege
from college.extensions import db
from college.models import Programme
from courses import services
from courses.dropin.services import Visits, record_head_count, record_interest
from courses.models import Audience, CourseFormat, Term, Topic, Venue
from courses.times import local_today

THURSDAY = 3
TITLE = "Torsdagscafé – kom bare"
# Counted at the sessions already held: (came, first, second, third visits).
HEAD_COUNTS = [(7, 3, 2, 1), (9, 2, 3, 2), (6, 1, 1, 2), (11, 4, 2, 1), (8, 2, 2, 2)]


def seed(college: DemoCollege) -> None:
    """A drop-in every Thursday of the term under way, its last few sessions counted."""
    admin = college.admin
    today = college.today or local_today()
    term = db.session.scalar(
        sa.select(Term).where(Term.starts_on <= today, Term.ends_on >= today).order_by(Term.id)
    )
    venue = db.session.scalar(sa.select(Venue).where(Venue.name.like("Recovery College%")))
    if term is None or len(college.peers) < 1 or len(college.trainers) < 2:
        return
    course = services.create_course(
        admin,
        services.CourseDetails(
            title=TITLE,
            summary="Et åbent værested hver torsdag: kaffe, samtale og et lille oplæg. "
            "Du behøver ikke tilmelde dig.",
            description=(
                "Kig forbi, når du har lyst – alene eller sammen med en, du kender. Vi drikker "
                "kaffe, taler om det, der fylder, og en peer-underviser og en fagprofessionel "
                "underviser fortæller kort om et emne fra skolens kurser.\n\n"
                "Du skal ikke oprette en konto, og vi spørger ikke om dit navn. Mange kommer "
                "et par gange, før de tilmelder sig et kursus."
            ),
            topic=Topic.RECOVERY,
            audience=Audience.EVERYONE,
            format=CourseFormat.IN_PERSON,
            capacity=20,
            required_programme=Programme.FIVE_DAY,
            term=term,
            venue=venue,
            drop_in=True,
            room_capacity=20,
        ),
    )
    peer, trainer = college.peers[0], college.trainers[1]
    services.set_course_pair(admin, course, peer, trainer)
    first = term.starts_on + timedelta(days=(THURSDAY - term.starts_on.weekday()) % 7)
    weeks = (term.ends_on - first).days // 7 + 1
    services.add_weekly_series(admin, course, first, time(15, 30), 120, weeks)
    services.publish_course(admin, course)
    now = now_utc()
    held = [s for s in course.scheduled_sessions if s.ends_at <= now]
    for session, numbers in zip(held[-len(HEAD_COUNTS) :], HEAD_COUNTS, strict=False):
        record_head_count(peer, session, Visits(*numbers), now=now)
    if held:
        record_interest(
            peer,
            held[-1],
            name="Maja",
            contact="maja@example.org",
            consent=True,
            now=now,
        )
