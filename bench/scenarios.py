"""What the benchmark measures, and the targets from the performance issue."""

from __future__ import annotations

import argparse
from typing import Any

from bench.run import Scenario


def build(url: str, database_url: str) -> list[Scenario]:
    """Return the scenarios for the features present in this version of the app."""
    from bench import calendar, pages

    return [*pages.scenarios(url, database_url), *calendar.scenarios(url, database_url)]


def run_extra(url: str, database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Enrolments per second through HTTP, next to hello world driven the same way."""
    from bench import enrolment

    return enrolment.run(url, database_url, smoke=args.smoke, duration=args.duration)
