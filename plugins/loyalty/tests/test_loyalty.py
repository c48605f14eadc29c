"""The loyalty module through the HTTP API, on both databases: points earned from payments
(once, however often the event comes), reversals on refunds, adjustments, redemptions,
tiers, the daily job's grants (once, however often it runs), visibility and other tenants'
ids, merging, export, the badge, and the statement count of a list page."""

import random
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from core import events
from core.models import Customer, EventRecord
from plugins.loyalty import demo
from tests.fixtures import new_tenant, run
from tests.support import Api, as_worker, count_statements, create_worker, settle

LOYALTY = """query($id: ID!) { customer(id: $id) { loyalty {
  balance lifetimePoints tier { name } nextTier { name pointsNeeded }
  entries(first: 100) { totalCount nodes { id kind points balanceAfter reason sourceKey
    paymentId reward { name } actor { name } } }
} } }"""
_keys = iter(range(10**9))


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("payments", "loyalty")
    return api


@pytest.fixture
def emitted(monkeypatch) -> list:
    seen: list = []
    emit = events.emit

    async def spy(session, event):
        seen.append(event)
        await emit(session, event)

    monkeypatch.setattr(events, "emit", spy)
    return seen


def key() -> str:
    return f"k-{next(_keys)}"


def customer(api: Api, name: str = "Ada", **fields) -> str:
    return api.ok("createCustomer", {"name": name, **fields}, "customer { id }")["customer"]["id"]


def loyalty(api: Api, customer_id: str) -> dict:
    return api.query(LOYALTY, id=customer_id)["customer"]["loyalty"]


