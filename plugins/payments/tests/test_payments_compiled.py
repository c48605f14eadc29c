"""`payments { unpaidInvoiceCount }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases, and
the usual path for a worker without `payments.view` or a sub-field it does not cover (such as
`overdueInvoiceCount`, which depends on the tenant's day)."""

from plugins.payments.tests.test_payments import customer, draft, issued, pay
from tests.support import create_worker, pk_of, token_for
from tests.test_compiled import both, paths  # noqa: F401 (fixtures)

COUNTS = "query { customers(first: 20) { nodes { id payments { %s } } } }"
COMPILED = [
    "unpaidInvoiceCount",
    "__typename unpaid: unpaidInvoiceCount again: unpaidInvoiceCount",
]
NOT_COMPILED = [
    "unpaidInvoiceCount overdueInvoiceCount",
    "unpaidInvoiceCount balance { amount currency }",
    "unpaidInvoiceCount invoices(first: 2) { totalCount }",
]


def workers(api, permission: str, assigned: list[str]) -> tuple[str, str]:
    """Tokens of an agent assigned to `assigned` (they see only those) and of an admin (who
    sees every customer) without `permission`."""
    agent = create_worker(api, "Assigned Agent", "AGENT")
    for customer_id in assigned:
        api.ok("assignWorkers", {"customerId": customer_id, "workerIds": [agent]})
    admin = create_worker(api, "Refused Admin", "ADMIN")
    change = {"workerId": admin, "permission": permission, "granted": False}
    api.ok("setWorkerPermission", change, "table { permissions }")
    return token_for(api.tenant_id, pk_of(agent)), token_for(api.tenant_id, pk_of(admin))


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
    agent, refused = workers(api, "payments.view", [ada, cyd])

    path, body = both(paths, api.token, COUNTS % COMPILED[0])
    assert path == "compiled", body
    found = {n["id"]: n["payments"] for n in body["data"]["customers"]["nodes"]}
    assert found == {
        ada: {"unpaidInvoiceCount": 3},
        bob: {"unpaidInvoiceCount": 0},
        cyd: {"unpaidInvoiceCount": 0},
    }
    for fields in COMPILED[1:]:
        path, body = both(paths, api.token, COUNTS % fields)
        assert path == "compiled", (fields, body)
    for fields in NOT_COMPILED:
        path, _ = both(paths, api.token, COUNTS % fields)
        assert path == "fallback", fields

    path, body = both(paths, agent, COUNTS % COMPILED[0])
    assert path == "compiled", body
    assert [n["id"] for n in body["data"]["customers"]["nodes"]] == [cyd, ada]
    path, body = both(paths, refused, COUNTS % COMPILED[0])
    assert path == "fallback"
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
