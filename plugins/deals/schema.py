"""The `deals` field on Customer, the stages and the pipeline across customers, and the
deal and stage mutations."""

from dataclasses import dataclass
from datetime import date

import strawberry
from strawberry import UNSET

from core import access, keyset, multiread
from core.errors import InvalidInput, NotFound
from plugins.deals import queries as q
from plugins.deals import service
from plugins.deals.types import (
    CustomerDeals,
    Deal,
    DealPipeline,
    DealStage,
    DealStageKind,
    PipelineStage,
    all_stages,
    count_loader,
    money,
    page_loader,
    statuses_of,
    summary_loader,
)
from schema import kit, overview
from schema.compiled.customers import ModuleField, per_customer
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.money import MoneyInput
from schema.payloads import DeletePayload, deleted, payload, reordered

VIEW = "deals.view"


SUMS = ("openCount", "openValue", "wonValue", "weightedValue")


@dataclass(frozen=True)
class Overview:
    """What the selection under `deals` reads: the figures, first pages of `all`
    (`(statuses, size)`), their counts (statuses), the stages and workers of their deals."""

    summary: bool = False
    pages: frozenset = frozenset()
    counts: frozenset = frozenset()
    stages: bool = False
    workers: bool = False


def _overview(fields) -> Overview | None:
    summary, pages, counts, stages, workers = False, set(), set(), False, False
    for field in fields:
        if field.name in SUMS:
            summary = True
        elif field.name == "all":
            page = overview.first_page(field)
            if page is None:
                continue
            statuses = statuses_of(overview.argument(field, "status"))
            pages.add((statuses, page.size))
            if overview.selects(field, "totalCount"):
                counts.add(statuses)
            stages |= overview.selects(field, "stage")
            workers |= overview.selects(field, "owner") or overview.selects(field, "createdBy")
    if not (summary or pages):
        return None
    return Overview(summary, frozenset(pages), frozenset(counts), stages, workers)


def _shown(pages) -> tuple:
    """The conditions covering every listed status (all deals if a list keeps all)."""
    kept = [statuses for statuses, _ in pages]
    if None in kept:
        return ()
    return q.status_conditions(tuple(sorted({s for statuses in kept for s in statuses})))


async def _read(conn, ctx, customer_ids: list[int], want: Overview) -> None:
    """All of `want` for these customers in one statement, into the loaders' caches."""
    principal, loaders = ctx.principal, ctx.loaders
    tenant_id = principal.tenant_id
    parts = {}
    if want.summary:
        parts["summary"] = q.summaries_query(principal, customer_ids)
    pages = {}
    for statuses, size in want.pages:
        pages[statuses, size] = page_loader(loaders, statuses, size, None)
        where = [q.T.c.tenant_id == tenant_id, *q.status_conditions(statuses)]
        page = pages[statuses, size][1]
        parts["page", statuses, size] = keyset.grouped_pages_query(
            q.T, "customer_id", customer_ids, where, q.NEWEST, page
        )
    for statuses in want.counts:
        conditions = q.status_conditions(statuses)
        parts["count", statuses] = keyset.counts_query(
            q.T, "customer_id", tenant_id, customer_ids, *conditions
        )
    if want.stages:
        parts["stages"] = q.stages_query(tenant_id)
    if want.workers:  # those of all the lists' deals: a few more than the pages show
        ids = q.worker_ids(tenant_id, customer_ids, _shown(want.pages))
        parts["workers"] = overview.workers_among(tenant_id, ids)
    found = dict(zip(parts, await multiread.read(conn, list(parts.values())), strict=True))
    if want.summary:
        rows = [tuple(row.values()) for row in found["summary"]]
        for customer_id, sums in zip(customer_ids, q.summaries_of(rows, customer_ids), strict=True):
            summary_loader(loaders).prime(customer_id, sums)
    for (statuses, size), (pages_loader, page) in pages.items():
        rows = found["page", statuses, size]
        made = keyset.pages_of(rows, "customer_id", customer_ids, q.NEWEST, page)
        for customer_id, made_page in zip(customer_ids, made, strict=True):
            pages_loader.prime(customer_id, made_page)
    for statuses in want.counts:
        numbers = overview.by_customer(found["count", statuses])
        for customer_id in customer_ids:
            count_loader(loaders, statuses).prime(customer_id, numbers.get(customer_id, 0))
    if want.stages:
        loaders.custom("deals.stages", q.stages).prime(tenant_id, found["stages"])
    overview.prime_workers(ctx, found.get("workers", []))


async def customer_deals(root: Customer, info: Info) -> CustomerDeals:
    access.require(info.context.principal, VIEW)
    want = overview.plan(info, "deals", _overview)
    if want is not None:
        await overview.read_once(info, "deals", root.pk, want, _read)
    return CustomerDeals(customer_id=root.pk)