def codes(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def pay(api: Api, customer_id: str, amount: int, currency: str = "EUR") -> str:
    data = {
        "customerId": customer_id,
        "amount": {"amount": amount, "currency": currency},
        "idempotencyKey": key(),
    }
    return api.ok("recordPayment", data, "payment { id }")["payment"]["id"]


def refund(api: Api, payment_id: str, amount: int) -> None:
    money = {"amount": amount, "currency": "EUR"}
    api.ok("refundPayment", {"paymentId": payment_id, "amount": money})


def adjust(api: Api, customer_id: str, points: int, reason="Goodwill", idem=None) -> dict:
    data = {"customerId": customer_id, "points": points, "reason": reason}
    data["idempotencyKey"] = idem or key()
    return api.mutate(
        "adjustLoyaltyPoints", data, "entry { id kind points balanceAfter } loyalty { balance }"
    )


def reward(api: Api, name="Coffee", cost=100, stock=None, active=True) -> str:
    data = {"name": name, "pointsCost": cost, "stock": stock, "active": active}
    return api.ok("createLoyaltyReward", data, "reward { id }")["reward"]["id"]


def redeem(api: Api, customer_id: str, reward_id: str, idem=None) -> dict:
    data = {"customerId": customer_id, "rewardId": reward_id, "idempotencyKey": idem or key()}
    selection = "entry { id kind points } reward { stock redeemedCount } loyalty { balance }"
    return api.mutate("redeemLoyaltyReward", data, selection)


def configure(api: Api, **changes) -> dict:
    return api.mutate("configureLoyaltyProgram", changes, "program { earnPoints earnPer "
                      "currency birthdayPoints anniversaryPoints expiryMonths }")  # fmt: skip


def redeliver(client, tenant_id: int, name: str) -> None:
    """Deliver the tenant's `name` events again, as the outbox's sweep does after a crash."""

    async def unpublish():
        async with client.app.state.db.transaction() as session:
            await session.execute(
                update(EventRecord)
                .where(EventRecord.tenant_id == tenant_id, EventRecord.action == name)
                .values(published_at=None, occurred_at=datetime(2026, 1, 1))
            )
        return await client.app.state.outbox.sweep(timedelta(seconds=1))

    assert run(client, unpublish) >= 1
    settle(client)


def todays_job_done(api: Api, within: float = 15.0) -> None:
    """Until today's tick, which configuring a program with daily work arms, has run (its
    statements and grants would otherwise land in a test's counts): no tick running, and
    besides those that ran only the next midnight's waiting. Without daily work, no tick."""
    deadline = time.monotonic() + within
    query = "{ jobs(first: 10) { nodes { kind status } } }"
    while True:
        jobs = [j for j in api.query(query)["jobs"]["nodes"] if j["kind"] == "loyalty.daily"]
        status = [j["status"] for j in jobs]
        ran = "SUCCEEDED" in status and "RUNNING" not in status
        if not jobs or (ran and status.count("QUEUED") <= 1):
            return
        assert time.monotonic() < deadline, jobs
        time.sleep(0.03)


def test_the_module_is_named_when_off_and_its_program_starts_with_defaults(api):
    (error,) = api.errors("{ loyaltyProgram { earnPoints } }")
    assert error["extensions"]["code"] in ("MODULE_DISABLED", "GRAPHQL_VALIDATION_FAILED")
    api.enable("loyalty")
    program = api.query("{ loyaltyProgram { earnPoints earnPer currency expiryMonths } }")
    assert program["loyaltyProgram"] == {
        "earnPoints": 1,
        "earnPer": 1,
        "currency": None,
        "expiryMonths": None,
    }
    bad = configure(api, earnPoints=-1, earnPer=0, currency="euro", expiryMonths=0)
    assert sorted(codes(bad)) == [
        (["input", "currency"], "INVALID"),
        (["input", "earnPer"], "INVALID"),
        (["input", "earnPoints"], "INVALID"),
        (["input", "expiryMonths"], "INVALID"),
    ]
    done = configure(api, earnPoints=2, currency="eur", birthdayPoints=50, expiryMonths=12)
    assert done["program"] == {
        "earnPoints": 2,
        "earnPer": 1,
        "currency": "EUR",
        "birthdayPoints": 50,
        "anniversaryPoints": 0,
        "expiryMonths": 12,
    }
    agent = as_worker(api, create_worker(api, "Agnes Agent"))
    (error,) = agent.errors(
        "mutation { configureLoyaltyProgram(input: {earnPoints: 9}) { userErrors { code } } }"
    )
    assert error["extensions"]["code"] == "FORBIDDEN"


def test_payments_earn_once_even_when_the_event_comes_twice_and_refunds_reverse(
    owner, client, emitted
):
    ada = customer(owner)
    payment = pay(owner, ada, 12_345)  # 123.45 EUR: 123 points, rounded down
    pay(owner, ada, 500, "JPY")  # no minor unit: 500 points
    pay(owner, ada, 99)  # 0.99 EUR: nothing
    redeliver(client, owner.tenant_id, "payment.received")
    found = loyalty(owner, ada)
    earned = [(e["kind"], e["points"]) for e in found["entries"]["nodes"]]
    assert earned == [("EARN", 500), ("EARN", 123)]
    assert found["balance"] == found["lifetimePoints"] == 623
    assert found["entries"]["nodes"][1]["paymentId"] == payment
    changed = [e for e in emitted if e.name == "loyalty.points_changed"]
    assert [e.data["points"] for e in changed] == [123, 500]
    # Partial refunds take back their share, rounded down; the whole refund all of it.
    refund(owner, payment, 5_000)
    refund(owner, payment, 7_345)
    redeliver(client, owner.tenant_id, "payment.refunded")
    found = loyalty(owner, ada)
    reversals = [e["points"] for e in found["entries"]["nodes"] if e["kind"] == "REVERSAL"]
    assert reversals == [-74, -49] and found["balance"] == found["lifetimePoints"] == 500
    # Only the program's currency earns once it names one.
    configure(owner, currency="EUR", earnPoints=3, earnPer=2)
    pay(owner, ada, 1_000, "JPY")
    pay(owner, ada, 1_000)  # 10.00 EUR at 3 points per 2.00: 15
    assert loyalty(owner, ada)["balance"] == 515


def test_a_refund_after_spending_may_leave_a_debt_that_blocks_redeeming(owner):
    ada = customer(owner)
    payment = pay(owner, ada, 20_000)
    coffee = reward(owner, cost=150)
    assert redeem(owner, ada, coffee)["loyalty"] == {"balance": 50}
    refund(owner, payment, 20_000)
    assert loyalty(owner, ada)["balance"] == -150
    assert codes(redeem(owner, ada, reward(owner, "Pen", cost=1))) == [
        (["input", "rewardId"], "INSUFFICIENT_POINTS")
    ]
    assert codes(adjust(owner, ada, -1)) == [(["input", "points"], "INSUFFICIENT_POINTS")]


def test_adjustments_need_a_reason_replay_by_key_and_never_overdraw(owner, other_api):
    ada, bob = customer(owner), customer(owner, "Bob")
    bad = owner.mutate(
        "adjustLoyaltyPoints",
        {"customerId": ada, "points": 0, "reason": " ", "idempotencyKey": ""},
    )
    assert sorted(codes(bad)) == [
        (["input", "idempotencyKey"], "REQUIRED"),
        (["input", "points"], "INVALID"),
        (["input", "reason"], "REQUIRED"),
    ]
    first = adjust(owner, ada, 40, idem="same")
    again = adjust(owner, ada, 40, idem="same")
    assert again["entry"] == first["entry"] and again["loyalty"] == {"balance": 40}
    assert codes(adjust(owner, ada, 41, idem="same")) == [
        (["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")
    ]
    assert codes(adjust(owner, bob, 40, idem="same")) == [
        (["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")
    ]
    assert codes(adjust(owner, ada, -41)) == [(["input", "points"], "INSUFFICIENT_POINTS")]
    assert adjust(owner, ada, -40)["loyalty"] == {"balance": 0}
    entries = loyalty(owner, ada)["entries"]["nodes"]
    assert [(e["kind"], e["points"], e["balanceAfter"]) for e in entries] == [
        ("ADJUST", -40, 0),
        ("ADJUST", 40, 40),
    ]
    assert entries[0]["actor"] == {"name": "Olivia Owner"}
    agent = as_worker(owner, create_worker(owner, "Agnes Agent"))
    (error,) = agent.errors(
        "mutation($i: AdjustLoyaltyPointsInput!) { adjustLoyaltyPoints(input: $i) { "
        "userErrors { code } } }",
        i={"customerId": ada, "points": 5, "reason": "x", "idempotencyKey": key()},
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    other_api.enable("loyalty")
    assert codes(adjust(other_api, ada, 5)) == [(["input", "customerId"], "NOT_FOUND")]


def test_redemptions_spend_points_and_stock_once_per_key(owner, emitted):
    ada = customer(owner)
    adjust(owner, ada, 250)
    box = reward(owner, "Gift box", cost=100, stock=2)
    first = redeem(owner, ada, box, idem="r1")
    assert first["reward"] == {"stock": 1, "redeemedCount": 1}
    assert first["loyalty"] == {"balance": 150}
    assert redeem(owner, ada, box, idem="r1")["entry"] == first["entry"]  # a retry
    assert redeem(owner, ada, box)["loyalty"] == {"balance": 50}
    assert codes(redeem(owner, ada, box)) == [(["input", "rewardId"], "REWARD_OUT_OF_STOCK")]
    owner.ok("updateLoyaltyReward", {"id": box, "stock": None, "active": False})
    assert codes(redeem(owner, ada, box)) == [(["input", "rewardId"], "REWARD_INACTIVE")]
    owner.ok("updateLoyaltyReward", {"id": box, "active": True})
    assert codes(redeem(owner, ada, box)) == [(["input", "rewardId"], "INSUFFICIENT_POINTS")]
    found = loyalty(owner, ada)
    assert [e["reward"] for e in found["entries"]["nodes"] if e["kind"] == "REDEEM"] == [
        {"name": "Gift box"},
        {"name": "Gift box"},
    ]
    assert found["lifetimePoints"] == 250 and found["balance"] == 50
    redeemed = [e for e in emitted if e.name == "loyalty.reward_redeemed"]
    assert [e.data["points"] for e in redeemed] == [100, 100]
    listed = owner.query("{ loyaltyRewards(active: true) { totalCount nodes { name stock } } }")
    assert listed["loyaltyRewards"] == {
        "totalCount": 1,
        "nodes": [{"name": "Gift box", "stock": None}],
    }


def test_tiers_follow_lifetime_points_and_announce_changes(owner, emitted):
    def tier(name, threshold):
        data = {"name": name, "threshold": threshold, "benefits": f"{name} perks"}
        return owner.ok("createLoyaltyTier", data, "tier { id }")["tier"]["id"]

    tier("Silver", 500)
    bronze = tier("Bronze", 0)
    gold = tier("Gold", 2000)
    clash = owner.mutate("createLoyaltyTier", {"name": "Silver", "threshold": 0})
    assert sorted(codes(clash)) == [(["input", "name"], "TAKEN"), (["input", "threshold"], "TAKEN")]
    names = owner.query("{ loyaltyTiers { name threshold } }")["loyaltyTiers"]
    assert [t["name"] for t in names] == ["Bronze", "Silver", "Gold"]
    ada = customer(owner)
    assert loyalty(owner, ada)["tier"] == {"name": "Bronze"}
    adjust(owner, ada, 600)
    found = loyalty(owner, ada)
    assert found["tier"] == {"name": "Silver"}
    assert found["nextTier"] == {"name": "Gold", "pointsNeeded": 1400}
    redeem(owner, ada, reward(owner, cost=600))  # spending keeps the tier
    assert loyalty(owner, ada)["tier"] == {"name": "Silver"}
    changed = [e.data for e in emitted if e.name == "loyalty.tier_changed"]
    assert [(c["from"], c["to"]) for c in changed] == [("Bronze", "Silver")]
    timeline = owner.query(
        "query($id: ID!) { customer(id: $id) { timeline(first: 5) { nodes { summary } } } }",
        id=ada,
    )["customer"]["timeline"]["nodes"]
    assert {"summary": "Loyalty tier changed from Bronze to Silver"} in timeline
    assert {"summary": "Loyalty reward redeemed: Coffee"} in timeline
    owner.ok("updateLoyaltyTier", {"id": gold, "threshold": 600})
    found = loyalty(owner, ada)
    assert found["tier"] == {"name": "Gold"} and found["nextTier"] is None
    owner.ok("deleteLoyaltyTier", {"id": bronze})
    node = owner.query("query($id: ID!) { node(id: $id) { id } }", id=bronze)
    assert node["node"] is None


def test_balance_is_the_sum_of_entries_after_random_operations(owner):
    rng = random.Random(5)
    people = [customer(owner, f"P{i}") for i in range(3)]
    rewards = [reward(owner, "Cheap", cost=30, stock=4), reward(owner, "Dear", cost=200)]
    payments: list[tuple[str, int]] = []
    for _ in range(40):
        who = rng.choice(people)
        roll = rng.random()
        if roll < 0.3:
            payments.append((pay(owner, who, rng.randint(100, 30_000)), 0))
        elif roll < 0.45 and payments:
            i = rng.randrange(len(payments))
            payment, done = payments[i]
            refund(owner, payment, 100)
            payments[i] = (payment, done + 100)
        elif roll < 0.7:
            adjust(owner, who, rng.choice((-80, -10, 15, 60)))
        else:
            redeem(owner, who, rng.choice(rewards))
    for who in people:
        found = loyalty(owner, who)
        entries = found["entries"]["nodes"]
        assert found["balance"] == sum(e["points"] for e in entries)
        lifetime = sum(e["points"] for e in entries if e["kind"] not in ("REDEEM", "EXPIRE"))
        assert found["lifetimePoints"] == lifetime
        if entries:
            assert entries[0]["balanceAfter"] == found["balance"]


def test_workers_see_only_their_customers_and_other_tenants_ids_are_unknown(owner, other_api):
    other_api.enable("loyalty")
    ada = customer(owner)
    adjust(owner, ada, 10)
    entry = loyalty(owner, ada)["entries"]["nodes"][0]["id"]
    tier = owner.ok("createLoyaltyTier", {"name": "Base", "threshold": 0}, "tier { id }")["tier"]
    box = reward(owner)
    agent = as_worker(owner, create_worker(owner, "Agnes Agent"))
    assert agent.query(LOYALTY, id=ada)["customer"] is None
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert agent.query(node, id=entry)["node"] is None
    for global_id in (entry, tier["id"], box):
        assert other_api.query(node, id=global_id)["node"] is None
    assert codes(redeem(agent, ada, box)) == [(["input", "customerId"], "NOT_FOUND")]
    mine = customer(other_api, "Theirs")
    assert codes(redeem(other_api, mine, box)) == [(["input", "rewardId"], "NOT_FOUND")]
    assert codes(other_api.mutate("updateLoyaltyReward", {"id": box, "name": "x"})) == [
        (["input", "id"], "NOT_FOUND")
    ]
    assert codes(other_api.mutate("deleteLoyaltyTier", {"id": tier["id"]})) == [
        (["input", "id"], "NOT_FOUND")
    ]
    owner.ok("assignWorkers", {"customerId": ada, "workerIds": [agent_id(agent)]})
    assert agent.query(LOYALTY, id=ada)["customer"]["loyalty"]["balance"] == 10


def agent_id(api: Api) -> str:
    from tests.support import gid

    return gid("Worker", api.worker_id)


def test_merging_sums_accounts_and_undo_and_export_follow(owner):
    source, target = customer(owner, "Ada L."), customer(owner, "Ada Lovelace")
    adjust(owner, source, 70)
    adjust(owner, target, 30)
    merged = owner.ok("mergeCustomers", {"sourceId": source, "targetId": target}, "merge { id }")
    found = loyalty(owner, target)
    assert found["balance"] == found["lifetimePoints"] == 100
    assert found["entries"]["totalCount"] == 2
    data = owner.query("query($id: ID!) { customerExport(id: $id) }", id=target)["customerExport"]
    exported = data["modules"]["loyalty"]
    assert exported["account"] == {"balance": 100, "lifetime_points": 100}
    assert sorted(e["points"] for e in exported["entries"]) == [30, 70]
    owner.ok("undoMerge", {"mergeId": merged["merge"]["id"]})
    assert loyalty(owner, target)["balance"] == 30 and loyalty(owner, source)["balance"] == 70
    # Filter and sort on the balance; erasing a customer erases their points.
    find = """query($where: CustomerWhere, $order: CustomerOrder) {
      customers(first: 10, where: $where, orderBy: $order) { nodes { name } } }"""
    rich = {"field": "loyalty.balance", "op": "GT", "value": 50}
    assert owner.query(find, where=rich)["customers"]["nodes"] == [{"name": "Ada L."}]
    order = {"key": "loyalty.lifetimePoints", "direction": "DESC"}
    names = [n["name"] for n in owner.query(find, order=order)["customers"]["nodes"]]
    assert names == ["Ada L.", "Ada Lovelace"]
    entry = loyalty(owner, source)["entries"]["nodes"][0]["id"]
    owner.ok("deleteCustomer", {"id": source})
    assert owner.query("query($id: ID!) { node(id: $id) { id } }", id=entry)["node"] is None


def test_the_badge_and_a_list_page_cost_the_same_statements_at_any_length(owner, engine):
    names = " ".join(
        f'c{i}: createCustomer(input: {{name: "L{i:02d}"}}) {{ customer {{ id }} }}'
        for i in range(50)
    )
    made = owner.query(f"mutation {{ {names} }}")
    ids = [made[f"c{i}"]["customer"]["id"] for i in range(50)]
    owner.ok("createLoyaltyTier", {"name": "Base", "threshold": 0})
    owner.ok("createLoyaltyTier", {"name": "Top", "threshold": 1000})
    coffee = reward(owner, cost=5)
    for name in ("adjustLoyaltyPoints", "redeemLoyaltyReward"):
        kind = f"{name[0].upper()}{name[1:]}Input!"
        params = ", ".join(f"$i{n}: {kind}" for n in range(50))
        fields = " ".join(
            f"m{n}: {name}(input: $i{n}) {{ userErrors {{ code }} }}" for n in range(50)
        )
        inputs = {
            f"i{n}": {"customerId": who, "points": 30, "reason": "Welcome", "rewardId": coffee,
                      "idempotencyKey": key()}
            for n, who in enumerate(ids)
        }  # fmt: skip
        for n in range(50):
            inputs[f"i{n}"].pop("rewardId" if name == "adjustLoyaltyPoints" else "points")
            if name != "adjustLoyaltyPoints":
                inputs[f"i{n}"].pop("reason")
        done = owner.query(f"mutation({params}) {{ {fields} }}", **inputs)
        assert all(m["userErrors"] == [] for m in done.values())
    tabs = "query($id: ID!) { customer(id: $id) { profileTabs { key badgeCount } } }"
    badges = {
        t["key"]: t["badgeCount"] for t in owner.query(tabs, id=ids[0])["customer"]["profileTabs"]
    }
    assert badges["loyalty"] == 25
    query = """query($n: Int) { customers(first: $n) { nodes { name profileTabs { key badgeCount }
      loyalty { balance lifetimePoints tier { name } nextTier { name pointsNeeded }
        entries(first: 3) { totalCount nodes { kind points actor { name } reward { name } } } }
    } } }"""
    todays_job_done(owner)
    owner.query(query, n=1)
    with count_statements(engine) as small:
        owner.query(query, n=5)
    with count_statements(engine) as large:
        page = owner.query(query, n=50)
    assert len(page["customers"]["nodes"]) == 50
    assert sum(c["loyalty"]["balance"] for c in page["customers"]["nodes"]) == 50 * 25
    assert small.count == large.count, (small.count, large.count)


def test_the_profile_reads_the_whole_loyalty_field_in_one_statement(owner, engine):
    ada = customer(owner)
    adjust(owner, ada, 500)
    redeem(owner, ada, reward(owner, cost=100))
    owner.ok("createLoyaltyTier", {"name": "Base", "threshold": 0})
    plain = "query($id: ID!) { customer(id: $id) { name } }"
    todays_job_done(owner)
    owner.query(LOYALTY, id=ada)
    with count_statements(engine) as without:
        owner.query(plain, id=ada)
    with count_statements(engine) as with_loyalty:
        found = owner.query(LOYALTY, id=ada)["customer"]["loyalty"]
    assert found["entries"]["totalCount"] == 2 and found["tier"] == {"name": "Base"}
    assert found["entries"]["nodes"][0]["reward"] == {"name": "Coffee"}
    assert with_loyalty.count == without.count + 1, (without.count, with_loyalty.count)


def test_demo_data_is_deterministic_and_its_accounts_add_up(client):
    async def seed(api):
        async with client.app.state.db.transaction() as session:
            ids = await session.scalars(
                select(Customer.id).where(Customer.tenant_id == api.tenant_id).order_by(Customer.id)
            )
            await demo.seed(session, api.tenant_id, list(ids), 7)

    def shape(api):
        page = api.query(
            "{ customers(first: 20) { nodes { loyalty { balance lifetimePoints tier { name } "
            "entries(first: 100) { nodes { kind points } } } } } }"
        )
        return [c["loyalty"] for c in page["customers"]["nodes"]]

    tenants = [new_tenant(client), new_tenant(client)]
    for api in tenants:
        api.enable("loyalty")
        names = " ".join(
            f'c{i}: createCustomer(input: {{name: "D{i:02d}"}}) {{ customer {{ id }} }}'
            for i in range(20)
        )
        api.query(f"mutation {{ {names} }}")
        run(client, seed, api)
    first = shape(tenants[0])
    assert first == shape(tenants[1])
    assert sum(1 for c in first if c["entries"]["nodes"]) >= 5
    for account in first:
        points = [e["points"] for e in account["entries"]["nodes"]]
        assert account["balance"] == sum(points) >= 0
    rewards = tenants[0].query("{ loyaltyRewards { totalCount } loyaltyTiers { name } }")
    assert rewards["loyaltyRewards"]["totalCount"] == 4 and len(rewards["loyaltyTiers"]) == 3
