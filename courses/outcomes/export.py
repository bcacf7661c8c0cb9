"""The figures of a report as a table (CSV, XLSX) and as open JSON for evaluators.

The format is described in ``docs/outcomes-export.md``. Both are made from ``report``,
so they show exactly what the pages show: nothing for fewer than five pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _

from courses.outcomes.figures import MIN_PAIRS, OutcomeReport

FORMAT = "recovery-college-outcomes/1"


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def table(report: OutcomeReport) -> tuple[list[str], list[Sequence[object]]]:
    """One row per area: pairs, means, change with its 95% interval, shares, effect size."""
    header = [
        _("Statement"),
        _("Pairs"),
        _("Mean before"),
        _("Mean after"),
        _("Mean change"),
        _("95% interval, low"),
        _("95% interval, high"),
        _("Improved (share)"),
        _("Same (share)"),
        _("Declined (share)"),
        _("Effect size (d_z)"),
    ]
    rows: list[Sequence[object]] = []
    for figure in report.areas:
        c = figure.change
        rows.append(
            [
                figure.area.statement,
                c.pairs,
                _rounded(c.mean_before),
                _rounded(c.mean_after),
                _rounded(c.mean_change),
                _rounded(c.ci_low),
                _rounded(c.ci_high),
                _rounded(c.improved, 3),
                _rounded(c.same, 3),
                _rounded(c.declined, 3),
                _rounded(c.effect_size),
            ]
        )
    return header, rows


def document(report: OutcomeReport) -> dict[str, Any]:
    """The report as plain data in the documented, versioned format."""
    scope = report.scope
    questionnaire = report.questionnaire
    return {
        "format": FORMAT,
        "term": {
            "name": scope.term.name,
            "starts_on": scope.term.starts_on.isoformat(),
            "ends_on": scope.term.ends_on.isoformat(),
        },
        "filters": {
            "topic": scope.topic,
            "partner": scope.partner.name if scope.partner is not None else None,
            "course": scope.course.title if scope.course is not None else None,
        },
        "minimum_pairs": MIN_PAIRS,
        "shown": report.shown,
        "questionnaire": None
        if questionnaire is None
        else {
            "version": questionnaire.version,
            "areas": [
                {
                    "position": area.position,
                    "statement": {"en": area.statement_en, "da": area.statement_da},
                    "zero_means": {"en": area.low_en, "da": area.low_da},
                    "ten_means": {"en": area.high_en, "da": area.high_da},
                }
                for area in questionnaire.areas
            ],
        },
        "courses_counted": len(report.courses_shown) if report.shown else 0,
        "responses": None
        if not report.shown
        else {
            "enrolled": report.rates.enrolled,
            "answers_before": report.rates.before,
            "answers_after": report.rates.after,
            "rate_before": _rounded(report.before_rate, 3),
            "rate_after": _rounded(report.after_rate, 3),
        },
        "areas": [
            {
                "position": figure.area.position,
                "pairs": figure.change.pairs,
                "mean_before": _rounded(figure.change.mean_before),
                "mean_after": _rounded(figure.change.mean_after),
                "mean_change": _rounded(figure.change.mean_change),
                "ci95": [_rounded(figure.change.ci_low), _rounded(figure.change.ci_high)],
                "improved": _rounded(figure.change.improved, 3),
                "same": _rounded(figure.change.same, 3),
                "declined": _rounded(figure.change.declined, 3),
                "effect_size_dz": _rounded(figure.change.effect_size),
            }
            for figure in report.areas
        ],
    }
