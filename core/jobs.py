"""Jobs: work that outlives a request (bulk changes, imports, exports, billing runs,
automation), kept as rows of `jobs` so it survives a restart and runs once across processes.
A module enqueues a job inside its own write transaction (`enqueue`), so the job exists
exactly when the write committed; `core/job_runner.py` claims and runs it through the
handler the module registered for its kind (`hub_job_handlers`).

Statuses: QUEUED (waiting for its turn, or for `run_after` after a failed attempt) →
RUNNING (one process holds its lease) → SUCCEEDED, FAILED or CANCELLED (final). An
idempotency key (unique per tenant and kind) makes enqueueing twice give the first job back.

Who sees a job: the worker who created it, and workers holding `jobs.view_all` (owners and
admins by default); anyone else gets NOT_FOUND, exactly as for another tenant's job."""

from datetime import datetime, timedelta

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core import access, events
from core.auth import Principal
from core.errors import InvalidInput, NotFound
from core.models import NEVER_REUSE_IDS, Base, JSONType, UTCDateTime, utcnow

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "QUEUED",
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "CANCELLED",
)
STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
FINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})

# Data of every job event: {"jobId", "kind", "status", "done", "total"}; `job.finished`
# adds "error": {"code", "message"} | null. Listed in README.md ("Events").
EVENT_TYPES = frozenset({"job.queued", "job.started", "job.progressed", "job.finished"})

MAX_KEY = 200
MAX_ERROR = 500


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "idempotency_key"),
        Index("ix_jobs_tenant_id_id", "tenant_id", "id"),
        Index("ix_jobs_tenant_id_created_by_id", "tenant_id", "created_by", "id"),
        Index("ix_jobs_status_run_after", "status", "run_after"),
        Index("ix_jobs_status_lease_expires_at", "status", "lease_expires_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[dict | None] = mapped_column(JSONType)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(String(MAX_ERROR))
    checkpoint: Mapped[dict | None] = mapped_column(JSONType)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(MAX_KEY))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


JOBS = Job.__table__


class JobError(Exception):
    """A handler's failure with a code and a message fit for the user (never a stack trace):
    `retry=False` fails the job at once, else it is attempted again up to its maximum."""

    def __init__(self, code: str, message: str, retry: bool = True):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry = retry


def handlers(plugins) -> dict:
    """`{kind: async handler(ctx)}` of every installed plugin (`hub_job_handlers`); a kind
    registered twice stops the start, naming both."""
    from core.plugins import PluginError

    found, owner = {}, {}
    for impl in plugins.pm.hook.hub_job_handlers.get_hookimpls():
        for kind, handler in (impl.function() or {}).items():
            if kind in found:
                raise PluginError(
                    f"plugin {impl.plugin_name}: job kind {kind!r} is {owner[kind]}'s already"
                )
            found[kind], owner[kind] = handler, impl.plugin_name
    return found


def message(job, name: str, error: dict | None = None) -> dict:
    """The data of a job event."""
    get = job.__getitem__ if isinstance(job, dict) else lambda key: getattr(job, key)
    data = {
        "jobId": get("id"),
        "kind": get("kind"),
        "status": get("status"),
        "done": get("done"),
        "total": get("total"),
    }
    if name == "job.finished":
        data["error"] = error
    return data


async def emit(session: AsyncSession, job, name: str, error: dict | None = None) -> None:
    get = job.__getitem__ if isinstance(job, dict) else lambda key: getattr(job, key)
    await events.emit(
        session,
        events.Event(
            name, get("tenant_id"), None, message(job, name, error), actor_id=get("created_by")
        ),
    )


