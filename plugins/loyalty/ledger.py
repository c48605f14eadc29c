"""The ledger's one write path, `post`, and what reacts to payments' events.

Every change of points is an entry appended with its source key and, in the same
transaction, the same delta applied to the customer's account row, so the balance is always
the sum of the entries. The entry is inserted first with `ON CONFLICT DO NOTHING` on
(tenant, source key): a second delivery of an event, a replayed job or a retried request
finds the key taken and changes nothing, and on PostgreSQL a concurrent insert of the same
key waits for the first to commit instead of failing.

Rounding: earned points are `floor(amount * earn_points / (earn_per * 10^exponent))` per
payment, the exponent being the currency's ISO-4217 minor unit (2 for EUR, 0 for JPY, 3
for KWD). A refund takes back the share of the payment's points that the refunds so far
make of the payment, rounded down, less what earlier refunds took: the reversals of a
payment refunded in full add up to exactly what it earned.

Why a refund's reversal may leave the balance negative: the points were earned on money
that went back. Clamping at zero would let a customer earn, redeem, refund and keep the
reward for free; a negative balance is a debt the next earnings pay off, and nothing can be
redeemed while it lasts. Redemptions and manual adjustments never make it negative."""

from sqlalchemy import func, select, update

from core import events, records
from core.errors import InvalidInput
from core.models import Customer, utcnow
from plugins.loyalty.models import NOT_LIFETIME, LoyaltyAccount, LoyaltyEntry, LoyaltyProgram
from plugins.loyalty.models import LoyaltyTier as Tier
from schema.ids import MISSING, from_global_id, to_global_id

E = LoyaltyEntry.__table__
A = LoyaltyAccount.__table__

ZERO_DECIMALS = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMALS = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])


def exponent(currency: str) -> int:
    if currency in ZERO_DECIMALS:
        return 0
    return 3 if currency in THREE_DECIMALS else 2


def earned(program, amount: int, currency: str) -> int:
    """Points for a payment of `amount` minor units, rounded down."""
    if program is None or (program.currency and program.currency != currency):
        return 0
    unit = program.earn_per * 10 ** exponent(currency)
    return max(0, amount) * program.earn_points // unit


async def program_of(session, tenant_id: int) -> LoyaltyProgram:
    """The tenant's program, made with the defaults if enabling the module did not."""
    await session.execute(
        records.upsert(session, LoyaltyProgram.__table__)
        .values(
            tenant_id=tenant_id,
            earn_points=1,
            earn_per=1,
            birthday_points=0,
            anniversary_points=0,
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    return await session.scalar(
        select(LoyaltyProgram)
        .where(LoyaltyProgram.tenant_id == tenant_id)
        .execution_options(populate_existing=True)
    )


def tier_of(tiers: list, lifetime: int):
    """The highest tier whose threshold the lifetime points reach (tiers by threshold)."""
    found = None
    for tier in tiers:
        if tier.threshold <= lifetime:
            found = tier
    return found


async def tiers_of(session, tenant_id: int) -> list:
    rows = await session.execute(
        select(Tier.id, Tier.name, Tier.threshold)
        .where(Tier.tenant_id == tenant_id)
        .order_by(Tier.threshold)
    )
    return list(rows)


def _tier_id(tier) -> str | None:
    return None if tier is None else to_global_id("LoyaltyTier", tier.id)


async def _emit(session, tenant_id, customer_id, name, actor_id, **data) -> None:
    await events.emit(session, events.Event(name, tenant_id, customer_id, data, actor_id))


async def post(
    session,
    tenant_id: int,
    customer_id: int,
    kind: str,
    points: int,
    key: str,
    *,
    actor_id: int | None = None,
    at_least: int | None = None,
    field: tuple = ("input", "points"),
    **columns,
) -> dict | None:
    """Append an entry and apply it to the account; the entry as a row, or None when its
    source key was used already (nothing written). With `at_least`, a balance that would
    fall below it refuses the whole write (INSUFFICIENT_POINTS at `field`)."""
    now = utcnow()
    values = {
        "tenant_id": tenant_id,
        "customer_id": customer_id,
        "kind": kind,
        "points": points,
        "balance_after": 0,
        "source_key": key,
        "actor_id": actor_id,
        "created_at": now,
        **columns,
    }
    entry_id = (
        await session.execute(
            records.upsert(session, E)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "source_key"])
            .returning(E.c.id)
        )
    ).scalar()
    if entry_id is None:
        return None
    lifetime = 0 if kind in NOT_LIFETIME else points
    await session.execute(
        records.upsert(session, A)
        .values(
            customer_id=customer_id,
            tenant_id=tenant_id,
            balance=0,
            lifetime_points=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["customer_id"])
    )
    change = (
        update(A)
        .where(A.c.customer_id == customer_id, A.c.tenant_id == tenant_id)
        .values(
            balance=A.c.balance + points,
            lifetime_points=A.c.lifetime_points + lifetime,
            updated_at=now,
        )
        .returning(A.c.balance, A.c.lifetime_points)
    )
    if at_least is not None:
        change = change.where(A.c.balance + points >= at_least)
    account = (await session.execute(change)).first()
    if account is None:
        have = await session.scalar(select(A.c.balance).where(A.c.customer_id == customer_id))
        raise InvalidInput.one(
            field, f"The customer has {have} points; this needs {-points}.", "INSUFFICIENT_POINTS"
        )
    balance, total = account
    await session.execute(update(E).where(E.c.id == entry_id).values(balance_after=balance))
    values = {c.key: None for c in E.c} | values | {"id": entry_id, "balance_after": balance}
    await _emit(
        session,
        tenant_id,
        customer_id,
        "loyalty.points_changed",
        actor_id,
        entryId=to_global_id("LoyaltyEntry", entry_id),
        entryKind=kind,
        points=points,
        balance=balance,
        lifetimePoints=total,
    )
    if lifetime:
        tiers = await tiers_of(session, tenant_id)
        old, new = tier_of(tiers, total - lifetime), tier_of(tiers, total)
        if old != new:
            await _emit(
                session,
                tenant_id,
                customer_id,
                "loyalty.tier_changed",
                actor_id,
                **{"from": old and old.name, "to": new and new.name},
                fromTierId=_tier_id(old),
                toTierId=_tier_id(new),
                lifetimePoints=total,
            )
    return values


