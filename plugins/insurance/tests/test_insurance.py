"""The insurance module through the HTTP API: providers, policies, the claim workflow and
its events, permissions, tenancy, the profile tab's badge, node lookups, merge and export,
and a statement count proving the customer list has no N+1."""

from datetime import UTC, datetime, timedelta

import pytest

from core import events
from tests.support import Api, count_statements, gid, pk_of

POLICY = (
    "policy { id number status coverageDescription coverageLimit { amount currency } "
    "premium { amount currency } premiumPeriod startDate endDate cancelledAt provider { name } }"
)
CLAIM = (
    "claim { id status incidentDate note decidedAt paidAt claimedAmount { amount currency } "
    "approvedAmount { amount currency } policy { number } customer { name } }"
)
INSURANCE = """
query($id: ID!, $policyFilter: InsurancePolicyFilter, $claimFilter: InsuranceClaimFilter) {
  customer(id: $id) {
    insurance {
      openClaimCount activePolicyCount
      policies(first: 10, filter: $policyFilter) { totalCount nodes { number status } }
      claims(first: 10, filter: $claimFilter) { totalCount nodes { id status } }
    }
  }
}"""
TABS = "query($id: ID!) { customer(id: $id) { profileTabs { key badgeCount } } }"
COUNTS = "query($id: ID!) { customer(id: $id) { insurance { openClaimCount } } }"
PROVIDERS = """query($after: String) { insuranceProviders(first: 1, after: $after) {
  totalCount nodes { name email } pageInfo { hasNextPage endCursor } } }"""


def day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()  # past midnight too


def eur(amount: int, currency: str = "EUR") -> dict:
    return {"amount": amount, "currency": currency}


