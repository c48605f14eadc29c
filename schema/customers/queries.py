"""The customer list and single-customer lookups."""

from dataclasses import dataclass
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from core.errors import NotFound
from core.export import export_customer
from core.pagination import PageRequest
from schema.context import Info
from schema.customers.inputs import (
    ArchivedCustomers,
    CustomerFilter,
    CustomerOrder,
    with_archived,
)
from schema.customers.profile import load_customer
from schema.customers.types import Customer, customer_page
from schema.customers.where import CustomerFilterField, CustomerWhere, customer_filter_fields
from schema.ids import from_global_id
from schema.relay import Connection, OrderDirection


@dataclass(frozen=True)
class ListArguments:
    """`customers`' arguments as the core reads them: the one translation both execution
    paths (the resolver below, `schema/compiled`) go through."""

    filter: object
    page: PageRequest
    order: str
    descending: bool
    where: dict | None
    sort_key: str | None

    @classmethod
    def of(cls, first, after, last, before, filter, order_by, where, archived) -> "ListArguments":
        order = order_by or CustomerOrder()
        return cls(
            with_archived(filter.to_core() if filter else None, archived),
            PageRequest(first, after, last, before),
            order.field.value,
            order.direction == OrderDirection.DESC,
            where.to_dict() if where else None,
            order.key,
        )

    def for_page(self) -> tuple:
        return self.filter, self.page, self.order, self.descending, self.where, self.sort_key


@strawberry.type
class CustomerQueries:
    @strawberry.field(
        description="The customer list: filtered, ordered, in pages of at most 100 "
        "(default 20). Page forward with `first`/`after`, backward with `last`/`before`."
    )
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: CustomerFilter | None = None,
        order_by: CustomerOrder | None = None,
        where: Annotated[
            CustomerWhere | None,
            strawberry.argument(
                description="The filter language: AND/OR/NOT over any field "
                "(`customerFilterFields`). Given with `filter`, both must hold."
            ),
        ] = None,
        archived: Annotated[
            ArchivedCustomers | None,
            strawberry.argument(
                description="Archived customers: left out (EXCLUDE, the default), listed too "
                "(INCLUDE) or alone (ONLY). Without it, a `where` naming `archived` or "
                "`archivedAt` decides by itself."
            ),
        ] = None,
    ) -> Connection[Customer]:
        args = ListArguments.of(first, after, last, before, filter, order_by, where, archived)
        return await customer_page(info, *args.for_page())

    @strawberry.field(
        description="The fields `customers(where:)` and `orderBy.key` take for this tenant and "
        "worker: standard fields, links, custom fields, the timeline and the enabled "
        "modules' summaries, with their operators."
    )
    async def customer_filter_fields(self, info: Info) -> list[CustomerFilterField]:
        return await customer_filter_fields(info)

    @strawberry.field(
        description="Everything held about one customer, core and every module, as JSON (for "
        "data requests); null when unknown or not visible to you."
    )
    async def customer_export(self, info: Info, id: strawberry.ID) -> JSON | None:
        ctx = info.context
        try:
            async with ctx.read() as conn:
                return await export_customer(
                    conn, ctx.principal, ctx.plugins, from_global_id(id, "Customer")
                )
        except NotFound:
            return None

    @strawberry.field(description="One customer; null when unknown or not visible to you.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        row = await load_customer(info, from_global_id(id, "Customer"))
        return Customer.from_row(row) if row else None
