"""The `automation.run` job: one run, a step per chunk. Each chunk locks the run, applies the
next action and records its outcome and `next_step` in the same transaction (the job's
checkpoint too), so a crash resumes at the first step not committed and redoes none.

Who acts: the author of the rule's version (`AutomationRuleVersion.author_id`), read again
at every step like a bulk job's worker: core's customer services then check their
permissions and folders exactly as for that worker's own write, and the events name them as
actor. An author removed (or no longer allowed) fails the step, and the run.

Effects outside core's links are events carrying a request keyed by run and step
(`automation:<run>:<step>`): communications, missions and notifications do each once per
key, so a step repeated after a crash (its chunk rolled back, the event never went out, or
went out and is sent again) changes nothing twice. WAIT finishes this job and enqueues the
run's next one with `run_after`, in the step's chunk: the wait survives a restart."""

from datetime import timedelta

from sqlalchemy import select

from core import access, events, jobs, records
from core import customer_links as links
from core import customers as core_customers
from core.errors import DomainError
from core.models import CustomerWorker, utcnow
from plugins.automation.models import DONE, FAILED, RUNNING, AutomationRuleVersion, AutomationRun
from plugins.automation.service import JOB_KIND


class StepFailed(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


async def _lock(session, ctx) -> AutomationRun | None:
    return await session.scalar(
        select(AutomationRun)
        .where(AutomationRun.tenant_id == ctx.tenant_id, AutomationRun.id == ctx.payload["runId"])
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _author(session, ctx, version):
    principal = None
    if version.author_id is not None:
        grants = ctx.runner.plugins.permission_grants()
        conn = await session.connection()
        principal = await access.principal_for(conn, ctx.tenant_id, version.author_id, grants)
    if principal is None:
        raise StepFailed("AUTOMATION_AUTHOR_GONE", "The rule's author is no longer a worker.")
    return principal


async def _emit(session, principal, run, index: int, name: str, **data) -> None:
    await records.emit(
        session,
        principal,
        name,
        run.customer_id,
        runId=run.id,
        ruleId=run.rule_id,
        step=index,
        **data,
    )


async def _apply(session, ctx, run, version, index: int, action: dict) -> str:
    """Does step `index`; its outcome (a word for the tab)."""
    principal = await _author(session, ctx, version)
    ids, kind, key = [run.customer_id], action["type"], f"automation:{run.id}:{index}"
    if kind == "SET_STATUS":
        await core_customers.set_status(session, principal, ids, action["statusId"])
    elif kind == "SET_FOLDER_STATUS":
        await links.set_folder_status(
            session, principal, ids, action["folderId"], action["statusId"]
        )
    elif kind == "ADD_TAG":
        await links.add_tags(session, principal, ids, [action["tagId"]])
    elif kind == "REMOVE_TAG":
        await links.remove_tags(session, principal, ids, [action["tagId"]])
    elif kind == "ADD_TO_FOLDER":
        await links.add_to_folders(session, principal, ids, [(action["folderId"], None)])
    elif kind == "REMOVE_FROM_FOLDER":
        await links.remove_from_folders(session, principal, ids, [action["folderId"]])
    elif kind == "ASSIGN_WORKERS":
        await links.assign_workers(session, principal, ids, action["workerIds"])
    elif kind == "CREATE_MISSION":
        hours = action.get("dueInHours")
        due = (utcnow() + timedelta(hours=hours)).isoformat() if hours is not None else None
        request = {
            "key": key,
            "title": action["title"],
            "assigneeId": action.get("assigneeId"),
            "dueAt": due,
        }
        await _emit(
            session, principal, run, index, "automation.mission_requested", mission_request=request
        )
    elif kind == "SEND_MESSAGE":
        request = {k: action.get(k) for k in ("channel", "subject", "body", "to")}
        await _emit(
            session,
            principal,
            run,
            index,
            "automation.message_requested",
            message_request={"key": key, **request},
        )
    elif kind == "NOTIFY_WORKERS":
        workers = list(action.get("workerIds") or [])
        if action.get("assignedWorkers"):
            assigned = await session.scalars(
                select(CustomerWorker.worker_id).where(
                    CustomerWorker.customer_id == run.customer_id
                )
            )
            workers += [w for w in assigned if w not in workers]
        if not workers:
            return "NOBODY"
        notify = {
            "workerIds": workers,
            "kind": "rule",
            "title": action["title"],
            "body": action.get("body"),
        }
        await _emit(session, principal, run, index, "automation.workers_notified", notify=notify)
    elif kind == "CALL_WEBHOOK":
        target = {}
        if action.get("endpointId") is not None:  # the webhooks module's contract
            target["webhookEndpointId"] = action["endpointId"]
        await _emit(
            session,
            principal,
            run,
            index,
            "automation.webhook",
            payload=action.get("payload") or {},
            **target,
        )
    return "DONE"


async def _finish(session, principal_id, run, status: str, reason: str | None = None) -> None:
    run.status, run.reason, run.finished_at, run.updated_at = status, reason, utcnow(), utcnow()
    data = {
        "runId": run.id,
        "ruleId": run.rule_id,
        "version": run.version,
        "status": status,
        "reason": reason,
    }
    await events.emit(
        session,
        events.Event(
            "automation.run_finished",
            run.tenant_id,
            run.customer_id,
            {**data, "automationDepth": run.depth},
            principal_id,
        ),
    )


async def _step(ctx) -> bool:
    """One chunk: the next step of the run, or its end. True when the job is done."""
    failed = None
    try:
        async with ctx.chunk() as session:
            run = await _lock(session, ctx)
            if run is None or run.status != RUNNING:
                return True  # its rule was deleted, or a redelivered job of a finished run
            version = await session.get(AutomationRuleVersion, run.version_id)
            actions = version.actions
            index = run.next_step
            if index >= len(actions):
                await _finish(session, version.author_id, run, DONE)
                ctx.save({"step": index, "finished": True})
                return True
            action = actions[index]
            outcome = "DONE"
            if action["type"] == "WAIT":
                until = utcnow() + timedelta(seconds=action["seconds"])
                await jobs.enqueue(
                    session,
                    ctx.tenant_id,
                    JOB_KIND,
                    {"runId": run.id},
                    created_by=run.started_by,
                    idempotency_key=f"run:{run.id}:wait:{index}",
                    run_after=until,
                    max_attempts=10,
                )
                outcome = "WAITING"
            else:
                session.info["event_data"] = {"automationDepth": run.depth + 1}
                try:
                    outcome = await _apply(session, ctx, run, version, index, action)
                finally:
                    session.info.pop("event_data", None)
            run.steps = [
                *run.steps,
                {"index": index, "type": action["type"], "outcome": outcome, "error": None},
            ]
            run.next_step, run.updated_at = index + 1, utcnow()
            ctx.save({"step": index + 1})
            ctx.progress(index + 1, len(actions))
            return outcome == "WAITING"
    except (DomainError, StepFailed) as error:  # the step's writes rolled back with its chunk
        failed = error
    code = getattr(failed, "code", None) or _code_of(failed)
    message = getattr(failed, "message", None) or str(failed)
    async with ctx.chunk() as session:
        run = await _lock(session, ctx)
        if run is None or run.status != RUNNING:
            return True
        action = (await session.get(AutomationRuleVersion, run.version_id)).actions[run.next_step]
        step = {
            "index": run.next_step,
            "type": action["type"],
            "outcome": "FAILED",
            "error": f"{code}: {message}"[:500],
        }
        run.steps = [*run.steps, step]
        await _finish(session, None, run, FAILED, code)
        ctx.save({"step": run.next_step, "finished": True})
    return True


def _code_of(error) -> str:
    problems = getattr(error, "problems", None)
    if problems:
        return problems[0].code or "INVALID"
    return type(error).__name__.upper()


async def run_job(ctx) -> dict:
    """Steps until the run ends or waits; each step its own chunk."""
    while not await _step(ctx):
        pass
    return {"runId": ctx.payload["runId"]}
