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

`wanted(session, tenant_id)` lets a module stop ticking while it has nothing to do (no live
subscriptions): the tick then arms no successor, and the module calls `start` when work
appears again. Idle tenants cost no jobs.

A module wires it up in three places: `hub_job_handlers` → `{schedule.kind:
periodic(schedule, work)}`; `hub_module_enabled` (and its demo data) → `ensure(session,
schedule, tenant_id)` (`start` when `wanted` says there is work), and `start` from any write
that gives the schedule work again; for an extra run on demand, `run_now(...)`."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import jobs
from core.models import utcnow
from core.records import upsert

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Schedule:
    """`kind`: the job kind (`"<module>.<what>"`); `every`: the period, a whole number of
    minutes dividing a day (ticks fall on its multiples since midnight UTC); `module`: the
    module a tenant must have enabled for the work to run; `wanted`: optional awaitable
    predicate, false when the tenant has nothing for the schedule to do."""

    kind: str
    every: timedelta = HOUR
    module: str | None = None
    wanted: Callable[[AsyncSession, int], Awaitable[bool]] | None = None

    def tick_of(self, moment: datetime) -> datetime:
        """The boundary at or before `moment`."""
        step = int(self.every.total_seconds())
        day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        into = int((moment - day).total_seconds())
        return day + timedelta(seconds=into - into % step)

    def next_tick(self, moment: datetime) -> datetime:
        """The first boundary strictly after `moment`."""
        return self.tick_of(moment) + self.every

    def key(self, tenant_id: int, tick: datetime) -> str:
        shape = "%Y-%m-%dT%H" if self.every >= HOUR else "%Y-%m-%dT%H:%M"
        return f"{self.kind}:{tenant_id}:{tick.astimezone(UTC).strftime(shape)}"


async def _enqueue(
    session: AsyncSession, schedule: Schedule, tenant_id: int, tick: datetime, key: str, **more
):
    """(job of `key`, created). A session prepared by `core.events.bind`
    enqueues through `core.jobs.enqueue` (with `job.queued`, which wakes this process's
    runner); an unbound one (demo seeding) inserts the row alone, found by the runners' poll."""
    payload = {"tick": tick.isoformat(), **more.pop("payload", {})}
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
    session: AsyncSession, schedule: Schedule, tenant_id: int, after: datetime | None = None
):
    """Arm the tenant's next tick (the first boundary after now, or after `after` if later),
    in the caller's transaction. Calling it again, from any process, changes nothing: the
    boundary's key is taken. Returns its job."""
    now = utcnow()
    tick = schedule.next_tick(max(now, after) if after else now)
    job, _created = await _enqueue(
        session, schedule, tenant_id, tick, schedule.key(tenant_id, tick)
    )
    return job


async def ensure(session: AsyncSession, schedule: Schedule, tenant_id: int):
    """`start`, if the schedule has work for the tenant (`wanted`; always without one): what
    `hub_module_enabled` calls, so a tenant that only switched the module on costs no job
    (and runs nothing in the background) until it has something to do. The job, or None."""
    if schedule.wanted is not None and not await schedule.wanted(session, tenant_id):
        return None
    return await start(session, schedule, tenant_id)


async def run_now(
    session: AsyncSession, schedule: Schedule, tenant_id: int, key: str, created_by: int | None
):
    """An extra run of the schedule's work at once (a worker's "run it now"), idempotent by
    `key` (the caller's idempotency key); it arms the next tick like any tick. (job, created)."""
    return await _enqueue(
        session, schedule, tenant_id, utcnow(), f"{schedule.kind}:{tenant_id}:now:{key}",
        created_by=created_by, payload={"manual": True},
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
