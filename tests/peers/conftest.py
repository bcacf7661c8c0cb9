"""Fixtures for the peers package: a published course with its pair, and colleagues."""

from __future__ import annotations

import pytest
from flask import Flask

from college.models import User
from courses.models import Course
from tests import factories


@pytest.fixture(autouse=True)
def peers_app(app: Flask) -> Flask:
    """Every test here runs inside the app, on each database engine."""
    return app


@pytest.fixture
def admin() -> User:
    return factories.make_admin(name="Ada Admin")


@pytest.fixture
def peer() -> User:
    return factories.make_peer(name="Pia Peer")


@pytest.fixture
def trainer() -> User:
    return factories.make_trainer(name="Tom Trainer")


@pytest.fixture
def course(peer: User, trainer: User) -> Course:
    return factories.make_published_course(peer=peer, trainer=trainer, sessions=3)
