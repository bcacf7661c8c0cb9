"""A believable demo college, so a newcomer can try every view at once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from college import services
from college.db import now_utc
from college.extensions import db
from college.models import OutboxMessage, Programme, Qualification, Role, User, UserRole
from college.signals import extension_points

DEMO_DOMAIN = "demo.recovery-college.example"
DEMO_PASSWORD = "college-demo"  # noqa: S105 - published in the README on purpose

DEMO_LOGINS = {
    Role.ADMIN: ("admin@" + DEMO_DOMAIN, "Mette Lund"),
    Role.PEER: ("peer@" + DEMO_DOMAIN, "Sofie Holm"),
    Role.TRAINER: ("trainer@" + DEMO_DOMAIN, "Anders Berg"),
    Role.STUDENT: ("student@" + DEMO_DOMAIN, "Lars Nielsen"),
}

FIRST_NAMES = [
    "Anna",
    "Mads",
    "Ida",
    "Jonas",
    "Freja",
    "Mikkel",
    "Emma",
    "Rasmus",
    "Clara",
    "Oliver",
    "Laura",
    "Frederik",
    "Karen",
    "Peter",
    "Maja",
    "Søren",
    "Nanna",
    "Henrik",
    "Signe",
    "Jens",
    "Astrid",
    "Kasper",
    "Louise",
    "Thomas",
    "Camilla",
    "Morten",
    "Julie",
    "Niels",
    "Sara",
    "Bo",
]
LAST_NAMES = [
    "Jensen",
    "Hansen",
    "Pedersen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Christiansen",
    "Poulsen",
    "Johansen",
    "Møller",
]


@dataclass
class DemoCollege:
    """What the core demo created, handed to each domain package's seeder."""

    admin: User
    peers: list[User] = field(default_factory=list)
    trainers: list[User] = field(default_factory=list)
    students: list[User] = field(default_factory=list)
    today: date = field(default_factory=lambda: now_utc().date())


def demo_seeders() -> list[Callable[[DemoCollege], None]]:
    return extension_points().demo_seeders


def database_is_empty() -> bool:
    return not db.session.scalar(sa.select(sa.func.count()).select_from(User))


# Kept by ``clear_database``: rows the migrations wrote (the built-in training programmes,
# and the pages' data version, which only ever goes up).
KEPT_TABLES = {"data_versions", "training_programmes"}


def clear_database() -> None:
    """Delete every row the college holds (``demo --force``), children before parents."""
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in KEPT_TABLES:
            db.session.execute(table.delete())
    db.session.flush()


def demo_name(index: int) -> str:
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index * 7 + index // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return f"{first} {last}"


def _person(email: str, name: str, roles: tuple[Role, ...], password_hash: str) -> User:
    user = User(
        email=email,
        display_name=name,
        password_hash=password_hash,
        language="da",
        consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
        consented_at=now_utc(),
        role_rows=[UserRole(role=role) for role in roles],
    )
    db.session.add(user)
    return user


def _qualify(user: User, programme: Programme, granted_on: date) -> None:
    db.session.add(Qualification(user=user, programme=str(programme), granted_on=granted_on))


def seed_people(today: date) -> DemoCollege:
    # One hash for every demo account keeps seeding fast; they share the README password.
    password_hash = services.hash_password(DEMO_PASSWORD)
    logins = {
        role: _person(email, name, (role,), password_hash)
        for role, (email, name) in DEMO_LOGINS.items()
    }
    college = DemoCollege(admin=logins[Role.ADMIN], today=today)
    college.peers.append(logins[Role.PEER])
    college.trainers.append(logins[Role.TRAINER])
    college.students.append(logins[Role.STUDENT])
    _qualify(logins[Role.PEER], Programme.FIVE_DAY, today - timedelta(days=400))
    _qualify(logins[Role.PEER], Programme.FIVE_WEEK, today - timedelta(days=200))
    for index in range(11):
        peer = _person(
            f"peer{index + 1}@{DEMO_DOMAIN}", demo_name(index), (Role.PEER,), password_hash
        )
        _qualify(peer, Programme.FIVE_DAY, today - timedelta(days=300 + index * 20))
        if index % 2 == 0:
            _qualify(peer, Programme.FIVE_WEEK, today - timedelta(days=150 + index * 10))
        college.peers.append(peer)
    for index in range(7):
        name = demo_name(index + 11)
        trainer = _person(f"trainer{index + 1}@{DEMO_DOMAIN}", name, (Role.TRAINER,), password_hash)
        college.trainers.append(trainer)
    for index in range(40):
        name = demo_name(index + 18)
        student = _person(f"student{index + 1}@{DEMO_DOMAIN}", name, (Role.STUDENT,), password_hash)
        college.students.append(student)
    db.session.flush()
    return college


def seed() -> DemoCollege:
    """Create the demo people, then let every domain package add its part."""
    queued_before = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    college = seed_people(now_utc().date())
    for seeder in demo_seeders():
        seeder(college)
        db.session.flush()
    discard_seeding_mail(after_id=queued_before)
    return college


