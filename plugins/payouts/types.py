"""Payouts as GraphQL types. What hangs off a payout (its customer, its workers) loads
through per-request loaders, so a list costs the same per page whatever its length."""

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import Private

from plugins.payouts import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.money import Money
from schema.relay import Connection, Node, connection
from schema.team.types import Worker


@strawberry.enum(
    description="Where a payout stands: PENDING (asked for) -> APPROVED (by a second "
    "person) -> SENT (paid out); FAILED (from APPROVED or SENT: it did not arrive or came "
    "back) and CANCELLED (from PENDING or APPROVED) are final."
)
class PayoutStatus(Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    SENT = "SENT"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="What the money paid to the customer is for.")
class PayoutKind(Enum):
    REFUND = "REFUND"
    COMMISSION = "COMMISSION"
    REBATE = "REBATE"
    OTHER = "OTHER"


@strawberry.enum(description="How the money reaches the customer.")
class PayoutMethod(Enum):
    BANK_TRANSFER = "BANK_TRANSFER"
    CASH = "CASH"
    CHECK = "CHECK"
    CARD = "CARD"
    OTHER = "OTHER"


@strawberry.type(description="Money paid to a customer: a refund payout, commission, rebate.")
class Payout(Node):
    amount: Money = strawberry.field(description="Positive: what the customer receives.")
    kind: PayoutKind
    method: PayoutMethod
    status: PayoutStatus
    reference: str | None = strawberry.field(
        description="Bank or check reference, the transfer's id…"
    )
    note: str | None
    reason: str | None = strawberry.field(description="Why it failed or was cancelled.")
    created_at: datetime
    updated_at: datetime
    approved_at: datetime | None
    sent_at: datetime | None
    failed_at: datetime | None
    cancelled_at: datetime | None
    customer_id: Private[int]
    created_by_id: Private[int | None]
    approved_by_id: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "Payout":
        return kit.from_row(cls, row, amount=Money(amount=row["amount"], currency=row["currency"]))

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)

    @strawberry.field(description="Who asked for it; null once that worker is removed.")
    async def created_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.created_by_id)

    @strawberry.field(description="Who approved it (never its creator).")
    async def approved_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.approved_by_id)


load_payout = kit.node_loader(q.T, Payout)


def page_loader(loaders, f: q.PayoutFilter, first, after):
    """The loader of one kind of page (filter and arguments), and its page request."""
    page = q.NEWEST.request(first, after)

    async def batch(conn, principal, customer_ids):
        return await q.pages(conn, principal, customer_ids, f, page)

    return loaders.custom(f"payouts.page:{f}:{first}:{after}", batch), page


def count_loader(loaders, f: q.PayoutFilter):
    async def batch(conn, principal, customer_ids):
        return await q.counts(conn, principal, customer_ids, f)

    return loaders.custom(f"payouts.count:{f}", batch)


def summary_loader(loaders):
    return loaders.custom("payouts.summary", q.summaries)


@strawberry.type(description="A customer's payouts: what the Payouts tab shows.")
class CustomerPayouts:
    customer_id: Private[int]

    @strawberry.field(description="The customer's payouts, newest first; at most 100 a page.")
    async def all(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[
            list[PayoutStatus] | None,
            strawberry.argument(description="Any of these; an empty list matches nothing."),
        ] = None,
    ) -> Connection[Payout]:
        f = q.PayoutFilter(None if status is None else tuple(sorted({s.value for s in status})))
        loaders = info.context.loaders
        pages, _ = page_loader(loaders, f, first, after)
        found = await pages.load(self.customer_id)

        def count():
            return count_loader(loaders, f).load(self.customer_id)

        return connection(found, [Payout.from_row(r) for r in found.rows], count)

    async def _summary(self, info: Info) -> dict:
        return await summary_loader(info.context.loaders).load(self.customer_id)

    @strawberry.field(description="Payouts waiting: PENDING or APPROVED (the tab's badge).")
    async def pending_count(self, info: Info) -> int:
        return (await self._summary(info))["waiting"]

    @strawberry.field(description="Everything SENT to the customer, per currency.")
    async def total_sent(self, info: Info) -> list[Money]:
        sent = (await self._summary(info))["sent"]
        return [Money(amount=sent[c], currency=c) for c in sorted(sent)]
