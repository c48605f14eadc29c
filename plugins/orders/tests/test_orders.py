"""The orders module through the HTTP API: the catalog (CRUD, validation, search, pages),
orders (totals and their rounding, every status move, drafts-only lines, idempotent
creation), the history on the profile with its filters, tab and badge, visibility and
tenancy, merging, export, demo data, the invoice an accepted order gets from payments
(`test_orders_invoices.py`), and a list page's statement count."""

import pytest
from sqlalchemy import select

from core.models import Customer
from plugins.orders import demo
from tests.fixtures import run
from tests.support import Api, as_worker, count_statements, gid, pk_of
from tests.support import create_customer as customer
from tests.support import create_worker as worker

PRODUCT = "id name sku description price { amount currency } taxRate active category"
LINE = "position description quantity unitPrice { amount } discountRate taxRate "
LINE += "gross { amount } discount { amount } net { amount } product { sku }"
ORDER = "id kind number reference status currency notes validUntil open invoiceId "
ORDER += "subtotal { amount currency } discount { amount } tax { amount } total { amount } "
ORDER += f"lines {{ {LINE} }} customer {{ id }} createdBy {{ name }} createdAt"
HISTORY = """
query($id: ID!, $first: Int, $after: String, $status: [OrderStatus!], $kind: [OrderKind!],
      $from: DateTime, $to: DateTime) {
  customer(id: $id) {
    orders {
      all(first: $first, after: $after, status: $status, kind: $kind, from: $from, to: $to) {
        nodes { reference status kind createdAt }
        pageInfo { hasNextPage endCursor }
        totalCount
      }
      openCount
    }
  }
}"""
PRODUCTS = """
query($first: Int, $after: String, $search: String, $category: String, $active: Boolean) {
  products(first: $first, after: $after, search: $search, category: $category, active: $active)
  { nodes { sku } pageInfo { hasNextPage endCursor } totalCount }
}"""
NODE = "query($id: ID!) { node(id: $id) { ... on Order { reference status } } }"
WHERE = "query($where: CustomerWhere) { customers(where: $where) { nodes { name } } }"
TABS = "query($id: ID!) { customer(id: $id) { profileTabs { key badgeCount } } }"
INVOICES = """query($id: ID!) { customer(id: $id) { payments { invoices { nodes {
  id number status total { amount currency } note
  lines { description quantity unitPrice { amount } }
} } } } }"""
TIMELINE = "query($id: ID!) { customer(id: $id) { timeline(first: 50) { nodes { action data } } } }"


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("orders")
    return api


def errors_of(payload: dict) -> list[tuple]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def product(api: Api, sku: str = "W-1", **fields) -> dict:
    data = {"name": "Widget", "sku": sku, "price": {"amount": 1000, "currency": "EUR"}}
    return api.mutate("createProduct", {**data, **fields}, f"product {{ {PRODUCT} }}")


def create(api: Api, customer_id: str, lines=None, **fields) -> dict:
    data = {
        "customerId": customer_id,
        "kind": "QUOTE",
        "currency": "EUR",
        "lines": lines or [{"description": "Work", "unitAmount": 1000}],
    }
    return api.mutate("createOrder", {**data, **fields}, f"order {{ {ORDER} }}")


def created(api: Api, customer_id: str, lines=None, **fields) -> dict:
    payload = create(api, customer_id, lines, **fields)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["order"]


def move(api: Api, order_id: str, status: str) -> dict:
    return api.mutate("setOrderStatus", {"id": order_id, "status": status}, f"order {{ {ORDER} }}")


def moved(api: Api, order_id: str, *statuses: str) -> dict:
    for status in statuses:
        payload = move(api, order_id, status)
        assert payload["userErrors"] == [], payload["userErrors"]
    return payload["order"]


def history(api: Api, customer_id: str, **variables) -> dict:
    return api.query(HISTORY, id=customer_id, **variables)["customer"]["orders"]["all"]


# --- catalog -----------------------------------------------------------------------------------


