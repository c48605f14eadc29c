"""What the subscriptions tests share: plans, subscriptions, billing runs followed to their
end, the customer's events, and a clock moved forward by shifting the tenant's dates back."""

import time
from datetime import date, timedelta

from sqlalchemy import select

from plugins.subscriptions.models import Subscription, SubscriptionPeriod
from tests.fixtures import run
from tests.support import Api

SUB = """id status quantity startDate trialEnd currentPeriodStart currentPeriodEnd
nextBillingDate cancelAtPeriodEnd unitPrice { amount currency } amount { amount currency }
plan { id name } customer { id }"""
PERIODS = """query($id: ID!) { node(id: $id) { ... on CustomerSubscription { status
  currentPeriodStart currentPeriodEnd nextBillingDate
  periods(first: 100) { totalCount nodes { periodStart periodEnd source
    amount { amount currency } } } } } }"""
EVENTS = """query($id: ID!, $actions: [String!]) { customer(id: $id) {
  timeline(first: 100, filter: {actions: $actions}) { nodes { action data } } } }"""
JOB = "query($id: ID!) { job(id: $id) { status result error { code message } } }"


def errors_of(payload: dict) -> list[tuple]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def plan(api: Api, name="Monthly", amount=1900, interval="MONTH", **more) -> str:
    data = {"name": name, "price": {"amount": amount, "currency": "EUR"}, "interval": interval}
    return api.ok("createSubscriptionPlan", {**data, **more}, "plan { id }")["plan"]["id"]


_keys = iter(range(1, 10**9))


def subscribe(api: Api, customer_id: str, plan_id: str, **more) -> dict:
    data = {"customerId": customer_id, "subscriptionPlanId": plan_id}
    data["idempotencyKey"] = more.pop("idempotencyKey", f"key-{next(_keys)}")
    return api.ok("subscribeCustomer", {**data, **more}, f"subscription {{ {SUB} }}")[
        "subscription"
    ]


def run_billing(api: Api, within: float = 15.0) -> dict:
    """A billing run started through the API and followed to its end: its result."""
    started = api.ok(
        "runSubscriptionBilling",
        {"idempotencyKey": f"run-{next(_keys)}"},
        "job { id status } created",
    )
    assert started["created"]
    job_id = started["job"]["id"]
    deadline = time.monotonic() + within
    while True:
        job = api.query(JOB, id=job_id)["job"]
        if job["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            assert job["status"] == "SUCCEEDED", job
            return job["result"]
        assert time.monotonic() < deadline, job
        time.sleep(0.02)


def periods(api: Api, subscription_id: str) -> dict:
    return api.query(PERIODS, id=subscription_id)["node"]


def events(api: Api, customer_id: str, *actions: str) -> list[dict]:
    found = api.query(EVENTS, id=customer_id, actions=list(actions) or None)
    return list(reversed(found["customer"]["timeline"]["nodes"]))


def today() -> date:
    return date.today()  # the tests' tenants keep the default zone, UTC; close to midnight
    # the process's local day could differ: the containers run in UTC.


def travel(api: Api, days: int) -> None:
    """Move the tenant `days` into the future: its subscriptions' and periods' dates go back
    by that much (the billing run reads the real clock)."""
    back = timedelta(days=days)
    columns = (
        "start_date",
        "trial_end",
        "anchor_date",
        "current_period_start",
        "current_period_end",
        "next_billing_date",
    )

    async def work():
        async with api.client.app.state.db.transaction() as session:
            for model, names in (
                (Subscription, columns),
                (SubscriptionPeriod, ("period_start", "period_end")),
            ):
                rows = await session.scalars(select(model).where(model.tenant_id == api.tenant_id))
                for row in rows:
                    for name in names:
                        if getattr(row, name) is not None:
                            setattr(row, name, getattr(row, name) - back)

    run(api.client, work)
