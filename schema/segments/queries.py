"""The tenant's segments: every worker may list them; what each counts and shows is
limited to the customers that worker sees."""

import strawberry

from core import segments as svc
from core.pagination import PageRequest
from schema.context import Info
from schema.ids import from_global_id
from schema.relay import Connection, connection
from schema.segments.types import Segment, load_segment


@strawberry.type
class SegmentQueries:
    @strawberry.field(
        description="The tenant's segments by name, in pages of at most 100 (default 20); "
        "`search`: part of the name, ignoring case."
    )
    async def segments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
    ) -> Connection[Segment]:
        ctx = info.context
        tenant_id = ctx.principal.tenant_id
        async with ctx.read() as conn:
            page = await svc.list_segments(conn, tenant_id, PageRequest(first, after), search)

        async def count() -> int:
            async with ctx.read() as conn:
                return await svc.count_segments(conn, tenant_id, search)

        return connection(page, [Segment.from_row(r) for r in page.rows], count)

    @strawberry.field(description="One segment; null when unknown.")
    async def segment(self, info: Info, id: strawberry.ID) -> Segment | None:
        row = await load_segment(info, from_global_id(id, "Segment"))
        return Segment.from_row(row) if row else None