async def enqueue(
    session: AsyncSession,
    tenant_id: int,
    kind: str,
    payload: dict | None = None,
    *,
    created_by: int | None = None,
    idempotency_key: str | None = None,
    run_after: datetime | None = None,
    total: int | None = None,
    max_attempts: int = 5,
) -> tuple[Job, bool]:
    """A new job in the caller's write transaction (a session prepared by
    `core.events.bind`), or the tenant's job of this kind with this idempotency key if there
    is one: (job, created). It runs once the transaction commits (and `run_after`)."""
    plugins = session.info.get("plugins")
    if plugins is None:
        raise RuntimeError("enqueue() needs a session prepared by core.events.bind()")
    if kind not in handlers(plugins):
        raise ValueError(f"no installed plugin handles job kind {kind!r}")
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_KEY:
        raise InvalidInput.one(
            ("input", "idempotencyKey"), f"1 to {MAX_KEY} characters.", "INVALID"
        )
    now = utcnow()
    values = {
        "tenant_id": tenant_id,
        "kind": kind,
        "payload": payload or {},
        "status": QUEUED,
        "done": 0,
        "total": total,
        "attempts": 0,
        "max_attempts": max(1, max_attempts),
        "run_after": run_after or now,
        "cancel_requested": False,
        "created_by": created_by,
        "idempotency_key": idempotency_key,
        "created_at": now,
        "updated_at": now,
    }
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(JOBS)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["tenant_id", "kind", "idempotency_key"])
        .returning(JOBS.c.id)
    )
    new_id = (await session.execute(statement)).scalar()
    if new_id is None:  # the key's job exists (perhaps committed a moment ago by another)
        job = await session.scalar(
            select(Job).where(
                Job.tenant_id == tenant_id,
                Job.kind == kind,
                Job.idempotency_key == idempotency_key,
            )
        )
        return job, False
    job = await session.get(Job, new_id)
    await emit(session, job, "job.queued")
    return job, True


def may_see(principal: Principal, row) -> bool:
    get = row.__getitem__ if isinstance(row, dict) else lambda key: getattr(row, key)
    if get("tenant_id") != principal.tenant_id:
        return False
    return get("created_by") == principal.worker_id or access.can(principal, "jobs.view_all")


def visible(principal: Principal, *conditions):
    """The tenant's jobs the principal may see."""
    query = select(*JOBS.c).where(JOBS.c.tenant_id == principal.tenant_id, *conditions)
    if not access.can(principal, "jobs.view_all"):
        query = query.where(JOBS.c.created_by == principal.worker_id)
    return query


async def cancel(session: AsyncSession, principal: Principal, job_id: int) -> Job:
    """A waiting job ends CANCELLED at once; a running one is asked to stop (its handler
    sees it at its next check, `cancel_requested`); a finished one is INVALID_TRANSITION.
    Cancelling twice changes nothing the second time."""
    job = await session.scalar(
        select(Job)
        .where(Job.tenant_id == principal.tenant_id, Job.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if job is None or not may_see(principal, job):
        raise NotFound("Job")
    if job.status in FINAL:
        if job.status == CANCELLED:
            return job
        raise InvalidInput.one(
            ("input", "id"),
            f"A job cannot go from {job.status} to CANCELLED (it has finished).",
            "INVALID_TRANSITION",
        )
    now = utcnow()
    if job.status == QUEUED:
        await session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(status=CANCELLED, finished_at=now, updated_at=now, cancel_requested=True)
            .execution_options(synchronize_session="fetch")
        )
        await session.refresh(job)
        await emit(session, job, "job.finished")
    elif not job.cancel_requested:
        await session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(cancel_requested=True, updated_at=now)
            .execution_options(synchronize_session="fetch")
        )
        await session.refresh(job)
    return job


async def purge_finished(db, keep_days: float, batch: int = 1000) -> int:
    """Finished jobs older than `keep_days` go, across tenants (the runner's bookkeeping), a
    batch per transaction so a purge never holds the writer long. What referred to one keeps
    its own state: a bulk action's `job` turns null, an import's job reads as gone."""
    cutoff = utcnow() - timedelta(days=keep_days)
    removed = 0
    while True:
        async with db.transaction() as session:
            old = (
                select(JOBS.c.id)
                .where(JOBS.c.status.in_(sorted(FINAL)), JOBS.c.finished_at < cutoff)
                .limit(batch)
            )
            result = await session.execute(delete(JOBS).where(JOBS.c.id.in_(old.scalar_subquery())))
        removed += result.rowcount or 0
        if (result.rowcount or 0) < batch:
            return removed
