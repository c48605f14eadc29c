"""The payments module through the HTTP API: invoices and their numbers, payments with
idempotency keys, refunds, balances per currency, methods, overdue invoices, events, badges,
tenancy and the statement count of a list page."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core import events
from core.models import Customer
from plugins.payments import demo
from tests.fixtures import new_tenant, run
from tests.support import Api, count_statements, gid, pk_of

INVOICE = "id number status currency total { amount currency } amountPaid { amount } "
INVOICE += "amountDue { amount } dueDate overdue lines { description quantity amount { amount } }"
PAYMENT = "id amount { amount currency } refundedAmount { amount } refundableAmount { amount } "
PAYMENT += "methodKind methodLabel receipt { number amount { amount currency } } invoice { id }"
SUMMARY = """query($id: ID!) { customer(id: $id) { payments {
  balance { amount currency } totalPaid { amount currency } totalRefunded { amount currency }
  lifetimeValue { amount currency } averageOrderValue { amount currency }
  unpaidInvoiceCount overdueInvoiceCount
} } }"""
LISTS = """query($id: ID!, $filter: InvoiceFilterInput, $first: Int, $after: String) {
  customer(id: $id) { payments {
    invoices(first: $first, after: $after, filter: $filter) {
      totalCount pageInfo { hasNextPage endCursor } nodes { number status overdue }
    }
    payments(first: 10) { totalCount nodes { receipt { number } amount { amount } } }
    methods { id label last4 kind isDefault }
  } }
}"""
TABS = "query($id: ID!) { customer(id: $id) { profileTabs { key badgeCount } } }"


def eur(amount: int, currency: str = "EUR") -> dict:
    return {"amount": amount, "currency": currency}


def customer(api: Api, name: str = "Ada") -> str:
    return api.ok("createCustomer", {"name": name}, "customer { id }")["customer"]["id"]


def codes(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def draft(api: Api, customer_id: str, *prices: tuple, **extra) -> dict:
    lines = [
        {"description": f"Item {i}", "quantity": qty, "unitPrice": eur(amount, currency)}
        for i, (qty, amount, currency) in enumerate(prices or [(1, 10_000, "EUR")])
    ]
    payload = api.ok(
        "createInvoice",
        {"customerId": customer_id, "lines": lines, **extra},
        f"invoice {{ {INVOICE} }}",
    )
    return payload["invoice"]


def issued(api: Api, customer_id: str, *prices: tuple, **extra) -> dict:
    invoice = draft(api, customer_id, *prices, **extra)
    return api.ok("issueInvoice", {"id": invoice["id"]}, f"invoice {{ {INVOICE} }}")["invoice"]


_keys = iter(range(10**9))


def pay(api: Api, customer_id: str, amount: int, currency: str = "EUR", **extra) -> dict:
    data = {
        "customerId": customer_id,
        "amount": eur(amount, currency),
        "idempotencyKey": extra.pop("idempotencyKey", f"key-{next(_keys)}"),
        **extra,
    }
    return api.mutate("recordPayment", data, f"payment {{ {PAYMENT} }}")


def summary(api: Api, customer_id: str) -> dict:
    return api.query(SUMMARY, id=customer_id)["customer"]["payments"]


def agent_of(api: Api) -> Api:
    worker = api.ok(
        "createWorker",
        {"name": "Ann Agent", "email": f"ann{api.tenant_id}@example.com", "role": "AGENT"},
        "worker { id }",
    )["worker"]
    return Api(api.client, api.tenant_id, pk_of(worker["id"]))


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("payments")
    return api


@pytest.fixture
def emitted(monkeypatch) -> list:
    """Events the module emits (the app runs in this process)."""
    seen: list = []
    emit = events.emit

    async def spy(session, event):
        seen.append(event)
        await emit(session, event)

    monkeypatch.setattr(events, "emit", spy)
    return seen


# --- the module switch --------------------------------------------------------------------


def test_disabled_module_is_named_and_disabling_keeps_the_data(api):
    ada = customer(api)
    (error,) = api.errors(SUMMARY, id=ada)
    assert error["extensions"]["code"] == "MODULE_DISABLED"
    assert error["extensions"]["module"] == "payments"
    api.enable("payments")
    invoice = issued(api, ada)
    api.ok("disableModule", {"module": "payments"}, "modules { name }")
    assert api.errors(SUMMARY, id=ada)[0]["extensions"]["code"] == "MODULE_DISABLED"
    mutation = 'mutation { voidInvoice(input: {id: "x"}) { userErrors { code } } }'
    assert api.errors(mutation)[0]["extensions"]["code"] == "MODULE_DISABLED"
    api.enable("payments")
    assert summary(api, ada)["unpaidInvoiceCount"] == 1
    node = api.query(
        "query($id: ID!) { node(id: $id) { ... on Invoice { number } } }", id=invoice["id"]
    )
    assert node["node"] == {"number": invoice["number"]}


# --- invoices -----------------------------------------------------------------------------


def test_invoice_lifecycle_totals_numbers_and_events(owner, other_api, emitted):
    ada = customer(owner)
    first = draft(owner, ada, (2, 1_250, "EUR"), (1, 500, "eur"), dueDate="2030-01-31")
    assert first["status"] == "DRAFT" and first["number"] == "INV-000001"
    assert first["total"] == eur(3_000)
    assert [line["amount"]["amount"] for line in first["lines"]] == [2_500, 500]
    assert first["amountDue"] == {"amount": 0} and first["overdue"] is False
    assert draft(owner, ada)["number"] == "INV-000002"
    other_api.enable("payments")
    assert draft(other_api, customer(other_api))["number"] == "INV-000001"

    opened = owner.ok("issueInvoice", {"id": first["id"]}, f"invoice {{ {INVOICE} }}")["invoice"]
    assert (opened["status"], opened["amountDue"], opened["dueDate"]) == (
        "OPEN",
        {"amount": 3_000},
        "2030-01-31",
    )
    again = owner.mutate("issueInvoice", {"id": first["id"]}, "invoice { id }")
    assert codes(again) == [(["input", "id"], "INVOICE_NOT_DRAFT")]

    part = pay(owner, ada, 1_000, invoiceId=first["id"])
    assert part["userErrors"] == [] and part["payment"]["invoice"] == {"id": first["id"]}
    rest = pay(owner, ada, 2_000, invoiceId=first["id"])["payment"]
    assert rest["receipt"] == {"number": "RCP-000002", "amount": eur(2_000)}
    paid = owner.query(
        "query($id: ID!) { node(id: $id) { ... on Invoice { status paidAt amountPaid { amount } "
        "amountDue { amount } payments { amount { amount } } } } }",
        id=first["id"],
    )["node"]
    assert paid["status"] == "PAID" and paid["paidAt"]
    assert paid["amountPaid"] == {"amount": 3_000} and paid["amountDue"] == {"amount": 0}
    assert [p["amount"]["amount"] for p in paid["payments"]] == [1_000, 2_000]
    names = [e.name for e in emitted if e.tenant_id == owner.tenant_id]
    assert names == ["invoice.issued", "payment.received", "payment.received", "invoice.paid"]
    received = [e for e in emitted if e.name == "payment.received"][-1]
    assert received.data["amount"] == 2_000 and received.data["invoiceId"] == first["id"]
    assert received.customer_id == pk_of(ada)


def test_invoice_input_is_checked_and_failures_write_nothing(owner):
    ada = customer(owner)
    mixed = owner.mutate(
        "createInvoice",
        {
            "customerId": ada,
            "lines": [
                {"description": "A", "unitPrice": eur(100)},
                {"description": " ", "quantity": 0, "unitPrice": eur(100, "USD")},
                {"description": "C", "unitPrice": eur(-5)},
                {"description": "D", "unitPrice": eur(0, "EURO")},
            ],
        },
        "invoice { id }",
    )
    assert mixed["invoice"] is None
    assert codes(mixed) == [
        (["input", "lines", "1", "description"], "REQUIRED"),
        (["input", "lines", "1", "quantity"], "INVALID"),
        (["input", "lines", "1", "unitPrice", "currency"], "MIXED_CURRENCY"),
        (["input", "lines", "2", "unitPrice", "amount"], "INVALID"),
        (["input", "lines", "3", "unitPrice", "currency"], "INVALID"),
        (["input", "lines", "3", "unitPrice", "amount"], "INVALID"),
    ]
    empty = owner.mutate("createInvoice", {"customerId": ada, "lines": []}, "invoice { id }")
    assert codes(empty) == [(["input", "lines"], "REQUIRED")]
    unknown = owner.mutate(
        "createInvoice", {"customerId": gid("Customer", 999_999), "lines": []}, "invoice { id }"
    )
    assert codes(unknown) == [(["input", "customerId"], "NOT_FOUND")]
    assert owner.query(LISTS, id=ada)["customer"]["payments"]["invoices"]["totalCount"] == 0
    assert draft(owner, ada)["number"] == "INV-000001"


def test_drafts_change_issued_invoices_do_not_and_void_rules(owner, emitted):
    ada = customer(owner)
    invoice = draft(owner, ada)
    changed = owner.ok(
        "updateInvoice",
        {
            "id": invoice["id"],
            "lines": [{"description": "New", "quantity": 3, "unitPrice": eur(700, "USD")}],
            "dueDate": "2031-05-01",
        },
        f"invoice {{ {INVOICE} }}",
    )["invoice"]
    assert changed["total"] == eur(2_100, "USD") and changed["currency"] == "USD"
    assert changed["lines"] == [{"description": "New", "quantity": 3, "amount": {"amount": 2_100}}]
    assert changed["dueDate"] == "2031-05-01" and changed["number"] == invoice["number"]
    owner.ok("issueInvoice", {"id": invoice["id"]})
    late = owner.mutate("updateInvoice", {"id": invoice["id"], "note": "x"}, "invoice { id }")
    assert codes(late) == [(["input", "id"], "INVOICE_NOT_DRAFT")]

    pay(owner, ada, 100, "USD", invoiceId=invoice["id"])
    refused = owner.mutate("voidInvoice", {"id": invoice["id"]}, "invoice { status }")
    assert codes(refused) == [(["input", "id"], "INVOICE_HAS_PAYMENTS")]
    voided = owner.ok(
        "voidInvoice", {"id": draft(owner, ada)["id"], "reason": "typo"}, "invoice { status }"
    )
    assert voided["invoice"]["status"] == "VOID"
    paid = issued(owner, ada, (1, 50, "EUR"))
    pay(owner, ada, 50, invoiceId=paid["id"])
    refused = owner.mutate("voidInvoice", {"id": paid["id"]}, "invoice { status }")
    assert codes(refused) == [(["input", "id"], "INVOICE_NOT_VOIDABLE")]
    assert "invoice.voided" in [e.name for e in emitted]


# --- payments, balance, totals ------------------------------------------------------------


def test_payments_are_checked_against_the_invoice_and_failures_write_nothing(owner):
    ada, bob = customer(owner), customer(owner, "Bob")
    invoice = issued(owner, ada, (1, 5_000, "EUR"))
    cases = [
        ({"amount": eur(0)}, (["input", "amount", "amount"], "INVALID")),
        ({"amount": eur(-10)}, (["input", "amount", "amount"], "INVALID")),
        ({"amount": eur(10, "eu")}, (["input", "amount", "currency"], "INVALID")),
        ({"amount": eur(5_001)}, (["input", "amount", "amount"], "OVERPAYMENT")),
        ({"amount": eur(100, "USD")}, (["input", "amount", "currency"], "CURRENCY_MISMATCH")),
        ({"idempotencyKey": "  "}, (["input", "idempotencyKey"], "REQUIRED")),
        ({"invoiceId": gid("Invoice", 999_999)}, (["input", "invoiceId"], "NOT_FOUND")),
        ({"methodId": gid("PaymentMethod", 999_999)}, (["input", "methodId"], "NOT_FOUND")),
        ({"customerId": bob}, (["input", "invoiceId"], "WRONG_CUSTOMER")),
        ({"customerId": gid("Customer", 999_999)}, (["input", "customerId"], "NOT_FOUND")),
    ]
    for change, expected in cases:
        data = {
            "customerId": ada,
            "amount": eur(1_000),
            "invoiceId": invoice["id"],
            "idempotencyKey": "same-key-each-time",
            **change,
        }
        payload = owner.mutate("recordPayment", data, "payment { id }")
        assert (payload["payment"], codes(payload)) == (None, [expected]), change
    draft_invoice = draft(owner, ada)
    payload = pay(owner, ada, 10, invoiceId=draft_invoice["id"])
    assert codes(payload) == [(["input", "invoiceId"], "INVOICE_NOT_OPEN")]
    assert summary(owner, ada)["totalPaid"] == []
    # The key of every failed attempt is still free, and receipts start at 1.
    ok = pay(owner, ada, 5_000, invoiceId=invoice["id"], idempotencyKey="same-key-each-time")
    assert ok["payment"]["receipt"]["number"] == "RCP-000001"


def test_balance_and_totals_per_currency(owner):
    ada = customer(owner)
    assert summary(owner, ada) == {
        "balance": [],
        "totalPaid": [],
        "totalRefunded": [],
        "lifetimeValue": [],
        "averageOrderValue": [],
        "unpaidInvoiceCount": 0,
        "overdueInvoiceCount": 0,
    }
    first = issued(owner, ada, (1, 10_000, "EUR"))
    issued(owner, ada, (2, 2_501, "EUR"))
    draft(owner, ada, (1, 99_999, "EUR"))
    usd = issued(owner, ada, (1, 3_000, "USD"))
    pay(owner, ada, 10_000, invoiceId=first["id"])
    pay(owner, ada, 1_000, invoiceId=usd["id"], currency="USD")
    credit = pay(owner, ada, 700, "GBP", methodKind="CASH")["payment"]
    assert credit["methodKind"] == "CASH" and credit["invoice"] is None
    owner.ok("refundPayment", {"paymentId": credit["id"], "amount": eur(200, "GBP")})
    assert summary(owner, ada) == {
        "balance": [eur(5_002), eur(-500, "GBP"), eur(2_000, "USD")],
        "totalPaid": [eur(10_000), eur(700, "GBP"), eur(1_000, "USD")],
        "totalRefunded": [eur(200, "GBP")],
        "lifetimeValue": [eur(10_000), eur(500, "GBP"), eur(1_000, "USD")],
        "averageOrderValue": [eur(7_501), eur(3_000, "USD")],
        "unpaidInvoiceCount": 2,
        "overdueInvoiceCount": 0,
    }
    tabs = owner.query(TABS, id=ada)["customer"]["profileTabs"]
    assert {"key": "payments", "badgeCount": 2} in tabs


def test_the_same_idempotency_key_records_one_payment(owner, other_api):
    ada = customer(owner)
    invoice = issued(owner, ada, (1, 4_000, "EUR"))
    args = {"invoiceId": invoice["id"], "idempotencyKey": "k-1", "note": "front desk"}
    first = pay(owner, ada, 1_500, **args)
    second = pay(owner, ada, 1_500, **args)
    assert first == second and first["userErrors"] == []
    reused = pay(owner, ada, 1_600, **args)
    assert codes(reused) == [(["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]
    reused = pay(owner, ada, 1_500, **{**args, "note": "another"})
    assert codes(reused) == [(["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]
    lists = owner.query(LISTS, id=ada)["customer"]["payments"]
    assert lists["payments"]["totalCount"] == 1
    other_api.enable("payments")
    theirs = pay(other_api, customer(other_api), 1_500, idempotencyKey="k-1")
    assert theirs["userErrors"] == [] and theirs["payment"]["id"] != first["payment"]["id"]


def test_concurrent_requests_share_numbers_and_keys_safely(owner, emitted):
    ada = customer(owner)
    invoice = issued(owner, ada, (1, 1_000, "EUR"))

    def create(_):
        return draft(owner, ada)["number"]

    def record(key):
        return pay(owner, ada, 400, invoiceId=invoice["id"], idempotencyKey=key)

    with ThreadPoolExecutor(8) as pool:
        numbers = sorted(pool.map(create, range(8)))
        # The twins race each other first: had "a" and "b" come in before them, the twin
        # would be the overpayment (a scheduling accident, seen on a loaded machine).
        twins = list(pool.map(record, ["twin"] * 6))
        later = list(pool.map(record, ["a", "b", "c"]))
    assert numbers == [f"INV-{n:06d}" for n in range(2, 10)]
    assert len({r["payment"]["id"] for r in twins}) == 1
    assert sum(r["userErrors"] == [] for r in later) == 1
    assert all(
        codes(r) == [(["input", "amount", "amount"], "OVERPAYMENT")]
        for r in later
        if r["userErrors"]
    )
    assert [e.name for e in emitted].count("payment.received") == 2
    assert summary(owner, ada)["balance"] == [eur(200)]


# --- refunds ------------------------------------------------------------------------------


def test_refunds_partial_full_and_never_more_than_paid(owner, emitted):
    ada = customer(owner)
    invoice = issued(owner, ada, (1, 3_000, "EUR"))
    payment = pay(owner, ada, 1_000, invoiceId=invoice["id"])["payment"]
    selection = (
        "refund { id amount { amount currency } reason payment { refundableAmount { amount } } }"
    )
    part = owner.ok(
        "refundPayment",
        {"paymentId": payment["id"], "amount": eur(300), "reason": "late"},
        selection,
    )["refund"]
    assert part["amount"] == eur(300) and part["payment"]["refundableAmount"] == {"amount": 700}
    too_much = owner.mutate(
        "refundPayment", {"paymentId": payment["id"], "amount": eur(701)}, selection
    )
    assert codes(too_much) == [(["input", "amount", "amount"], "REFUND_EXCEEDS_PAYMENT")]
    wrong = owner.mutate("refundPayment", {"paymentId": payment["id"], "amount": eur(1, "USD")})
    assert codes(wrong) == [(["input", "amount", "currency"], "CURRENCY_MISMATCH")]
    rest = owner.ok("refundPayment", {"paymentId": payment["id"]}, selection)["refund"]
    assert rest["amount"] == eur(700)
    nothing = owner.mutate("refundPayment", {"paymentId": payment["id"]})
    assert codes(nothing) == [(["input", "paymentId"], "REFUND_EXCEEDS_PAYMENT")]
    state = owner.query(
        "query($id: ID!) { node(id: $id) { ... on Payment { refundedAmount { amount } "
        "refunds { amount { amount } reason } invoice { amountPaid { amount } status } } } }",
        id=payment["id"],
    )["node"]
    assert state["refundedAmount"] == {"amount": 1_000}
    assert state["refunds"] == [
        {"amount": {"amount": 300}, "reason": "late"},
        {"amount": {"amount": 700}, "reason": None},
    ]
    assert state["invoice"] == {"amountPaid": {"amount": 0}, "status": "OPEN"}
    assert [e.name for e in emitted].count("payment.refunded") == 2
    node = owner.query(
        "query($id: ID!) { node(id: $id) { ... on PaymentRefund { amount { amount } } } }",
        id=part["id"],
    )
    assert node["node"] == {"amount": {"amount": 300}}


def test_agents_view_but_neither_manage_nor_refund(owner):
    agent = agent_of(owner)
    ada = customer(agent)
    invoice = issued(owner, ada)
    payment = pay(owner, ada, 100, invoiceId=invoice["id"])["payment"]
    hidden = customer(owner, "Not assigned to the agent")
    assert agent.query(SUMMARY, id=hidden) == {"customer": None}
    assert summary(agent, ada)["unpaidInvoiceCount"] == 1
    mutations = [
        ("recordPayment", {"customerId": ada, "amount": eur(1), "idempotencyKey": "a"}),
        ("refundPayment", {"paymentId": payment["id"]}),
        ("createInvoice", {"customerId": ada, "lines": []}),
        ("voidInvoice", {"id": invoice["id"]}),
        ("addPaymentMethod", {"customerId": ada, "kind": "CASH", "label": "Cash"}),
        ("checkOverdueInvoices", {}),
    ]
    for name, data in mutations:
        query = (
            f"mutation($input: {name[0].upper()}{name[1:]}Input!) "
            f"{{ {name}(input: $input) {{ userErrors {{ code }} }} }}"
        )
        (error,) = agent.errors(query, input=data)
        assert error["extensions"]["code"] == "FORBIDDEN", name
    assert summary(owner, ada)["totalRefunded"] == []


# --- payment methods ----------------------------------------------------------------------


def test_payment_methods_keep_one_default(owner):
    ada = customer(owner)
    selection = "paymentMethod { id isDefault label last4 kind }"

    def add(label, **extra):
        data = {"customerId": ada, "kind": "CARD", "label": label, "last4": "4242", **extra}
        return owner.ok("addPaymentMethod", data, selection)["paymentMethod"]

    visa = add("Visa")
    assert visa["isDefault"] is True
    master = add("Mastercard")
    assert master["isDefault"] is False
    bank = add("Bank", kind="BANK_TRANSFER", last4=None, makeDefault=True)

    def methods():
        return [
            (m["label"], m["isDefault"])
            for m in owner.query(LISTS, id=ada)["customer"]["payments"]["methods"]
        ]

    assert methods() == [("Bank", True), ("Visa", False), ("Mastercard", False)]
    owner.ok("setDefaultPaymentMethod", {"id": master["id"]})
    assert methods()[0] == ("Mastercard", True)
    paid = pay(owner, ada, 100, methodId=master["id"])["payment"]
    assert (paid["methodKind"], paid["methodLabel"]) == ("CARD", "Mastercard ····4242")
    removed = owner.ok("removePaymentMethod", {"id": master["id"]}, "deletedId")
    assert removed["deletedId"] == master["id"]
    assert methods() == [("Visa", True), ("Bank", False)]
    kept = owner.query(
        "query($id: ID!) { node(id: $id) { ... on Payment { methodLabel method { id } } } }",
        id=paid["id"],
    )["node"]
    assert kept == {"methodLabel": "Mastercard ····4242", "method": None}
    bad = owner.mutate(
        "addPaymentMethod",
        {"customerId": ada, "kind": "CARD", "label": " ", "last4": "42a2"},
        "paymentMethod { id }",
    )
    assert codes(bad) == [(["input", "label"], "REQUIRED"), (["input", "last4"], "INVALID")]
    both = pay(owner, ada, 1, methodId=bank["id"], methodKind="CASH")
    assert codes(both) == [(["input", "methodKind"], "INVALID")]
    node = owner.query(
        "query($id: ID!) { node(id: $id) { ... on PaymentMethod { label } } }", id=bank["id"]
    )
    assert node["node"] == {"label": "Bank"}


# --- overdue ------------------------------------------------------------------------------


def test_overdue_is_computed_on_read_and_announced_once(owner, emitted):
    ada = customer(owner)
    owner.ok("updateTenantSettings", {"timeZone": "Pacific/Kiritimati"}, "tenant { id }")
    local_today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    late = issued(owner, ada, dueDate=(local_today - timedelta(days=1)).isoformat())
    on_time = issued(owner, ada, dueDate=local_today.isoformat())
    draft(owner, ada, dueDate="2000-01-01")
    assert late["overdue"] is True and on_time["overdue"] is False
    assert summary(owner, ada)["overdueInvoiceCount"] == 1
    overdue = owner.query(LISTS, id=ada, filter={"overdue": True})["customer"]["payments"]
    assert [i["number"] for i in overdue["invoices"]["nodes"]] == [late["number"]]
    others = owner.query(LISTS, id=ada, filter={"overdue": False})["customer"]["payments"]
    assert len(others["invoices"]["nodes"]) == 2

    selection = "invoices { number overdue } hasMore"
    first = owner.ok("checkOverdueInvoices", {}, selection)
    assert first["invoices"] == [{"number": late["number"], "overdue": True}]
    assert first["hasMore"] is False
    assert owner.ok("checkOverdueInvoices", {"customerId": ada}, selection)["invoices"] == []
    announced = [e for e in emitted if e.name == "invoice.overdue"]
    assert len(announced) == 1 and announced[0].data["invoiceId"] == late["id"]
    assert announced[0].data["amountDue"] == 10_000

    owner.ok("updateTenantSettings", {"timeZone": "Pacific/Pago_Pago"}, "tenant { id }")
    pago_today = datetime.now(ZoneInfo("Pacific/Pago_Pago")).date()
    again = owner.query(
        "query($id: ID!) { node(id: $id) { ... on Invoice { overdue } } }", id=late["id"]
    )
    assert again["node"]["overdue"] is (local_today - timedelta(days=1) < pago_today)


def test_invoice_lists_page_and_filter(owner, other_api):
    ada, bob = customer(owner), customer(owner, "Bob")
    made = [issued(owner, ada)["number"] for _ in range(3)] + [draft(owner, ada)["number"]]
    issued(owner, bob)
    page = owner.query(LISTS, id=ada, first=2)["customer"]["payments"]["invoices"]
    assert [i["number"] for i in page["nodes"]] == made[::-1][:2]
    assert page["totalCount"] == 4 and page["pageInfo"]["hasNextPage"] is True
    rest = owner.query(LISTS, id=ada, first=2, after=page["pageInfo"]["endCursor"])
    rest = rest["customer"]["payments"]["invoices"]
    assert [i["number"] for i in rest["nodes"]] == made[::-1][2:]
    assert rest["pageInfo"]["hasNextPage"] is False
    drafts = owner.query(LISTS, id=ada, filter={"status": ["DRAFT"]})["customer"]["payments"]
    assert drafts["invoices"]["totalCount"] == 1
    (error,) = owner.errors(LISTS, id=ada, first=101)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"

    root = """query($filter: InvoiceFilterInput, $customerId: ID) {
      invoices(first: 10, filter: $filter, customerId: $customerId) {
        totalCount nodes { number customer { name } } } }"""
    everyone = owner.query(root, filter={"status": ["OPEN"]})["invoices"]
    assert everyone["totalCount"] == 4
    assert {n["customer"]["name"] for n in everyone["nodes"]} == {"Ada", "Bob"}
    assert owner.query(root, customerId=bob)["invoices"]["totalCount"] == 1
    other_api.enable("payments")
    assert other_api.query(root)["invoices"]["totalCount"] == 0


# --- tenancy, nodes, a customer's life ----------------------------------------------------


def test_another_tenants_ids_behave_like_unknown_ones(owner, other_api):
    other_api.enable("payments")
    theirs = customer(other_api, "Not yours")
    invoice = issued(other_api, theirs)
    payment = pay(other_api, theirs, 100, invoiceId=invoice["id"])["payment"]
    method = other_api.ok(
        "addPaymentMethod",
        {"customerId": theirs, "kind": "CASH", "label": "Till"},
        "paymentMethod { id }",
    )["paymentMethod"]
    ada = customer(owner)
    not_found = [
        ("issueInvoice", {"id": invoice["id"]}, ["input", "id"]),
        ("voidInvoice", {"id": invoice["id"]}, ["input", "id"]),
        ("updateInvoice", {"id": invoice["id"], "note": "x"}, ["input", "id"]),
        ("refundPayment", {"paymentId": payment["id"]}, ["input", "paymentId"]),
        ("setDefaultPaymentMethod", {"id": method["id"]}, ["input", "id"]),
        ("removePaymentMethod", {"id": method["id"]}, ["input", "id"]),
        ("checkOverdueInvoices", {"customerId": theirs}, ["input", "customerId"]),
        (
            "recordPayment",
            {
                "customerId": ada,
                "amount": eur(1),
                "idempotencyKey": "x",
                "invoiceId": invoice["id"],
            },
            ["input", "invoiceId"],
        ),
        (
            "recordPayment",
            {"customerId": ada, "amount": eur(1), "idempotencyKey": "y", "methodId": method["id"]},
            ["input", "methodId"],
        ),
    ]
    for name, data, field in not_found:
        payload = owner.mutate(name, data)
        assert codes(payload) == [(field, "NOT_FOUND")], name
    for global_id in (invoice["id"], payment["id"], method["id"], "bogus"):
        node = owner.query("query($id: ID!) { node(id: $id) { id } }", id=global_id)
        assert node == {"node": None}
    assert summary(other_api, theirs)["totalRefunded"] == []


def test_merging_moves_everything_and_export_shows_it(owner):
    source, target = customer(owner, "Ada L."), customer(owner, "Ada Lovelace")
    for who in (source, target):
        owner.ok("addPaymentMethod", {"customerId": who, "kind": "CASH", "label": who[:6]})
        invoice = issued(owner, who, (1, 1_000, "EUR"))
        payment = pay(owner, who, 400, invoiceId=invoice["id"])["payment"]
        owner.ok("refundPayment", {"paymentId": payment["id"], "amount": eur(100)})
    owner.ok("mergeCustomers", {"sourceId": source, "targetId": target})
    after = summary(owner, target)
    assert after["balance"] == [eur(1_400)] and after["unpaidInvoiceCount"] == 2
    methods = owner.query(LISTS, id=target)["customer"]["payments"]["methods"]
    assert [m["isDefault"] for m in methods] == [True, False]
    data = owner.query("query($id: ID!) { customerExport(id: $id) }", id=target)["customerExport"]
    exported = data["modules"]["payments"]
    assert len(exported["invoices"]) == 2 and len(exported["invoices"][0]["lines"]) == 1
    assert [len(p["refunds"]) for p in exported["payments"]] == [1, 1]
    assert len(exported["methods"]) == 2


def batch(api: Api, name: str, inputs: list[dict], selection: str) -> list[dict]:
    """Many runs of one mutation in one request (aliases), each its own transaction."""
    kind = f"{name[0].upper()}{name[1:]}Input!"
    results = []
    for start in range(0, len(inputs), 25):
        chunk = inputs[start : start + 25]
        params = ", ".join(f"$i{n}: {kind}" for n in range(len(chunk)))
        fields = " ".join(
            f"m{n}: {name}(input: $i{n}) {{ {selection} userErrors {{ code }} }}"
            for n in range(len(chunk))
        )
        data = api.query(
            f"mutation({params}) {{ {fields} }}", **{f"i{n}": i for n, i in enumerate(chunk)}
        )
        for n in range(len(chunk)):
            assert data[f"m{n}"]["userErrors"] == [], data[f"m{n}"]
            results.append(data[f"m{n}"])
    return results


def test_list_page_statements_do_not_grow_with_the_page(owner, engine):
    names = [{"name": f"C{i:02d}"} for i in range(50)]
    ids = [r["customer"]["id"] for r in batch(owner, "createCustomer", names, "customer { id }")]
    lines = [{"description": "Visit", "unitPrice": eur(1_000)}]
    drafts = [{"customerId": i, "lines": lines} for i in ids]
    invoices = [r["invoice"]["id"] for r in batch(owner, "createInvoice", drafts, "invoice { id }")]
    batch(owner, "issueInvoice", [{"id": i} for i in invoices], "invoice { id }")
    payments = [
        {"customerId": c, "invoiceId": i, "amount": eur(500), "idempotencyKey": f"n1-{i}"}
        for c, i in zip(ids, invoices, strict=True)
    ]
    batch(owner, "recordPayment", payments, "payment { id }")
    query = """query($n: Int) { customers(first: $n) { nodes { name
      profileTabs { key badgeCount }
      payments {
        balance { amount currency } totalPaid { amount } lifetimeValue { amount }
        averageOrderValue { amount } unpaidInvoiceCount overdueInvoiceCount
        invoices(first: 5) { totalCount nodes { number status overdue total { amount }
          lines { quantity } } }
        payments(first: 5) { nodes { receipt { number } invoice { number } refunds { id } } }
        methods { label }
      } } } }"""
    owner.query(query, n=1)
    with count_statements(engine) as small:
        small_page = owner.query(query, n=5)
    with count_statements(engine) as large:
        large_page = owner.query(query, n=50)
    assert len(large_page["customers"]["nodes"]) == 50
    assert all(
        c["payments"]["invoices"]["totalCount"] == 1 for c in large_page["customers"]["nodes"]
    )
    assert small_page["customers"]["nodes"][0]["payments"]["unpaidInvoiceCount"] == 1
    assert small.count == large.count, (small.count, large.count)


def test_demo_data_is_deterministic_and_consistent(client):
    async def seed(api):
        async with client.app.state.db.transaction() as session:
            ids = await session.scalars(
                select(Customer.id).where(Customer.tenant_id == api.tenant_id).order_by(Customer.id)
            )
            await demo.seed(session, api.tenant_id, list(ids), 7)

    def shape(api):
        page = api.query(
            "{ customers(first: 20) { nodes { payments { balance { amount currency } "
            "unpaidInvoiceCount invoices(first: 5) { nodes { number status amountDue { amount } "
            "} } } } } }"
        )
        return [c["payments"] for c in page["customers"]["nodes"]]

    tenants = [new_tenant(client), new_tenant(client)]
    for api in tenants:
        api.enable("payments")
        batch(api, "createCustomer", [{"name": f"D{i:02d}"} for i in range(20)], "")
        run(client, seed, api)
    assert shape(tenants[0]) == shape(tenants[1])
    assert any(p["invoices"]["nodes"] for p in shape(tenants[0]))
    assert draft(tenants[0], customer(tenants[0]))["number"] != "INV-000001"
