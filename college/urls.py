"""Absolute links for emails and feeds, built from the configured base URL.

Links in mail never come from the request's Host header, so a forged header cannot
send someone a password-reset link to another site.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from flask import current_app, request
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter

# Ids are PostgreSQL integers: a number beyond them names nothing, so its page is "not found".
MAX_ID = 2**31 - 1
# No list of the college has this many pages; a larger number is read as the last one asked.
MAX_PAGE = 10_000


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in every route: 0 to ``MAX_ID``; a larger number matches no route (404)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class PlainTextConverter(UnicodeConverter):
    """``<slug>`` and ``<string:...>``: no control characters, so a NUL never reaches a query."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]")


def requested_page() -> int:
    """The ``page`` query parameter as a page number from 1 to ``MAX_PAGE`` (1 if unusable)."""
    raw = request.args.get("page", "")
    page = int(raw) if raw.isdigit() and len(raw) < 10 else 1
    return min(max(page, 1), MAX_PAGE)


def absolute_url(endpoint: str, **values: Any) -> str:
    base = current_app.config["COLLEGE_BASE_URL"].rstrip("/")
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc or "localhost", url_scheme=parts.scheme)
    path = adapter.build(endpoint, values, force_external=False)
    return base + path


def subscription_links(feed: str, name: str) -> dict[str, str]:
    """Ways to subscribe to a calendar feed: its address, webcal, Google and Outlook.

    Each is a subscription that the calendar app refreshes by itself, not a one-off import.
    """
    webcal = "webcal://" + feed.split("://", 1)[1]
    return {
        "feed": feed,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/render?cid=" + quote(webcal, safe=""),
        "outlook": "https://outlook.live.com/calendar/0/addfromweb?"
        + urlencode({"url": feed, "name": name}),
    }
