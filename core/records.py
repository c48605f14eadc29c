"""What a module's writes share: the row to change (locked, of a customer the worker may
change), checked input, guarded status moves, per-tenant numbers, events and merges. Plain
functions over the module's own models; a module calls what it needs and nothing more.

The rule they keep: a module's row is part of its customer's record. Reading it takes a
customer the worker may see; changing it takes one they may change
(`core.customers.get_customer`); anything else looks exactly like a row that does not
exist (NOT_FOUND), whatever the tenant."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, events
from core.auth import Principal
from core.catalog import clean_text
from core.customers import get_customer
from core.errors import InvalidInput, NotFound, Problem
from core.models import Customer, Worker, utcnow

__all__ = [
    "Transitions",
    "check_worker",
    "clean_text",
    "emit",
    "fail_if",
    "for_update",
    "move_to_customer",
    "next_number",
    "upsert",
    "utc",
    "visible_row",
]


def fail_if(problems: list[Problem]) -> None:
    """Everything wrong is reported at once, and nothing is written."""
    if problems:
        raise InvalidInput(problems)


def utc(value: datetime | None) -> datetime | None:
    """A time without an offset is taken as UTC, like every time of the API."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


async def check_worker(
    session: AsyncSession, tenant_id: int, worker_id: int | None, field: str, problems: list
) -> None:
    """NOT_FOUND at `("input", field)` unless the worker is the tenant's (None passes)."""
    if worker_id is None:
        return
    found = await session.scalar(
        select(Worker.id).where(Worker.tenant_id == tenant_id, Worker.id == worker_id)
    )
    if found is None:
        problems.append(Problem(("input", field), "Worker not found.", "NOT_FOUND"))


async def visible_row(session: AsyncSession, principal: Principal, model, row_id: int, what: str):
    """The module row if its customer is visible to the principal, else NOT_FOUND(what)."""
    row = await session.scalar(
        select(model)
        .join(Customer, Customer.id == model.customer_id)
        .where(model.tenant_id == principal.tenant_id, model.id == row_id)
        .where(access.visible_customers(principal))
    )
    if row is None:
        raise NotFound(what)
    return row


async def for_update(session: AsyncSession, principal: Principal, model, row_id: int, what: str):
    """The module row to change, locked until the transaction ends (so status moves never
    interleave), of a customer the worker may change: invisible is NOT_FOUND, visible but
    not editable is FORBIDDEN, as for the customer itself.

    The customer is locked first, then the row: every write that touches a customer's
    records takes its locks in that one order, so two of them never wait for each other in
    a circle (payments' `recordPayment` locks the customer before its invoice; the other
    order deadlocked 6 races in 15 against `voidInvoice` on PostgreSQL)."""
    customer_id = await session.scalar(
        select(model.customer_id).where(model.tenant_id == principal.tenant_id, model.id == row_id)
    )
    if customer_id is None:
        raise NotFound(what)
    try:
        await get_customer(session, principal, customer_id)
    except NotFound as exc:
        raise NotFound(what) from exc
    row = await session.scalar(
        select(model)
        .where(model.id == row_id, model.customer_id == customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:  # moved to another customer (a merge) in between
        raise NotFound(what)
    return row


@dataclass(frozen=True)
class Transitions:
    """A status machine: from each status, the statuses it may move to (an empty set: final).
    `what` names the record in messages ("A ticket")."""

    what: str
    moves: dict[str, frozenset[str]]

    def check(self, old: str, new: str, field: tuple = ("input", "status")) -> bool:
        """True for a legal move, False for "already there" (a no-op), INVALID_TRANSITION
        naming both ends and what is allowed otherwise."""
        if old == new:
            return False
        if new not in self.moves[old]:
            allowed = ", ".join(sorted(self.moves[old])) or "nothing: it is final"
            raise InvalidInput.one(
                field,
                f"{self.what} cannot go from {old} to {new} (from {old}: {allowed}).",
                "INVALID_TRANSITION",
            )
        return True


def upsert(session: AsyncSession, table):
    """INSERT … ON CONFLICT for the session's database."""
    dialect = session.bind.dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


async def advance_marker(
    session: AsyncSession, table, key: dict, column: str, value: int, **values
) -> None:
    """A per-worker marker row (`key`: its primary key) whose `column` only ever moves
    forward (a read marker's newest read message): created at `value`, raised to it, never
    lowered, in one upsert (two readers at once: the greater wins)."""
    insert = upsert(session, table).values(**key, **values, **{column: value})
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=list(key),
            set_={column: insert.excluded[column]},
            where=table.c[column] < insert.excluded[column],
        )
    )


async def next_number(session: AsyncSession, counter, tenant_id: int, first: int, **key) -> int:
    """The tenant's next number from a counter table (`tenant_id`, any `key` columns,
    `last_number`), gapless: one upsert that the database serialises per counter row, held
    until commit, so two records made at once never share a number."""
    table = getattr(counter, "__table__", counter)
    conflict = ["tenant_id", *key]
    statement = (
        upsert(session, table)
        .values(tenant_id=tenant_id, last_number=first, **key)
        .on_conflict_do_update(
            index_elements=conflict, set_={"last_number": table.c.last_number + 1}
        )
        .returning(table.c.last_number)
    )
    return (await session.execute(statement)).scalar_one()


async def emit(
    session, principal: Principal, name: str, customer_id: int | None, /, **data
) -> None:
    """An event of the worker's tenant, by the worker, into the outbox with the write (the
    first four are positional, so the data may have a `name`)."""
    event = events.Event(name, principal.tenant_id, customer_id, data, principal.worker_id)
    await events.emit(session, event)


async def move_to_customer(session, tenant_id: int, source_id: int, target_id: int, *models):
    """Merging customers: the source's rows of these models follow to the target."""
    for model in models:
        await session.execute(
            update(model)
            .where(model.tenant_id == tenant_id, model.customer_id == source_id)
            .values(customer_id=target_id)
            .execution_options(synchronize_session=False)
        )


def fingerprint(facts: dict) -> str:
    """What a request asked for, as an idempotency key remembers it: the SHA-256 of its
    facts as sorted JSON (other values as `str`)."""
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def key_reused(what: str) -> InvalidInput:
    return InvalidInput.one(
        ("input", "idempotencyKey"),
        f"This idempotency key was used for a different {what}; use a new key.",
        "IDEMPOTENCY_KEY_REUSED",
    )


async def claim_key(
    session: AsyncSession, keys, tenant_id: int, key: str, facts: str, made, what: str
) -> int | None:
    """None when this request owns the key (a row of `keys`: `tenant_id`, `key`,
    `fingerprint`, `created_at`, and `made`, the column the caller sets to what it makes);
    for a retry of the same request, what the first one made; IDEMPOTENCY_KEY_REUSED for
    other `facts` (a `fingerprint`). The INSERT is the transaction's first write: a twin in
    flight waits for its commit or rollback on both databases."""
    table = getattr(keys, "__table__", keys)
    claimed = await session.scalar(
        upsert(session, table)
        .values(tenant_id=tenant_id, key=key, fingerprint=facts, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
        .returning(table.c.key)
    )
    if claimed is not None:
        return None
    first = (
        await session.execute(
            select(table.c.fingerprint, made).where(
                table.c.tenant_id == tenant_id, table.c.key == key
            )
        )
    ).one()
    if first[0] != facts or first[1] is None:
        raise key_reused(what)
    return first[1]
