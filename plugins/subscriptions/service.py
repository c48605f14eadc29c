"""Writes of the subscriptions module, inside the caller's transaction: plans (tenant-wide,
`subscriptions.configure`), and a customer's subscriptions (`subscriptions.manage`): subscribe
(idempotent by key), pause, resume, cancel now or at the period's end. Everything wrong is
reported at once and nothing is written; an impossible move is `INVALID_TRANSITION`.

Resuming: if the period paid before the pause has not ended, the subscription simply goes on
(nothing billed twice); if it ended while paused, a new cycle starts on the day of the resume
(the anchor moves there, billed by the next run): no free days, no day paid twice. Resuming
a subscription set to cancel at its period's end takes that cancellation back."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records, schedules
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, Problem
from core.models import Tenant, utcnow
from core.tenants import zone_of
from plugins.subscriptions.models import (
    ACTIVE,
    CANCELLED,
    INTERVALS,
    LIVE,
    MOVES,
    PAUSED,
    TRIALING,
    Subscription,
    SubscriptionPlan,
)
from plugins.subscriptions.periods import shift
from schema.ids import to_global_id
from schema.money import MoneyInput, check_money

CONFIGURE = "subscriptions.configure"
MANAGE = "subscriptions.manage"
MAX_NAME = 100
MAX_KEY = 100
MAX_QUANTITY = 10_000
MAX_TRIAL_DAYS = 365
MAX_BACKDATE = timedelta(days=366)  # a start date at most this far back (periods are billed)
MAX_AHEAD = timedelta(days=366)
# The longest interval a plan may have, per unit: five years.
MAX_COUNT = {"WEEK": 260, "MONTH": 60, "YEAR": 5}


async def tenant_today(session, tenant_id: int) -> date:
    """The tenant's calendar day: periods begin and end on its days."""
    zone = zone_of(await session.scalar(select(Tenant.time_zone).where(Tenant.id == tenant_id)))
    return datetime.now(zone).date()


# --- plans --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanIn:
    name: str
    amount: int
    currency: str
    interval: str
    interval_count: int = 1
    trial_days: int = 0
    active: bool = True


def _check_trial(days, problems: list[Problem]) -> None:
    if days is not None and not 0 <= days <= MAX_TRIAL_DAYS:
        problems.append(Problem(("input", "trialDays"), f"0 to {MAX_TRIAL_DAYS} days.", "INVALID"))


