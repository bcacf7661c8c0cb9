"""Peers: training programmes and cohorts, availability, and cover between colleagues."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Plug the peers package into the app."""
