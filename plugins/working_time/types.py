"""Time entries and sums as GraphQL types. What hangs off an entry (worker, customer) loads
through per-request loaders."""

from datetime import date, datetime

import strawberry
from strawberry import Private

from plugins.working_time.queries import Sum, T
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.money import Money
from schema.relay import Node
from schema.team.types import Worker


def money(amount: int | None, currency: str | None) -> Money | None:
    return None if amount is None or currency is None else Money(amount=amount, currency=currency)


@strawberry.type(
    description="Time a worker spent on a customer: logged afterwards, or a timer, running "
    "while `endedAt` is null."
)
class TimeEntry(Node):
    started_at: datetime
    ended_at: datetime | None = strawberry.field(description="Null while the timer runs.")
    work_date: date = strawberry.field(
        description="The business's day it counts for: the day of `startedAt` in the "
        "business's time zone when it was written. Totals group by it."
    )
    duration_seconds: int | None = strawberry.field(description="Null while the timer runs.")
    note: str | None
    billable: bool
    created_at: datetime
    updated_at: datetime
    customer_id: Private[int]
    worker_id: Private[int | None]
    rate_minor: Private[int | None]
    currency: Private[str | None]
    amount_minor: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "TimeEntry":
        return kit.from_row(cls, row)

    @strawberry.field(description="A timer still counting.")
    def running(self) -> bool:
        return self.ended_at is None

    @strawberry.field(description="Minor units per hour; null: no rate.")
    def hourly_rate(self) -> Money | None:
        return money(self.rate_minor, self.currency)

    @strawberry.field(
        description="Duration times the hourly rate, rounded half up to a minor unit; null unless "
        "billable, rated and stopped."
    )
    def amount(self) -> Money | None:
        return money(self.amount_minor, self.currency)

    @strawberry.field(description="Who worked; null once that worker is removed.")
    async def worker(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.worker_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)


load_entry = kit.node_loader(T, TimeEntry)


@strawberry.type(description="Time summed: stopped and logged entries (not running timers).")
class TimeSum:
    entry_count: int
    total_seconds: int
    billable_seconds: int
    billable_amounts: list[Money] = strawberry.field(
        description="The amounts of billable, rated entries, one per currency (by code)."
    )

    @staticmethod
    def values(found: Sum) -> dict:
        amounts = [Money(amount=a, currency=c) for c, a in sorted(found.amounts.items())]
        return {
            "entry_count": found.entries,
            "total_seconds": found.seconds,
            "billable_seconds": found.billable_seconds,
            "billable_amounts": amounts,
        }


@strawberry.type(description="Time of one day of the business's calendar.")
class DayTimeSum(TimeSum):
    date: date


@strawberry.type(description="Time of one worker.")
class WorkerTimeSum(TimeSum):
    worker_id: Private[int | None]

    @strawberry.field(description="Null for time of removed workers.")
    async def worker(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.worker_id)


@strawberry.type(description="Time on one customer.")
class CustomerTimeSum(TimeSum):
    customer_id: Private[int]

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)
