"""The payouts module through the HTTP API: creating with an idempotency key, the status
machine, permissions and the four-eyes rule, the Payouts tab and badge, the queue across
customers, node lookups, visibility and tenancy, merging, export and erasure, and a
statement count without N+1. Its balance entries in payments are in
`test_payouts_balance.py`, the race in `test_payouts_race.py`."""

import uuid

import pytest
from sqlalchemy import select

from core.models import EventRecord
from tests.fixtures import run
from tests.support import Api, as_worker, count_statements, pk_of
from tests.support import create_customer as customer
from tests.support import create_worker as worker

PAYOUT = """id amount { amount currency } kind method status reference note reason
createdAt approvedAt sentAt failedAt cancelledAt
customer { id } createdBy { id } approvedBy { id }"""

TAB = """query($id: ID!, $first: Int, $after: String, $status: [PayoutStatus!]) {
  customer(id: $id) {
    payouts {
      pendingCount totalSent { amount currency }
      all(first: $first, after: $after, status: $status) {
        nodes { id status amount { amount } createdBy { id } }
        pageInfo { hasNextPage endCursor }
        totalCount
      }
    }
    profileTabs { key badgeCount }
  }
}"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Payout { status } } }"
QUEUE = """query($status: [PayoutStatus!]) {
  payouts(status: $status) { totalCount nodes { id status customer { id } } } }"""


@pytest.fixture
def shop(api: Api) -> Api:
    api.enable("payouts")
    return api


@pytest.fixture
def admin(shop: Api) -> Api:
    """A second approver: the owner may not approve their own payouts."""
    return as_worker(shop, worker(shop, "Alex Admin", "ADMIN"))


def create(api: Api, customer_id: str, amount: int = 2_500, key: str | None = None, **more):
    data = {
        "customerId": customer_id,
        "amount": {"amount": amount, "currency": more.pop("currency", "EUR")},
        "kind": more.pop("kind", "REFUND"),
        "method": more.pop("method", "BANK_TRANSFER"),
        "idempotencyKey": key or uuid.uuid4().hex,
        **more,
    }
    return api.mutate("createPayout", data, f"payout {{ {PAYOUT} }}")


def created(api: Api, customer_id: str, amount: int = 2_500, **more) -> dict:
    payload = create(api, customer_id, amount, **more)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["payout"]


def move(api: Api, name: str, payout_id: str, **more) -> dict:
    return api.mutate(name, {"id": payout_id, **more}, f"payout {{ {PAYOUT} }}")


def moved(api: Api, name: str, payout_id: str, **more) -> dict:
    payload = move(api, name, payout_id, **more)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["payout"]


def codes(payload: dict) -> list[tuple]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def tab(api: Api, customer_id: str, **variables) -> dict:
    found = api.query(TAB, id=customer_id, **variables)["customer"]
    badges = {t["key"]: t["badgeCount"] for t in found["profileTabs"]}
    return {**found["payouts"], "badge": badges.get("payouts")}


def events_of(client, tenant_id: int, customer_id: str) -> list[tuple[str, dict]]:
    async def read():
        async with client.app.state.db.read() as conn:
            rows = await conn.execute(
                select(EventRecord.action, EventRecord.data)
                .where(
                    EventRecord.tenant_id == tenant_id,
                    EventRecord.customer_id == pk_of(customer_id),
                    EventRecord.action.like("payout.%"),
                )
                .order_by(EventRecord.id)
            )
            return [tuple(r) for r in rows]

    return run(client, read)


def test_a_disabled_module_is_named_and_disabling_keeps_the_payouts(api):
    ada = customer(api)
    count = "query($id: ID!) { customer(id: $id) { payouts { pendingCount } } }"
    (error,) = api.errors(count, id=ada)
    assert error["extensions"]["code"] == "MODULE_DISABLED"
    api.enable("payouts")
    created(api, ada)
    api.ok("disableModule", {"module": "payouts"}, "modules { name }")
    api.enable("payouts")
    assert tab(api, ada)["pendingCount"] == 1


def test_a_payout_goes_pending_approved_sent_with_tab_badge_node_and_events(shop, admin, client):
    ada = customer(shop)
    payout = created(shop, ada, 2_500, kind="COMMISSION", reference=" R-1 ", note="Q4")
    assert payout["status"] == "PENDING" and payout["amount"] == {"amount": 2500, "currency": "EUR"}
    assert (payout["kind"], payout["method"], payout["reference"]) == (
        "COMMISSION",
        "BANK_TRANSFER",
        "R-1",
    )
    assert payout["createdBy"] == {"id": f"{_gid('Worker', shop.worker_id)}"}
    assert (tab(shop, ada)["pendingCount"], tab(shop, ada)["badge"]) == (1, 1)
    approved = moved(admin, "approvePayout", payout["id"], expectedStatus="PENDING")
    assert approved["status"] == "APPROVED" and approved["approvedAt"]
    assert approved["approvedBy"] == {"id": _gid("Worker", admin.worker_id)}
    assert tab(shop, ada)["badge"] == 1
    sent = moved(shop, "markPayoutSent", payout["id"], reference="TRX-9")
    assert (sent["status"], sent["reference"]) == ("SENT", "TRX-9") and sent["sentAt"]
    created(shop, ada, 1_000, currency="GBP")
    found = tab(shop, ada)
    assert (found["pendingCount"], found["badge"]) == (1, 1)
    assert found["totalSent"] == [{"amount": 2500, "currency": "EUR"}]
    assert found["all"]["totalCount"] == 2
    assert [n["status"] for n in found["all"]["nodes"]] == ["PENDING", "SENT"]
    assert tab(shop, ada, status=["SENT"])["all"]["totalCount"] == 1
    assert tab(shop, ada, status=[])["all"]["nodes"] == []
    page = tab(shop, ada, first=1)["all"]
    rest = tab(shop, ada, first=1, after=page["pageInfo"]["endCursor"])["all"]
    assert [n["status"] for n in page["nodes"] + rest["nodes"]] == ["PENDING", "SENT"]
    assert shop.query(NODE, id=payout["id"]) == {"node": {"id": payout["id"], "status": "SENT"}}
    failed = moved(shop, "markPayoutFailed", payout["id"], reason="Account closed")
    assert (failed["status"], failed["reason"]) == ("FAILED", "Account closed")
    names = [name for name, _ in events_of(client, shop.tenant_id, ada)]
    assert names == [
        "payout.created",
        "payout.approved",
        "payout.sent",
        "payout.created",
        "payout.failed",
    ]
    data = dict(events_of(client, shop.tenant_id, ada))
    assert data["payout.sent"]["balance_entry"] == {
        "source": f"payouts:{pk_of(payout['id'])}",
        "amount": 2500,
        "currency": "EUR",
    }
    assert data["payout.failed"]["balance_entry"] == {
        "source": f"payouts:{pk_of(payout['id'])}:failed",
        "amount": -2500,
        "currency": "EUR",
    }
    assert data["payout.approved"]["from"] == "PENDING"
    assert "balance_entry" not in data["payout.approved"]


def _gid(type_name: str, pk: int) -> str:
    from tests.support import gid

    return gid(type_name, pk)


def test_only_legal_moves_pass(shop, admin, client):
    ada = customer(shop)
    first = created(shop, ada)["id"]
    for name in ("markPayoutSent", "markPayoutFailed"):  # not from PENDING
        assert codes(move(shop, name, first)) == [(["input", "id"], "INVALID_TRANSITION")]
    moved(admin, "approvePayout", first)
    assert codes(move(admin, "approvePayout", first)) == [(["input", "id"], "INVALID_TRANSITION")]
    payload = move(shop, "cancelPayout", first, expectedStatus="PENDING")
    assert codes(payload) == [(["input", "expectedStatus"], "PAYOUT_CHANGED")]
    moved(shop, "cancelPayout", first, reason="Duplicate")
    for name in ("approvePayout", "markPayoutSent", "markPayoutFailed", "cancelPayout"):
        assert codes(move(admin, name, first))[0][1] == "INVALID_TRANSITION"
    second = created(shop, ada)["id"]
    moved(admin, "approvePayout", second)
    moved(shop, "markPayoutSent", second)
    assert codes(move(shop, "cancelPayout", second)) == [(["input", "id"], "INVALID_TRANSITION")]
    moved(shop, "markPayoutFailed", second)
    third = created(shop, ada)["id"]
    moved(admin, "approvePayout", third)
    assert "balance_entry" not in moved(shop, "markPayoutFailed", third) | {}
    last = dict(events_of(client, shop.tenant_id, ada)[-1:])
    assert "balance_entry" not in last["payout.failed"]  # never sent: nothing to take back
    found = tab(shop, ada)
    assert (found["pendingCount"], found["totalSent"]) == (0, [])


def test_permissions_and_four_eyes(shop, admin):
    sam = worker(shop, "Sam Agent")
    max_ = worker(shop, "Max Manager", "MANAGER")
    ada = customer(shop, workerIds=[sam, max_])
    agent, manager = as_worker(shop, sam), as_worker(shop, max_)
    assert tab(agent, ada)["pendingCount"] == 0  # agents see the tab
    query = "mutation($i: CreatePayoutInput!) { createPayout(input: $i) { payout { id } } }"
    data = {
        "customerId": ada,
        "amount": {"amount": 100, "currency": "EUR"},
        "kind": "REBATE",
        "method": "CASH",
        "idempotencyKey": "agent",
    }
    (error,) = agent.errors(query, i=data)
    assert error["extensions"]["code"] == "FORBIDDEN"
    mine = created(manager, ada)["id"]
    approve = "mutation($id: ID!) { approvePayout(input: {id: $id}) { payout { id } } }"
    (error,) = manager.errors(approve, id=mine)
    assert error["extensions"]["code"] == "FORBIDDEN"
    own = created(shop, ada)["id"]
    payload = move(shop, "approvePayout", own)
    assert codes(payload) == [(["input", "id"], "SELF_APPROVAL")]
    assert "another worker" in payload["userErrors"][0]["message"]
    moved(shop, "approvePayout", mine)  # the owner approves the manager's
    moved(admin, "approvePayout", own)  # and an admin the owner's
    send = "mutation($id: ID!) { markPayoutSent(input: {id: $id}) { payout { id } } }"
    (error,) = manager.errors(send, id=mine)
    assert error["extensions"]["code"] == "FORBIDDEN"
    moved(manager, "cancelPayout", own)  # managers cancel
    assert tab(shop, ada)["pendingCount"] == 1


def test_create_is_idempotent_and_bad_input_writes_nothing(shop, other_api):
    ada, bob = customer(shop), customer(shop, "Bob")
    first = created(shop, ada, 700, key="form-1")
    again = created(shop, ada, 700, key="form-1")
    assert again["id"] == first["id"]
    reused = create(shop, ada, 701, key="form-1")
    assert codes(reused) == [(["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]
    assert codes(create(shop, bob, 700, key="form-1"))[0][1] == "IDEMPOTENCY_KEY_REUSED"
    other_api.enable("payouts")
    stranger = customer(other_api, "Stranger")
    assert created(other_api, stranger, 700, key="form-1")["id"] != first["id"]  # per tenant
    bad = create(shop, ada, 0, currency="euro", reference="x" * 201, key=" ")
    assert sorted(e[0][-1] for e in codes(bad)) == [
        "amount",
        "currency",
        "idempotencyKey",
        "reference",
    ]
    assert codes(create(shop, stranger))[0] == (["input", "customerId"], "NOT_FOUND")
    assert tab(shop, ada)["all"]["totalCount"] == 1
    assert tab(shop, bob)["all"]["totalCount"] == 0


def test_visibility_tenancy_and_the_queue(shop, admin, other_api):
    sam = worker(shop, "Sam Agent")
    mine = customer(shop, "Sam's", workerIds=[sam])
    hidden_customer = customer(shop, "Not Sam's")
    seen = created(shop, mine)
    hidden = created(shop, hidden_customer, 900)
    sent = created(shop, mine, 300)
    moved(admin, "approvePayout", sent["id"])
    moved(shop, "markPayoutSent", sent["id"])
    agent = as_worker(shop, sam)
    assert agent.query(NODE, id=hidden["id"]) == {"node": None}
    assert agent.query(NODE, id=seen["id"])["node"]["status"] == "PENDING"
    queue = agent.query(QUEUE)["payouts"]
    assert [n["id"] for n in queue["nodes"]] == [seen["id"]] and queue["totalCount"] == 1
    everything = shop.query(QUEUE)["payouts"]
    assert {n["id"] for n in everything["nodes"]} == {seen["id"], hidden["id"]}
    assert [n["id"] for n in shop.query(QUEUE, status=["SENT"])["payouts"]["nodes"]] == [sent["id"]]
    other_api.enable("payouts")
    assert other_api.query(NODE, id=seen["id"]) == {"node": None}
    assert other_api.query(QUEUE)["payouts"]["totalCount"] == 0
    for name in ("approvePayout", "markPayoutSent", "markPayoutFailed", "cancelPayout"):
        assert codes(move(other_api, name, seen["id"])) == [(["input", "id"], "NOT_FOUND")]
    assert shop.query(NODE, id=seen["id"])["node"]["status"] == "PENDING"


def test_merging_moves_payouts_export_shows_them_and_erasure_removes_them(shop, admin):
    source, target = customer(shop, "Ada L."), customer(shop, "Ada Lovelace")
    moved_payout = created(shop, source, 111, key="merge-1")
    created(shop, target, 222)
    shop.ok("mergeCustomers", {"sourceId": source, "targetId": target}, "customer { id }")
    assert tab(shop, target)["pendingCount"] == 2
    moved(admin, "approvePayout", moved_payout["id"])  # still works under its new customer
    data = shop.query("query($id: ID!) { customerExport(id: $id) }", id=target)["customerExport"]
    exported = data["modules"]["payouts"]
    assert [(p["amount"], p["status"]) for p in exported] == [(111, "APPROVED"), (222, "PENDING")]
    shop.ok("deleteCustomer", {"id": target}, "deletedId")
    assert shop.query(NODE, id=moved_payout["id"]) == {"node": None}
    fresh = customer(shop, "Fresh")
    # The erased payout's key went with it: the same key makes a new payout now.
    assert created(shop, fresh, 111, key="merge-1")["customer"] == {"id": fresh}


PAGE = """
query($first: Int) {
  customers(first: $first) {
    nodes {
      name
      profileTabs { key badgeCount }
      payouts {
        pendingCount totalSent { amount currency }
        all(first: 3) {
          totalCount
          nodes { status amount { amount currency } createdBy { name } approvedBy { name } }
        }
      }
    }
  }
}"""


def many(api: Api, name: str, inputs: list[dict], selection: str) -> list[dict]:
    """`name` once per input, as aliases of one request (25 at most): a page of 50
    customers set up in a few requests instead of 120."""
    found = []
    kind = f"{name[0].upper()}{name[1:]}Input!"
    for start in range(0, len(inputs), 25):
        chunk = inputs[start : start + 25]
        head = ", ".join(f"$i{n}: {kind}" for n in range(len(chunk)))
        body = " ".join(
            f"m{n}: {name}(input: $i{n}) {{ {selection} userErrors {{ code }} }}"
            for n in range(len(chunk))
        )
        data = api.query(
            f"mutation({head}) {{ {body} }}", **{f"i{n}": i for n, i in enumerate(chunk)}
        )
        for n in range(len(chunk)):
            assert data[f"m{n}"]["userErrors"] == [], data[f"m{n}"]
            found.append(data[f"m{n}"])
    return found


def test_a_page_of_50_customers_costs_what_a_page_of_5_does(shop, admin, engine):
    made = many(
        shop, "createCustomer", [{"name": f"C{i:02}"} for i in range(50)], "customer { id }"
    )
    inputs = [
        {
            "customerId": c["customer"]["id"],
            "amount": {"amount": 100 + i, "currency": "EUR"},
            "kind": "REBATE",
            "method": "CASH",
            "idempotencyKey": f"page-{i}",
        }
        for i, c in enumerate(made)
    ]
    payouts = [p["payout"]["id"] for p in many(shop, "createPayout", inputs, "payout { id }")]
    many(admin, "approvePayout", [{"id": p} for p in payouts[::3]], "payout { id }")
    many(shop, "markPayoutSent", [{"id": p} for p in payouts[::6]], "payout { id }")
    shop.query(PAGE, first=1)
    with count_statements(engine) as five:
        small = shop.query(PAGE, first=5)["customers"]["nodes"]
    with count_statements(engine) as fifty:
        large = shop.query(PAGE, first=50)["customers"]["nodes"]
    print(f"statements: first 5 -> {five.count}, first 50 -> {fifty.count}")
    assert len(small) == 5 and len(large) == 50
    assert five.count == fifty.count, (five.statements, fifty.statements)
    for node in large:
        payouts = node["payouts"]
        badge = {t["key"]: t["badgeCount"] for t in node["profileTabs"]}["payouts"]
        waiting = [n for n in payouts["all"]["nodes"] if n["status"] in ("PENDING", "APPROVED")]
        assert payouts["pendingCount"] == badge == len(waiting)
        sent = [n["amount"] for n in payouts["all"]["nodes"] if n["status"] == "SENT"]
        assert payouts["totalSent"] == sent
    assert sum(len(n["payouts"]["totalSent"]) for n in large) == 9


def test_the_tab_on_a_profile_is_one_statement(shop, admin, engine):
    ada = customer(shop)
    for amount in (100, 200, 300):
        payout = created(shop, ada, amount)
        moved(admin, "approvePayout", payout["id"])
    moved(shop, "markPayoutSent", payout["id"])
    profile = """query($id: ID!) { customer(id: $id) { name %s } }"""
    tab_fields = """payouts { pendingCount totalSent { amount currency }
      all(first: 10) { totalCount nodes { status createdBy { name } approvedBy { name } } } }"""
    shop.query(profile % "", id=ada)
    with count_statements(engine) as without:
        shop.query(profile % "", id=ada)
    with count_statements(engine) as with_tab:
        found = shop.query(profile % tab_fields, id=ada)["customer"]["payouts"]
    print(f"profile: {without.count} statements, with the Payouts tab {with_tab.count}")
    assert with_tab.count == without.count + 1, with_tab.statements
    assert found["pendingCount"] == 2 and found["totalSent"] == [{"amount": 300, "currency": "EUR"}]
    assert found["all"]["totalCount"] == 3
    assert {n["approvedBy"]["name"] for n in found["all"]["nodes"]} == {"Alex Admin"}
