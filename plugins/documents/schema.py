"""The `documents` field on Customer, the tenant's labels, and the document mutations.

Adding a document is two requests: `uploadFile` (core's GraphQL multipart mutation, purpose
DOCUMENT, the customer's id) stores the bytes and answers a `StoredFile`; `createDocument`
(or `addDocumentVersion`) then files it. Core's upload stays the one place that judges
bytes, and a failed second step leaves a plain stored file of the customer, never a document
without its bytes."""

import logging
from datetime import datetime

import strawberry
from strawberry import UNSET

from core import access
from core import files as core_files
from plugins.documents import queries as q
from plugins.documents import service
from plugins.documents.types import Document, DocumentLabel
from schema import kit
from schema.compiled.customers import ModuleField, per_customer
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id, from_global_ids
from schema.payloads import DeletePayload, UserError, deleted, mutate, payload
from schema.relay import Connection

log = logging.getLogger("customer_hub.documents")
VIEW = "documents.view"


@strawberry.type(description="A customer's documents: what the Files tab shows.")
class CustomerDocuments:
    customer_id: strawberry.Private[int]

    @strawberry.field(
        description="Newest first; at most 100 a page (default 20). `search`: the title "
        "contains it, ignoring case; `labelId`: carrying that label. `totalCount` counts "
        "the documents matching."
    )
    async def all(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
        label_id: strawberry.ID | None = None,
    ) -> Connection[Document]:
        label = None if label_id is None else from_global_id(label_id, "DocumentLabel")
        conditions = tuple(
            c for c in (q.search_condition(search), q.label_condition(label)) if c is not None
        )
        key = f"documents.all:{q.fold((search or '').strip())!r}:{label}"
        return await kit.customer_list(
            info, key, q.D, self.customer_id, q.NEWEST, first, after, Document.from_row,
            conditions,
        )  # fmt: skip

    @strawberry.field(description="All the customer's documents.")
    async def count(self, info: Info) -> int:
        return await kit.loader(info, "documents.count", q.totals).load(self.customer_id)

    @strawberry.field(
        description="Documents with a version added since you last opened the tab "
        "(`markDocumentsSeen`); all of them if you never did. The tab's badge."
    )
    async def new_since_last_opened(self, info: Info) -> int:
        return await kit.loader(info, "documents.new", q.news).load(self.customer_id)

    @strawberry.field(description="When you last opened the tab; null: never.")
    async def last_opened_at(self, info: Info) -> datetime | None:
        return await kit.loader(info, "documents.seen", q.seen_at).load(self.customer_id)


async def customer_documents(root: Customer, info: Info) -> CustomerDocuments:
    access.require(info.context.principal, VIEW)
    return CustomerDocuments(customer_id=root.pk)


# The compiled path's columns (lower case: PostgreSQL folds the unquoted names it reads).
COMPILED = {"count": ("total", "int", "0"), "newSinceLastOpened": ("new", "int", "0")}


