"""GraphQL types of the insurance module. Related rows load through per-request loaders
(`insurance.*`), so a page of 50 customers costs the statements of a page of 5."""

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

import strawberry
from sqlalchemy import select, union
from strawberry import Private

from core import access, multiread
from core.pagination import PageRequest, decode_cursor
from plugins.insurance import queries as q
from schema import overview
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


async def _customer(info: Info, customer_id: int) -> Customer:
    return Customer.from_row(await info.context.loaders.customer.load(customer_id))


@strawberry.type(description="An insurer the tenant's customers hold policies with.")
class InsuranceProvider(Node):
    name: str = strawberry.field(description="Unique in the tenant, ignoring case.")
    phone: str | None
    email: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row) -> "InsuranceProvider":
        return cls(
            pk=row["id"],
            name=row["name"],
            phone=row["phone"],
            email=row["email"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


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
        return cls(
            pk=row["id"],
            number=row["number"],
            coverage_description=row["coverage_description"],
            coverage_limit=Money(amount=row["coverage_amount"], currency=row["coverage_currency"]),
            premium=Money(amount=row["premium_amount"], currency=row["premium_currency"]),
            premium_period=InsurancePremiumPeriod(row["premium_period"]),
            start_date=row["start_date"],
            end_date=row["end_date"],
            cancelled_at=row["cancelled_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            stored_status=row["status"],
            provider_id=row["provider_id"],
            customer_id=row["customer_id"],
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
        return await _customer(info, self.customer_id)


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
        currency = row["currency"]
        approved = row["approved_amount"]
        return cls(
            pk=row["id"],
            incident_date=row["incident_date"],
            description=row["description"],
            claimed_amount=Money(amount=row["claimed_amount"], currency=currency),
            approved_amount=None if approved is None else Money(amount=approved, currency=currency),
            status=InsuranceClaimStatus(row["status"]),
            note=row["note"],
            submitted_at=row["submitted_at"],
            decided_at=row["decided_at"],
            paid_at=row["paid_at"],
            updated_at=row["updated_at"],
            policy_id=row["policy_id"],
            customer_id=row["customer_id"],
        )

    @strawberry.field
    async def policy(self, info: Info) -> InsurancePolicy:
        return InsurancePolicy.from_row(await _load(info, "policy", q.policies, self.policy_id))

    @strawberry.field
    async def customer(self, info: Info) -> Customer:
        return await _customer(info, self.customer_id)


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


def _slice(first: int | None, after: str | None, listing: q.Listing, statuses) -> q.Slice:
    page = PageRequest(first=first, after=after).validated()
    cursor = None
    if after is not None:
        cursor = decode_cursor(after, "after", listing.order_key, listing.sort, False)
    return q.Slice(page.size, cursor, statuses)


def _total(info: Info, found: q.CustomerPage, what: str, counts, key):
    """`totalCount`: what the page's statement counted, else one batched count."""

    async def total() -> int:
        if found.total is not None:
            return found.total
        return await _load(info, f"{what}_count", counts, key)

    return total


@strawberry.type(description="The customer's insurance: policies, claims, what needs attention.")
class CustomerInsurance:
    customer_id: Private[int]

    @strawberry.field(description="Newest first; at most 100 per page.")
    async def policies(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: InsurancePolicyFilter | None = None,
    ) -> Connection[InsurancePolicy]:
        want = _slice(first, after, q.POLICY_LIST, statuses_of(filter))
        found = await _load(info, "policies", q.policy_pages, (self.customer_id, want))
        key = (self.customer_id, want.statuses)
        nodes = [InsurancePolicy.from_row(r) for r in found.page.rows]
        return connection(found.page, nodes, _total(info, found, "policy", q.policy_counts, key))

    @strawberry.field(description="Newest first; at most 100 per page.")
    async def claims(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: InsuranceClaimFilter | None = None,
    ) -> Connection[InsuranceClaim]:
        want = _slice(first, after, q.CLAIM_LIST, statuses_of(filter))
        found = await _load(info, "claims", q.claim_pages, (self.customer_id, want))
        key = (self.customer_id, want.statuses)
        nodes = [InsuranceClaim.from_row(r) for r in found.page.rows]
        return connection(found.page, nodes, _total(info, found, "claim", q.claim_counts, key))

    @strawberry.field(description="Claims SUBMITTED or IN_REVIEW: the tab's badge.")
    async def open_claim_count(self, info: Info) -> int:
        key = (self.customer_id, q.OPEN_CLAIMS)
        return await _load(info, "claim_count", q.claim_counts, key)

    @strawberry.field(description="Policies neither expired nor cancelled.")
    async def active_policy_count(self, info: Info) -> int:
        key = (self.customer_id, q.ACTIVE_POLICIES)
        return await _load(info, "policy_count", q.policy_counts, key)


# field: (listing, page loader, its batch, count loader, its batch)
LISTS = {
    "policies": (q.POLICY_LIST, "policies", q.policy_pages, "policy_count", q.policy_counts),
    "claims": (q.CLAIM_LIST, "claims", q.claim_pages, "claim_count", q.claim_counts),
}
COUNTS = {
    "activePolicyCount": ("policies", q.ACTIVE_POLICIES),
    "openClaimCount": ("claims", q.OPEN_CLAIMS),
}


@dataclass(frozen=True)
class Overview:
    """What the selection under `insurance` reads: first pages `(list, slice)`, counts
    `(list, statuses)`, the providers of the policies shown."""

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
            pages.add((field.name, q.Slice(page.size, None, statuses)))
            providers |= field.name == "policies" and overview.selects(field, "provider")
    if not (pages or counts):
        return None
    return Overview(frozenset(pages), frozenset(counts), providers)


async def _read(conn, ctx, customer_ids: list[int], want: Overview) -> None:
    """All of `want` for these customers in one statement, into the loaders' caches."""
    tenant_id, loaders = ctx.principal.tenant_id, ctx.loaders
    parts = {}
    for name, wanted in want.pages:
        parts[name, wanted] = q.page_query(LISTS[name][0], tenant_id, wanted, customer_ids)
    counted = {}
    for name, statuses in want.counts:
        counted.setdefault(name, []).extend((i, statuses) for i in customer_ids)
    for name, keys in counted.items():
        parts["count", name] = q.counts_query(LISTS[name][0], tenant_id, keys)
    policies = [wanted.statuses for name, wanted in want.pages if name == "policies"]
    if want.providers and policies:  # those of all the lists' policies: a few more than shown
        shown = union(*(q.provider_ids(tenant_id, customer_ids, s) for s in policies))
        parts["providers"] = select(q.PROVIDERS).where(
            q.PROVIDERS.c.tenant_id == tenant_id, q.PROVIDERS.c.id.in_(shown)
        )
    found = dict(zip(parts, await multiread.read(conn, list(parts.values())), strict=True))
    for name, wanted in want.pages:
        listing, key, batch, _, _ = LISTS[name]
        made = q.pages_of(listing, wanted, customer_ids, found[name, wanted])
        loader = loaders.custom(f"insurance.{key}", batch)
        for customer_id, page in made.items():
            loader.prime((customer_id, wanted), page)
    for name, keys in counted.items():
        _, _, _, key, batch = LISTS[name]
        rows = [tuple(row.values()) for row in found["count", name]]
        loader = loaders.custom(f"insurance.{key}", batch)
        for count_key, n in zip(keys, q.counts_of(keys, rows), strict=True):
            loader.prime(count_key, n)
    providers = loaders.custom("insurance.provider", q.providers)
    for row in found.get("providers", []):
        providers.prime(row["id"], row)


async def customer_insurance(root: Customer, info: Info) -> CustomerInsurance:
    access.require(info.context.principal, "insurance.view")
    want = overview.plan(info, "insurance", _overview)
    if want is not None:
        await overview.read_once(info, "insurance", root.pk, want, _read)
    return CustomerInsurance(customer_id=root.pk)
