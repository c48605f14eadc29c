"""`loyalty { balance lifetimePoints tier }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases, and
the usual path for a worker without `loyalty.view` or a sub-field it does not cover."""

from plugins.loyalty.tests.test_loyalty import adjust, customer, redeem, reward
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = [
    "balance lifetimePoints",
    "__typename points: balance again: balance lifetimePoints",
    "balance tier { name }",
    "t: tier { __typename id threshold n: name benefits } lifetimePoints",
]
NOT_COMPILED = [
    "balance entries(first: 2) { totalCount }",
    "nextTier { pointsNeeded }",
]


def test_the_balance_compiles_and_answers_as_the_resolver_does(api, paths):  # noqa: F811
    api.enable("loyalty")
    for name, threshold in (("Bronze", 0), ("Silver", 100), ("Gold", 250)):
        tier = {"name": name, "threshold": threshold, "benefits": f"{name} perks"}
        api.ok("createLoyaltyTier", tier, "tier { id }")
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
