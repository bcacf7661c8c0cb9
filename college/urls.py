"""Absolute links for emails and feeds, built from the configured base URL.

Links in mail never come from the request's Host header, so a forged header cannot
send someone a password-reset link to another site.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values: Any) -> str:
    base = current_app.config["COLLEGE_BASE_URL"].rstrip("/")
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc or "localhost", url_scheme=parts.scheme)
    path = adapter.build(endpoint, values, force_external=False)
    return base + path
