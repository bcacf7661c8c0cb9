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
    """Enrolments per second through HTTP next to hello world, then the term opening's rush."""
    from bench import enrolment, rush

    found = enrolment.run(url, database_url, smoke=args.smoke, duration=args.duration)
    rushed = rush.run(url, database_url, smoke=args.smoke)
    return {
        "lines": [*found["lines"], *rushed["lines"]],
        "data": found["data"] | rushed["data"],
    }
