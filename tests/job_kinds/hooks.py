"""Test job kinds: `test.count` counts to `to` in chunks of `chunk`, one row per unit in
`job_kind_units` written in the chunk's transaction with its checkpoint, so the rows show
exactly what work was committed (twice-done work would show as a repeated `n`);
`test.flaky` fails its first `failures` attempts (a coded `JobError`, or with `crash` an
unexpected exception whose text must never reach a client)."""

import asyncio
from datetime import timedelta

import strawberry
from sqlalchemy import Column, ForeignKey, Integer, Table, func, insert, select
from sqlalchemy.ext.asyncio import create_async_engine
from strawberry.scalars import JSON

from core import jobs, rls
from core.hookspecs import hookimpl
from core.models import Base, utcnow
from schema.context import Info
from schema.ids import from_global_id
from schema.jobs import Job
from schema.payloads import UserError, mutate

UNITS = Table(
    "job_kind_units",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("job_id", Integer, nullable=False, index=True),
    Column("n", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
)
SECRET = "a stack detail no client may see"


def create_table(database_url: str) -> None:
    """The units table, made directly rather than by an Alembic branch: a revision only
    these tests know would leave the shared database unmigratable for the others
    (`Can't locate revision`). Then row-level security covers it like a migrated one."""

    async def work():
        engine = create_async_engine(database_url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(lambda sync: UNITS.create(sync, checkfirst=True))
        finally:
            await engine.dispose()

    asyncio.run(work())
    rls.apply(database_url)


async def count(ctx):
    to, step = ctx.payload["to"], ctx.payload["chunk"]
    pause = ctx.payload.get("pause", 0)
    start = (ctx.checkpoint or {}).get("next", 0)
    ctx.progress(start, to)
    while start < to:
        ctx.raise_if_cancelled()
        end = min(start + step, to)
        async with ctx.chunk() as session:
            rows = [
                {"tenant_id": ctx.tenant_id, "job_id": ctx.id, "n": n, "attempt": ctx.attempt}
                for n in range(start, end)
            ]
            await session.execute(insert(UNITS), rows)
            ctx.save({"next": end})
        ctx.progress(end)
        start = end
        if pause:
            await asyncio.sleep(pause)
    return {"counted": to, "attempt": ctx.attempt}


async def flaky(ctx):
    if ctx.attempt <= ctx.payload.get("failures", 0):
        if ctx.payload.get("crash"):
            raise RuntimeError(SECRET)
        raise jobs.JobError("TEST_BROKEN", f"Attempt {ctx.attempt} broke.")
    return {"attempt": ctx.attempt}


@hookimpl
def hub_tables():
    return [UNITS]


@hookimpl
def hub_job_handlers():
    return {"test.count": count, "test.flaky": flaky}


@hookimpl
def hub_error_codes():
    return {"TEST_BROKEN": "A test job failed on purpose."}


@strawberry.input
class StartTestJobInput:
    kind: str = "test.count"
    payload: JSON = strawberry.field(default_factory=dict)
    idempotency_key: str | None = None
    max_attempts: int = 3
    delay_seconds: float = 0


@strawberry.type
class StartTestJobPayload:
    job: Job | None
    created: bool
    user_errors: list[UserError]


async def start_test_job(info: Info, input: StartTestJobInput) -> StartTestJobPayload:
    async def work(session, principal):
        return await jobs.enqueue(
            session,
            principal.tenant_id,
            input.kind,
            input.payload,
            created_by=principal.worker_id,
            idempotency_key=input.idempotency_key,
            max_attempts=input.max_attempts,
            run_after=utcnow() + timedelta(seconds=input.delay_seconds),
        )

    result, errors = await mutate(info, work)
    job, created = result or (None, False)
    return StartTestJobPayload(
        job=Job.from_row(job) if job else None, created=created, user_errors=errors
    )


@strawberry.type
class CountedUnits:
    rows: int
    distinct: int


async def counted_units(info: Info, job_id: strawberry.ID) -> CountedUnits:
    ctx = info.context
    pk = from_global_id(job_id, "Job")
    async with ctx.read() as conn:
        rows, distinct = (
            await conn.execute(
                select(func.count(), func.count(UNITS.c.n.distinct())).where(
                    UNITS.c.tenant_id == ctx.principal.tenant_id, UNITS.c.job_id == pk
                )
            )
        ).one()
    return CountedUnits(rows=rows, distinct=distinct)


@hookimpl
def hub_mutation_fields():
    return [strawberry.mutation(resolver=start_test_job)]


@hookimpl
def hub_query_fields():
    return [strawberry.field(resolver=counted_units)]
