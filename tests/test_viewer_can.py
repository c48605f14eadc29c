"""`Customer.viewerCan` says what the mutations would allow: checked against the mutations
themselves for an owner and for an agent with view-only and edit folder access, and read in
a constant number of statements for a page of customers."""

import pytest

from tests.support import Api, count_statements, gid, pk_of

CAN = """query($id: ID!) { customer(id: $id) { viewerCan {
  edit delete modules { module permissions manage } } } }"""
PAGE = """query($n: Int!) { customers(first: $n) { nodes { id viewerCan {
  edit delete modules { module manage } } } } }"""
UPDATE = (
    'mutation($id: ID!) { updateCustomer(input: {id: $id, city: "P"}) { userErrors { code } } }'
)
OPEN = """mutation($id: ID!) { openTicket(input: {customerId: $id, subject: "S"}) {
  ticket { id } userErrors { code } } }"""


def worker(api: Api, name: str, role: str) -> Api:
    email = name.lower().replace(" ", ".") + "@example.com"
    payload = api.ok("createWorker", {"name": name, "email": email, "role": role}, "worker { id }")
    return Api(api.client, api.tenant_id, pk_of(payload["worker"]["id"]))


def customer(api: Api, name: str, **fields) -> str:
    return api.ok("createCustomer", {"name": name, **fields}, "customer { id }")["customer"]["id"]


@pytest.fixture
def shop(api):
    api.enable("tickets")
    agent = worker(api, "Ann Agent", "AGENT")
    sales = api.ok("createFolder", {"name": "Sales", "color": "#123456"}, "folder { id }")
    sales = sales["folder"]["id"]
    api.ok("setFolderAccess", {"folderId": sales, "role": "AGENT", "level": "VIEW"})
    ids = {
        "assigned": customer(api, "Assigned", workerIds=[gid("Worker", agent.worker_id)]),
        "in_sales": customer(api, "In Sales", folders=[{"folderId": sales}]),
    }
    return api, agent, sales, ids


def can(api: Api, customer_id: str) -> dict:
    return api.query(CAN, id=customer_id)["customer"]["viewerCan"]


def allowed(api: Api, mutation: str, customer_id: str) -> bool:
    response = api.post(mutation, {"id": customer_id}).json()
    if response.get("errors"):
        assert response["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        return False
    payload = next(iter(response["data"].values()))
    return not payload["userErrors"]


def test_the_owner_may_do_everything(shop):
    owner, _agent, _sales, ids = shop
    found = can(owner, ids["in_sales"])
    assert (found["edit"], found["delete"]) == (True, True)
    tickets = next(m for m in found["modules"] if m["module"] == "tickets")
    assert tickets == {
        "module": "tickets",
        "permissions": ["tickets.close", "tickets.manage", "tickets.view"],
        "manage": True,
    }


def test_what_viewer_can_says_is_what_the_mutations_do(shop):
    owner, agent, sales, ids = shop
    for key in ("assigned", "in_sales"):
        found = can(agent, ids[key])
        tickets = next(m for m in found["modules"] if m["module"] == "tickets")
        assert found["edit"] == allowed(agent, UPDATE, ids[key]), key
        assert tickets["manage"] == allowed(agent, OPEN, ids[key]), key
        assert found["delete"] is False  # agents lack customers.erase
    assert can(agent, ids["in_sales"])["edit"] is False  # view-only folder access
    assert can(agent, ids["in_sales"])["modules"][0]["permissions"] == ["tickets.view"]
    owner.ok("setFolderAccess", {"folderId": sales, "role": "AGENT", "level": "EDIT"})
    assert can(agent, ids["in_sales"])["edit"] is True
    assert allowed(agent, UPDATE, ids["in_sales"]) is True


def test_a_disabled_module_is_not_listed(shop):
    owner, _agent, _sales, ids = shop
    owner.ok("disableModule", {"module": "tickets"}, "modules { name }")
    assert [m["module"] for m in can(owner, ids["in_sales"])["modules"]] == []


def test_a_page_reads_it_in_constant_statements(shop, engine):
    owner, agent, sales, _ids = shop
    for i in range(48):
        customer(owner, f"C{i}", folders=[{"folderId": sales}])
    counts = {}
    for n in (5, 50):
        with count_statements(engine) as counter:
            nodes = agent.query(PAGE, n=n)["customers"]["nodes"]
        assert len(nodes) == n
        counts[n] = counter.count
    assert counts[5] == counts[50]
