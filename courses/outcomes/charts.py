"""The before-and-after chart of a report, drawn by the core's accessible SVG charts."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from college.charts import BLUE, TEAL, Bar, Chart, Series, format_number
from courses.outcomes.figures import MIN_PAIRS, OutcomeReport


def signed(value: float) -> str:
    text = format_number(value, 1)
    return f"+{text}" if value > 0 else text


def change_chart(report: OutcomeReport, key: str = "outcomes", title: str | None = None) -> Chart:
    """Mean rating before and after per area, with the mean change as each row's note."""
    if report.shown:
        description = ngettext(
            "Mean ratings from 0 to 10 before and after, from %(num)s pair of answers.",
            "Mean ratings from 0 to 10 before and after, from %(num)s pairs of answers.",
            report.pairs,
        )
    else:
        description = _(
            "Nothing is shown until a course has at least %(num)s students who answered "
            "both before and after.",
            num=MIN_PAIRS,
        )
    if report.courses_hidden:
        description += " " + ngettext(
            "%(num)s course has fewer pairs, so it is not counted.",
            "%(num)s courses have fewer pairs, so they are not counted.",
            report.courses_hidden,
        )
    return Chart(
        key=key,
        title=title or _("Before and after the course"),
        description=description,
        series=(Series(_("Before"), BLUE), Series(_("After"), TEAL)),
        bars=tuple(
            Bar(
                figure.area.statement,
                (figure.change.mean_before, figure.change.mean_after),
                note=_("change %(change)s", change=signed(figure.change.mean_change)),
            )
            for figure in report.areas
        ),
        stacked=False,
        scale_max=10,
        decimals=1,
        row_heading=_("Statement"),
    )
