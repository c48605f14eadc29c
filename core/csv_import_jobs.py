"""Running and reverting an import as jobs (`core/job_runner.py`), and the hooks that register
them: core's own always-on plugin (`schema.registry.make_plugins` adds it).

A run reads the stored file again (a local copy, streamed from the storage) and resumes
after the last line with an outcome: each chunk writes its lines' `customer_import_rows`
with its customers and its checkpoint in one transaction, so a crash repeats no line and
loses none. The worker who started the run is its principal, read afresh at each attempt:
their permissions and visibility apply as for a request."""

import asyncio
import os
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import func, select, update

from core import access, jobs
from core import customers as core
from core.csv_import import DONE, READY, REVERTED, REVERTING, RUNNING, last_line, records
from core.csv_import_apply import apply
from core.csv_import_models import IMPORTS, ROWS
from core.csv_import_rows import Line, load_catalog, parse_line
from core.errors import InvalidInput, NotFound
from core.events import Event, emit
from core.hookspecs import hookimpl
from core.models import utcnow

RUN, REVERT = "customers.import", "customers.import_revert"
CHUNK = 500
REVERT_CHUNK = 200


@asynccontextmanager
async def local_copy(storage, key: str):
    """The object as a temporary file (csv needs a seekable text file), removed after."""
    handle, name = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(handle, "wb") as out:
            async for block in storage.open(key):
                out.write(block)
        yield Path(name)
    finally:
        await asyncio.to_thread(Path(name).unlink, missing_ok=True)


def columns_of(imp: dict) -> list[tuple[int, str, str]]:
    headers = imp["headers"]
    return [
        (headers.index(m["column"]), m["column"], m["field"])
        for m in imp["mapping"]
        if m["column"] in headers
    ]


async def _principal(session, ctx, worker_id: int | None, *permissions: str):
    """The starting worker as of now; without a permission the job fails at once (coded)."""
    grants = ctx.runner.plugins.permission_grants()
    found = None
    if worker_id is not None:
        conn = await session.connection()
        found = await access.principal_for(conn, ctx.tenant_id, worker_id, grants)
    for permission in permissions:
        if found is None or not access.can(found, permission):
            message = f"The worker may no longer do this ({permission})."
            raise jobs.JobError("FORBIDDEN", message, retry=False)
    return found


