"""Fixtures for the courses package: the people who run and teach a course."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from college.models import Programme, User
from courses import services
from tests import factories


@pytest.fixture(autouse=True)
def courses_app(app: Flask) -> Flask:
    """Every test here runs inside the app, on each database engine."""
    return app


@pytest.fixture
def admin() -> User:
    return factories.make_admin(name="Ada Admin")


@pytest.fixture
def peer() -> User:
    return factories.make_peer(name="Pia Peer", programmes=(Programme.FIVE_DAY,))


@pytest.fixture
def trainer() -> User:
    return factories.make_trainer(name="Tom Trainer")


@pytest.fixture
def signed_in_admin(auth, admin: User) -> User:
    auth.login(admin)
    return admin


@pytest.fixture
def listen(app: Flask) -> Iterator[Callable[[], list[tuple[int, str, dict[str, Any]]]]]:
    """Record what the session-change listeners hear during a test."""
    heard: list[tuple[int, str, dict[str, Any]]] = []

    def listener(session: Any, kind: str, **details: Any) -> None:
        heard.append((session.id, str(kind), details))

    listeners = services.session_change_listeners()
    listeners.append(listener)
    yield lambda: heard
    listeners.remove(listener)
