"""Writes of the insurance module. Each runs inside the caller's transaction and raises
`InvalidInput` / `NotFound` before anything is flushed, so a failed mutation writes nothing.

Agents record policies and submit claims (`insurance.edit`); providers, cancellations and
claim decisions need `insurance.manage`."""

from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.contacts import EMAIL_RE, PHONE_RE, digits
from core.customers import get_customer
from core.errors import InvalidInput, NotFound, Problem
from core.models import utcnow
from core.records import clean_text, fail_if
from plugins.insurance.models import InsuranceClaim, InsurancePolicy, InsuranceProvider
from plugins.insurance.queries import today
from schema.ids import to_global_id
from schema.money import check_money

PREMIUM_PERIODS = ("MONTHLY", "QUARTERLY", "YEARLY")
TRANSITIONS = records.Transitions(
    "A claim",
    {
        "SUBMITTED": frozenset({"IN_REVIEW"}),
        "IN_REVIEW": frozenset({"APPROVED", "REJECTED"}),
        "APPROVED": frozenset({"PAID"}),
        "REJECTED": frozenset(),
        "PAID": frozenset(),
    },
)
POLICY_FIELDS = {
    "provider_id": "providerId",
    "number": "number",
    "coverage_description": "coverageDescription",
    "coverage_limit": "coverageLimit",
    "premium": "premium",
    "premium_period": "premiumPeriod",
    "start_date": "startDate",
    "end_date": "endDate",
}


def _path(name: str) -> tuple[str, ...]:
    return ("input", POLICY_FIELDS.get(name, name))


# --- providers --------------------------------------------------------------------------


async def _provider(session: AsyncSession, tenant_id: int, provider_id: int):
    return await session.scalar(
        select(InsuranceProvider).where(
            InsuranceProvider.tenant_id == tenant_id, InsuranceProvider.id == provider_id
        )
    )


def _contact(kind: str, value, problems: list[Problem]) -> str | None:
    path = ("input", kind)
    if kind == "email":
        value = clean_text(value, path, 320, problems)
        if value is not None:
            value = value.lower()
            if not EMAIL_RE.match(value):
                problems.append(Problem(path, f"'{value}' is not an email address.", "INVALID"))
        return value
    value = clean_text(value, path, 40, problems)
    if value is not None and (not PHONE_RE.match(value) or len(digits(value)) < 3):
        problems.append(Problem(path, f"'{value}' is not a phone number.", "INVALID"))
    return value


async def _name_taken(session: AsyncSession, tenant_id: int, name: str, exclude_id=None) -> bool:
    """Case-insensitive in Python: SQLite's lower() only folds ASCII."""
    names = await session.execute(
        select(InsuranceProvider.id, InsuranceProvider.name).where(
            InsuranceProvider.tenant_id == tenant_id
        )
    )
    folded = name.casefold()
    return any(n.casefold() == folded for i, n in names if i != exclude_id)


async def save_provider(
    session: AsyncSession, principal: Principal, changes: dict, provider_id: int | None = None
) -> InsuranceProvider:
    """Create (no `provider_id`) or change a provider; names are unique in the tenant,
    ignoring case. `changes` holds only what the client sent."""
    access.require(principal, "insurance.manage")
    provider = None
    if provider_id is not None:
        provider = await _provider(session, principal.tenant_id, provider_id)
        if provider is None:
            raise NotFound("Insurance provider")
    problems: list[Problem] = []
    values = {}
    if provider is None or "name" in changes:
        name = clean_text(changes.get("name"), ("input", "name"), 200, problems, True)
        exclude = provider and provider.id
        if name and await _name_taken(session, principal.tenant_id, name, exclude):
            problems.append(Problem(("input", "name"), f"'{name}' exists already.", "TAKEN"))
        values["name"] = name
    for kind in ("phone", "email"):
        if kind in changes:
            values[kind] = _contact(kind, changes[kind], problems)
    fail_if(problems)
    if provider is None:
        provider = InsuranceProvider(tenant_id=principal.tenant_id)
        session.add(provider)
    for key, value in values.items():
        setattr(provider, key, value)
    await session.flush()
    return provider


# --- policies ---------------------------------------------------------------------------


async def get_policy(
    session: AsyncSession, principal: Principal, policy_id: int, lock: bool = False
) -> InsurancePolicy:
    """A policy of a customer the principal may see; `lock` (for writes) holds it until the
    commit and needs the customer editable: a change to a policy is a change to the customer."""
    get = records.for_update if lock else records.visible_row
    return await get(session, principal, InsurancePolicy, policy_id, "Insurance policy")


