"""`insurance { activePolicyCount openClaimCount }` on the customer list through the compiled
path (`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases,
and the usual path for a worker without `insurance.view` or a sub-field it does not cover;
`policies(first:, after:)` with their status by the day, money, dates and provider."""

from plugins.insurance.tests.test_insurance import customer, day, move, policy, provider, submit
from tests.compiled_lists import assert_lists_compile
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = [
    "activePolicyCount openClaimCount",
    "openClaimCount",
    "activePolicyCount",
    "__typename claims: openClaimCount active: activePolicyCount again: openClaimCount",
]
NOT_COMPILED = [
    "openClaimCount policies(first: 2, filter: {statuses: [ACTIVE]}) { totalCount }",
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


PROFILE = """activePolicyCount openClaimCount policies(first: 10) { nodes { id number
  coverageDescription status premium { amount currency } startDate endDate
  provider { id name } } }"""
PAGED = """policies(first: 2) { totalCount totalCountIsExact
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { __typename id coverageLimit { currency amount } premiumPeriod
    cancelledAt createdAt updatedAt provider { __typename id phone email createdAt } } } }"""


def test_the_policies_compile_as_the_resolvers_answer(api, paths):  # noqa: F811
    api.enable("insurance")
    northwind = provider(api)
    acme = provider(api, "Acme", phone="+44 20 7946 0000", email="claims@acme.example")
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    for n in range(12):  # more than a page: active, expired, cancelled
        ends = day(-1 if n % 3 == 0 else 30 + n)
        made = policy(
            api, ada, acme if n % 2 else northwind, number=f"A-{n}", startDate=day(-400),
            endDate=ends, premium={"amount": 100 * n + 1, "currency": "EUR" if n % 2 else "GBP"},
        )  # fmt: skip
        if n % 4 == 1 and n % 3:
            api.ok("cancelInsurancePolicy", {"id": made["id"]})
    policy(api, bob, acme, number="B-1", endDate=day(0))  # ends today: still active
    covered = [PROFILE, PAGED, "p: policies { nodes { id status } } openClaimCount"]
    found = assert_lists_compile(paths, api, "insurance", [ada, bob, cyd], covered)
    rows = {n["id"]: n["insurance"]["policies"] for n in found[PROFILE]}
    assert len(rows[ada]["nodes"]) == 10 and rows[cyd]["nodes"] == []
    assert {n["status"] for n in rows[ada]["nodes"]} == {"ACTIVE", "EXPIRED", "CANCELLED"}
    assert rows[bob]["nodes"][0]["status"] == "ACTIVE"
    info = {n["id"]: n["insurance"] for n in found[PAGED]}[ada]["policies"]["pageInfo"]
    after = info["endCursor"]
    later = f'policies(first: 20, after: "{after}") {{ nodes {{ number }} }}'
    assert_lists_compile(paths, api, "insurance", [ada], [later])
