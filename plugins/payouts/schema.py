"""The `payouts` field on Customer, the payouts across customers (the approval queue), and
the payout mutations."""

from dataclasses import dataclass

import strawberry
from sqlalchemy import union

from core import access, keyset, multiread
from plugins.payouts import queries as q
from plugins.payouts import service
from plugins.payouts.models import WAITING
from plugins.payouts.types import (
    CustomerPayouts,
    Payout,
    PayoutKind,
    PayoutMethod,
    PayoutStatus,
    count_loader,
    page_loader,
    summary_loader,
)
from schema import kit, overview
from schema.compiled.customers import ModuleField
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.money import MoneyInput
from schema.payloads import as_row, mutate, payload
from schema.relay import Connection

EVERY = q.PayoutFilter()


@dataclass(frozen=True)
class Overview:
    """What the selection under `payouts` reads: the summary (pendingCount, totalSent),
    first pages of `all` without a status filter (their sizes), and its count."""

    summary: bool = False
    pages: frozenset = frozenset()
    count: bool = False
    workers: frozenset = frozenset()


def _overview(fields) -> Overview | None:
    summary, count, pages, workers = False, False, set(), set()
    for field in fields:
        if field.name in ("pendingCount", "totalSent"):
            summary = True
        elif field.name == "all" and field.arguments.get("status") is None:
            page = overview.first_page(field)
            if page is None:
                continue
            pages.add(page.first)
            count |= overview.selects(field, "totalCount")
            for name, column in (("createdBy", "created_by_id"), ("approvedBy", "approved_by_id")):
                if overview.selects(field, name):
                    workers.add(column)
    if not (summary or pages):
        return None
    return Overview(summary, frozenset(pages), count, frozenset(workers))


async def _read(conn, ctx, customer_ids: list[int], want: Overview) -> None:
    """All of `want` for these customers in one statement, into the loaders' caches."""
    principal, loaders = ctx.principal, ctx.loaders
    parts = {}
    if want.summary:
        parts["summary"] = q.summary_query(principal, customer_ids)
    if want.count:
        parts["count"] = q.counts_query(principal, customer_ids, EVERY)
    pages = {}
    for first in want.pages:
        pages[first] = page_loader(loaders, EVERY, first, None)
        parts["page", first] = q.pages_query(principal, customer_ids, EVERY, pages[first][1])
    if want.workers:  # those of all the customers' payouts: a few more than the pages show
        ids = union(*(q.worker_ids(principal, customer_ids, column) for column in want.workers))
        parts["workers"] = overview.workers_among(principal.tenant_id, ids)
    found = dict(zip(parts, await multiread.read(conn, list(parts.values())), strict=True))
    if want.summary:
        loader = summary_loader(loaders)
        for customer_id, summary in zip(
            customer_ids, q.summaries_of(found["summary"], customer_ids), strict=True
        ):
            loader.prime(customer_id, summary)
    if want.count:
        counts = overview.by_customer(found["count"])
        for customer_id in customer_ids:
            count_loader(loaders, EVERY).prime(customer_id, counts.get(customer_id, 0))
    for first, (loader, page) in pages.items():
        made = keyset.pages_of(found["page", first], "customer_id", customer_ids, q.NEWEST, page)
        for customer_id, made_page in zip(customer_ids, made, strict=True):
            loader.prime(customer_id, made_page)
    overview.prime_workers(ctx, found.get("workers", []))


async def customer_payouts(root: Customer, info: Info) -> CustomerPayouts:
    access.require(info.context.principal, "payouts.view")
    want = overview.plan(info, "payouts", _overview)
    if want is not None:
        await overview.read_once(info, "payouts", root.pk, want, _read)
    return CustomerPayouts(customer_id=root.pk)


COMPILED = {
    "pendingCount": ("pending", "int", "0"),
    "totalSent": ("total_sent", "json[]", "currency"),
}


def _pending(principal, customer_ids):
    return q.waiting_counts(principal.tenant_id, customer_ids)


