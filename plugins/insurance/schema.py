"""The insurance module's API: the `insurance` field on Customer, the root queries and the
mutations."""

from datetime import date

import strawberry
from sqlalchemy import case
from strawberry import UNSET

from core import access
from core.models import today_param
from core.pagination import PageRequest
from plugins.insurance import queries as q
from plugins.insurance import service
from plugins.insurance.types import (
    COUNTS,
    LISTS,
    InsuranceClaim,
    InsuranceClaimFilter,
    InsuranceClaimStatus,
    InsurancePolicy,
    InsurancePremiumPeriod,
    InsuranceProvider,
    customer_insurance,
    statuses_of,
)
from schema import kit
from schema.compiled.customers import ModuleField, per_customer
from schema.compiled.module_lists import ModuleList, money, row_of
from schema.compiled.objects import column, gid
from schema.context import Info
from schema.customers.inputs import sent
from schema.ids import from_global_id
from schema.money import MoneyInput
from schema.payloads import payload
from schema.relay import Connection, connection

InsuranceProviderPayload = payload(InsuranceProvider, "provider")
InsurancePolicyPayload = payload(InsurancePolicy, "policy")
InsuranceClaimPayload = payload(InsuranceClaim, "claim")


@strawberry.input
class CreateInsuranceProviderInput:
    name: str = strawberry.field(description="Unique in the tenant, ignoring case.")
    phone: str | None = None
    email: str | None = None


@strawberry.input(description="Only the members sent change; null clears phone or email.")
class UpdateInsuranceProviderInput:
    id: strawberry.ID
    name: str | None = UNSET
    phone: str | None = UNSET
    email: str | None = UNSET


@strawberry.input
class CreateInsurancePolicyInput:
    customer_id: strawberry.ID
    provider_id: strawberry.ID
    number: str = strawberry.field(description="Unique per provider.")
    coverage_description: str
    coverage_limit: MoneyInput = strawberry.field(description="Claims are in its currency.")
    premium: MoneyInput
    premium_period: InsurancePremiumPeriod
    start_date: date
    end_date: date = strawberry.field(description="Inclusive; not before `startDate`.")


@strawberry.input(
    description="Only the members sent change. A policy with claims keeps its coverage "
    "currency and a period holding their incident dates; a cancelled one cannot change."
)
class UpdateInsurancePolicyInput:
    id: strawberry.ID
    provider_id: strawberry.ID | None = UNSET
    number: str | None = UNSET
    coverage_description: str | None = UNSET
    coverage_limit: MoneyInput | None = UNSET
    premium: MoneyInput | None = UNSET
    premium_period: InsurancePremiumPeriod | None = UNSET
    start_date: date | None = UNSET
    end_date: date | None = UNSET


@strawberry.input
class CancelInsurancePolicyInput:
    id: strawberry.ID


@strawberry.input(description="A claim of a customer on one of their own policies.")
class SubmitInsuranceClaimInput:
    customer_id: strawberry.ID
    policy_id: strawberry.ID
    incident_date: date = strawberry.field(
        description="Inside the policy's period, and not after its cancellation."
    )
    description: str
    claimed_amount: MoneyInput = strawberry.field(description="In the policy's currency.")


@strawberry.input(
    description="One step of the workflow: SUBMITTED → IN_REVIEW → APPROVED | REJECTED, "
    "APPROVED → PAID. Any other step is an INVALID_TRANSITION user error."
)
class MoveInsuranceClaimInput:
    id: strawberry.ID
    to: InsuranceClaimStatus
    approved_amount: MoneyInput | None = strawberry.field(
        default=None,
        description="Required to approve (at most the claimed amount and the coverage "
        "limit); refused otherwise.",
    )
    note: str | None = strawberry.field(default=None, description="Kept on the claim.")


def _policy_changes(input) -> dict:
    changes = sent(input, {name: name for name in service.POLICY_FIELDS})
    if "provider_id" in changes and changes["provider_id"] is not None:
        changes["provider_id"] = from_global_id(changes["provider_id"], "InsuranceProvider")
    if changes.get("premium_period") is not None:
        changes["premium_period"] = changes["premium_period"].value
    return changes


