"""GraphQL types of the insurance module. Related rows load through per-request loaders
(`insurance.*`), so a page of 50 customers costs the statements of a page of 5."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

import strawberry
from sqlalchemy import select, union
from strawberry import Private

from core import access, keyset, multiread
from plugins.insurance import queries as q
from schema import kit, overview
from schema.context import Info
from schema.customers.types import Customer
from schema.money import Money
from schema.relay import Connection, Node, connection


@strawberry.enum(
    description="ACTIVE until the end date has passed (UTC), then EXPIRED; CANCELLED when "
    "cancelled. EXPIRED is derived from the end date, never stored."
)
class InsurancePolicyStatus(Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="How often the premium is due.")
class InsurancePremiumPeriod(Enum):
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    YEARLY = "YEARLY"


@strawberry.enum(
    description="SUBMITTED → IN_REVIEW → APPROVED | REJECTED; APPROVED → PAID. "
    "SUBMITTED and IN_REVIEW are open (the tab's badge counts them)."
)
class InsuranceClaimStatus(Enum):
    SUBMITTED = "SUBMITTED"
    IN_REVIEW = "IN_REVIEW"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    PAID = "PAID"


def _load(info: Info, what: str, batch, key):
    return info.context.loaders.custom(f"insurance.{what}", batch).load(key)


@strawberry.type(description="An insurer the tenant's customers hold policies with.")
class InsuranceProvider(Node):
    name: str = strawberry.field(description="Unique in the tenant, ignoring case.")
    phone: str | None
    email: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row) -> "InsuranceProvider":
        return kit.from_row(cls, row)


@strawberry.type(description="A customer's insurance policy with one provider.")
class InsurancePolicy(Node):
    number: str = strawberry.field(description="Unique per provider.")
    coverage_description: str
    coverage_limit: Money = strawberry.field(
        description="The most the policy pays per claim; claims are in its currency."
    )
    premium: Money
    premium_period: InsurancePremiumPeriod
    start_date: date
    end_date: date = strawberry.field(description="Inclusive; never before `startDate`.")
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    stored_status: Private[str]
    provider_id: Private[int]
    customer_id: Private[int]

    @classmethod
    def from_row(cls, row) -> "InsurancePolicy":
        return kit.from_row(
            cls,
            row,
            coverage_limit=Money(amount=row["coverage_amount"], currency=row["coverage_currency"]),
            premium=Money(amount=row["premium_amount"], currency=row["premium_currency"]),
            stored_status=row["status"],
        )

    @strawberry.field
    def status(self) -> InsurancePolicyStatus:
        if self.stored_status == "CANCELLED":
            return InsurancePolicyStatus.CANCELLED
        if self.end_date < q.today():
            return InsurancePolicyStatus.EXPIRED
        return InsurancePolicyStatus.ACTIVE

    @strawberry.field
    async def provider(self, info: Info) -> InsuranceProvider:
        return InsuranceProvider.from_row(
            await _load(info, "provider", q.providers, self.provider_id)
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await kit.customer(info, self.customer_id)


@strawberry.type(description="A claim on a policy, moving through its workflow.")
class InsuranceClaim(Node):
    incident_date: date = strawberry.field(description="Inside the policy's period.")
    description: str
    claimed_amount: Money
    approved_amount: Money | None = strawberry.field(
        description="Set on approval; at most the claimed amount and the coverage limit."
    )
    status: InsuranceClaimStatus
    note: str | None = strawberry.field(description="The latest note given with a move.")
    submitted_at: datetime
    decided_at: datetime | None = strawberry.field(description="When approved or rejected.")
    paid_at: datetime | None
    updated_at: datetime
    policy_id: Private[int]
    customer_id: Private[int]

    @classmethod
    def from_row(cls, row) -> "InsuranceClaim":
        currency, approved = row["currency"], row["approved_amount"]
        return kit.from_row(
            cls,
            row,
            claimed_amount=Money(amount=row["claimed_amount"], currency=currency),
            approved_amount=None if approved is None else Money(amount=approved, currency=currency),
        )

    @strawberry.field
    async def policy(self, info: Info) -> InsurancePolicy:
        return await load_policy(info, self.policy_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await kit.customer(info, self.customer_id)


load_policy = kit.node_loader(q.POLICIES, InsurancePolicy)
load_claim = kit.node_loader(q.CLAIMS, InsuranceClaim)


async def load_provider(info: Info, pk: int) -> InsuranceProvider | None:
    row = await _load(info, "provider", q.providers, pk)
    return InsuranceProvider.from_row(row) if row else None


@strawberry.input(description="Every condition given must hold.")
class InsurancePolicyFilter:
    statuses: list[InsurancePolicyStatus] | None = strawberry.field(
        default=None, description="Policies in any of these statuses; empty matches none."
    )


@strawberry.input(description="Every condition given must hold.")
class InsuranceClaimFilter:
    statuses: list[InsuranceClaimStatus] | None = strawberry.field(
        default=None, description="Claims in any of these statuses; empty matches none."
    )


def statuses_of(f) -> tuple[str, ...] | None:
    if f is None or f.statuses is None:
        return None
    return tuple(sorted({s.value for s in f.statuses}))


LISTS = {"policies": q.POLICY_LIST, "claims": q.CLAIM_LIST}
COUNTS = {
    "activePolicyCount": ("policies", q.ACTIVE_POLICIES),
    "openClaimCount": ("claims", q.OPEN_CLAIMS),
}


def _page_loader(loaders, name: str, statuses, first, after):
    """The loader of one kind of page (list, statuses, arguments), and that page."""
    listing = LISTS[name]
    page = listing.order.request(first, after)

    async def batch(conn, principal, customer_ids):
        return await listing.pages(conn, principal.tenant_id, customer_ids, statuses, page)

    return loaders.custom(f"insurance.{name}:{statuses}:{first}:{after}", batch), page


def _count_loader(loaders, name: str, statuses):
    """A customer's rows of the list in these statuses: `totalCount` and the counts."""
    listing = LISTS[name]

    async def batch(conn, principal, customer_ids):
        return await listing.counts(conn, principal.tenant_id, customer_ids, statuses)

    return loaders.custom(f"insurance.{name}.count:{statuses}", batch)


