"""The job runner: one per process, started with the app (`server.py`), running at most
`JOB_CONCURRENCY` jobs at once with at most that many database connections, so it never
starves requests of the pool they share.

Claiming: a cheap read first asks when the next job is due (a QUEUED job's `run_after`, or
another process's RUNNING job whose lease ran out); when one is, a short transaction takes
it, on PostgreSQL with `FOR UPDATE SKIP LOCKED` (two processes never take the same row and
never wait for each other), on SQLite in the writer's turn (`BEGIN IMMEDIATE`), and sets the
lease: this runner's name and an expiry `JOB_LEASE_SECONDS` ahead. The runner wakes when a
job is enqueued in this process (through the outbox, `job.queued`), when one of its jobs
ends, at the next due time it knows of, and every `JOB_POLL_SECONDS` for the others' work.

Running: the handler (`hub_job_handlers`) gets a `JobContext`. Its work runs in chunks,
each a short transaction under the job's tenant (row-level security on PostgreSQL); the
chunk's commit also writes the checkpoint the handler saved, the progress and a fresh
lease, and only if this runner still holds the lease (else the chunk rolls back: a job
taken over by another process after its lease expired is never worked on twice). So work
and checkpoint commit together: after a crash the job resumes from its last checkpoint and
no chunk is lost or done twice. Between chunks a heartbeat keeps the lease and writes
progress (at most every `JOB_PROGRESS_SECONDS`, with a `job.progressed` event).

Failing: `JobError(code, message)` or any other exception (logged, coded INTERNAL for the
client) retries with exponential backoff from `JOB_RETRY_SECONDS` until `max_attempts`,
then FAILED. A graceful stop hands running jobs back (QUEUED, the attempt not counted)."""

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, update

from core import events
from core import jobs as j
from core.database import Database, is_unavailable
from core.models import TenantModule, utcnow

log = logging.getLogger("customer_hub.jobs")

MAX_BACKOFF = 3600.0
CLAIM_RETRY = 0.5


class JobCancelled(Exception):
    """Raised by `JobContext.raise_if_cancelled`: the job ends CANCELLED."""


class LeaseLost(Exception):
    """Another process took the job over (this runner's lease had expired)."""


class JobContext:
    """What a handler gets: the job (`job`, `payload`, `checkpoint`, `attempt`), progress,
    cancellation, and `chunk()` for its database work."""

    def __init__(self, runner: "JobRunner", row: dict, modules: frozenset[str]):
        self.runner = runner
        self.job = row
        self.id: int = row["id"]
        self.tenant_id: int = row["tenant_id"]
        self.kind: str = row["kind"]
        self.payload: dict = row["payload"] or {}
        self.checkpoint = row["checkpoint"]  # the last one saved: where to resume from
        self.attempt: int = row["attempts"]
        self.modules = modules
        self.done: int = row["done"]
        self.total: int | None = row["total"]
        self.cancel_requested: bool = row["cancel_requested"]
        self.lost = False
        self._lock = asyncio.Lock()  # one chunk or heartbeat of this job at a time
        self._saved = _UNSET
        self._in_chunk = False
        self._written = (self.done, self.total)  # progress in the row
        self._announced = (self.done, self.total)  # progress in the last event
        self._announced_at = 0.0
        self._leased_at = time.monotonic()

    def progress(self, done: int, total: int | None = None) -> None:
        """Where the job is (e.g. rows done of total); written with the next chunk or
        heartbeat, announced at most every `JOB_PROGRESS_SECONDS`."""
        self.done = int(done)
        if total is not None:
            self.total = int(total)

    def save(self, checkpoint) -> None:
        """Inside a chunk: the JSON state to resume from, committed with the chunk's work."""
        if not self._in_chunk:
            raise RuntimeError("save() belongs inside `async with ctx.chunk()`")
        self._saved = checkpoint

    @property
    def cancelled(self) -> bool:
        """Whether someone asked the job to stop (as of the last chunk or heartbeat)."""
        return self.cancel_requested

    def raise_if_cancelled(self) -> None:
        if self.cancel_requested:
            raise JobCancelled()

    @asynccontextmanager
    async def chunk(self) -> AsyncIterator:
        """A short write transaction under the job's tenant (events emitted in it go out
        after its commit); on commit also the saved checkpoint, the progress and the lease.
        Chunks do not nest."""
        if self._in_chunk:
            raise RuntimeError("chunks do not nest")
        runner = self.runner
        async with self._lock, runner.connections:
            self._saved, self._in_chunk = _UNSET, True
            try:
                async with runner.db.transaction(self.tenant_id) as session:
                    events.bind(session, runner.plugins, self.modules)
                    yield session
                    await runner.touch(session, self, self._saved)
                    records = list(session.info["records"])
                if self._saved is not _UNSET:
                    self.checkpoint = self._saved
            finally:
                self._saved, self._in_chunk = _UNSET, False
        runner.published(records)


