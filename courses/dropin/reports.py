"""Drop-in attendance beside enrolled attendance: head counts per session, as figures,
a chart, a download and a dashboard panel. Counts only; one query however many sessions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_time, ngettext
from flask_babel import gettext as _

from college.charts import BLUE, GREY, PURPLE, TEAL, Bar, Chart, Series
from college.db import now_utc
from college.extensions import db
from college.reports import Panel
from courses.dashboard import LATEST_SESSIONS, session_label
from courses.dropin.models import HeadCount
from courses.models import Course, CourseSession, SessionStatus, Term
from courses.reports import REPORTED, all_terms, chosen_term
from courses.times import local_date


@dataclass(frozen=True)
class DropInVisits:
    """One drop-in session held so far and its head count (all zero until it is taken)."""

    session_id: int
    course_id: int
    course_title: str
    starts_at: datetime
    counted: bool
    came: int
    first_visits: int
    second_visits: int
    third_visits: int

    @property
    def not_said(self) -> int:
        return self.came - self.first_visits - self.second_visits - self.third_visits


def drop_in_figures(
    term: Term | None = None,
    course: Course | None = None,
    *,
    latest: int | None = None,
    now: datetime | None = None,
) -> list[DropInVisits]:
    """Head counts of the drop-in sessions held so far, oldest first; ``latest``: the last few."""
    zero = sa.literal(0)
    statement = (
        sa.select(
            CourseSession.id,
            Course.id,
            Course.title,
            CourseSession.starts_at,
            HeadCount.id.is_not(None),
            sa.func.coalesce(HeadCount.came, zero),
            sa.func.coalesce(HeadCount.first_visits, zero),
            sa.func.coalesce(HeadCount.second_visits, zero),
            sa.func.coalesce(HeadCount.third_visits, zero),
        )
        .join(Course, CourseSession.course_id == Course.id)
        .outerjoin(HeadCount, HeadCount.session_id == CourseSession.id)
        .where(
            sa.or_(Course.drop_in.is_(True), CourseSession.drop_in.is_(True)),
            Course.status.in_(REPORTED),
            CourseSession.status == SessionStatus.SCHEDULED,
            CourseSession.starts_at <= (now or now_utc()),
        )
        .order_by(CourseSession.starts_at.desc(), CourseSession.id.desc())
    )
    if term is not None:
        statement = statement.where(Course.term_id == term.id)
    if course is not None:
        statement = statement.where(Course.id == course.id)
    if latest is not None:
        statement = statement.limit(latest)
    rows = [DropInVisits(*row) for row in db.session.execute(statement)]
    return rows[::-1]


def drop_in_chart(
    rows: list[DropInVisits], key: str = "drop_in", with_course: bool = True
) -> Chart:
    came = sum(r.came for r in rows)
    first = sum(r.first_visits for r in rows)
    description = " ".join(
        (
            ngettext("%(num)s drop-in session held.", "%(num)s drop-in sessions held.", len(rows)),
            ngettext("%(num)s visit in all,", "%(num)s visits in all,", came),
            ngettext("%(num)s of them a first visit.", "%(num)s of them first visits.", first),
        )
    )
    return Chart(
        key=key,
        title=_("Drop-in: how many came"),
        description=description if rows else _("No drop-in session has been held yet."),
        series=(
            Series(_("First visit"), TEAL),
            Series(_("Second visit"), BLUE),
            Series(_("Third visit"), PURPLE),
            Series(_("Did not say, or more often"), GREY),
        ),
        bars=tuple(
            Bar(
                session_label(r, with_course),  # type: ignore[arg-type]
                (r.first_visits, r.second_visits, r.third_visits, r.not_said),
                note=ngettext("%(num)s came", "%(num)s came", r.came)
                if r.counted
                else _("Not counted"),
                short_label=session_label(r, with_course, short=True),  # type: ignore[arg-type]
            )
            for r in rows
        ),
        row_heading=_("Session"),
    )


def drop_in_table(term: Term | None, course: Course | None) -> tuple[list[str], list[list[object]]]:
    """The head counts as a download: no names, so not an export of personal data."""
    header = [
        _("Course"),
        _("Date"),
        _("Time"),
        _("Came"),
        _("First visit"),
        _("Second visit"),
        _("Third visit"),
        _("Did not say, or more often"),
    ]
    rows: list[list[object]] = [
        [
            r.course_title,
            local_date(r.starts_at),
            format_time(r.starts_at, "HH:mm"),
            r.came if r.counted else "",
            r.first_visits,
            r.second_visits,
            r.third_visits,
            r.not_said,
        ]
        for r in drop_in_figures(term, course)
    ]
    return header, rows


def drop_in_panel(args: Mapping[str, str]) -> Panel | None:
    """The latest drop-in head counts of the chosen term, beside its enrolled attendance."""
    term = chosen_term(args, all_terms())
    if term is None:
        return None
    rows = drop_in_figures(term, latest=LATEST_SESSIONS)
    if not rows:
        return None
    return Panel(
        key="drop_in",
        template="dropin/_dashboard_panel.html",
        context={
            "chart": drop_in_chart(rows),
            "report": url_for("reports_admin.term_report", term=term.id),
        },
        order=11,
    )
