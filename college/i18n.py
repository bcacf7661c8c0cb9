"""Language choice: the person's own, else the switch, else the browser, else the college's."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user

from college.auth import may_be_signed_in
from college.extensions import babel
from college.languages import babel_locale


def select_language() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return str(current_app.config["COLLEGE_DEFAULT_LANGUAGE"])
    signed_in = may_be_signed_in() and current_user.is_authenticated
    if signed_in and current_user.language in languages:
        return str(current_user.language)
    chosen = session.get("language")
    if chosen in languages:
        return str(chosen)
    best = request.accept_languages.best_match(languages)
    return str(best or current_app.config["COLLEGE_DEFAULT_LANGUAGE"])


def select_locale() -> str:
    return str(babel_locale(select_language()))


def select_timezone() -> str:
    return current_app.config["COLLEGE_TIMEZONE"]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