def _provider(info: Info, work, target: str = "id"):
    return kit.save(info, InsuranceProviderPayload, "provider", InsuranceProvider, work, target)


def _policy(info: Info, work, target: str = "id"):
    return kit.save(info, InsurancePolicyPayload, "policy", InsurancePolicy, work, target)


def _claim(info: Info, work, target: str = "id"):
    return kit.save(info, InsuranceClaimPayload, "claim", InsuranceClaim, work, target)


async def create_insurance_provider(
    info: Info, input: CreateInsuranceProviderInput
) -> InsuranceProviderPayload:
    changes = {"name": input.name, "phone": input.phone, "email": input.email}
    return await _provider(info, lambda s, p: service.save_provider(s, p, changes))


async def update_insurance_provider(
    info: Info, input: UpdateInsuranceProviderInput
) -> InsuranceProviderPayload:
    changes = sent(input, {"name": "name", "phone": "phone", "email": "email"})
    pk = from_global_id(input.id, "InsuranceProvider")
    return await _provider(info, lambda s, p: service.save_provider(s, p, changes, pk))


async def create_insurance_policy(
    info: Info, input: CreateInsurancePolicyInput
) -> InsurancePolicyPayload:
    customer_id = from_global_id(input.customer_id, "Customer")
    changes = _policy_changes(input)
    return await _policy(
        info, lambda s, p: service.create_policy(s, p, customer_id, changes), "customerId"
    )


async def update_insurance_policy(
    info: Info, input: UpdateInsurancePolicyInput
) -> InsurancePolicyPayload:
    pk = from_global_id(input.id, "InsurancePolicy")
    changes = _policy_changes(input)
    return await _policy(info, lambda s, p: service.update_policy(s, p, pk, changes))


async def cancel_insurance_policy(
    info: Info, input: CancelInsurancePolicyInput
) -> InsurancePolicyPayload:
    pk = from_global_id(input.id, "InsurancePolicy")
    return await _policy(info, lambda s, p: service.cancel_policy(s, p, pk))


async def submit_insurance_claim(
    info: Info, input: SubmitInsuranceClaimInput
) -> InsuranceClaimPayload:
    customer_id = from_global_id(input.customer_id, "Customer")
    policy_id = from_global_id(input.policy_id, "InsurancePolicy")

    def work(session, principal):
        return service.submit_claim(
            session,
            principal,
            customer_id,
            policy_id,
            input.incident_date,
            input.description,
            input.claimed_amount,
        )

    return await _claim(info, work, "customerId")


async def move_insurance_claim(info: Info, input: MoveInsuranceClaimInput) -> InsuranceClaimPayload:
    pk = from_global_id(input.id, "InsuranceClaim")

    def work(session, principal):
        return service.move_claim(
            session, principal, pk, input.to.value, input.approved_amount, input.note
        )

    return await _claim(info, work)


