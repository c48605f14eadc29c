"""The `workingTime` field on Customer, the totals and the worker's own clock, and the
mutations."""

from datetime import date, datetime

import strawberry
from sqlalchemy import select
from strawberry import UNSET

from core import access
from core.errors import InvalidInput, NotFound
from core.models import Customer as CustomerRow
from core.models import Worker as WorkerRow
from plugins.working_time import queries as q
from plugins.working_time import service
from plugins.working_time.service import VIEW
from plugins.working_time.types import (
    CustomerTimeSum,
    DayTimeSum,
    TimeEntry,
    TimeSum,
    WorkerTimeSum,
)
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.money import Money, MoneyInput
from schema.payloads import DeletePayload, UserError, deleted, mutate, payload
from schema.relay import Connection
from schema.team.types import Worker

MAX_DAYS = 366


def _running(info: Info):
    return kit.loader(info, "working_time.running", q.running)


@strawberry.type(description="A customer's working time: what the Working time tab shows.")
class CustomerWorkingTime:
    customer_id: strawberry.Private[int]

    @strawberry.field(description="Entries, newest start first; at most 100 a page (default 20).")
    async def entries(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[TimeEntry]:
        return await kit.customer_list(
            info, "working_time.entries", q.T, self.customer_id, q.NEWEST, first, after,
            TimeEntry.from_row,
        )  # fmt: skip

    async def _sum(self, info: Info) -> q.Sum:
        return await kit.loader(info, "working_time.sums", q.customer_sums).load(self.customer_id)

    @strawberry.field(description="All stopped and logged time, in seconds.")
    async def total_seconds(self, info: Info) -> int:
        return (await self._sum(info)).seconds

    @strawberry.field
    async def billable_seconds(self, info: Info) -> int:
        return (await self._sum(info)).billable_seconds

    @strawberry.field(description="Billable, rated time's amounts, one per currency.")
    async def billable_amounts(self, info: Info) -> list[Money]:
        return TimeSum.values(await self._sum(info))["billable_amounts"]

    @strawberry.field(description="Timers running on this customer, oldest first.")
    async def running(self, info: Info) -> list[TimeEntry]:
        return [TimeEntry.from_row(r) for r in await _running(info).load(self.customer_id)]

    @strawberry.field(description="Who is working on this customer right now (a running timer).")
    async def working_now(self, info: Info) -> list[Worker]:
        rows = await _running(info).load(self.customer_id)
        return await kit.workers(info, [r["worker_id"] for r in rows])

    @strawberry.field(description="Running timers: the tab's badge.")
    async def running_count(self, info: Info) -> int:
        return len(await _running(info).load(self.customer_id))


async def customer_working_time(root: Customer, info: Info) -> CustomerWorkingTime:
    access.require(info.context.principal, VIEW)
    return CustomerWorkingTime(customer_id=root.pk)


@strawberry.type(description="Time summed over a period of the business's calendar days.")
class TimeTotals:
    start_date: date
    end_date: date
    period: strawberry.Private[q.Period]

    async def _sums(self, info: Info, group: str) -> dict:
        async with info.context.read() as conn:
            return await q.period_sums(conn, info.context.principal, self.period, group)

    @strawberry.field(description="All of it.")
    async def total(self, info: Info) -> TimeSum:
        found = (await self._sums(info, "all")).get(None, q.Sum())
        return TimeSum(**TimeSum.values(found))

    @strawberry.field(description="Per day with time, earliest first.")
    async def by_day(self, info: Info) -> list[DayTimeSum]:
        found = await self._sums(info, "day")
        return [DayTimeSum(date=d, **TimeSum.values(s)) for d, s in sorted(found.items())]

    @strawberry.field(description="Per worker, most time first.")
    async def by_worker(self, info: Info) -> list[WorkerTimeSum]:
        found = sorted((await self._sums(info, "worker")).items(), key=_most)
        return [WorkerTimeSum(worker_id=w, **TimeSum.values(s)) for w, s in found]

    @strawberry.field(description="Per customer, most time first.")
    async def by_customer(self, info: Info) -> list[CustomerTimeSum]:
        found = sorted((await self._sums(info, "customer")).items(), key=_most)
        return [CustomerTimeSum(customer_id=c, **TimeSum.values(s)) for c, s in found]


def _most(item) -> tuple:
    return (-item[1].seconds, item[0] is None, item[0] or 0)


async def time_totals(
    info: Info,
    start_date: date,
    end_date: date,
    worker_id: strawberry.ID | None = None,
    customer_id: strawberry.ID | None = None,
) -> TimeTotals:
    ctx = info.context
    principal = ctx.principal
    access.require(principal, VIEW)
    if not 0 <= (end_date - start_date).days < MAX_DAYS:
        text = f"endDate is on or after startDate, at most {MAX_DAYS} days in all."
        raise InvalidInput.one("endDate", text, "INVALID")
    worker = None if worker_id is None else from_global_id(worker_id, "Worker")
    customer = None if customer_id is None else from_global_id(customer_id, "Customer")
    async with ctx.read() as conn:
        if worker is not None and not await conn.scalar(
            select(WorkerRow.id).where(
                WorkerRow.tenant_id == principal.tenant_id, WorkerRow.id == worker
            )
        ):
            raise NotFound("Worker")
        if customer is not None and not await conn.scalar(
            select(CustomerRow.id).where(
                access.visible_customers(principal), CustomerRow.id == customer
            )
        ):
            raise NotFound("Customer")
    period = q.Period(start_date, end_date, worker, customer)
    return TimeTotals(start_date=start_date, end_date=end_date, period=period)


@strawberry.type(description="Your own clock: clocked in (at work) or out.")
class MyClock:
    at_work: bool
    since: datetime | None = strawberry.field(description="Clocked in at; null: not at work.")
    today_seconds: int = strawberry.field(
        description="Seconds at work today (the business's time zone), the open session "
        "counted until now."
    )

    @strawberry.field(description="Your running timer; null: none.")
    async def timer(self, info: Info) -> TimeEntry | None:
        loader = kit.loader(info, "working_time.timer_of", q.running_of)
        row = await loader.load(info.context.principal.worker_id)
        return TimeEntry.from_row(row) if row else None


async def my_clock(info: Info) -> MyClock:
    async with info.context.read() as conn:
        return MyClock(**await q.clock(conn, info.context.principal))


# --- mutations -------------------------------------------------------------------------------

TimeEntryPayload = payload(TimeEntry, "time_entry")


@strawberry.type(description="Your clock after the change, or why nothing changed.")
class ClockPayload:
    clock: MyClock | None
    user_errors: list[UserError]


@strawberry.input(description="Start your timer on a customer; one timer runs per worker.")
class StartTimerInput:
    customer_id: strawberry.ID
    note: str | None = None
    billable: bool = True
    hourly_rate: MoneyInput | None = strawberry.field(
        default=None, description="Minor units per hour, 0 or more."
    )


@strawberry.input(description="Stop your running timer.")
class StopTimerInput:
    ended_at: datetime | None = strawberry.field(
        default=None, description="When you stopped; default now (a forgotten timer)."
    )
    note: str | None = strawberry.field(default=UNSET, description="Replaces the note.")


@strawberry.input(
    description="Time already spent: `startedAt` with `endedAt` or `durationSeconds`, or only "
    "`durationSeconds` (ending now). At most 24 hours, not in the future."
)
class LogTimeInput:
    customer_id: strawberry.ID
    worker_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Default: you. Someone else's time takes `working_time.manage`.",
    )
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: int | None = None
    note: str | None = None
    billable: bool = True
    hourly_rate: MoneyInput | None = strawberry.field(
        default=None, description="Minor units per hour, 0 or more."
    )


