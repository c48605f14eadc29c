"""CSV imports of customers over GraphQL: upload (`startCustomerImport`, a multipart request),
mapping, preview, the run and its revert as jobs, the report. The rules are in
`core/csv_import*.py`; every field needs `customers.import`."""

import asyncio
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.file_uploads import Upload
from strawberry.scalars import JSON

from core import access, csv_import, keyset
from core import csv_import_jobs as runs
from core.csv_import_apply import apply
from core.csv_import_models import ROWS
from core.csv_import_rows import known_fields, load_catalog, parse_line
from core.errors import InvalidInput
from core.events import bind
from core.files import Received
from core.storage import new_key
from schema import kit
from schema.context import Info
from schema.ids import from_global_id, to_global_id
from schema.jobs import Job, job_row
from schema.payloads import UserError, input_named, mutate
from schema.relay import Connection, Node

NEWEST = keyset.Order("imports.newest", (), csv_import.IMPORTS.c.id, descending=True)
FAILURES = keyset.Order("imports.failures", (), ROWS.c.id)
MAX_PREVIEW = 100


@strawberry.enum(description="What to do with a line whose match key finds a customer.")
class ImportDuplicateMode(Enum):
    SKIP = "SKIP"
    UPDATE = "UPDATE"
    CREATE = "CREATE"


