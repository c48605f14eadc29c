"""Categories by rule: one UPDATE sets the category of some customers (or all of a
tenant's) from the rules in SQL, a hand-set category first, so a rule edit applies to a
million customers as cheaply as a new payment applies to one."""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, case, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import events, jobs
from core.models import now_param, utcnow
from plugins.purchases.models import PurchaseCategory, PurchaseStats


def _rule(category: PurchaseCategory):
    """The category's rules on `purchase_stats` (None: no rules, only by hand)."""
    S = PurchaseStats
    parts = []
    if category.min_total_spent is not None:
        parts.append(S.total_spent >= category.min_total_spent)
    if category.min_purchases is not None:
        parts.append(S.purchase_count >= category.min_purchases)
    if category.first_purchase_within_days is not None:
        since = now_param(timedelta(days=category.first_purchase_within_days))
        parts.append(and_(S.first_purchase_at.is_not(None), S.first_purchase_at >= since))
    return and_(*parts) if parts else None


async def evaluate(
    session: AsyncSession,
    tenant_id: int,
    customer_ids: list[int] | None,
    actor: int | None = None,
) -> None:
    """Set the category of these customers (None: all of the tenant's) from the rules, a
    hand-set one first, in one UPDATE. For named customers, `purchases.category_changed`
    for each whose category changed (a tenant-wide pass after a rule edit emits none)."""
    S = PurchaseStats
    categories = list(
        await session.scalars(
            select(PurchaseCategory)
            .where(PurchaseCategory.tenant_id == tenant_id)
            .order_by(PurchaseCategory.position, PurchaseCategory.id)
        )
    )
    names = {c.id: c.name for c in categories}
    whens = [(rule, c.id) for c in categories if (rule := _rule(c)) is not None]
    by_rule = case(*whens, else_=None) if whens else literal(None)
    chosen = func.coalesce(S.manual_category_id, by_rule)
    keys = (
        case(*((chosen == pk, name.lower()) for pk, name in names.items()), else_=None)
        if names
        else literal(None)
    )
    scope = [S.tenant_id == tenant_id]
    if customer_ids is not None:
        scope.append(S.customer_id.in_(customer_ids))
        before = dict(
            (await session.execute(select(S.customer_id, S.category_id).where(*scope))).all()
        )
    # Only the rows that change are written: a daily pass or a rule edit over a million
    # customers reads them all but rewrites (and re-indexes) only the few that move.
    changed = or_(S.category_id.is_distinct_from(chosen), S.category_key.is_distinct_from(keys))
    await session.execute(
        update(S)
        .where(*scope, changed)
        .values(category_id=chosen, category_key=keys)
        .execution_options(synchronize_session=False)
    )
    if customer_ids is None:
        return
    after = (
        await session.execute(
            select(S.customer_id, S.category_id, S.manual_category_id).where(*scope)
        )
    ).all()
    for customer_id, category_id, manual in after:
        old = before.get(customer_id)
        if old == category_id:
            continue
        await events.emit(
            session,
            events.Event(
                "purchases.category_changed",
                tenant_id,
                customer_id,
                {
                    "from": {"id": old, "name": names.get(old)} if old else None,
                    "to": {"id": category_id, "name": names.get(category_id)}
                    if category_id
                    else None,
                    "manual": manual is not None,
                },
                actor,
            ),
        )


JOB = "purchases.rules"


async def schedule(session: AsyncSession, tenant_id: int) -> None:
    """Tomorrow's pass over the tenant (once a day whatever the events: an idempotency key
    per day): time makes rules true or false with no new figures ("first purchase within
    30 days"), so the stored categories the list filters on are re-evaluated daily."""
    tomorrow = (utcnow() + timedelta(days=1)).date()
    when = datetime.combine(tomorrow, time(0, 5), tzinfo=UTC)
    await jobs.enqueue(
        session, tenant_id, JOB, {}, idempotency_key=f"rules:{tomorrow}", run_after=when
    )


async def run_daily(ctx) -> dict:
    """The daily job: every customer's category from the rules again (no events: a
    tenant-wide pass), then the next day's job."""
    async with ctx.chunk() as session:
        await evaluate(session, ctx.tenant_id, None)
        await schedule(session, ctx.tenant_id)
    return {}
