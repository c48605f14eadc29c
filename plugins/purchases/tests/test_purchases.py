"""The purchases module through the HTTP API: figures from payments and orders made through
their own mutations, a replayed (and concurrently redelivered) event changing nothing,
categories by hand and by rule, list filters and sorts on the figures, the report,
visibility and tenancy, and the list page's statement count."""

import asyncio

import pytest
import sqlalchemy
from sqlalchemy import select, text

from core import events
from core.models import Customer, EventRecord
from plugins.purchases import demo
from plugins.purchases.hooks import COUNTED
from tests.fixtures import run
from tests.support import Api, as_worker, count_statements, pk_of
from tests.support import create_customer as customer
from tests.support import create_worker as worker

FIGURES = """
totalSpent { amount currency } totalSpentAmount lifetimeValue { amount currency }
lifetimeValueAmount orderCount purchaseCount averageOrderValue { amount currency }
firstPurchaseAt lastPurchaseAt purchaseFrequencyDays reportingCurrency
favouriteProducts { name quantity } paymentMethods
totals { currency spent refunded orderTotal orderCount averageOrderValue dealsWon lifetimeValue }
monthly { month amount { amount currency } }
category { id name } categoryName categorySetByHand
"""
PROFILE = f"query($id: ID!) {{ customer(id: $id) {{ purchases {{ {FIGURES} }} }} }}"
WHERE = """query($where: CustomerWhere, $order: CustomerOrder) {
  customers(first: 50, where: $where, orderBy: $order) { nodes { name } } }"""
CATEGORIES = "{ purchaseCategories { id name position minTotalSpent minPurchases } }"
REPORT = """query($days: Int) { purchaseReport(retentionDays: $days) {
  reportingCurrency topCustomers { customer { name } totalSpent { amount currency } }
  acquisition { month customers } retention { days customers returned rate }
  churnRiskCount churnRisk { customer { name } }
  byPlace { country city customers totalSpent } byCountry { country customers totalSpent }
} }"""
TIMELINE = "query($id: ID!) { customer(id: $id) { timeline(first: 50) { nodes { action data } } } }"


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("payments", "orders", "purchases")
    return api


def figures(api: Api, customer_id: str) -> dict:
    return api.query(PROFILE, id=customer_id)["customer"]["purchases"]


def pay(api: Api, customer_id: str, amount: int, key: str, currency: str = "EUR") -> str:
    data = {
        "customerId": customer_id,
        "amount": {"amount": amount, "currency": currency},
        "idempotencyKey": key,
    }
    return api.ok("recordPayment", data, "payment { id }")["payment"]["id"]


def order(api: Api, customer_id: str, lines: list, *statuses: str) -> str:
    data = {"customerId": customer_id, "kind": "QUOTE", "currency": "EUR", "lines": lines}
    made = api.ok("createOrder", data, "order { id }")["order"]["id"]
    for status in statuses:
        api.ok("setOrderStatus", {"id": made, "status": status})
    return made


def names(api: Api, where=None, order=None) -> list[str]:
    found = api.query(WHERE, where=where, order=order)["customers"]["nodes"]
    return [n["name"] for n in found]


def category(api: Api, name: str) -> str:
    return next(c["id"] for c in api.query(CATEGORIES)["purchaseCategories"] if c["name"] == name)


def stored_events(client, tenant_id: int) -> list[events.Event]:
    async def read():
        async with client.app.state.db.read() as conn:
            rows = await conn.execute(
                select(EventRecord.__table__)
                .where(EventRecord.tenant_id == tenant_id)
                .order_by(EventRecord.id)
            )
            return [
                events.Event(
                    r.action, r.tenant_id, r.customer_id, r.data, r.actor_id, r.occurred_at, r.id
                )
                for r in rows
            ]

    return run(client, read)


def deliver(client, found: list[events.Event], modules: frozenset, times: int = 3) -> None:
    """Hand events to the handlers again, several deliveries at once (at least once)."""

    async def one(event):
        app = client.app.state
        for impl in app.plugins.caller("hub_handle_event", modules).get_hookimpls():
            async with app.db.transaction(event.tenant_id) as session:
                events.bind(session, app.plugins, modules)
                result = impl.function(session=session, event=event)
                if asyncio.iscoroutine(result):
                    await result

    async def all_at_once():
        for event in found:
            await asyncio.gather(*(one(event) for _ in range(times)))

    run(client, all_at_once)


