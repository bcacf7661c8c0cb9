"""Fixtures for the peers package: a published course with its pair.

The people in each role (``admin``, ``peer``, ``trainer``, ``student`` and their
``signed_in_*`` forms) are shared by every package, in ``tests/conftest.py``.
"""

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
def course(peer: User, trainer: User) -> Course:
    return factories.make_published_course(peer=peer, trainer=trainer, sessions=3)
