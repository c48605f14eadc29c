"""Flows, columns, cards and the board as GraphQL types. A card is the customer itself
(the core `Customer` type, built from the board's own row), so name, avatar, workers,
statuses, phones and emails come with Customer's per-request loaders: one statement per
relation for every card of every column at once."""

from datetime import datetime

import strawberry
from strawberry import Private

from plugins.flow import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import to_global_id
from schema.relay import Connection, Node
from schema.team.types import Worker


async def _columns_batch(conn, principal, flow_ids):
    rows = (await conn.execute(q.columns_query(principal.tenant_id, flow_ids))).mappings()
    found: dict[int, list] = {i: [] for i in flow_ids}
    for row in rows:
        found[row["flow_id"]].append(dict(row))
    return [found[i] for i in flow_ids]


async def _workers_batch(conn, principal, flow_ids):
    rows = await conn.execute(q.workers_query(principal.tenant_id, flow_ids))
    found: dict[int, list] = {i: [] for i in flow_ids}
    for flow_id, worker_id in rows:
        found[flow_id].append(worker_id)
    return [sorted(found[i]) for i in flow_ids]


async def column_rows(info: Info, flow_id: int) -> list[dict]:
    return await kit.loader(info, "flow.columns", _columns_batch).load(flow_id)


async def _column_batch(conn, principal, ids):
    query = q.K.select().where(q.K.c.tenant_id == principal.tenant_id, q.K.c.id.in_(ids))
    found = {r["id"]: dict(r) for r in (await conn.execute(query)).mappings()}
    return [found.get(i) for i in ids]


async def column_rows_by_id(info: Info, pk: int) -> dict | None:
    return await kit.loader(info, "flow.column", _column_batch).load(pk)


def _ids(type_name: str, pks) -> list[strawberry.ID]:
    return [to_global_id(type_name, pk) for pk in pks]


@strawberry.type(description="What a card dropped into the column applies to its customer.")
class FlowDropPatch:
    status_id: strawberry.ID | None = strawberry.field(
        description="Set this status of the customer status list."
    )
    folder_id: strawberry.ID | None = strawberry.field(
        description="Put the customer in this folder (if not yet in it)."
    )
    folder_status_id: strawberry.ID | None = strawberry.field(
        description="…with this status of the folder."
    )
    tag_id: strawberry.ID | None = strawberry.field(description="Add this tag.")

    @classmethod
    def of(cls, patch: dict | None) -> "FlowDropPatch | None":
        if not patch:
            return None

        def ref(key, type_name):
            return None if patch.get(key) is None else to_global_id(type_name, patch[key])

        return cls(
            status_id=ref("statusId", "Status"),
            folder_id=ref("folderId", "Folder"),
            folder_status_id=ref("folderStatusId", "Status"),
            tag_id=ref("tagId", "Tag"),
        )


@strawberry.type(description="A column of a flow's board.")
class FlowColumn(Node):
    name: str
    color: str = strawberry.field(description="#rrggbb.")
    position: int = strawberry.field(description="0-based place on the board.")
    created_at: datetime
    flow_pk: Private[int]
    on_drop_patch: Private[dict]

    @classmethod
    def from_row(cls, row) -> "FlowColumn":
        return cls(
            pk=row["id"],
            name=row["name"],
            color=row["color"],
            position=row["position"],
            created_at=row["created_at"],
            flow_pk=row["flow_id"],
            on_drop_patch=row["on_drop"],
        )

    @strawberry.field(description="Applied to a customer whose card is dropped here.")
    def on_drop(self) -> FlowDropPatch | None:
        return FlowDropPatch.of(self.on_drop_patch)

    @strawberry.field
    def flow_id(self) -> strawberry.ID:
        return to_global_id("Flow", self.flow_pk)


