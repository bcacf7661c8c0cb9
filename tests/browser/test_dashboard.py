"""An administrator reads the term at a glance: charts with their figures, and reports."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import assert_accessible, expect, screenshot

pytestmark = pytest.mark.browser


def test_the_dashboard_shows_charts_with_their_figures(admin_page: Any) -> None:
    page = admin_page
    page.goto("/admin/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("#attention-title")).to_be_visible()  # the demo admin reads Danish
    charts = page.locator('.chart svg[role="img"]')
    expect(charts.first).to_be_visible()
    assert charts.count() >= 2
    # Each chart names itself for screen readers and keeps its figures one click away.
    first = page.locator(".chart").first
    assert first.locator("svg[role=img] title").first.text_content().strip()
    first.locator("summary").click()
    expect(first.locator("table th[scope=col]").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "admin/01-dashboard")


def test_the_reports_page_offers_downloads(admin_page: Any) -> None:
    page = admin_page
    page.goto("/admin/reports/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    downloads = page.locator('a[href$=".csv"]')
    expect(downloads.first).to_be_visible()
    with page.expect_download() as download:
        downloads.first.click()
    assert download.value.suggested_filename.endswith(".csv")
    assert_accessible(page)
    screenshot(page, "admin/02-reports")
