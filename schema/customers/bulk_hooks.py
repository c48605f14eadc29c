"""Core's bulk actions run as a job kind like any module's (`hub_job_handlers`), registered
by `schema.registry.make_plugins`: the job reads `where` filters, whose ids are global ids."""

from core import bulk, bulk_jobs
from core.hookspecs import hookimpl
from schema.customers.where import decode_id


async def _run(ctx):
    return await bulk_jobs.run_job(ctx, decode_id)


@hookimpl
def hub_job_handlers():
    return {bulk.KIND: _run}
