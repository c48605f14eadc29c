"""The `Segment` type. Its count and its customers are the customer list's own count and
page with the segment as the filter, so visibility, sub-customer hiding, order and cursors
are exactly the list's."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Private
from strawberry.scalars import JSON

from core import customer_queries as q
from core import filters
from core import segments as svc
from core.customer_counts import Count
from core.pagination import PageRequest
from core.segment_models import Segment as SegmentRow
from schema.context import Info
from schema.customers.inputs import CustomerOrder
from schema.customers.types import Customer, customer_page
from schema.customers.where import decode_id
from schema.ids import to_global_id
from schema.relay import Connection, Node, OrderDirection, _once
from schema.team.types import Worker


@strawberry.enum(description="How a segment holds its customers.")
class SegmentKind(Enum):
    STATIC = strawberry.enum_value(
        "STATIC", description="Members added and removed by hand or by bulk action."
    )
    DYNAMIC = strawberry.enum_value(
        "DYNAMIC", description="A saved filter: whoever matches it when it is read."
    )


def segment_where(segment_id: int) -> dict:
    return svc.where_of(segment_id, lambda pk: to_global_id("Segment", pk))


@strawberry.type(
    description="A saved group of customers, usable as a filter (`customers(where: {field: "
    '"segment", op: IN, values: [id]})`) and as the target of a bulk action.'
)
class Segment(Node):
    name: str
    description: str | None
    kind: SegmentKind
    created_at: datetime
    updated_at: datetime
    saved_filter: Private[dict | None]
    created_by_id: Private[int | None]
    memo: Private[dict]

    @classmethod
    def from_row(cls, row) -> "Segment":
        return cls(
            pk=row["id"],
            name=row["name"],
            description=row["description"],
            kind=SegmentKind(row["kind"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            saved_filter=row["filter"],
            created_by_id=row["created_by"],
            memo={},
        )

    @strawberry.field(
        description="A dynamic segment's saved filter (the `CustomerWhere` tree as JSON); "
        "null for a static one."
    )
    def where(self) -> JSON | None:
        return self.saved_filter if self.kind == SegmentKind.DYNAMIC else None

    @strawberry.field(description="Who created it; null once that worker is gone.")
    async def created_by(self, info: Info) -> Worker | None:
        if self.created_by_id is None:
            return None
        row = await info.context.loaders.worker.load(self.created_by_id)
        return Worker.from_row(row) if row else None

    def _counted(self, info: Info):
        if "count" not in self.memo:
            self.memo["count"] = _once(lambda: self._count(info))
        return self.memo["count"]

    async def _count(self, info: Info) -> Count:
        ctx = info.context
        settings = ctx.settings
        async with ctx.read() as conn:
            prepared = await filters.prepare(
                conn, ctx.principal, ctx.plugins, segment_where(self.pk), None, decode_id
            )
            return await q.count_customers(
                conn, ctx.principal, None, settings.count_cap, settings.search_candidates, prepared
            )

    @strawberry.field(
        description="How many customers you can see are in it (a dynamic one: how many match "
        "its filter now). Counted like `customers.totalCount`: see `countIsExact`. A dynamic "
        "filter that no longer holds (a field deleted since) is a BAD_USER_INPUT error."
    )
    async def count(self, info: Info) -> int:
        return (await self._counted(info)()).value

    @strawberry.field(description="False: `count` stopped at the cap and is a lower bound.")
    async def count_is_exact(self, info: Info) -> bool:
        return (await self._counted(info)()).exact

    @strawberry.field(
        description="Its customers you can see: the customer list with this segment as the "
        "filter (same order, cursors and page sizes)."
    )
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: CustomerOrder | None = None,
    ) -> Connection[Customer]:
        order = order_by or CustomerOrder()
        return await customer_page(
            info,
            None,
            PageRequest(first, after, last, before),
            order.field.value,
            order.direction == OrderDirection.DESC,
            segment_where(self.pk),
            order.key,
        )


async def load_segment(info: Info, pk: int) -> dict | None:
    return await segment_loader(info).load(pk)


def segment_loader(info: Info):
    async def batch(conn, principal, keys):
        rows = await q.rows_by_ids(conn, SegmentRow, principal.tenant_id, keys)
        return [rows.get(k) for k in keys]

    return info.context.loaders.custom("segment", batch)


async def customer_segments(info: Info, customer_id: int) -> list[Segment]:
    """`Customer.segments` through one request loader: a page's customers share its
    statements (`core.segments.segments_of`)."""
    ctx = info.context

    async def batch(conn, principal, keys):
        found = await svc.segments_of(
            conn, principal, ctx.plugins, decode_id, keys, ctx.settings.segments_dynamic_max
        )
        return [found[k] for k in keys]

    rows = await ctx.loaders.custom("segments_of", batch).load(customer_id)
    return [Segment.from_row(r) for r in rows]
