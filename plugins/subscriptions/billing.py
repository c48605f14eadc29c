"""The billing run: the `subscriptions.billing` schedule's work (`core/schedules.py`), hourly
per tenant, and on demand (`runSubscriptionBilling`).

For each subscription due (TRIALING or ACTIVE, `next_billing_date` on or before the tenant's
today) it ends a trial (→ ACTIVE, or ENDED when set to cancel), ends one set to cancel at its
period's end, and bills every period that has begun: one `subscription_periods` row and one
`subscription.period_billed` event per period, in the transaction that advances the
subscription. Missed periods (the runner was down, a backdated start) are caught up one
period, one row and one event each.

Exactly once, with several processes and after a crash:
- chunks of `BATCH` subscriptions, each one transaction with the job's checkpoint (the last
  id done): a crash loses no committed chunk and repeats none (`core/job_runner.py`);
- the chunk locks its subscriptions (`FOR UPDATE SKIP LOCKED` on PostgreSQL: two runs never
  wait on each other, each takes the rows the other does not hold; SQLite runs one writer at
  a time) and re-reads them locked, so a subscription the other run just billed is no longer
  due;
- the unique (subscription, period start) is the last line of defence: a period already
  there is neither written nor announced again.

The event's data carries an `invoice_request` for the payments module (which turns any event
carrying one into one invoice per `source`, idempotently; this module neither imports nor
calls it): `{"source": "subscriptions:<subscription id>:<period start>", "currency",
"lines": [{"description": "<plan> (<first day> to <last day>)", "quantity", "unitAmount"}],
"issue": true}`."""

from sqlalchemy import select

from core import events, records
from core.models import utcnow
from plugins.subscriptions.models import (
    ACTIVE,
    ENDED,
    LIVE,
    TRIALING,
    Subscription,
    SubscriptionPeriod,
    SubscriptionPlan,
)
from plugins.subscriptions.periods import describe, shift
from plugins.subscriptions.service import tenant_today
from schema.ids import to_global_id

BATCH = 20
MAX_STEPS = 120  # periods one subscription may catch up in one chunk (a year of weeks is 53)
PERIODS = SubscriptionPeriod.__table__


def invoice_request(sub, plan, start, end) -> dict:
    return {
        "source": f"subscriptions:{sub.id}:{start.isoformat()}",
        "currency": sub.currency,
        "lines": [
            {
                "description": f"{plan.name} ({describe(start, end)})",
                "quantity": sub.quantity,
                "unitAmount": sub.unit_amount,
            }
        ],
        "issue": True,
    }


async def _emit(session, sub, name: str, **data) -> None:
    data = {"subscriptionId": to_global_id("CustomerSubscription", sub.id), **data}
    await events.emit(session, events.Event(name, sub.tenant_id, sub.customer_id, data, None))


async def _end(session, sub) -> None:
    now = utcnow()
    sub.status, sub.ended_at, sub.updated_at, sub.next_billing_date = ENDED, now, now, None
    await _emit(session, sub, "subscription.ended", status=ENDED)


async def _bill(session, sub, plan) -> bool:
    """Period `periods_billed`: its row and event, and the subscription moved past it."""
    n = sub.periods_billed
    start = shift(sub.anchor_date, plan.interval, plan.interval_count, n)
    end = shift(sub.anchor_date, plan.interval, plan.interval_count, n + 1)
    request = invoice_request(sub, plan, start, end)
    written = await session.scalar(
        records.upsert(session, PERIODS)
        .values(
            tenant_id=sub.tenant_id, customer_id=sub.customer_id, subscription_id=sub.id,
            period_start=start, period_end=end, quantity=sub.quantity,
            unit_amount=sub.unit_amount, currency=sub.currency, source=request["source"],
            billed_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["subscription_id", "period_start"])
        .returning(PERIODS.c.id)
    )  # fmt: skip
    sub.periods_billed = n + 1
    sub.current_period_start, sub.current_period_end, sub.next_billing_date = start, end, end
    sub.updated_at = utcnow()
    if written is None:
        return False
    await _emit(
        session, sub, "subscription.period_billed",
        periodId=to_global_id("SubscriptionPeriod", written), periodStart=start.isoformat(),
        periodEnd=end.isoformat(), quantity=sub.quantity, unitAmount=sub.unit_amount,
        amount=sub.unit_amount * sub.quantity, currency=sub.currency,
        title=request["lines"][0]["description"], invoice_request=request,
    )  # fmt: skip
    return True


async def catch_up(session, sub, plan, today) -> tuple[int, bool]:
    """(periods billed, ended) for one locked subscription, up to `today`."""
    billed = 0
    for _ in range(MAX_STEPS):
        if sub.status not in LIVE or sub.next_billing_date is None:
            break
        if sub.next_billing_date > today:
            break
        if sub.status == TRIALING:
            if sub.cancel_at_period_end:
                await _end(session, sub)
                return billed, True
            sub.status = ACTIVE  # the trial is over; its anchor is the first paid day
            sub.current_period_start = sub.anchor_date
            continue
        if sub.cancel_at_period_end and sub.periods_billed > 0:
            await _end(session, sub)
            return billed, True
        billed += await _bill(session, sub, plan)
    return billed, False


async def run(ctx) -> dict:
    state = dict(ctx.checkpoint or {"after": 0, "billed": 0, "ended": 0, "seen": 0})
    while True:
        ctx.raise_if_cancelled()
        async with ctx.chunk() as session:
            today = await tenant_today(session, ctx.tenant_id)
            due = await session.scalars(
                select(Subscription)
                .where(
                    Subscription.tenant_id == ctx.tenant_id,
                    Subscription.status.in_(LIVE),
                    Subscription.next_billing_date <= today,
                    Subscription.id > state["after"],
                )
                .order_by(Subscription.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
            subs = list(due)
            plan_ids = {s.plan_id for s in subs}
            plans = {
                p.id: p
                for p in await session.scalars(
                    select(SubscriptionPlan).where(
                        SubscriptionPlan.tenant_id == ctx.tenant_id,
                        SubscriptionPlan.id.in_(plan_ids),
                    )
                )
            }
            for sub in subs:
                billed, ended = await catch_up(session, sub, plans[sub.plan_id], today)
                state["billed"] += billed
                state["ended"] += ended
            await session.flush()
            state["seen"] += len(subs)
            if subs:
                state["after"] = subs[-1].id
            ctx.save(dict(state))
        ctx.progress(state["seen"])
        if len(subs) < BATCH:
            return {k: state[k] for k in ("billed", "ended", "seen")}