@strawberry.type(description="The customer's insurance: policies, claims, what needs attention.")
class CustomerInsurance:
    customer_id: Private[int]

    async def _list(self, info: Info, name: str, first, after, f, build) -> Connection:
        loaders, statuses = info.context.loaders, statuses_of(f)
        pages, _ = _page_loader(loaders, name, statuses, first, after)
        found = await pages.load(self.customer_id)

        def count():
            return _count_loader(loaders, name, statuses).load(self.customer_id)

        return connection(found, [build(r) for r in found.rows], count)

    @strawberry.field(description="Newest first; at most 100 per page.")
    async def policies(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: InsurancePolicyFilter | None = None,
    ) -> Connection[InsurancePolicy]:
        return await self._list(info, "policies", first, after, filter, InsurancePolicy.from_row)

    @strawberry.field(description="Newest first; at most 100 per page.")
    async def claims(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: InsuranceClaimFilter | None = None,
    ) -> Connection[InsuranceClaim]:
        return await self._list(info, "claims", first, after, filter, InsuranceClaim.from_row)

    async def _count(self, info: Info, field: str) -> int:
        return await _count_loader(info.context.loaders, *COUNTS[field]).load(self.customer_id)

    @strawberry.field(description="Claims SUBMITTED or IN_REVIEW: the tab's badge.")
    async def open_claim_count(self, info: Info) -> int:
        return await self._count(info, "openClaimCount")

    @strawberry.field(description="Policies neither expired nor cancelled.")
    async def active_policy_count(self, info: Info) -> int:
        return await self._count(info, "activePolicyCount")


@dataclass(frozen=True)
class Overview:
    """What the selection under `insurance` reads: first pages `(list, statuses, first)`,
    counts `(list, statuses)`, the providers of the policies shown."""

    pages: frozenset = frozenset()
    counts: frozenset = frozenset()
    providers: bool = False


def _statuses(field):
    """What `statuses_of` makes of the field's `filter`; False for anything else."""
    f = overview.argument(field, "filter")
    if f is None or f == {"statuses": None}:
        return None
    if set(f) != {"statuses"} or not isinstance(f["statuses"], list):
        return False
    return tuple(sorted(set(f["statuses"])))


def _overview(fields) -> Overview | None:
    pages, counts, providers = set(), set(), False
    for field in fields:
        if field.name in COUNTS:
            counts.add(COUNTS[field.name])
        elif field.name in LISTS:
            page, statuses = overview.first_page(field), _statuses(field)
            if page is None or statuses is False:
                continue
            pages.add((field.name, statuses, page.first))
            if overview.selects(field, "totalCount"):
                counts.add((field.name, statuses))
            providers |= field.name == "policies" and overview.selects(field, "provider")
    if not (pages or counts):
        return None
    return Overview(frozenset(pages), frozenset(counts), providers)


async def _read(conn, ctx, customer_ids: list[int], want: Overview) -> None:
    """All of `want` for these customers in one statement, into the loaders' caches."""
    tenant_id, loaders = ctx.principal.tenant_id, ctx.loaders
    parts, pages = {}, {}
    for name, statuses, first in want.pages:
        pages[name, statuses, first] = _page_loader(loaders, name, statuses, first, None)
        page = pages[name, statuses, first][1]
        parts[name, statuses, first] = LISTS[name].pages_query(
            tenant_id, customer_ids, statuses, page
        )
    for name, statuses in want.counts:
        parts["count", name, statuses] = LISTS[name].counts_query(tenant_id, customer_ids, statuses)
    policies = [statuses for name, statuses, _ in want.pages if name == "policies"]
    if want.providers and policies:  # those of all the lists' policies: a few more than shown
        shown = union(*(q.provider_ids(tenant_id, customer_ids, s) for s in policies))
        parts["providers"] = select(q.PROVIDERS).where(
            q.PROVIDERS.c.tenant_id == tenant_id, q.PROVIDERS.c.id.in_(shown)
        )
    found = dict(zip(parts, await multiread.read(conn, list(parts.values())), strict=True))
    for key, (loader, page) in pages.items():
        order = LISTS[key[0]].order
        made = keyset.pages_of(found[key], "customer_id", customer_ids, order, page)
        for customer_id, made_page in zip(customer_ids, made, strict=True):
            loader.prime(customer_id, made_page)
    for name, statuses in want.counts:
        counts = overview.by_customer(found["count", name, statuses])
        loader = _count_loader(loaders, name, statuses)
        for customer_id in customer_ids:
            loader.prime(customer_id, counts.get(customer_id, 0))
    providers = loaders.custom("insurance.provider", q.providers)
    for row in found.get("providers", []):
        providers.prime(row["id"], row)


async def customer_insurance(root: Customer, info: Info) -> CustomerInsurance:
    access.require(info.context.principal, "insurance.view")
    want = overview.plan(info, "insurance", _overview)
    if want is not None:
        await overview.read_once(info, "insurance", root.pk, want, _read)
    return CustomerInsurance(customer_id=root.pk)
