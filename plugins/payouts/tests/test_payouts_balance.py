"""Payouts in the customer's payments balance, through payments' balance-entry contract
(docs/plugins.md): a SENT payout raises what the customer owes by its amount, a sent one
that FAILS takes it back; `totalPaid` and `lifetimeValue` do not move (a payout is not a
refund of a payment); an event delivered again records nothing more; with payments off the
payouts work and the balance is not touched, without an error."""

import asyncio

from sqlalchemy import select

from core import events
from core.models import EventRecord
from plugins.payouts.tests.test_payouts import created, moved
from tests.fixtures import run
from tests.support import Api, as_worker, pk_of
from tests.support import create_customer as customer
from tests.support import create_worker as worker

SUMS = """query($id: ID!) { customer(id: $id) { payments {
  balance { amount currency } totalPaid { amount currency } lifetimeValue { amount currency }
} } }"""
LIST = """{ customers(first: 10) { nodes { id payments { balance { amount currency } } } } }"""


def sums(api: Api, customer_id: str) -> dict:
    return api.query(SUMS, id=customer_id)["customer"]["payments"]


def eur(amount: int, currency: str = "EUR") -> dict:
    return {"amount": amount, "currency": currency}


def pay(api: Api, customer_id: str, amount: int) -> None:
    data = {"customerId": customer_id, "amount": eur(amount), "idempotencyKey": f"p{amount}"}
    api.ok("recordPayment", data, "payment { id }")


def sent_event(client, tenant_id: int, payout_id: str) -> events.Event:
    async def read():
        async with client.app.state.db.read() as conn:
            rows = await conn.execute(
                select(EventRecord.__table__).where(
                    EventRecord.tenant_id == tenant_id, EventRecord.action == "payout.sent"
                )
            )
            for row in rows.mappings():
                if row["data"]["payoutId"] == payout_id:
                    return events.Event(
                        row["action"],
                        tenant_id,
                        row["customer_id"],
                        row["data"],
                        row["actor_id"],
                        id=row["id"],
                    )
            raise AssertionError("no payout.sent")

    return run(client, read)


def deliver(client, event: events.Event, modules: frozenset) -> None:
    """Deliver an event to the handlers again, three times at once (at-least-once)."""

    async def one():
        app = client.app.state
        for impl in app.plugins.caller("hub_handle_event", modules).get_hookimpls():
            async with app.db.transaction(event.tenant_id) as session:
                events.bind(session, app.plugins, modules)
                result = impl.function(session=session, event=event)
                if asyncio.iscoroutine(result):
                    await result

    async def three_at_once():
        await asyncio.gather(one(), one(), one())

    run(client, three_at_once)


def approver(api: Api) -> Api:
    return as_worker(api, worker(api, "Alex Admin", "ADMIN"))


def test_the_balance_moves_by_a_sent_payout_and_back_when_it_fails(api, client):
    api.enable("payments", "payouts")
    admin = approver(api)
    ada, bob = customer(api, "Ada"), customer(api, "Bob")
    pay(api, ada, 10_000)  # credit on the account: the balance is -100.00
    before = sums(api, ada)
    assert before == {
        "balance": [eur(-10_000)],
        "totalPaid": [eur(10_000)],
        "lifetimeValue": [eur(10_000)],
    }
    payout = created(api, ada, 2_500)
    moved(admin, "approvePayout", payout["id"])
    assert sums(api, ada) == before  # approved is not paid out yet
    moved(api, "markPayoutSent", payout["id"])
    after = sums(api, ada)
    assert after["balance"] == [eur(-7_500)]  # its credit shrank by the payout
    assert (after["totalPaid"], after["lifetimeValue"]) == (
        before["totalPaid"],
        before["lifetimeValue"],
    )
    gbp = created(api, bob, 400, currency="GBP")  # no payments at all: the entry alone shows
    moved(admin, "approvePayout", gbp["id"])
    moved(api, "markPayoutSent", gbp["id"])
    assert sums(api, bob) == {"balance": [eur(400, "GBP")], "totalPaid": [], "lifetimeValue": []}
    listed = {n["id"]: n["payments"]["balance"] for n in api.query(LIST)["customers"]["nodes"]}
    assert listed == {ada: [eur(-7_500)], bob: [eur(400, "GBP")]}

    # The same event again, three times at once: recorded once.
    modules = frozenset({"payments", "payouts"})
    deliver(client, sent_event(client, api.tenant_id, payout["id"]), modules)
    assert sums(api, ada)["balance"] == [eur(-7_500)]

    moved(api, "markPayoutFailed", payout["id"], reason="Returned by the bank")
    assert sums(api, ada) == before
    deliver(client, sent_event(client, api.tenant_id, payout["id"]), modules)
    assert sums(api, ada) == before  # a late replay of `payout.sent` changes nothing

    # Malformed entries are skipped without error.
    for bad in (
        {"source": "x", "amount": 1.5, "currency": "EUR"},
        {"source": "", "amount": 100, "currency": "EUR"},
        {"source": "y", "amount": 0, "currency": "EUR"},
        {"source": "z", "amount": 100, "currency": "euro"},
        "not an object",
    ):
        data = {"payoutId": payout["id"], "balance_entry": bad}
        event = events.Event("payout.sent", api.tenant_id, pk_of(ada), data, id=0)
        deliver(client, event, modules)
    assert sums(api, ada) == before

    # A merge takes the entries along with the payments.
    api.ok("mergeCustomers", {"sourceId": bob, "targetId": ada}, "customer { id }")
    assert sums(api, ada)["balance"] == [eur(-10_000), eur(400, "GBP")]
    data = api.query("query($id: ID!) { customerExport(id: $id) }", id=ada)["customerExport"]
    entries = data["modules"]["payments"]["balanceEntries"]
    assert sorted((e["source"], e["amount"]) for e in entries) == sorted(
        [
            (f"payouts:{pk_of(payout['id'])}", 2_500),
            (f"payouts:{pk_of(payout['id'])}:failed", -2_500),
            (f"payouts:{pk_of(gbp['id'])}", 400),
        ]
    )


def test_without_payments_payouts_work_and_the_balance_is_untouched(api):
    api.enable("payouts")
    admin = approver(api)
    ada = customer(api)
    payout = created(api, ada, 900)
    moved(admin, "approvePayout", payout["id"])
    assert moved(api, "markPayoutSent", payout["id"])["status"] == "SENT"
    assert moved(api, "markPayoutFailed", payout["id"])["status"] == "FAILED"
    (error,) = api.errors(SUMS, id=ada)
    assert error["extensions"]["code"] == "MODULE_DISABLED"
    api.enable("payments")  # what went by while it was off is not replayed
    assert sums(api, ada) == {"balance": [], "totalPaid": [], "lifetimeValue": []}