_UNSET = object()


class JobRunner:
    def __init__(
        self,
        db: Database,
        plugins,
        outbox=None,
        *,
        concurrency: int = 2,
        lease_seconds: float = 30.0,
        poll_seconds: float = 2.0,
        retry_seconds: float = 10.0,
        progress_seconds: float = 1.0,
    ):
        self.db = db
        self.plugins = plugins
        self.outbox = outbox
        self.handlers = j.handlers(plugins)
        self.kinds = sorted(self.handlers)
        self.concurrency = concurrency
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self.retry_seconds = retry_seconds
        self.progress_seconds = progress_seconds
        self.owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.connections = asyncio.Semaphore(max(1, concurrency))
        self.running: dict[int, asyncio.Task] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self.depth = {"waiting": 0, "running": 0}
        self.storage = None  # the app's object store, for handlers that read uploads
        if outbox is not None:
            outbox.on_commit.append(self._committed)

    @classmethod
    def from_settings(cls, db: Database, plugins, outbox, settings) -> "JobRunner":
        return cls(
            db,
            plugins,
            outbox,
            concurrency=settings.job_concurrency,
            lease_seconds=settings.job_lease_seconds,
            poll_seconds=settings.job_poll_seconds,
            retry_seconds=settings.job_retry_seconds,
            progress_seconds=settings.job_progress_seconds,
        )

    # --- the loop -------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None and self.concurrency > 0 and self.kinds:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name="job-runner")

    def wake(self) -> None:
        self._wake.set()

    def _committed(self, messages: list[dict]) -> None:
        if any(m["name"] == "job.queued" for m in messages):
            self.wake()

    def published(self, records: list) -> None:
        if records and self.outbox is not None:
            self.outbox.after_commit(records)

    def status(self) -> dict:
        return {"running": len(self.running), "owner": self.owner}

    async def stop(self) -> None:
        """Running jobs go back to the queue for the next process (or this one restarted)."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        tasks = list(self.running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                wait = await self._fill()
            except Exception as error:
                if is_unavailable(error):
                    log.warning("job runner waits for the database: %r", error)
                else:
                    log.exception("job runner failed to claim; retrying")
                wait = self.poll_seconds or CLAIM_RETRY * 4
            try:
                async with asyncio.timeout(wait):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _fill(self) -> float | None:
        """Claim due jobs while slots are free; returns how long to sleep (None: until
        woken)."""
        poll = self.poll_seconds or None
        while len(self.running) < self.concurrency:
            due = await self._next_due()
            if due is None:
                return poll
            ahead = (due - utcnow()).total_seconds()
            if ahead > 0:
                return min(ahead, poll) if poll else ahead
            row = await self._claim()
            if row is None:  # another process was quicker
                return CLAIM_RETRY
            task = asyncio.create_task(self._run(row), name=f"job-{row['id']}")
            self.running[row["id"]] = task
            task.add_done_callback(lambda _t, job_id=row["id"]: self._ended(job_id))
        return None

    def _ended(self, job_id: int) -> None:
        self.running.pop(job_id, None)
        self.wake()

    def _claimable(self, now):
        c = j.JOBS.c
        return and_(
            c.kind.in_(self.kinds),
            or_(
                and_(c.status == j.QUEUED, c.run_after <= now),
                and_(
                    c.status == j.RUNNING,
                    c.lease_expires_at <= now,
                    c.lease_owner != self.owner,  # still running here, however late
                ),
            ),
        )

    async def _next_due(self):
        """When the next job this runner could take is due (None: nothing waits), as the
        login: bookkeeping across tenants, like the outbox's."""
        c = j.JOBS.c
        due = case((c.status == j.QUEUED, c.run_after), else_=c.lease_expires_at)
        query = select(func.min(due)).where(
            c.kind.in_(self.kinds),
            or_(
                c.status == j.QUEUED,
                and_(c.status == j.RUNNING, c.lease_owner != self.owner),
            ),
        )
        async with self.connections, self.db.read() as conn:
            found = await conn.scalar(query)
        if isinstance(found, str):  # SQLite hands a computed time back as text
            found = datetime.fromisoformat(found).replace(tzinfo=UTC)
        return found

    async def _claim(self) -> dict | None:
        c = j.JOBS.c
        now = utcnow()
        pick = (
            select(c.id)
            .where(self._claimable(now))
            .order_by(c.run_after, c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        claim = (
            update(j.JOBS)
            .where(c.id == pick)
            .values(
                status=j.RUNNING,
                lease_owner=self.owner,
                lease_expires_at=now + self.lease,
                attempts=c.attempts + 1,
                started_at=func.coalesce(c.started_at, now),
                updated_at=now,
            )
            .returning(*c)
        )
        async with self.connections, self.db.transaction() as session:
            row = (await session.execute(claim)).mappings().first()
            if row is None:
                return None
            row = dict(row)
            modules = frozenset(
                await session.scalars(
                    select(TenantModule.module).where(TenantModule.tenant_id == row["tenant_id"])
                )
            )
            row["modules"] = modules
            events.bind(session, self.plugins, modules)
            await j.emit(session, row, "job.started")
            records = list(session.info["records"])
        self.published(records)
        return row

    # --- one job --------------------------------------------------------------------------

    async def _run(self, row: dict) -> None:
        ctx = JobContext(self, row, row.pop("modules"))
        if row["attempts"] > row["max_attempts"]:  # its processes kept stopping under it
            error = {"code": "JOB_INTERRUPTED", "message": "The job was interrupted too often."}
            await self._end(ctx, j.FAILED, None, error)
            return
        me = asyncio.current_task()
        beat = asyncio.create_task(self._beat(ctx, me), name=f"job-{ctx.id}-beat")
        outcome = None
        try:
            result = await self.handlers[ctx.kind](ctx)
            outcome = (j.SUCCEEDED, result, None)
        except JobCancelled:
            outcome = (j.CANCELLED, None, None)
        except LeaseLost:
            ctx.lost = True
        except j.JobError as error:
            message = error.message[: j.MAX_ERROR]
            outcome = self._failed(ctx, {"code": error.code, "message": message}, error.retry)
        except asyncio.CancelledError:
            if ctx.lost:
                log.warning("job %s was taken over by another process", ctx.id)
                return
            if self._stopping:
                beat.cancel()
                await asyncio.gather(beat, return_exceptions=True)
                await self._hand_back(ctx)
            raise
        except Exception:
            log.exception("job %s (%s) failed", ctx.id, ctx.kind)
            error = {"code": "INTERNAL", "message": "The job failed unexpectedly."}
            outcome = self._failed(ctx, error, True)
        finally:
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)
        if ctx.lost:
            log.warning("job %s was taken over by another process", ctx.id)
            return
        try:
            await self._end(ctx, *outcome)
        except LeaseLost:
            log.warning("job %s was taken over before it could finish here", ctx.id)
        except Exception:
            log.exception("job %s: could not record its end; its lease will expire", ctx.id)

    def _failed(self, ctx: JobContext, error: dict, retry: bool):
        if retry and ctx.attempt < ctx.job["max_attempts"]:
            delay = min(self.retry_seconds * 2 ** (ctx.attempt - 1), MAX_BACKOFF)
            return (j.QUEUED, delay * random.uniform(0.8, 1.2), error)
        return (j.FAILED, None, error)

    async def _beat(self, ctx: JobContext, main: asyncio.Task) -> None:
        """Keeps the lease and writes progress between chunks; a lost lease stops the job."""
        lease = self.lease.total_seconds()
        every = min(self.progress_seconds, lease / 3)
        while True:
            await asyncio.sleep(every)
            changed = (ctx.done, ctx.total) != ctx._written
            if not changed and time.monotonic() - ctx._leased_at < lease / 3:
                continue
            try:
                async with (
                    ctx._lock,
                    self.connections,
                    self.db.transaction(ctx.tenant_id) as session,
                ):
                    events.bind(session, self.plugins, ctx.modules)
                    await self.touch(session, ctx)
                    records = list(session.info["records"])
                self.published(records)
            except LeaseLost:
                ctx.lost = True
                main.cancel()
                return
            except Exception as error:
                if not is_unavailable(error):
                    log.exception("job %s: heartbeat failed", ctx.id)

    async def touch(self, session, ctx: JobContext, checkpoint=_UNSET) -> None:
        """In the job's transaction: progress, checkpoint and a fresh lease, if the lease is
        still this runner's (else `LeaseLost`, and the transaction rolls back)."""
        now = utcnow()
        c = j.JOBS.c
        values = {
            "done": ctx.done,
            "total": ctx.total,
            "lease_expires_at": now + self.lease,
            "updated_at": now,
        }
        if checkpoint is not _UNSET:
            values["checkpoint"] = checkpoint
        found = await session.execute(
            update(j.JOBS)
            .where(c.id == ctx.id, c.lease_owner == self.owner, c.status == j.RUNNING)
            .values(**values)
            .returning(c.cancel_requested)
        )
        row = found.first()
        if row is None:
            raise LeaseLost()
        ctx.cancel_requested = bool(row[0])
        ctx._leased_at = time.monotonic()
        progress = (ctx.done, ctx.total)
        ctx._written = progress
        clock = time.monotonic()
        if progress != ctx._announced and clock - ctx._announced_at >= self.progress_seconds:
            ctx._announced, ctx._announced_at = progress, clock
            await j.emit(session, {**ctx.job, **values, "status": j.RUNNING}, "job.progressed")

    async def _end(self, ctx: JobContext, status: str, outcome, error: dict | None) -> None:
        """Final, or (QUEUED with `outcome` seconds) back to the queue for a retry."""
        now = utcnow()
        c = j.JOBS.c
        values = {
            "status": status,
            "done": ctx.done,
            "total": ctx.total,
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": now,
            "error_code": error["code"] if error else None,
            "error_message": error["message"] if error else None,
        }
        if status == j.QUEUED:
            values["run_after"] = now + timedelta(seconds=outcome)
        else:
            values["finished_at"] = now
            values["result"] = outcome
        async with (
            ctx._lock,
            self.connections,
            self.db.transaction(ctx.tenant_id) as session,
        ):
            events.bind(session, self.plugins, ctx.modules)
            ended = await session.execute(
                update(j.JOBS)
                .where(c.id == ctx.id, c.lease_owner == self.owner)
                .values(**values)
                .returning(*c)
            )
            row = ended.mappings().first()
            if row is None:
                raise LeaseLost()
            name = "job.progressed" if status == j.QUEUED else "job.finished"
            await j.emit(session, dict(row), name, error)
            records = list(session.info["records"])
        self.published(records)
        if status == j.QUEUED:
            loop = asyncio.get_running_loop()
            loop.call_later(outcome, self.wake)

    async def _hand_back(self, ctx: JobContext) -> None:
        """Stopping: the job waits for the next runner, this attempt not counted."""
        c = j.JOBS.c
        with contextlib.suppress(Exception):
            async with self.db.transaction() as session:
                await session.execute(
                    update(j.JOBS)
                    .where(c.id == ctx.id, c.lease_owner == self.owner)
                    .values(
                        status=j.QUEUED,
                        lease_owner=None,
                        lease_expires_at=None,
                        attempts=c.attempts - 1,
                        run_after=utcnow(),
                        updated_at=utcnow(),
                    )
                )

    async def measure(self) -> dict[str, int]:
        """Jobs waiting and running, all processes' (`/metrics` reads `depth` after it)."""
        self.depth = await queue_depth(self.db)
        return self.depth


async def queue_depth(db: Database) -> dict[str, int]:
    c = j.JOBS.c
    async with db.read() as conn:
        rows = await conn.execute(
            select(c.status, func.count())
            .where(c.status.in_([j.QUEUED, j.RUNNING]))
            .group_by(c.status)
        )
        found = dict(rows.all())
    return {"waiting": found.get(j.QUEUED, 0), "running": found.get(j.RUNNING, 0)}
