"""Template helpers shared by every blueprint: local times, the college's name, languages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_time, get_locale, gettext
from flask_login import current_user
from markupsafe import Markup, escape

from college.signals import extension_points

LANGUAGE_NAMES = {"en": "English", "da": "Dansk"}


@dataclass(frozen=True)
class NavItem:
    """A link a domain package adds to a navigation list; ``roles`` limits who sees it."""

    endpoint: str
    label: Any
    roles: tuple[str, ...] = ()


def add_nav_item(app: Flask, menu: str, item: NavItem) -> None:
    """Register a link in ``menu``: "main", "admin" or "me"."""
    extension_points(app).nav[menu].append(item)


def _visible_items(menu: str) -> list[NavItem]:
    items = extension_points().nav[menu]
    user = current_user if has_request_context() else None
    held = {str(r) for r in user.roles} if user is not None and user.is_authenticated else set()
    return [item for item in items if not item.roles or held.intersection(item.roles)]


def local_datetime(value: datetime) -> datetime:
    """Return an aware datetime in the college's time zone."""
    return value.astimezone(ZoneInfo(current_app.config["COLLEGE_TIMEZONE"]))


def format_when(value: datetime | None, style: str = "full") -> str:
    """A day and a time without seconds: "Wednesday 16 December 2026, 10:00"."""
    if value is None:
        return ""
    return gettext("%(day)s, %(time)s", day=format_day(value, style), time=format_clock(value))


# Where a language writes a day otherwise than Babel's default for the style: British
# English writes "Wednesday 16 December 2026", without Babel's comma after the weekday.
DAY_PATTERNS = {("en", "full"): "EEEE d MMMM y"}


def format_day(value: date | datetime | None, style: str = "full") -> str:
    """A day in the reader's language: "Wednesday 16 December 2026", "onsdag den 16. december"."""
    if value is None:
        return ""
    return format_date(value, DAY_PATTERNS.get((current_language(), style), style))


def format_clock(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_time(value, "short")


def current_language() -> str:
    """The code of the language pages are in ("en", "da"), whatever country Babel formats for."""
    locale = get_locale()
    return locale.language if locale else str(current_app.config["COLLEGE_DEFAULT_LANGUAGE"])


def teaching_language() -> str:
    return str(current_app.config["COLLEGE_TEACHING_LANGUAGE"])


def course_lang() -> Markup:
    """` lang="da"` on an element holding course texts, when the page is in another language.

    Course titles and descriptions are written in the language the courses are taught in;
    a screen reader reads them in that language's voice (WCAG 3.1.2).
    """
    language = teaching_language()
    return Markup(' lang="{}"').format(language) if language != current_language() else Markup()


def language_name(code: str) -> str:
    """A language's name in the language of the page: "Danish", "dansk"."""
    return str(Locale.parse(code).get_display_name(get_locale()) or code)


def course_text(text: str) -> Markup:
    """A course text inside a sentence of the page, marked with its language when it differs."""
    language = teaching_language()
    if language == current_language():
        return escape(text)
    return Markup('<span lang="{}">{}</span>').format(language, text)


def inject_globals() -> dict[str, Any]:
    return {
        "college_name": current_app.config["COLLEGE_NAME"],
        "languages": LANGUAGE_NAMES,
        "current_language": current_language(),
        "teaching_language": teaching_language(),
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
    app.jinja_env.globals["course_lang"] = course_lang
    app.jinja_env.globals["course_text"] = course_text
    app.jinja_env.globals["language_name"] = language_name
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
