"""Schedules: periodic per-tenant work (a billing run, a reminder sweep) on the one durable job
runner (`core/jobs.py`, `core/job_runner.py`), with no loop or timer of its own.

A schedule is a job kind whose jobs re-arm themselves: each job is one *tick*, enqueued with
`run_after` at a boundary of the schedule's period (every hour on the hour, say) and an
idempotency key naming that boundary (`<kind>:<tenant>:<YYYY-MM-DDTHH>`). A tick's first act,
in a chunk of its own, is to enqueue the next tick; then it runs the module's work. So:

- several processes, a replay after a crash, or `start` called again never make a boundary's
  tick twice: the key is unique per tenant and kind (`enqueue` hands the first job back);
- a tick that fails (or keeps failing until its attempts run out) has already armed the next,
  so one bad hour never ends the chain;
- a runner that was down for hours runs the late tick once and arms the next boundary after
  *now*, not every missed one: the work catches up by itself (it asks what is due, not what
  happened since the last tick);
- the tenant switching the module off stops the chain at its next tick (the module's work is
  not run for a tenant that disabled it); switching it on calls `start` again.

A daily schedule may count its days in the tenant's time zone (`Schedule(kind, DAY,
local=True)`, `core/tenants.py` `time_zone`): its ticks fall at the tenant's midnight (as
UTC instants; a midnight a DST change skips is the day's first instant), its key names the
tenant's date (`<kind>:<tenant>:<YYYY-MM-DD>`) and each tick's payload carries that date as
`day`. Keyed by the date, a day has one tick even when the tenant changes its zone between
arming and running (the armed tick keeps its instant; the next is armed in the new zone).

`wanted(session, tenant_id)` lets a module stop ticking while it has nothing to do (no live
subscriptions): the tick then arms no successor, and the module calls `start` when work
appears again. Idle tenants cost no jobs.

A module wires it up in three places: `hub_job_handlers` → `{schedule.kind:
periodic(schedule, work)}`; `hub_module_enabled` (and its demo data) → `ensure(session,
schedule, tenant_id)` (`start` when `wanted` says there is work), and `start` from any write
that gives the schedule work again; for an extra run on demand, `run_now(...)`."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import jobs
from core.models import utcnow
from core.records import upsert
from core.tenants import tenant_zone

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Schedule:
    """`kind`: the job kind (`"<module>.<what>"`); `every`: the period, a whole number of
    minutes dividing a day (ticks fall on its multiples since midnight UTC); `module`: the
    module a tenant must have enabled for the work to run; `wanted`: optional awaitable
    predicate, false when the tenant has nothing for the schedule to do; `local`: with
    `every=DAY`, the ticks fall at midnight in the tenant's zone instead of UTC's (the
    methods then take that `zone`)."""

    kind: str
    every: timedelta = HOUR
    module: str | None = None
    wanted: Callable[[AsyncSession, int], Awaitable[bool]] | None = None
    local: bool = False

    def __post_init__(self):
        if self.local and self.every != DAY:
            raise ValueError("a schedule in the tenant's zone ticks once a day (every=DAY)")

    def tick_of(self, moment: datetime, zone: tzinfo = UTC) -> datetime:
        """The boundary at or before `moment`."""
        if self.local:
            return _midnight(moment.astimezone(zone).date(), zone)
        step = int(self.every.total_seconds())
        day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        into = int((moment - day).total_seconds())
        return day + timedelta(seconds=into - into % step)

    def next_tick(self, moment: datetime, zone: tzinfo = UTC) -> datetime:
        """The first boundary strictly after `moment`."""
        if self.local:  # the next date's midnight: 23 or 25 hours away across a DST change
            return _midnight(moment.astimezone(zone).date() + DAY, zone)
        return self.tick_of(moment) + self.every

    def key(self, tenant_id: int, tick: datetime, zone: tzinfo = UTC) -> str:
        if self.local:
            return f"{self.kind}:{tenant_id}:{tick.astimezone(zone).date().isoformat()}"
        shape = "%Y-%m-%dT%H" if self.every >= HOUR else "%Y-%m-%dT%H:%M"
        return f"{self.kind}:{tenant_id}:{tick.astimezone(UTC).strftime(shape)}"

    async def zone(self, session, tenant_id: int) -> tzinfo:
        """The zone the boundaries are counted in: the tenant's for a local schedule."""
        return await tenant_zone(session, tenant_id) if self.local else UTC


