"""Reads of documents: the tab's order, search, badge and counts, versions and labels of a
page of documents, the export. Core selects, one statement per batch, always filtered by the
tenant.

Search is a case-insensitive contains on `search_key` (the title case-folded in Python, so
both databases fold alike), with `%`, `_` and `\\` escaped. It runs inside one customer's
documents, which the `(tenant_id, customer_id, id)` index finds; a customer has tens or
hundreds of documents, not millions, so scanning those rows for the substring is cheap and
needs no trigram index."""

from sqlalchemy import and_, exists, select

from core import keyset
from core.keyset import Order
from plugins.documents.models import (
    Document,
    DocumentLabel,
    DocumentLabelLink,
    DocumentsSeen,
    DocumentVersion,
)

D = Document.__table__
V = DocumentVersion.__table__
L = DocumentLabel.__table__
LINKS = DocumentLabelLink.__table__
SEEN = DocumentsSeen.__table__

NEWEST = Order("newest", (), D.c.id, descending=True)


def fold(text: str) -> str:
    return text.casefold()


def search_condition(search: str | None):
    """None for no search (blank matches everything)."""
    text = fold((search or "").strip())
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return D.c.search_key.like(f"%{escaped}%", escape="\\")


def label_condition(label_id: int | None):
    if label_id is None:
        return None
    return D.c.id.in_(select(LINKS.c.document_id).where(LINKS.c.label_id == label_id))


def unseen(worker_id: int | None):
    """Documents with a version added since the worker last marked the customer seen
    (every document when never)."""
    return ~exists().where(
        SEEN.c.worker_id == worker_id,
        SEEN.c.customer_id == D.c.customer_id,
        SEEN.c.seen_at >= D.c.latest_at,
    )


def total_counts(tenant_id: int, customer_ids):
    return keyset.counts_query(D, "customer_id", tenant_id, customer_ids)


def new_counts(principal, customer_ids):
    """(customer id, documents new to the viewer): the tab's badge. Built from the principal
    and ids alone (the compiled path keeps it)."""
    return keyset.counts_query(
        D, "customer_id", principal.tenant_id, customer_ids, unseen(principal.worker_id)
    )


async def totals(conn, principal, customer_ids) -> list[int]:
    return await keyset.counts(conn, D, "customer_id", principal.tenant_id, customer_ids)


async def news(conn, principal, customer_ids) -> list[int]:
    return await keyset.counts(
        conn, D, "customer_id", principal.tenant_id, customer_ids, unseen(principal.worker_id)
    )


async def seen_at(conn, principal, customer_ids) -> list:
    rows = await conn.execute(
        select(SEEN.c.customer_id, SEEN.c.seen_at).where(
            SEEN.c.tenant_id == principal.tenant_id,
            SEEN.c.worker_id == principal.worker_id,
            SEEN.c.customer_id.in_(customer_ids),
        )
    )
    found = dict(rows.all())
    return [found.get(i) for i in customer_ids]


async def versions(conn, principal, document_ids) -> list[list[dict]]:
    """Each document's versions, newest first."""
    rows = await conn.execute(
        select(*V.c)
        .where(V.c.tenant_id == principal.tenant_id, V.c.document_id.in_(document_ids))
        .order_by(V.c.document_id, V.c.number.desc())
    )
    found: dict[int, list[dict]] = {i: [] for i in document_ids}
    for row in rows.mappings():
        found[row["document_id"]].append(row)
    return [found[i] for i in document_ids]


async def labels_of(conn, principal, document_ids) -> list[list[dict]]:
    """Each document's labels, by name."""
    rows = await conn.execute(
        select(LINKS.c.document_id, *L.c)
        .join(L, L.c.id == LINKS.c.label_id)
        .where(LINKS.c.tenant_id == principal.tenant_id, LINKS.c.document_id.in_(document_ids))
        .order_by(L.c.name_key, L.c.id)
    )
    found: dict[int, list[dict]] = {i: [] for i in document_ids}
    for row in rows.mappings():
        found[row["document_id"]].append(row)
    return [found[i] for i in document_ids]


def tenant_labels(tenant_id: int):
    return select(*L.c).where(L.c.tenant_id == tenant_id).order_by(L.c.name_key, L.c.id)


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """`{"documents": [...]}`: the customer's documents, oldest first, each with its
    versions' file ids and its label names."""
    docs = await conn.execute(
        select(*D.c)
        .where(D.c.tenant_id == tenant_id, D.c.customer_id == customer_id)
        .order_by(D.c.id)
    )
    found = {r["id"]: {**r, "versions": [], "labels": []} for r in docs.mappings()}
    if found:
        ids = list(found)
        for row in await conn.execute(
            select(V.c.document_id, V.c.number, V.c.file_id, V.c.created_at)
            .where(V.c.tenant_id == tenant_id, V.c.document_id.in_(ids))
            .order_by(V.c.document_id, V.c.number)
        ):
            found[row.document_id]["versions"].append(dict(row._mapping))
        for document_id, name in await conn.execute(
            select(LINKS.c.document_id, L.c.name)
            .join(L, L.c.id == LINKS.c.label_id)
            .where(and_(LINKS.c.tenant_id == tenant_id, LINKS.c.document_id.in_(ids)))
            .order_by(L.c.name_key)
        ):
            found[document_id]["labels"].append(name)
    return {"documents": list(found.values())}
