"""Merges on the API: `mergePreview`, `customerMerges`, `undoMerge`, and the merge a
`mergeCustomers` payload returns."""

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from core import merge_undo
from core.errors import NotFound
from core.merge_preview import preview
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id, to_global_id
from schema.payloads import UserError, as_row, mutate


@strawberry.type(description="A recorded merge; `undoMerge` puts it back until `undoableUntil`.")
class CustomerMerge:
    pk: strawberry.Private[int]
    source_pk: strawberry.Private[int]
    target_pk: strawberry.Private[int]
    source_name: str = strawberry.field(description="The merged-away customer's name then.")
    merged_at: datetime
    undoable_until: datetime
    undone_at: datetime | None
    rows_moved: int = strawberry.field(
        description="Rows of files, contacts, addresses and modules that moved to the target."
    )

    @strawberry.field(description="Opaque global ID; `undoMerge` takes it.")
    def id(self) -> strawberry.ID:
        return to_global_id("CustomerMerge", self.pk)

    @strawberry.field(description="The merged-away customer (it exists again once undone).")
    def source_id(self) -> strawberry.ID:
        return to_global_id("Customer", self.source_pk)

    @strawberry.field(description="The customer it was merged into.")
    def target_id(self) -> strawberry.ID:
        return to_global_id("Customer", self.target_pk)

    @classmethod
    def from_row(cls, row) -> "CustomerMerge":
        rows = (row["moved"] or {}).get("rows") or {}
        return cls(
            pk=row["id"],
            source_pk=row["source_id"],
            target_pk=row["target_id"],
            source_name=((row["source"] or {}).get("row") or {}).get("name", ""),
            merged_at=row["merged_at"],
            undoable_until=row["undoable_until"],
            undone_at=row["undone_at"],
            rows_moved=sum(len(ids) for ids in rows.values()),
        )


@strawberry.type(description="A field whose value the target would take from the source.")
class MergeFieldChange:
    field: str = strawberry.field(description="The column, e.g. `company`, `emails`.")
    target_value: JSON | None
    merged_value: JSON | None


@strawberry.type(description="A folder, tag or worker the target would gain.")
class MergeLink:
    id: strawberry.ID
    name: str


@strawberry.type(description="Rows of one table that would move to the target.")
class MergeRowCount:
    module: str | None = strawberry.field(description="null: core (files, contacts, addresses).")
    table: str
    count: int


@strawberry.type(description="What merging `source` into `target` would do; nothing written.")
class MergePreview:
    source: Customer
    target: Customer
    fields: list[MergeFieldChange]
    folders_gained: list[MergeLink]
    tags_gained: list[MergeLink]
    workers_gained: list[MergeLink]
    sub_customers: int = strawberry.field(description="Sub-customers moving to the target.")
    rows: list[MergeRowCount] = strawberry.field(
        description="Per table (core's and every installed module's), the rows that move."
    )


@strawberry.input
class UndoMergeInput:
    merge_id: strawberry.ID


@strawberry.type(description="The merge undone: both customers as they are now.")
class UndoMergePayload:
    merge: CustomerMerge | None
    source: Customer | None
    target: Customer | None
    kept_fields: list[str] = strawberry.field(
        description="Target fields changed since the merge: their newer values were kept."
    )
    user_errors: list[UserError]


def _links(type_name: str, refs: list[dict]) -> list[MergeLink]:
    return [MergeLink(id=to_global_id(type_name, r["id"]), name=r["name"]) for r in refs]


@strawberry.type
class MergeQueries:
    @strawberry.field(
        description="What `mergeCustomers` with these ids would do: fields, links, "
        "sub-customers and per table the rows that move. Needs the merge permission."
    )
    async def merge_preview(
        self, info: Info, source_id: strawberry.ID, target_id: strawberry.ID
    ) -> MergePreview:
        ctx = info.context
        async with ctx.read() as conn:
            found = await preview(
                conn,
                ctx.principal,
                ctx.plugins,
                from_global_id(source_id, "Customer"),
                from_global_id(target_id, "Customer"),
            )
        return MergePreview(
            source=Customer.from_row(found.source),
            target=Customer.from_row(found.target),
            fields=[
                MergeFieldChange(field=k, target_value=b, merged_value=a)
                for k, b, a in found.fields
            ],
            folders_gained=_links("Folder", found.gained["folders"]),
            tags_gained=_links("Tag", found.gained["tags"]),
            workers_gained=_links("Worker", found.gained["workers"]),
            sub_customers=found.sub_customers,
            rows=[MergeRowCount(module=m, table=t, count=n) for m, t, n in found.rows],
        )

    @strawberry.field(
        description="Merges into this customer and the one that merged it away, newest "
        "first (at most 100); null when the customer is unknown or not visible to you."
    )
    async def customer_merges(
        self, info: Info, customer_id: strawberry.ID
    ) -> list[CustomerMerge] | None:
        ctx = info.context
        try:
            async with ctx.read() as conn:
                rows = await merge_undo.merges_of(
                    conn, ctx.principal, from_global_id(customer_id, "Customer")
                )
        except NotFound:
            return None
        return [CustomerMerge.from_row(r) for r in rows]


@strawberry.type
class MergeMutations:
    @strawberry.mutation(
        description="Undo a merge within `MERGE_UNDO_DAYS`: the source comes back under its "
        "id with its links, contacts, addresses, sub-customers and module rows; the target "
        "gives back what it gained and its taken fields (unless changed since)."
    )
    async def undo_merge(self, info: Info, input: UndoMergeInput) -> UndoMergePayload:
        merge_id = from_global_id(input.merge_id, "CustomerMerge")
        result, errors = await mutate(
            info, lambda s, p: merge_undo.undo_merge(s, p, merge_id), "mergeId"
        )
        if result is None:
            return UndoMergePayload(
                merge=None, source=None, target=None, kept_fields=[], user_errors=errors
            )
        return UndoMergePayload(
            merge=CustomerMerge.from_row(as_row(result.merge)),
            source=Customer.from_row(as_row(result.source)),
            target=Customer.from_row(as_row(result.target)),
            kept_fields=result.kept,
            user_errors=errors,
        )
