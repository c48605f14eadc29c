"""Payout writes, inside the caller's transaction: validation (everything wrong at once,
nothing written), permissions, the status machine, the four-eyes rule and events.

Who may do what: `payouts.manage` (owner, admin, manager by default) creates and cancels;
`payouts.approve` (owner, admin) approves, marks sent and marks failed, and never approves a
payout they created themselves (SELF_APPROVAL): money leaving the business takes two people.

Every move locks the customer and then the payout (`records.for_update`), so two decisions
on one payout queue and the second sees the first's result: a repeated move is refused
(INVALID_TRANSITION, not a silent no-op), and a client that says which status it saw
(`expected`) is refused with PAYOUT_CHANGED when someone else moved it meanwhile. Of any
number of concurrent approvals and cancellations made from what the workers saw, exactly
one wins.

Sending a payout puts its amount on the customer's balance when payments is on, without
importing it: `payout.sent` carries a `balance_entry` (payments' balance-entry contract,
docs/plugins.md); a sent payout that then fails takes it back with a negative entry."""

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, Problem
from core.models import utcnow
from plugins.payouts.models import KINDS, METHODS, TRANSITIONS, Payout, PayoutIdempotencyKey
from schema.ids import to_global_id
from schema.money import check_money

MANAGE = "payouts.manage"
APPROVE = "payouts.approve"
# the action, its permission and the status it moves to
MOVES = {
    "approve": (APPROVE, "APPROVED"),
    "send": (APPROVE, "SENT"),
    "fail": (APPROVE, "FAILED"),
    "cancel": (MANAGE, "CANCELLED"),
}
EVENTS = {
    "APPROVED": "payout.approved",
    "SENT": "payout.sent",
    "FAILED": "payout.failed",
    "CANCELLED": "payout.cancelled",
}


def source_of(payout_id: int) -> str:
    return f"payouts:{payout_id}"


def _fingerprint(data: dict) -> str:
    facts = {k: v for k, v in data.items() if k != "idempotency_key"}
    return records.fingerprint(facts)


def event_data(payout: Payout, **data) -> dict:
    """A payout event's data: the payout's id, money, kind and status, then `data`."""
    return {
        "payoutId": to_global_id("Payout", payout.id),
        "amount": payout.amount,
        "currency": payout.currency,
        "kind": payout.kind,
        "status": payout.status,
        **data,
    }


async def _emit(session, principal, payout: Payout, name: str, **data) -> None:
    await records.emit(session, principal, name, payout.customer_id, **event_data(payout, **data))


def _checked(data: dict) -> dict:
    problems: list[Problem] = []
    key = records.clean_text(
        data["idempotency_key"], ("input", "idempotencyKey"), 200, problems, required=True
    )
    amount, currency = check_money(data["amount"], ("input", "amount"), problems)
    if data["kind"] not in KINDS:
        problems.append(Problem(("input", "kind"), "Unknown kind.", "INVALID"))
    if data["method"] not in METHODS:
        problems.append(Problem(("input", "method"), "Unknown method.", "INVALID"))
    reference = records.clean_text(data.get("reference"), ("input", "reference"), 200, problems)
    note = records.clean_text(data.get("note"), ("input", "note"), 2000, problems)
    records.fail_if(problems)
    return {
        "customer_id": data["customer_id"],
        "amount": amount,
        "currency": currency,
        "kind": data["kind"],
        "method": data["method"],
        "reference": reference,
        "note": note,
        "idempotency_key": key,
    }


async def create_payout(session: AsyncSession, principal: Principal, data: dict) -> Payout:
    """A PENDING payout. A retry with the same idempotency key and data answers the first
    payout and writes nothing; the same key with other data is IDEMPOTENCY_KEY_REUSED."""
    access.require(principal, MANAGE)
    data = _checked(data)
    customer = await get_customer(session, principal, data["customer_id"])
    first = await records.claim_key(
        session,
        PayoutIdempotencyKey,
        principal.tenant_id,
        data["idempotency_key"],
        _fingerprint(data),
        PayoutIdempotencyKey.payout_id,
        "payout",
    )
    if first is not None:
        return await session.get(Payout, first)
    now = utcnow()
    payout = Payout(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        amount=data["amount"],
        currency=data["currency"],
        kind=data["kind"],
        method=data["method"],
        status="PENDING",
        reference=data["reference"],
        note=data["note"],
        created_by_id=principal.worker_id,
        created_at=now,
        updated_at=now,
    )
    session.add(payout)
    await session.flush()
    await session.execute(
        update(PayoutIdempotencyKey)
        .where(
            PayoutIdempotencyKey.tenant_id == principal.tenant_id,
            PayoutIdempotencyKey.key == data["idempotency_key"],
        )
        .values(payout_id=payout.id)
    )
    await _emit(session, principal, payout, "payout.created", method=payout.method)
    return payout


