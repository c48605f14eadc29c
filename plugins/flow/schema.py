"""The flow root fields: `flows`, `flowBoard`, `flowCards`, the flow, column and card
mutations, and the `flowBoard` subscription (`live.py`)."""

import strawberry
from strawberry import UNSET

from core import access
from plugins.flow import moves, service
from plugins.flow.board import flow_board, flow_cards, flows
from plugins.flow.live import flow_board_updates
from plugins.flow.queries import VIEW
from plugins.flow.types import Flow, FlowCard, FlowColumn, column_rows_by_id
from schema import kit
from schema.context import Info
from schema.ids import from_global_id, from_global_ids
from schema.payloads import DeletePayload, UserError, deleted, mutate, payload, reordered

FlowPayload = payload(Flow, "flow")
FlowColumnPayload = payload(FlowColumn, "column", None)
FlowColumnsPayload = payload(FlowColumn, "columns", "FlowColumnsPayload")


@strawberry.type(description="The card as written, or why nothing was written.")
class FlowCardPayload:
    card: FlowCard | None
    user_errors: list[UserError]


@strawberry.input(description="What a card dropped into a column applies to its customer.")
class FlowDropPatchInput:
    status_id: strawberry.ID | None = None
    folder_id: strawberry.ID | None = None
    folder_status_id: strawberry.ID | None = None
    tag_id: strawberry.ID | None = None


@strawberry.input(description="A column given with a new flow.")
class FlowColumnDraft:
    name: str
    color: str = strawberry.field(description="#RRGGBB.")
    on_drop: FlowDropPatchInput | None = None


@strawberry.input(description="A new flow (needs `flow.manage`). Membership: any of each list.")
class CreateFlowInput:
    name: str
    folder_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    tag_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    status_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    lead_sources: list[str] = strawberry.field(default_factory=list)
    worker_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    columns: list[FlowColumnDraft] | None = strawberry.field(
        default=None, description="Default: To do, In progress, Done."
    )


@strawberry.input(description="Only the members sent change (needs `flow.manage`).")
class UpdateFlowInput:
    id: strawberry.ID
    name: str | None = UNSET
    folder_ids: list[strawberry.ID] | None = UNSET
    tag_ids: list[strawberry.ID] | None = UNSET
    status_ids: list[strawberry.ID] | None = UNSET
    lead_sources: list[str] | None = UNSET
    worker_ids: list[strawberry.ID] | None = UNSET
    default_column_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="Where new matching customers land; null: the first column."
    )


@strawberry.input(description="Deletes the flow; its customers stay, their positions go.")
class DeleteFlowInput:
    id: strawberry.ID


@strawberry.input(description="A new column (needs `flow.manage`).")
class CreateFlowColumnInput:
    flow_id: strawberry.ID
    name: str
    color: str = strawberry.field(description="#RRGGBB.")
    position: int | None = strawberry.field(default=None, description="0-based; default last.")
    on_drop: FlowDropPatchInput | None = None


@strawberry.input(description="Only the members sent change; onDrop null clears the patch.")
class UpdateFlowColumnInput:
    id: strawberry.ID
    name: str | None = UNSET
    color: str | None = UNSET
    on_drop: FlowDropPatchInput | None = UNSET


@strawberry.input(description="Every column of the flow, once each, in the new order.")
class ReorderFlowColumnsInput:
    flow_id: strawberry.ID
    column_ids: list[strawberry.ID]


@strawberry.input(description="Its cards go to `targetColumnId`, else the first other column.")
class DeleteFlowColumnInput:
    id: strawberry.ID
    target_column_id: strawberry.ID | None = None


@strawberry.input(
    description="Move a customer's card into a column, after one card or before another "
    "(neither: first). `expectedVersion` is the card's version the move was decided on: if "
    "someone moved it since, the move is refused (VERSION_CONFLICT)."
)
class MoveFlowCardInput:
    flow_id: strawberry.ID
    customer_id: strawberry.ID
    column_id: strawberry.ID
    expected_version: int
    after_customer_id: strawberry.ID | None = None
    before_customer_id: strawberry.ID | None = None


@strawberry.input(description="Remove a card from the board's view (or show it again).")
class HideFlowCardInput:
    flow_id: strawberry.ID
    customer_id: strawberry.ID
    hidden: bool = True
    expected_version: int | None = None


def _pk(value, type_name: str) -> int | None:
    return None if value is None else from_global_id(value, type_name)


def _patch(value: FlowDropPatchInput | None) -> dict:
    if value is None:
        return {}
    return {
        "status_id": _pk(value.status_id, "Status"),
        "folder_id": _pk(value.folder_id, "Folder"),
        "folder_status_id": _pk(value.folder_status_id, "Status"),
        "tag_id": _pk(value.tag_id, "Tag"),
    }


def _definition(input) -> dict:
    data = {}
    for key, type_name in (
        ("folder_ids", "Folder"),
        ("tag_ids", "Tag"),
        ("status_ids", "Status"),
        ("worker_ids", "Worker"),
    ):
        value = getattr(input, key)
        if value is not UNSET:
            data[key] = from_global_ids(value, type_name)
    for key in ("name", "lead_sources"):
        if getattr(input, key) is not UNSET:
            data[key] = getattr(input, key)
    return data


async def create_flow(info: Info, input: CreateFlowInput) -> FlowPayload:
    data = _definition(input)
    if input.columns is not None:
        data["columns"] = [
            {"name": c.name, "color": c.color, "on_drop": _patch(c.on_drop)} for c in input.columns
        ]
    work = lambda s, p: service.create_flow(s, p, data)  # noqa: E731
    return await kit.save(info, FlowPayload, "flow", Flow, work)


