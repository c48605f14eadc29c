"""The billing run in real `server.py` processes (`serve.py`: chunks of 2 subscriptions,
slowed): runs started side by side on two processes, one of which is killed with SIGKILL in
the middle of its run, bill every period exactly once. The killed run is taken over by the
other process after its lease ran out and resumes from its checkpoint; every period has one
row and one `subscription.period_billed` event, and the runs' own counts add up to the
periods billed (none billed twice, none lost)."""

import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.servers import AppServer, graphql, owner_token
from tests.support import SECRET

SERVE = Path(__file__).with_name("serve.py")
CUSTOMERS, WEEKS = 6, 3  # each subscription owes WEEKS + 1 periods
JOB = "query($id: ID!) { job(id: $id) { status attempts progress { done } result } }"
RUN = """mutation($key: String!) { runSubscriptionBilling(input: {idempotencyKey: $key}) {
  job { id } userErrors { code } } }"""
BILLED = """query($id: ID!) { customer(id: $id) {
  subscriptions { all(status: [ACTIVE]) {
    nodes { periods(first: 100) { totalCount nodes { source } } } } }
  timeline(first: 100, filter: {actions: ["subscription.period_billed"]}) {
    nodes { data } } } }"""


@pytest.fixture
def servers(tmp_path: Path, database_url) -> Iterator[list[AppServer]]:
    environment = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "JOB_LEASE_SECONDS": "1.5",
        "JOB_POLL_SECONDS": "0.2",
        "JOB_PROGRESS_SECONDS": "0.1",
        "JOB_RETRY_SECONDS": "0.2",
        "OUTBOX_SWEEP_SECONDS": "0",
        "TEST_BILLING_BATCH": "1",
        "TEST_BILLING_PAUSE": "0.15",
    }
    # b runs one job at a time: busy with its own run, it cannot take a's before a dies.
    made = [
        AppServer("a", tmp_path, environment, SERVE),
        AppServer("b", tmp_path, {**environment, "JOB_CONCURRENCY": "1"}, SERVE),
    ]
    try:
        for app in made:
            app.launch()
        for app in made:
            app.wait_ready()
        yield made
    finally:  # also when one did not start or a test failed: none is left running
        for app in made:
            app.stop()


def ok(app: AppServer, token: str, name: str, input: dict, selection: str) -> dict:
    document = (
        f"mutation($input: {name[0].upper()}{name[1:]}Input!) "
        f"{{ {name}(input: $input) {{ {selection} userErrors {{ code }} }} }}"
    )
    payload = graphql(app, token, document, timeout=20, input=input)[name]
    assert payload["userErrors"] == [], payload
    return payload


def start_run(app: AppServer, token: str, key: str) -> str:
    payload = graphql(app, token, RUN, timeout=20, key=key)["runSubscriptionBilling"]
    assert payload["userErrors"] == [], payload
    return payload["job"]["id"]


def job(app: AppServer, token: str, job_id: str) -> dict:
    return graphql(app, token, JOB, timeout=20, id=job_id)["job"]


def wait(app: AppServer, token: str, job_id: str, done, within: float = 20.0) -> dict:
    deadline = time.monotonic() + within
    while not done(found := job(app, token, job_id)):
        assert time.monotonic() < deadline, (found, app.log_tail())
        time.sleep(0.01)
    return found


def test_runs_side_by_side_and_a_killed_one_bill_every_period_once(servers, database_url):
    a, b = servers
    token = owner_token(database_url, "Billing")
    ok(a, token, "enableModule", {"module": "subscriptions"}, "modules { name }")
    plan = ok(
        a, token, "createSubscriptionPlan",
        {"name": "Weekly", "price": {"amount": 500, "currency": "EUR"}, "interval": "WEEK"},
        "plan { id }",
    )["plan"]["id"]  # fmt: skip
    start = (date.today() - timedelta(weeks=WEEKS)).isoformat()
    customers = []
    for i in range(CUSTOMERS):
        customer = ok(a, token, "createCustomer", {"name": f"C{i}"}, "customer { id }")
        customers.append(customer["customer"]["id"])
        ok(
            a, token, "subscribeCustomer",
            {"customerId": customers[-1], "subscriptionPlanId": plan, "startDate": start,
             "idempotencyKey": f"s{i}"},
            "subscription { id }",
        )  # fmt: skip
    twins: list = [None] * 8
    subscribe = """mutation($input: SubscribeCustomerInput!) { subscribeCustomer(input: $input) {
      subscription { id customer { id } } userErrors { code } } }"""

    def twin(i: int) -> None:  # one key at once from 8 requests, two customers: no 500
        data = {"customerId": customers[i % 2], "subscriptionPlanId": plan, "idempotencyKey": "t"}
        twins[i] = graphql(b, token, subscribe, timeout=20, input=data)["subscribeCustomer"]

    threads = [threading.Thread(target=twin, args=(i,)) for i in range(len(twins))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    made = {t["subscription"]["id"] for t in twins if t["subscription"]}
    winner = next(t["subscription"]["customer"]["id"] for t in twins if t["subscription"])
    assert len(made) == 1, twins  # one row, replayed to the same request, refused to the other
    for i, answer in enumerate(twins):
        if customers[i % 2] == winner:
            assert answer["userErrors"] == [] and answer["subscription"]["id"] in made
        else:
            assert answer["userErrors"] == [{"code": "IDEMPOTENCY_KEY_REUSED"}], answer
    ok(b, token, "cancelCustomerSubscription", {"id": made.pop()}, "subscription { id }")
    mine = start_run(b, token, "b1")
    wait(b, token, mine, lambda j: j["status"] == "RUNNING")
    first = start_run(a, token, "a1")  # runs beside b's, on the same subscriptions
    wait(b, token, first, lambda j: j["status"] == "RUNNING" and j["progress"]["done"] >= 1)
    a.process.kill()  # SIGKILL mid-run: its chunk rolls back, its lease stays until it expires
    a.process.wait(timeout=5)
    others = [mine]
    results = []
    for job_id in [first, *others]:
        found = wait(b, token, job_id, lambda j: j["status"] in ("SUCCEEDED", "FAILED"), 30)
        assert found["status"] == "SUCCEEDED", (found, b.log_tail())
        results.append(found)
    assert results[0]["attempts"] == 2, results  # the killed run, finished by b
    assert sum(r["result"]["billed"] for r in results) == CUSTOMERS * (WEEKS + 1)
    for customer in customers:
        data = graphql(b, token, BILLED, timeout=20, id=customer)["customer"]
        rows = data["subscriptions"]["all"]["nodes"][0]["periods"]
        announced = [e["data"]["invoice_request"]["source"] for e in data["timeline"]["nodes"]]
        assert rows["totalCount"] == WEEKS + 1
        assert sorted(announced) == sorted(p["source"] for p in rows["nodes"])
        assert len(set(announced)) == len(announced)
