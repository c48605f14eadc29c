"""Document writes: checked input, which stored file may become a version, labels, events,
inside the caller's transaction.

A version is one of core's stored files (`uploadFile`, purpose DOCUMENT) of the document's
customer, committed, and no other version's: the file row is locked (after the customer, the
one lock order) so two requests naming one file never both take it. The file is also the
write's natural idempotency key: sending the same `fileId` again (a retry) answers the
document it already made, without a second version or event.

Anyone with `documents.edit` on a customer they may change adds, renames, relabels and
deletes documents; labels are the tenant's (`documents.manage`)."""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.catalog import clean_color
from core.customers import get_customer
from core.errors import Forbidden, InvalidInput, NotFound, Problem
from core.models import StoredFile, utcnow
from plugins.documents.models import (
    Document,
    DocumentLabel,
    DocumentLabelLink,
    DocumentsSeen,
    DocumentVersion,
)
from plugins.documents.queries import LINKS, SEEN, fold

MAX_TITLE, MAX_LABEL, MAX_LABELS = 200, 60, 20
PURPOSE = "document"


async def _file(session, principal: Principal, file_id: int, customer_id: int):
    """The committed DOCUMENT file of this customer, locked, and the document it already
    is a version of (None: free). Another customer's file is NOT_FOUND, as an unknown one."""
    field = ("input", "fileId")
    row = await session.scalar(
        select(StoredFile)
        .where(
            StoredFile.tenant_id == principal.tenant_id,
            StoredFile.id == file_id,
            StoredFile.customer_id == customer_id,
            StoredFile.state == "committed",
        )
        .with_for_update()
    )
    if row is None:
        raise InvalidInput.one(field, "File not found on this customer.", "NOT_FOUND")
    if row.purpose != PURPOSE:
        message = "Upload the file with purpose DOCUMENT."
        raise InvalidInput.one(field, message, "FILE_PURPOSE_MISMATCH")
    used = await session.scalar(
        select(DocumentVersion.document_id).where(DocumentVersion.file_id == row.id)
    )
    return row, used


def _in_use() -> InvalidInput:
    message = "The file is already a version of another document; upload it again."
    return InvalidInput.one(("input", "fileId"), message, "FILE_IN_USE")


def _title(value, problems: list[Problem], required: bool = False) -> str | None:
    return records.clean_text(value, ("input", "title"), MAX_TITLE, problems, required=required)


async def _labels(session, principal: Principal, ids: list[int], problems) -> list[int]:
    """The tenant's distinct labels among `ids`; NOT_FOUND names each other one."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_LABELS:
        field = ("input", "labelIds")
        problems.append(Problem(field, f"At most {MAX_LABELS} labels.", "TOO_MANY"))
        return []
    query = select(DocumentLabel.id).where(
        DocumentLabel.tenant_id == principal.tenant_id, DocumentLabel.id.in_(wanted)
    )
    known = set(await session.scalars(query))
    for i, label_id in enumerate(ids):
        if label_id not in known:
            problems.append(Problem(("input", "labelIds", str(i)), "Label not found.", "NOT_FOUND"))
    return wanted


async def _set_labels(session, document: Document, wanted: list[int]) -> bool:
    """Make the document carry exactly `wanted`; whether that changed anything."""
    query = select(LINKS.c.label_id).where(LINKS.c.document_id == document.id)
    current = set(await session.scalars(query))
    gone, new = current - set(wanted), [i for i in wanted if i not in current]
    if gone:
        await session.execute(
            delete(LINKS).where(LINKS.c.document_id == document.id, LINKS.c.label_id.in_(gone))
        )
    session.add_all(
        DocumentLabelLink(document_id=document.id, label_id=i, tenant_id=document.tenant_id)
        for i in new
    )
    return bool(gone or new)


async def _emit(session, principal, document: Document, name: str, **data) -> None:
    await records.emit(
        session, principal, name, document.customer_id, documentId=document.id,
        title=document.title, **data,
    )  # fmt: skip


async def create_document(session: AsyncSession, principal: Principal, data: dict) -> Document:
    access.require(principal, "documents.edit")
    customer = await get_customer(session, principal, data["customer_id"])
    problems: list[Problem] = []
    title = _title(data.get("title"), problems)
    labels = await _labels(session, principal, data.get("label_ids") or [], problems)
    records.fail_if(problems)
    file, used = await _file(session, principal, data["file_id"], customer.id)
    if used is not None:
        first = await session.scalar(
            select(DocumentVersion.number).where(DocumentVersion.file_id == file.id)
        )
        if first != 1:
            raise _in_use()
        return await session.get(Document, used)  # a retry: what the first request made
    now = utcnow()
    title = title or file.name
    document = Document(
        tenant_id=principal.tenant_id, customer_id=customer.id, title=title,
        search_key=fold(title), file_id=file.id, version_count=1, created_by=principal.worker_id,
        created_at=now, updated_at=now, latest_at=now, latest_by=principal.worker_id,
    )  # fmt: skip
    session.add(document)
    await session.flush()
    session.add(_version(document, 1, file.id, principal, now))
    await _set_labels(session, document, labels)
    await session.flush()
    await _emit(session, principal, document, "document.added", fileId=file.id)
    return document


def _version(document: Document, number: int, file_id: int, principal, now) -> DocumentVersion:
    return DocumentVersion(
        tenant_id=document.tenant_id, document_id=document.id, number=number, file_id=file_id,
        added_by=principal.worker_id, created_at=now,
    )  # fmt: skip


async def _changeable(session, principal: Principal, document_id: int) -> Document:
    access.require(principal, "documents.edit")
    return await records.for_update(session, principal, Document, document_id, "Document")


async def add_version(
    session: AsyncSession, principal: Principal, document_id: int, file_id: int
) -> Document:
    """The file becomes the current version; the older ones stay listed and downloadable."""
    document = await _changeable(session, principal, document_id)
    file, used = await _file(session, principal, file_id, document.customer_id)
    if used == document.id:
        return document  # a retry, or the version it already is
    if used is not None:
        raise _in_use()
    now = utcnow()
    number = document.version_count + 1
    session.add(_version(document, number, file.id, principal, now))
    document.file_id, document.version_count = file.id, number
    document.latest_at = document.updated_at = now
    document.latest_by = principal.worker_id
    await session.flush()
    await _emit(session, principal, document, "document.version_added", version=number)
    return document


async def update_document(
    session: AsyncSession, principal: Principal, document_id: int, changes: dict
) -> Document:
    """Rename and relabel; only the keys of `changes` change."""
    document = await _changeable(session, principal, document_id)
    problems: list[Problem] = []
    title = document.title
    if "title" in changes:
        title = _title(changes["title"], problems, required=True)
    labels = None
    if "label_ids" in changes:
        labels = await _labels(session, principal, changes["label_ids"] or [], problems)
    records.fail_if(problems)
    changed = []
    if title != document.title:
        document.title, document.search_key = title, fold(title)
        changed.append("title")
    if labels is not None and await _set_labels(session, document, labels):
        changed.append("labels")
    if changed:
        document.updated_at = utcnow()
        await session.flush()
        await _emit(session, principal, document, "document.updated", changed=changed)
    return document


async def delete_document(
    session: AsyncSession, principal: Principal, document_id: int
) -> list[tuple[int, str]]:
    """Deletes the document and its versions; (file id, key) of the stored files that held
    them, for the caller to remove once this transaction committed."""
    document = await _changeable(session, principal, document_id)
    files = await session.execute(
        select(StoredFile.id, StoredFile.key)
        .join(DocumentVersion, DocumentVersion.file_id == StoredFile.id)
        .where(DocumentVersion.document_id == document.id)
    )
    found = [(file_id, key) for file_id, key in files]
    await session.delete(document)
    await session.flush()
    await _emit(session, principal, document, "document.deleted", versions=len(found))
    return found


async def mark_seen(session: AsyncSession, principal: Principal, customer_id: int) -> int:
    """The viewer opened the customer's Files tab now: the badge starts again from 0."""
    access.require(principal, "documents.view")
    if principal.worker_id is None:
        raise Forbidden("Only a worker can mark documents seen.")
    customer = await get_customer(session, principal, customer_id, for_edit=False)
    values = dict(worker_id=principal.worker_id, customer_id=customer.id)
    now = utcnow()
    await session.execute(
        records.upsert(session, SEEN)
        .values(tenant_id=principal.tenant_id, seen_at=now, **values)
        .on_conflict_do_update(index_elements=list(values), set_={"seen_at": now})
    )
    return customer.id


