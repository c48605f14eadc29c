"""`purchases { orderCount totalSpentAmount … categoryName }` on the customer list through
the compiled path (`hub_compiled_customer_fields`): the same answers as the resolvers, on
both databases, and the usual path for a worker without `purchases.view` or a sub-field it
does not cover."""

from plugins.purchases.tests.test_purchases import order, pay
from tests.support import create_customer as customer
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

ALL = "orderCount purchaseCount totalSpentAmount lifetimeValueAmount reportingCurrency "
ALL += "categoryName"
COMPILED = [ALL, "categoryName", "__typename spent: totalSpentAmount n: orderCount"]
COMPILED += [
    "totalSpent { amount currency } lifetimeValue { __typename c: currency a: amount }",
    "orderCount lastPurchaseAt firstPurchaseAt",
]
NOT_COMPILED = ["category { name }", "averageOrderValue { amount }", "purchaseFrequencyDays"]


def test_the_figures_compile_and_answer_as_the_resolvers_do(api, paths):  # noqa: F811
    api.enable("payments", "orders", "purchases")
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    pay(api, ada, 150_000, "a")
    order(api, ada, [{"description": "Widget", "unitAmount": 700}], "SENT", "ACCEPTED", "ORDERED")
    pay(api, bob, 100, "b")
    expected = {
        ada: {
            "orderCount": 1,
            "purchaseCount": 2,
            "totalSpentAmount": 150_000,
            "lifetimeValueAmount": 150_000,
            "reportingCurrency": "EUR",
            "categoryName": "VIP",
        },
        bob: {
            "orderCount": 0,
            "purchaseCount": 1,
            "totalSpentAmount": 100,
            "lifetimeValueAmount": 100,
            "reportingCurrency": "EUR",
            "categoryName": "New",
        },
        cyd: {
            "orderCount": 0,
            "purchaseCount": 0,
            "totalSpentAmount": 0,
            "lifetimeValueAmount": 0,
            "reportingCurrency": None,
            "categoryName": None,
        },
    }
    assert_module_compiles(
        paths, api, "purchases", "purchases.view", expected, COMPILED, NOT_COMPILED
    )
