"""`insurance { activePolicyCount openClaimCount }` on the customer list through the compiled
path (`hub_compiled_customer_fields`): the same answers as the resolvers, on both databases,
and the usual path for a worker without `insurance.view` or a sub-field it does not cover."""

from plugins.insurance.tests.test_insurance import customer, day, move, policy, provider, submit
from tests.support import create_worker, pk_of, token_for
from tests.test_compiled import both, paths  # noqa: F401 (fixtures)

COUNTS = "query { customers(first: 20) { nodes { id insurance { %s } } } }"
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
    agent, refused = workers(api, "insurance.view", [ada, cyd])

    path, body = both(paths, api.token, COUNTS % COMPILED[0])
    assert path == "compiled", body
    found = {n["id"]: n["insurance"] for n in body["data"]["customers"]["nodes"]}
    assert found == {
        ada: {"activePolicyCount": 2, "openClaimCount": 2},
        bob: {"activePolicyCount": 2, "openClaimCount": 0},
        cyd: {"activePolicyCount": 0, "openClaimCount": 0},
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