async def _import(session, ctx) -> dict:
    row = (
        (
            await session.execute(
                select(IMPORTS).where(
                    IMPORTS.c.tenant_id == ctx.tenant_id, IMPORTS.c.id == ctx.payload["importId"]
                )
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise jobs.JobError("NOT_FOUND", "The import is gone.", retry=False)
    return dict(row)


async def run(ctx) -> dict:
    storage = ctx.runner.storage
    async with ctx.chunk() as session:
        imp = await _import(session, ctx)
        principal = await _principal(
            session, ctx, ctx.payload.get("workerId"), "customers.import", "customers.edit"
        )
        catalog = await load_catalog(session, ctx.tenant_id)
        start = await last_line(session, imp["id"])
        done = await session.scalar(
            select(func.count()).select_from(ROWS).where(ROWS.c.import_id == imp["id"])
        )
    ctx.progress(done, imp["row_count"])
    mapping = columns_of(imp)
    batch: list[Line] = []

    async def flush() -> None:
        nonlocal done
        ctx.raise_if_cancelled()
        async with ctx.chunk() as session:
            await apply(session, principal, imp, batch, catalog)
            ctx.save({"line": batch[-1].line})
        done += len(batch)
        ctx.progress(done)
        batch.clear()

    async with local_copy(storage, imp["file_key"]) as path:
        for number, cells in records(path, imp["encoding"], imp["delimiter"]):
            if number <= start:
                continue
            batch.append(parse_line(number, cells, mapping, catalog, imp["match_by"]))
            if len(batch) >= ctx.payload.get("chunk", CHUNK):
                await flush()
        if batch:
            await flush()
    async with ctx.chunk() as session:
        await session.execute(
            update(IMPORTS)
            .where(IMPORTS.c.id == imp["id"], IMPORTS.c.status == RUNNING)
            .values(status=DONE, updated_at=utcnow())
        )
        final = await _import(session, ctx)
    return {k: final[k] for k in ("created", "updated", "skipped", "failed")}


async def revert(ctx) -> dict:
    """Created customers are erased through `core.customers.erase_customer` (module hooks
    run; reverting needs `customers.delete`, not `customers.erase`); updated ones get their
    columns back, last line first. The checkpoint is the phase and the last line done."""
    async with ctx.chunk() as session:
        imp = await _import(session, ctx)
        principal = await _principal(
            session, ctx, ctx.payload.get("workerId"), "customers.delete", "customers.edit"
        )
    at = ctx.checkpoint or {"phase": "CREATED", "line": 0}
    total = imp["created"] + imp["updated"]
    done = at.get("done", 0)
    ctx.progress(done, total)
    deleted = restored = 0
    for phase in ("CREATED", "UPDATED"):
        if phase == "CREATED" and at["phase"] == "UPDATED":
            continue
        # Updates go back newest first: two lines that changed one customer restore the
        # older value last.
        backwards = phase == "UPDATED"
        line = at["line"] if phase == at["phase"] else (2**31 - 1 if backwards else 0)
        while True:
            ctx.raise_if_cancelled()
            async with ctx.chunk() as session:
                after = ROWS.c.line < line if backwards else ROWS.c.line > line
                rows = (
                    await session.execute(
                        select(ROWS.c.line, ROWS.c.customer_id, ROWS.c.before)
                        .where(ROWS.c.import_id == imp["id"], ROWS.c.outcome == phase, after)
                        .order_by(ROWS.c.line.desc() if backwards else ROWS.c.line)
                        .limit(REVERT_CHUNK)
                    )
                ).all()
                for row in rows:
                    try:
                        if phase == "CREATED":
                            await core.erase_customer(session, principal, row.customer_id)
                            deleted += 1
                        else:
                            await core.restore_columns(
                                session, principal, row.customer_id, row.before or {}
                            )
                            restored += 1
                    except (NotFound, InvalidInput):
                        continue  # deleted since, or no longer valid: nothing to put back
                if rows:
                    line = rows[-1].line
                    done += len(rows)
                    data = {"importId": imp["id"], "deleted": deleted, "restored": restored}
                    event = Event(
                        "customers.import_reverted", ctx.tenant_id, None, data, principal.worker_id
                    )
                    await emit(session, event)
                else:
                    await session.execute(
                        update(IMPORTS)
                        .where(IMPORTS.c.id == imp["id"])
                        .values(
                            status=REVERTED if phase == "UPDATED" else REVERTING,
                            updated_at=utcnow(),
                        )
                    )
                ctx.save({"phase": phase, "line": line, "done": done})
            ctx.progress(done)
            if not rows:
                break
    return {"deleted": deleted, "restored": restored}


async def start_run(session, principal, import_id: int, chunk: int = CHUNK) -> tuple[dict, object]:
    from core.csv_import import get

    imp = await get(session, principal, import_id, lock=True)
    if imp["status"] == RUNNING and not await _job_over(session, imp["job_id"]):
        raise InvalidInput.one(
            ("input", "importId"), "The import is running already.", "INVALID_TRANSITION"
        )
    if imp["status"] not in (READY, RUNNING):
        message = f"An import cannot run again once {imp['status']}."
        raise InvalidInput.one(("input", "importId"), message, "INVALID_TRANSITION")
    if not imp["mapping"]:
        raise InvalidInput.one(("input", "importId"), "Map at least one column.", "REQUIRED")
    payload = {"importId": imp["id"], "workerId": principal.worker_id, "chunk": chunk}
    job, _ = await jobs.enqueue(
        session, principal.tenant_id, RUN, payload, created_by=principal.worker_id,
        total=imp["row_count"],
    )  # fmt: skip
    await session.execute(
        update(IMPORTS)
        .where(IMPORTS.c.id == imp["id"])
        .values(status=RUNNING, job_id=job.id, updated_at=utcnow())
    )
    return {**imp, "status": RUNNING, "job_id": job.id}, job


async def start_revert(session, principal, import_id: int) -> tuple[dict, object]:
    from core.csv_import import get

    access.require(principal, "customers.delete")
    imp = await get(session, principal, import_id, lock=True)
    status = imp["status"]
    if status == REVERTED:
        raise InvalidInput.one(
            ("input", "importId"), "The import was reverted already.", "INVALID_TRANSITION"
        )
    busy = status == REVERTING and not await _job_over(session, imp["revert_job_id"])
    if busy or (status == RUNNING and not await _job_over(session, imp["job_id"])):
        raise InvalidInput.one(
            ("input", "importId"), "Wait until the import's job has ended.", "INVALID_TRANSITION"
        )
    if status == READY:
        raise InvalidInput.one(
            ("input", "importId"),
            "The import has not run: nothing to revert.",
            "INVALID_TRANSITION",
        )
    payload = {"importId": imp["id"], "workerId": principal.worker_id}
    job, _ = await jobs.enqueue(
        session, principal.tenant_id, REVERT, payload, created_by=principal.worker_id,
        total=imp["created"] + imp["updated"],
    )  # fmt: skip
    await session.execute(
        update(IMPORTS)
        .where(IMPORTS.c.id == imp["id"])
        .values(status=REVERTING, revert_job_id=job.id, updated_at=utcnow())
    )
    return {**imp, "status": REVERTING, "revert_job_id": job.id}, job


async def _job_over(session, job_id: int | None) -> bool:
    if job_id is None:
        return True
    status = await session.scalar(select(jobs.Job.status).where(jobs.Job.id == job_id))
    return status is None or status in jobs.FINAL


@hookimpl
def hub_job_handlers():
    return {RUN: run, REVERT: revert}