def _midnight(day: date, zone: tzinfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC (a skipped midnight maps, with fold 0, to
    the moment the clocks jump, which is the day's first instant)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


async def _enqueue(
    session: AsyncSession, schedule: Schedule, tenant_id: int, tick: datetime, key: str, **more
):
    """(job of `key`, created). A session prepared by `core.events.bind`
    enqueues through `core.jobs.enqueue` (with `job.queued`, which wakes this process's
    runner); an unbound one (demo seeding) inserts the row alone, found by the runners' poll."""
    payload = {"tick": tick.isoformat(), **more.pop("payload", {})}
    if schedule.local:  # the tenant's date the tick is for
        payload.setdefault("day", tick.astimezone(more.pop("zone")).date().isoformat())
    else:
        more.pop("zone", None)
    if "plugins" in session.info:
        return await jobs.enqueue(
            session, tenant_id, schedule.kind, payload, idempotency_key=key, run_after=tick, **more
        )
    now = utcnow()
    new_id = await session.scalar(
        upsert(session, jobs.JOBS)
        .values(
            tenant_id=tenant_id, kind=schedule.kind, payload=payload, status=jobs.QUEUED,
            done=0, attempts=0, max_attempts=5, run_after=tick, cancel_requested=False,
            idempotency_key=key, created_at=now, updated_at=now, **more,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "kind", "idempotency_key"])
        .returning(jobs.JOBS.c.id)
    )  # fmt: skip
    job = await session.scalar(
        select(jobs.Job).where(
            jobs.Job.tenant_id == tenant_id,
            jobs.Job.kind == schedule.kind,
            jobs.Job.idempotency_key == key,
        )
    )
    return job, new_id is not None


async def start(
    session: AsyncSession,
    schedule: Schedule,
    tenant_id: int,
    after: datetime | None = None,
    current: bool = False,
):
    """Arm the tenant's next tick (the first boundary after now, or after `after` if later),
    in the caller's transaction. Calling it again, from any process, changes nothing: the
    boundary's key is taken. `current`: arm the boundary at or before now first, which runs at
    once and arms the next (a daily schedule switched on at noon still does today's work);
    if that tick was armed before (it ran, and perhaps the chain stopped since), the next
    boundary's as usual. Returns the job armed."""
    now = utcnow()
    zone = await schedule.zone(session, tenant_id)

    def arm(tick: datetime):
        key = schedule.key(tenant_id, tick, zone)
        return _enqueue(session, schedule, tenant_id, tick, key, zone=zone)

    if current:
        job, created = await arm(schedule.tick_of(now, zone))
        if created:  # it arms the next one when it runs
            return job
    job, _created = await arm(schedule.next_tick(max(now, after) if after else now, zone))
    return job


async def ensure(session: AsyncSession, schedule: Schedule, tenant_id: int, current=False):
    """`start`, if the schedule has work for the tenant (`wanted`; always without one): what
    `hub_module_enabled` calls, so a tenant that only switched the module on costs no job
    (and runs nothing in the background) until it has something to do. The job, or None."""
    if schedule.wanted is not None and not await schedule.wanted(session, tenant_id):
        return None
    return await start(session, schedule, tenant_id, current=current)


async def run_now(
    session: AsyncSession,
    schedule: Schedule,
    tenant_id: int,
    key: str,
    created_by: int | None,
    payload: dict | None = None,
):
    """An extra run of the schedule's work at once (a worker's "run it now"), idempotent by
    `key` (the caller's idempotency key); it arms the next tick like any tick. `payload` adds
    to the tick's (a local schedule's `day`, today by default, may name a past day to redo).
    (job, created)."""
    return await _enqueue(
        session, schedule, tenant_id, utcnow(), f"{schedule.kind}:{tenant_id}:now:{key}",
        created_by=created_by, payload={"manual": True, **(payload or {})},
        zone=await schedule.zone(session, tenant_id),
    )  # fmt: skip


def periodic(schedule: Schedule, work: Callable[..., Awaitable[dict]]):
    """The `hub_job_handlers` value for the schedule's kind: arm the next tick (unless the
    module is off or `wanted` says no), then `await work(ctx)` (chunks and checkpoints as any
    job's; after a crash the tick resumes from its checkpoint and re-arming is a no-op)."""

    async def run(ctx) -> dict:
        if schedule.module is not None and schedule.module not in ctx.modules:
            return {"stopped": f"the {schedule.module} module is off"}
        async with ctx.chunk() as session:
            armed = schedule.wanted is None or await schedule.wanted(session, ctx.tenant_id)
            if armed:  # after this tick's own boundary, even if it runs early
                tick = datetime.fromisoformat(ctx.payload.get("tick") or utcnow().isoformat())
                await start(session, schedule, ctx.tenant_id, tick)
        result = await work(ctx)
        return {**(result or {}), "rearmed": armed}

    return run