def discard_seeding_mail(after_id: int) -> None:
    """Drop the mail the services queued while the demo was built.

    The demo stands for a college that has been running for a while; replaying hundreds of
    its past confirmations and invitations would only bury the mail a newcomer causes.
    """
    db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id > after_id))


def is_demo_account(email: str) -> bool:
    return email.endswith("@" + DEMO_DOMAIN)


def demo_logins() -> list[tuple[Role, str]]:
    """The demo's sign-in accounts that this database holds, as (role, email)."""
    emails = {email for email, _name in DEMO_LOGINS.values()}
    found = set(db.session.scalars(sa.select(User.email).where(User.email.in_(emails))))
    return [(role, email) for role, (email, _name) in DEMO_LOGINS.items() if email in found]


@contextmanager
def quiet_logs(level: int = logging.WARNING) -> Iterator[None]:
    """Keep the log to ``level`` and above for a while.

    The demo is built by the real services, and they log every sign-up and invitation:
    hundreds of lines at the start that say nothing to someone trying the college.
    """
    root = logging.getLogger()
    previous = root.level
    root.setLevel(max(previous, level))
    try:
        yield
    finally:
        root.setLevel(previous)


# --- large data sets for benchmarks ----------------------------------------------------------


@dataclass
class ScaledCollege:
    """Ids of the bulk-created people, handed to each package's scale seeder."""

    scale: float
    admin_id: int
    peer_ids: list[int]
    trainer_ids: list[int]
    student_ids: list[int]
    today: date
    # Only the bulk-created people: the demo's own keep the timetable the demo gave them.
    bulk_peer_ids: list[int] = field(default_factory=list)
    bulk_trainer_ids: list[int] = field(default_factory=list)
    bulk_student_ids: list[int] = field(default_factory=list)


def scale_seeders() -> list[Callable[[ScaledCollege], None]]:
    return extension_points().scale_seeders


def _bulk_people(prefix: str, count: int, role: Role, password_hash: str) -> list[int]:
    """Insert ``count`` people in one statement per role and return their ids in order."""
    if count <= 0:
        return []
    now = now_utc()
    rows = [
        {
            "email": f"{prefix}{number}@{DEMO_DOMAIN}",
            "display_name": demo_name(number),
            "password_hash": password_hash,
            "language": "da" if number % 3 else "en",
            "active": True,
            "discreet": True,
            "consent_version": current_app.config["PRIVACY_NOTICE_VERSION"],
            "consented_at": now,
            "created_at": now,
        }
        for number in range(1, count + 1)
    ]
    db.session.execute(sa.insert(User), rows)
    ids = list(
        db.session.scalars(
            sa.select(User.id).where(User.email.like(f"{prefix}%@{DEMO_DOMAIN}")).order_by(User.id)
        )
    )
    db.session.execute(
        sa.insert(UserRole), [{"user_id": i, "role": str(role), "granted_at": now} for i in ids]
    )
    return ids


def _qualify_in_bulk(peer_ids: list[int], today: date) -> None:
    """Every bulk peer took the five-day programme well before the oldest term; every
    third went on to the five-week programme too.
    """
    rows = [
        {
            "user_id": peer,
            "programme": str(Programme.FIVE_DAY),
            "granted_on": today - timedelta(days=900 + number % 200),
        }
        for number, peer in enumerate(peer_ids)
    ]
    rows += [
        {
            "user_id": peer,
            "programme": str(Programme.FIVE_WEEK),
            "granted_on": today - timedelta(days=700 + number % 100),
        }
        for number, peer in enumerate(peer_ids)
        if number % 3 == 0
    ]
    if rows:
        db.session.execute(sa.insert(Qualification), rows)


def seed_scaled(scale: float) -> ScaledCollege:
    """Build a large, realistic college fast: about 20,000 students and 100 peers at scale 1."""
    college = seed()
    password_hash = services.hash_password(DEMO_PASSWORD)
    today = now_utc().date()
    peer_ids = _bulk_people("bulkpeer", round(100 * scale), Role.PEER, password_hash)
    _qualify_in_bulk(peer_ids, today)
    trainer_ids = _bulk_people("bulktrainer", round(60 * scale), Role.TRAINER, password_hash)
    student_ids = _bulk_people("bulkstudent", round(20000 * scale), Role.STUDENT, password_hash)
    scaled = ScaledCollege(
        scale=scale,
        admin_id=college.admin.id,
        peer_ids=[p.id for p in college.peers] + peer_ids,
        trainer_ids=[t.id for t in college.trainers] + trainer_ids,
        student_ids=[s.id for s in college.students] + student_ids,
        today=today,
        bulk_peer_ids=peer_ids,
        bulk_trainer_ids=trainer_ids,
        bulk_student_ids=student_ids,
    )
    for seeder in scale_seeders():
        seeder(scaled)
        db.session.flush()
    if db.engine.dialect.name == "postgresql":
        # Fresh statistics, as autovacuum would gather soon after a bulk load: without
        # them the planner guesses at tables it believes empty and scans them whole.
        db.session.execute(sa.text("ANALYZE"))
    return scaled
