"""Server-drawn charts are accessible images; CSV cells can never run as formulas."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask import Flask

from college.charts import TEAL, Bar, Chart, Series, axis_of, nice_step, shorten
from college.reports import csv_response, csv_text, safe_cell

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def ctx(app: Flask):
    with app.test_request_context():
        yield


def chart(**kwargs: object) -> Chart:
    values = {
        "key": "places",
        "title": "Places <per> course",
        "description": "Two courses & one full.",
        "series": (Series("Enrolled", TEAL),),
        "bars": (Bar("Mindfulness", (12,), note="12 of 16", marker=16), Bar("Stress", (3,))),
    }
    values.update(kwargs)
    return Chart(**values)  # type: ignore[arg-type]


def parse(c: Chart) -> ET.Element:
    return ET.fromstring(str(c.svg))  # noqa: S314 - the chart module's own output


def test_svg_is_an_image_with_a_title_and_description(ctx: None):
    root = parse(chart())
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "places-title places-desc"
    assert root.find(f"{SVG}title").text == "Places <per> course"  # escaped, then parsed
    assert root.find(f"{SVG}desc").text == "Two courses & one full."
    assert "style" not in str(chart().svg)  # the CSP forbids inline styles


def test_bars_are_drawn_to_scale(ctx: None):
    root = parse(chart())
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    # The scale ends at 16 (the places marker): 12 and 3 keep their proportion.
    assert widths[0] / widths[1] == pytest.approx(4)
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "Mindfulness" in labels and "12 of 16" in labels


def test_axis_ends_on_round_numbers():
    assert nice_step(3.2) == 5
    assert nice_step(0.4) == 0.5
    assert axis_of(chart()) == (20, 5)
    assert axis_of(chart(scale_max=10)) == (10, 2)
    assert axis_of(chart(bars=())) == (1, 1)


def test_long_labels_are_shortened_in_the_picture_and_whole_on_hover(ctx: None):
    long = "A very long course title that would not fit"
    assert shorten(long).endswith("…") and len(shorten(long)) == 27
    c = chart(bars=(Bar(long, (1,)),))
    root = parse(c)
    assert [t.text for t in root.iter(f"{SVG}text")][-1] == shorten(long)
    row = root.find(f"{SVG}g")
    assert row is not None and row.find(f"{SVG}title").text == long  # the browser's tooltip
    assert c.table[0][0] == long


def test_table_has_the_same_figures(ctx: None):
    assert chart().table == [("Mindfulness", ["12"]), ("Stress", ["3"])]
    marked = chart(marker_label="Places")
    assert marked.table[0] == ("Mindfulness", ["12", "16"])


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+45", "'+45"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("Søren", "Søren"),
        (7, "7"),
        (None, ""),
        (True, "1"),
    ],
)
def test_cells_that_start_like_formulas_are_quoted(value: object, cell: str):
    assert safe_cell(value) == cell


def test_csv_download_headers_and_bom(app: Flask):
    with app.test_request_context():
        response = csv_response("term-1-places.csv", ["Navn"], [["Ærø"], ["=1+1"]])
    assert response.data == "\ufeffNavn\r\nÆrø\r\n'=1+1\r\n".encode()
    assert response.headers["Content-Disposition"] == 'attachment; filename="term-1-places.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert csv_text(["a"], []) == "a\r\n"