def test_figures_follow_payments_and_orders_once_and_replays_change_nothing(owner, client):
    ada, bob = customer(owner, "Ada"), customer(owner, "Bob")
    assert figures(owner, ada)["totalSpent"] is None and figures(owner, ada)["orderCount"] == 0
    paid = pay(owner, ada, 50_000, "p-1")
    pay(owner, ada, 50_000, "p-1")  # the client's retry: one payment
    owner.ok("refundPayment", {"paymentId": paid, "amount": {"amount": 10_000, "currency": "EUR"}})
    pay(owner, ada, 2_000, "p-2", "USD")
    widget = [{"description": "Widget", "quantity": 3, "unitAmount": 1_000}]
    lines = [*widget, {"description": "Gear", "quantity": 1, "unitAmount": 500}]
    first = order(owner, ada, lines, "SENT", "ACCEPTED", "ORDERED", "FULFILLED")
    order(owner, ada, widget, "SENT", "ACCEPTED")  # accepted, not yet ordered: no purchase
    order(owner, ada, widget, "SENT", "ACCEPTED", "CANCELLED")
    found = figures(owner, ada)
    assert found["reportingCurrency"] == "EUR"  # the first currency seen
    assert found["totalSpent"] == {"amount": 40_000, "currency": "EUR"}
    assert found["orderCount"] == 1 and found["purchaseCount"] == 3  # 2 payments + 1 order
    assert found["averageOrderValue"] == {"amount": 3_500, "currency": "EUR"}
    assert found["lifetimeValue"] == {"amount": 40_000, "currency": "EUR"}
    assert found["favouriteProducts"] == [
        {"name": "Widget", "quantity": 3},
        {"name": "Gear", "quantity": 1},
    ]
    totals = {t["currency"]: t for t in found["totals"]}
    assert totals["EUR"]["refunded"] == 10_000 and totals["EUR"]["orderTotal"] == 3_500
    assert totals["USD"]["spent"] == 2_000 and totals["USD"]["averageOrderValue"] is None
    assert sorted((m["amount"]["currency"], m["amount"]["amount"]) for m in found["monthly"]) == [
        ("EUR", 40_000),
        ("USD", 2_000),
    ]
    assert found["firstPurchaseAt"] <= found["lastPurchaseAt"]
    assert found["purchaseFrequencyDays"] is not None
    assert found["categoryName"] == "New"  # first purchase within 30 days
    # Every event of the tenant delivered three more times, three at once: nothing changes.
    counted = [e for e in stored_events(client, owner.tenant_id) if e.name in COUNTED]
    deliver(client, counted, frozenset({"purchases"}))
    assert figures(owner, ada) == found
    assert figures(owner, bob)["orderCount"] == 0
    # An order's status events replayed out of order still count it once.
    ordered = [
        e
        for e in stored_events(client, owner.tenant_id)
        if e.name in ("order.status_changed", "order.accepted") and e.data.get("orderId") == first
    ]
    deliver(client, list(reversed(ordered)), frozenset({"purchases"}))
    assert figures(owner, ada)["orderCount"] == 1
    # A payment event carrying its method (a future payments) shows it, once.
    method = events.Event(
        "payment.received",
        owner.tenant_id,
        pk_of(bob),
        {"paymentId": "x-1", "amount": 700, "currency": "EUR", "method": "CARD"},
        id=10**9,
    )
    deliver(client, [method, method], frozenset({"purchases"}))
    bobs = figures(owner, bob)
    assert bobs["paymentMethods"] == ["CARD"] and bobs["totalSpentAmount"] == 700


