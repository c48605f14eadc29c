"""`loyalty { balance lifetimePoints }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases, and
the usual path for a worker without `loyalty.view` or a sub-field it does not cover."""

from plugins.loyalty.tests.test_loyalty import adjust, customer, redeem, reward
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = [
    "balance lifetimePoints",
    "__typename points: balance again: balance lifetimePoints",
]
NOT_COMPILED = [
    "balance tier { name }",
    "balance entries(first: 2) { totalCount }",
]


def test_the_balance_compiles_and_answers_as_the_resolver_does(api, paths):  # noqa: F811
    api.enable("loyalty")
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    adjust(api, ada, 300)
    redeem(api, ada, reward(api, cost=120))
    adjust(api, bob, 40)
    expected = {
        ada: {"balance": 180, "lifetimePoints": 300},
        bob: {"balance": 40, "lifetimePoints": 40},
        cyd: {"balance": 0, "lifetimePoints": 0},
    }
    assert_module_compiles(paths, api, "loyalty", "loyalty.view", expected, COMPILED, NOT_COMPILED)
