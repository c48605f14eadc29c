"""What a merge of two customers would do, read without writing.

The same rules as the merge itself (`core.merge.planned_values` for the fields, the same
tables as its record, `core.merge_undo.movable_tables`): the rows counted are the source's
rows in every table a merge moves, core's (files, contacts, the addresses of kinds the target
lacks) and every installed module's (a disabled module's rows move too). All the counts are
one statement."""

from dataclasses import dataclass

from sqlalchemy import func, literal, select, union_all

from core import access
from core.auth import Principal
from core.errors import InvalidInput, NotFound
from core.merge import planned_values
from core.merge_undo import LINKS, movable_tables, plain
from core.models import Customer, CustomerAddress


@dataclass
class Preview:
    source: dict
    target: dict
    fields: list[tuple[str, object, object]]  # (column, the target's value, after the merge)
    gained: dict[str, list[dict]]  # "folders" / "tags" / "workers": [{id, name}]
    sub_customers: int
    rows: list[tuple[str | None, str, int]]  # (module or None, table, rows that move)


async def preview(conn, principal: Principal, plugins, source_id: int, target_id: int) -> Preview:
    access.require(principal, "customers.delete")
    if source_id == target_id:
        raise InvalidInput.one(("sourceId",), "Pick two different customers.", "SAME")
    found = {
        row.id: row
        for row in await conn.execute(
            select(Customer.__table__).where(
                Customer.tenant_id == principal.tenant_id,
                Customer.id.in_([source_id, target_id]),
                access.visible_customers(principal),
            )
        )
    }
    if source_id not in found or target_id not in found:
        raise NotFound("Customer")
    source, target = found[source_id], found[target_id]
    fields = [
        (key, plain(getattr(target, key)), plain(value))
        for key, value in planned_values(target, source).items()
    ]
    gained = {}
    for name, link, column, model in LINKS:
        theirs = select(getattr(link, column)).where(link.customer_id == source_id)
        mine = select(getattr(link, column)).where(link.customer_id == target_id)
        rows = await conn.execute(
            select(model.id, model.name)
            .where(model.id.in_(theirs), model.id.not_in(mine))
            .order_by(model.id)
        )
        gained[name] = [{"id": r.id, "name": r.name} for r in rows]
    tables = movable_tables(plugins)
    held = select(CustomerAddress.kind).where(CustomerAddress.customer_id == target_id)
    parts = [
        select(literal("").label("t"), func.count().label("n")).where(
            Customer.tenant_id == principal.tenant_id, Customer.parent_id == source_id
        )
    ]
    for _, table in tables:
        where = [table.c.tenant_id == principal.tenant_id, table.c.customer_id == source_id]
        if table is CustomerAddress.__table__:
            where.append(table.c.kind.not_in(held))
        parts.append(
            select(literal(table.name).label("t"), func.count().label("n"))
            .select_from(table)
            .where(*where)
        )
    counts = {name: n for name, n in await conn.execute(union_all(*parts))}
    return Preview(
        source=dict(source._mapping),
        target=dict(target._mapping),
        fields=fields,
        gained=gained,
        sub_customers=counts.pop("", 0),
        rows=[(module, t.name, counts.get(t.name, 0)) for module, t in tables],
    )