def test_categories_by_rule_and_by_hand(owner, client):
    ada, bob = customer(owner, "Ada"), customer(owner, "Bob")
    assert [c["name"] for c in owner.query(CATEGORIES)["purchaseCategories"]] == [
        "VIP",
        "New",
        "Regular",
        "Business",
    ]
    pay(owner, ada, 150_000, "a-1")
    pay(owner, bob, 100, "b-1")
    assert figures(owner, ada)["categoryName"] == "VIP"
    assert figures(owner, bob)["categoryName"] == "New"
    # time alone ends "New": one pass over the tenant a day, queued once whatever the events
    queued = owner.query("{ jobs(first: 10) { nodes { kind status } } }")["jobs"]["nodes"]
    assert queued == [{"kind": "purchases.rules", "status": "QUEUED"}]
    business = category(owner, "Business")
    set_by_hand = owner.ok(
        "setCustomerCategory",
        {"customerId": bob, "categoryId": business},
        "customer { purchases { categoryName categorySetByHand } }",
    )
    assert set_by_hand["customer"]["purchases"] == {
        "categoryName": "Business",
        "categorySetByHand": True,
    }
    pay(owner, bob, 200_000, "b-2")  # the figures change; the hand-set category wins
    assert figures(owner, bob)["categoryName"] == "Business"
    owner.ok("setCustomerCategory", {"customerId": bob, "categoryId": None})
    assert figures(owner, bob)["categoryName"] == "VIP"
    # A rule edited applies to every customer at once.
    vip = category(owner, "VIP")
    saved = owner.ok(
        "savePurchaseCategory", {"id": vip, "minTotalSpent": 180_000}, "category { name }"
    )
    assert saved["category"] == {"name": "VIP"}
    assert figures(owner, ada)["categoryName"] == "New"
    assert figures(owner, bob)["categoryName"] == "VIP"
    whale = owner.ok(
        "savePurchaseCategory",
        {"name": "Whale", "position": 1, "minTotalSpent": 200_000},
        "category { id }",
    )["category"]["id"]
    assert figures(owner, bob)["categoryName"] == "Whale"
    taken = owner.mutate("savePurchaseCategory", {"name": "whale"})
    assert [e["code"] for e in taken["userErrors"]] == ["PURCHASE_CATEGORY_EXISTS"]
    bad = owner.mutate("savePurchaseCategory", {"name": " ", "minPurchases": -1})
    assert sorted(e["code"] for e in bad["userErrors"]) == ["INVALID", "REQUIRED"]
    owner.ok("deletePurchaseCategory", {"id": whale})
    assert figures(owner, bob)["categoryName"] == "VIP"
    changes = [
        n["data"]
        for n in owner.query(TIMELINE, id=bob)["customer"]["timeline"]["nodes"]
        if n["action"] == "purchases.category_changed"
    ]
    assert {"from": {"id": pk_of(business), "name": "Business"}, "to": {"id": pk_of(vip),
            "name": "VIP"}, "manual": False} in changes  # fmt: skip
    # Only `purchases.manage` sets categories; an agent reads them.
    agent = as_worker(owner, worker(owner, "Agnes"))
    errors = agent.errors(
        "mutation($i: SetCustomerCategoryInput!) { setCustomerCategory(input: $i) "
        "{ userErrors { code } } }",
        i={"customerId": ada, "categoryId": vip},
    )
    assert errors[0]["extensions"]["code"] in ("FORBIDDEN", "NOT_FOUND")
    unknown = owner.mutate("setCustomerCategory", {"customerId": ada, "categoryId": whale})
    assert [e["code"] for e in unknown["userErrors"]] == ["NOT_FOUND"]


def test_filters_and_sorts_on_the_figures(owner):
    ada, bob, cyd = (customer(owner, n) for n in ("Ada", "Bob", "Cyd"))
    customer(owner, "Dan")
    pay(owner, ada, 150_000, "a")
    pay(owner, bob, 50_000, "b")
    pay(owner, cyd, 100_001, "c")
    over = {"field": "purchases.totalSpent", "op": "GT", "value": 100_000}
    assert sorted(names(owner, over)) == ["Ada", "Cyd"]
    assert sorted(names(owner, {"not": over})) == ["Bob", "Dan"]
    recent = {"field": "purchases.lastPurchaseAt", "op": "WITHIN_LAST_DAYS", "value": 90}
    assert names(owner, {"not": recent}) == ["Dan"]  # no purchase in 90 days
    empty = {"field": "purchases.lastPurchaseAt", "op": "IS_EMPTY"}
    assert names(owner, empty) == ["Dan"]
    assert sorted(names(owner, {"not": empty})) == ["Ada", "Bob", "Cyd"]
    by_value = {"key": "purchases.lifetimeValue", "direction": "DESC"}
    assert names(owner, None, by_value) == ["Ada", "Cyd", "Bob", "Dan"]
    vip = {"field": "purchases.category", "op": "EQ", "value": "VIP"}
    assert sorted(names(owner, vip)) == ["Ada", "Cyd"]
    both = {"and": [vip, {"field": "purchases.totalSpent", "op": "LT", "value": 120_000}]}
    assert names(owner, both) == ["Cyd"]
    agent = as_worker(owner, worker(owner, "Agnes"))
    assert names(agent, over) == []  # sees none of them