async def _policy_values(
    session: AsyncSession, tenant_id: int, changes: dict, problems: list[Problem]
) -> dict:
    """Checked column values for the members sent; a required member sent as null is
    REQUIRED."""
    values = {}
    for name, value in changes.items():
        if value is None:
            problems.append(Problem(_path(name), "This field is required.", "REQUIRED"))
        elif name == "provider_id":
            if await _provider(session, tenant_id, value) is None:
                problems.append(Problem(_path(name), "Insurance provider not found.", "NOT_FOUND"))
            values[name] = value
        elif name == "number":
            values[name] = clean_text(value, _path(name), 64, problems, True)
        elif name == "coverage_description":
            values[name] = clean_text(value, _path(name), 2000, problems, True)
        elif name in ("coverage_limit", "premium"):
            column = "coverage" if name == "coverage_limit" else "premium"
            amount, currency = check_money(value, _path(name), problems)
            values[f"{column}_amount"], values[f"{column}_currency"] = amount, currency
        elif name == "premium_period":
            if value not in PREMIUM_PERIODS:
                problems.append(Problem(_path(name), "Unknown premium period.", "INVALID"))
            values[name] = value
        else:
            values[name] = value
    return values


async def _check_policy(session, policy: InsurancePolicy, problems: list[Problem]) -> None:
    """Rules on the policy as it would be written: its period, its number, its claims."""
    if policy.start_date and policy.end_date and policy.end_date < policy.start_date:
        problems.append(
            Problem(_path("end_date"), "The end date is before the start date.", "INVALID")
        )
    if problems:
        return
    taken = await session.scalar(
        select(InsurancePolicy.id).where(
            InsurancePolicy.tenant_id == policy.tenant_id,
            InsurancePolicy.provider_id == policy.provider_id,
            InsurancePolicy.number == policy.number,
            InsurancePolicy.id != (policy.id or 0),
        )
    )
    if taken is not None:
        text = f"The provider has a policy numbered '{policy.number}' already."
        problems.append(Problem(_path("number"), text, "TAKEN"))
    if policy.id is None:
        return
    claims = InsuranceClaim.__table__.c
    other_currency = case((claims.currency != policy.coverage_currency, 1), else_=0)
    found = await session.execute(
        select(
            func.min(claims.incident_date), func.max(claims.incident_date), func.max(other_currency)
        ).where(claims.policy_id == policy.id)
    )
    first, last, other_currencies = found.one()
    text = f"Claims of this policy have incidents from {first} to {last}."
    if first is not None and first < policy.start_date:
        problems.append(Problem(_path("start_date"), text, "CLAIM_OUTSIDE_PERIOD"))
    if last is not None and last > policy.end_date:
        problems.append(Problem(_path("end_date"), text, "CLAIM_OUTSIDE_PERIOD"))
    if other_currencies:
        text = "The policy has claims in another currency."
        problems.append(Problem((*_path("coverage_limit"), "currency"), text, "HAS_CLAIMS"))


async def create_policy(
    session: AsyncSession, principal: Principal, customer_id: int, changes: dict
) -> InsurancePolicy:
    access.require(principal, "insurance.edit")
    customer = await get_customer(session, principal, customer_id)
    problems: list[Problem] = []
    values = await _policy_values(session, principal.tenant_id, changes, problems)
    policy = InsurancePolicy(
        tenant_id=principal.tenant_id, customer_id=customer.id, status="ACTIVE", **values
    )
    await _check_policy(session, policy, problems)
    fail_if(problems)
    session.add(policy)
    await session.flush()
    return policy


async def update_policy(
    session: AsyncSession, principal: Principal, policy_id: int, changes: dict
) -> InsurancePolicy:
    """A cancelled policy is frozen; a policy with claims keeps its coverage currency and a
    period that holds their incident dates."""
    access.require(principal, "insurance.edit")
    policy = await get_policy(session, principal, policy_id, lock=True)
    if policy.status == "CANCELLED":
        raise InvalidInput.one(("input", "id"), "A cancelled policy can't change.", "CANCELLED")
    problems: list[Problem] = []
    values = await _policy_values(session, principal.tenant_id, changes, problems)
    fail_if(problems)
    with session.no_autoflush:
        for key, value in values.items():
            setattr(policy, key, value)
        await _check_policy(session, policy, problems)
    fail_if(problems)
    await session.flush()
    return policy


async def cancel_policy(
    session: AsyncSession, principal: Principal, policy_id: int
) -> InsurancePolicy:
    """Claims already submitted stay; new ones must be for incidents up to the day of the
    cancellation."""
    access.require(principal, "insurance.manage")
    policy = await get_policy(session, principal, policy_id, lock=True)
    if policy.status == "CANCELLED":
        raise InvalidInput.one(("input", "id"), "The policy is cancelled already.", "CANCELLED")
    if policy.end_date < today():
        raise InvalidInput.one(("input", "id"), "The policy has expired.", "EXPIRED")
    policy.status = "CANCELLED"
    policy.cancelled_at = utcnow()
    await session.flush()
    return policy


# --- claims -----------------------------------------------------------------------------


async def _emit(session, principal: Principal, claim: InsuranceClaim, name: str, **data) -> None:
    await records.emit(
        session,
        principal,
        name,
        claim.customer_id,
        claimId=to_global_id("InsuranceClaim", claim.id),
        policyId=to_global_id("InsurancePolicy", claim.policy_id),
        **data,
    )


