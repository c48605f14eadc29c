"""SCHEDULE rules: periods on the tenant's wall clock (DST included); a period runs the rule
once on exactly the customers its `where` and conditions take, in chunks; a second look at
the same period starts nothing; the next period runs again; a rule written after its period
began waits for the next; over the rate limit a sweep waits for the next minute; bad
schedules are userErrors.

Time is driven, not waited for: the tick's work (`scheduled.enqueue_due`) is called with a
chosen `now` on the app's loop; the sweeps it enqueues run on the app's own job runner."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core import events, jobs
from core.models import utcnow
from plugins.automation import periods, scheduled, service
from plugins.automation.tests.support import rule, runs, settled_runs, tag
from tests.fixtures import run
from tests.support import Api, create_customer

BERLIN = ZoneInfo("Europe/Berlin")
HOURLY = {"every": "HOURS", "hours": 1}


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("automation")
    return api


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_periods_on_the_wall_clock():
    daily = {"every": "DAY", "at": "06:30"}
    # 2026-07-01 in Berlin is UTC+2: 06:30 local is 04:30 UTC.
    assert periods.current(daily, at("2026-07-01T04:29"), BERLIN) == (
        at("2026-06-30T04:30"),
        "2026-06-30",
    )
    assert periods.current(daily, at("2026-07-01T04:30"), BERLIN) == (
        at("2026-07-01T04:30"),
        "2026-07-01",
    )
    assert periods.upcoming(daily, at("2026-07-01T04:30"), BERLIN) == at("2026-07-02T04:30")
    six = {"every": "HOURS", "hours": 6}
    assert periods.current(six, at("2026-07-01T03:59"), BERLIN)[1] == "2026-07-01T00"
    assert periods.current(six, at("2026-07-01T04:00"), BERLIN)[1] == "2026-07-01T06"
    weekly = {"every": "WEEK", "weekday": 1, "at": "09:00"}  # Mondays; 2026-07-06 is one
    assert periods.current(weekly, at("2026-07-08T12:00"), BERLIN) == (
        at("2026-07-06T07:00"),
        "2026-W28",
    )
    assert periods.upcoming(weekly, at("2026-07-08T12:00"), BERLIN) == at("2026-07-13T07:00")
    # 2026-03-29: Berlin's clocks jump from 02:00 to 03:00; 02:30 is read with the winter
    # offset, 01:30 UTC (03:30 summer time): the day still has its run.
    skipped = {"every": "DAY", "at": "02:30"}
    assert periods.current(skipped, at("2026-03-29T01:30"), BERLIN)[1] == "2026-03-29"
    assert periods.current(skipped, at("2026-03-29T01:29"), BERLIN)[1] == "2026-03-28"


def test_bad_schedules_are_user_errors(owner):
    def problems(trigger: dict) -> set:
        data = {"name": "x", "trigger": trigger, "actions": [{"type": "WAIT", "seconds": 1}]}
        found = owner.mutate("createAutomationRule", data, "rule { id }")
        assert found["rule"] is None
        return {(".".join(e["field"]), e["code"]) for e in found["userErrors"]}

    assert problems({"kind": "SCHEDULE"}) == {("input.trigger.schedule", "REQUIRED")}
    assert problems({"kind": "SCHEDULE", "schedule": {"every": "HOURS", "hours": 5}}) == {
        ("input.trigger.schedule.hours", "INVALID")
    }
    assert problems(
        {"kind": "SCHEDULE", "schedule": {"every": "WEEK", "at": "24:00", "weekday": 8}}
    ) == {("input.trigger.schedule.at", "INVALID"), ("input.trigger.schedule.weekday", "INVALID")}
    assert problems({"kind": "EVENT", "eventType": "customer.created", "schedule": HOURLY}) == {
        ("input.trigger.schedule", "INVALID")
    }
    unknown = {"kind": "SCHEDULE", "schedule": HOURLY, "where": {"field": "nope", "op": "EQ"}}
    assert problems(unknown) == {("input.trigger.where.field", "UNKNOWN_FIELD")}


def due(client, owner: Api, now: datetime) -> list[str]:
    """The tick's work at `now`, committed: the sweeps it enqueued."""

    async def work():
        state = client.app.state
        async with state.db.transaction(owner.tenant_id) as session:
            events.bind(session, state.plugins, frozenset({"automation"}))
            made = await scheduled.enqueue_due(session, owner.tenant_id, now)
            records = list(session.info["records"])
        state.jobs.published(records)  # `job.queued` wakes the runner, as a chunk's would
        return made

    return run(client, work)


def sweeps_done(client, owner: Api, count: int) -> list[dict]:
    """The results of the tenant's sweeps, once `count` of them have finished."""
    import time

    async def work():
        async with client.app.state.db.transaction(owner.tenant_id) as session:
            rows = await session.execute(
                select(jobs.Job.status, jobs.Job.result).where(
                    jobs.Job.tenant_id == owner.tenant_id, jobs.Job.kind == service.SWEEP_KIND
                )
            )
            return [(s, r) for s, r in rows]

    deadline = time.monotonic() + 30
    while True:
        found = run(client, work)
        if len(found) >= count and all(s in jobs.FINAL for s, _ in found):
            assert {s for s, _ in found} == {jobs.SUCCEEDED}, found
            return [r for _, r in found]
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


