"""Cleaning text that people type, in one place: forms, query parameters and the CLI use it.

A single-line value (a name, a title, a venue's street, a search) never holds a control
character: line breaks, tabs, NUL and the rest become a single space. A multi-line value
(a description, a note) keeps its line breaks and tabs; NUL is refused, since PostgreSQL
cannot store it, and the other control characters are dropped. So the calendar and mail
builders, which put these values into headers and iCalendar lines, never see one.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators.
CONTROL_RUN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# What a multi-line value may not keep: every control but tab, line feed and carriage return.
STRAY_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def single_line(value: str) -> str:
    """``value`` with every run of control characters made one space, and trimmed."""
    return CONTROL_RUN.sub(" ", value).strip()


def has_control_character(value: str) -> bool:
    return CONTROL_RUN.search(value) is not None


def clean_single_line(value: object) -> object:
    """A WTForms filter: clean a single-line field's value (None and non-text pass as they are)."""
    return single_line(value) if isinstance(value, str) else value


def clean_multi_line(value: object) -> object:
    """A WTForms filter: drop stray control characters but NUL, which the validator refuses."""
    return STRAY_CONTROL.sub("", value) if isinstance(value, str) else value


def multi_line(value: str) -> str:
    """``value`` keeping tabs and line breaks, without NUL or any other control character."""
    return STRAY_CONTROL.sub("", value).replace("\x00", "")
