"""The jobs of big customer exports, registered like any module's (`hub_job_handlers`) but
always on: `customers.export` writes the CSV page by page to a temporary file, then stores
it (`core/storage.py`) under the job's own key; `customers.export_cleanup`, enqueued by the
export before it stores anything and due EXPORT_KEEP_HOURS later, removes the file and marks
the export's result `expired`, so no file outlives its time even when the export failed
after storing it."""

import asyncio
import os
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from core import csv_export as export
from core import csv_export_links as links
from core import jobs
from core.access import can
from core.database import RequestConnection
from core.errors import Forbidden, InvalidInput
from core.hookspecs import hookimpl
from core.links import principal_of
from core.models import utcnow
from core.storage import make_storage
from schema.customers.csv_export_route import file_name
from schema.customers.where import decode_id
from schema.ids import to_global_id


async def _plan(ctx, reader: RequestConnection) -> tuple[export.Plan, int]:
    runner = ctx.runner
    payload = ctx.payload
    async with runner.connections:
        try:
            async with reader() as conn:
                asked = {"tid": ctx.tenant_id, "wid": ctx.job["created_by"] or 0}
                if "perm" in payload:
                    asked["perm"] = payload["perm"]
                grants = runner.plugins.permission_grants()
                principal = await principal_of(conn, asked, grants)
                if principal is None or not can(principal, links.PERMISSION):
                    message = "The worker who asked for this export may no longer export."
                    raise jobs.JobError("FORBIDDEN", message, retry=False)
                the_plan = await export.plan(
                    conn, principal, runner.plugins, export.Spec.from_json(payload["spec"]),
                    decode_id, to_global_id, runner.settings.search_candidates,
                )  # fmt: skip
                total = await the_plan.count(conn, runner.settings.count_cap)
        except InvalidInput as exc:
            raise jobs.JobError("EXPORT_EXPIRED", str(exc), retry=False) from exc
        except Forbidden as exc:
            raise jobs.JobError("FORBIDDEN", str(exc), retry=False) from exc
        finally:
            await reader.close()
    return the_plan, total.value


async def run_export(ctx) -> dict:
    settings = ctx.runner.settings
    key = links.object_key(settings.signing_key, ctx.tenant_id, ctx.id)
    async with ctx.chunk() as session:
        await jobs.enqueue(
            session, ctx.tenant_id, links.CLEANUP_KIND, {"job": ctx.id, "key": key},
            idempotency_key=f"export-{ctx.id}",
            run_after=utcnow() + timedelta(hours=settings.export_keep_hours),
        )  # fmt: skip
    reader = RequestConnection(ctx.runner.db, ctx.tenant_id)
    the_plan, total = await _plan(ctx, reader)
    ctx.progress(0, total)

    async def on_page(done: int) -> None:
        ctx.progress(done)
        ctx.raise_if_cancelled()

    handle, path = tempfile.mkstemp(prefix="export-", suffix=".csv")
    rows = 0
    try:
        with os.fdopen(handle, "wb") as out:
            pieces = export.stream(
                reader, the_plan, settings.export_page_size, ctx.runner.connections, on_page
            )
            async for piece in pieces:
                await asyncio.to_thread(out.write, piece)
            rows = ctx.done
        await make_storage(settings).put(key, Path(path), "text/csv")
    finally:
        await asyncio.to_thread(Path(path).unlink, missing_ok=True)
    return {"key": key, "rows": rows, "name": file_name()}


async def remove_export(ctx) -> dict:
    key = ctx.payload["key"]
    await make_storage(ctx.runner.settings).delete(key)
    async with ctx.chunk() as session:
        table = jobs.JOBS
        found = await session.execute(
            select(table.c.result).where(
                table.c.tenant_id == ctx.tenant_id, table.c.id == ctx.payload["job"]
            )
        )
        result = found.scalar()
        if isinstance(result, dict) and result.get("key") == key:
            await session.execute(
                update(table)
                .where(table.c.id == ctx.payload["job"])
                .values(result={**result, "expired": True})
            )
    return {"removed": key}


@hookimpl
def hub_job_handlers():
    return {links.EXPORT_KIND: run_export, links.CLEANUP_KIND: remove_export}
