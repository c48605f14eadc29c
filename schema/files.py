"""Uploaded files in GraphQL: `uploadFile` (a GraphQL multipart request, `schema/uploads.py`),
`Customer.uploadedFiles`, `node(id:)` for a `StoredFile`, and each file's `downloadUrl`, a
short-lived signed link served at `GET /files/<token>` (`schema/downloads.py`). The base the
Files tab builds on; the rules are `core/files.py`'s."""

from datetime import datetime
from enum import Enum

import strawberry
from sqlalchemy import select
from strawberry.file_uploads import Upload

from core import access, keyset
from core import files as service
from core.errors import Forbidden
from core.models import StoredFile as FileRow
from schema import kit
from schema.context import Info
from schema.ids import from_global_id
from schema.payloads import UserError, as_row, mutate
from schema.relay import Connection, Node

TABLE = FileRow.__table__
NEWEST = keyset.Order("files.newest", ((TABLE.c.created_at, True, False),), TABLE.c.id)


@strawberry.enum(description="What an upload is for; each accepts its own file types.")
class FilePurpose(Enum):
    DOCUMENT = strawberry.enum_value(
        "document",
        description="A customer's document: PDF, PNG, JPEG, GIF, WebP, plain text, CSV, ZIP, "
        "Word/Excel/PowerPoint (OOXML), OpenDocument.",
    )
    IMPORT = strawberry.enum_value(
        "import", description="Data to import: CSV, plain text or an Excel workbook (XLSX)."
    )


@strawberry.type(description="An uploaded file. Its bytes are fetched from `downloadUrl`.")
class StoredFile(Node):
    name: str = strawberry.field(
        description="The uploader's file name made safe: no path, no control characters, at "
        "most 200 characters, with an extension of its real type."
    )
    size: int = strawberry.field(description="Bytes.")
    content_type: str = strawberry.field(
        description="Sniffed from the bytes; the client's claim is ignored."
    )
    sha256: str = strawberry.field(description="Hex SHA-256 of the bytes.")
    purpose: FilePurpose
    created_at: datetime

    @classmethod
    def from_row(cls, row) -> "StoredFile":
        return kit.from_row(cls, row)

    @strawberry.field(
        description="A link that downloads the file (as an attachment) for the worker who "
        "asked, valid for DOWNLOAD_URL_SECONDS (5 minutes by default); the viewer's access "
        "is checked again when it is used. Ask again for a fresh one; never store it."
    )
    def download_url(self, info: Info) -> str:
        ctx = info.context
        token = service.download_token(
            ctx.settings.signing_key, ctx.principal, self.pk, ctx.settings.download_url_seconds
        )
        base = str(ctx.request.base_url).rstrip("/") if ctx.request is not None else ""
        return f"{base}/files/{token}"


@strawberry.input(description="A file for a customer (or, without one, for its uploader).")
class UploadFileInput:
    file: Upload = strawberry.field(
        description="The file part of a GraphQL multipart request (`map` points here)."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The customer it belongs to (their editors may upload); omitted: a file "
        "of the uploader's own, only they can see it (an import).",
    )
    purpose: FilePurpose = FilePurpose.DOCUMENT


@strawberry.type(description="The file as stored, or why nothing was stored.")
class UploadFilePayload:
    file: StoredFile | None
    user_errors: list[UserError]


async def upload_file(info: Info, input: UploadFileInput) -> UploadFilePayload:
    """Pending row, object, committed row (`core/files.py`); on any failure after the first
    step the object and the row go again before the answer."""
    ctx = info.context
    customer_id = None
    if input.customer_id is not None:
        customer_id = from_global_id(input.customer_id, "Customer")
    max_bytes = ctx.settings.upload_max_file_bytes

    async def begin(session, principal):
        return await service.add_pending(
            session, principal, customer_id, input.file, input.purpose.value, max_bytes
        )

    row, errors = await store(info, input.file, begin, "customerId")
    if errors:
        return UploadFilePayload(file=None, user_errors=errors)
    return UploadFilePayload(file=StoredFile.from_row(as_row(row)), user_errors=[])


async def store(info: Info, received, begin, target: str = "id", finish=None):
    """The upload's three steps, for core's `uploadFile` and for modules that keep files of
    their own (recordings): `begin(session, principal)` returns the pending row
    (`core.files.add_pending`); the object is written; then, in the mutation's transaction,
    the row is committed and `finish(session, principal, file_row)` (optional) writes what
    hangs on it. (what `finish` returned, or the file row; userErrors). On any failure after
    the first step the object and the row go again before the answer."""
    ctx = info.context
    pending, errors = await mutate(info, begin, target)
    if errors:
        return None, errors
    tenant_id, file_id, key = pending.tenant_id, pending.id, pending.key
    try:
        await ctx.storage.put(key, received.path, pending.content_type)

        async def complete(session, principal):
            row = await service.commit(session, principal, file_id)
            return row if finish is None else await finish(session, principal, row)

        done, errors = await mutate(info, complete, target)
    except BaseException:
        await service.discard(ctx.db, ctx.storage, tenant_id, file_id, key)
        raise
    if errors:
        await service.discard(ctx.db, ctx.storage, tenant_id, file_id, key)
        return None, errors
    return done, []


def require_view(info: Info) -> None:
    if not access.can(info.context.principal, "files.view"):
        raise Forbidden("You are not allowed to do this (files.view).")


async def customer_files(
    info: Info, customer_id: int, first: int | None, after: str | None
) -> Connection[StoredFile]:
    require_view(info)
    committed = (TABLE.c.state == "committed", TABLE.c.purpose.in_(service.LISTED))
    return await kit.customer_list(
        info, "files.uploaded", TABLE, customer_id, NEWEST, first, after,
        StoredFile.from_row, committed,
    )  # fmt: skip


async def load_file(info: Info, pk: int):
    """`node(id:)`: null when hidden, another tenant's, or without `files.view`."""

    async def batch(conn, principal, ids):
        if not access.can(principal, "files.view"):
            return [None] * len(ids)
        query = select(TABLE).where(service.visible_files(principal), TABLE.c.id.in_(ids))
        return await keyset.by_ids(conn, query, ids)

    return await kit.loader(info, "files.by_id", batch).load(pk)


@strawberry.type
class FileMutations:
    @strawberry.mutation(
        description="Upload a file: send a GraphQL multipart request with the file mapped to "
        "`variables.input.file` and an `Apollo-Require-Preflight: true` header. Needs "
        "`files.upload`, and for a customer the right to change them. The type is sniffed "
        "from the bytes and must suit `purpose`; an empty file is refused (userErrors)."
    )
    async def upload_file(self, info: Info, input: UploadFileInput) -> UploadFilePayload:
        return await upload_file(info, input)