@strawberry.type(
    description="A board of customers: who belongs (any of the folders, tags, statuses and "
    "lead sources given, all kinds given; none given: every customer), its columns and the "
    "workers assigned to work it."
)
class Flow(Node):
    name: str
    lead_sources: list[str]
    created_at: datetime
    updated_at: datetime
    folder_pks: Private[list]
    tag_pks: Private[list]
    status_pks: Private[list]
    default_column_pk: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "Flow":
        return cls(
            pk=row["id"],
            name=row["name"],
            lead_sources=list(row["lead_sources"] or []),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            folder_pks=list(row["folder_ids"] or []),
            tag_pks=list(row["tag_ids"] or []),
            status_pks=list(row["status_ids"] or []),
            default_column_pk=row["default_column_id"],
        )

    @strawberry.field(description="Customers in any of these folders belong.")
    def folder_ids(self) -> list[strawberry.ID]:
        return _ids("Folder", self.folder_pks)

    @strawberry.field(description="Customers with any of these tags belong.")
    def tag_ids(self) -> list[strawberry.ID]:
        return _ids("Tag", self.tag_pks)

    @strawberry.field(description="Customers with any of these statuses belong.")
    def status_ids(self) -> list[strawberry.ID]:
        return _ids("Status", self.status_pks)

    @strawberry.field(description="The columns, in board order.")
    async def columns(self, info: Info) -> list[FlowColumn]:
        return [FlowColumn.from_row(r) for r in await column_rows(info, self.pk)]

    @strawberry.field(description="Where matching customers without a position are.")
    async def default_column(self, info: Info) -> FlowColumn | None:
        rows = await column_rows(info, self.pk)
        pk = q.default_column({"default_column_id": self.default_column_pk}, rows)
        return next((FlowColumn.from_row(r) for r in rows if r["id"] == pk), None)

    @strawberry.field(description="The team members assigned to work the flow.")
    async def workers(self, info: Info) -> list[Worker]:
        ids = await kit.loader(info, "flow.workers", _workers_batch).load(self.pk)
        return await kit.workers(info, ids)


@strawberry.type(description="A customer on a flow's board.")
class FlowCard:
    customer: Customer = strawberry.field(
        description="The customer: name, avatar, workers, status, phones, emails…"
    )
    rank: str = strawberry.field(description="Its order in the column (compared as text).")
    version: int = strawberry.field(
        description="The position's version (0: never moved): send it as `expectedVersion`."
    )
    column_pk: Private[int]

    @strawberry.field
    def column_id(self) -> strawberry.ID:
        return to_global_id("FlowColumn", self.column_pk)

    @classmethod
    def from_row(cls, row) -> "FlowCard":
        return cls(
            customer=Customer.from_row(row),
            rank=row["flow_rank"],
            version=row["position_version"],
            column_pk=row["column_id"],
        )


@strawberry.type(description="One column of a board: its cards and how many there are.")
class FlowBoardColumn:
    column: FlowColumn
    count: int = strawberry.field(description="Cards in the column (search and dates apply).")
    cards: Connection[FlowCard] = strawberry.field(
        description="The first page, by rank; more with `flowCards(after:)`."
    )


@strawberry.type(description="A flow's board as the viewer sees it.")
class FlowBoard:
    flow: Flow
    columns: list[FlowBoardColumn]
    count: int = strawberry.field(description="Cards on the board.")


@strawberry.type(description="A column's card count on a live board.")
class FlowColumnCount:
    column_id: strawberry.ID
    count: int


@strawberry.type(description="A card moved (or removed from view) on a live board.")
class FlowCardMove:
    customer_id: strawberry.ID
    column_id: strawberry.ID | None
    rank: str | None
    version: int
    hidden: bool
    event_id: strawberry.ID


@strawberry.type(
    description="A live board's update: the column counts as the viewer sees them now, and the "
    "moves since the last update of customers the viewer may see."
)
class FlowBoardUpdate:
    flow_id: strawberry.ID
    version: int = strawberry.field(description="The newest event id it reflects.")
    counts: list[FlowColumnCount]
    moves: list[FlowCardMove]
