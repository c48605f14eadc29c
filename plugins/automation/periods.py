"""The periods of a SCHEDULE trigger, counted on the tenant's wall clock (`core/tenants.py`
`time_zone`): `{"every": "HOURS", "hours": n}` (n dividing 24: periods start at the
tenant's midnight and every n hours after), `{"every": "DAY", "at": "HH:MM"}` or `{"every":
"WEEK", "weekday": 1..7 (ISO, 1 = Monday), "at": "HH:MM"}`.

A period is named by a key that does not depend on the time of day in the definition: the
tenant's date and hour for HOURS, the date for DAY, the ISO week (`2026-W49`) for WEEK. A rule
runs at most once per key, so moving a daily rule from 06:00 to 12:00 after it ran at 06:00
does not run it again that day, and moving a weekly one to a later weekday waits for next week.

A wall-clock time a DST change skips is read with the offset before the change (fold 0:
02:30 on the night Berlin jumps from 02:00 to 03:00 is 03:30 summer time), so the day still
has its run; a time it repeats is its first occurrence."""

from datetime import UTC, date, datetime, time, timedelta, tzinfo

EVERY = ("HOURS", "DAY", "WEEK")
HOURS = (1, 2, 3, 4, 6, 8, 12, 24)


def parse_at(value) -> time | None:
    """`HH:MM` (24-hour), or None when malformed."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return None
    hours, minutes = value[:2], value[3:]
    if not (hours.isdigit() and minutes.isdigit()):
        return None
    if int(hours) > 23 or int(minutes) > 59:
        return None
    return time(int(hours), int(minutes))


def _instant(day: date, at: time, zone: tzinfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _key(schedule: dict, day: date, hour: int) -> str:
    if schedule["every"] == "HOURS":
        return f"{day.isoformat()}T{hour:02}"
    if schedule["every"] == "DAY":
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02}"


def _starts(schedule: dict, local_day: date, zone: tzinfo) -> list[tuple[datetime, str]]:
    """The periods starting on the tenant's `local_day`, in order: (instant, key)."""
    every = schedule["every"]
    if every == "HOURS":
        step = schedule["hours"]
        return [
            (_instant(local_day, time(h), zone), _key(schedule, local_day, h))
            for h in range(0, 24, step)
        ]
    if every == "WEEK" and local_day.isoweekday() != schedule["weekday"]:
        return []
    at = parse_at(schedule["at"])
    return [(_instant(local_day, at, zone), _key(schedule, local_day, at.hour))]


def current(schedule: dict, now: datetime, zone: tzinfo) -> tuple[datetime, str] | None:
    """The latest period that began at or before `now`: (its start, its key)."""
    today = now.astimezone(zone).date()
    for back in range(0, 9):  # a week and a DST-shifted day cover every kind
        starts = [s for s in _starts(schedule, today - timedelta(days=back), zone) if s[0] <= now]
        if starts:
            return starts[-1]
    return None


def upcoming(schedule: dict, now: datetime, zone: tzinfo) -> datetime | None:
    """When the next period after `now` begins."""
    today = now.astimezone(zone).date()
    for ahead in range(0, 9):
        starts = [s for s in _starts(schedule, today + timedelta(days=ahead), zone) if s[0] > now]
        if starts:
            return starts[0][0]
    return None