async def update_flow(info: Info, input: UpdateFlowInput) -> FlowPayload:
    flow_id, changes = from_global_id(input.id, "Flow"), _definition(input)
    if input.default_column_id is not UNSET:
        changes["default_column_id"] = _pk(input.default_column_id, "FlowColumn")
    work = lambda s, p: service.update_flow(s, p, flow_id, changes)  # noqa: E731
    return await kit.save(info, FlowPayload, "flow", Flow, work)


async def delete_flow(info: Info, input: DeleteFlowInput) -> DeletePayload:
    flow_id = from_global_id(input.id, "Flow")
    return await deleted(info, input.id, lambda s, p: service.delete_flow(s, p, flow_id))


async def create_flow_column(info: Info, input: CreateFlowColumnInput) -> FlowColumnPayload:
    data = {
        "flow_id": from_global_id(input.flow_id, "Flow"),
        "name": input.name,
        "color": input.color,
        "position": input.position,
        "on_drop": _patch(input.on_drop),
    }
    work = lambda s, p: service.create_column(s, p, data)  # noqa: E731
    return await kit.save(info, FlowColumnPayload, "column", FlowColumn, work, "flowId")


async def update_flow_column(info: Info, input: UpdateFlowColumnInput) -> FlowColumnPayload:
    column_id = from_global_id(input.id, "FlowColumn")
    changes = {k: getattr(input, k) for k in ("name", "color") if getattr(input, k) is not UNSET}
    if input.on_drop is not UNSET:
        changes["on_drop"] = _patch(input.on_drop)
    work = lambda s, p: service.update_column(s, p, column_id, changes)  # noqa: E731
    return await kit.save(info, FlowColumnPayload, "column", FlowColumn, work)


async def reorder_flow_columns(info: Info, input: ReorderFlowColumnsInput) -> FlowColumnsPayload:
    flow_id = from_global_id(input.flow_id, "Flow")
    ids = from_global_ids(input.column_ids, "FlowColumn")
    work = lambda s, p: service.reorder_columns(s, p, flow_id, ids)  # noqa: E731
    return await reordered(info, FlowColumnsPayload, FlowColumn, work, "flowId")


async def delete_flow_column(info: Info, input: DeleteFlowColumnInput) -> DeletePayload:
    column_id = from_global_id(input.id, "FlowColumn")
    target = _pk(input.target_column_id, "FlowColumn")
    work = lambda s, p: service.delete_column(s, p, column_id, target)  # noqa: E731
    return await deleted(info, input.id, work)


async def _card(info: Info, work, target: str) -> FlowCardPayload:
    result, errors = await mutate(info, work, target)
    if result is None:
        return FlowCardPayload(card=None, user_errors=errors)
    position = result["position"]
    customer = await kit.customer(info, position.customer_id)
    card = FlowCard(
        customer=customer,
        rank=position.rank,
        version=position.version,
        column_pk=position.column_id,
    )
    return FlowCardPayload(card=card, user_errors=errors)


async def move_flow_card(info: Info, input: MoveFlowCardInput) -> FlowCardPayload:
    data = {
        "flow_id": from_global_id(input.flow_id, "Flow"),
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "column_id": from_global_id(input.column_id, "FlowColumn"),
        "after": _pk(input.after_customer_id, "Customer"),
        "before": _pk(input.before_customer_id, "Customer"),
        "expected_version": input.expected_version,
    }
    return await _card(info, lambda s, p: moves.move_card(s, p, data), "flowId")


async def hide_flow_card(info: Info, input: HideFlowCardInput) -> FlowCardPayload:
    data = {
        "flow_id": from_global_id(input.flow_id, "Flow"),
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "hidden": input.hidden,
        "expected_version": input.expected_version,
    }
    return await _card(info, lambda s, p: moves.hide_card(s, p, data), "flowId")


async def load_flow(info: Info, pk: int) -> Flow | None:
    """`node(id:)`: a flow the viewer may see."""
    if not access.can(info.context.principal, VIEW):
        return None
    found = await flows(info)
    return next((f for f in found if f.pk == pk), None)


async def load_column(info: Info, pk: int) -> FlowColumn | None:
    """`node(id:)`: a column of a flow the viewer may see."""
    if not access.can(info.context.principal, VIEW):
        return None
    visible = {f.pk for f in await flows(info)}
    rows = await column_rows_by_id(info, pk)
    return FlowColumn.from_row(rows) if rows and rows["flow_id"] in visible else None


QUERY_FIELDS = [
    strawberry.field(
        resolver=flows, name="flows", description="The flows you may see (managers: all)."
    ),
    strawberry.field(
        resolver=flow_board,
        name="flowBoard",
        description="A flow's board: every column with its count and first page of cards "
        "(search and dates narrow both).",
    ),
    strawberry.field(
        resolver=flow_cards, name="flowCards", description="More cards of one column."
    ),
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=create_flow, description="Create a flow (a board)."),
    strawberry.mutation(resolver=update_flow, description="Change a flow's definition."),
    strawberry.mutation(resolver=delete_flow, description="Delete a flow; customers stay."),
    strawberry.mutation(resolver=create_flow_column, description="Add a column to a flow."),
    strawberry.mutation(resolver=update_flow_column, description="Rename, recolour a column."),
    strawberry.mutation(resolver=reorder_flow_columns, description="Reorder a flow's columns."),
    strawberry.mutation(
        resolver=delete_flow_column, description="Delete a column; its cards move."
    ),
    strawberry.mutation(resolver=move_flow_card, description="Move a card on a board."),
    strawberry.mutation(resolver=hide_flow_card, description="Remove a card from view."),
]
SUBSCRIPTION_FIELDS = [
    strawberry.subscription(
        resolver=flow_board_updates,
        name="flowBoard",
        description="A board's column counts and card moves, live, as you see them.",
    )
]
