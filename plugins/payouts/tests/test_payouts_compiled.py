"""`payouts { pendingCount }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases, and
the usual path for a worker without `payouts.view` or a sub-field it does not cover."""

from plugins.payouts.tests.test_payouts import created, moved
from tests.support import as_worker
from tests.support import create_customer as customer
from tests.support import create_worker as worker
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = [
    "pendingCount",
    "__typename n: pendingCount again: pendingCount",
    "pendingCount totalSent { amount }",
    "totalSent { c: currency amount __typename }",
]
NOT_COMPILED = ["all(first: 2) { totalCount }"]


def test_the_pending_count_compiles_and_answers_as_the_resolver_does(api, paths):  # noqa: F811
    api.enable("payouts")
    admin = as_worker(api, worker(api, "Second Admin", "ADMIN"))
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    created(api, ada)
    approved = created(api, ada)["id"]
    moved(admin, "approvePayout", approved)
    sent = created(api, ada)["id"]
    moved(admin, "approvePayout", sent)
    moved(api, "markPayoutSent", sent)
    cancelled = created(api, bob)["id"]
    moved(api, "cancelPayout", cancelled)
    created(api, bob, currency="GBP")
    expected = {ada: {"pendingCount": 2}, bob: {"pendingCount": 1}, cyd: {"pendingCount": 0}}
    assert_module_compiles(paths, api, "payouts", "payouts.view", expected, COMPILED, NOT_COMPILED)