# The compiled path's columns (lower case: PostgreSQL folds the unquoted names it reads).
COMPILED = {
    "openCount": ("open_count", "int", "0"),
    "openValue": ("open_value", "json[]", "currency"),
    "wonValue": ("won_value", "json[]", "currency"),
    "weightedValue": ("weighted_value", "json[]", "currency"),
}


def compiled_deals(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`deals { openCount openValue wonValue weightedValue }` in the compiled path
    (`schema/compiled`), per page: the badge's count alone, else the header's sums (the
    resolvers' `summaries_query`) grouped once more by customer. `all` is not covered."""
    if not access.can(principal, VIEW) or not set(names) <= COMPILED.keys():
        return None
    if set(names) == {"openCount"}:
        return ModuleField(
            lambda p, ids: per_customer({"open_count": q.open_counts(p.tenant_id, ids)}),
            COMPILED,
        )
    return ModuleField(q.compiled_summaries, COMPILED)


async def deal_stages(info: Info) -> list[DealStage]:
    access.require(info.context.principal, VIEW)
    return await all_stages(info)


async def deal_pipeline(
    info: Info, owner_id: strawberry.ID | None = None, currency: str | None = None
) -> DealPipeline:
    principal = info.context.principal
    access.require(principal, VIEW)
    owner = None if owner_id is None else from_global_id(owner_id, "Worker")
    if owner is not None and await info.context.loaders.worker.load(owner) is None:
        raise NotFound("Worker")
    code = None if currency is None else currency.strip().upper()
    if code is not None and not service.CURRENCY_RE.match(code):
        raise InvalidInput.one(("currency",), "Use an ISO-4217 code like EUR.", "INVALID")
    async with info.context.read() as conn:
        rows = await q.pipeline(conn, principal, owner, code)
    stages = [
        PipelineStage(
            stage=DealStage.from_row(row["stage"]),
            count=row["count"],
            value=money(row["value"]),
            weighted_value=money(row["weighted"]),
        )
        for row in rows
    ]
    return DealPipeline(stages=stages, count=sum(s.count for s in stages))


# --- stage mutations -------------------------------------------------------------------------

DealStagePayload = payload(DealStage, "stage")
DealStagesPayload = payload(DealStage, "stages", "DealStagesPayload")


@strawberry.input(description="A new pipeline stage (needs `deals.configure`).")
class CreateDealStageInput:
    name: str = strawberry.field(description="Required, unique in the pipeline, at most 100.")
    kind: DealStageKind = DealStageKind.OPEN
    probability: int | None = strawberry.field(
        default=None, description="0 to 100 %; default 50 (WON 100, LOST 0)."
    )
    position: int | None = strawberry.field(
        default=None, description="0-based place; default last."
    )


@strawberry.input(description="Only the members sent change (needs `deals.configure`).")
class UpdateDealStageInput:
    id: strawberry.ID
    name: str | None = UNSET
    probability: int | None = UNSET


@strawberry.input(description="Every stage of the pipeline, once each, in the new order.")
class ReorderDealStagesInput:
    stage_ids: list[strawberry.ID]


@strawberry.input(description="Only a stage without deals, and not the last of its kind.")
class DeleteDealStageInput:
    id: strawberry.ID


def _stage_id(value) -> int:
    return from_global_id(value, "DealStage")


async def create_deal_stage(info: Info, input: CreateDealStageInput) -> DealStagePayload:
    data = {"name": input.name, "kind": input.kind.value, "position": input.position}
    if input.probability is not None:
        data["probability"] = input.probability

    def work(session, principal):
        return service.create_stage(session, principal, data)

    return await kit.save(info, DealStagePayload, "stage", DealStage, work)


async def update_deal_stage(info: Info, input: UpdateDealStageInput) -> DealStagePayload:
    stage_id = _stage_id(input.id)
    changes = {
        k: getattr(input, k) for k in ("name", "probability") if getattr(input, k) is not UNSET
    }

    def work(session, principal):
        return service.update_stage(session, principal, stage_id, changes)

    return await kit.save(info, DealStagePayload, "stage", DealStage, work)


async def reorder_deal_stages(info: Info, input: ReorderDealStagesInput) -> DealStagesPayload:
    ids = [_stage_id(i) for i in input.stage_ids]
    work = lambda s, p: service.reorder_stages(s, p, ids)  # noqa: E731
    return await reordered(info, DealStagesPayload, DealStage, work, "stageIds")


async def delete_deal_stage(info: Info, input: DeleteDealStageInput) -> DeletePayload:
    stage_id = _stage_id(input.id)
    return await deleted(info, input.id, lambda s, p: service.delete_stage(s, p, stage_id))


# --- deal mutations --------------------------------------------------------------------------

DealPayload = payload(Deal, "deal")


@strawberry.input(
    description="A new deal on a customer. Retried with the same key and input, "
    "it answers the first deal again instead of opening a second."
)
class CreateDealInput:
    customer_id: strawberry.ID
    name: str = strawberry.field(description="Required, at most 200 characters.")
    value: MoneyInput = strawberry.field(description="0 or more, in minor units.")
    idempotency_key: str = strawberry.field(description="Unique per deal; at most 200.")
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: the first OPEN stage."
    )
    expected_close_date: date | None = None
    owner_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="A worker of the business; default you; null: nobody."
    )
    lost_reason: str | None = strawberry.field(
        default=None, description="Required when the stage is a LOST one."
    )


