"""The subscriptions module through the HTTP API: plans and their validation, subscribing
(idempotent), the status machine, period arithmetic, the billing run (each period billed
once, missed periods caught up, trials ending, cancellation at period end), the hourly
schedule, visibility and tenancy, merge and export, and the list page without N+1."""

import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from core.jobs import JOBS
from core.models import utcnow
from plugins.subscriptions.periods import add_months, shift
from plugins.subscriptions.tests.support import (
    errors_of,
    events,
    periods,
    plan,
    run_billing,
    subscribe,
    today,
    travel,
)
from tests.fixtures import run
from tests.support import Api, as_worker, count_statements
from tests.support import create_customer as customer
from tests.support import create_worker as worker

NODE = "query($id: ID!) { node(id: $id) { id } }"
PLANS = """query($active: Boolean) { subscriptionPlans(first: 10, active: $active) {
  totalCount nodes { name active trialDays interval intervalCount price { amount currency } } } }"""


@pytest.fixture
def owner(api: Api, client):
    api.enable("subscriptions")
    yield api

    async def quiet():  # no tick of ours due at the hour in the session's shared server
        async with client.app.state.db.transaction() as session:
            await session.execute(
                update(JOBS)
                .where(JOBS.c.kind == "subscriptions.billing", JOBS.c.status == "QUEUED")
                .values(status="CANCELLED", finished_at=utcnow())
            )

    run(client, quiet)


# --- period arithmetic -------------------------------------------------------------------------


def test_month_ends_clamp_and_come_back_to_the_anchor_day():
    jan31 = date(2027, 1, 31)
    monthly = [shift(jan31, "MONTH", 1, n) for n in range(5)]
    assert monthly == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]
    assert shift(date(2028, 1, 31), "MONTH", 1, 1) == date(2028, 2, 29)  # leap year
    assert shift(date(2028, 2, 29), "YEAR", 1, 1) == date(2029, 2, 28)
    assert shift(date(2028, 2, 29), "YEAR", 1, 4) == date(2032, 2, 29)
    assert shift(date(2027, 8, 31), "MONTH", 3, 2) == date(2028, 2, 29)  # quarterly
    assert shift(date(2027, 12, 30), "WEEK", 2, 3) == date(2028, 2, 10)
    assert add_months(date(2027, 12, 31), 2) == date(2028, 2, 29)


def test_a_backdated_month_end_subscription_bills_each_month_on_its_day(owner):
    """Started on the 31st of a month months ago: one period per month, each starting on
    the month's last day when it has no 31st, and again on the 31st when it has."""
    now = today()
    start = next(
        d
        for d in (add_months(date(now.year, now.month, 1), -k) - timedelta(days=1) for k in (4, 5))
        if d.day == 31
    )
    sub = subscribe(owner, customer(owner), plan(owner), startDate=start.isoformat())
    assert sub["status"] == "ACTIVE" and sub["nextBillingDate"] == start.isoformat()
    result = run_billing(owner)
    expected = []
    n = 0
    while shift(start, "MONTH", 1, n) <= now:
        expected.append(shift(start, "MONTH", 1, n))
        n += 1
    assert result["billed"] == len(expected) >= 4
    found = periods(owner, sub["id"])
    starts = sorted(p["periodStart"] for p in found["periods"]["nodes"])
    assert starts == [d.isoformat() for d in expected]
    assert any(d.day < 31 for d in expected) and any(d.day == 31 for d in expected[1:])
    assert found["nextBillingDate"] == shift(start, "MONTH", 1, n).isoformat()
    assert found["currentPeriodStart"] == expected[-1].isoformat()


# --- plans -------------------------------------------------------------------------------------


