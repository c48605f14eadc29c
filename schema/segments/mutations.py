"""Segment mutations: create, change, delete (`segments.manage`), and the members of a
static segment, by ids or by a filter (at most `core.segments.BULK_INLINE_MAX` at once)."""

import strawberry
from strawberry import UNSET

from core import segments as svc
from schema.context import Info
from schema.customers.inputs import sent
from schema.customers.where import CustomerWhere, decode_id
from schema.ids import from_global_id, from_global_ids
from schema.payloads import DeletePayload, UserError, as_row, deleted, mutate, payload
from schema.segments.types import Segment, SegmentKind

SegmentPayload = payload(Segment, "segment")


@strawberry.type(description="The segment and how many memberships changed, or why none did.")
class SegmentMembersPayload:
    segment: Segment | None
    changed_count: int = strawberry.field(
        description="Customers added (or removed); those already in (or not in) are not counted."
    )
    user_errors: list[UserError]


@strawberry.input
class CreateSegmentInput:
    name: str = strawberry.field(description="Unique in the tenant, ignoring case.")
    kind: SegmentKind
    description: str | None = None
    where: CustomerWhere | None = strawberry.field(
        default=None,
        description="DYNAMIC only (and required there): the filter, checked now and again "
        "whenever the segment is read. It may name other segments, at most 3 levels deep.",
    )


@strawberry.input(description="Only the members sent change; the kind cannot.")
class UpdateSegmentInput:
    id: strawberry.ID
    name: str | None = UNSET
    description: str | None = UNSET
    where: CustomerWhere | None = strawberry.field(default=UNSET, description="DYNAMIC only.")


@strawberry.input
class DeleteSegmentInput:
    id: strawberry.ID


@strawberry.input(
    description="A static segment and either `customerIds` (up to 500) or `where` (every "
    "customer you may see and edit that the list shows for it, up to 500: more is TOO_MANY)."
)
class SegmentMembersInput:
    segment_id: strawberry.ID
    customer_ids: list[strawberry.ID] | None = None
    where: CustomerWhere | None = None


AddCustomersToSegmentInput = strawberry.input(
    type("AddCustomersToSegmentInput", (SegmentMembersInput,), {}),
    description=SegmentMembersInput.__strawberry_definition__.description,
)
RemoveCustomersFromSegmentInput = strawberry.input(
    type("RemoveCustomersFromSegmentInput", (SegmentMembersInput,), {}),
    description=SegmentMembersInput.__strawberry_definition__.description,
)


def _one(result, errors):
    segment = Segment.from_row(as_row(result)) if result else None
    return SegmentPayload(segment=segment, user_errors=errors)


async def _members(info: Info, input: SegmentMembersInput, add: bool) -> SegmentMembersPayload:
    segment_id = from_global_id(input.segment_id, "Segment")
    ids = (
        from_global_ids(input.customer_ids, "Customer") if input.customer_ids is not None else None
    )
    where = input.where.to_dict() if input.where is not None else None

    async def work(session, principal):
        return await svc.change_members(session, principal, decode_id, segment_id, ids, where, add)

    result, errors = await mutate(info, work, "segmentId")
    segment, changed = result if result else (None, 0)
    return SegmentMembersPayload(
        segment=Segment.from_row(as_row(segment)) if segment else None,
        changed_count=changed,
        user_errors=errors,
    )


@strawberry.type
class SegmentMutations:
    @strawberry.mutation(description="Create a segment (`segments.manage`).")
    async def create_segment(self, info: Info, input: CreateSegmentInput) -> SegmentPayload:
        ctx = info.context
        values = {
            "name": input.name,
            "kind": input.kind.value,
            "description": input.description,
            "where": input.where.to_dict() if input.where is not None else None,
        }
        limit = ctx.settings.segments_dynamic_max

        async def work(session, principal):
            return await svc.create_segment(
                session, principal, ctx.plugins, decode_id, values, limit
            )

        return _one(*await mutate(info, work))

    @strawberry.mutation(description="Rename a segment, describe it, change a dynamic filter.")
    async def update_segment(self, info: Info, input: UpdateSegmentInput) -> SegmentPayload:
        ctx = info.context
        changes = sent(input, {"name": "name", "description": "description", "where": "where"})
        if changes.get("where") is not None:
            changes["where"] = changes["where"].to_dict()
        segment_id = from_global_id(input.id, "Segment")

        async def work(session, principal):
            return await svc.update_segment(
                session, principal, ctx.plugins, decode_id, segment_id, changes
            )

        return _one(*await mutate(info, work))

    @strawberry.mutation(description="Delete a segment; its customers stay.")
    async def delete_segment(self, info: Info, input: DeleteSegmentInput) -> DeletePayload:
        segment_id = from_global_id(input.id, "Segment")
        return await deleted(info, input.id, lambda s, p: svc.delete_segment(s, p, segment_id))

    @strawberry.mutation(description="Add customers to a static segment.")
    async def add_customers_to_segment(
        self, info: Info, input: AddCustomersToSegmentInput
    ) -> SegmentMembersPayload:
        return await _members(info, input, True)

    @strawberry.mutation(description="Take customers out of a static segment.")
    async def remove_customers_from_segment(
        self, info: Info, input: RemoveCustomersFromSegmentInput
    ) -> SegmentMembersPayload:
        return await _members(info, input, False)
