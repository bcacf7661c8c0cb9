"""Fixtures for the courses package (the people in each role are in ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from college import signals


@pytest.fixture(autouse=True)
def courses_app(app: Flask) -> Flask:
    """Every test here runs inside the app, on each database engine."""
    return app


@pytest.fixture
def listen(app: Flask) -> Iterator[Callable[[], list[tuple[int, str, dict[str, Any]]]]]:
    """Record what the session-change listeners hear during a test."""
    heard: list[tuple[int, str, dict[str, Any]]] = []

    def listener(_app: Flask, *, session: Any, kind: str, **details: Any) -> None:
        heard.append((session.id, str(kind), details))

    with signals.session_changed.connected_to(listener, sender=app):
        yield lambda: heard