async def recompute(session, tenant_id: int, customer_id: int) -> None:
    """The account from the customer's entries (after a merge or its undo moved them)."""
    lifetime = func.coalesce(func.sum(E.c.points).filter(E.c.kind.not_in(sorted(NOT_LIFETIME))), 0)
    balance, total, count = (
        await session.execute(
            select(func.coalesce(func.sum(E.c.points), 0), lifetime, func.count()).where(
                E.c.tenant_id == tenant_id, E.c.customer_id == customer_id
            )
        )
    ).one()
    await session.execute(
        A.delete().where(A.c.tenant_id == tenant_id, A.c.customer_id == customer_id)
    )
    if count:
        await session.execute(
            A.insert().values(
                customer_id=customer_id,
                tenant_id=tenant_id,
                balance=balance,
                lifetime_points=total,
                updated_at=utcnow(),
            )
        )


async def _customer(session, tenant_id: int, customer_id: int | None) -> bool:
    if customer_id is None:
        return False
    found = await session.scalar(
        select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.id == customer_id)
    )
    return found is not None


async def payment_received(session, event) -> None:
    data = event.data
    payment_id = from_global_id(data.get("paymentId") or "", "Payment")
    if payment_id == MISSING:
        return
    program = await program_of(session, event.tenant_id)
    points = earned(program, int(data["amount"]), data["currency"])
    if points <= 0 or not await _customer(session, event.tenant_id, event.customer_id):
        return
    await post(
        session,
        event.tenant_id,
        event.customer_id,
        "EARN",
        points,
        f"payment:{payment_id}",
        actor_id=event.actor_id,
        reason=f"Payment {data.get('receiptNumber') or ''}".strip(),
        payment_ref=payment_id,
        amount=int(data["amount"]),
        currency=data["currency"],
    )


async def payment_refunded(session, event) -> None:
    """The refund's share of what the payment earned goes back (module docstring)."""
    data, tenant_id = event.data, event.tenant_id
    payment_id = from_global_id(data.get("paymentId") or "", "Payment")
    refund_id = from_global_id(data.get("refundId") or "", "PaymentRefund")
    if MISSING in (payment_id, refund_id):
        return
    earn = (
        await session.execute(
            select(E.c.customer_id, E.c.points, E.c.amount).where(
                E.c.tenant_id == tenant_id, E.c.source_key == f"payment:{payment_id}"
            )
        )
    ).first()
    if earn is None or not earn.amount:
        return  # it earned nothing (before the module, another currency, too small)
    before_amount, before_points = (
        await session.execute(
            select(
                func.coalesce(func.sum(E.c.amount), 0), func.coalesce(func.sum(E.c.points), 0)
            ).where(
                E.c.tenant_id == tenant_id,
                E.c.payment_ref == payment_id,
                E.c.kind == "REVERSAL",
                E.c.source_key != f"refund:{refund_id}",
            )
        )
    ).one()
    refunded = min(earn.amount, before_amount + int(data["amount"]))
    taken = earn.points * refunded // earn.amount
    await post(
        session,
        tenant_id,
        earn.customer_id,
        "REVERSAL",
        -(taken + before_points),  # before_points is negative: what was taken so far
        f"refund:{refund_id}",
        actor_id=event.actor_id,
        reason="Refund of a payment",
        payment_ref=payment_id,
        amount=int(data["amount"]),
        currency=data["currency"],
    )
