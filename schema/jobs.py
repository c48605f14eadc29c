"""Jobs over GraphQL: one job, the tenant's jobs, cancelling, and live progress. Modules
enqueue jobs from their own mutations (`core.jobs.enqueue`) and return the `Job`; these
fields are how a client follows it. A job is visible to the worker who started it and to
holders of `jobs.view_all`; to anyone else it does not exist (NOT_FOUND / null)."""

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from core import jobs
from core.access import require
from core.keyset import Order
from schema.context import Info
from schema.customers.csv_export_links import job_download_url
from schema.ids import from_global_id
from schema.kit import tenant_list
from schema.live import Watcher
from schema.payloads import UserError, mutate
from schema.relay import Connection, Node
from schema.team.types import Worker

NEWEST_FIRST = Order("jobs.newest", (), jobs.JOBS.c.id, descending=True)


@strawberry.enum(
    description="Where a job is: QUEUED (waiting, or waiting to retry), RUNNING, "
    "or finished as SUCCEEDED, FAILED or CANCELLED."
)
class JobStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@strawberry.type(description="How far a job got: `done` of `total` (null while unknown).")
class JobProgress:
    done: int
    total: int | None


@strawberry.type(
    description="Why a job failed (or why its last attempt did, while it waits "
    "to retry): a stable code and a message for people."
)
class JobError:
    code: str
    message: str


@strawberry.type(description="Work that runs in the background (bulk changes, imports, exports).")
class Job(Node):
    kind: str = strawberry.field(description="What the job does, e.g. `customers.bulk_update`.")
    status: JobStatus
    progress: JobProgress
    result: JSON | None = strawberry.field(description="What it produced, once SUCCEEDED.")
    error: JobError | None
    attempts: int = strawberry.field(description="Runs started so far (retries included).")
    cancel_requested: bool = strawberry.field(
        description="Cancelling was asked; a running job stops at its next check."
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    created_by_id: strawberry.Private[int | None]

    @strawberry.field(description="The worker who started it; null for the system.")
    async def created_by(self, info: Info) -> Worker | None:
        if self.created_by_id is None:
            return None
        row = await info.context.loaders.worker.load(self.created_by_id)
        return Worker.from_row(row) if row else None

    @strawberry.field(
        description="A short-lived link to the file the job produced (a customer export's "
        "CSV), checked again when used; null for other jobs, before it succeeded, or once "
        "the file was removed. Ask again for a fresh one; never store it."
    )
    def download_url(self, info: Info) -> str | None:
        return job_download_url(info, self.kind, self.status.value, self.result, self.pk)

    @classmethod
    def from_row(cls, row) -> "Job":
        get = row.__getitem__ if isinstance(row, dict) else lambda key: getattr(row, key)
        code = get("error_code")
        return cls(
            pk=get("id"),
            kind=get("kind"),
            status=JobStatus(get("status")),
            progress=JobProgress(done=get("done"), total=get("total")),
            result=get("result"),
            error=JobError(code=code, message=get("error_message") or "") if code else None,
            attempts=get("attempts"),
            cancel_requested=bool(get("cancel_requested")),
            created_at=get("created_at"),
            started_at=get("started_at"),
            finished_at=get("finished_at"),
            created_by_id=get("created_by"),
        )


async def _by_ids(conn, principal, ids):
    rows = await conn.execute(jobs.visible(principal, jobs.JOBS.c.id.in_(ids)))
    found = {r["id"]: dict(r) for r in rows.mappings()}
    return [found.get(i) for i in ids]


async def job_row(info: Info, pk: int) -> dict | None:
    """`node(id:)` and `job(id:)`: None for unknown, another tenant's or someone else's job."""
    return await info.context.loaders.custom("jobs.by_id", _by_ids).load(pk)


@strawberry.input(description="The job to cancel.")
class CancelJobInput:
    id: strawberry.ID


@strawberry.type(
    description="The job as it is now (CANCELLED, or still RUNNING with "
    "`cancelRequested` until it stops), or why nothing changed."
)
class CancelJobPayload:
    job: Job | None
    user_errors: list[UserError]


@strawberry.type
class JobQueries:
    @strawberry.field(description="One job you started (any job with `jobs.view_all`).")
    async def job(self, info: Info, id: strawberry.ID) -> Job | None:
        row = await job_row(info, from_global_id(id, "Job"))
        return Job.from_row(row) if row else None

    @strawberry.field(
        description="Jobs, newest first: yours, or the tenant's with `jobs.view_all` "
        "(another worker's `workerId` without it: FORBIDDEN)."
    )
    async def jobs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: JobStatus | None = None,
        worker_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the jobs this worker started."),
        ] = None,
    ) -> Connection[Job]:
        principal = info.context.principal
        conditions = [] if status is None else [jobs.JOBS.c.status == status.value]
        if worker_id is not None:
            pk = from_global_id(worker_id, "Worker")
            if pk != principal.worker_id:
                require(principal, "jobs.view_all")
            conditions.append(jobs.JOBS.c.created_by == pk)
        query = jobs.visible(principal, *conditions)
        return await tenant_list(info, query, NEWEST_FIRST, first, after, Job.from_row)


@strawberry.type
class JobMutations:
    @strawberry.mutation(
        description="Stop a job: a queued one at once, a running one at its "
        "next check. A finished job is INVALID_TRANSITION."
    )
    async def cancel_job(self, info: Info, input: CancelJobInput) -> CancelJobPayload:
        pk = from_global_id(input.id, "Job")

        async def work(session, principal):
            return await jobs.cancel(session, principal, pk)

        row, errors = await mutate(info, work)
        return CancelJobPayload(job=Job.from_row(row) if row else None, user_errors=errors)


async def _current(info: Info, pk: int) -> dict | None:
    ctx = info.context
    try:
        async with ctx.read() as conn:
            (row,) = await _by_ids(conn, ctx.principal, [pk])
    finally:
        await ctx.read.close()
    return row


async def job_progress(info: Info, id: strawberry.ID) -> AsyncGenerator[Job, None]:
    """The job now, then again after each burst of its events (read afresh, so a missed
    event costs nothing); completes once it has finished. An unknown or hidden job completes
    at once."""
    ctx = info.context
    pk = from_global_id(id, "Job")
    principal = ctx.principal
    watcher = Watcher(
        "job",
        principal,
        ctx.credentials,
        ctx.socket,
        ctx.settings.subscription_queue,
        frozenset([pk]),
    )
    updates = watcher.updates()
    try:
        await ctx.live.watch(watcher)  # before the first read: nothing falls in between
        row = await _current(info, pk)
        while row is not None:
            yield Job.from_row(row)
            if row["status"] in jobs.FINAL:
                return
            try:
                await anext(updates)
            except StopAsyncIteration:
                return
            row = await _current(info, pk)
    finally:
        ctx.live.unwatch(watcher)
        await updates.aclose()
