"""Plain, typed factory functions for test data."""

from __future__ import annotations

import itertools
from datetime import date

from college import services
from college.extensions import db
from college.models import Programme, Qualification, Role, User

PASSWORD = "a calm river at dawn"
_counter = itertools.count(1)


def make_user(
    *,
    email: str | None = None,
    name: str | None = None,
    roles: tuple[Role, ...] = (Role.STUDENT,),
    password: str | None = PASSWORD,
    language: str = "en",
) -> User:
    number = next(_counter)
    user = services.create_user(
        email=email or f"person{number}@example.org",
        display_name=name or f"Person {number}",
        password=password,
        language=language,
        roles=roles,
    )
    user.consent_version = "test"
    db.session.flush()
    return user


def make_student(**kwargs: object) -> User:
    return make_user(roles=(Role.STUDENT,), **kwargs)  # type: ignore[arg-type]


def make_admin(**kwargs: object) -> User:
    return make_user(roles=(Role.ADMIN,), **kwargs)  # type: ignore[arg-type]


def make_trainer(**kwargs: object) -> User:
    return make_user(roles=(Role.TRAINER,), **kwargs)  # type: ignore[arg-type]


def make_peer(
    *,
    programmes: tuple[Programme, ...] = (Programme.FIVE_DAY,),
    granted_on: date = date(2025, 1, 15),
    **kwargs: object,
) -> User:
    peer = make_user(roles=(Role.PEER,), **kwargs)  # type: ignore[arg-type]
    for programme in programmes:
        db.session.add(Qualification(user=peer, programme=str(programme), granted_on=granted_on))
    db.session.flush()
    return peer