def compiled_payouts(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`payouts { pendingCount totalSent }` in the compiled path (`schema/compiled`), per
    page: the badge's select alone, else the resolvers' `summary_query` grouped by customer
    (`totalSent` as a JSON list of Money)."""
    if not access.can(principal, "payouts.view") or not set(names) <= COMPILED.keys():
        return None
    if set(names) == {"pendingCount"}:
        return ModuleField(_pending, COMPILED)
    return ModuleField(q.compiled_summaries, COMPILED)


async def payout_queue(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    status: list[PayoutStatus] | None = None,
) -> Connection[Payout]:
    principal = info.context.principal
    access.require(principal, "payouts.view")
    statuses = WAITING if status is None else tuple(sorted({s.value for s in status}))
    query = keyset.visible(q.T, principal, *q.PayoutFilter(statuses).conditions())
    return await kit.tenant_list(info, query, q.NEWEST, first, after, Payout.from_row)


# --- mutations -------------------------------------------------------------------------------

PayoutPayload = payload(Payout, "payout")


@strawberry.input(description="A payout to a customer; it starts PENDING.")
class CreatePayoutInput:
    customer_id: strawberry.ID
    amount: MoneyInput = strawberry.field(description="Positive, in minor units.")
    kind: PayoutKind
    method: PayoutMethod
    idempotency_key: str = strawberry.field(
        description="Unique per payout (e.g. a UUID made when the form opens). Sent again "
        "with the same data it creates nothing and answers the first payout; with other data "
        "it is refused (IDEMPOTENCY_KEY_REUSED)."
    )
    reference: str | None = strawberry.field(default=None, description="At most 200 characters.")
    note: str | None = strawberry.field(default=None, description="At most 2,000 characters.")


EXPECTED = strawberry.field(
    default=None,
    description="The status you saw: if the payout moved since, nothing changes "
    "(PAYOUT_CHANGED). Of concurrent decisions made from the same status, one wins.",
)


@strawberry.input(
    description="PENDING -> APPROVED; needs `payouts.approve` (owner, admin) and another "
    "worker than the one who created it (SELF_APPROVAL)."
)
class ApprovePayoutInput:
    id: strawberry.ID
    expected_status: PayoutStatus | None = EXPECTED


@strawberry.input(description="APPROVED -> SENT; needs `payouts.approve`.")
class MarkPayoutSentInput:
    id: strawberry.ID
    reference: str | None = strawberry.field(
        default=None, description="The transfer's reference; left out, the payout's stays."
    )
    expected_status: PayoutStatus | None = EXPECTED


@strawberry.input(description="APPROVED or SENT -> FAILED (final); needs `payouts.approve`.")
class MarkPayoutFailedInput:
    id: strawberry.ID
    reason: str | None = None
    expected_status: PayoutStatus | None = EXPECTED


@strawberry.input(description="PENDING or APPROVED -> CANCELLED (final); needs `payouts.manage`.")
class CancelPayoutInput:
    id: strawberry.ID
    reason: str | None = None
    expected_status: PayoutStatus | None = EXPECTED


def _payload(result, errors) -> PayoutPayload:
    return PayoutPayload(
        payout=Payout.from_row(as_row(result)) if result else None, user_errors=errors
    )


async def create_payout(info: Info, input: CreatePayoutInput) -> PayoutPayload:
    data = {
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "amount": input.amount,
        "kind": input.kind.value,
        "method": input.method.value,
        "reference": input.reference,
        "note": input.note,
        "idempotency_key": input.idempotency_key,
    }
    work = lambda s, p: service.create_payout(s, p, data)  # noqa: E731
    return _payload(*await mutate(info, work, "customerId"))


async def _move(info: Info, input, action: str, **extra) -> PayoutPayload:
    payout_id = from_global_id(input.id, "Payout")
    expected = input.expected_status.value if input.expected_status else None

    def work(session, principal):
        return service.move(session, principal, payout_id, action, expected, **extra)

    return _payload(*await mutate(info, work))


async def approve_payout(info: Info, input: ApprovePayoutInput) -> PayoutPayload:
    return await _move(info, input, "approve")


async def mark_payout_sent(info: Info, input: MarkPayoutSentInput) -> PayoutPayload:
    return await _move(info, input, "send", reference=input.reference)


async def mark_payout_failed(info: Info, input: MarkPayoutFailedInput) -> PayoutPayload:
    return await _move(info, input, "fail", reason=input.reason)


async def cancel_payout(info: Info, input: CancelPayoutInput) -> PayoutPayload:
    return await _move(info, input, "cancel", reason=input.reason)


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_payouts,
        name="payouts",
        description="Payouts module: money paid to the customer (refunds, commissions, rebates).",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=payout_queue,
        name="payouts",
        description="Payouts of every customer you see, newest first. Without `status`: "
        "the ones waiting (PENDING and APPROVED), the approval queue.",
    )
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=create_payout, description="Ask for a payout to a customer."),
    strawberry.mutation(resolver=approve_payout, description="Approve a pending payout."),
    strawberry.mutation(
        resolver=mark_payout_sent,
        description="Record that an approved payout was paid out; with payments on, the "
        "customer's balance rises by its amount.",
    ),
    strawberry.mutation(
        resolver=mark_payout_failed,
        description="Record that an approved or sent payout failed; a sent one's amount "
        "leaves the customer's balance again.",
    ),
    strawberry.mutation(resolver=cancel_payout, description="Cancel a pending or approved payout."),
]
