"""One customer's data, whole: what core holds and what every installed module holds (a
disabled module's data is the customer's data too), as JSON-able values."""

from core import customer_queries as q
from core.auth import Principal
from core.errors import NotFound
from core.json_rows import plain
from core.plugins import Plugins


async def export_customer(conn, principal: Principal, plugins: Plugins, customer_id: int) -> dict:
    rows = await q.customers_by_ids(conn, principal, [customer_id])
    if customer_id not in rows:
        raise NotFound("Customer")
    tenant_id = principal.tenant_id
    data = {
        "customer": rows[customer_id],
        "tags": (await q.tags_of(conn, tenant_id, [customer_id])).get(customer_id, []),
        "folders": (await q.memberships_of(conn, tenant_id, [customer_id])).get(customer_id, []),
        "workers": (await q.workers_of(conn, tenant_id, [customer_id])).get(customer_id, []),
        "addresses": (await q.addresses_of(conn, tenant_id, [customer_id])).get(customer_id, []),
        "contacts": (await q.contacts_of(conn, tenant_id, [customer_id])).get(customer_id, []),
        "modules": {},
    }
    results = await plugins.call(
        "hub_customer_export",
        conn=conn,
        tenant_id=tenant_id,
        customer_id=customer_id,
        principal=principal,
    )
    for result in results:
        data["modules"].update(result or {})
    return plain(data)