def codes(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def customer(api: Api, name: str = "Ada") -> str:
    return api.ok("createCustomer", {"name": name}, "customer { id }")["customer"]["id"]


def provider(api: Api, name: str = "Northwind Mutual", **fields) -> str:
    payload = api.ok("createInsuranceProvider", {"name": name, **fields}, "provider { id }")
    return payload["provider"]["id"]


def policy_input(customer_id: str, provider_id: str, **fields) -> dict:
    return {
        "customerId": customer_id,
        "providerId": provider_id,
        "number": "P-1",
        "coverageDescription": "Home contents",
        "coverageLimit": eur(500_000),
        "premium": eur(1_250),
        "premiumPeriod": "MONTHLY",
        "startDate": day(-100),
        "endDate": day(265),
        **fields,
    }


def policy(api: Api, customer_id: str, provider_id: str, **fields) -> dict:
    return api.ok(
        "createInsurancePolicy", policy_input(customer_id, provider_id, **fields), POLICY
    )["policy"]


def claim_input(customer_id: str, policy_id: str, **fields) -> dict:
    return {
        "customerId": customer_id,
        "policyId": policy_id,
        "incidentDate": day(-10),
        "description": "Water damage in the kitchen",
        "claimedAmount": eur(120_000),
        **fields,
    }


def submit(api: Api, customer_id: str, policy_id: str, **fields) -> dict:
    return api.mutate("submitInsuranceClaim", claim_input(customer_id, policy_id, **fields), CLAIM)


def move(api: Api, claim_id: str, to: str, **fields) -> dict:
    return api.mutate("moveInsuranceClaim", {"id": claim_id, "to": to, **fields}, CLAIM)


def insurance(api: Api, customer_id: str, **variables) -> dict:
    return api.query(INSURANCE, id=customer_id, **variables)["customer"]["insurance"]


def badge(api: Api, customer_id: str) -> int:
    tabs = api.query(TABS, id=customer_id)["customer"]["profileTabs"]
    return next(t["badgeCount"] for t in tabs if t["key"] == "insurance")


def agent_of(api: Api) -> Api:
    worker = api.ok(
        "createWorker",
        {"name": "Sam Agent", "email": f"sam{api.tenant_id}@example.com", "role": "AGENT"},
        "worker { id }",
    )["worker"]["id"]
    return Api(api.client, api.tenant_id, pk_of(worker))


@pytest.fixture
def insured(api):
    """A tenant with the module on, a customer, a provider and an active policy."""
    api.enable("insurance")
    ada = customer(api)
    northwind = provider(api)
    return api, ada, northwind, policy(api, ada, northwind)


@pytest.fixture
def emitted(monkeypatch):
    """(name, customer id, data) of every event the module emits."""
    seen = []
    emit = events.emit

    async def spy(session, event):
        seen.append((event.name, event.customer_id, event.data))
        await emit(session, event)

    monkeypatch.setattr(events, "emit", spy)
    return seen


# --- enablement ---------------------------------------------------------------------------


def test_a_disabled_module_names_itself_and_keeps_its_data(api):
    ada = customer(api)
    (error,) = api.errors(COUNTS, id=ada)
    assert error["extensions"]["code"] == "MODULE_DISABLED"
    assert error["extensions"]["module"] == "insurance"
    errors = api.errors(
        'mutation { createInsuranceProvider(input: {name: "X"}) { userErrors { code } } }'
    )
    assert errors[0]["extensions"]["code"] == "MODULE_DISABLED"

    api.enable("insurance")
    policy(api, ada, provider(api))
    api.ok("disableModule", {"module": "insurance"}, "modules { name }")
    assert api.errors(COUNTS, id=ada)[0]["extensions"]["code"] == "MODULE_DISABLED"
    tabs = api.query(TABS, id=ada)["customer"]["profileTabs"]
    assert [t["key"] for t in tabs] == ["profile"]
    api.enable("insurance")
    assert insurance(api, ada)["policies"]["nodes"] == [{"number": "P-1", "status": "ACTIVE"}]


# --- providers ----------------------------------------------------------------------------


def test_providers_are_unique_by_name_and_checked(api):
    api.enable("insurance")
    northwind = provider(api, "Northwind Mutual", phone="+44 20 7946 0100")
    provider(api, "Alpine Assurance", email="Hello@Alpine.example")
    payload = api.mutate(
        "createInsuranceProvider",
        {"name": "  NORTHWIND mutual ", "phone": "call me", "email": "nope"},
        "provider { id }",
    )
    assert codes(payload) == [
        (["input", "name"], "TAKEN"),
        (["input", "phone"], "INVALID"),
        (["input", "email"], "INVALID"),
    ]
    assert codes(api.mutate("createInsuranceProvider", {"name": " "}, "provider { id }")) == [
        (["input", "name"], "REQUIRED")
    ]
    updated = api.ok(
        "updateInsuranceProvider",
        {"id": northwind, "phone": None, "email": "claims@northwind.example"},
        "provider { name phone email }",
    )["provider"]
    assert updated == {
        "name": "Northwind Mutual",
        "phone": None,
        "email": "claims@northwind.example",
    }

    first = api.query(PROVIDERS)["insuranceProviders"]
    assert first["totalCount"] == 2
    assert first["nodes"] == [{"name": "Alpine Assurance", "email": "hello@alpine.example"}]
    rest = api.query(PROVIDERS, after=first["pageInfo"]["endCursor"])["insuranceProviders"]
    assert [n["name"] for n in rest["nodes"]] == ["Northwind Mutual"]
    assert rest["pageInfo"]["hasNextPage"] is False


# --- policies -----------------------------------------------------------------------------


def test_a_policy_is_recorded_with_money_and_period(insured):
    api, ada, _, created = insured
    assert created == {
        "id": created["id"],
        "number": "P-1",
        "status": "ACTIVE",
        "coverageDescription": "Home contents",
        "coverageLimit": eur(500_000),
        "premium": eur(1_250),
        "premiumPeriod": "MONTHLY",
        "startDate": day(-100),
        "endDate": day(265),
        "cancelledAt": None,
        "provider": {"name": "Northwind Mutual"},
    }
    alpine = provider(api, "Alpine Assurance")
    policy(api, ada, alpine)  # the same number at another provider
    insured_view = insurance(api, ada)
    assert insured_view["activePolicyCount"] == 2
    assert insured_view["policies"]["totalCount"] == 2


def test_bad_policies_are_refused_and_write_nothing(insured, other_api):
    api, ada, northwind, _ = insured

    def create(**fields):
        return api.mutate("createInsurancePolicy", policy_input(ada, northwind, **fields), POLICY)

    assert codes(create(endDate=day(-101))) == [(["input", "endDate"], "INVALID")]
    assert codes(create()) == [(["input", "number"], "TAKEN")]
    assert codes(create(number=" ", coverageLimit=eur(0, "euro"), premium=eur(-5))) == [
        (["input", "number"], "REQUIRED"),
        (["input", "coverageLimit", "currency"], "INVALID"),
        (["input", "coverageLimit", "amount"], "INVALID"),
        (["input", "premium", "amount"], "INVALID"),
    ]
    other_api.enable("insurance")
    foreign_provider = provider(other_api, "Theirs")
    assert codes(create(number="P-2", providerId=foreign_provider)) == [
        (["input", "providerId"], "NOT_FOUND")
    ]
    foreign_customer = customer(other_api, "Not yours")
    payload = api.mutate(
        "createInsurancePolicy", policy_input(foreign_customer, northwind, number="P-3"), POLICY
    )
    assert codes(payload) == [(["input", "customerId"], "NOT_FOUND")]
    assert insurance(api, ada)["policies"]["totalCount"] == 1


def test_policies_expire_by_date_and_cancel_once(insured):
    api, ada, northwind, active = insured
    expired = policy(api, ada, northwind, number="P-OLD", startDate=day(-400), endDate=day(-35))
    assert expired["status"] == "EXPIRED"
    assert codes(api.mutate("cancelInsurancePolicy", {"id": expired["id"]}, POLICY)) == [
        (["input", "id"], "EXPIRED")
    ]
    cancelled = api.ok("cancelInsurancePolicy", {"id": active["id"]}, POLICY)["policy"]
    assert cancelled["status"] == "CANCELLED" and cancelled["cancelledAt"]
    assert codes(api.mutate("cancelInsurancePolicy", {"id": active["id"]}, POLICY)) == [
        (["input", "id"], "CANCELLED")
    ]
    payload = api.mutate("updateInsurancePolicy", {"id": active["id"], "number": "X"}, POLICY)
    assert codes(payload) == [(["input", "id"], "CANCELLED")]
    current = policy(api, ada, northwind, number="P-NEW")
    view = insurance(api, ada, policyFilter={"statuses": ["EXPIRED", "CANCELLED"]})
    assert sorted(p["number"] for p in view["policies"]["nodes"]) == ["P-1", "P-OLD"]
    assert view["policies"]["totalCount"] == 2
    assert view["activePolicyCount"] == 1
    assert insurance(api, ada, policyFilter={"statuses": []})["policies"]["totalCount"] == 0
    changed = api.ok(
        "updateInsurancePolicy",
        {"id": current["id"], "endDate": day(-1), "premiumPeriod": "YEARLY"},
        POLICY,
    )["policy"]
    assert (changed["status"], changed["premiumPeriod"], changed["number"]) == (
        "EXPIRED",
        "YEARLY",
        "P-NEW",
    )
    payload = api.mutate("updateInsurancePolicy", {"id": current["id"], "number": None}, POLICY)
    assert codes(payload) == [(["input", "number"], "REQUIRED")]


# --- claims -------------------------------------------------------------------------------


def test_the_claim_workflow_moves_one_legal_step_at_a_time(insured, emitted):
    api, ada, _, created = insured
    claim = submit(api, ada, created["id"])
    assert claim["userErrors"] == []
    claim = claim["claim"]
    assert (claim["status"], claim["claimedAmount"], claim["customer"]) == (
        "SUBMITTED",
        eur(120_000),
        {"name": "Ada"},
    )
    assert badge(api, ada) == 1
    assert insurance(api, ada)["openClaimCount"] == 1

    illegal = move(api, claim["id"], "APPROVED", approvedAmount=eur(1))
    assert codes(illegal) == [(["input", "to"], "INVALID_TRANSITION")]
    assert "SUBMITTED" in illegal["userErrors"][0]["message"]
    assert "APPROVED" in illegal["userErrors"][0]["message"]
    assert codes(move(api, claim["id"], "IN_REVIEW", approvedAmount=eur(1))) == [
        (["input", "approvedAmount"], "INVALID")
    ]
    assert move(api, claim["id"], "IN_REVIEW", note="Asked for receipts")["userErrors"] == []
    assert codes(move(api, claim["id"], "APPROVED")) == [(["input", "approvedAmount"], "REQUIRED")]
    assert codes(move(api, claim["id"], "APPROVED", approvedAmount=eur(120_001))) == [
        (["input", "approvedAmount", "amount"], "EXCEEDS_CLAIMED")
    ]
    assert codes(move(api, claim["id"], "APPROVED", approvedAmount=eur(100, "USD"))) == [
        (["input", "approvedAmount", "currency"], "CURRENCY_MISMATCH")
    ]
    approved = move(api, claim["id"], "APPROVED", approvedAmount=eur(90_000))["claim"]
    assert approved["approvedAmount"] == eur(90_000)
    assert approved["decidedAt"] and approved["paidAt"] is None
    assert approved["note"] == "Asked for receipts"
    assert badge(api, ada) == 0
    paid = move(api, claim["id"], "PAID")["claim"]
    assert paid["status"] == "PAID" and paid["paidAt"]
    final = move(api, claim["id"], "REJECTED")
    assert codes(final) == [(["input", "to"], "INVALID_TRANSITION")]

    customer_pk = pk_of(ada)
    assert [(name, cid) for name, cid, _ in emitted] == [
        ("insurance.claim_submitted", customer_pk),
        ("insurance.claim_status_changed", customer_pk),
        ("insurance.claim_status_changed", customer_pk),
        ("insurance.claim_status_changed", customer_pk),
    ]
    assert emitted[0][2]["claimId"] == claim["id"]
    moves = [(d["from"], d["to"]) for _, _, d in emitted[1:]]
    assert moves == [("SUBMITTED", "IN_REVIEW"), ("IN_REVIEW", "APPROVED"), ("APPROVED", "PAID")]
    assert emitted[2][2]["approvedAmount"] == eur(90_000)


def test_rejected_claims_close_and_filters_pick_statuses(insured):
    api, ada, _, created = insured
    ids = [submit(api, ada, created["id"])["claim"]["id"] for _ in range(3)]
    move(api, ids[0], "IN_REVIEW")
    rejected = move(api, ids[0], "REJECTED", note="Not covered")["claim"]
    assert (rejected["status"], rejected["approvedAmount"]) == ("REJECTED", None)
    move(api, ids[1], "IN_REVIEW")
    view = insurance(api, ada, claimFilter={"statuses": ["SUBMITTED", "IN_REVIEW"]})
    assert [c["id"] for c in view["claims"]["nodes"]] == [ids[2], ids[1]]
    assert view["claims"]["totalCount"] == view["openClaimCount"] == 2
    assert badge(api, ada) == 2
    queue = "{ insuranceClaims(filter: {statuses: [REJECTED]}) { totalCount nodes { id %s } } }"
    queue = api.query(queue % "customer { name }")["insuranceClaims"]
    assert queue == {"totalCount": 1, "nodes": [{"id": ids[0], "customer": {"name": "Ada"}}]}


def test_claims_must_fit_their_policy(insured, other_api):
    api, ada, _, created = insured
    policy_id = created["id"]
    bob = customer(api, "Bob")
    assert codes(submit(api, bob, policy_id)) == [(["input", "policyId"], "OTHER_CUSTOMER")]
    payload = submit(api, ada, policy_id, incidentDate=day(-101), claimedAmount=eur(5, "GBP"))
    assert codes(payload) == [
        (["input", "claimedAmount", "currency"], "CURRENCY_MISMATCH"),
        (["input", "incidentDate"], "OUTSIDE_PERIOD"),
    ]
    assert codes(submit(api, ada, policy_id, description="", claimedAmount=eur(0))) == [
        (["input", "description"], "REQUIRED"),
        (["input", "claimedAmount", "amount"], "INVALID"),
    ]
    other_api.enable("insurance")
    theirs = customer(other_api, "Theirs")
    their_policy = policy(other_api, theirs, provider(other_api))
    assert codes(submit(api, ada, their_policy["id"])) == [(["input", "policyId"], "NOT_FOUND")]
    assert codes(submit(api, theirs, policy_id)) == [(["input", "customerId"], "NOT_FOUND")]
    assert insurance(api, ada)["claims"]["totalCount"] == 0

    assert submit(api, ada, policy_id, incidentDate=day(-100))["userErrors"] == []
    payload = api.mutate(
        "updateInsurancePolicy",
        {"id": policy_id, "startDate": day(-50), "coverageLimit": eur(9, "USD")},
        POLICY,
    )
    assert codes(payload) == [
        (["input", "startDate"], "CLAIM_OUTSIDE_PERIOD"),
        (["input", "coverageLimit", "currency"], "HAS_CLAIMS"),
    ]
    assert api.ok("cancelInsurancePolicy", {"id": policy_id})["userErrors"] == []
    assert codes(submit(api, ada, policy_id, incidentDate=day(1))) == [
        (["input", "incidentDate"], "OUTSIDE_PERIOD")
    ]
    assert submit(api, ada, policy_id, incidentDate=day(0))["userErrors"] == []


def test_approval_is_capped_by_the_coverage_limit(insured):
    api, ada, northwind, _ = insured
    small = policy(api, ada, northwind, number="P-SMALL", coverageLimit=eur(50_000))
    claim = submit(api, ada, small["id"])["claim"]
    move(api, claim["id"], "IN_REVIEW")
    assert codes(move(api, claim["id"], "APPROVED", approvedAmount=eur(60_000))) == [
        (["input", "approvedAmount", "amount"], "EXCEEDS_COVERAGE")
    ]


# --- access and tenancy -------------------------------------------------------------------


def test_agents_record_but_only_managers_decide(insured):
    api, ada, northwind, created = insured
    agent = agent_of(api)
    assert codes(submit(agent, ada, created["id"])) == [(["input", "customerId"], "NOT_FOUND")]
    api.ok("assignWorkers", {"customerId": ada, "workerIds": [gid("Worker", agent.worker_id)]})
    assert submit(agent, ada, created["id"])["userErrors"] == []
    assert agent.ok("createInsurancePolicy", policy_input(ada, northwind, number="P-A"))
    claim_id = insurance(api, ada)["claims"]["nodes"][0]["id"]
    for mutation in (
        'createInsuranceProvider(input: {name: "X"}) { userErrors { code } }',
        f'moveInsuranceClaim(input: {{id: "{claim_id}", to: IN_REVIEW}}) {{ claim {{ id }} }}',
        f'cancelInsurancePolicy(input: {{id: "{created["id"]}"}}) {{ policy {{ id }} }}',
    ):
        (error,) = agent.errors(f"mutation {{ {mutation} }}")
        assert error["extensions"]["code"] == "FORBIDDEN"
    assert insurance(api, ada)["claims"]["nodes"][0]["status"] == "SUBMITTED"


def test_another_tenants_ids_look_unknown(insured, other_api):
    api, ada, northwind, created = insured
    claim_id = submit(api, ada, created["id"])["claim"]["id"]
    other_api.enable("insurance")
    node = "query($id: ID!) { node(id: $id) { id } }"
    for global_id in (northwind, created["id"], claim_id):
        assert other_api.query(node, id=global_id) == {"node": None}
    assert codes(move(other_api, claim_id, "IN_REVIEW")) == [(["input", "id"], "NOT_FOUND")]
    payload = other_api.mutate("updateInsurancePolicy", {"id": created["id"], "number": "X"})
    assert codes(payload) == [(["input", "id"], "NOT_FOUND")]
    payload = other_api.mutate("updateInsuranceProvider", {"id": northwind, "name": "Mine"})
    assert codes(payload) == [(["input", "id"], "NOT_FOUND")]
    payload = move(api, gid("InsuranceClaim", 2**31 - 1), "IN_REVIEW")
    assert codes(payload) == [(["input", "id"], "NOT_FOUND")]
    assert (
        other_api.query("{ insuranceClaims(first: 1) { totalCount } }")["insuranceClaims"][
            "totalCount"
        ]
        == 0
    )
    assert (
        other_api.query("{ insuranceProviders(first: 1) { totalCount } }")["insuranceProviders"][
            "totalCount"
        ]
        == 0
    )


def test_node_finds_providers_policies_and_claims(insured):
    api, ada, northwind, created = insured
    claim_id = submit(api, ada, created["id"])["claim"]["id"]
    query = """query($ids: [ID!]!) { nodes(ids: $ids) {
      __typename id
      ... on InsuranceProvider { name }
      ... on InsurancePolicy { number provider { name } customer { name } }
      ... on InsuranceClaim { status policy { number } }
    } }"""
    found = api.query(query, ids=[northwind, created["id"], claim_id])["nodes"]
    assert found == [
        {"__typename": "InsuranceProvider", "id": northwind, "name": "Northwind Mutual"},
        {
            "__typename": "InsurancePolicy",
            "id": created["id"],
            "number": "P-1",
            "provider": {"name": "Northwind Mutual"},
            "customer": {"name": "Ada"},
        },
        {
            "__typename": "InsuranceClaim",
            "id": claim_id,
            "status": "SUBMITTED",
            "policy": {"number": "P-1"},
        },
    ]


# --- pages, merge, export -----------------------------------------------------------------


def test_customer_lists_page_by_cursor(insured):
    api, ada, northwind, _ = insured
    for n in range(2, 5):
        policy(api, ada, northwind, number=f"P-{n}")
    query = """query($id: ID!, $first: Int, $after: String) { customer(id: $id) { insurance {
      policies(first: $first, after: $after) {
        totalCount nodes { number } pageInfo { hasNextPage hasPreviousPage endCursor } } } } }"""

    def page(**variables):
        return api.query(query, id=ada, **variables)["customer"]["insurance"]["policies"]

    first = page(first=3)
    assert [p["number"] for p in first["nodes"]] == ["P-4", "P-3", "P-2"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = page(first=3, after=first["pageInfo"]["endCursor"])
    assert [p["number"] for p in rest["nodes"]] == ["P-1"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["pageInfo"]["hasPreviousPage"] is True
    assert first["totalCount"] == rest["totalCount"] == 4
    beyond = page(after=rest["pageInfo"]["endCursor"])
    assert (beyond["nodes"], beyond["totalCount"]) == ([], 4)
    (error,) = api.errors(query, id=ada, first=101)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    (error,) = api.errors(query, id=ada, after="garbage")
    assert error["extensions"]["problems"][0]["code"] == "INVALID_CURSOR"


def test_merging_moves_policies_and_claims_and_export_shows_them(insured):
    api, ada, northwind, _ = insured
    duplicate = customer(api, "Ada L.")
    theirs = policy(api, duplicate, northwind, number="P-DUP")
    submit(api, duplicate, theirs["id"])
    api.ok("mergeCustomers", {"sourceId": duplicate, "targetId": ada})
    view = insurance(api, ada)
    assert sorted(p["number"] for p in view["policies"]["nodes"]) == ["P-1", "P-DUP"]
    assert view["openClaimCount"] == 1
    data = api.query("query($id: ID!) { customerExport(id: $id) }", id=ada)["customerExport"]
    exported = data["modules"]["insurance"]
    assert sorted(p["number"] for p in exported["policies"]) == ["P-1", "P-DUP"]
    assert exported["policies"][0]["provider_name"] == "Northwind Mutual"
    assert [c["status"] for c in exported["claims"]] == ["SUBMITTED"]


# --- the customer list costs the same for 3 and 12 rows ------------------------------------

LIST = """
query($n: Int) {
  customers(first: $n) {
    nodes {
      name
      profileTabs { key badgeCount }
      insurance {
        openClaimCount activePolicyCount
        policies(first: 5) {
          totalCount nodes { number status premium { amount } provider { name } }
        }
        claims(first: 5) { totalCount nodes { status claimedAmount { amount } policy { number } } }
      }
    }
  }
}"""


def test_a_page_of_12_customers_costs_what_a_page_of_3_costs(api, engine):
    # 12 against 3 shows a count that does not grow with the page as well as 50 against 5
    # would (no batch size or cut-off below 12 on this path), with a quarter of the rows.
    api.enable("insurance")
    northwind = provider(api)
    names = [{"name": f"C{n}"} for n in range(12)]
    people = [p["customer"]["id"] for p in api.many("createCustomer", names, "customer { id }")]
    inputs = [policy_input(c, northwind, number=f"P-{n}") for n, c in enumerate(people)]
    policies = api.many("createInsurancePolicy", inputs, "policy { id }")
    inputs = [claim_input(c, p["policy"]["id"]) for c, p in zip(people, policies, strict=True)]
    api.many("submitInsuranceClaim", inputs, "claim { id }")
    api.query(LIST, n=1)
    with count_statements(engine) as three:
        small = api.query(LIST, n=3)["customers"]["nodes"]
    with count_statements(engine) as twelve:
        large = api.query(LIST, n=12)["customers"]["nodes"]
    print(f"statements: first 3 -> {three.count}, first 12 -> {twelve.count}")
    assert len(small) == 3 and len(large) == 12
    assert large[:3] == small
    assert all(c["insurance"]["openClaimCount"] == 1 for c in large)
    assert {"key": "insurance", "badgeCount": 1} in large[0]["profileTabs"]
    assert large[0]["insurance"]["claims"]["nodes"][0]["policy"]["number"] == "P-11"
    assert three.count == twelve.count, (three.statements, twelve.statements)
