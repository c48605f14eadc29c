"""Are the generated purchase figures what the purchases module computes? For a sample of
customers with facts, `plugins.purchases.service.refresh` (the module's own code, as after
an event) rebuilds their figures inside a transaction that is rolled back, and its rows are
compared with the generated ones. Any difference stops the bench."""

from sqlalchemy import text

from bench.scale.tenant import Ids
from core import events
from core.database import Database
from plugins.purchases import rules, service

SAMPLE = 200
COLUMNS = {
    "purchase_stats": "customer_id, currency, total_spent, lifetime_value, order_count, "
    "purchase_count, first_purchase_at, last_purchase_at, first_month, repeat_days, "
    "interval_seconds, products, methods, category_id",
    "purchase_totals": "customer_id, currency, spent, refunded, order_total, order_count, "
    "deals_won, lifetime_value",
    "purchase_months": "customer_id, month, currency, amount",
}


async def categorise(url: str, ids: Ids) -> None:
    """The categories by rule, set by the module's own tenant-wide pass."""
    db = Database(url)
    try:
        async with db.transaction(ids.tenant_id) as session:
            await session.execute(text("SET LOCAL statement_timeout = 0"))  # a million rows
            await rules.evaluate(session, ids.tenant_id, None)
    finally:
        await db.dispose()


async def _rows(session, table: str, customers: list[int]) -> list[tuple]:
    listed = ", ".join(map(str, customers))
    result = await session.execute(
        text(
            f"SELECT {COLUMNS[table]} FROM {table} WHERE customer_id IN ({listed}) ORDER BY 1, 2, 3"
        )
    )
    return [tuple(row) for row in result]


async def verify(url: str, ids: Ids, plugins) -> str:
    db = Database(url)
    problems: list[str] = []
    try:
        async with db.transaction(ids.tenant_id) as session:
            events.bind(session, plugins, frozenset(plugins.modules))
            customers = list(
                await session.scalars(
                    text(
                        "SELECT customer_id FROM purchase_stats WHERE tenant_id = :t "
                        "ORDER BY hashint4(customer_id) LIMIT :n"
                    ),
                    {"t": ids.tenant_id, "n": SAMPLE},
                )
            )
            generated = {table: await _rows(session, table, customers) for table in COLUMNS}
            for customer_id in customers:
                await service.refresh(session, ids.tenant_id, customer_id)
            for table, rows in generated.items():
                computed = await _rows(session, table, customers)
                for mine, theirs in zip(rows, computed, strict=False):
                    if mine != theirs:
                        problems.append(f"{table}: generated {mine}, the module {theirs}")
                if len(rows) != len(computed):
                    problems.append(f"{table}: {len(rows)} rows generated, {len(computed)} made")
            await session.rollback()
    finally:
        await db.dispose()
    if problems:
        raise SystemExit("purchase figures differ:\n  " + "\n  ".join(problems[:20]))
    return f"purchase figures of {len(customers)} customers equal the module's own"
