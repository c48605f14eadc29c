"""`deals { openCount }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases, and
the usual path for a worker without `deals.view` or a sub-field it does not cover (the money
lists, `all`)."""

from plugins.deals.tests.test_deals import created, moved
from tests.support import create_customer as customer
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = [
    "openCount",
    "__typename n: openCount again: openCount",
    "openCount openValue { amount currency }",
    "wonValue { currency amount }",
    "openCount weightedValue { amount }",
    "v: openValue { __typename c: currency a: amount } wonValue { amount } "
    "weightedValue { currency }",
]
NOT_COMPILED = [
    "openCount all(first: 2) { totalCount }",
]


def test_the_open_count_compiles_and_answers_as_the_resolvers_do(api, paths):  # noqa: F811
    api.enable("deals")
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    created(api, ada, amount=1_000)
    created(api, ada, amount=2_000, currency="USD")
    moved(api, created(api, ada), "Won")
    moved(api, created(api, ada), "Lost", "No budget")
    created(api, bob)
    moved(api, created(api, bob), "Won")
    expected = {ada: {"openCount": 2}, bob: {"openCount": 1}, cyd: {"openCount": 0}}
    assert_module_compiles(paths, api, "deals", "deals.view", expected, COMPILED, NOT_COMPILED)
