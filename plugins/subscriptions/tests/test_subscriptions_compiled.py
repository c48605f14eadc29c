"""`subscriptions { activeCount }` on the customer list through the compiled path
(`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases, and
the usual path for a worker without `subscriptions.view` or a sub-field it does not cover."""

from plugins.subscriptions.tests.support import plan, subscribe
from plugins.subscriptions.tests.test_recurring import owner  # noqa: F401 (fixture)
from tests.support import create_customer as customer
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = [
    "activeCount",
    "__typename n: activeCount again: activeCount",
]
NOT_COMPILED = [
    "activeCount all(first: 2) { totalCount }",
    "all { nodes { status } }",
]


def moved(api, name: str, sub_id: str) -> None:
    api.ok(name, {"id": sub_id}, "subscription { status }")


def test_the_active_count_compiles_and_answers_as_the_resolver_does(owner, paths):  # noqa: F811
    ada, bob, cyd = (customer(owner, name) for name in ("Ada", "Bob", "Cyd"))
    monthly, trial = plan(owner), plan(owner, "Trial", trialDays=7)
    subscribe(owner, ada, monthly)  # ACTIVE
    subscribe(owner, ada, trial)  # TRIALING
    moved(owner, "cancelCustomerSubscription", subscribe(owner, ada, monthly)["id"])
    moved(owner, "pauseCustomerSubscription", subscribe(owner, bob, monthly)["id"])
    subscribe(owner, cyd, monthly)
    expected = {ada: {"activeCount": 2}, bob: {"activeCount": 0}, cyd: {"activeCount": 1}}
    assert_module_compiles(
        paths, owner, "subscriptions", "subscriptions.view", expected, COMPILED, NOT_COMPILED
    )
