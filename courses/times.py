"""Local wall-clock times of the college, and the UTC moments they mean.

People enter and read times in ``COLLEGE_TIMEZONE``; the database keeps UTC. Twice a
year the clocks change, so converting is a rule of its own: a time that does not exist
(skipped in spring) is refused, and a time that happens twice (autumn) means the first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from college.db import now_utc
from college.errors import DomainError
from courses.models import college_zone


class NonexistentLocalTime(DomainError):
    message = _l(
        "%(time)s does not exist on %(date)s because the clocks are put forward that night. "
        "Please choose another time."
    )


def to_utc(day: date, clock: time) -> datetime:
    """Return the UTC moment of a local date and time."""
    zone = college_zone()
    local = datetime.combine(day, clock.replace(tzinfo=None, fold=0), tzinfo=zone)
    moment = local.astimezone(UTC)
    # A skipped time does not survive the round trip back to local time.
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentLocalTime(time=clock.strftime("%H:%M"), date=day.isoformat())
    return moment


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(college_zone())


def local_date(moment: datetime) -> date:
    return to_local(moment).date()


def local_clock(moment: datetime) -> time:
    return to_local(moment).time().replace(second=0, microsecond=0)


def local_today() -> date:
    return to_local(now_utc()).date()


def minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start) / timedelta(minutes=1))


def day_list(days: list[date]) -> str:
    """Dates in the reader's language, a month named once: "5, 12, 19, 26 January"."""
    from babel import Locale
    from babel.dates import format_skeleton
    from flask_babel import get_locale

    locale = get_locale() or Locale("en", "GB")
    if locale.language == "en" and not locale.territory:
        locale = Locale("en", "GB")  # the college writes English dates the British way
    by_month: dict[tuple[int, int], list[date]] = {}
    for day in sorted(set(days)):
        by_month.setdefault((day.year, day.month), []).append(day)
    skeleton = "dMMMM" if len({year for year, _month in by_month}) < 2 else "dMMMMy"
    parts = []
    for month_days in by_month.values():
        parts += [format_skeleton("d", day, locale=locale) for day in month_days[:-1]]
        parts.append(format_skeleton(skeleton, month_days[-1], locale=locale))
    return ", ".join(parts)
