"""Language codes and the locales Babel writes them in.

A language is chosen by its code ("da", "en"); dates and numbers follow the country the
college writes for. To Babel, plain "en" is American English ("Wednesday, December 16,
2026"), so English pages and mail use British English ("Wednesday 16 December 2026").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import force_locale

# The locale Babel formats and translates with, per language code; others are used as they are.
LOCALES = {"en": "en_GB"}


def babel_locale(language: str | None) -> str | None:
    """The Babel locale for a language code: "en" is British English."""
    return LOCALES.get(language, language) if language else language


@contextmanager
def force_language(language: str | None) -> Iterator[None]:
    """Translate and format in ``language`` (a code such as "da"), e.g. for a person's mail."""
    with force_locale(babel_locale(language)):
        yield