async def insurance_providers(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[InsuranceProvider]:
    ctx = info.context
    access.require(ctx.principal, "insurance.view")
    tenant_id = ctx.principal.tenant_id
    async with ctx.read() as conn:
        page = await q.provider_page(conn, tenant_id, PageRequest(first, after, last, before))

    async def count() -> int:
        async with ctx.read() as conn:
            return await q.provider_count(conn, tenant_id)

    return connection(page, [InsuranceProvider.from_row(r) for r in page.rows], count)


async def insurance_claims(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: InsuranceClaimFilter | None = None,
) -> Connection[InsuranceClaim]:
    ctx = info.context
    principal = ctx.principal
    access.require(principal, "insurance.view")
    statuses = statuses_of(filter)
    async with ctx.read() as conn:
        page = await q.claim_queue(
            conn, principal, statuses, PageRequest(first, after, last, before)
        )

    async def count() -> int:
        async with ctx.read() as conn:
            return await q.claim_queue_count(conn, principal, statuses)

    return connection(page, [InsuranceClaim.from_row(r) for r in page.rows], count)


# The count fields the compiled path covers, and their columns there (lower case: PostgreSQL
# folds the unquoted names it reads them by).
COMPILED_COUNTS = {"activePolicyCount": "active_policies", "openClaimCount": "open_claims"}


PROVIDER = {
    "id": gid("InsuranceProvider"),
    "name": column("name"),
    "phone": column("phone"),
    "email": column("email"),
    "createdAt": column("created_at", "ts"),
    "updatedAt": column("updated_at", "ts"),
}
POLICY = {
    "id": gid("InsurancePolicy"),
    "number": column("number"),
    "coverageDescription": column("coverage_description"),
    "coverageLimit": money("coverage_amount", "coverage_currency"),
    "premium": money("premium_amount", "premium_currency"),
    "premiumPeriod": column("premium_period", enum=InsurancePremiumPeriod),
    "startDate": column("start_date", "date"),
    "endDate": column("end_date", "date"),
    "cancelledAt": column("cancelled_at", "ts"),
    "createdAt": column("created_at", "ts"),
    "updatedAt": column("updated_at", "ts"),
    "status": column("status__"),
    "provider": row_of("insurance_providers", "InsuranceProvider", PROVIDER, "provider_id"),
}


def _status(principal) -> dict:
    """`InsurancePolicy.status` by the UTC day the statement runs on."""
    p = q.POLICIES.c
    made = case(
        (p.status == "CANCELLED", "CANCELLED"), (p.end_date < today_param(), "EXPIRED"),
        else_="ACTIVE",
    )  # fmt: skip
    return {"status__": made}


POLICIES = ModuleList(
    q.POLICIES,
    lambda principal: [q.POLICIES.c.tenant_id == principal.tenant_id],
    POLICY,
    order=q.POLICY_LIST.order,
    columns=_status,
    counted=True,
)


def compiled_insurance(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`insurance { activePolicyCount openClaimCount policies(first:, after:) }` in the
    compiled path (`schema/compiled`): the count selects the look-ahead read runs
    (`types.COUNTS`), per page, built per request (what is active depends on the day), and
    the policies without a filter (`schema.compiled.module_lists`)."""
    lists = {"policies": POLICIES}
    if not access.can(principal, "insurance.view") or not set(names) <= {*COMPILED_COUNTS, *lists}:
        return None
    wanted = [name for name in COMPILED_COUNTS if name in names]

    def query(principal, customer_ids):
        counts = {}
        for name in wanted:
            listing, statuses = COUNTS[name]
            counts[COMPILED_COUNTS[name]] = LISTS[listing].counts_query(
                principal.tenant_id, customer_ids, statuses
            )
        return per_customer(counts)

    fields = {name: (COMPILED_COUNTS[name], "int", "0") for name in wanted}
    return ModuleField(
        query if wanted else None, fields, {k: lists[k] for k in names if k in lists}
    )


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_insurance,
        name="insurance",
        description="Insurance module: the customer's policies and claims.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=insurance_providers,
        description="The tenant's insurance providers by name; at most 100 per page.",
    ),
    strawberry.field(
        resolver=insurance_claims,
        description="Claims of every customer you may see, newest first (a review queue: "
        "filter by status); at most 100 per page.",
    ),
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=create_insurance_provider, description="Add a provider."),
    strawberry.mutation(
        resolver=update_insurance_provider, description="Change a provider's name or contacts."
    ),
    strawberry.mutation(resolver=create_insurance_policy, description="Record a policy."),
    strawberry.mutation(resolver=update_insurance_policy, description="Correct a policy."),
    strawberry.mutation(
        resolver=cancel_insurance_policy,
        description="Cancel an active policy; its claims stay.",
    ),
    strawberry.mutation(resolver=submit_insurance_claim, description="Submit a claim."),
    strawberry.mutation(
        resolver=move_insurance_claim,
        description="Move a claim one step through its workflow (review, approve, reject, pay).",
    ),
]