def compiled_documents(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`documents { count newSinceLastOpened }` in the compiled path; the lists and
    `lastOpenedAt` run field by field."""
    if not access.can(principal, VIEW) or not set(names) <= COMPILED.keys():
        return None

    def query(principal, customer_ids):
        return per_customer(
            {
                "total": q.total_counts(principal.tenant_id, customer_ids),
                "new": q.new_counts(principal, customer_ids),
            }
        )

    return ModuleField(query, COMPILED)


async def document_labels(info: Info) -> list[DocumentLabel]:
    principal = info.context.principal
    access.require(principal, VIEW)
    async with info.context.read() as conn:
        rows = await conn.execute(q.tenant_labels(principal.tenant_id))
        return [DocumentLabel.from_row(r) for r in rows.mappings()]


DocumentPayload = payload(Document, "document")
DocumentLabelPayload = payload(DocumentLabel, "label")
TITLE = "At most 200 characters; omitted: the file's name."
LABELS = "The tenant's labels (`documentLabels`); at most 20."


@strawberry.input(description="File an uploaded file (`uploadFile`, purpose DOCUMENT).")
class CreateDocumentInput:
    customer_id: strawberry.ID
    file_id: strawberry.ID = strawberry.field(
        description="A `StoredFile` of this customer from `uploadFile`, not yet a version of "
        "any document. Sending the same one again answers the document it made."
    )
    title: str | None = strawberry.field(default=None, description=TITLE)
    label_ids: list[strawberry.ID] = strawberry.field(default_factory=list, description=LABELS)


@strawberry.input(description="A new version of a document: it becomes the current one.")
class AddDocumentVersionInput:
    document_id: strawberry.ID
    file_id: strawberry.ID = strawberry.field(
        description="A `StoredFile` of the document's customer from `uploadFile`, not yet a "
        "version of any document. Sending one of this document's versions again changes "
        "nothing."
    )


@strawberry.input(description="Only the members sent change.")
class UpdateDocumentInput:
    id: strawberry.ID
    title: str | None = strawberry.field(default=UNSET, description="At most 200 characters.")
    label_ids: list[strawberry.ID] | None = strawberry.field(
        default=UNSET, description=LABELS + " Replaces the labels; null or []: none."
    )


@strawberry.input(description="Deletes the document, every version and their stored files.")
class DeleteDocumentInput:
    id: strawberry.ID


@strawberry.input(description="You opened the customer's Files tab.")
class MarkDocumentsSeenInput:
    customer_id: strawberry.ID


@strawberry.type(description="The customer's documents as you see them now.")
class MarkDocumentsSeenPayload:
    documents: CustomerDocuments | None
    user_errors: list[UserError]


@strawberry.input(description="A label for the tenant's documents.")
class CreateDocumentLabelInput:
    name: str = strawberry.field(description="Unique ignoring case; at most 60 characters.")
    color: str = strawberry.field(description="`#rrggbb`.")


@strawberry.input(description="Only the members sent change.")
class UpdateDocumentLabelInput:
    id: strawberry.ID
    name: str | None = UNSET
    color: str | None = UNSET


@strawberry.input(description="Documents carrying the label keep going without it.")
class DeleteDocumentLabelInput:
    id: strawberry.ID


def _changes(input, names: tuple[str, ...]) -> dict:
    return {n: getattr(input, n) for n in names if getattr(input, n) is not UNSET}


async def create_document(info: Info, input: CreateDocumentInput) -> DocumentPayload:
    data = {
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "file_id": from_global_id(input.file_id, "StoredFile"),
        "title": input.title,
        "label_ids": from_global_ids(input.label_ids, "DocumentLabel"),
    }

    def work(session, principal):
        return service.create_document(session, principal, data)

    return await kit.save(info, DocumentPayload, "document", Document, work, "customerId")


async def add_document_version(info: Info, input: AddDocumentVersionInput) -> DocumentPayload:
    document_id = from_global_id(input.document_id, "Document")
    file_id = from_global_id(input.file_id, "StoredFile")

    def work(session, principal):
        return service.add_version(session, principal, document_id, file_id)

    return await kit.save(info, DocumentPayload, "document", Document, work, "documentId")


async def update_document(info: Info, input: UpdateDocumentInput) -> DocumentPayload:
    changes = _changes(input, ("title",))
    if input.label_ids is not UNSET:
        changes["label_ids"] = from_global_ids(input.label_ids, "DocumentLabel")
    document_id = from_global_id(input.id, "Document")

    def work(session, principal):
        return service.update_document(session, principal, document_id, changes)

    return await kit.save(info, DocumentPayload, "document", Document, work)


async def delete_document(info: Info, input: DeleteDocumentInput) -> DeletePayload:
    """The rows in one transaction; then each stored file through core's `discard` (object,
    then row). Should that fail (the store away, the process gone), the file stays one of
    the customer's plain uploads (`uploadedFiles`) until the customer is erased."""
    document_id = from_global_id(input.id, "Document")

    def work(session, principal):
        return service.delete_document(session, principal, document_id)

    files, errors = await mutate(info, work)
    if errors:
        return DeletePayload(deleted_id=None, user_errors=errors)
    ctx = info.context
    for file_id, key in files:
        try:
            await core_files.discard(ctx.db, ctx.storage, ctx.principal.tenant_id, file_id, key)
        except Exception:  # the document is gone; the file is left as a plain upload
            log.exception("could not remove file %s of a deleted document", file_id)
    return DeletePayload(deleted_id=input.id, user_errors=[])


async def mark_documents_seen(
    info: Info, input: MarkDocumentsSeenInput
) -> MarkDocumentsSeenPayload:
    customer_id = from_global_id(input.customer_id, "Customer")

    def work(session, principal):
        return service.mark_seen(session, principal, customer_id)

    result, errors = await mutate(info, work, "customerId")
    documents = CustomerDocuments(customer_id=result) if result is not None else None
    return MarkDocumentsSeenPayload(documents=documents, user_errors=errors)


async def create_document_label(
    info: Info, input: CreateDocumentLabelInput
) -> DocumentLabelPayload:
    def work(session, principal):
        return service.create_label(session, principal, input.name, input.color)

    return await kit.save(info, DocumentLabelPayload, "label", DocumentLabel, work)


async def update_document_label(
    info: Info, input: UpdateDocumentLabelInput
) -> DocumentLabelPayload:
    label_id = from_global_id(input.id, "DocumentLabel")
    changes = _changes(input, ("name", "color"))

    def work(session, principal):
        return service.update_label(session, principal, label_id, changes)

    return await kit.save(info, DocumentLabelPayload, "label", DocumentLabel, work)


async def delete_document_label(info: Info, input: DeleteDocumentLabelInput) -> DeletePayload:
    label_id = from_global_id(input.id, "DocumentLabel")
    return await deleted(info, input.id, lambda s, p: service.delete_label(s, p, label_id))


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_documents,
        name="documents",
        description='Documents module (tab "Files"): the customer\'s documents, with '
        "versions and labels, over core's stored files.",
    )
]
QUERY_FIELDS = [
    strawberry.field(resolver=document_labels, description="The tenant's document labels."),
]
MUTATION_FIELDS = [
    strawberry.mutation(
        resolver=create_document,
        description="File an uploaded file (`uploadFile`) as a new document of its customer.",
    ),
    strawberry.mutation(
        resolver=add_document_version,
        description="Add an uploaded file as a document's new, current version.",
    ),
    strawberry.mutation(resolver=update_document, description="Rename or relabel a document."),
    strawberry.mutation(
        resolver=delete_document,
        description="Delete a document for good, with its versions and their stored files.",
    ),
    strawberry.mutation(
        resolver=mark_documents_seen,
        description="You opened the customer's Files tab: their badge counts from now.",
    ),
    strawberry.mutation(resolver=create_document_label, description="Add a document label."),
    strawberry.mutation(resolver=update_document_label, description="Rename or recolour one."),
    strawberry.mutation(
        resolver=delete_document_label, description="Delete a label; documents keep going."
    ),
]
