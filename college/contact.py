"""The college's contact details: whom a person can ask, on every page, mail and error.

Settings (``COLLEGE_CONTACT_*``), not data: they change when the college moves or changes
its hours, which is a deployment. Opening hours left empty are shown in the reader's
language from a translated default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _


@dataclass(frozen=True)
class Contact:
    email: str
    phone: str
    address: str
    hours: str

    @property
    def phone_link(self) -> str:
        """The number as a ``tel:`` address: digits and a leading plus only."""
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")


def college_contact() -> Contact:
    config = current_app.config
    return Contact(
        email=config["COLLEGE_CONTACT_EMAIL"],
        phone=config["COLLEGE_CONTACT_PHONE"],
        address=config["COLLEGE_CONTACT_ADDRESS"],
        hours=config["COLLEGE_CONTACT_HOURS"] or _("Monday to Thursday, 9:00 to 15:00"),
    )


def inject_contact() -> dict[str, Any]:
    return {"college_contact": college_contact}


def init_app(app: Flask) -> None:
    app.context_processor(inject_contact)
