"""What the tenant holds, in the issue's terms: rows per table, how many customers the
common search term matches, and what share of the tenant the restricted agent sees."""

from sqlalchemy import text

from bench.scale import shape
from bench.scale.api import connect
from bench.scale.tenant import Ids

TABLES = (
    "customers", "customer_folders", "customer_tags", "customer_workers", "invoices",
    "tickets", "appointments", "insurance_policies", "events", "orders", "deals",
    "subscriptions", "payouts", "purchase_stats",
)  # fmt: skip


async def summary(url: str, ids: Ids) -> tuple[int, dict[str, str]]:
    facts: dict[str, str] = {}
    tid = ids.tenant_id
    async with connect(url) as conn:
        for table in TABLES:
            count = await conn.scalar(text(f"SELECT count(*) FROM {table} WHERE tenant_id = {tid}"))
            facts[table] = count
        customers = facts["customers"] or 1
        matches = await conn.scalar(
            text(f"SELECT count(*) FROM customers WHERE tenant_id = {tid} AND search_text LIKE :t"),
            {"t": f"%{shape.COMMON_TERM}%"},
        )
        folders = ", ".join(str(ids.folder(name)) for name in shape.AGENT_FOLDERS)
        visible = await conn.scalar(
            text(
                f"SELECT count(*) FROM customers c WHERE c.tenant_id = {tid} AND (EXISTS ("
                "SELECT 1 FROM customer_workers w WHERE w.customer_id = c.id "
                f"AND w.worker_id = {ids.agent_id}) OR EXISTS (SELECT 1 FROM customer_folders f "
                f"WHERE f.customer_id = c.id AND f.folder_id IN ({folders})))"
            )
        )
    out = {table: f"{n:,}" for table, n in facts.items()}
    out[f"'{shape.COMMON_TERM}' matches"] = f"{matches:,} ({matches / customers:.1%})"
    out["agent sees"] = f"{visible:,} ({visible / customers:.1%})"
    return facts["customers"], out
