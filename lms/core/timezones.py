"""The trust works in Europe/London; the database keeps UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)


def local_today(now: datetime | None = None) -> date:
    """Today's date in the trust's time zone (at `now`, or by the clock)."""
    return to_local(now or datetime.now(UTC)).date()


def start_of_local_day(day: date) -> datetime:
    """The UTC instant at which the given London calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=LONDON).astimezone(UTC)


def format_local(moment: datetime | None, pattern: str = "%-d %B %Y at %H:%M") -> str:
    if moment is None:
        return ""
    return to_local(moment).strftime(pattern)
