"""Demo peers: profiles, training cohorts, absences with open cover requests."""

from __future__ import annotations

from college.demo import DemoCollege


def seed(college: DemoCollege) -> None:
    """Add the peers' part of the demo college."""
