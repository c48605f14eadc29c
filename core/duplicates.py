"""Duplicate detection on customer writes and the `possibleDuplicates` cleanup list.

A write is checked after its flush (the identities are written by then, `core/identities.py`)
for the identity values it *added*: a new customer's all, an edit's new email, phone or
name-and-city key. An edit that keeps an old, already shared email is not flagged again.

The tenant's `duplicate_policy`: WARN lists the candidates the worker may see with the
write; BLOCK refuses the write (`DUPLICATE`, the transaction rolls back) when any customer of
the tenant matches, seen or not (the tenant asked for no duplicates; only the visible ones are
listed). `allowDuplicate` overrides BLOCK for workers who may merge (`customers.delete`): they
are the ones who can clean up afterwards. A sub-customer's parent and children are never its
duplicates (it copies the parent's phones)."""

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select, tuple_

from core import access
from core.auth import Principal
from core.errors import InvalidInput, Problem
from core.identities import identities_of
from core.models import Customer, CustomerIdentity, Tenant

MAX_CANDIDATES = 20
POLICIES = ("WARN", "BLOCK")


@dataclass
class Candidate:
    customer: Customer
    reasons: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)


class DuplicateFound(InvalidInput):
    """BLOCK refused the write; `candidates` are the visible matches."""

    def __init__(self, candidates: list[Candidate], hidden: bool):
        message = "This looks like a customer that already exists"
        if not candidates and hidden:
            message += " (one you cannot see)"
        super().__init__([Problem(("input",), message + ".", "DUPLICATE")])
        self.candidates = candidates


def snapshot(customer: Customer | None) -> set[tuple[str, str]]:
    """The identities a customer has now, to compare with after an edit."""
    if customer is None:
        return set()
    return identities_of(customer.name, customer.city, customer.emails, customer.phones)


async def check(
    session,
    principal: Principal,
    customer: Customer,
    before: set[tuple[str, str]],
    allow: bool = False,
) -> list[Candidate]:
    """The candidates for the identities `customer` gained since `before`; raises
    `DuplicateFound` under BLOCK. Also kept in `session.info["duplicates"][customer.id]`."""
    added = sorted(snapshot(customer) - before)
    found: list[Candidate] = []
    if added:
        policy = None
        if session.bind.dialect.name == "postgresql":
            policy = await _policy(session, principal)
            if policy == "BLOCK":
                await _lock(session, principal.tenant_id, added)
        found, hidden = await _matches(session, principal, customer, added)
        if found or hidden:
            policy = policy or await _policy(session, principal)
            overridden = allow and access.can(principal, "customers.delete")
            if policy == "BLOCK" and not overridden:
                raise DuplicateFound(found, hidden)
    session.info.setdefault("duplicates", {})[customer.id] = found
    return found


async def _policy(session, principal: Principal) -> str:
    return await session.scalar(
        select(Tenant.duplicate_policy).where(Tenant.id == principal.tenant_id)
    )


async def _lock(session, tenant_id: int, added: list[tuple[str, str]]) -> None:
    """BLOCK on PostgreSQL: two writers adding the same email at once would each find none
    of the other's uncommitted identities and both pass. A transaction lock per value (taken
    in one order, so two writers never wait on each other crosswise) makes the second wait
    for the first's commit; its check, a later statement, then sees the first's row. SQLite
    needs none: its writers take turns."""
    keys = sorted({f"{tenant_id}:{kind}:{value}" for kind, value in added})
    await session.execute(
        select(*(func.pg_advisory_xact_lock(func.hashtextextended(key, 0)) for key in keys))
    )


async def _matches(session, principal, customer, added) -> tuple[list[Candidate], bool]:
    by_kind: dict[str, list[str]] = {}
    for kind, value in added:
        by_kind.setdefault(kind, []).append(value)
    match = or_(
        *(
            and_(CustomerIdentity.kind == kind, CustomerIdentity.value.in_(values))
            for kind, values in by_kind.items()
        )
    )
    family = [c for c in (customer.id, customer.parent_id) if c is not None]
    rows = (
        await session.execute(
            select(
                CustomerIdentity.customer_id,
                CustomerIdentity.kind,
                CustomerIdentity.value,
                access.visible_customers(principal).label("visible"),
            )
            .join(Customer, Customer.id == CustomerIdentity.customer_id)
            .where(
                CustomerIdentity.tenant_id == principal.tenant_id,
                match,
                CustomerIdentity.customer_id.not_in(family),
                func.coalesce(Customer.parent_id, 0) != customer.id,
            )
            .order_by(CustomerIdentity.customer_id, CustomerIdentity.kind)
        )
    ).all()
    hidden = any(not r.visible for r in rows)
    by_id: dict[int, Candidate] = {}
    for row in rows:
        if row.visible and (row.customer_id in by_id or len(by_id) < MAX_CANDIDATES):
            candidate = by_id.setdefault(row.customer_id, Candidate(None))  # type: ignore[arg-type]
            if row.kind not in candidate.reasons:
                candidate.reasons.append(row.kind)
            candidate.values.append(row.value)
    if by_id:
        loaded = await session.scalars(select(Customer).where(Customer.id.in_(list(by_id))))
        for other in loaded:
            by_id[other.id].customer = other
    return [by_id[i] for i in sorted(by_id)], hidden


# --- the cleanup list ---------------------------------------------------------------------


@dataclass
class Group:
    kind: str
    value: str
    customers: list  # rows of `customers`


def groups_query(principal: Principal, first: int, after: tuple[str, str] | None):
    """The (kind, value) keys of a page of groups: a GROUP BY walking the identity index."""
    visible = select(Customer.id).where(
        Customer.tenant_id == principal.tenant_id, access.visible_customers(principal)
    )
    query = (
        select(CustomerIdentity.kind, CustomerIdentity.value)
        .where(CustomerIdentity.tenant_id == principal.tenant_id)
        .group_by(CustomerIdentity.kind, CustomerIdentity.value)
        .order_by(CustomerIdentity.kind, CustomerIdentity.value)
        .limit(first + 1)
    )
    if not access.can(principal, "customers.view_all"):
        query = query.where(CustomerIdentity.customer_id.in_(visible))
    if after is not None:
        query = query.where(tuple_(CustomerIdentity.kind, CustomerIdentity.value) > tuple_(*after))
    return query.having(func.count() > 1)


async def possible_duplicates(
    conn, principal: Principal, first: int, after: tuple[str, str] | None
) -> tuple[list[Group], bool]:
    """Groups of two or more visible customers sharing an identity, ordered by (kind, value),
    keyset-paged on it. One GROUP BY over the identity index, then one read of the page's
    customers."""
    query = groups_query(principal, first, after)
    keys = [(r.kind, r.value) for r in await conn.execute(query)]
    more = len(keys) > first
    keys = keys[:first]
    if not keys:
        return [], more
    members = await conn.execute(
        select(
            CustomerIdentity.kind.label("dup_kind"),
            CustomerIdentity.value.label("dup_value"),
            *Customer.__table__.columns,
        )
        .join(Customer, Customer.id == CustomerIdentity.customer_id)
        .where(
            CustomerIdentity.tenant_id == principal.tenant_id,
            tuple_(CustomerIdentity.kind, CustomerIdentity.value).in_(keys),
            access.visible_customers(principal),
        )
        .order_by(CustomerIdentity.kind, CustomerIdentity.value, Customer.id)
    )
    grouped: dict[tuple[str, str], list] = {key: [] for key in keys}
    for row in members:
        grouped[(row.dup_kind, row.dup_value)].append(row._mapping)
    return [Group(k, v, rows) for (k, v), rows in grouped.items()], more
