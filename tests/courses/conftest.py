"""Fixtures for the courses package (the people in each role are in ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from courses import services


@pytest.fixture(autouse=True)
def courses_app(app: Flask) -> Flask:
    """Every test here runs inside the app, on each database engine."""
    return app


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