@strawberry.input(
    description="Only the members sent change. A new `startedAt` keeps the end (the "
    "duration follows) unless `endedAt` or `durationSeconds` is sent; null clears "
    "`note` and `hourlyRate`."
)
class UpdateTimeEntryInput:
    id: strawberry.ID
    started_at: datetime | None = UNSET
    ended_at: datetime | None = UNSET
    duration_seconds: int | None = UNSET
    note: str | None = UNSET
    billable: bool | None = UNSET
    hourly_rate: MoneyInput | None = UNSET


@strawberry.input(description="Deleting a running timer discards it.")
class DeleteTimeEntryInput:
    id: strawberry.ID


def _given(input, *names: str) -> dict:
    found = {n: getattr(input, n) for n in names if getattr(input, n) is not UNSET}
    if "hourly_rate" in found:
        rate = found.pop("hourly_rate")
        found["rate"] = None if rate is None else (rate.amount, rate.currency)
    return found


DETAILS = ("note", "billable", "hourly_rate")
SPAN = ("started_at", "ended_at", "duration_seconds")


async def start_timer(info: Info, input: StartTimerInput) -> TimeEntryPayload:
    data = {"customer_id": from_global_id(input.customer_id, "Customer"), **_given(input, *DETAILS)}

    def work(session, principal):
        return service.start_timer(session, principal, data)

    return await kit.save(info, TimeEntryPayload, "time_entry", TimeEntry, work, "customerId")