def test_a_period_runs_once_on_the_customers_its_conditions_take(owner, client, monkeypatch):
    monkeypatch.setattr(scheduled, "CHUNK", 2)  # 7 customers: four chunks
    vip, done_tag = tag(owner, "VIP"), tag(owner, "Swept")
    where = {"field": "name", "op": "STARTS_WITH", "value": "A"}
    rule(
        owner,
        "Hourly VIP sweep",
        {"kind": "SCHEDULE", "schedule": HOURLY, "where": where, "tagIds": [vip]},
        [{"type": "ADD_TAG", "tagId": done_tag}],
    )
    shown = owner.query(
        "{ automationRules(first: 5) { nodes { trigger { kind where schedule { every hours } "
        "tagIds } } } }"
    )["automationRules"]["nodes"][0]["trigger"]
    assert shown == {
        "kind": "SCHEDULE",
        "where": where,
        "schedule": {"every": "HOURS", "hours": 1},
        "tagIds": [vip],
    }
    names = ["Ada", "Alan", "Amy", "Anna", "Bob", "Bea", "Axel"]
    ids = {name: create_customer(owner, name) for name in names}
    for name in ("Ada", "Alan", "Amy", "Bob", "Axel"):
        owner.ok("addCustomerTags", {"customerId": ids[name], "tagIds": [vip]})
    # The hour the rule was written in began before it: nothing is due yet.
    assert due(client, owner, utcnow()) == []
    later = utcnow() + timedelta(hours=1)
    [key] = due(client, owner, later)
    assert due(client, owner, later) == []  # the same period again: no second sweep
    [result] = sweeps_done(client, owner, 1)
    assert (result["seen"], result["started"], result["part"]) == (5, 4, 0)
    period = key.rsplit(":", 1)[1]
    taken = {"Ada", "Alan", "Amy", "Axel"}  # VIP and named A…: not Anna (no tag), not Bob
    for name, customer_id in ids.items():
        found = settled_runs(owner, customer_id, 1 if name in taken else None)
        if name in taken:
            [one] = found
            assert (one["status"], one["manual"], one["triggerEventId"]) == ("DONE", False, None)
        else:
            assert found == []
    periods_seen = owner.query(
        "query($id: ID!) { customer(id: $id) { automation { runs(first: 5) { nodes { period } } "
        "} } }",
        id=ids["Ada"],
    )["customer"]["automation"]["runs"]["nodes"]
    assert periods_seen == [{"period": period}]
    # The next period runs again, once.
    assert len(due(client, owner, later + timedelta(hours=1))) == 1
    sweeps_done(client, owner, 2)
    assert len(settled_runs(owner, ids["Ada"], 2)) == 2
    assert runs(owner, ids["Bob"]) == []


def test_a_rule_switched_off_or_edited_waits_for_its_next_period(owner, client):
    made = rule(
        owner,
        "Hourly",
        {"kind": "SCHEDULE", "schedule": HOURLY},
        [{"type": "CALL_WEBHOOK", "payload": {}}],
    )
    create_customer(owner, "Ada")
    owner.ok("updateAutomationRule", {"id": made["id"], "active": False})
    assert due(client, owner, utcnow() + timedelta(hours=1)) == []
    owner.ok("updateAutomationRule", {"id": made["id"], "active": True})
    assert due(client, owner, utcnow()) == []  # this hour began before the switch
    assert len(due(client, owner, utcnow() + timedelta(hours=1))) == 1


def sweep_jobs(client, owner: Api) -> list[dict]:
    """The tenant's sweep jobs, oldest first, once none is running or due."""
    import time

    async def work():
        async with client.app.state.db.transaction(owner.tenant_id) as session:
            rows = await session.execute(
                select(jobs.Job)
                .where(jobs.Job.tenant_id == owner.tenant_id, jobs.Job.kind == service.SWEEP_KIND)
                .order_by(jobs.Job.id)
            )
            return [
                {
                    "key": j.idempotency_key,
                    "status": j.status,
                    "result": j.result,
                    "run_after": j.run_after,
                }
                for j in rows.scalars()
            ]

    deadline = time.monotonic() + 30
    while True:
        found = run(client, work)
        due_now = [
            j
            for j in found
            if j["status"] == jobs.RUNNING
            or (j["status"] == jobs.QUEUED and j["run_after"] <= utcnow())
        ]
        if found and not due_now:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


