"""The invoice an accepted order gets through payments' invoice-request contract: exactly
one, matching the order's total to the cent, even when the event is replayed or delivered
several times at once; a malformed request is skipped without error; nothing (and no error)
without payments."""

import asyncio

import pytest
from sqlalchemy import select

from core import events
from core.models import EventRecord
from plugins.orders.tests.test_orders import INVOICES, created, moved
from tests.fixtures import run
from tests.support import Api, pk_of
from tests.support import create_customer as customer


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("orders")
    return api


def deliver(client, event: events.Event, modules: frozenset) -> None:
    """Deliver an event to the handlers again, as the outbox does (at least once)."""

    async def one():
        app = client.app.state
        for impl in app.plugins.caller("hub_handle_event", modules).get_hookimpls():
            async with app.db.transaction(event.tenant_id) as session:
                events.bind(session, app.plugins, modules)
                result = impl.function(session=session, event=event)
                if asyncio.iscoroutine(result):
                    await result

    async def twice_at_once():
        await asyncio.gather(one(), one(), one())

    run(client, twice_at_once)


def accepted_event(client, tenant_id: int) -> events.Event:
    async def read():
        async with client.app.state.db.read() as conn:
            row = (
                (
                    await conn.execute(
                        select(EventRecord.__table__).where(
                            EventRecord.tenant_id == tenant_id,
                            EventRecord.action == "order.accepted",
                        )
                    )
                )
                .mappings()
                .one()
            )
            return events.Event(
                row["action"],
                tenant_id,
                row["customer_id"],
                row["data"],
                row["actor_id"],
                id=row["id"],
            )

    return run(client, read)


def test_accepting_makes_one_invoice_even_when_the_event_comes_again(owner, client):
    owner.enable("payments")
    ada = customer(owner)
    lines = [
        {
            "description": "Design",
            "quantity": 3,
            "unitAmount": 333,
            "discountRate": 1000,
            "taxRate": 1900,
        },
        {"description": "Tiny", "unitAmount": 3, "taxRate": 1900},
        {"description": "Book", "quantity": 2, "unitAmount": 1000, "taxRate": 700},
    ]
    order = created(owner, ada, lines)
    moved(owner, order["id"], "SENT", "ACCEPTED")
    invoices = owner.query(INVOICES, id=ada)["customer"]["payments"]["invoices"]["nodes"]
    assert len(invoices) == 1
    (invoice,) = invoices
    assert invoice["status"] == "OPEN"
    assert invoice["total"] == {"amount": order["total"]["amount"], "currency": "EUR"}
    assert [
        (n["description"], n["quantity"], n["unitPrice"]["amount"]) for n in invoice["lines"]
    ] == [
        ("Design (3 x 333, -10 %)", 1, 899),
        ("Tiny", 1, 3),
        ("Book", 2, 1000),
        ("Tax 7 %", 1, 140),
        ("Tax 19 %", 1, 171),
    ]
    assert invoice["note"] == "For Q-0001."
    node = owner.query(
        "query($id: ID!) { node(id: $id) { ... on Order { invoiceId } } }", id=order["id"]
    )
    assert node["node"]["invoiceId"] == invoice["id"]
    modules = frozenset({"orders", "payments"})
    deliver(client, accepted_event(client, owner.tenant_id), modules)
    assert len(owner.query(INVOICES, id=ada)["customer"]["payments"]["invoices"]["nodes"]) == 1
    # A first delivery of another module's request, three times at once: one invoice.
    request = {
        "source": "tests:1",
        "currency": "EUR",
        "lines": [{"description": "Elsewhere", "quantity": 1, "unitAmount": 500}],
        "issue": False,
    }
    event = events.Event("order.created", owner.tenant_id, pk_of(ada), {"invoice_request": request})
    deliver(client, event, modules)
    found = owner.query(INVOICES, id=ada)["customer"]["payments"]["invoices"]["nodes"]
    assert sorted((n["number"], n["status"]) for n in found) == [
        ("INV-000001", "OPEN"),
        ("INV-000002", "DRAFT"),
    ]
    # A malformed request is skipped: no invoice, no error.
    for bad in (
        {**request, "source": "tests:2", "currency": "euro"},
        {**request, "source": "tests:3", "lines": []},
        {
            **request,
            "source": "tests:4",
            "lines": [{"description": "x", "quantity": 1, "unitAmount": -5}],
        },
        "not an object",
    ):
        data = {"invoice_request": bad}
        deliver(client, events.Event("order.created", owner.tenant_id, pk_of(ada), data), modules)
    assert len(owner.query(INVOICES, id=ada)["customer"]["payments"]["invoices"]["nodes"]) == 2


def test_without_payments_accepting_makes_no_invoice_and_no_error(owner):
    ada = customer(owner)
    order = created(owner, ada)
    done = moved(owner, order["id"], "SENT", "ACCEPTED", "ORDERED", "FULFILLED")
    assert (done["status"], done["invoiceId"]) == ("FULFILLED", None)
    owner.enable("payments")
    assert owner.query(INVOICES, id=ada)["customer"]["payments"]["invoices"]["nodes"] == []
