"""The projects module through the HTTP API: creating (idempotent), updating with
`expectedVersion`, the status machine, members, linking and unlinking customers, what a
restricted worker sees of a project's customers, merging, erasure, another tenant, bad input,
the customer's timeline, and the statement count of the customer list page and of a page of
projects with their customers."""

import pytest

from tests.fixtures import new_tenant
from tests.support import Api, GraphQLErrors, as_worker, count_statements, gid
from tests.support import create_customer as customer
from tests.support import create_worker as worker

PROJECT = """id name description status startDate dueDate version owner { id }
members { id } customers(first: 10) { totalCount nodes { id name } }"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Project { PROJECT } } }".replace(
    "PROJECT", PROJECT
)
OF_CUSTOMER = """query($id: ID!, $status: [ProjectStatus!], $first: Int, $after: String) {
customer(id: $id) { projects { activeCount all(first: $first, after: $after, status: $status) {
  totalCount nodes { name status } pageInfo { hasNextPage endCursor } } }
  profileTabs { key badgeCount } } }"""
LIST = """query($status: [ProjectStatus!], $owner: ID, $search: String, $first: Int,
$after: String) { projects(status: $status, ownerId: $owner, search: $search, first: $first,
after: $after) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } }"""
TIMELINE = """query($id: ID!) { customer(id: $id) {
  timeline(first: 50) { nodes { action summary } } } }"""

_keys = iter(range(10**9))


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("projects")
    return api


def me(api: Api) -> str:
    return api.query("{ me { worker { id } } }")["me"]["worker"]["id"]


def create(api: Api, name="Office move", **more) -> dict:
    data = {"name": name, "idempotencyKey": more.pop("key", f"k-{next(_keys)}"), **more}
    return api.mutate("createProject", data, f"project {{ {PROJECT} }}")


def created(api: Api, name="Office move", **more) -> dict:
    payload = create(api, name, **more)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["project"]


def link(api: Api, project: dict, customer_id: str, name="linkCustomerToProject") -> dict:
    data = {"projectId": project["id"], "customerId": customer_id}
    return api.mutate(name, data, f"project {{ {PROJECT} }}")


def linked(api: Api, project: dict, customer_id: str) -> dict:
    payload = link(api, project, customer_id)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["project"]


def status(api: Api, project: dict, to: str, version=None) -> dict:
    data = {"id": project["id"], "status": to}
    if version is not None:
        data["expectedVersion"] = version
    return api.mutate("setProjectStatus", data, "project { status version }")


def codes(payload: dict) -> list[tuple[list[str], str]]:
    return sorted((e["field"], e["code"]) for e in payload["userErrors"])


def read(api: Api, project: dict) -> dict | None:
    return api.query(NODE, id=project["id"])["node"]


def of_customer(api: Api, customer_id: str, **variables) -> dict:
    return api.query(OF_CUSTOMER, id=customer_id, **variables)["customer"]


def test_creating_updating_and_the_status_machine(owner, other_api):
    project = created(owner, description="New premises", startDate="2027-01-01")
    assert project["status"] == "PLANNED" and project["version"] == 1
    assert project["owner"] == {"id": me(owner)} and project["members"] == []
    assert project["customers"] == {"totalCount": 0, "nodes": []}
    # A retry with the same key and input answers the same project; other input is refused.
    again = created(owner, "Fair", key="same")
    assert created(owner, "Fair", key="same")["id"] == again["id"]
    assert codes(create(owner, "Other fair", key="same")) == [
        (["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")
    ]
    assert owner.query(LIST)["projects"]["totalCount"] == 2
    foreign = other_api.query("{ me { worker { id } } }")["me"]["worker"]["id"]
    bad = create(
        owner,
        " ",
        key="",
        ownerId=foreign,
        memberIds=[foreign],
        startDate="2027-02-01",
        dueDate="2027-01-01",
        description="x" * 10_001,
    )
    assert codes(bad) == [
        (["input", "description"], "TOO_LONG"),
        (["input", "dueDate"], "INVALID"),
        (["input", "idempotencyKey"], "REQUIRED"),
        (["input", "memberIds"], "NOT_FOUND"),
        (["input", "name"], "REQUIRED"),
        (["input", "ownerId"], "NOT_FOUND"),
    ]
    # Updates: only what is sent; a stale version is refused.
    change = {"id": project["id"], "name": "Office move 2027", "dueDate": "2027-06-30"}
    updated = owner.ok(
        "updateProject", {**change, "expectedVersion": 1}, f"project {{ {PROJECT} }}"
    )
    assert updated["project"]["version"] == 2
    assert updated["project"]["description"] == "New premises"
    stale = owner.mutate("updateProject", {"id": project["id"], "name": "X", "expectedVersion": 1})
    assert codes(stale) == [(["input", "expectedVersion"], "VERSION_CONFLICT")]
    before = {"id": project["id"], "dueDate": "2026-12-01"}
    assert codes(owner.mutate("updateProject", before)) == [(["input", "dueDate"], "INVALID")]
    cleared = owner.ok(
        "updateProject", {"id": project["id"], "ownerId": None}, "project { owner { id } }"
    )
    assert cleared["project"]["owner"] is None
    # The status machine.
    assert status(owner, project, "ACTIVE", version=3)["userErrors"] == []
    assert codes(status(owner, project, "PLANNED")) == [(["input", "status"], "INVALID_TRANSITION")]
    assert codes(status(owner, project, "DONE", version=3)) == [
        (["input", "expectedVersion"], "VERSION_CONFLICT")
    ]
    done = status(owner, project, "DONE")
    assert done == {"project": {"status": "DONE", "version": 5}, "userErrors": []}
    assert status(owner, project, "DONE")["project"]["version"] == 5  # already there: no-op
    assert [n["name"] for n in owner.query(LIST, status=["DONE"])["projects"]["nodes"]] == [
        "Office move 2027"
    ]
    assert (
        owner.ok("deleteProject", {"id": project["id"]}, "deletedId")["deletedId"] == project["id"]
    )
    assert read(owner, project) is None
    assert codes(owner.mutate("deleteProject", {"id": project["id"]})) == [
        (["input", "id"], "NOT_FOUND")
    ]


def test_members_and_who_may_change_a_project(owner):
    agent_id, other_id = worker(owner, "Agnes Agent"), worker(owner, "Otto Other")
    agent = as_worker(owner, agent_id)
    project = created(owner, memberIds=[agent_id, agent_id])
    assert project["members"] == [{"id": agent_id}]
    added = owner.ok(
        "addProjectMembers",
        {"projectId": project["id"], "workerIds": [other_id, agent_id]},
        "project { members { id } }",
    )
    assert sorted(m["id"] for m in added["project"]["members"]) == sorted([agent_id, other_id])
    removed = owner.ok(
        "removeProjectMembers",
        {"projectId": project["id"], "workerIds": [agent_id]},
        "project { members { id } }",
    )
    assert removed["project"]["members"] == [{"id": other_id}]
    unknown = gid("Worker", 2_147_480_000)
    bad = owner.mutate("addProjectMembers", {"projectId": project["id"], "workerIds": [unknown]})
    assert codes(bad) == [(["input", "workerIds"], "NOT_FOUND")]
    # An agent sees projects but changes only the ones they own; creating takes manage.
    assert read(agent, project)["name"] == "Office move"
    with pytest.raises(GraphQLErrors) as refused:
        agent.mutate("updateProject", {"id": project["id"], "name": "Mine"})
    assert refused.value.errors[0]["extensions"]["code"] == "FORBIDDEN"
    with pytest.raises(GraphQLErrors) as refused:
        create(agent, "Mine")
    assert refused.value.errors[0]["extensions"]["code"] == "FORBIDDEN"
    owner.ok("updateProject", {"id": project["id"], "ownerId": agent_id})
    agent.ok("updateProject", {"id": project["id"], "name": "Agnes's move"})
    agent.ok("setProjectStatus", {"id": project["id"], "status": "ACTIVE"})
    assert owner.query(LIST, owner=agent_id)["projects"]["nodes"] == [{"name": "Agnes's move"}]
    assert owner.query(LIST, search="S'S M")["projects"]["nodes"] == [{"name": "Agnes's move"}]
    assert owner.query(LIST, search="%")["projects"]["nodes"] == []


def test_linking_and_unlinking_customers(owner):
    ada, bob = customer(owner, "Ada"), customer(owner, "Bob")
    move, fair = created(owner), created(owner, "Trade fair")
    assert linked(owner, move, ada)["customers"]["nodes"] == [{"id": ada, "name": "Ada"}]
    again = linked(owner, move, ada)  # linking twice is one link
    assert again["customers"]["totalCount"] == 1
    linked(owner, move, bob)
    linked(owner, fair, ada)
    status(owner, move, "ACTIVE")
    seen = of_customer(owner, ada)
    assert seen["projects"]["activeCount"] == 1
    assert [n["name"] for n in seen["projects"]["all"]["nodes"]] == ["Trade fair", "Office move"]
    assert seen["projects"]["all"]["totalCount"] == 2
    badge = {t["key"]: t["badgeCount"] for t in seen["profileTabs"]}["projects"]
    assert badge == 1
    active = of_customer(owner, ada, status=["ACTIVE"])["projects"]["all"]
    assert [n["name"] for n in active["nodes"]] == ["Office move"]
    first = of_customer(owner, ada, first=1)["projects"]["all"]
    assert first["pageInfo"]["hasNextPage"]
    rest = of_customer(owner, ada, first=1, after=first["pageInfo"]["endCursor"])
    assert [n["name"] for n in rest["projects"]["all"]["nodes"]] == ["Office move"]
    # The customer's timeline shows the linking.
    actions = [n["action"] for n in owner.query(TIMELINE, id=bob)["customer"]["timeline"]["nodes"]]
    assert "project.customer_linked" in actions and "project.status_changed" in actions
    unlinked = link(owner, move, ada, "unlinkCustomerFromProject")
    assert unlinked["project"]["customers"]["nodes"] == [{"id": bob, "name": "Bob"}]
    assert of_customer(owner, ada)["projects"]["activeCount"] == 0
    assert link(owner, move, ada, "unlinkCustomerFromProject")["userErrors"] == []  # no-op
    actions = [n["action"] for n in owner.query(TIMELINE, id=ada)["customer"]["timeline"]["nodes"]]
    assert "project.customer_unlinked" in actions
    # Bad ids, an archived customer.
    unknown = {"id": gid("Project", 2_147_480_000)}
    assert codes(link(owner, unknown, ada)) == [(["input", "projectId"], "NOT_FOUND")]
    assert codes(link(owner, move, gid("Customer", 2_147_480_000))) == [
        (["input", "customerId"], "NOT_FOUND")
    ]
    owner.ok("archiveCustomer", {"customerId": bob})
    assert codes(link(owner, fair, bob)) == [(["input"], "CUSTOMER_ARCHIVED")]
    assert read(owner, move)["customers"] == {"totalCount": 0, "nodes": []}
    # Deleting the project removes its links.
    owner.ok("deleteProject", {"id": fair["id"]})
    assert of_customer(owner, ada)["projects"]["all"]["totalCount"] == 0


def test_a_restricted_worker_sees_only_the_customers_they_may_see(owner):
    ada, bob, cyd = (customer(owner, n) for n in ("Ada", "Bob", "Cyd"))
    agent_id = worker(owner, "Agnes Agent")
    agent = as_worker(owner, agent_id)
    owner.ok("assignWorkers", {"customerId": bob, "workerIds": [agent_id]})
    project = created(owner)
    for who in (ada, bob, cyd):
        linked(owner, project, who)
    assert read(owner, project)["customers"]["totalCount"] == 3
    seen = read(agent, project)
    assert seen["customers"] == {"totalCount": 1, "nodes": [{"id": bob, "name": "Bob"}]}
    listed = agent.query("{ projects { nodes { name customers { totalCount nodes { id } } } } }")[
        "projects"
    ]["nodes"]
    assert listed == [
        {"name": "Office move", "customers": {"totalCount": 1, "nodes": [{"id": bob}]}}
    ]
    assert agent.query(OF_CUSTOMER, id=ada)["customer"] is None
    # Agents may link what they may change, nothing they cannot see.
    assert codes(link(agent, project, ada)) == [(["input", "customerId"], "NOT_FOUND")]
    assert codes(link(agent, project, bob, "unlinkCustomerFromProject")) == []
    assert read(owner, project)["customers"]["totalCount"] == 2
    # Without projects.view nothing of the module shows.
    owner.ok(
        "setWorkerPermission",
        {"workerId": agent_id, "permission": "projects.view", "granted": False},
    )
    assert agent.query(NODE, id=project["id"])["node"] is None
    errors = agent.errors("{ projects { totalCount } }")
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


def test_another_tenant_sees_nothing(owner, other_api):
    other_api.enable("projects")
    theirs = created(other_api, "Theirs")
    zed = customer(other_api, "Zed")
    linked(other_api, theirs, zed)
    ada = customer(owner)
    assert read(owner, theirs) is None
    assert owner.query(LIST)["projects"] == {
        "totalCount": 0,
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }
    assert codes(link(owner, theirs, ada)) == [(["input", "projectId"], "NOT_FOUND")]
    for name, data in (
        ("updateProject", {"id": theirs["id"], "name": "Mine now"}),
        ("setProjectStatus", {"id": theirs["id"], "status": "ACTIVE"}),
        ("deleteProject", {"id": theirs["id"]}),
    ):
        assert codes(owner.mutate(name, data)) == [(["input", "id"], "NOT_FOUND")], name
    members = {"projectId": theirs["id"], "workerIds": [me(owner)]}
    assert codes(owner.mutate("addProjectMembers", members)) == [
        (["input", "projectId"], "NOT_FOUND")
    ]
    mine = created(owner)
    assert codes(link(owner, mine, zed)) == [(["input", "customerId"], "NOT_FOUND")]
    assert read(other_api, theirs)["customers"]["totalCount"] == 1
    assert read(other_api, theirs)["name"] == "Theirs"
    fresh = new_tenant(owner.client)
    errors = fresh.errors("{ projects { totalCount } }")
    assert errors[0]["extensions"]["code"] == "MODULE_DISABLED"


def test_bad_input_is_a_coded_error(owner):
    errors = owner.errors(LIST, first=500)
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    errors = owner.errors(LIST, after="nonsense")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    errors = owner.errors(LIST, owner=gid("Worker", 2_147_480_000))
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    ada = customer(owner)
    errors = owner.errors(OF_CUSTOMER, id=ada, after="bm9wZQ")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    project = created(owner)
    wrong = owner.mutate("updateProject", {"id": ada, "name": "Not a project"})
    assert codes(wrong) == [(["input", "id"], "NOT_FOUND")]
    assert codes(link(owner, {"id": ada}, ada)) == [(["input", "projectId"], "NOT_FOUND")]
    assert codes(link(owner, project, project["id"])) == [(["input", "customerId"], "NOT_FOUND")]
    many = {"projectId": project["id"], "workerIds": [me(owner)] * 101}
    assert codes(owner.mutate("addProjectMembers", many)) == [(["input", "workerIds"], "INVALID")]


def test_merging_keeps_one_link_and_erasure_drops_them(owner):
    source, target, other = (customer(owner, n) for n in ("Ada L.", "Ada Lovelace", "Bob"))
    both, only_source = created(owner, "Both"), created(owner, "Source only")
    for who in (source, target, other):
        linked(owner, both, who)
    linked(owner, only_source, source)
    owner.ok("mergeCustomers", {"sourceId": source, "targetId": target}, "customer { id }")
    names = of_customer(owner, target)["projects"]["all"]
    assert sorted(n["name"] for n in names["nodes"]) == ["Both", "Source only"]
    assert read(owner, both)["customers"]["totalCount"] == 2
    export = owner.query("query($id: ID!) { customerExport(id: $id) }", id=target)
    assert sorted(p["name"] for p in export["customerExport"]["modules"]["projects"]) == [
        "Both",
        "Source only",
    ]
    owner.ok("deleteCustomer", {"id": target})
    assert [c["id"] for c in read(owner, both)["customers"]["nodes"]] == [other]
    assert read(owner, only_source)["customers"]["totalCount"] == 0


# --- statement counts ------------------------------------------------------------------------

PAGE = """query($first: Int) { customers(first: $first) { nodes {
  name
  profileTabs { key badgeCount }
  projects {
    activeCount
    all(first: 3) { totalCount nodes { name status owner { name } members { name }
                    customers(first: 5) { totalCount nodes { name } } } }
    active: all(first: 2, status: ACTIVE) { totalCount nodes { name } }
  }
} } }"""


def test_the_list_page_costs_the_same_statements_for_3_or_12_customers(owner, engine):
    people = [customer(owner, f"C{i:02}") for i in range(12)]
    projects = [created(owner, f"P{j}", memberIds=[me(owner)]) for j in range(4)]
    for j, project in enumerate(projects):
        if j % 2 == 0:
            status(owner, project, "ACTIVE")
        for i, who in enumerate(people):
            if i % 4 >= j or i == 0:
                linked(owner, project, who)
    owner.query(PAGE, first=1)
    with count_statements(engine) as few:
        small = owner.query(PAGE, first=3)["customers"]["nodes"]
    with count_statements(engine) as many:
        large = owner.query(PAGE, first=12)["customers"]["nodes"]
    print(f"statements: first 3 -> {few.count}, first 12 -> {many.count}")
    assert len(small) == 3 and len(large) == 12
    assert few.count == many.count, (few.statements, many.statements)
    for node in large:
        projects_of = node["projects"]
        badge = {t["key"]: t["badgeCount"] for t in node["profileTabs"]}["projects"]
        assert badge == projects_of["activeCount"] == projects_of["active"]["totalCount"]
        assert projects_of["all"]["totalCount"] >= len(projects_of["all"]["nodes"])


PROJECTS_PAGE = """query($first: Int) { projects(first: $first) { totalCount nodes {
  name owner { name } members { name } createdBy { name }
  customers(first: 5) { totalCount nodes { name } pageInfo { hasNextPage } }
} } }"""


def test_a_page_of_projects_with_their_customers_costs_the_same_statements(owner, engine):
    agent_id = worker(owner, "Agnes Agent")
    agent = as_worker(owner, agent_id)
    people = [customer(owner, f"C{i:02}") for i in range(6)]
    for who in people[::2]:
        owner.ok("assignWorkers", {"customerId": who, "workerIds": [agent_id]})
    for j in range(12):
        project = created(owner, f"P{j:02}", memberIds=[agent_id])
        for who in people[: j % 6 + 1]:
            linked(owner, project, who)
    for api in (owner, agent):
        api.query(PROJECTS_PAGE, first=1)
        with count_statements(engine) as few:
            small = api.query(PROJECTS_PAGE, first=3)["projects"]["nodes"]
        with count_statements(engine) as many:
            large = api.query(PROJECTS_PAGE, first=12)["projects"]["nodes"]
        print(f"projects page: first 3 -> {few.count}, first 12 -> {many.count}")
        assert len(small) == 3 and len(large) == 12
        assert few.count == many.count, (few.statements, many.statements)
    seen = {n["name"]: n["customers"]["totalCount"] for n in large}
    assert seen["P05"] == 3 and seen["P00"] == 1 and seen["P01"] == 1