async def stop_timer(info: Info, input: StopTimerInput | None = None) -> TimeEntryPayload:
    data = _given(input or StopTimerInput(), "ended_at", "note")

    def work(session, principal):
        return service.stop_timer(session, principal, data)

    return await kit.save(info, TimeEntryPayload, "time_entry", TimeEntry, work)


async def log_time(info: Info, input: LogTimeInput) -> TimeEntryPayload:
    data = {
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "worker_id": None if input.worker_id is None else from_global_id(input.worker_id, "Worker"),
        **_given(input, *SPAN, *DETAILS),
    }

    def work(session, principal):
        return service.log_time(session, principal, data)

    return await kit.save(info, TimeEntryPayload, "time_entry", TimeEntry, work, "customerId")


async def update_time_entry(info: Info, input: UpdateTimeEntryInput) -> TimeEntryPayload:
    entry_id, changes = from_global_id(input.id, "TimeEntry"), _given(input, *SPAN, *DETAILS)

    def work(session, principal):
        return service.update_entry(session, principal, entry_id, changes)

    return await kit.save(info, TimeEntryPayload, "time_entry", TimeEntry, work)


async def delete_time_entry(info: Info, input: DeleteTimeEntryInput) -> DeletePayload:
    entry_id = from_global_id(input.id, "TimeEntry")
    return await deleted(info, input.id, lambda s, p: service.delete_entry(s, p, entry_id))


async def _clock(info: Info, work) -> ClockPayload:
    done, errors = await mutate(info, work)
    return ClockPayload(clock=await my_clock(info) if done else None, user_errors=errors)


async def clock_in(info: Info) -> ClockPayload:
    return await _clock(info, service.clock_in)


async def clock_out(info: Info) -> ClockPayload:
    return await _clock(info, service.clock_out)


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_working_time,
        name="workingTime",
        description="Working time module: time spent on the customer, and who works on it now.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=time_totals,
        name="timeTotals",
        description="Time summed over the business's days startDate to endDate (at most 366), "
        "on the customers you see; optionally of one worker or customer.",
    ),
    strawberry.field(resolver=my_clock, name="myClock", description="Your own clock."),
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=start_timer, description="Start your timer on a customer."),
    strawberry.mutation(resolver=stop_timer, description="Stop your running timer."),
    strawberry.mutation(resolver=log_time, description="Log time spent on a customer."),
    strawberry.mutation(resolver=update_time_entry, description="Change a time entry."),
    strawberry.mutation(resolver=delete_time_entry, description="Delete a time entry."),
    strawberry.mutation(resolver=clock_in, description='Clock in: "Start work".'),
    strawberry.mutation(resolver=clock_out, description="Clock out."),
]