# --- labels -------------------------------------------------------------------------------------


async def _saved_label(session, label: DocumentLabel) -> DocumentLabel:
    """Flushed in a savepoint: a name taken meanwhile is TAKEN, not a failed transaction."""
    try:
        async with session.begin_nested():
            session.add(label)
            await session.flush()
    except IntegrityError as exc:
        message = f"The label '{label.name}' exists."
        raise InvalidInput.one(("input", "name"), message, "TAKEN") from exc
    return label


def _label_name(value, problems, required: bool) -> str | None:
    return records.clean_text(value, ("input", "name"), MAX_LABEL, problems, required=required)


async def create_label(session: AsyncSession, principal: Principal, name, color) -> DocumentLabel:
    access.require(principal, "documents.manage")
    problems: list[Problem] = []
    name = _label_name(name, problems, True)
    color = clean_color(color, ("input", "color"), problems)
    records.fail_if(problems)
    label = DocumentLabel(
        tenant_id=principal.tenant_id, name=name, name_key=fold(name), color=color,
        created_at=utcnow(),
    )  # fmt: skip
    return await _saved_label(session, label)


async def _label(session, principal: Principal, label_id: int) -> DocumentLabel:
    access.require(principal, "documents.manage")
    label = await session.scalar(
        select(DocumentLabel).where(
            DocumentLabel.tenant_id == principal.tenant_id, DocumentLabel.id == label_id
        )
    )
    if label is None:
        raise NotFound("Label")
    return label


async def update_label(session: AsyncSession, principal: Principal, label_id: int, changes: dict):
    label = await _label(session, principal, label_id)
    problems: list[Problem] = []
    name = _label_name(changes["name"], problems, True) if "name" in changes else label.name
    color = label.color
    if "color" in changes:
        color = clean_color(changes["color"], ("input", "color"), problems)
    records.fail_if(problems)
    label.name, label.name_key, label.color = name, fold(name), color
    return await _saved_label(session, label)


async def delete_label(session: AsyncSession, principal: Principal, label_id: int) -> int:
    """Documents keep going without it."""
    label = await _label(session, principal, label_id)
    await session.delete(label)
    await session.flush()
    return label_id


async def merge_seen(session, tenant_id: int, source_id: int) -> None:
    """Merging customers: when the source's tab was opened means nothing on the target."""
    await session.execute(
        delete(DocumentsSeen).where(
            DocumentsSeen.tenant_id == tenant_id, DocumentsSeen.customer_id == source_id
        )
    )
