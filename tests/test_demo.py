"""The demo tenant `make run` serves: realistic, deterministic, and the access rule holds on
it (an agent sees exactly the customers assigned to them or in folders they may open)."""

from collections import Counter

import pytest
from sqlalchemy import text

from core.access import principal_for
from core.demo import seed_demo
from tests.fixtures import run
from tests.support import Api
from tests.test_subscriptions import BADGES, EVENTS, LIST, next_payload, socket, subscribe

EVERYONE = """{ customers(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  nodes { id name workers { name } folders { folder { name } } } } }"""


@pytest.fixture(scope="module")
def demo(client):
    async def seed():
        return await seed_demo(client.app.state.db, client.app.state.plugins)

    return run(client, seed)


def all_customers(api: Api) -> list[dict]:
    nodes, after = [], None
    query = "query($after: String) " + EVERYONE
    while True:
        page = api.query(query, after=after)["customers"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def worker_id(api: Api, name: str) -> int:
    from tests.support import pk_of

    workers = api.query("{ workers { id name role } }")["workers"]
    return pk_of(next(w["id"] for w in workers if w["name"] == name))


def test_demo_is_seeded_once_and_is_realistic(client, demo):
    tenant_id, admin_id = demo
    assert run(client, lambda: seed_demo(client.app.state.db, client.app.state.plugins)) == demo
    admin = Api(client, tenant_id, admin_id)
    customers = all_customers(admin)
    assert len(customers) >= 250
    roles = {w["role"] for w in admin.query("{ workers { role } }")["workers"]}
    assert roles == {"OWNER", "ADMIN", "MANAGER", "AGENT"}
    types = {
        d["type"]
        for d in admin.query("{ customFieldDefinitions { type } }")["customFieldDefinitions"]
    }
    assert len(types) == 8
    modules = admin.query("{ modules { name enabled } }")["modules"]
    assert all(m["enabled"] for m in modules)


def test_the_demo_has_a_segment_of_each_kind_and_their_counts_match_the_list(client, demo):
    admin = Api(client, *demo)
    found = admin.query(
        "{ segments(first: 10) { nodes { id name kind where count countIsExact } } }"
    )["segments"]["nodes"]
    assert sorted((s["name"], s["kind"]) for s in found) == [
        ("London customers", "DYNAMIC"),
        ("Quiet for a month", "DYNAMIC"),
        ("Spring newsletter", "STATIC"),
    ]
    count = "query($w: CustomerWhere) { customers(first: 1, where: $w) { totalCount } }"
    for segment in found:
        if segment["kind"] == "DYNAMIC":
            listed = admin.query(count, w=segment["where"])["customers"]["totalCount"]
            assert segment["count"] == listed > 0, segment
        else:
            assert segment["count"] == 12


def theirs(everyone: list[dict], agent: str) -> set[str]:
    """The customers assigned to the demo agent or in the folders the demo lets them open."""
    own_folders = {"New Leads"} | ({"Active Clients"} if agent == "Sam Agent" else set())
    return {
        c["id"]
        for c in everyone
        if agent in {w["name"] for w in c["workers"]}
        or own_folders & {f["folder"]["name"] for f in c["folders"]}
    }


@pytest.mark.parametrize("agent", ["Sam Agent", "Lia Agent"])
def test_an_agent_sees_exactly_their_customers(client, demo, agent):
    tenant_id, admin_id = demo
    admin = Api(client, tenant_id, admin_id)
    everyone = all_customers(admin)
    expected = theirs(everyone, agent)
    them = Api(client, tenant_id, worker_id(admin, agent))
    seen = {c["id"] for c in all_customers(them)}
    assert seen == expected
    assert 0 < len(seen) < len(everyone)
    principal = run(client, _principal, client, tenant_id, them.worker_id)
    assert "customers.view_all" not in principal.permissions


async def _principal(client, tenant_id, worker_id):
    async with client.app.state.db.read() as conn:
        return await principal_for(conn, tenant_id, worker_id)


@pytest.mark.parametrize("agent", ["Sam Agent", "Lia Agent"])
def test_an_agent_hears_exactly_about_their_customers(client, demo, agent):
    tenant_id, admin_id = demo
    admin = Api(client, tenant_id, admin_id)
    everyone = [c["id"] for c in all_customers(admin)]
    expected = theirs(all_customers(admin), agent)
    hidden = next(c for c in everyone if c not in expected)
    mine = next(c for c in everyone if c in expected)
    them = Api(client, tenant_id, worker_id(admin, agent))
    with socket(them) as ws:
        pages = [everyone[i : i + 200] for i in range(0, len(everyone), 200)]
        for n, page in enumerate(pages):
            subscribe(ws, BADGES, op=f"page {n}", ids=page)
        counted = {next_payload(ws)["data"]["badgeCounts"]["customerId"] for _ in expected}
        assert counted == expected
        subscribe(ws, LIST, op="list")
        admin.ok("updateCustomer", {"id": hidden, "city": "Hidden town"})
        admin.ok("updateCustomer", {"id": mine, "city": "Their town"})
        heard = [ws.receive_json() for _ in range(2)]  # the list's change, the badges' update
        page = f"page {everyone.index(mine) // 200}"
        by_op = {m["id"]: m["payload"]["data"] for m in heard}
        assert by_op.keys() == {"list", page}
        assert by_op["list"]["customerListChanged"] == {"kind": "CHANGED", "customerId": mine}
        assert by_op[page]["badgeCounts"]["customerId"] == mine
        subscribe(ws, EVENTS, op="events", id=hidden)
        assert ws.receive_json() == {"id": "events", "type": "complete"}


def test_demo_orders_and_payouts_reach_payments_through_the_contracts(client, demo):
    """Every demo order that went through ACCEPTED has exactly one invoice (source
    `orders:<id>`, its total, its id on the order), and every sent payout its balance entry
    (and a sent one that failed the entry undoing it): made by payments' own handlers from
    the events the demo emitted, as live (`core/demo_events.py`)."""
    tenant_id, _ = demo

    async def read(table: str, columns: str) -> list:
        async with client.app.state.db.read() as conn:
            query = text(f"SELECT {columns} FROM {table} WHERE tenant_id = :t")
            return list(await conn.execute(query, {"t": tenant_id}))

    orders = run(client, read, "orders", "id, status, total_amount, invoice_ref")
    invoices = run(client, read, "invoices", "id, source, total_amount, customer_id")
    payouts = run(client, read, "payouts", "id, status, amount, currency, sent_at")
    entries = run(client, read, "payment_balance_entries", "source, amount, currency")
    made = Counter(i.source for i in invoices if i.source)
    total_of = {i.source: i.total_amount for i in invoices if i.source}
    accepted = [o for o in orders if o.status in ("ACCEPTED", "ORDERED", "FULFILLED")]
    assert len(accepted) >= 20
    for order in accepted:
        source = f"orders:{order.id}"
        assert made[source] == 1, order
        assert total_of[source] == order.total_amount, order
        assert order.invoice_ref is not None, order  # orders heard payments' invoice.issued
    assert sum(made.values()) == len(accepted)  # and nothing else asked for one
    entry_of = {e.source: (e.amount, e.currency) for e in entries}
    sent = [p for p in payouts if p.sent_at is not None]
    assert len(sent) >= 10 and any(p.status == "FAILED" for p in sent)
    for payout in sent:
        assert entry_of[f"payouts:{payout.id}"] == (payout.amount, payout.currency), payout
        undone = entry_of.get(f"payouts:{payout.id}:failed")
        assert undone == ((-payout.amount, payout.currency) if payout.status == "FAILED" else None)
    assert len(entry_of) == len(sent) + sum(p.status == "FAILED" for p in sent)