def test_the_report_counts_only_what_the_viewer_sees(owner):
    ada = customer(owner, "Ada", city="Berlin")
    bob = customer(owner, "Bob", city="Paris")
    pay(owner, ada, 150_000, "a")
    pay(owner, ada, 1_000, "a2")
    pay(owner, bob, 50_000, "b")
    report = owner.query(REPORT, days=30)["purchaseReport"]
    assert report["reportingCurrency"] == "EUR"
    assert [(t["customer"]["name"], t["totalSpent"]["amount"]) for t in report["topCustomers"]] == [
        ("Ada", 151_000),
        ("Bob", 50_000),
    ]
    assert sum(m["customers"] for m in report["acquisition"]) == 2
    # first purchases younger than the window are not judged yet
    assert report["retention"] == {"days": 30, "customers": 0, "returned": 0, "rate": None}
    assert sorted((p["city"], p["customers"]) for p in report["byPlace"]) == [
        ("Berlin", 1),
        ("Paris", 1),
    ]
    assert report["churnRiskCount"] == 0
    agnes = worker(owner, "Agnes")
    owner.ok("assignWorkers", {"customerId": bob, "workerIds": [agnes]})
    seen = as_worker(owner, agnes).query(REPORT)["purchaseReport"]
    assert [t["customer"]["name"] for t in seen["topCustomers"]] == ["Bob"]


def test_the_report_reads_only_the_parts_asked_for_and_counts_in_one_statement(owner, engine):
    """The top lists a statement each, every count (acquisition, retention, churn risk,
    places) together one more, whatever the number of customers; nothing for a part not
    selected."""
    for n, city in enumerate(("Berlin", "Paris", "Rome")):
        pay(owner, customer(owner, f"C{n}", city=city), 1_000 * (n + 1), f"k{n}")

    def statements(fields: str) -> int:
        with count_statements(engine) as counter:
            owner.query(f"{{ purchaseReport {{ reportingCurrency {fields} }} }}")
        return counter.count

    floor = statements("")
    assert statements("") == floor - 1  # the same report again: kept, not read
    assert statements("topCustomers { totalSpent { amount } }") == floor + 1
    assert statements("churnRisk { lastPurchaseAt }") == floor + 1
    counts = "acquisition { month } retention { rate } churnRiskCount byPlace { city } "
    assert statements(counts + "byCountry { country }") == floor + 1
    report = owner.query(REPORT)["purchaseReport"]
    assert [p["city"] for p in report["byPlace"]] == ["Berlin", "Paris", "Rome"]
    assert report["byCountry"] == [{"country": None, "customers": 3, "totalSpent": 6_000}]


def test_a_report_is_kept_a_minute_and_dropped_by_the_next_purchase(owner):
    ada = customer(owner, "Ada")
    pay(owner, ada, 1_000, "a")
    ask = "{ purchaseReport { generatedAt topCustomers { totalSpent { amount } } } }"
    first = owner.query(ask)["purchaseReport"]
    assert owner.query(ask)["purchaseReport"] == first  # kept: the same reading
    pay(owner, ada, 500, "b")
    again = owner.query(ask)["purchaseReport"]
    assert again["generatedAt"] > first["generatedAt"]
    assert again["topCustomers"] == [{"totalSpent": {"amount": 1_500}}]


def test_tenancy_and_global_ids(owner, other_api):
    ada = customer(owner, "Ada")
    pay(owner, ada, 1_000, "a")
    other_api.enable("purchases")
    vip = category(owner, "VIP")
    found = other_api.mutate("setCustomerCategory", {"customerId": ada, "categoryId": None})
    assert [e["code"] for e in found["userErrors"]] == ["NOT_FOUND"]
    node = "query($id: ID!) { node(id: $id) { ... on PurchaseCategory { name } } }"
    assert owner.query(node, id=vip)["node"] == {"name": "VIP"}
    assert other_api.query(node, id=vip)["node"] is None
    theirs = customer(other_api, "Zed")
    wrong = other_api.mutate("setCustomerCategory", {"customerId": theirs, "categoryId": vip})
    assert [e["code"] for e in wrong["userErrors"]] == ["NOT_FOUND"]
    assert other_api.query(REPORT)["purchaseReport"]["topCustomers"] == []


