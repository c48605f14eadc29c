"""CSV export of the customer list in GraphQL: `customerExportColumns` (what may be chosen)
and `exportCustomers` (a short-lived link that streams the CSV, or a job for big lists,
whose `Job.downloadUrl` fetches the stored file). The CSV itself is `core/csv_export.py`'s;
the link's route `schema/customers/csv_export_route.py`'s."""

from datetime import UTC, datetime, timedelta
from enum import Enum

import strawberry

from core import api_keys, jobs
from core import csv_export as export
from core import csv_export_links as links
from core.access import require
from core.errors import InvalidInput
from schema.context import Info
from schema.customers.csv_export_links import export_url
from schema.customers.inputs import CustomerOrder
from schema.customers.where import CustomerWhere, decode_id
from schema.ids import to_global_id
from schema.jobs import Job
from schema.payloads import UserError, mutate
from schema.relay import OrderDirection


@strawberry.type(description="A column `exportCustomers` can write.")
class CustomerExportColumn:
    name: str = strawberry.field(
        description="What `columns` names: the filter language's field names (`city`, `tag`, "
        "`customFields.<key>`, `tickets.open`…) plus `id`, contacts, the standard fields "
        "and address parts (`billingAddress.city`)."
    )
    label: str = strawberry.field(description="The header the CSV gives it.")
    type: str = strawberry.field(
        description="TEXT, CHOICE, NUMBER, DATE, DATETIME, BOOLEAN, ID or LIST (values "
        'joined with "; ").'
    )


@strawberry.enum(description="What separates the cells of a row.")
class CsvDelimiter(Enum):
    COMMA = "COMMA"
    SEMICOLON = "SEMICOLON"
    TAB = "TAB"


@strawberry.input(
    description="Which customers (as the list: `where`, `search`, `orderBy`) and which "
    "columns, in order. `bom` starts the file with a UTF-8 byte order mark, which some "
    "spreadsheets need to read accents right."
)
class ExportCustomersInput:
    columns: list[str]
    where: CustomerWhere | None = None
    search: str | None = None
    order_by: CustomerOrder | None = None
    bom: bool = False
    delimiter: CsvDelimiter = CsvDelimiter.COMMA


@strawberry.type(
    description="Either `url` (the list is small: the link streams the CSV; it lasts "
    "`expiresAt`) or `job` (a big list: follow it; once SUCCEEDED its `downloadUrl` "
    "fetches the file), or why nothing was exported."
)
class ExportCustomersPayload:
    url: str | None = None
    expires_at: datetime | None = None
    row_count: int | None = strawberry.field(
        default=None, description="Customers matched when the export was asked."
    )
    job: Job | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _spec(input: ExportCustomersInput) -> export.Spec:
    order = input.order_by or CustomerOrder()
    return export.Spec(
        columns=list(input.columns),
        where=input.where.to_dict() if input.where else None,
        search=input.search.strip() if input.search and input.search.strip() else None,
        order=order.field.value,
        descending=order.direction == OrderDirection.DESC,
        sort_key=order.key,
        bom=input.bom,
        delimiter=input.delimiter.value,
    )


@strawberry.type
class CsvExportQueries:
    @strawberry.field(
        description="The columns `exportCustomers` can write for this tenant and worker: "
        "standard fields, addresses, links, custom fields and the enabled modules' summaries."
    )
    async def customer_export_columns(self, info: Info) -> list[CustomerExportColumn]:
        ctx = info.context
        async with ctx.read() as conn:
            found = await export.catalogue(conn, ctx.principal, ctx.plugins)
        return [
            CustomerExportColumn(name=c.name, label=c.label, type=c.type) for c in found.values()
        ]


@strawberry.type
class CsvExportMutations:
    @strawberry.mutation(
        description="A CSV of the customers you see that match, with the chosen columns "
        "(permission `customers.export`). Up to EXPORT_INLINE_MAX matches: `url`, a link "
        "valid a few minutes that streams the file (your access is checked again when it "
        "is used). More: a `job` that stores the file for EXPORT_KEEP_HOURS. Text cells "
        "that a spreadsheet would run as a formula start with `'`."
    )
    async def export_customers(
        self, info: Info, input: ExportCustomersInput
    ) -> ExportCustomersPayload:
        ctx = info.context
        principal, settings = ctx.principal, ctx.settings
        require(principal, links.PERMISSION)
        spec = _spec(input)
        limit = settings.export_inline_max
        try:
            async with ctx.read() as conn:
                plan = await export.plan(
                    conn, principal, ctx.plugins, spec, decode_id, to_global_id,
                    settings.search_candidates,
                )  # fmt: skip
                count = await plan.count(conn, max(limit + 1, settings.count_cap))
        except InvalidInput as exc:
            errors = [UserError(field=list(p.field), message=p.message, code=p.code)
                      for p in exc.problems]  # fmt: skip
            return ExportCustomersPayload(user_errors=errors)
        seconds = settings.download_url_seconds
        if count.exact and count.value <= limit:
            token = links.stream_token(settings.signing_key, principal, spec, seconds)
            if len(token) <= links.MAX_TOKEN:
                return ExportCustomersPayload(
                    url=export_url(info, token),
                    expires_at=datetime.now(UTC) + timedelta(seconds=seconds),
                    row_count=count.value,
                )
        payload = {"spec": spec.to_json()}
        if principal.role == api_keys.ROLE:
            payload["perm"] = sorted(principal.permissions)

        async def work(session, principal):
            job, _ = await jobs.enqueue(
                session, principal.tenant_id, links.EXPORT_KIND, payload,
                created_by=principal.worker_id, total=count.value if count.exact else None,
                max_attempts=3,
            )  # fmt: skip
            return Job.from_row(job)

        job, errors = await mutate(info, work)
        row_count = count.value if count.exact else None
        return ExportCustomersPayload(job=job, row_count=row_count, user_errors=errors)
