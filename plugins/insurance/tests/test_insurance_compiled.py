"""`insurance { activePolicyCount openClaimCount }` on the customer list through the compiled
path (`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases,
and the usual path for a worker without `insurance.view` or a sub-field it does not cover."""

from plugins.insurance.tests.test_insurance import customer, day, move, policy, provider, submit
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = [
    "activePolicyCount openClaimCount",
    "openClaimCount",
    "activePolicyCount",
    "__typename claims: openClaimCount active: activePolicyCount again: openClaimCount",
]
NOT_COMPILED = [
    "openClaimCount policies(first: 2) { totalCount }",
    "activePolicyCount claims { totalCount }",
]


def test_the_counts_compile_and_answer_as_the_resolvers_do(api, paths):  # noqa: F811
    api.enable("insurance")
    northwind = provider(api)
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    policy(api, ada, northwind, number="A-1")
    cancelled = policy(api, ada, northwind, number="A-2")
    api.ok("cancelInsurancePolicy", {"id": cancelled["id"]})
    policy(api, ada, northwind, number="A-OLD", startDate=day(-400), endDate=day(-35))
    claimed = policy(api, ada, northwind, number="A-3")
    submit(api, ada, claimed["id"])
    in_review = submit(api, ada, claimed["id"])["claim"]["id"]
    move(api, in_review, "IN_REVIEW")
    rejected = submit(api, ada, claimed["id"])["claim"]["id"]
    move(api, rejected, "IN_REVIEW")
    move(api, rejected, "REJECTED")
    policy(api, bob, northwind, number="B-1")
    closed = submit(api, bob, policy(api, bob, northwind, number="B-2")["id"])["claim"]["id"]
    move(api, closed, "IN_REVIEW")
    move(api, closed, "REJECTED")
    expected = {
        ada: {"activePolicyCount": 2, "openClaimCount": 2},
        bob: {"activePolicyCount": 2, "openClaimCount": 0},
        cyd: {"activePolicyCount": 0, "openClaimCount": 0},
    }
    assert_module_compiles(
        paths, api, "insurance", "insurance.view", expected, COMPILED, NOT_COMPILED
    )
