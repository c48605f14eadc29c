"""`orders { openCount }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases, and
the usual path for a worker without `orders.view` or a sub-field it does not cover."""

from plugins.orders.tests.test_orders import created, moved
from tests.support import create_customer as customer
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = [
    "openCount",
    "__typename n: openCount again: openCount",
]
NOT_COMPILED = [
    "openCount all(first: 2) { totalCount }",
    "all { nodes { reference } }",
]


def test_the_open_count_compiles_and_answers_as_the_resolver_does(api, paths):  # noqa: F811
    api.enable("orders")
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    created(api, ada)  # DRAFT: open
    moved(api, created(api, ada, kind="PROPOSAL")["id"], "SENT", "ACCEPTED", "ORDERED")
    moved(api, created(api, ada)["id"], "CANCELLED")
    moved(api, created(api, bob)["id"], "SENT", "REJECTED")
    moved(api, created(api, cyd, kind="PURCHASE_ORDER")["id"], "SENT")
    expected = {ada: {"openCount": 2}, bob: {"openCount": 0}, cyd: {"openCount": 1}}
    assert_module_compiles(paths, api, "orders", "orders.view", expected, COMPILED, NOT_COMPILED)