def test_plans_are_validated_whole_and_listed(owner, other_api):
    bad = owner.mutate(
        "createSubscriptionPlan",
        {
            "name": "  ",
            "price": {"amount": 0, "currency": "euro"},
            "interval": "YEAR",
            "intervalCount": 6,
            "trialDays": 400,
        },
        "plan { id }",
    )
    assert sorted(errors_of(bad)) == sorted(
        [
            (["input", "name"], "REQUIRED"),
            (["input", "price", "currency"], "INVALID"),
            (["input", "price", "amount"], "INVALID"),
            (["input", "intervalCount"], "INVALID"),
            (["input", "trialDays"], "INVALID"),
        ]
    )
    assert owner.query(PLANS)["subscriptionPlans"]["totalCount"] == 0
    weekly = plan(owner, "Fortnightly", 2500, "WEEK", intervalCount=2, trialDays=7)
    plan(owner, "Yearly", 19000, "YEAR")
    owner.ok("updateSubscriptionPlan", {"id": weekly, "name": "Every two weeks", "active": False})
    listed = owner.query(PLANS)["subscriptionPlans"]["nodes"]
    assert listed[0] == {
        "name": "Every two weeks",
        "active": False,
        "trialDays": 7,
        "interval": "WEEK",
        "intervalCount": 2,
        "price": {"amount": 2500, "currency": "EUR"},
    }
    assert [p["name"] for p in owner.query(PLANS, active=True)["subscriptionPlans"]["nodes"]] == [
        "Yearly"
    ]
    payload = owner.mutate(
        "subscribeCustomer",
        {"customerId": customer(owner), "subscriptionPlanId": weekly, "idempotencyKey": "k"},
        "subscription { id }",
    )
    assert errors_of(payload) == [(["input", "subscriptionPlanId"], "PLAN_INACTIVE")]
    agent = as_worker(owner, worker(owner, "Sam Agent"))
    refused = agent.errors(
        'mutation { createSubscriptionPlan(input: {name: "x", price: {amount: 1, '
        'currency: "EUR"}, interval: WEEK}) { plan { id } } }'
    )
    assert refused[0]["extensions"]["code"] == "FORBIDDEN"
    other_api.enable("subscriptions")
    assert other_api.query(PLANS)["subscriptionPlans"]["totalCount"] == 0
    assert other_api.query(NODE, id=weekly) == {"node": None}
    moved = other_api.mutate("updateSubscriptionPlan", {"id": weekly, "name": "mine"})
    assert errors_of(moved) == [(["input", "id"], "NOT_FOUND")]


# --- subscribing and moves ---------------------------------------------------------------------