async def submit_claim(
    session: AsyncSession,
    principal: Principal,
    customer_id: int,
    policy_id: int,
    incident_date: date,
    description: str,
    claimed,
) -> InsuranceClaim:
    """A claim of a customer on one of their own policies, for an incident inside the
    policy's period (and not after its cancellation), in the coverage currency."""
    access.require(principal, "insurance.edit")
    customer = await get_customer(session, principal, customer_id)
    try:
        policy = await get_policy(session, principal, policy_id)
    except NotFound as exc:
        raise InvalidInput.one(
            ("input", "policyId"), "Insurance policy not found.", "NOT_FOUND"
        ) from exc
    if policy.customer_id != customer.id:
        raise InvalidInput.one(
            ("input", "policyId"), "The policy belongs to another customer.", "OTHER_CUSTOMER"
        )
    problems: list[Problem] = []
    text = clean_text(description, ("input", "description"), 2000, problems, True)
    known = len(problems)
    amount, currency = check_money(claimed, ("input", "claimedAmount"), problems)
    if currency != policy.coverage_currency and len(problems) == known:
        problems.append(
            Problem(
                ("input", "claimedAmount", "currency"),
                f"Claim in the policy's currency, {policy.coverage_currency}.",
                "CURRENCY_MISMATCH",
            )
        )
    last_day = policy.end_date
    if policy.cancelled_at is not None:
        last_day = min(last_day, policy.cancelled_at.date())
    if not policy.start_date <= incident_date <= last_day:
        problems.append(
            Problem(
                ("input", "incidentDate"),
                f"The policy covers {policy.start_date} to {last_day}.",
                "OUTSIDE_PERIOD",
            )
        )
    fail_if(problems)
    claim = InsuranceClaim(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        policy_id=policy.id,
        incident_date=incident_date,
        description=text,
        currency=currency,
        claimed_amount=amount,
        status="SUBMITTED",
        submitted_at=utcnow(),
    )
    session.add(claim)
    await session.flush()
    money = {"amount": amount, "currency": currency}
    await _emit(session, principal, claim, "insurance.claim_submitted", claimedAmount=money)
    return claim


def _approved(claim: InsuranceClaim, policy, approved, problems: list[Problem]) -> int | None:
    path = ("input", "approvedAmount")
    if approved is None:
        problems.append(Problem(path, "Approving needs the approved amount.", "REQUIRED"))
        return None
    known = len(problems)
    amount, currency = check_money(approved, path, problems)
    if len(problems) > known:
        return None
    if currency != claim.currency:
        text = f"Approve in the claim's currency, {claim.currency}."
        problems.append(Problem((*path, "currency"), text, "CURRENCY_MISMATCH"))
    elif amount > claim.claimed_amount:
        text = "The approved amount is more than was claimed."
        problems.append(Problem((*path, "amount"), text, "EXCEEDS_CLAIMED"))
    elif amount > policy.coverage_amount:
        text = "The approved amount is more than the policy's coverage limit."
        problems.append(Problem((*path, "amount"), text, "EXCEEDS_COVERAGE"))
    return amount


async def move_claim(
    session: AsyncSession,
    principal: Principal,
    claim_id: int,
    to: str,
    approved=None,
    note: str | None = None,
) -> InsuranceClaim:
    """One step of SUBMITTED → IN_REVIEW → APPROVED | REJECTED, APPROVED → PAID. The row is
    locked while deciding, so two people moving one claim cannot both pass the check."""
    access.require(principal, "insurance.manage")
    claim = await records.for_update(
        session, principal, InsuranceClaim, claim_id, "Insurance claim"
    )
    before = claim.status
    if to == before:  # the kit's no-op; a claim's step always goes somewhere
        raise InvalidInput.one(("input", "to"), f"The claim is {to} already.", "INVALID_TRANSITION")
    TRANSITIONS.check(before, to, ("input", "to"))
    problems: list[Problem] = []
    amount = None
    if to == "APPROVED":
        policy = await session.get(InsurancePolicy, claim.policy_id)
        amount = _approved(claim, policy, approved, problems)
    elif approved is not None:
        text = "Give an approved amount only when approving."
        problems.append(Problem(("input", "approvedAmount"), text, "INVALID"))
    note = clean_text(note, ("input", "note"), 2000, problems)
    fail_if(problems)
    now = utcnow()
    claim.status = to
    if to in ("APPROVED", "REJECTED"):
        claim.decided_at = now
    if to == "APPROVED":
        claim.approved_amount = amount
    if to == "PAID":
        claim.paid_at = now
    if note is not None:
        claim.note = note
    await session.flush()
    data = {"from": before, "to": to}
    if to == "APPROVED":
        data["approvedAmount"] = {"amount": amount, "currency": claim.currency}
    await _emit(session, principal, claim, "insurance.claim_status_changed", **data)
    return claim
