"""The `customers.bulk` job: a bulk action (or its undo) too big for one request, in chunks
of `core.bulk.CHUNK` customers by id. Each chunk is one transaction holding the work, its
`bulk_changes` rows and the checkpoint (`{"after": last id, "done": n}`), so a crash resumes
after the last committed chunk and applies nothing twice. The principal is read again in
every chunk: a worker whose role or folders changed meanwhile acts with what they have now,
one removed (or stripped of the permission) fails the job."""

from collections.abc import Callable

from sqlalchemy import select

from core import access, bulk
from core.errors import DomainError, InvalidInput
from core.job_runner import JobCancelled
from core.jobs import JobError
from core.targets import matching


async def _principal(session, ctx, worker_id: int, permission: str):
    grants = ctx.runner.plugins.permission_grants()
    principal = await access.principal_for(
        await session.connection(), ctx.tenant_id, worker_id, grants
    )
    if principal is None or not access.can(principal, permission):
        raise JobError("FORBIDDEN", "The worker may no longer do this.", retry=False)
    return principal


async def _row(session, ctx) -> bulk.BulkAction:
    return await session.scalar(
        select(bulk.BulkAction)
        .where(
            bulk.BulkAction.tenant_id == ctx.tenant_id,
            bulk.BulkAction.id == ctx.payload["bulk_action_id"],
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _apply_step(session, ctx, row, principal, state, decode_id) -> bool:
    action = bulk.ACTIONS[row.action]
    payload = ctx.payload
    query = await matching(
        session, principal, payload["where"], payload["search"], decode_id, state["after"]
    )
    ids = list(await session.scalars(query.limit(bulk.CHUNK)))
    if ids:
        args = bulk.from_json(row.args)
        _, changed = await bulk.apply_to(session, principal, action, args, ids, row.id)
        row.count += changed
        state["after"], state["done"] = ids[-1], state["done"] + len(ids)
    if len(ids) < bulk.CHUNK:
        row.state = bulk.DONE
        return True
    return False


async def _undo_step(session, ctx, row, principal, state) -> bool:
    undone, skipped, last = await bulk.revert_some(
        session, principal, row, state["after"], bulk.CHUNK
    )
    row.undone += undone
    row.skipped += skipped
    if last is None:
        row.state = bulk.UNDONE
        return True
    state["after"], state["done"] = last, state["done"] + undone + skipped
    return False


async def _failed(ctx) -> None:
    async with ctx.chunk() as session:
        row = await _row(session, ctx)
        if row is not None:
            row.state = bulk.FAILED


async def run_job(ctx, decode_id: Callable) -> dict:
    payload = ctx.payload
    undoing = payload["mode"] == "undo"
    state = dict(ctx.checkpoint or {"after": 0, "done": 0})
    ctx.progress(state["done"])
    finished = False
    try:
        while not finished:
            ctx.raise_if_cancelled()
            async with ctx.chunk() as session:
                row = await _row(session, ctx)
                if row is None:  # the tenant went away
                    return {"count": 0}
                permission = bulk.ACTIONS[row.action].permission
                principal = await _principal(session, ctx, payload["worker_id"], permission)
                if undoing:
                    finished = await _undo_step(session, ctx, row, principal, state)
                else:
                    finished = await _apply_step(session, ctx, row, principal, state, decode_id)
                ctx.save(dict(state))
                result = {"count": row.count, "undone": row.undone, "skipped": row.skipped}
            ctx.progress(state["done"], max(ctx.total or 0, state["done"]))
    except InvalidInput as exc:
        await _failed(ctx)
        problem = exc.problems[0]
        raise JobError(problem.code, problem.message, retry=False) from exc
    except DomainError as exc:
        await _failed(ctx)
        raise JobError(exc.code, str(exc), retry=False) from exc
    except (JobError, JobCancelled):
        await _failed(ctx)
        raise
    return result