def a_minute_passes(client, owner: Api) -> None:
    """The tenant's runs age a minute (out of the rate limit's window) and the deferred sweep
    falls due: the runner is driven rather than waited for."""
    from sqlalchemy import update

    from plugins.automation.models import AutomationRun

    async def work():
        async with client.app.state.db.transaction(owner.tenant_id) as session:
            await session.execute(
                update(AutomationRun)
                .where(AutomationRun.tenant_id == owner.tenant_id)
                .values(created_at=utcnow() - timedelta(seconds=61))
            )
            await session.execute(
                update(jobs.Job)
                .where(
                    jobs.Job.tenant_id == owner.tenant_id,
                    jobs.Job.kind == service.SWEEP_KIND,
                    jobs.Job.status == jobs.QUEUED,
                )
                .values(run_after=utcnow())
            )
        client.app.state.jobs.wake()

    run(client, work)


def test_a_sweep_over_the_rate_limit_waits_for_the_next_minute(owner, client, monkeypatch):
    """Limit 2 a minute, 5 customers (chunks of 3): 2 now, 2 the next minute, 1 the one after;
    every customer run once, none SKIPPED."""
    monkeypatch.setenv("AUTOMATION_RUNS_PER_MINUTE", "2")
    monkeypatch.setattr(scheduled, "CHUNK", 3)
    rule(
        owner,
        "Hourly hook",
        {"kind": "SCHEDULE", "schedule": HOURLY},
        [{"type": "CALL_WEBHOOK", "payload": {}}],
    )
    ids = [create_customer(owner, f"C{i}") for i in range(5)]
    [key] = due(client, owner, utcnow() + timedelta(hours=1))
    run_counts = []
    for minute in range(3):
        found = sweep_jobs(client, owner)
        parts = range(1, min(minute + 1, 2) + 1)  # the last minute defers nothing more
        assert [j["key"] for j in found] == [key] + [f"{key}:{n}" for n in parts]
        run_counts.append(sum(len(settled_runs(owner, c)) for c in ids))
        if minute < 2:
            *ended, waiting = found
            assert waiting["status"] == jobs.QUEUED, found
            assert waiting["run_after"] > utcnow() + timedelta(seconds=30)  # a minute on
            assert ended[-1]["result"]["deferred"] == waiting["key"]
            a_minute_passes(client, owner)
    assert run_counts == [2, 4, 5]
    assert {j["status"] for j in found} == {jobs.SUCCEEDED}
    last = found[-1]["result"]
    assert (last["seen"], last["started"], last["part"]) == (5, 5, 2)
    for customer_id in ids:
        [one] = settled_runs(owner, customer_id, 1)
        assert one["status"] == "DONE"
    # The same period looked at again starts nothing more.
    assert due(client, owner, utcnow() + timedelta(hours=1)) == []


def test_a_schedule_rule_arms_the_tenants_ticks(owner, client):
    owner.ok("updateTenantSettings", {"timeZone": "Asia/Kolkata"})  # UTC+05:30
    rule(owner, "Daily", {"kind": "SCHEDULE", "schedule": {"every": "DAY", "at": "07:00"}},
         [{"type": "CALL_WEBHOOK", "payload": {}}])  # fmt: skip
    [shown] = owner.query("{ automationRules(first: 5) { nodes { nextRunAt } } }")[
        "automationRules"
    ]["nodes"]
    next_run = datetime.fromisoformat(shown["nextRunAt"])
    assert (next_run.hour, next_run.minute) == (1, 30)  # 07:00 in Kolkata
    assert utcnow() < next_run <= utcnow() + timedelta(days=1)

    async def armed():
        async with client.app.state.db.transaction(owner.tenant_id) as session:
            return list(
                await session.scalars(
                    select(jobs.Job.status).where(
                        jobs.Job.tenant_id == owner.tenant_id,
                        jobs.Job.kind == service.TICKS.kind,
                    )
                )
            )

    assert run(client, armed) == [jobs.QUEUED]


RULES = """query($first: Int) { automationRules(first: $first) { nodes { name nextRunAt
  trigger { kind schedule { every } } versions { version author { id } } } } }"""


def test_rules_with_versions_and_next_runs_in_constant_statements(owner, engine):
    from tests.support import count_statements

    for i in range(6):
        made = rule(
            owner,
            f"R{i}",
            {"kind": "SCHEDULE", "schedule": {"every": "DAY", "at": f"0{i}:00"}},
            [{"type": "CALL_WEBHOOK", "payload": {}}],
        )
        owner.ok(
            "updateAutomationRule",
            {"id": made["id"], "name": f"R{i}b", "trigger": {"kind": "SCHEDULE",
             "schedule": HOURLY}, "actions": [{"type": "WAIT", "seconds": 5}]},
        )  # fmt: skip
    counts = []
    for first in (2, 6):
        with count_statements(engine) as counter:
            nodes = owner.query(RULES, first=first)["automationRules"]["nodes"]
        assert len(nodes) == first
        assert all([v["version"] for v in n["versions"]] == [2, 1] for n in nodes)
        assert all(n["nextRunAt"] for n in nodes)
        counts.append(counter.count)
    print(f"automation rules with versions and nextRunAt, statements for 2 and 6: {counts}")
    assert counts[0] == counts[1], counts