def test_catalog_create_update_deactivate_search_and_validate(owner, other_api):
    made = product(owner, "w-1", taxRate=1900, category="Parts", description="Blue")
    assert made["userErrors"] == []
    widget = made["product"]
    assert widget["price"] == {"amount": 1000, "currency": "EUR"} and widget["active"] is True
    assert errors_of(product(owner, "W-1")) == [(["input", "sku"], "TAKEN")]
    bad = product(
        owner, "bad sku", name=" ", taxRate=10_001, price={"amount": -1, "currency": "eu"}
    )
    assert sorted(errors_of(bad)) == sorted(
        [
            (["input", "name"], "REQUIRED"),
            (["input", "sku"], "INVALID"),
            (["input", "price", "amount"], "INVALID"),
            (["input", "price", "currency"], "INVALID"),
            (["input", "taxRate"], "INVALID"),
        ]
    )
    gadget = product(owner, "G-1", name="Gadget", category="Tools")["product"]
    product(owner, "A-1", name="Anvil", category="Tools", price={"amount": 0, "currency": "EUR"})
    changed = owner.mutate(
        "updateProduct",
        {"id": widget["id"], "name": "Widget XL", "price": {"amount": 1250, "currency": "eur"}},
        f"product {{ {PRODUCT} }}",
    )["product"]
    assert (changed["name"], changed["price"]["amount"], changed["sku"]) == (
        "Widget XL",
        1250,
        "w-1",
    )
    taken = owner.mutate("updateProduct", {"id": gadget["id"], "sku": "W-1"})
    assert errors_of(taken) == [(["input", "sku"], "TAKEN")]
    off = owner.ok("setProductActive", {"id": gadget["id"], "active": False}, "product { active }")
    assert off["product"]["active"] is False
    assert [n["sku"] for n in owner.query(PRODUCTS)["products"]["nodes"]] == ["A-1", "G-1", "w-1"]
    page = owner.query(PRODUCTS, first=2)["products"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    rest = owner.query(PRODUCTS, first=2, after=page["pageInfo"]["endCursor"])["products"]
    assert [n["sku"] for n in rest["nodes"]] == ["w-1"]
    assert [n["sku"] for n in owner.query(PRODUCTS, search="XL")["products"]["nodes"]] == ["w-1"]
    assert [n["sku"] for n in owner.query(PRODUCTS, search="g-")["products"]["nodes"]] == ["G-1"]
    assert [n["sku"] for n in owner.query(PRODUCTS, search="%")["products"]["nodes"]] == []
    tools = owner.query(PRODUCTS, category="Tools", active=True)["products"]["nodes"]
    assert [n["sku"] for n in tools] == ["A-1"]
    # Catalog keeping is for owner, admin and manager; agents read it.
    agent = as_worker(owner, worker(owner, "Sam Agent"))
    (error,) = agent.errors(
        "mutation($i: SetProductActiveInput!) { setProductActive(input: $i) "
        "{ userErrors { code } } }",
        i={"id": widget["id"], "active": False},
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert agent.query(PRODUCTS)["products"]["totalCount"] == 3
    # Another tenant sees none of it.
    other_api.enable("orders")
    assert other_api.query(PRODUCTS)["products"]["totalCount"] == 0
    assert other_api.query("query($id: ID!) { node(id: $id) { id } }", id=widget["id"]) == {
        "node": None
    }
    foreign = other_api.mutate("updateProduct", {"id": widget["id"], "name": "Mine"})
    assert errors_of(foreign) == [(["input", "id"], "NOT_FOUND")]


# --- orders: totals, lines, numbers ------------------------------------------------------------


def test_totals_round_half_up_per_line_discount_and_per_rate_tax(owner):
    ada = customer(owner)
    widget = product(owner, "W-1", taxRate=1900, price={"amount": 333, "currency": "EUR"})
    usd = product(owner, "U-1", price={"amount": 5, "currency": "USD"})["product"]
    lines = [
        # 3 x 3.33 = 9.99, 10 % off = 0.999 -> 1.00, net 8.99, product's name, price and rate
        {"productId": widget["product"]["id"], "quantity": 3, "discountRate": 1000},
        # two nets of 0.03 at 19 %: per rate 0.06 x 19 % = 0.0114 -> 0.01 (per line: 0.02)
        {"description": "Tiny", "unitAmount": 3, "taxRate": 1900},
        {"description": "Tiny too", "unitAmount": 3, "taxRate": 1900},
        # 2.5 % of 0.50 = 0.0125 -> 0.01; 7 % tax on 0.49 = 0.0343 -> 0.03
        {"description": "Reduced", "unitAmount": 50, "discountRate": 250, "taxRate": 700},
        {"description": "Free", "unitAmount": 0},
    ]
    order = created(owner, ada, lines, notes="Deliver Monday", validUntil="2027-01-31")
    assert order["subtotal"] == {"amount": 999 + 6 + 50, "currency": "EUR"}
    assert order["discount"]["amount"] == 100 + 1
    # 19 %: (899 + 6) x 0.19 = 171.95 -> 172; 7 %: 49 x 0.07 = 3.43 -> 3
    assert order["tax"]["amount"] == 172 + 3
    assert order["total"]["amount"] == 1055 - 101 + 175
    first = order["lines"][0]
    assert (first["description"], first["unitPrice"]["amount"], first["taxRate"]) == (
        "Widget",
        333,
        1900,
    )
    assert (first["gross"]["amount"], first["discount"]["amount"], first["net"]["amount"]) == (
        999,
        100,
        899,
    )
    assert first["product"] == {"sku": "W-1"} and order["lines"][1]["product"] is None
    assert (order["reference"], order["status"], order["open"]) == ("Q-0001", "DRAFT", True)
    assert (order["notes"], order["validUntil"]) == ("Deliver Monday", "2027-01-31")
    assert order["createdBy"] == {"name": "Olivia Owner"} and order["invoiceId"] is None
    # Each kind counts on its own.
    assert created(owner, ada, kind="PURCHASE_ORDER")["reference"] == "PO-0001"
    assert created(owner, ada, kind="PROPOSAL")["reference"] == "P-0001"
    assert created(owner, ada)["reference"] == "Q-0002"
    # Bad lines are reported whole, by line; nothing is written.
    owner.ok("setProductActive", {"id": widget["product"]["id"], "active": False})
    bad = create(
        owner,
        ada,
        [
            {"productId": widget["product"]["id"]},
            {"productId": usd["id"]},
            {"description": " ", "unitAmount": -1, "quantity": 0, "discountRate": 10_001},
            {"productId": gid("Product", 999_999)},
        ],
        currency="eur",
    )
    assert sorted(errors_of(bad)) == sorted(
        [
            (["input", "lines", "0", "productId"], "PRODUCT_INACTIVE"),
            (["input", "lines", "1", "productId"], "CURRENCY_MISMATCH"),
            (["input", "lines", "2", "description"], "REQUIRED"),
            (["input", "lines", "2", "unitAmount"], "INVALID"),
            (["input", "lines", "2", "quantity"], "INVALID"),
            (["input", "lines", "2", "discountRate"], "INVALID"),
            (["input", "lines", "3", "productId"], "NOT_FOUND"),
            (["input", "lines", "3", "description"], "REQUIRED"),
            (["input", "lines", "3", "unitAmount"], "REQUIRED"),
        ]
    )
    assert errors_of(create(owner, ada, currency="EURO")) == [(["input", "currency"], "INVALID")]
    assert history(owner, ada)["totalCount"] == 4
    assert created(owner, ada)["reference"] == "Q-0003"  # refused writes used no number


def test_lines_change_only_in_draft_and_creation_is_idempotent(owner):
    ada = customer(owner)
    key = {"idempotencyKey": "order-1"}
    order = created(owner, ada, **key)
    again = created(owner, ada, **key)
    assert again["id"] == order["id"] and again["reference"] == "Q-0001"
    reused = create(owner, ada, [{"description": "Other", "unitAmount": 5}], **key)
    assert errors_of(reused) == [(["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]
    assert history(owner, ada)["totalCount"] == 1
    lines = [{"description": "More work", "quantity": 2, "unitAmount": 1500, "taxRate": 1000}]
    updated = owner.mutate(
        "updateOrder", {"id": order["id"], "lines": lines}, f"order {{ {ORDER} }}"
    )
    assert updated["order"]["total"]["amount"] == 3300
    assert [n["description"] for n in updated["order"]["lines"]] == ["More work"]
    needs_lines = owner.mutate("updateOrder", {"id": order["id"], "currency": "USD"})
    assert errors_of(needs_lines) == [(["input", "lines"], "REQUIRED")]
    moved(owner, order["id"], "SENT")
    frozen = owner.mutate("updateOrder", {"id": order["id"], "lines": lines})
    assert errors_of(frozen) == [(["input", "lines"], "ORDER_NOT_DRAFT")]
    noted = owner.ok("updateOrder", {"id": order["id"], "notes": "Called"}, "order { notes }")
    assert noted["order"]["notes"] == "Called"


# --- status flow -------------------------------------------------------------------------------

MOVES = {
    "DRAFT": {"SENT", "CANCELLED"},
    "SENT": {"ACCEPTED", "REJECTED", "CANCELLED"},
    "ACCEPTED": {"ORDERED", "CANCELLED"},
    "ORDERED": {"FULFILLED", "CANCELLED"},
    "REJECTED": set(),
    "FULFILLED": set(),
    "CANCELLED": set(),
}
PATH = {
    "DRAFT": (),
    "SENT": ("SENT",),
    "ACCEPTED": ("SENT", "ACCEPTED"),
    "ORDERED": ("SENT", "ACCEPTED", "ORDERED"),
    "REJECTED": ("SENT", "REJECTED"),
    "FULFILLED": ("SENT", "ACCEPTED", "ORDERED", "FULFILLED"),
    "CANCELLED": ("CANCELLED",),
}


def test_every_move_is_allowed_or_invalid_transition(owner):
    ada = customer(owner)
    for start, legal in MOVES.items():
        order = created(owner, ada)
        moved(owner, order["id"], *PATH[start]) if PATH[start] else None
        for target in MOVES:
            if target in legal or target == start:
                continue
            payload = move(owner, order["id"], target)
            assert errors_of(payload) == [(["input", "status"], "INVALID_TRANSITION")], (
                start,
                target,
            )
        assert move(owner, order["id"], start)["userErrors"] == []  # already there: a no-op
        for target in sorted(legal):
            fresh = created(owner, ada)
            moved(owner, fresh["id"], *PATH[start]) if PATH[start] else None
            done = moved(owner, fresh["id"], target)
            assert (done["status"], done["open"]) == (
                target,
                target not in ("FULFILLED", "CANCELLED", "REJECTED"),
            )
    order = created(owner, ada, kind="PROPOSAL")
    moved(owner, order["id"], "SENT", "ACCEPTED")
    actions = [
        (n["action"], n["data"])
        for n in reversed(owner.query(TIMELINE, id=ada)["customer"]["timeline"]["nodes"])
        if n["data"].get("orderId") == order["id"]
    ]
    assert [a for a, _ in actions] == [
        "order.created",
        "order.status_changed",
        "order.status_changed",
        "order.accepted",
    ]
    assert actions[2][1]["from"] == "SENT" and actions[2][1]["to"] == "ACCEPTED"
    request = actions[3][1]["invoice_request"]
    assert request["source"] == f"orders:{pk_of(order['id'])}" and request["issue"] is True
    assert request["lines"] == [
        {"description": "Work", "quantity": 1, "unitAmount": 1000, "taxRate": 0}
    ]


# --- history, tab, badge -----------------------------------------------------------------------


def test_history_filters_pages_and_the_badge(owner):
    ada = customer(owner)
    first = created(owner, ada)
    second = created(owner, ada, kind="PURCHASE_ORDER")
    third = created(owner, ada)
    moved(owner, first["id"], "CANCELLED")
    moved(owner, second["id"], "SENT")
    page = history(owner, ada, first=2)
    assert [n["reference"] for n in page["nodes"]] == ["Q-0002", "PO-0001"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    rest = history(owner, ada, first=2, after=page["pageInfo"]["endCursor"])
    assert [n["reference"] for n in rest["nodes"]] == ["Q-0001"]
    assert [n["reference"] for n in history(owner, ada, status=["DRAFT", "SENT"])["nodes"]] == [
        "Q-0002",
        "PO-0001",
    ]
    assert history(owner, ada, kind=["PURCHASE_ORDER"])["totalCount"] == 1
    since = history(owner, ada, **{"from": second["createdAt"]})
    assert [n["reference"] for n in since["nodes"]] == ["Q-0002", "PO-0001"]
    until = history(owner, ada, to=second["createdAt"])
    assert [n["reference"] for n in until["nodes"]] == ["Q-0001"]
    both = history(owner, ada, **{"from": second["createdAt"], "to": third["createdAt"]})
    assert both["totalCount"] == 1
    tabs = owner.query(TABS, id=ada)["customer"]["profileTabs"]
    assert {"key": "orders", "badgeCount": 2} in tabs
    assert owner.query(HISTORY, id=ada)["customer"]["orders"]["openCount"] == 2
    customer(owner, "Bob")  # no orders
    for op, name in (("GT", "Ada"), ("EQ", "Bob")):
        where = {"field": "orders.open", "op": op, "value": 0}
        listed = owner.query(WHERE, where=where)["customers"]["nodes"]
        assert [n["name"] for n in listed] == [name]
    (error,) = owner.errors(HISTORY, id=ada, after="garbage")
    assert error["extensions"]["problems"][0]["code"] == "INVALID_CURSOR"


# --- visibility, tenancy -----------------------------------------------------------------------


def test_a_restricted_worker_and_another_tenant_see_and_change_nothing(owner, other_api):
    sam = worker(owner, "Sam Agent")
    agent = as_worker(owner, sam)
    mine, hidden = customer(owner, "Mine", workerIds=[sam]), customer(owner, "Hidden")
    secret = created(owner, hidden)
    own = created(agent, mine)
    assert moved(agent, own["id"], "SENT")["status"] == "SENT"
    assert agent.query(NODE, id=secret["id"]) == {"node": None}
    assert agent.query("query($id: ID!) { customer(id: $id) { id } }", id=hidden) == {
        "customer": None
    }
    for name, input in (
        ("setOrderStatus", {"id": secret["id"], "status": "SENT"}),
        ("updateOrder", {"id": secret["id"], "notes": "mine"}),
    ):
        assert errors_of(agent.mutate(name, input)) == [(["input", "id"], "NOT_FOUND")]
    assert errors_of(create(agent, hidden)) == [(["input", "customerId"], "NOT_FOUND")]
    other_api.enable("orders")
    assert other_api.query(NODE, id=secret["id"]) == {"node": None}
    for name, input in (
        ("setOrderStatus", {"id": secret["id"], "status": "SENT"}),
        ("updateOrder", {"id": secret["id"], "notes": "mine"}),
    ):
        assert errors_of(other_api.mutate(name, input)) == [(["input", "id"], "NOT_FOUND")]
    assert errors_of(create(other_api, hidden)) == [(["input", "customerId"], "NOT_FOUND")]
    assert owner.query(NODE, id=secret["id"]) == {
        "node": {"reference": "Q-0001", "status": "DRAFT"}
    }


# --- merging, export, demo ---------------------------------------------------------------------


def test_merging_moves_orders_export_shows_them_and_erasing_removes_them(owner):
    source, target = customer(owner, "Ada L."), customer(owner, "Ada Lovelace")
    moved_order = created(owner, source, notes="from the duplicate")
    created(owner, target)
    owner.ok("mergeCustomers", {"sourceId": source, "targetId": target}, "customer { id }")
    assert history(owner, target)["totalCount"] == 2
    data = owner.query("query($id: ID!) { customerExport(id: $id) }", id=target)["customerExport"]
    exported = data["modules"]["orders"]
    assert sorted(o["notes"] or "" for o in exported) == ["", "from the duplicate"]
    assert exported[0]["lines"][0]["description"] == "Work"
    # Erasing the customer erases their orders (cascading keys: no hook needed).
    owner.ok("deleteCustomer", {"id": target}, "deletedId")
    assert owner.query(NODE, id=moved_order["id"]) == {"node": None}


def test_demo_gives_customers_orders_and_a_catalog(owner, client):
    worker(owner, "Sam Agent")
    for i in range(12):
        customer(owner, f"D{i:02d}")

    async def seed():
        async with client.app.state.db.transaction() as session:
            query = select(Customer.id).where(Customer.tenant_id == owner.tenant_id)
            ids = list(await session.scalars(query.order_by(Customer.id)))
            await demo.seed(session, owner.tenant_id, ids, 7)

    run(client, seed)
    page = owner.query(
        "{ customers(first: 20) { nodes { orders { all { totalCount nodes { reference "
        "total { amount } lines { product { sku } } } } } } } }"
    )["customers"]["nodes"]
    orders = [o for c in page for o in c["orders"]["all"]["nodes"]]
    assert len(orders) >= 4 and all(o["total"]["amount"] > 0 and o["lines"] for o in orders)
    assert owner.query(PRODUCTS, active=False)["products"]["nodes"] == [{"sku": "ACC-LEGACY"}]
    # the counters continue where the demo stopped
    ada = customer(owner)
    numbers = [int(o["reference"].split("-")[1]) for o in orders if o["reference"].startswith("Q-")]
    assert created(owner, ada)["number"] == max(numbers) + 1


# --- cost ----------------------------------------------------------------------------------------

PAGE = """
query($first: Int, $open: [OrderStatus!]) {
  customers(first: $first) {
    nodes {
      name
      profileTabs { key badgeCount }
      orders {
        openCount
        all(first: 3, status: $open) {
          totalCount
          nodes { reference total { amount } createdBy { name } customer { name }
                  lines { description net { amount } product { name } } }
        }
        quotes: all(first: 1, kind: QUOTE, status: [DRAFT, SENT]) { totalCount }
      }
    }
  }
}"""


def test_a_page_of_50_customers_costs_what_a_page_of_5_does(owner, engine):
    widget = product(owner, "W-1")["product"]
    for i in range(50):
        customer_id = customer(owner, f"C{i:02}")
        created(
            owner, customer_id, [{"productId": widget["id"]}, {"description": "x", "unitAmount": 5}]
        )
    open_ = ["DRAFT", "SENT", "ACCEPTED", "ORDERED"]
    owner.query(PAGE, first=1, open=open_)
    with count_statements(engine) as five:
        small = owner.query(PAGE, first=5, open=open_)["customers"]["nodes"]
    with count_statements(engine) as fifty:
        large = owner.query(PAGE, first=50, open=open_)["customers"]["nodes"]
    print(f"statements: first 5 -> {five.count}, first 50 -> {fifty.count}")
    assert len(small) == 5 and len(large) == 50
    assert five.count == fifty.count, (five.statements, fifty.statements)
    for node in large:
        badge = {t["key"]: t["badgeCount"] for t in node["profileTabs"]}["orders"]
        orders = node["orders"]
        assert badge == orders["openCount"] == orders["all"]["totalCount"] == 1
        assert len(orders["all"]["nodes"]) == orders["quotes"]["totalCount"] == 1
        assert orders["all"]["nodes"][-1]["lines"][0]["product"] == {"name": "Widget"}


PROFILE = """
query($id: ID!) { customer(id: $id) { name FIELDS } }"""
HISTORY_FIELDS = """orders { openCount all(first: 5) { totalCount pageInfo { hasNextPage }
  nodes { reference total { amount } createdBy { name } }
  edges { cursor node { lines { description net { amount } } } } }
  quotes: all(kind: QUOTE, from: "2000-01-01T00:00:00Z") { totalCount } }"""


def test_the_history_on_a_profile_is_one_statement(owner, engine):
    ada = customer(owner)
    for kind in ("QUOTE", "PROPOSAL"):
        created(
            owner,
            ada,
            [{"description": "a", "unitAmount": 1}, {"description": "b", "unitAmount": 2}],
            kind=kind,
        )
    bare, full = PROFILE.replace("FIELDS", ""), PROFILE.replace("FIELDS", HISTORY_FIELDS)
    owner.query(full, id=ada)
    with count_statements(engine) as without:
        owner.query(bare, id=ada)
    with count_statements(engine) as with_history:
        orders = owner.query(full, id=ada)["customer"]["orders"]
    assert with_history.count == without.count + 1, with_history.statements
    assert orders["openCount"] == orders["all"]["totalCount"] == 2
    assert orders["quotes"] == {"totalCount": 1}
    assert [len(e["node"]["lines"]) for e in orders["all"]["edges"]] == [2, 2]
    assert orders["all"]["nodes"][0]["createdBy"] == {"name": "Olivia Owner"}
