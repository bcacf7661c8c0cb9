"""Template helpers shared by every blueprint: local times, the college's name, languages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, format_time, get_locale
from flask_login import current_user

LANGUAGE_NAMES = {"en": "English", "da": "Dansk"}


@dataclass(frozen=True)
class NavItem:
    """A link a domain package adds to a navigation list; ``roles`` limits who sees it."""

    endpoint: str
    label: Any
    roles: tuple[str, ...] = ()


def add_nav_item(app: Flask, menu: str, item: NavItem) -> None:
    """Register a link in ``menu``: "main", "admin" or "me"."""
    app.extensions.setdefault(f"college.nav.{menu}", []).append(item)


def _visible_items(menu: str) -> list[NavItem]:
    items = current_app.extensions.get(f"college.nav.{menu}", [])
    user = current_user if has_request_context() else None
    held = {str(r) for r in user.roles} if user is not None and user.is_authenticated else set()
    return [item for item in items if not item.roles or held.intersection(item.roles)]


def local_datetime(value: datetime) -> datetime:
    """Return an aware datetime in the college's time zone."""
    return value.astimezone(ZoneInfo(current_app.config["COLLEGE_TIMEZONE"]))


def format_when(value: datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, style)


def format_day(value: date | datetime | None, style: str = "full") -> str:
    if value is None:
        return ""
    return format_date(value, style)


def format_clock(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_time(value, "short")


def inject_globals() -> dict[str, Any]:
    return {
        "college_name": current_app.config["COLLEGE_NAME"],
        "languages": LANGUAGE_NAMES,
        "current_language": str(get_locale() or current_app.config["COLLEGE_DEFAULT_LANGUAGE"]),
        "current_path": request.full_path.rstrip("?") if has_request_context() else "/",
        "nav_items": _visible_items("main"),
        "admin_nav_items": _visible_items("admin"),
        "me_links": _visible_items("me"),
    }


def init_app(app: Flask) -> None:
    app.context_processor(inject_globals)
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
