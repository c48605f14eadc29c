"""Batched reads for the loaders: Core selects of plain rows, one statement per batch.

A customer's policies and claims are keyset pages cut per customer with `row_number()`, so a
list page of customers asking for `policies(first: 5)` costs one statement whatever its
length (one per distinct page arguments, which the rows of a list page share)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, false, func, or_, select

from core.access import visible_customers
from core.auth import Principal
from core.models import Customer, utcnow
from core.pagination import Page, PageRequest, encode_cursor, fetch_page
from plugins.insurance.models import InsuranceClaim, InsurancePolicy, InsuranceProvider

PROVIDERS = InsuranceProvider.__table__
POLICIES = InsurancePolicy.__table__
CLAIMS = InsuranceClaim.__table__
OPEN_CLAIMS = ("IN_REVIEW", "SUBMITTED")  # sorted, like the statuses of a filter
ACTIVE_POLICIES = ("ACTIVE",)


def today() -> date:
    """Expiry is judged on the UTC date: a policy ending today is active all day."""
    return utcnow().date()


def policy_statuses(statuses):
    """The effective statuses as SQL: EXPIRED is an ACTIVE row past its end date."""
    on = today()
    stored_active = POLICIES.c.status == "ACTIVE"
    parts = {
        "ACTIVE": and_(stored_active, POLICIES.c.end_date >= on),
        "EXPIRED": and_(stored_active, POLICIES.c.end_date < on),
        "CANCELLED": POLICIES.c.status == "CANCELLED",
    }
    return or_(false(), *(parts[s] for s in statuses))


def claim_statuses(statuses):
    return CLAIMS.c.status.in_(list(statuses))


@dataclass(frozen=True)
class Slice:
    """What a per-customer page asks for; customers asking the same share one statement."""

    size: int
    after: tuple[datetime, int] | None
    statuses: tuple[str, ...] | None


@dataclass(frozen=True)
class Listing:
    """How a customer's list is filtered and ordered (newest first)."""

    table: object
    sort: object
    condition: object

    @property
    def order_key(self) -> str:
        return f"{self.sort.key}:desc"


POLICY_LIST = Listing(POLICIES, POLICIES.c.created_at, policy_statuses)
CLAIM_LIST = Listing(CLAIMS, CLAIMS.c.submitted_at, claim_statuses)


@dataclass(frozen=True)
class CustomerPage:
    page: Page
    total: int | None  # None: nothing past the cursor, so the page cannot tell


def page_query(listing: Listing, tenant_id: int, want: Slice, customer_ids):
    """Each customer's page and how many rows match its filter (`total`), in one select."""
    table = listing.table
    where = [table.c.tenant_id == tenant_id, table.c.customer_id.in_(customer_ids)]
    if want.statuses is not None:
        where.append(listing.condition(want.statuses))
    total = func.count().over(partition_by=table.c.customer_id).label("total")
    matching = select(table, total).where(*where).subquery()
    c, sort = matching.c, matching.c[listing.sort.key]
    rank = func.row_number().over(partition_by=c.customer_id, order_by=(sort.desc(), c.id.desc()))
    ranked = select(matching, rank.label("rank"))
    if want.after is not None:
        value, row_id = want.after
        ranked = ranked.where(or_(sort < value, and_(sort == value, c.id < row_id)))
    ranked = ranked.subquery()
    return (
        select(ranked)
        .where(ranked.c.rank <= want.size + 1)
        .order_by(ranked.c.customer_id, ranked.c.rank)
    )


def pages_of(listing: Listing, want: Slice, customer_ids, rows) -> dict[int, CustomerPage]:
    """`page_query`'s rows as each customer's page."""
    found = defaultdict(list)
    for row in rows:
        found[row["customer_id"]].append(row)
    pages = {}
    for customer_id in customer_ids:
        items = found[customer_id]
        shown = items[: want.size]
        cursors = [encode_cursor(listing.order_key, r[listing.sort.key], r["id"]) for r in shown]
        page = Page(shown, cursors, len(items) > want.size, want.after is not None)
        count = items[0]["total"] if items else (0 if want.after is None else None)
        pages[customer_id] = CustomerPage(page, count)
    return pages


def provider_ids(tenant_id: int, customer_ids, statuses):
    """The providers of the customers' policies in these statuses (None: all)."""
    query = select(POLICIES.c.provider_id).where(
        POLICIES.c.tenant_id == tenant_id, POLICIES.c.customer_id.in_(customer_ids)
    )
    return query if statuses is None else query.where(policy_statuses(statuses))


async def _pages(conn, listing: Listing, tenant_id: int, keys) -> list[CustomerPage]:
    wanted: dict[Slice, list[int]] = defaultdict(list)
    for customer_id, want in keys:
        wanted[want].append(customer_id)
    pages = {}
    for want, customer_ids in wanted.items():
        query = page_query(listing, tenant_id, want, customer_ids)
        found = pages_of(listing, want, customer_ids, (await conn.execute(query)).mappings())
        pages.update({(customer_id, want): page for customer_id, page in found.items()})
    return [pages[key] for key in keys]