async def move(
    session: AsyncSession,
    principal: Principal,
    payout_id: int,
    action: str,
    expected: str | None = None,
    reason: str | None = None,
    reference: str | None = None,
) -> Payout:
    """Approve, send, fail or cancel: a legal move from the current status, else
    INVALID_TRANSITION (moving to where it is included); PAYOUT_CHANGED when `expected` is
    not the current status; SELF_APPROVAL for the creator approving."""
    permission, status = MOVES[action]
    access.require(principal, permission)
    problems: list[Problem] = []
    reason = records.clean_text(reason, ("input", "reason"), 500, problems)
    reference = records.clean_text(reference, ("input", "reference"), 200, problems)
    records.fail_if(problems)
    payout = await records.for_update(session, principal, Payout, payout_id, "Payout")
    old = payout.status
    if expected is not None and expected != old:
        raise InvalidInput.one(
            ("input", "expectedStatus"),
            f"The payout is {old} now, not {expected}: someone changed it meanwhile.",
            "PAYOUT_CHANGED",
        )
    if old == status:
        raise InvalidInput.one(
            ("input", "id"), f"The payout is {old} already.", "INVALID_TRANSITION"
        )
    TRANSITIONS.check(old, status, ("input", "id"))
    if status == "APPROVED" and payout.created_by_id == principal.worker_id:
        raise InvalidInput.one(
            ("input", "id"),
            "You created this payout; another worker with payouts.approve must approve it.",
            "SELF_APPROVAL",
        )
    now = utcnow()
    payout.status, payout.updated_at = status, now
    data: dict = {"from": old}
    if status == "APPROVED":
        payout.approved_by_id, payout.approved_at = principal.worker_id, now
    elif status == "SENT":
        payout.sent_at = now
        if reference is not None:
            payout.reference = reference
        data["balance_entry"] = sent_entry(payout)
    elif status == "FAILED":
        payout.failed_at, payout.reason = now, reason
        if old == "SENT":
            data["balance_entry"] = returned_entry(payout)
    else:
        payout.cancelled_at, payout.reason = now, reason
    await session.flush()
    await _emit(session, principal, payout, EVENTS[status], **data)
    return payout


def sent_entry(payout: Payout) -> dict:
    """Paid out to the customer: they owe that much more (payments' balance-entry
    contract), on `payout.sent`."""
    return {"source": source_of(payout.id), "amount": payout.amount, "currency": payout.currency}


def returned_entry(payout: Payout) -> dict:
    """A SENT payout failed, the money came back: `payout.sent`'s entry undone."""
    source = f"{source_of(payout.id)}:failed"
    return {"source": source, "amount": -payout.amount, "currency": payout.currency}


async def move_payouts(session: AsyncSession, tenant_id: int, source_id: int, target_id: int):
    """Merging customers: the payouts follow to the target."""
    await records.move_to_customer(session, tenant_id, source_id, target_id, Payout)


async def erase_payouts(session: AsyncSession, tenant_id: int, customer_id: int):
    """Erasing a customer: their payouts and the keys that made them go (the cascade would
    too; said here so the erasure does not depend on the database's foreign keys)."""
    mine = select(Payout.id).where(Payout.tenant_id == tenant_id, Payout.customer_id == customer_id)
    await session.execute(
        delete(PayoutIdempotencyKey).where(
            PayoutIdempotencyKey.tenant_id == tenant_id, PayoutIdempotencyKey.payout_id.in_(mine)
        )
    )
    await session.execute(
        delete(Payout).where(Payout.tenant_id == tenant_id, Payout.customer_id == customer_id)
    )