@strawberry.input(
    description="Only the members sent change; null clears expectedCloseDate and ownerId. "
    "The stage changes with `moveDeal`."
)
class UpdateDealInput:
    id: strawberry.ID
    version: int | None = strawberry.field(
        default=None, description="If given, refused (VERSION_CONFLICT) unless the deal's."
    )
    name: str | None = UNSET
    value: MoneyInput | None = UNSET
    expected_close_date: date | None = UNSET
    owner_id: strawberry.ID | None = UNSET
    lost_reason: str | None = strawberry.field(
        default=UNSET, description="Only for a LOST deal; cannot be cleared."
    )


@strawberry.input(
    description="Move a deal to another stage. `version` is the deal's version the move was "
    "decided on: if someone changed the deal since, the move is refused (VERSION_CONFLICT)."
)
class MoveDealInput:
    id: strawberry.ID
    stage_id: strawberry.ID
    version: int
    lost_reason: str | None = strawberry.field(
        default=None, description="Required when moving to a LOST stage."
    )


@strawberry.input
class DeleteDealInput:
    id: strawberry.ID


def _deal_id(value) -> int:
    return from_global_id(value, "Deal")


def _worker(value) -> int | None:
    return None if value is None else from_global_id(value, "Worker")


def _value(value: MoneyInput | None) -> tuple[int, str] | None:
    return None if value is None else (value.amount, value.currency)


async def create_deal(info: Info, input: CreateDealInput) -> DealPayload:
    data = {
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "name": input.name,
        "value": _value(input.value),
        "idempotency_key": input.idempotency_key,
        "stage_id": None if input.stage_id is None else _stage_id(input.stage_id),
        "expected_close_date": input.expected_close_date,
        "lost_reason": input.lost_reason,
    }
    if input.owner_id is not UNSET:
        data["owner_id"] = _worker(input.owner_id)

    def work(session, principal):
        return service.create_deal(session, principal, data)

    return await kit.save(info, DealPayload, "deal", Deal, work, "customerId")


async def update_deal(info: Info, input: UpdateDealInput) -> DealPayload:
    deal_id, changes = _deal_id(input.id), {"version": input.version}
    for key in ("name", "expected_close_date", "lost_reason"):
        if getattr(input, key) is not UNSET:
            changes[key] = getattr(input, key)
    if input.value is not UNSET:
        changes["value"] = _value(input.value)
    if input.owner_id is not UNSET:
        changes["owner_id"] = _worker(input.owner_id)

    def work(session, principal):
        return service.update_deal(session, principal, deal_id, changes)

    return await kit.save(info, DealPayload, "deal", Deal, work)


async def move_deal(info: Info, input: MoveDealInput) -> DealPayload:
    deal_id, stage_id = _deal_id(input.id), _stage_id(input.stage_id)

    def work(session, principal):
        return service.move_deal(
            session, principal, deal_id, stage_id, input.version, input.lost_reason
        )

    return await kit.save(info, DealPayload, "deal", Deal, work)


async def delete_deal(info: Info, input: DeleteDealInput) -> DeletePayload:
    deal_id = _deal_id(input.id)
    return await deleted(info, input.id, lambda s, p: service.delete_deal(s, p, deal_id))


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_deals,
        name="deals",
        description="Deals module: the customer's deals and their figures.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=deal_stages, name="dealStages", description="The pipeline's stages, in order."
    ),
    strawberry.field(
        resolver=deal_pipeline,
        name="dealPipeline",
        description="The pipeline: every stage in order with the count and sums of the deals "
        "of the customers you see (archived ones aside), optionally of one owner or currency.",
    ),
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=create_deal_stage, description="Add a stage to the pipeline."),
    strawberry.mutation(
        resolver=update_deal_stage, description="Rename a stage or change its probability."
    ),
    strawberry.mutation(resolver=reorder_deal_stages, description="Put the stages in a new order."),
    strawberry.mutation(resolver=delete_deal_stage, description="Remove an empty stage."),
    strawberry.mutation(resolver=create_deal, description="Open a deal with a customer."),
    strawberry.mutation(
        resolver=update_deal, description="Change a deal's name, value, close date or owner."
    ),
    strawberry.mutation(resolver=move_deal, description="Move a deal to another stage."),
    strawberry.mutation(resolver=delete_deal, description="Delete a deal for good."),
]
