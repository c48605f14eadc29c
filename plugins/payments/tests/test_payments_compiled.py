"""`payments` through the compiled path (`hub_compiled_customer_fields`): the counts, the sums
per currency, `invoices`, `payments` and `methods` (`schema.compiled.module_lists`), the
same answers as the resolvers on both databases, what is overdue by the tenant's day in its
time zone; the usual path for a worker without `payments.view` or a sub-field it does not
cover (`averageOrderValue`, a list's filter)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from plugins.payments.tests.test_payments import customer, draft, issued, pay
from tests.compiled_lists import assert_lists_compile
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = [
    "unpaidInvoiceCount",
    "__typename unpaid: unpaidInvoiceCount again: unpaidInvoiceCount",
    "unpaidInvoiceCount overdueInvoiceCount",
    "unpaidInvoiceCount balance { amount currency }",
    "unpaidInvoiceCount invoices(first: 2) { totalCount }",
]
NOT_COMPILED = [
    "unpaidInvoiceCount averageOrderValue { amount }",
    "invoices(first: 2, filter: {overdue: true}) { totalCount }",
    "invoices(first: 2) { nodes { lines { description } } }",
]


def test_the_unpaid_count_compiles_and_answers_as_the_resolver_does(api, paths):  # noqa: F811
    api.enable("payments")
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    issued(api, ada, (2, 1_250, "EUR"))
    issued(api, ada, (1, 500, "EUR"), dueDate="2020-01-31")  # overdue
    partly = issued(api, ada, (1, 900, "USD"))
    pay(api, ada, 100, "USD", invoiceId=partly["id"])
    paid = issued(api, ada, (1, 50, "EUR"))
    pay(api, ada, 50, invoiceId=paid["id"])
    draft(api, ada)
    api.ok("voidInvoice", {"id": issued(api, ada)["id"]})
    settled = issued(api, bob, (1, 300, "EUR"))
    pay(api, bob, 300, invoiceId=settled["id"])
    pay(api, bob, 75)  # credit, on no invoice
    expected = {
        ada: {"unpaidInvoiceCount": 3},
        bob: {"unpaidInvoiceCount": 0},
        cyd: {"unpaidInvoiceCount": 0},
    }
    assert_module_compiles(
        paths, api, "payments", "payments.view", expected, COMPILED, NOT_COMPILED
    )


MONEY = "{ amount currency }"
PROFILE = f"""balance {MONEY} totalPaid {MONEY} lifetimeValue {MONEY}
  unpaidInvoiceCount overdueInvoiceCount
  invoices(first: 10) {{ nodes {{ id number status total {MONEY} amountDue {MONEY}
    dueDate overdue }} }}
  payments(first: 10) {{ nodes {{ id amount {MONEY} methodKind receivedAt }} }}
  methods {{ id kind label isDefault }}"""
PAGED = f"""totalRefunded {MONEY}
  invoices(first: 3) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor
    endCursor }} edges {{ cursor node {{ __typename currency amountPaid {MONEY} note issuedAt
    paidAt voidedAt createdAt }} }} }}
  payments(first: 2) {{ totalCount totalCountIsExact pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ refundedAmount {MONEY} refundableAmount {MONEY} methodLabel note
      createdAt receipt {{ number amount {MONEY} issuedAt }} }} }} }}
  methods {{ __typename last4 createdAt }}"""


def test_the_tab_compiles_as_the_resolvers_answer(api, paths):  # noqa: F811
    api.enable("payments")
    api.ok("updateTenantSettings", {"timeZone": "Pacific/Kiritimati"}, "tenant { id }")
    local = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    for n in range(12):  # more than a page; due before and after the tenant's today
        due = (local + timedelta(days=n - 6)).isoformat()
        made = issued(api, ada, (1 + n % 3, 700 + n, "EUR" if n % 2 else "USD"), dueDate=due)
        if n % 4 == 0:
            pay(api, ada, 300, "EUR" if n % 2 else "USD", invoiceId=made["id"])
    draft(api, ada, dueDate="2000-01-01")
    for n in range(11):
        pay(api, bob, 100 + n, methodKind="CASH" if n % 2 else "CARD")
    refunded = pay(api, bob, 999)["payment"]["id"]
    api.ok("refundPayment", {"paymentId": refunded, "amount": {"amount": 99, "currency": "EUR"}})
    for label, kind in (("Visa", "CARD"), ("Bank", "BANK_TRANSFER")):
        data = {"customerId": ada, "kind": kind, "label": label, "last4": "4242"}
        api.ok("addPaymentMethod", data, "paymentMethod { id }")
    found = assert_lists_compile(paths, api, "payments", [ada, bob, cyd], [PROFILE, PAGED])

    rows = {n["id"]: n["payments"] for n in found[PROFILE]}
    assert rows[ada]["overdueInvoiceCount"] > 0 and len(rows[ada]["invoices"]["nodes"]) == 10
    assert {i["overdue"] for i in rows[ada]["invoices"]["nodes"]} == {True, False}
    assert [m["label"] for m in rows[ada]["methods"]] == ["Visa", "Bank"]
    assert len(rows[bob]["balance"]) == 1 and rows[cyd]["balance"] == []