async def create_plan(session: AsyncSession, principal: Principal, data: PlanIn):
    """A plan's price and interval never change afterwards (a new price is a new plan), so
    what a subscription was sold at stays what it is billed at."""
    access.require(principal, CONFIGURE)
    problems: list[Problem] = []
    name = records.clean_text(data.name, ("input", "name"), MAX_NAME, problems, required=True)
    amount, currency = check_money(
        MoneyInput(amount=data.amount, currency=data.currency or ""), ("input", "price"), problems
    )
    if data.interval not in INTERVALS:
        problems.append(Problem(("input", "interval"), "WEEK, MONTH or YEAR.", "INVALID"))
    elif not 1 <= data.interval_count <= MAX_COUNT[data.interval]:
        problems.append(
            Problem(
                ("input", "intervalCount"),
                f"1 to {MAX_COUNT[data.interval]} for {data.interval} (at most five years).",
                "INVALID",
            )
        )
    _check_trial(data.trial_days, problems)
    records.fail_if(problems)
    now = utcnow()
    plan = SubscriptionPlan(
        tenant_id=principal.tenant_id, name=name, amount=amount, currency=currency,
        interval=data.interval, interval_count=data.interval_count, trial_days=data.trial_days,
        active=data.active, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(plan)
    await session.flush()
    return plan


async def update_plan(session: AsyncSession, principal: Principal, plan_id: int, changes: dict):
    """Name, trial days (for new subscriptions) and the active flag (an inactive plan takes
    no new subscribers; existing ones go on)."""
    access.require(principal, CONFIGURE)
    plan = await _plan(session, principal, plan_id, ("input", "id"))
    problems: list[Problem] = []
    if "name" in changes:
        changes["name"] = records.clean_text(
            changes["name"], ("input", "name"), MAX_NAME, problems, required=True
        )
    if "trial_days" in changes:
        if changes["trial_days"] is None:
            problems.append(Problem(("input", "trialDays"), "Give a number of days.", "REQUIRED"))
        _check_trial(changes["trial_days"], problems)
    if "active" in changes and changes["active"] is None:
        problems.append(Problem(("input", "active"), "true or false.", "REQUIRED"))
    records.fail_if(problems)
    for key, value in changes.items():
        setattr(plan, key, value)
    plan.updated_at = utcnow()
    await session.flush()
    return plan


async def _plan(session, principal, plan_id: int, field: tuple, lock: bool = True):
    query = select(SubscriptionPlan).where(
        SubscriptionPlan.tenant_id == principal.tenant_id, SubscriptionPlan.id == plan_id
    )
    plan = await session.scalar(query.with_for_update() if lock else query)
    if plan is None:
        raise InvalidInput.one(field, "Subscription plan not found.", "NOT_FOUND")
    return plan


# --- subscriptions ------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscribeIn:
    customer_id: int
    plan_id: int
    idempotency_key: str
    quantity: int = 1
    start_date: date | None = None
    trial_days: int | None = None


def _fingerprint(data: SubscribeIn) -> str:
    facts = {
        "customer": data.customer_id,
        "plan": data.plan_id,
        "quantity": data.quantity,
        "start": data.start_date.isoformat() if data.start_date else None,
        "trial": data.trial_days,
    }
    return records.fingerprint(facts)


async def _emit(session, principal, sub: Subscription, name: str, **data) -> None:
    await records.emit(
        session,
        principal,
        name,
        sub.customer_id,
        subscriptionId=to_global_id("CustomerSubscription", sub.id),
        status=sub.status,
        **data,
    )


async def subscribe(session: AsyncSession, principal: Principal, data: SubscribeIn):
    """(subscription, replayed). The same key with the same input answers with the first
    subscription again; with other input it is IDEMPOTENCY_KEY_REUSED."""
    access.require(principal, MANAGE)
    problems: list[Problem] = []
    key = records.clean_text(
        data.idempotency_key, ("input", "idempotencyKey"), MAX_KEY, problems, required=True
    )
    if not 1 <= data.quantity <= MAX_QUANTITY:
        problems.append(Problem(("input", "quantity"), f"1 to {MAX_QUANTITY}.", "INVALID"))
    _check_trial(data.trial_days, problems)
    records.fail_if(problems)
    customer = await get_customer(session, principal, data.customer_id)
    plan = await _plan(session, principal, data.plan_id, ("input", "subscriptionPlanId"), False)
    today = await tenant_today(session, principal.tenant_id)
    start = data.start_date or today
    if not today - MAX_BACKDATE <= start <= today + MAX_AHEAD:
        problems.append(
            Problem(("input", "startDate"), "At most a year before or after today.", "INVALID")
        )
    if not plan.active:
        problems.append(
            Problem(
                ("input", "subscriptionPlanId"),
                f"The plan {plan.name} takes no new subscribers.",
                "PLAN_INACTIVE",
            )
        )
    fingerprint = _fingerprint(data)
    first = await _replay(session, principal.tenant_id, key, fingerprint)
    if first is not None:
        return first, True
    records.fail_if(problems)
    trial = plan.trial_days if data.trial_days is None else data.trial_days
    trial_end = start + timedelta(days=trial) if trial else None
    anchor = trial_end or start
    first_end = shift(anchor, plan.interval, plan.interval_count, 1)
    now = utcnow()
    # The key is claimed by the insert itself: a twin in flight (even for another customer)
    # makes it wait for the twin's commit, then do nothing, and the twin's row is replayed.
    new_id = await session.scalar(
        records.upsert(session, Subscription.__table__)
        .values(
            tenant_id=principal.tenant_id, customer_id=customer.id, plan_id=plan.id,
            quantity=data.quantity, unit_amount=plan.amount, currency=plan.currency,
            status=TRIALING if trial_end else ACTIVE, start_date=start, trial_end=trial_end,
            anchor_date=anchor, periods_billed=0,
            current_period_start=start if trial_end else anchor,
            current_period_end=trial_end or first_end, next_billing_date=anchor,
            cancel_at_period_end=False, idempotency_key=key, fingerprint=fingerprint,
            created_by_id=principal.worker_id, created_at=now, updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"])
        .returning(Subscription.id)
    )  # fmt: skip
    if new_id is None:
        return await _replay(session, principal.tenant_id, key, fingerprint), True
    sub = await session.get(Subscription, new_id)
    await _emit(
        session, principal, sub, "subscription.created",
        planId=to_global_id("SubscriptionPlan", plan.id), startDate=start.isoformat(),
        title=plan.name,
    )  # fmt: skip
    await schedules.start(session, BILLING, principal.tenant_id)
    return sub, False


async def _replay(session, tenant_id: int, key: str, fingerprint: str):
    """The subscription made earlier with this key, if any; another input's is refused."""
    first = await session.scalar(
        select(Subscription)
        .where(Subscription.tenant_id == tenant_id, Subscription.idempotency_key == key)
        .execution_options(populate_existing=True)
    )
    if first is not None and first.fingerprint != fingerprint:
        raise InvalidInput.one(
            ("input", "idempotencyKey"),
            "This idempotency key was used for another subscription; use a new key.",
            "IDEMPOTENCY_KEY_REUSED",
        )
    return first


async def _subscription(session, principal, subscription_id: int) -> Subscription:
    return await records.for_update(
        session, principal, Subscription, subscription_id, "Subscription"
    )


async def pause(session: AsyncSession, principal: Principal, subscription_id: int):
    """ACTIVE → PAUSED: not billed while paused. Pausing a paused one changes nothing."""
    access.require(principal, MANAGE)
    sub = await _subscription(session, principal, subscription_id)
    if MOVES.check(sub.status, PAUSED, ("input", "id")):
        sub.status, sub.paused_at = PAUSED, utcnow()
        sub.updated_at = sub.paused_at
        await session.flush()
        await _emit(session, principal, sub, "subscription.paused")
    return sub


async def resume(session: AsyncSession, principal: Principal, subscription_id: int):
    access.require(principal, MANAGE)
    sub = await _subscription(session, principal, subscription_id)
    now = utcnow()
    if sub.status in LIVE and sub.cancel_at_period_end:
        sub.cancel_at_period_end, sub.updated_at = False, now
        await session.flush()
        await _emit(session, principal, sub, "subscription.resumed", cancellationUndone=True)
        return sub
    if not MOVES.check(sub.status, ACTIVE, ("input", "id")):
        return sub
    today = await tenant_today(session, principal.tenant_id)
    plan = await session.get(SubscriptionPlan, sub.plan_id)
    paid_until = shift(sub.anchor_date, plan.interval, plan.interval_count, sub.periods_billed)
    restarted = today >= paid_until
    if restarted:
        sub.anchor_date, sub.periods_billed = today, 0
        sub.current_period_start = today
        sub.current_period_end = shift(today, plan.interval, plan.interval_count, 1)
        sub.next_billing_date = today
    sub.status, sub.paused_at, sub.updated_at = ACTIVE, None, now
    await session.flush()
    await _emit(session, principal, sub, "subscription.resumed", newCycle=restarted)
    await schedules.start(session, BILLING, principal.tenant_id)
    return sub


async def cancel(
    session: AsyncSession, principal: Principal, subscription_id: int, at_period_end: bool
):
    """Now: CANCELLED at once, nothing more billed. At the period's end: the period (or the
    trial) runs out, the billing run then ENDs it without billing again."""
    access.require(principal, MANAGE)
    sub = await _subscription(session, principal, subscription_id)
    now = utcnow()
    if at_period_end:
        if sub.status == PAUSED:
            raise InvalidInput.one(
                ("input", "atPeriodEnd"),
                "A paused subscription has no running period: cancel it now, or resume it first.",
                "INVALID_TRANSITION",
            )
        MOVES.check(sub.status, CANCELLED, ("input", "id"))  # refuses CANCELLED and ENDED
        if not sub.cancel_at_period_end:
            sub.cancel_at_period_end, sub.updated_at = True, now
            await session.flush()
            await _emit(
                session, principal, sub, "subscription.cancelled", atPeriodEnd=True,
                endsOn=ends_on(sub).isoformat(),
            )  # fmt: skip
        return sub
    if MOVES.check(sub.status, CANCELLED, ("input", "id")):
        sub.status, sub.cancelled_at, sub.ended_at, sub.updated_at = CANCELLED, now, now, now
        sub.next_billing_date, sub.cancel_at_period_end = None, False
        await session.flush()
        await _emit(session, principal, sub, "subscription.cancelled", atPeriodEnd=False)
    return sub


def ends_on(sub) -> date:
    """The day a subscription set to cancel at its period's end ends: the trial's end, or the
    end of the period in progress (the first one, if none was billed yet)."""
    if sub.status == TRIALING:
        return sub.trial_end
    return sub.current_period_end


async def move_subscriptions(session, tenant_id: int, source_id: int, target_id: int) -> None:
    """Merging customers: subscriptions and their billed periods follow; keys stay."""
    from plugins.subscriptions.models import SubscriptionPeriod

    await records.move_to_customer(
        session, tenant_id, source_id, target_id, Subscription, SubscriptionPeriod
    )


async def live_exists(session, tenant_id: int) -> bool:
    """Whether the billing run has anything to watch (else it stops ticking until a
    subscribe or a resume arms it again)."""
    found = await session.scalar(
        select(Subscription.id)
        .where(Subscription.tenant_id == tenant_id, Subscription.status.in_(LIVE))
        .limit(1)
    )
    return found is not None


BILLING = schedules.Schedule(
    "subscriptions.billing", schedules.HOUR, module="subscriptions", wanted=live_exists
)
