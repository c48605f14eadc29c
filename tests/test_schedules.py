"""core/schedules.py's boundaries: hourly ones in UTC, and the daily one at midnight in the
tenant's time zone (`local=True`), its key naming the tenant's date. Through the job
runner, a daily schedule is exercised by the loyalty module's tests."""

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from core.schedules import DAY, HOUR, Schedule

DAILY = Schedule("test.daily", DAY, local=True)
AUCKLAND = ZoneInfo("Pacific/Auckland")


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_hourly_ticks_fall_on_the_hour_in_utc():
    hourly = Schedule("test.hourly", HOUR)
    moment = at(2027, 3, 1, 10, 59, 30)
    assert hourly.tick_of(moment) == at(2027, 3, 1, 10)
    assert hourly.next_tick(moment) == at(2027, 3, 1, 11)
    assert hourly.key(7, at(2027, 3, 1, 11)) == "test.hourly:7:2027-03-01T11"


def test_a_daily_tick_falls_at_midnight_in_the_tenants_zone():
    # 10:30 UTC on 1 March is 23:30 in Auckland (NZDT, +13): still 1 March there.
    moment = at(2027, 3, 1, 10, 30)
    assert DAILY.tick_of(moment) == at(2027, 3, 1)  # UTC: today's midnight
    assert DAILY.next_tick(moment) == at(2027, 3, 2)
    assert DAILY.tick_of(moment, AUCKLAND) == at(2027, 2, 28, 11)  # 1 March 00:00 +13
    following = DAILY.next_tick(moment, AUCKLAND)
    assert following == at(2027, 3, 1, 11)  # 2 March 00:00 in Auckland, half an hour away
    assert DAILY.key(7, following, AUCKLAND) == "test.daily:7:2027-03-02"
    assert DAILY.key(7, DAILY.next_tick(moment)) == "test.daily:7:2027-03-02"  # UTC's
    # An hour later Auckland's 2 March has begun, UTC's has not.
    later = moment + HOUR
    assert DAILY.tick_of(later, AUCKLAND) == following
    assert DAILY.next_tick(later, AUCKLAND) == at(2027, 3, 2, 11)
    assert DAILY.tick_of(later) == at(2027, 3, 1)


def test_days_across_a_dst_change_are_23_and_25_hours_and_a_skipped_midnight_ticks():
    # Auckland leaves daylight time on 4 April 2027 (03:00 -> 02:00): that day is 25 hours.
    start = DAILY.tick_of(at(2027, 4, 3, 12), AUCKLAND)  # 4 April 00:00 +13
    assert DAILY.next_tick(start, AUCKLAND) - start == timedelta(hours=25)
    # Santiago springs forward at midnight (5 September 2027, 00:00 -> 01:00): the day's
    # first instant is the jump, and each tick is strictly after the one before.
    santiago = ZoneInfo("America/Santiago")
    moment = at(2027, 9, 4, 12)
    ticks = [DAILY.next_tick(moment, santiago)]
    for _ in range(3):
        ticks.append(DAILY.next_tick(ticks[-1], santiago))
    assert [t.astimezone(santiago).date() for t in ticks] == [
        date(2027, 9, 5) + timedelta(days=n) for n in range(4)
    ]
    assert ticks[0] == at(2027, 9, 5, 4)  # 00:00 -04 is 01:00 -03
    assert [b - a for a, b in pairwise(ticks)] == [timedelta(hours=23)] + [DAY] * 2
    assert all(DAILY.tick_of(t, santiago) == t for t in ticks)


def test_a_local_schedule_is_daily():
    with pytest.raises(ValueError):
        Schedule("test.local", HOUR, local=True)
