"""What makes two customer records look like one person: their identity values.

Each customer has rows in `customer_identities(tenant_id, kind, value, customer_id)`:

- EMAIL: each of its emails, trimmed and lower-cased;
- PHONE: each phone's digits, the last `PHONE_DIGITS` (9) of them when there are more (so
  "+1 (555) 010-2000", "15550102000" and "555 010 2000" agree, and so do a number written
  with and without its country code); fewer than `MIN_PHONE_DIGITS` digits give none;
- NAME_CITY: the name's words (accents dropped, lower-cased, sorted) and the city's, when
  the customer has a city ("Anna Berg, Oslo" and "berg anna / OSLO" agree).

Only the customer's own emails and phones count, not its contact people's (a company's
people share its switchboard; they are not duplicates of it).

The rows are kept by an `after_flush` listener on every ORM session: whenever a customer is
inserted or its name, city, emails or phones change, its rows are rewritten in the same
transaction (create, update, merge, sub-customers, the demo seed, and any new write path
through the ORM). Deleting a customer deletes them by the foreign key's cascade. A write
through plain SQL that changes those columns must call `rewrite` itself.

A lookup is an index probe on `(tenant_id, kind, value, customer_id)`: an index-only range
scan per value, whatever the tenant's size."""

import re
import unicodedata
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, event, insert, inspect, select
from sqlalchemy.orm import Session

from core.models import Customer, CustomerIdentity

KINDS = ("EMAIL", "PHONE", "NAME_CITY")
PHONE_DIGITS = 9
MIN_PHONE_DIGITS = 6
MAX_VALUE = 320
WATCHED = ("name", "city", "emails", "phones")
CHUNK = 500
_NOT_WORD = re.compile(r"[^\w]+")


def _words(text: str | None) -> str:
    folded = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    return " ".join(sorted(w for w in _NOT_WORD.split(plain.replace("_", " ")) if w))


def normalize(kind: str, value) -> str | None:
    """The stored form of one value, or None when it identifies nothing. For NAME_CITY the
    value is a `(name, city)` pair."""
    if kind == "EMAIL":
        text = (value or "").strip().lower()
        return text[:MAX_VALUE] if "@" in text else None
    if kind == "PHONE":
        digits = re.sub(r"\D", "", value or "")
        return digits[-PHONE_DIGITS:] if len(digits) >= MIN_PHONE_DIGITS else None
    if kind == "NAME_CITY":
        name, city = value
        name_key, city_key = _words(name), _words(city)
        if not name_key or not city_key:
            return None
        return f"{name_key}|{city_key}"[:MAX_VALUE]
    raise ValueError(f"Unknown identity kind {kind}")


def identities_of(name, city, emails: Iterable[dict], phones: Iterable[dict]) -> set[tuple]:
    """(kind, value) of one customer's fields; `emails` / `phones` as stored ({value, …})."""
    found = {("EMAIL", normalize("EMAIL", e.get("value"))) for e in emails or []}
    found |= {("PHONE", normalize("PHONE", p.get("value"))) for p in phones or []}
    found.add(("NAME_CITY", normalize("NAME_CITY", (name, city))))
    return {(kind, value) for kind, value in found if value}


def rows_of(tenant_id: int, customer_id: int, name, city, emails, phones) -> list[dict]:
    return [
        {"tenant_id": tenant_id, "kind": kind, "value": value, "customer_id": customer_id}
        for kind, value in sorted(identities_of(name, city, emails, phones))
    ]


async def lookup(
    session_or_conn, tenant_id: int, kind: str, values: Iterable
) -> dict[str, list[int]]:
    """{value as given: ids of the tenant's customers with that identity, ascending}; values
    that normalise to nothing, or match nobody, are absent. Not filtered by visibility.
    For NAME_CITY each value is a `(name, city)` pair and the key is that pair."""
    wanted: dict[str, list] = {}
    for given in values:
        norm = normalize(kind, given)
        if norm:
            wanted.setdefault(norm, []).append(given)
    found: dict = {}
    norms = list(wanted)
    for start in range(0, len(norms), CHUNK):
        part = norms[start : start + CHUNK]
        rows = await session_or_conn.execute(
            select(CustomerIdentity.value, CustomerIdentity.customer_id)
            .where(
                CustomerIdentity.tenant_id == tenant_id,
                CustomerIdentity.kind == kind,
                CustomerIdentity.value.in_(part),
            )
            .order_by(CustomerIdentity.value, CustomerIdentity.customer_id)
        )
        for value, customer_id in rows:
            for given in wanted[value]:
                found.setdefault(given, []).append(customer_id)
    return found


def rewrite_statements(tenant_id: int, customers: Sequence, fresh: bool = False) -> list:
    """Statements that replace the identity rows of `customers` (objects or rows with id,
    name, city, emails, phones); `fresh` ones have none yet."""
    ids = [c.id for c in customers]
    rows = [
        r for c in customers for r in rows_of(tenant_id, c.id, c.name, c.city, c.emails, c.phones)
    ]
    statements = []
    if not fresh:
        statements.append(delete(CustomerIdentity).where(CustomerIdentity.customer_id.in_(ids)))
    if rows:
        statements.append((insert(CustomerIdentity), rows))
    return statements


async def rewrite(session_or_conn, tenant_id: int, customers: Sequence) -> None:
    """For writes that bypass the ORM (the listener below covers the others)."""
    for statement in rewrite_statements(tenant_id, customers):
        if isinstance(statement, tuple):
            await session_or_conn.execute(*statement)
        else:
            await session_or_conn.execute(statement)


def _changed(customer: Customer, inserted: bool) -> bool:
    if inserted:
        return True
    attrs = inspect(customer).attrs
    return any(attrs[key].history.has_changes() for key in WATCHED)


@event.listens_for(Session, "after_flush")
def _keep_identities(session: Session, flush_context) -> None:
    """Same transaction as the flush that wrote the customers (see the module's doc)."""
    groups: dict[tuple[int, bool], list[Customer]] = {}
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Customer) and obj not in session.deleted:
            fresh = obj in session.new
            if _changed(obj, fresh):
                groups.setdefault((obj.tenant_id, fresh), []).append(obj)
    if not groups:
        return
    connection = session.connection()
    for (tenant_id, fresh), customers in groups.items():
        for start in range(0, len(customers), CHUNK):
            part = customers[start : start + CHUNK]
            for statement in rewrite_statements(tenant_id, part, fresh):
                if isinstance(statement, tuple):
                    connection.execute(*statement)
                else:
                    connection.execute(statement)