PAGE = "query($first: Int) { customers(first: $first) { nodes { name purchases { %s } } } }"
PAGE %= FIGURES


def test_the_list_page_reads_the_figures_in_one_statement(owner, engine):
    for n in range(16):
        made = customer(owner, f"C{n:02d}")
        if n % 4 == 0:
            pay(owner, made, 1_000 + n, f"k{n}")
    with count_statements(engine) as two:
        owner.query(PAGE, first=2)
    with count_statements(engine) as sixteen:
        page = owner.query(PAGE, first=16)["customers"]["nodes"]
    print(f"statements: first 2 -> {two.count}, first 16 -> {sixteen.count}")
    assert two.count == sixteen.count
    assert sum(1 for n in page if n["purchases"]["totalSpentAmount"]) == 4


def test_merging_adds_the_figures_up_and_export_shows_them(owner):
    source, target = customer(owner, "Ada L."), customer(owner, "Ada Lovelace")
    pay(owner, source, 70_000, "s")
    pay(owner, target, 40_000, "t")
    merge = owner.ok("mergeCustomers", {"sourceId": source, "targetId": target}, "merge { id }")
    merged = figures(owner, target)
    assert merged["totalSpentAmount"] == 110_000 and merged["purchaseCount"] == 2
    assert merged["categoryName"] == "VIP"
    owner.ok("undoMerge", {"mergeId": merge["merge"]["id"]})
    assert figures(owner, target)["totalSpentAmount"] == 40_000
    assert figures(owner, source)["totalSpentAmount"] == 70_000
    owner.ok("mergeCustomers", {"sourceId": source, "targetId": target}, "customer { id }")
    data = owner.query("query($id: ID!) { customerExport(id: $id) }", id=target)["customerExport"]
    exported = data["modules"]["purchases"]
    assert exported["figures"]["total_spent"] == 110_000
    assert [t["spent"] for t in exported["totals"]] == [110_000]


def test_demo_gives_customers_figures_and_categories(owner, client):
    for i in range(16):
        customer(owner, f"D{i:02d}")

    async def seed():
        async with client.app.state.db.transaction() as session:
            query = select(Customer.id).where(Customer.tenant_id == owner.tenant_id)
            ids = list(await session.scalars(query.order_by(Customer.id)))
            await demo.seed(session, owner.tenant_id, ids, 7)

    run(client, seed)
    page = owner.query(
        "{ customers(first: 16) { nodes { purchases { orderCount totalSpentAmount "
        "categoryName favouriteProducts { name } monthly { month } } } } }"
    )["customers"]["nodes"]
    buyers = [n["purchases"] for n in page if n["purchases"]["orderCount"]]
    assert len(buyers) >= 6
    assert len({b["categoryName"] for b in buyers} - {None}) >= 2
    assert all(b["favouriteProducts"] for b in buyers)
    report = owner.query(REPORT, days=60)["purchaseReport"]
    assert report["topCustomers"] and report["acquisition"] and report["retention"]["customers"]


PAGED = """query($first: Int, $after: String, $order: CustomerOrder, $where: CustomerWhere) {
  customers(first: $first, after: $after, orderBy: $order, where: $where) {
    nodes { name } pageInfo { endCursor hasNextPage } } }"""