@strawberry.enum(description="How a line finds an existing customer.")
class ImportMatchBy(Enum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    EXTERNAL_ID = "EXTERNAL_ID"


@strawberry.enum(
    description="READY (mapping may change) → RUNNING → DONE → REVERTING → REVERTED; FAILED "
    "or REVERT_FAILED when the job gave up (run or revert again to resume)."
)
class CustomerImportStatus(Enum):
    READY = "READY"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"
    REVERTING = "REVERTING"
    REVERTED = "REVERTED"
    REVERT_FAILED = "REVERT_FAILED"


@strawberry.enum(description="What happened (or, in a preview, would happen) to a line.")
class ImportRowOutcome(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


@strawberry.type(description="Which field a column fills.")
class ImportColumn:
    column: str
    field: str


@strawberry.input(
    description="A column and the field it fills: `name`, `email`, `phone`, `externalId`, "
    "`status`, `tags`, `folders`, `customFields.<key>`… (`customerImportFields` lists them)."
)
class ImportColumnInput:
    column: str
    field: str


@strawberry.type(description="A field a column may fill.")
class ImportField:
    field: str
    label: str


@strawberry.type(description="A failed line and why.")
class ImportFailure:
    line: int = strawberry.field(description="The line of the file (the header is line 1).")
    code: str
    message: str

    @classmethod
    def from_row(cls, row) -> "ImportFailure":
        stored = row["reason_code"]  # always set on a FAILED line
        return cls(line=row["line"], code=stored, message=row["reason"] or "")


@strawberry.type(description="A line of the preview: what the run would do with it.")
class ImportPreviewRow:
    line: int
    outcome: ImportRowOutcome
    customer_id: strawberry.ID | None = strawberry.field(
        description="The matched customer (SKIPPED, UPDATED)."
    )
    code: str | None = strawberry.field(description="Why it would fail or be skipped.")
    message: str | None
    values: JSON = strawberry.field(description="The mapped cells: {column: text}.")


@strawberry.type(description="What a run did so far.")
class ImportReport:
    created: int
    updated: int
    skipped: int
    failed: int
    import_id: strawberry.Private[int]

    @strawberry.field(description="The failed lines in file order, with their reasons.")
    async def failures(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ImportFailure]:
        principal = info.context.principal
        query = ROWS.select().where(
            ROWS.c.tenant_id == principal.tenant_id,
            ROWS.c.import_id == self.import_id,
            ROWS.c.outcome == "FAILED",
        )
        return await kit.tenant_list(info, query, FAILURES, first, after, ImportFailure.from_row)


@strawberry.type(description="A CSV file of customers being imported, and its run.")
class CustomerImport(Node):
    status: CustomerImportStatus
    file_name: str
    encoding: str = strawberry.field(description="Detected: utf-8, utf-8-sig, utf-16, cp1252.")
    delimiter: str = strawberry.field(description="Detected from a sample (default comma).")
    headers: list[str]
    row_count: int = strawberry.field(description="Non-blank data lines.")
    mapping: list[ImportColumn]
    duplicate_mode: ImportDuplicateMode
    match_by: ImportMatchBy
    created_at: datetime
    row: strawberry.Private[dict]

    @classmethod
    def from_row(cls, row) -> "CustomerImport":
        row = dict(row)
        return cls(
            pk=row["id"],
            status=CustomerImportStatus(csv_import.status_of(row)),
            file_name=row["file_name"],
            encoding=row["encoding"],
            delimiter=row["delimiter"],
            headers=row["headers"],
            row_count=row["row_count"],
            mapping=[ImportColumn(column=m["column"], field=m["field"]) for m in row["mapping"]],
            duplicate_mode=ImportDuplicateMode(row["duplicate_mode"]),
            match_by=ImportMatchBy(row["match_by"]),
            created_at=row["created_at"],
            row=row,
        )

    @strawberry.field(description="Counts so far, and the failed lines.")
    def report(self) -> ImportReport:
        r = self.row
        return ImportReport(
            created=r["created"],
            updated=r["updated"],
            skipped=r["skipped"],
            failed=r["failed"],
            import_id=self.pk,
        )

    @strawberry.field(description="The run's job (progress, errors); null before the run.")
    async def job(self, info: Info) -> Job | None:
        found = await job_row(info, self.row["job_id"]) if self.row["job_id"] else None
        return Job.from_row(found) if found else None

    @strawberry.field(description="The revert's job; null unless reverted.")
    async def revert_job(self, info: Info) -> Job | None:
        pk = self.row["revert_job_id"]
        found = await job_row(info, pk) if pk else None
        return Job.from_row(found) if found else None

    @strawberry.field(description="The first lines as the run would take them; writes nothing.")
    async def preview(self, info: Info, rows: int = 20) -> list[ImportPreviewRow]:
        return await preview(info, self.row, rows)


class _Rollback(Exception):
    pass


async def preview(info: Info, imp: dict, rows: int) -> list[ImportPreviewRow]:
    """The run's own chunk work on the first lines, in a transaction rolled back."""
    ctx = info.context
    principal = ctx.principal
    wanted = max(1, min(rows, MAX_PREVIEW))
    cells = []
    async with runs.local_copy(ctx.storage, imp["file_key"]) as path:
        for number, found in csv_import.records(path, imp["encoding"], imp["delimiter"]):
            cells.append((number, found))
            if len(cells) >= wanted:
                break
    mapping = runs.columns_of(imp)
    done = []
    try:
        async with ctx.read.transaction(principal.tenant_id) as session:
            bind(session, ctx.plugins, principal.modules)
            catalog = await load_catalog(session, principal.tenant_id)
            lines = [parse_line(n, c, mapping, catalog, imp["match_by"]) for n, c in cells]
            done.append(await apply(session, principal, imp, lines, catalog, record=False))
            raise _Rollback
    except _Rollback:
        pass
    ctx.forget_loaded()
    shown = {n: {col: (c[i] if i < len(c) else "") for i, col, _ in mapping} for n, c in cells}
    return [
        ImportPreviewRow(
            line=o.line,
            outcome=ImportRowOutcome(o.outcome),
            customer_id=to_global_id("Customer", o.customer_id)
            if o.customer_id and o.outcome != "CREATED"
            else None,
            code=o.code,
            message=o.reason,
            values=shown[o.line],
        )
        for o in done[0].outcomes
    ]


async def load_import(info: Info, pk: int) -> dict | None:
    """`node(id:)` and `customerImport(id:)`: None unless the viewer may import."""
    principal = info.context.principal
    if not access.can(principal, "customers.import"):
        return None
    async with info.context.read() as conn:
        row = await conn.execute(csv_import.visible(principal, csv_import.IMPORTS.c.id == pk))
        found = row.mappings().first()
    return dict(found) if found else None


async def _reread(info: Info, pk: int) -> dict:
    return await load_import(info, pk)


# --- inputs and payloads ------------------------------------------------------------------------


@strawberry.input(description="A CSV file of customers.")
class StartCustomerImportInput:
    file: Upload = strawberry.field(
        description="The file part of a GraphQL multipart request (`map` points here)."
    )


@strawberry.input(description="Which column fills which field, and what to do with duplicates.")
class SetCustomerImportMappingInput:
    import_id: strawberry.ID
    columns: list[ImportColumnInput]
    duplicate_mode: ImportDuplicateMode = ImportDuplicateMode.SKIP
    match_by: ImportMatchBy = ImportMatchBy.EMAIL
    save_as: str | None = strawberry.field(
        default=None, description="Also save the mapping under this name (replacing one)."
    )


@strawberry.input(description="The import to run, or to revert.")
class CustomerImportIdInput:
    import_id: strawberry.ID


RunCustomerImportInput = input_named(CustomerImportIdInput, "RunCustomerImportInput")
RevertCustomerImportInput = input_named(CustomerImportIdInput, "RevertCustomerImportInput")


@strawberry.input(description="The saved mapping to delete.")
class DeleteCustomerImportMappingInput:
    id: strawberry.ID


@strawberry.type(description="The import as it is now, or why nothing changed.")
class CustomerImportPayload:
    customer_import: CustomerImport | None
    user_errors: list[UserError]


@strawberry.type(description="The import and the job that now runs it.")
class CustomerImportJobPayload:
    customer_import: CustomerImport | None
    job: Job | None
    user_errors: list[UserError]


@strawberry.type(description="A saved column mapping.")
class CustomerImportMapping(Node):
    name: str
    columns: list[ImportColumn]
    duplicate_mode: ImportDuplicateMode
    match_by: ImportMatchBy


@strawberry.type(description="The id of the deleted mapping, or why nothing was deleted.")
class DeleteCustomerImportMappingPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


def _errors(exc: InvalidInput) -> list[UserError]:
    return [UserError(field=list(p.field), message=p.message, code=p.code) for p in exc.problems]


async def start_customer_import(info: Info, input: StartCustomerImportInput):
    """Detect (a worker thread, no connection held), store the object, then the row; a
    failed row removes the object again."""
    ctx = info.context
    access.require(ctx.principal, "customers.import")
    received = input.file
    try:
        if not isinstance(received, Received):
            message = "Send the file as a part of a multipart request (the GraphQL multipart spec)."
            raise InvalidInput.one(("input", "file"), message, "REQUIRED")
        if received.size > ctx.settings.upload_max_file_bytes:
            message = f"The file is over {ctx.settings.upload_max_file_bytes:,} bytes."
            raise InvalidInput.one(("input", "file"), message, "FILE_TOO_LARGE")
        found = await asyncio.to_thread(
            csv_import.detect, received.path, ctx.settings.import_max_rows
        )
    except InvalidInput as exc:
        return CustomerImportPayload(customer_import=None, user_errors=_errors(exc))
    key = new_key(ctx.principal.tenant_id)
    await ctx.storage.put(key, received.path, "text/csv")

    async def work(session, principal):
        name = received.filename or "import.csv"
        return await csv_import.create(session, principal, key, name, received.size, found)

    try:
        row, errors = await mutate(info, work, "file")
    except BaseException:
        await ctx.storage.delete(key)
        raise
    if errors:
        await ctx.storage.delete(key)
        return CustomerImportPayload(customer_import=None, user_errors=errors)
    return CustomerImportPayload(
        customer_import=CustomerImport.from_row(await _reread(info, row["id"])), user_errors=[]
    )


def _mapping(row) -> CustomerImportMapping:
    return CustomerImportMapping(
        pk=row["id"],
        name=row["name"],
        columns=[ImportColumn(column=c["column"], field=c["field"]) for c in row["columns"]],
        duplicate_mode=ImportDuplicateMode(row["duplicate_mode"]),
        match_by=ImportMatchBy(row["match_by"]),
    )


@strawberry.type
class ImportQueries:
    @strawberry.field(description="One import (needs `customers.import`).")
    async def customer_import(self, info: Info, id: strawberry.ID) -> CustomerImport | None:
        row = await load_import(info, from_global_id(id, "CustomerImport"))
        return CustomerImport.from_row(row) if row else None

    @strawberry.field(description="The tenant's imports, newest first.")
    async def customer_imports(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CustomerImport]:
        principal = info.context.principal
        access.require(principal, "customers.import")
        query = csv_import.visible(principal)
        return await kit.tenant_list(info, query, NEWEST, first, after, CustomerImport.from_row)

    @strawberry.field(description="The first lines of an import as its run would take them.")
    async def preview_customer_import(
        self, info: Info, import_id: strawberry.ID, rows: int = 20
    ) -> list[ImportPreviewRow]:
        row = await load_import(info, from_global_id(import_id, "CustomerImport"))
        if row is None:
            access.require(info.context.principal, "customers.import")
            return []
        return await preview(info, row, rows)

    @strawberry.field(description="The tenant's saved column mappings, by name.")
    async def customer_import_mappings(self, info: Info) -> list[CustomerImportMapping]:
        async with info.context.read() as conn:
            rows = await csv_import.mappings(conn, info.context.principal)
        return [_mapping(r) for r in rows]

    @strawberry.field(description="What a column may fill: standard fields, custom fields.")
    async def customer_import_fields(self, info: Info) -> list[ImportField]:
        access.require(info.context.principal, "customers.import")
        definitions = await info.context.loaders.field_definitions.load(0)
        return [ImportField(field=f, label=label) for f, label in known_fields(definitions).items()]

    @strawberry.field(description="A CSV header line with every field: a file to fill in.")
    async def customer_import_template(self, info: Info) -> str:
        async with info.context.read() as conn:
            return await csv_import.template(conn, info.context.principal)


@strawberry.type
class ImportMutations:
    @strawberry.mutation(
        description="Upload a CSV of customers (a multipart request, like `uploadFile`): its "
        "encoding, delimiter, headers and rows are detected and a mapping is guessed. "
        "Needs `customers.import`."
    )
    async def start_customer_import(
        self, info: Info, input: StartCustomerImportInput
    ) -> CustomerImportPayload:
        return await start_customer_import(info, input)

    @strawberry.mutation(description="Map columns to fields; unknown ones are UNKNOWN_FIELD.")
    async def set_customer_import_mapping(
        self, info: Info, input: SetCustomerImportMappingInput
    ) -> CustomerImportPayload:
        pk = from_global_id(input.import_id, "CustomerImport")
        columns = [{"column": c.column, "field": c.field} for c in input.columns]

        async def work(session, principal):
            return await csv_import.set_mapping(
                session, principal, pk, columns,
                input.duplicate_mode.value, input.match_by.value, input.save_as,
            )  # fmt: skip

        row, errors = await mutate(info, work, "importId")
        found = CustomerImport.from_row(await _reread(info, pk)) if row else None
        return CustomerImportPayload(customer_import=found, user_errors=errors)

    @strawberry.mutation(
        description="Run the import as a job (kind `customers.import`); a FAILED one resumes "
        "after its last line done."
    )
    async def run_customer_import(
        self, info: Info, input: RunCustomerImportInput
    ) -> CustomerImportJobPayload:
        chunk = info.context.settings.import_chunk_rows
        return await _job(info, input, lambda s, p, pk: runs.start_run(s, p, pk, chunk))

    @strawberry.mutation(
        description="Undo an import as a job: its new customers are deleted, the ones it "
        "updated get their old values back. Needs `customers.delete` too."
    )
    async def revert_customer_import(
        self, info: Info, input: RevertCustomerImportInput
    ) -> CustomerImportJobPayload:
        return await _job(info, input, runs.start_revert)

    @strawberry.mutation(description="Delete a saved mapping.")
    async def delete_customer_import_mapping(
        self, info: Info, input: DeleteCustomerImportMappingInput
    ) -> DeleteCustomerImportMappingPayload:
        pk = from_global_id(input.id, "CustomerImportMapping")

        async def work(session, principal):
            return await csv_import.delete_mapping(session, principal, pk)

        result, errors = await mutate(info, work)
        return DeleteCustomerImportMappingPayload(
            deleted_id=input.id if result else None, user_errors=errors
        )


async def _job(info: Info, input: CustomerImportIdInput, start) -> CustomerImportJobPayload:
    pk = from_global_id(input.import_id, "CustomerImport")

    async def work(session, principal):
        return await start(session, principal, pk)

    result, errors = await mutate(info, work, "importId")
    if errors:
        return CustomerImportJobPayload(customer_import=None, job=None, user_errors=errors)
    _, job = result
    return CustomerImportJobPayload(
        customer_import=CustomerImport.from_row(await _reread(info, pk)),
        job=Job.from_row(job),
        user_errors=[],
    )