def counts_query(listing: Listing, tenant_id: int, keys):
    """`keys`: (customer id, statuses or None). One select whatever the mix of filters: a
    column per distinct filter, in the order of their first key."""
    table = listing.table
    filters = list(dict.fromkeys(statuses for _, statuses in keys))
    columns = [
        func.count() if f is None else func.sum(case((listing.condition(f), 1), else_=0))
        for f in filters
    ]
    customer_ids = list(dict.fromkeys(customer_id for customer_id, _ in keys))
    return (
        select(table.c.customer_id, *columns)
        .where(table.c.tenant_id == tenant_id, table.c.customer_id.in_(customer_ids))
        .group_by(table.c.customer_id)
    )


def counts_of(keys, rows) -> list[int]:
    """`counts_query`'s rows (tuples) as one count per key."""
    filters = list(dict.fromkeys(statuses for _, statuses in keys))
    found = {row[0]: row[1:] for row in rows}
    column = {f: i for i, f in enumerate(filters)}
    return [
        int(found[customer_id][column[f]]) if customer_id in found else 0 for customer_id, f in keys
    ]


async def _counts(conn, listing: Listing, tenant_id: int, keys) -> list[int]:
    return counts_of(keys, await conn.execute(counts_query(listing, tenant_id, keys)))


async def policy_pages(conn, principal: Principal, keys) -> list[Page]:
    return await _pages(conn, POLICY_LIST, principal.tenant_id, keys)


async def claim_pages(conn, principal: Principal, keys) -> list[Page]:
    return await _pages(conn, CLAIM_LIST, principal.tenant_id, keys)


async def policy_counts(conn, principal: Principal, keys) -> list[int]:
    return await _counts(conn, POLICY_LIST, principal.tenant_id, keys)


async def claim_counts(conn, principal: Principal, keys) -> list[int]:
    return await _counts(conn, CLAIM_LIST, principal.tenant_id, keys)


def open_claim_counts(tenant_id: int, customer_ids):
    """(customer id, open claims): the tab's badge."""
    return (
        select(CLAIMS.c.customer_id, func.count())
        .where(
            CLAIMS.c.tenant_id == tenant_id,
            CLAIMS.c.customer_id.in_(customer_ids),
            claim_statuses(OPEN_CLAIMS),
        )
        .group_by(CLAIMS.c.customer_id)
    )


async def providers(conn, principal: Principal, ids) -> list:
    rows = await conn.execute(
        select(PROVIDERS).where(
            PROVIDERS.c.tenant_id == principal.tenant_id, PROVIDERS.c.id.in_(list(ids))
        )
    )
    found = {r["id"]: r for r in rows.mappings()}
    return [found.get(i) for i in ids]


def _visible(table, principal: Principal, *columns):
    """Rows of `table` (or `columns` of them) whose customer this principal may see."""
    return (
        select(*(columns or [table]))
        .select_from(table.join(Customer, Customer.id == table.c.customer_id))
        .where(table.c.tenant_id == principal.tenant_id, visible_customers(principal))
    )


async def _by_ids(conn, table, principal: Principal, ids) -> list:
    rows = await conn.execute(_visible(table, principal).where(table.c.id.in_(list(ids))))
    found = {r["id"]: r for r in rows.mappings()}
    return [found.get(i) for i in ids]


async def policies(conn, principal: Principal, ids) -> list:
    return await _by_ids(conn, POLICIES, principal, ids)


async def claims(conn, principal: Principal, ids) -> list:
    return await _by_ids(conn, CLAIMS, principal, ids)


async def provider_page(conn, tenant_id: int, page: PageRequest) -> Page:
    query = select(PROVIDERS).where(PROVIDERS.c.tenant_id == tenant_id)
    return await fetch_page(conn, query, page, PROVIDERS.c.name, PROVIDERS.c.id)


async def provider_count(conn, tenant_id: int) -> int:
    query = select(func.count()).where(PROVIDERS.c.tenant_id == tenant_id)
    return await conn.scalar(query)


def _queue(principal: Principal, statuses, *columns):
    query = _visible(CLAIMS, principal, *columns)
    return query if statuses is None else query.where(claim_statuses(statuses))


async def claim_queue(conn, principal: Principal, statuses, page: PageRequest) -> Page:
    query = _queue(principal, statuses)
    return await fetch_page(conn, query, page, CLAIMS.c.submitted_at, CLAIMS.c.id, True)


async def claim_queue_count(conn, principal: Principal, statuses) -> int:
    return await conn.scalar(_queue(principal, statuses, func.count()))


async def export(conn, tenant_id: int, customer_id: int) -> dict:
    """The customer's policies (with their provider's name) and claims, oldest first."""
    policy_rows = await conn.execute(
        select(POLICIES, PROVIDERS.c.name.label("provider_name"))
        .join(PROVIDERS, PROVIDERS.c.id == POLICIES.c.provider_id)
        .where(POLICIES.c.tenant_id == tenant_id, POLICIES.c.customer_id == customer_id)
        .order_by(POLICIES.c.id)
    )
    claim_rows = await conn.execute(
        select(CLAIMS)
        .where(CLAIMS.c.tenant_id == tenant_id, CLAIMS.c.customer_id == customer_id)
        .order_by(CLAIMS.c.id)
    )
    return {
        "policies": [dict(r) for r in policy_rows.mappings()],
        "claims": [dict(r) for r in claim_rows.mappings()],
    }