def test_subscribe_is_idempotent_and_checks_its_input(owner, other_api):
    ada, monthly = customer(owner), plan(owner, trialDays=14)
    first = subscribe(owner, ada, monthly, idempotencyKey="sub-1", quantity=3)
    assert first["status"] == "TRIALING" and first["amount"] == {"amount": 5700, "currency": "EUR"}
    trial_end = (today() + timedelta(days=14)).isoformat()
    assert first["trialEnd"] == first["nextBillingDate"] == first["currentPeriodEnd"] == trial_end
    again = subscribe(owner, ada, monthly, idempotencyKey="sub-1", quantity=3)
    assert again["id"] == first["id"]
    reused = owner.mutate(
        "subscribeCustomer",
        {"customerId": ada, "subscriptionPlanId": monthly, "idempotencyKey": "sub-1"},
        "subscription { id }",
    )
    assert errors_of(reused) == [(["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]
    far = (today() - timedelta(days=400)).isoformat()
    bad = owner.mutate(
        "subscribeCustomer",
        {
            "customerId": ada,
            "subscriptionPlanId": monthly,
            "idempotencyKey": "sub-2",
            "quantity": 0,
            "startDate": far,
        },
        "subscription { id }",
    )
    assert sorted(errors_of(bad)) == [
        (["input", "quantity"], "INVALID"),
    ]  # the quantity is refused before anything is read
    bad = owner.mutate(
        "subscribeCustomer",
        {"customerId": ada, "subscriptionPlanId": monthly, "idempotencyKey": "s", "startDate": far},
        "subscription { id }",
    )
    assert errors_of(bad) == [(["input", "startDate"], "INVALID")]
    other_api.enable("subscriptions")
    theirs = other_api.mutate(
        "subscribeCustomer",
        {"customerId": ada, "subscriptionPlanId": monthly, "idempotencyKey": "x"},
        "subscription { id }",
    )
    assert errors_of(theirs) == [(["input", "customerId"], "NOT_FOUND")]
    own_customer = customer(other_api)
    theirs = other_api.mutate(
        "subscribeCustomer",
        {"customerId": own_customer, "subscriptionPlanId": monthly, "idempotencyKey": "x"},
        "subscription { id }",
    )
    assert errors_of(theirs) == [(["input", "subscriptionPlanId"], "NOT_FOUND")]
    tab = owner.query(
        "query($id: ID!) { customer(id: $id) { profileTabs { key badgeCount } "
        "subscriptions { activeCount all { totalCount nodes { id } } } } }",
        id=ada,
    )["customer"]
    assert {"key": "subscriptions", "badgeCount": 1} in tab["profileTabs"]
    assert tab["subscriptions"]["activeCount"] == tab["subscriptions"]["all"]["totalCount"] == 1


def move(api: Api, name: str, sub_id: str, **more) -> dict:
    fields = "subscription { status cancelAtPeriodEnd nextBillingDate currentPeriodEnd }"
    return api.mutate(name, {"id": sub_id, **more}, fields)


def test_only_possible_moves_pass(owner):
    ada, monthly = customer(owner), plan(owner)
    sub = subscribe(owner, ada, monthly)
    assert move(owner, "pauseCustomerSubscription", sub["id"])["subscription"]["status"] == "PAUSED"
    assert move(owner, "pauseCustomerSubscription", sub["id"])["userErrors"] == []  # no-op
    at_end = move(owner, "cancelCustomerSubscription", sub["id"], atPeriodEnd=True)
    assert errors_of(at_end) == [(["input", "atPeriodEnd"], "INVALID_TRANSITION")]
    resumed = move(owner, "resumeCustomerSubscription", sub["id"])["subscription"]
    assert resumed["status"] == "ACTIVE"
    at_end = move(owner, "cancelCustomerSubscription", sub["id"], atPeriodEnd=True)["subscription"]
    assert at_end == {
        "status": "ACTIVE",
        "cancelAtPeriodEnd": True,
        "nextBillingDate": None,
        "currentPeriodEnd": sub["currentPeriodEnd"],
    }
    undone = move(owner, "resumeCustomerSubscription", sub["id"])["subscription"]
    assert undone["cancelAtPeriodEnd"] is False and undone["nextBillingDate"] is not None
    cancelled = move(owner, "cancelCustomerSubscription", sub["id"])["subscription"]
    assert cancelled["status"] == "CANCELLED" and cancelled["nextBillingDate"] is None
    for name in ("pauseCustomerSubscription", "resumeCustomerSubscription"):
        assert errors_of(move(owner, name, sub["id"])) == [(["input", "id"], "INVALID_TRANSITION")]
    assert move(owner, "cancelCustomerSubscription", sub["id"])["userErrors"] == []  # no-op
    trial = subscribe(owner, ada, plan(owner, "Trial", trialDays=7))
    paused = move(owner, "pauseCustomerSubscription", trial["id"])
    assert errors_of(paused) == [(["input", "id"], "INVALID_TRANSITION")]
    assert [e["action"] for e in events(owner, ada)] == [
        "customer.created",
        "subscription.created",
        "subscription.paused",
        "subscription.resumed",
        "subscription.cancelled",
        "subscription.resumed",
        "subscription.cancelled",
        "subscription.created",
    ]
    listed = owner.query(
        "query($id: ID!) { customer(id: $id) { profileTabs { key badgeCount } "
        "subscriptions { activeCount live: all(status: [TRIALING, ACTIVE]) { totalCount } "
        "all(first: 1) { nodes { plan { name } } pageInfo { hasNextPage } } } } }",
        id=ada,
    )["customer"]
    assert {"key": "subscriptions", "badgeCount": 1} in listed["profileTabs"]
    listed = listed["subscriptions"]
    assert listed["live"]["totalCount"] == 1 and listed["activeCount"] == 1
    assert listed["all"]["nodes"] == [{"plan": {"name": "Trial"}}]
    assert listed["all"]["pageInfo"]["hasNextPage"] is True


# --- the billing run -----------------------------------------------------------------------------


def test_the_run_bills_each_period_once_and_announces_it_with_an_invoice_request(owner):
    ada = customer(owner, "Ada")
    monthly = plan(owner, "Care", 1900)
    start = today() - timedelta(days=70)
    sub = subscribe(owner, ada, monthly, quantity=2, startDate=start.isoformat())
    first = run_billing(owner)
    assert first["billed"] >= 3 and first["rearmed"] is True
    again = run_billing(owner)
    assert again["billed"] == 0 and again["seen"] == 0
    found = periods(owner, sub["id"])
    assert found["periods"]["totalCount"] == first["billed"]
    billed = events(owner, ada, "subscription.period_billed")
    assert len(billed) == first["billed"]
    data = billed[0]["data"]
    pk = data["invoice_request"]["source"].split(":")[1]
    end = shift(start, "MONTH", 1, 1)
    assert data["invoice_request"] == {
        "source": f"subscriptions:{pk}:{start.isoformat()}",
        "currency": "EUR",
        "lines": [
            {
                "description": f"Care ({start.isoformat()} to "
                f"{(end - timedelta(days=1)).isoformat()})",
                "quantity": 2,
                "unitAmount": 1900,
            }
        ],
        "issue": True,
    }
    assert data["subscriptionId"] == sub["id"] and data["amount"] == 3800
    assert data["periodStart"] == start.isoformat() and data["periodEnd"] == end.isoformat()
    sources = [e["data"]["invoice_request"]["source"] for e in billed]
    assert len(set(sources)) == len(sources)


def test_trials_end_and_cancellations_at_period_end_take_effect(owner):
    ada = customer(owner)
    trial = subscribe(owner, ada, plan(owner, "Trial", trialDays=10))
    quitter = subscribe(owner, ada, plan(owner, "Short trial", trialDays=5))
    move(owner, "cancelCustomerSubscription", quitter["id"], atPeriodEnd=True)
    weekly = subscribe(owner, ada, plan(owner, "Weekly", 500, "WEEK"))
    assert run_billing(owner)["billed"] == 1  # the weekly one's first week
    move(owner, "cancelCustomerSubscription", weekly["id"], atPeriodEnd=True)
    travel(owner, 12)
    result = run_billing(owner)
    assert result == {"billed": 1, "ended": 2, "seen": 3, "rearmed": True}
    converted = periods(owner, trial["id"])
    assert converted["status"] == "ACTIVE" and converted["periods"]["totalCount"] == 1
    first = converted["periods"]["nodes"][0]
    assert first["periodStart"] == (today() - timedelta(days=2)).isoformat()
    assert periods(owner, quitter["id"])["status"] == "ENDED"
    assert periods(owner, quitter["id"])["periods"]["totalCount"] == 0
    ended = periods(owner, weekly["id"])
    assert ended["status"] == "ENDED" and ended["periods"]["totalCount"] == 1
    actions = [e["action"] for e in events(owner, ada, "subscription.ended")]
    assert actions == ["subscription.ended", "subscription.ended"]


def test_a_resume_after_the_paid_period_starts_a_new_cycle(owner):
    ada = customer(owner)
    sub = subscribe(owner, ada, plan(owner, "Weekly", 700, "WEEK"))
    run_billing(owner)
    move(owner, "pauseCustomerSubscription", sub["id"])
    travel(owner, 3)
    assert run_billing(owner)["billed"] == 0  # paused: nothing
    same = move(owner, "resumeCustomerSubscription", sub["id"])["subscription"]
    assert same["nextBillingDate"] == (today() + timedelta(days=4)).isoformat()
    move(owner, "pauseCustomerSubscription", sub["id"])
    travel(owner, 10)
    fresh = move(owner, "resumeCustomerSubscription", sub["id"])["subscription"]
    assert fresh["nextBillingDate"] == today().isoformat()
    assert run_billing(owner)["billed"] == 1
    found = periods(owner, sub["id"])
    assert found["periods"]["nodes"][0]["periodStart"] == today().isoformat()
    assert found["periods"]["totalCount"] == 2


def test_work_arms_the_hourly_tick_which_bills_and_arms_the_next(owner, client):
    async def ticks():
        async with client.app.state.db.read() as conn:
            rows = await conn.execute(
                select(JOBS.c.id, JOBS.c.status, JOBS.c.idempotency_key, JOBS.c.run_after)
                .where(JOBS.c.tenant_id == owner.tenant_id, JOBS.c.kind == "subscriptions.billing")
                .order_by(JOBS.c.id)
            )
            return [dict(r) for r in rows.mappings()]

    assert run(client, ticks) == []  # switched on with nothing to bill: no job at all
    ada = customer(owner)
    sub = subscribe(owner, ada, plan(owner), startDate=(today() - timedelta(days=40)).isoformat())
    armed = run(client, ticks)
    assert len(armed) == 1 and armed[0]["status"] == "QUEUED"
    hour = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    assert armed[0]["idempotency_key"] == f"subscriptions.billing:{owner.tenant_id}:" + (
        hour.strftime("%Y-%m-%dT%H")
    )
    owner.ok("disableModule", {"module": "subscriptions"}, "modules { name }")
    owner.enable("subscriptions")  # again, with work: the armed tick stands, no second one
    subscribe(owner, ada, plan(owner, "Other"))
    assert len(run(client, ticks)) == 1

    async def due_now():
        async with client.app.state.db.transaction() as session:
            await session.execute(
                update(JOBS).where(JOBS.c.id == armed[0]["id"]).values(run_after=utcnow())
            )
        client.app.state.jobs.wake()

    run(client, due_now)
    for _ in range(500):
        found = run(client, ticks)
        if found[0]["status"] == "SUCCEEDED":
            break
        time.sleep(0.02)
    assert found[0]["status"] == "SUCCEEDED"
    assert periods(owner, sub["id"])["periods"]["totalCount"] == 2  # caught up: two months
    assert [t["status"] for t in found] == ["SUCCEEDED", "QUEUED"]
    following = (hour + timedelta(hours=1)).strftime("%Y-%m-%dT%H")
    assert found[1]["idempotency_key"] == f"subscriptions.billing:{owner.tenant_id}:{following}"


# --- visibility, tenancy, merge, export --------------------------------------------------------


def test_hidden_customers_and_other_tenants_see_nothing(owner, other_api):
    sam = worker(owner, "Sam Agent")
    monthly = plan(owner)
    mine = subscribe(owner, customer(owner, "Sam's", workerIds=[sam]), monthly)
    hidden = subscribe(owner, customer(owner, "Not Sam's"), monthly)
    run_billing(owner)
    hidden_period = periods(owner, hidden["id"])
    owner_node = owner.query(
        "query($id: ID!) { node(id: $id) { ... on CustomerSubscription { periods { "
        "nodes { id } } } } }",
        id=hidden["id"],
    )["node"]
    period_id = owner_node["periods"]["nodes"][0]["id"]
    assert hidden_period["periods"]["totalCount"] == 1
    agent = as_worker(owner, sam)
    assert agent.query(NODE, id=mine["id"]) == {"node": {"id": mine["id"]}}
    assert agent.query(NODE, id=hidden["id"]) == {"node": None}
    assert agent.query(NODE, id=period_id) == {"node": None}
    refused = agent.errors(
        "mutation($id: ID!) { pauseCustomerSubscription(input: {id: $id}) "
        "{ userErrors { code } } }",
        id=hidden["id"],
    )
    assert refused[0]["extensions"]["code"] == "FORBIDDEN"  # agents do not manage at all
    other_api.enable("subscriptions")
    for sub_id in (mine["id"], hidden["id"], period_id):
        assert other_api.query(NODE, id=sub_id) == {"node": None}
    for name, extra in (
        ("pauseCustomerSubscription", {}),
        ("resumeCustomerSubscription", {}),
        ("cancelCustomerSubscription", {"atPeriodEnd": True}),
    ):
        assert errors_of(move(other_api, name, hidden["id"], **extra)) == [
            (["input", "id"], "NOT_FOUND")
        ]
    assert periods(owner, hidden["id"])["status"] == "ACTIVE"


def test_merging_moves_subscriptions_and_export_shows_them(owner):
    source, target = customer(owner, "Ada L."), customer(owner, "Ada Lovelace")
    monthly = plan(owner, "Care")
    sub = subscribe(owner, source, monthly, startDate=(today() - timedelta(days=35)).isoformat())
    subscribe(owner, target, monthly)
    run_billing(owner)
    owner.ok("mergeCustomers", {"sourceId": source, "targetId": target}, "customer { id }")
    listed = owner.query(
        "query($id: ID!) { customer(id: $id) { subscriptions { all { totalCount nodes { id } } } "
        "} }",
        id=target,
    )["customer"]["subscriptions"]["all"]
    assert listed["totalCount"] == 2 and sub["id"] in [n["id"] for n in listed["nodes"]]
    assert periods(owner, sub["id"])["periods"]["totalCount"] == 2  # caught up: two months
    data = owner.query("query($id: ID!) { customerExport(id: $id) }", id=target)["customerExport"]
    exported = data["modules"]["subscriptions"]
    assert [s["plan_name"] for s in exported] == ["Care", "Care"]
    assert sorted(len(s["periods"]) for s in exported) == [1, 2]
    assert all("fingerprint" not in s for s in exported)
    owner.ok("deleteCustomer", {"id": target}, "deletedId")  # erasure takes them all
    assert owner.query(NODE, id=sub["id"]) == {"node": None}
    assert run_billing(owner)["seen"] == 0


# --- cost ----------------------------------------------------------------------------------------

PAGE = """
query($first: Int) {
  customers(first: $first) {
    nodes {
      name
      profileTabs { key badgeCount }
      subscriptions {
        activeCount
        all(first: 3) {
          totalCount
          nodes {
            status nextBillingDate amount { amount currency }
            plan { name price { amount } }
            periods(first: 2) { totalCount nodes { periodStart } }
          }
        }
      }
    }
  }
}"""


def test_a_page_of_customers_costs_the_same_whatever_its_length(owner, engine):
    plans = [
        plan(owner, "Monthly"),
        plan(owner, "Weekly", 500, "WEEK"),
        plan(owner, "Trial", trialDays=5),
    ]
    for i in range(12):
        customer_id = customer(owner, f"C{i:02}")
        for j in range(i % 3):
            subscribe(owner, customer_id, plans[(i + j) % 3])
    run_billing(owner)
    owner.query(PAGE, first=1)
    with count_statements(engine) as few:
        small = owner.query(PAGE, first=3)["customers"]["nodes"]
    with count_statements(engine) as many:
        large = owner.query(PAGE, first=12)["customers"]["nodes"]
    print(f"statements: first 3 -> {few.count}, first 12 -> {many.count}")
    assert len(small) == 3 and len(large) == 12
    assert few.count == many.count, (few.statements, many.statements)
    for node in large:
        subs = node["subscriptions"]["all"]
        badge = dict((t["key"], t["badgeCount"]) for t in node["profileTabs"])["subscriptions"]
        live = sum(s["status"] in ("TRIALING", "ACTIVE") for s in subs["nodes"])
        assert badge == node["subscriptions"]["activeCount"] == live
        assert subs["totalCount"] == len(subs["nodes"])


INVOICES = """query($id: ID!) { customer(id: $id) { payments { invoices(first: 20) {
  totalCount nodes { status total { amount currency } lines { description quantity } } } } } }"""


def test_with_payments_on_each_billed_period_becomes_one_invoice(owner):
    """The contract end to end, through the API only: payments' handler turns each
    `subscription.period_billed` into one invoice; a second run adds none."""
    owner.enable("payments")
    ada = customer(owner)
    subscribe(owner, ada, plan(owner, "Care", 1900), quantity=2,
              startDate=(today() - timedelta(days=35)).isoformat())  # fmt: skip
    assert run_billing(owner)["billed"] == 2
    assert run_billing(owner)["billed"] == 0
    invoices = owner.query(INVOICES, id=ada)["customer"]["payments"]["invoices"]
    assert invoices["totalCount"] == 2
    assert {i["status"] for i in invoices["nodes"]} == {"OPEN"}
    assert {i["total"]["amount"] for i in invoices["nodes"]} == {3800}
    assert all(i["lines"][0]["description"].startswith("Care (") for i in invoices["nodes"])
