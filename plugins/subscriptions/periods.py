"""Period arithmetic, on dates alone. A month (or year) added to a day that the target month
lacks lands on that month's last day, and every period is counted from the anchor, never from
the previous period's end: a subscription started on January 31 bills on February 28 (29 in
a leap year), then March 31, April 30, May 31. Chaining from the previous end would have
drifted to the 28th for good."""

import calendar
from datetime import date, timedelta

MONTHS = {"MONTH": 1, "YEAR": 12}


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def shift(anchor: date, interval: str, count: int, periods: int) -> date:
    """The first day of period `periods` (0 is the anchor's) of `count` x `interval`."""
    if interval == "WEEK":
        return anchor + timedelta(weeks=count * periods)
    return add_months(anchor, MONTHS[interval] * count * periods)


def describe(start: date, end: date) -> str:
    """How a period reads on an invoice line: its first and last day."""
    return f"{start.isoformat()} to {(end - timedelta(days=1)).isoformat()}"
