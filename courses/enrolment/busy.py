"""What a person is told when sign-ups keep the database busy (see ``college.transactions``)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from college.errors import render_error
from college.transactions import Busy

SIGN_UPS_BUSY = _l("Many people are signing up right now. Please wait a moment and try again.")


def show_busy(error: Busy) -> tuple[Any, int]:
    """A calm 503 for places: everyone is signing up at once, and trying again will work."""
    return render_error(503, SIGN_UPS_BUSY)
