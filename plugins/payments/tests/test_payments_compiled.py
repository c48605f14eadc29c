"""`payments { unpaidInvoiceCount }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases, and
the usual path for a worker without `payments.view` or a sub-field it does not cover (such as
`overdueInvoiceCount`, which depends on the tenant's day)."""

from plugins.payments.tests.test_payments import customer, draft, issued, pay
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = [
    "unpaidInvoiceCount",
    "__typename unpaid: unpaidInvoiceCount again: unpaidInvoiceCount",
]
NOT_COMPILED = [
    "unpaidInvoiceCount overdueInvoiceCount",
    "unpaidInvoiceCount balance { amount currency }",
    "unpaidInvoiceCount invoices(first: 2) { totalCount }",
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
