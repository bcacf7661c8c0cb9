"""Calendar invitations by email (iTIP over iMIP)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Listen to changes of sessions and courses."""
