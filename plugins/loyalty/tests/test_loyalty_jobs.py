"""The loyalty module's daily job through the API: birthday and anniversary bonuses granted
once per customer and year however often a day runs, expiry of old points, and the chain of
one job per day that enabling starts."""

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update

from core.jobs import JOBS
from core.models import Customer, utcnow
from plugins.loyalty.jobs import born_on
from plugins.loyalty.models import LoyaltyEntry
from plugins.loyalty.tests.test_loyalty import (
    adjust,
    codes,
    configure,
    customer,
    key,
    loyalty,
    todays_job_done,
)
from tests.fixtures import run
from tests.support import Api, pk_of


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("loyalty")
    return api


JOB = "query($id: ID!) { job(id: $id) { status result error { code message } } }"


def wait_for(api: Api, job_id: str, within: float = 15.0) -> dict:
    deadline = time.monotonic() + within
    while True:
        found = api.query(JOB, id=job_id)["job"]
        if found["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.03)


def grants(api: Api, day: date) -> dict:
    data = {"date": day.isoformat(), "idempotencyKey": key()}
    job = api.ok("runLoyaltyGrants", data, "job { id }")["job"]
    found = wait_for(api, job["id"])
    assert found["status"] == "SUCCEEDED", found
    return found["result"]


def _backdate(client, table, column, where, to) -> None:
    async def work():
        async with client.app.state.db.transaction() as session:
            await session.execute(update(table).where(*where).values({column: to}))

    run(client, work)


def test_the_daily_job_grants_bonuses_once_a_year_and_expires_old_points(owner, client):
    today = datetime.now(UTC).date()  # the test tenant's zone is UTC
    configure(owner, birthdayPoints=50, anniversaryPoints=20, expiryMonths=6)
    todays_job_done(owner)  # configuring armed today's tick, which ran before these customers
    born = customer(owner, "Born today", dateOfBirth=today.replace(year=1990).isoformat())
    elsewhen = "1990-06-01" if (today.month, today.day) == (1, 1) else "1990-01-01"
    other = customer(owner, "Born another day", dateOfBirth=elsewhen)
    loyal = customer(owner, "Old friend")
    _backdate(
        client,
        Customer,
        "created_at",
        [Customer.id == pk_of(loyal)],
        datetime.combine(today.replace(year=today.year - 3), datetime.min.time()).replace(hour=12),
    )
    adjust(owner, loyal, 300)
    _backdate(
        client,
        LoyaltyEntry,
        "created_at",
        [LoyaltyEntry.customer_id == pk_of(loyal)],
        datetime.now() - timedelta(days=400),
    )
    first = grants(owner, today)
    assert first["granted"] == {"BIRTHDAY": 1, "ANNIVERSARY": 1, "EXPIRE": 1}
    assert grants(owner, today)["granted"] == {}  # run again: nothing twice
    found = loyalty(owner, born)
    assert [(e["kind"], e["points"]) for e in found["entries"]["nodes"]] == [("BIRTHDAY", 50)]
    assert loyalty(owner, other)["balance"] == 0
    kinds = [(e["kind"], e["points"]) for e in loyalty(owner, loyal)["entries"]["nodes"]]
    assert sorted(kinds) == [("ADJUST", 300), ("ANNIVERSARY", 20), ("EXPIRE", -300)]
    tomorrow = {"date": (today + timedelta(days=1)).isoformat(), "idempotencyKey": key()}
    assert codes(owner.mutate("runLoyaltyGrants", tomorrow)) == [(["input", "date"], "INVALID")]
    # Configuring armed today's tick, which armed tomorrow's; the manual runs armed no other:
    # one tick per day, plus the two manual runs.
    jobs = owner.query("{ jobs(first: 50) { nodes { kind status } } }")["jobs"]["nodes"]
    daily = sorted(j["status"] for j in jobs if j["kind"] == "loyalty.daily")
    assert daily == ["QUEUED", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]


def _ticks(client, tenant_id: int) -> list[dict]:
    async def read():
        async with client.app.state.db.read() as conn:
            rows = await conn.execute(
                select(
                    JOBS.c.id,
                    JOBS.c.status,
                    JOBS.c.idempotency_key,
                    JOBS.c.run_after,
                    JOBS.c.result,
                )
                .where(JOBS.c.tenant_id == tenant_id, JOBS.c.kind == "loyalty.daily")
                .order_by(JOBS.c.id)
            )
            return [dict(r) for r in rows.mappings()]

    return run(client, read)


def _due_now(client, job_id: int) -> None:
    async def work():
        async with client.app.state.db.transaction() as session:
            await session.execute(
                update(JOBS).where(JOBS.c.id == job_id).values(run_after=utcnow())
            )
        client.app.state.jobs.wake()

    run(client, work)


def _settled(client, tenant_id: int, job_id: int) -> list[dict]:
    for _ in range(500):
        ticks = _ticks(client, tenant_id)
        if next(t for t in ticks if t["id"] == job_id)["status"] == "SUCCEEDED":
            return ticks
        time.sleep(0.03)
    raise AssertionError(ticks)


def test_the_daily_tick_falls_at_midnight_in_the_tenants_zone_and_stops_with_the_module(
    owner, client
):
    auckland = ZoneInfo("Pacific/Auckland")
    owner.ok("updateTenantSettings", {"timeZone": "Pacific/Auckland"}, "tenant { id }")
    todays_job_done(owner)
    assert _ticks(client, owner.tenant_id) == []  # switched on with no daily work: no tick
    configure(owner, birthdayPoints=10)
    todays_job_done(owner)
    today = datetime.now(auckland).date()
    ticks = _ticks(client, owner.tenant_id)
    if ticks[0]["idempotency_key"].endswith((today - timedelta(days=1)).isoformat()):
        pytest.skip("Auckland's midnight passed during the test")
    prefix = f"loyalty.daily:{owner.tenant_id}:"
    tomorrow = today + timedelta(days=1)
    # Today's tick (Auckland's date) ran at once and armed Auckland's next midnight.
    assert [(t["idempotency_key"], t["status"]) for t in ticks] == [
        (prefix + today.isoformat(), "SUCCEEDED"),
        (prefix + tomorrow.isoformat(), "QUEUED"),
    ]
    midnight = datetime.combine(tomorrow, datetime.min.time(), tzinfo=auckland)
    assert ticks[1]["run_after"].replace(tzinfo=UTC) == midnight.astimezone(UTC)
    assert ticks[1]["run_after"].replace(tzinfo=UTC) != datetime.combine(
        tomorrow, datetime.min.time(), tzinfo=UTC
    )
    configure(owner, anniversaryPoints=5)  # the chain stands: no other tick
    assert len(_ticks(client, owner.tenant_id)) == 2

    # Switched off, the waiting tick runs (made due now) without work and arms nothing.
    owner.ok("disableModule", {"module": "loyalty"}, "modules { name }")
    _due_now(client, ticks[1]["id"])
    ticks = _settled(client, owner.tenant_id, ticks[1]["id"])
    assert [t["status"] for t in ticks] == ["SUCCEEDED", "SUCCEEDED"]
    assert ticks[1]["result"] == {"stopped": "the loyalty module is off"}


def test_the_birthday_scan_reads_its_index(owner, client, engine):
    """5,000 customers born on every day of the year, and as many without a date of birth,
    analysed: a day's birthdays are read from `ix_loyalty_birthdays` (tenant, month, day, id),
    not by reading every customer of the tenant (SQLite's planner picks it as well)."""
    start = date(1970, 1, 1)
    rows = [
        {
            "tenant_id": owner.tenant_id,
            "kind": "PERSON",
            "name": f"Filler {n}",
            "sort_name": f"filler {n}",
            "search_text": f"filler {n}",
            "version": 1,
            "date_of_birth": start + timedelta(days=n % 365) if n % 2 else None,
        }
        for n in range(10_000)
    ]

    async def grow():
        async with client.app.state.db.transaction() as session:
            await session.execute(insert(Customer.__table__), rows)
        async with engine.connect() as conn:  # the login: it owns the tables
            await conn.exec_driver_sql("ANALYZE customers")
            await conn.commit()

    run(client, grow)
    explain = "EXPLAIN" if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"

    async def plan(day: date) -> str:
        query = born_on(owner.tenant_id, day)
        async with client.app.state.db.read() as conn:
            compiled = query.compile(conn.sync_connection, compile_kwargs={"literal_binds": True})
            found = await conn.exec_driver_sql(f"{explain} {compiled}")
            return "\n".join(str(r[-1]) for r in found)

    for day in (date(2027, 6, 15), date(2027, 2, 28)):  # one month and day, and two
        found = run(client, lambda day=day: plan(day))
        assert "ix_loyalty_birthdays" in found, found
    born = run(client, lambda: _count_born(client, owner.tenant_id, date(2027, 6, 15)))
    assert born == 14  # every 365th of the 5,000 with a birthday


async def _count_born(client, tenant_id: int, day: date) -> int:
    async with client.app.state.db.read() as conn:
        return len(list(await conn.execute(born_on(tenant_id, day))))
