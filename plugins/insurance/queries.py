"""Batched reads for the loaders: Core selects of plain rows, one statement per batch.

A customer's policies and claims are keyset pages cut per customer (`core.keyset`), so a
list page of customers asking for `policies(first: 5)` costs one statement whatever its
length (one per distinct page arguments, which the rows of a list page share)."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, false, func, or_, select

from core import keyset
from core.auth import Principal
from core.keyset import Order
from core.models import today_param, utcnow
from core.pagination import Page, PageRequest, fetch_page
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
    on = today_param()
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
class Listing:
    """A customer's policies or claims, newest first; `statuses` (None: all) filter them."""

    table: object
    order: Order
    condition: object  # statuses -> SQL

    def _where(self, statuses) -> list:
        return [] if statuses is None else [self.condition(statuses)]

    def _conditions(self, tenant_id: int, statuses) -> list:
        return [self.table.c.tenant_id == tenant_id, *self._where(statuses)]

    def pages_query(self, tenant_id: int, customer_ids, statuses, page: PageRequest):
        where = self._conditions(tenant_id, statuses)
        return keyset.grouped_pages_query(
            self.table, "customer_id", customer_ids, where, self.order, page
        )

    async def pages(self, conn, tenant_id: int, customer_ids, statuses, page) -> list[Page]:
        where = self._conditions(tenant_id, statuses)
        return await keyset.grouped_pages(
            conn, self.table, "customer_id", customer_ids, where, self.order, page
        )

    def counts_query(self, tenant_id: int, customer_ids, statuses):
        """(customer id, rows in these statuses)."""
        where = self._where(statuses)
        return keyset.counts_query(self.table, "customer_id", tenant_id, customer_ids, *where)

    async def counts(self, conn, tenant_id: int, customer_ids, statuses) -> list[int]:
        where = self._where(statuses)
        return await keyset.counts(conn, self.table, "customer_id", tenant_id, customer_ids, *where)


POLICY_LIST = Listing(
    POLICIES,
    Order("policies:newest", ((POLICIES.c.created_at, True, False),), POLICIES.c.id),
    policy_statuses,
)
CLAIM_LIST = Listing(
    CLAIMS,
    Order("claims:newest", ((CLAIMS.c.submitted_at, True, False),), CLAIMS.c.id),
    claim_statuses,
)


def provider_ids(tenant_id: int, customer_ids, statuses):
    """The providers of the customers' policies in these statuses (None: all)."""
    query = select(POLICIES.c.provider_id).where(
        POLICIES.c.tenant_id == tenant_id, POLICIES.c.customer_id.in_(customer_ids)
    )
    return query if statuses is None else query.where(policy_statuses(statuses))


def open_claim_counts(tenant_id: int, customer_ids):
    """(customer id, open claims): the tab's badge."""
    return CLAIM_LIST.counts_query(tenant_id, customer_ids, OPEN_CLAIMS)


async def providers(conn, principal: Principal, ids) -> list:
    """Providers belong to the tenant, not to a customer: no visibility rule applies."""
    query = select(PROVIDERS).where(
        PROVIDERS.c.tenant_id == principal.tenant_id, PROVIDERS.c.id.in_(list(ids))
    )
    return await keyset.by_ids(conn, query, ids)


async def provider_page(conn, tenant_id: int, page: PageRequest) -> Page:
    query = select(PROVIDERS).where(PROVIDERS.c.tenant_id == tenant_id)
    return await fetch_page(conn, query, page, PROVIDERS.c.name, PROVIDERS.c.id)


async def provider_count(conn, tenant_id: int) -> int:
    query = select(func.count()).where(PROVIDERS.c.tenant_id == tenant_id)
    return await conn.scalar(query)


def _queue(principal: Principal, statuses):
    where = [] if statuses is None else [claim_statuses(statuses)]
    return keyset.visible(CLAIMS, principal, *where)


async def claim_queue(conn, principal: Principal, statuses, page: PageRequest) -> Page:
    """Claims across customers; `core.pagination` because the queue also pages backwards."""
    query = _queue(principal, statuses)
    return await fetch_page(conn, query, page, CLAIMS.c.submitted_at, CLAIMS.c.id, True)


async def claim_queue_count(conn, principal: Principal, statuses) -> int:
    return await conn.scalar(_queue(principal, statuses).with_only_columns(func.count()))


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
