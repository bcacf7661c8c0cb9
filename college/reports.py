"""The administrators' dashboard as packages fill it, and downloads that are safe to open.

CSV follows the reader's language (Danish spreadsheets expect ``;`` between cells and a
decimal comma); the same tables are offered as XLSX with real number and date cells.

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
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app
from flask_babel import get_locale

from college.models import User
from college.services import record_audit
from college.signals import extension_points


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
    extension_points(app).dashboard_panels.append(provider)


def dashboard_panels(args: Mapping[str, str]) -> list[Panel]:
    """Every package's panel for this request, in display order."""
    providers = extension_points().dashboard_panels
    panels = [panel for provider in providers if (panel := provider(args)) is not None]
    return sorted(panels, key=lambda panel: panel.order)


# --- CSV and XLSX ---------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Number = int | float | Decimal


@dataclass(frozen=True)
class CsvDialect:
    """How the reader's spreadsheet expects a CSV file: Danish Excel wants ``;`` and ``,``."""

    delimiter: str = ","
    decimal: str = "."


DIALECTS = {"da": CsvDialect(";", ",")}


def reader_dialect() -> CsvDialect:
    locale = get_locale()
    return DIALECTS.get(locale.language if locale else "", CsvDialect())


def _number_text(value: Number, decimal: str) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        value = Decimal(repr(value))
    return format(value, "f").replace(".", decimal)


def safe_cell(value: object, dialect: CsvDialect | None = None) -> str:
    """A cell's text that a spreadsheet shows as it is and never runs."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "1" if value else "0"
    elif isinstance(value, int | float | Decimal) and dialect is not None:
        return _number_text(value, dialect.decimal)  # a number is never a formula
    elif isinstance(value, datetime | date):
        text = value.isoformat()
    else:
        text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    dialect: CsvDialect | None = None,
) -> str:
    dialect = dialect or CsvDialect()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell, dialect) for cell in row])
    return buffer.getvalue()


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    """A CSV download in the reader's spreadsheet dialect: UTF-8 with a byte-order mark so
    Excel reads æ, ø and å, never cached.

    ``filename`` must not hold personal data: it ends up in browser histories and logs.
    """
    body = codecs.BOM_UTF8 + csv_text(header, rows, reader_dialect()).encode("utf-8")
    response = _download(body, "text/csv", filename)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    return response


def _xlsx_value(value: object) -> object:
    """Numbers and dates stay numbers and dates; a datetime is shown in the college's time."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            zone = ZoneInfo(current_app.config["COLLEGE_TIMEZONE"])
            value = value.astimezone(zone).replace(tzinfo=None)
        return value
    if value is None or isinstance(value, int | float | Decimal | date):
        return value
    return str(value)


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    formats = {datetime: "yyyy-mm-dd hh:mm", date: "yyyy-mm-dd"}
    for line in [list(header), *rows]:
        cells = []
        for value in line:
            cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even when it starts like a formula
            elif isinstance(cell.value, date):
                cell.number_format = formats[datetime if isinstance(cell.value, datetime) else date]
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    """The same table as an Excel workbook, with real number and date cells."""
    return _download(xlsx_bytes(header, rows), XLSX_TYPE, filename)


def table_response(
    stem: str, kind: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    """A download as ``stem.csv`` or ``stem.xlsx``; ``kind`` comes from the route."""
    if kind == "xlsx":
        return xlsx_response(f"{stem}.xlsx", header, rows)
    return csv_response(f"{stem}.csv", header, rows)


def record_export(actor: User, what: str, target: object, detail: str | None = None) -> None:
    """Write a download of personal data to the audit log (the caller commits)."""
    record_audit(actor, f"{what}.exported", target, detail)
