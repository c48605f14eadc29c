"""Core's own job kind and sweep for uploaded files, registered on every plugin manager
(`core.plugins.Plugins`) the way modules register theirs (`hub_job_handlers`).

Erasing a customer (`core.customers.delete_customer`) enqueues `core.remove_customer_files`
in its own transaction, so the job exists exactly when the delete committed; the runner then
removes the objects and rows (`core.files.remove_customer_files`: objects first, safe to run
again). Storage is not a database thing: the runner carries it (`JobRunner.storage`, set
where the app is made).

The sweep (`core.files.sweep_files`: uploads a crash left pending, files of customers gone
without their job) runs across tenants; a job row belongs to one tenant, so the sweep is a
loop of the process like the outbox's (at start-up before serving, then every
`FILES_SWEEP_SECONDS`). Two processes sweeping at once do no harm: each object is removed
before its row, and removing a missing object is not an error. The same round purges
finished jobs older than `JOB_KEEP_DAYS` (`core.jobs.purge_finished`)."""

import asyncio
import logging

from core import jobs
from core.hookspecs import hookimpl

log = logging.getLogger("customer_hub.files")

REMOVE_KIND = "core.remove_customer_files"


async def enqueue_removal(session, principal, customer_id: int) -> None:
    """In the erasing transaction: one job per customer (its idempotency key)."""
    await jobs.enqueue(
        session,
        principal.tenant_id,
        REMOVE_KIND,
        {"customerId": customer_id},
        created_by=principal.worker_id,
        idempotency_key=f"customer:{customer_id}",
    )


async def _remove_customer_files(ctx) -> dict:
    from core.files import remove_customer_files  # core.files builds on core.customers

    storage = getattr(ctx.runner, "storage", None)
    if storage is None:
        raise jobs.JobError("INTERNAL", "This process has no file storage.")
    removed = await remove_customer_files(
        ctx.runner.db, storage, ctx.tenant_id, int(ctx.payload["customerId"])
    )
    return {"removed": removed}


@hookimpl
def hub_job_handlers():
    return {REMOVE_KIND: _remove_customer_files}


async def sweep_once(db, storage, pending_seconds: int) -> int:
    from core.files import sweep_files

    try:
        return await sweep_files(db, storage, pending_seconds)
    except Exception:  # the database or the store is away: the next round tries again
        log.exception("file sweep failed")
        return 0


async def purge_jobs(db, keep_days: float) -> int:
    if not keep_days:
        return 0
    try:
        return await jobs.purge_finished(db, keep_days)
    except Exception:  # as the file sweep: the next round tries again
        log.exception("job purge failed")
        return 0


async def run_sweeps(db, storage, every: float, pending_seconds: int, keep_days: float) -> None:
    """After the start-up sweep (`server.py` awaits one before serving, as the outbox's); the
    housekeeping round also purges old finished jobs."""
    while True:
        await asyncio.sleep(every)
        await sweep_once(db, storage, pending_seconds)
        await purge_jobs(db, keep_days)
