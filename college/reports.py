"""The administrators' dashboard as packages fill it, and CSV downloads that are safe to open.

Domain packages add panels with ``add_dashboard_panel(app, provider)``. A provider is called
with the page's query arguments (e.g. the chosen term) and returns a ``Panel``: things that
need attention today, and optionally a template (with its own context) drawn below them.
Providers must ask the database a fixed number of questions, whatever the data size: the
dashboard's query count is tested.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import Flask, Response, current_app

from college.models import User
from college.services import record_audit


@dataclass(frozen=True)
class Attention:
    """One thing an administrator should look at today, with where to fix it."""

    text: str
    url: str | None = None


@dataclass
class Panel:
    """What one package shows on the dashboard; panels are drawn in ``order``."""

    key: str
    attention: list[Attention] = field(default_factory=list)
    template: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


PanelProvider = Callable[[Mapping[str, str]], Panel | None]


def add_dashboard_panel(app: Flask, provider: PanelProvider) -> None:
    app.extensions.setdefault("college.dashboard_panels", []).append(provider)


def dashboard_panels(args: Mapping[str, str]) -> list[Panel]:
    """Every package's panel for this request, in display order."""
    providers: list[PanelProvider] = current_app.extensions.get("college.dashboard_panels", [])
    panels = [panel for provider in providers if (panel := provider(args)) is not None]
    return sorted(panels, key=lambda panel: panel.order)


# --- CSV ------------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell's text that a spreadsheet shows as it is and never runs."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "1" if value else "0"
    elif isinstance(value, datetime | date):
        text = value.isoformat()
    else:
        text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    """A CSV download: UTF-8 with a byte-order mark so Excel reads æ, ø and å, never cached.

    ``filename`` must not hold personal data: it ends up in browser histories and logs.
    """
    body = codecs.BOM_UTF8 + csv_text(header, rows).encode("utf-8")
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def record_export(actor: User, what: str, target: object, detail: str | None = None) -> None:
    """Write a download of personal data to the audit log (the caller commits)."""
    record_audit(actor, f"{what}.exported", target, detail)
