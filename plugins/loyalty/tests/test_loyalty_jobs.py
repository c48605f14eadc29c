"""The loyalty module's daily job through the API: birthday and anniversary bonuses granted
once per customer and year however often a day runs, expiry of old points, and the chain of
one job per day that enabling starts."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from core.models import Customer
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
    todays_job_done(owner)
    configure(owner, birthdayPoints=50, anniversaryPoints=20, expiryMonths=6)
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
    # Enabling scheduled the chain, today's link and tomorrow's; today's run, configuring
    # and the manual runs added no other link: one job per day, plus the two manual runs.
    jobs = owner.query("{ jobs(first: 50) { nodes { kind status } } }")["jobs"]["nodes"]
    daily = sorted(j["status"] for j in jobs if j["kind"] == "loyalty.daily")
    assert daily == ["QUEUED", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]