def test_a_sort_on_the_figures_pages_through_values_then_customers_without(owner):
    amounts = {"Ada": 500, "Bob": 300, "Cyd": 300, "Dan": 100}
    for name in ("Ada", "Bob", "Cyd", "Dan", "Eve", "Fay"):
        made = customer(owner, name)
        if name in amounts:
            pay(owner, made, amounts[name], name)
    for direction, expected in (
        ("DESC", ["Ada", "Cyd", "Bob", "Dan", "Fay", "Eve"]),
        ("ASC", ["Dan", "Bob", "Cyd", "Ada", "Eve", "Fay"]),
    ):
        order = {"key": "purchases.totalSpent", "direction": direction}
        seen, after = [], None
        while True:
            page = owner.query(PAGED, first=3 if not seen else 2, after=after, order=order)
            page = page["customers"]
            seen += [n["name"] for n in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == expected, direction
    some = {"field": "purchases.totalSpent", "op": "GTE", "value": 300}
    order = {"key": "purchases.totalSpent", "direction": "ASC"}
    page = owner.query(PAGED, first=5, order=order, where=some)["customers"]["nodes"]
    assert [n["name"] for n in page] == ["Bob", "Cyd", "Ada"]


def test_filters_and_sorts_on_the_figures_read_their_index(api, client, engine):
    """PostgreSQL, a tenant big enough for the planner to know better: a filter on a rare
    total reads `purchase_stats`' (tenant_id, total_spent, customer_id) index, and a sort on
    lifetime value walks (tenant_id, lifetime_value, customer_id) instead of computing the
    value for every customer and sorting them (a second at 200,000 customers)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner")
    api.enable("purchases")

    async def grow():
        async with client.app.state.db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO customers (tenant_id, kind, name, sort_name, search_text, "
                    "phones, emails, custom_fields, blocked, version, created_at, updated_at) "
                    "SELECT :tenant, 'LEAD', 'Filler ' || n, 'filler ' || n, 'filler ' || n, "
                    "'[]', '[]', '{}', false, 1, now(), now() FROM generate_series(1, 5000) n"
                ),
                {"tenant": api.tenant_id},
            )
            await session.execute(
                text(
                    "INSERT INTO purchase_stats (customer_id, tenant_id, currency, total_spent, "
                    "lifetime_value, order_count, purchase_count, updated_at) "
                    "SELECT id, tenant_id, 'EUR', (id * 7919) % 100000, (id * 7919) % 100000, "
                    "0, 1, now() FROM customers WHERE tenant_id = :tenant AND id % 3 > 0"
                ),
                {"tenant": api.tenant_id},
            )
        async with engine.connect() as conn:  # the login: it owns the tables
            await conn.exec_driver_sql("ANALYZE customers")
            await conn.exec_driver_sql("ANALYZE purchase_stats")
            await conn.commit()

    run(client, grow)
    captured: list[tuple[str, tuple]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if "purchase_stats" in statement and "ORDER BY" in statement:
            captured.append((statement, tuple(parameters or ())))

    rare = {"field": "purchases.totalSpent", "op": "GT", "value": 99_990}
    by_value = {"key": "purchases.lifetimeValue", "direction": "DESC"}
    sqlalchemy.event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        names(api, rare)
        assert len(names(api, None, by_value)) == 50
    finally:
        sqlalchemy.event.remove(engine.sync_engine, "before_cursor_execute", capture)

    async def plans() -> list[str]:
        async with client.app.state.db.read() as conn:
            found = []
            for statement, parameters in captured:
                rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
                found.append("\n".join(r[0] for r in rows))
            return found

    filtered, sorted_ = run(client, plans)[:2]
    assert "ix_purchase_stats_tenant_id_total_spent_customer_id" in filtered, filtered
    assert "ix_purchase_stats_tenant_id_lifetime_value_customer_id" in sorted_, sorted_
    assert "Sort Key" not in sorted_.split("->")[1], sorted_


def test_won_deals_and_payment_methods_come_from_the_modules_own_events(owner):
    """The real events, not hand-made ones: deals' `deal.won` carries the deal's value and
    payments' `payment.received` its method."""
    owner.enable("deals")
    ada = customer(owner, "Ada")
    pay(owner, ada, 5_000, "m-1")
    deal = {
        "customerId": ada,
        "name": "Website",
        "value": {"amount": 120_000, "currency": "EUR"},
        "idempotencyKey": "d-1",
    }
    made = owner.ok("createDeal", deal, "deal { id version }")["deal"]
    won = next(
        s for s in owner.query("{ dealStages { id kind } }")["dealStages"] if s["kind"] == "WON"
    )
    owner.ok("moveDeal", {"id": made["id"], "stageId": won["id"], "version": made["version"]})
    found = figures(owner, ada)
    assert found["paymentMethods"] == ["OTHER"]  # recordPayment without a method
    assert found["lifetimeValue"] == {"amount": 125_000, "currency": "EUR"}
    totals = {t["currency"]: t for t in found["totals"]}
    assert totals["EUR"]["dealsWon"] == 120_000
