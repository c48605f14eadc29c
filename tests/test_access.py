"""Who sees and changes what: the visibility rule, folder access, permission overrides."""

import pytest

from tests.support import Api, count_statements, pk_of

LIST = "{ customers { totalCount nodes { name } } }"
ONE = "query($id: ID!) { customer(id: $id) { name } }"


def worker(api: Api, name: str, role: str) -> Api:
    email = name.lower().replace(" ", ".") + "@example.com"
    payload = api.ok("createWorker", {"name": name, "email": email, "role": role}, "worker { id }")
    return Api(api.client, api.tenant_id, pk_of(payload["worker"]["id"]))


def customer(api: Api, name: str, **fields) -> str:
    return api.ok("createCustomer", {"name": name, **fields}, "customer { id }")["customer"]["id"]


def folder(api: Api, name: str) -> str:
    return api.ok("createFolder", {"name": name, "color": "#123456"}, "folder { id }")["folder"][
        "id"
    ]


def names(api: Api) -> list[str]:
    data = api.query(LIST)["customers"]
    assert data["totalCount"] == len(data["nodes"])
    return sorted(n["name"] for n in data["nodes"])


def codes(errors: list[dict]) -> list[str]:
    return [e["extensions"]["code"] for e in errors]


@pytest.fixture
def shop(api):
    """An owner, an agent and a manager; customers in and out of a Sales folder."""
    agent = worker(api, "Ann Agent", "AGENT")
    manager = worker(api, "Max Manager", "MANAGER")
    sales = folder(api, "Sales")
    ids = {
        "assigned": customer(api, "Assigned", workerIds=[api_id(agent)]),
        "in_sales": customer(api, "In Sales", folders=[{"folderId": sales}]),
        "elsewhere": customer(api, "Elsewhere"),
    }
    return api, agent, manager, sales, ids


def api_id(actor: Api) -> str:
    from tests.support import gid

    return gid("Worker", actor.worker_id)


def test_owner_sees_all_agent_sees_what_is_assigned(shop):
    owner, agent, manager, _sales, ids = shop
    assert names(owner) == ["Assigned", "Elsewhere", "In Sales"]
    assert names(agent) == ["Assigned"]
    assert names(manager) == []
    hidden = agent.query(ONE, id=ids["elsewhere"])
    assert hidden == agent.query(ONE, id="Q3VzdG9tZXI6OTk5OTk5")
    assert hidden == {"customer": None}
    node = agent.query("query($id: ID!) { node(id: $id) { id } }", id=ids["in_sales"])
    assert node == {"node": None}
    search = agent.query('{ customers(filter: {search: "sales"}) { totalCount } }')
    assert search["customers"]["totalCount"] == 0


def test_writes_to_an_invisible_customer_look_like_unknown_ones(shop):
    _owner, agent, _manager, _sales, ids = shop
    hidden = agent.mutate(
        "updateCustomer", {"id": ids["elsewhere"], "city": "Paris"}, "customer { id }"
    )
    unknown = agent.mutate(
        "updateCustomer", {"id": "Q3VzdG9tZXI6OTk5OTk5", "city": "Paris"}, "customer { id }"
    )
    assert hidden == unknown
    assert hidden["userErrors"][0]["code"] == "NOT_FOUND"


def test_folder_view_access_shows_but_does_not_allow_edits(shop):
    owner, agent, _manager, sales, ids = shop
    owner.ok(
        "setFolderAccess", {"folderId": sales, "role": "AGENT", "level": "VIEW"}, "folder { id }"
    )
    assert names(agent) == ["Assigned", "In Sales"]
    update = (
        'mutation($id: ID!) { updateCustomer(input: {id: $id, city: "P"}) { customer { id } } }'
    )
    errors = agent.errors(update, id=ids["in_sales"])
    assert codes(errors) == ["FORBIDDEN"]
    owner.ok(
        "setFolderAccess", {"folderId": sales, "role": "AGENT", "level": "EDIT"}, "folder { id }"
    )
    agent.ok("updateCustomer", {"id": ids["in_sales"], "city": "Paris"})
    owner.ok(
        "setFolderAccess", {"folderId": sales, "role": "AGENT", "level": "NONE"}, "folder { id }"
    )
    assert names(agent) == ["Assigned"]


def test_folder_access_for_one_worker(shop):
    owner, agent, manager, sales, _ids = shop
    owner.ok(
        "setFolderAccess",
        {"folderId": sales, "workerId": api_id(manager), "level": "VIEW"},
        "folder { id }",
    )
    assert names(manager) == ["In Sales"]
    assert names(agent) == ["Assigned"]
    rules = owner.query(
        "query($id: ID!) { folderAccess(folderId: $id) { role level worker { name } } }", id=sales
    )
    assert rules["folderAccess"] == [
        {"role": None, "level": "VIEW", "worker": {"name": "Max Manager"}}
    ]


def test_an_agent_sees_what_they_create(shop):
    _owner, agent, _manager, _sales, _ids = shop
    customer(agent, "Walk-in")
    assert names(agent) == ["Assigned", "Walk-in"]


def test_role_and_worker_overrides(shop):
    owner, agent, _manager, _sales, _ids = shop
    table = owner.ok(
        "setRolePermission",
        {"role": "AGENT", "permission": "customers.edit", "granted": False},
        "table { roles { role permissions } }",
    )["table"]
    agent_row = next(r for r in table["roles"] if r["role"] == "AGENT")
    assert "customers.edit" not in agent_row["permissions"]
    errors = agent.errors('mutation { createCustomer(input: {name: "X"}) { customer { id } } }')
    assert codes(errors) == ["FORBIDDEN"]
    owner.ok(
        "setRolePermission", {"role": "AGENT", "permission": "customers.edit", "granted": None}
    )
    customer(agent, "Allowed again")
    owner.ok(
        "setWorkerPermission",
        {"workerId": api_id(agent), "permission": "customers.view_all", "granted": True},
    )
    assert names(agent) == ["Allowed again", "Assigned", "Elsewhere", "In Sales"]
    assert "customers.view_all" in agent.query("{ me { permissions } }")["me"]["permissions"]


def test_overrides_are_checked(shop):
    owner, agent, manager, _sales, _ids = shop
    cases = [
        ({"role": "OWNER", "permission": "customers.edit", "granted": False}, "OWNER"),
        ({"role": "AGENT", "permission": "no.such", "granted": True}, "NOT_FOUND"),
    ]
    for input, code in cases:
        payload = owner.mutate("setRolePermission", input, "table { permissions }")
        assert [e["code"] for e in payload["userErrors"]] == [code]
        assert payload["table"] is None
    unknown = owner.mutate(
        "setWorkerPermission",
        {"workerId": "V29ya2VyOjk5OTk5", "permission": "customers.edit", "granted": True},
    )
    assert [(e["field"], e["code"]) for e in unknown["userErrors"]] == [
        (["input", "workerId"], "NOT_FOUND")
    ]
    for actor in (agent, manager):
        assert codes(actor.errors("{ permissionTable { permissions } }")) == ["FORBIDDEN"]


@pytest.mark.parametrize(
    "role,mutation,input,allowed",
    [
        ("MANAGER", "createFolder", {"name": "F", "color": "#000000"}, True),
        ("MANAGER", "createTag", {"name": "T", "color": "#000000"}, True),
        ("MANAGER", "createWorker", {"name": "W", "email": "w@example.com"}, False),
        ("MANAGER", "enableModule", {"module": "tickets"}, False),
        ("AGENT", "createFolder", {"name": "F", "color": "#000000"}, False),
        ("AGENT", "createTag", {"name": "T", "color": "#000000"}, False),
        ("AGENT", "createStatus", {"name": "S", "color": "#000000", "category": "ACTIVE"}, False),
        (
            "AGENT",
            "createCustomFieldDefinition",
            {"key": "k", "label": "K", "type": "TEXT"},
            False,
        ),
        ("AGENT", "updateTenantSettings", {"name": "Mine now"}, False),
    ],
)
def test_role_matrix(api, role, mutation, input, allowed):
    actor = worker(api, f"Someone {role.title()}", role)
    input_type = f"{mutation[0].upper()}{mutation[1:]}Input"
    query = (
        f"mutation($input: {input_type}!) "
        f"{{ {mutation}(input: $input) {{ userErrors {{ code }} }} }}"
    )
    response = actor.post(query, {"input": input}).json()
    if allowed:
        assert "errors" not in response, response
    else:
        assert codes(response["errors"]) == ["FORBIDDEN"], response


def test_sub_customers_can_stay_out_of_a_workers_list(api):
    parent = customer(api, "Parent")
    customer(api, "Child", parentId=parent)
    assert names(api) == ["Child", "Parent"]
    me = api.query("{ me { worker { id } } }")["me"]["worker"]["id"]
    api.ok("updateWorker", {"id": me, "showSubCustomers": False}, "worker { showSubCustomers }")
    assert names(api) == ["Parent"]
    children = api.query(
        "query($p: ID!) { customers(filter: {parentId: $p}) { nodes { name } } }", p=parent
    )
    assert children["customers"]["nodes"] == [{"name": "Child"}]


FOLDER_COUNTS = "{ folders { name customerCount } }"


def folder_counts(actor: Api) -> dict[str, int]:
    return {f["name"]: f["customerCount"] for f in actor.query(FOLDER_COUNTS)["folders"]}


def test_folder_counts_count_what_each_worker_may_see(shop):
    """Through the visibility rule for every role: its folder subquery once read the counted
    `customer_folders` itself (no FROM left: an error, the whole `folders` answer null)."""
    owner, agent, manager, sales, ids = shop
    support = folder(owner, "Support")
    for customer_id in (ids["assigned"], ids["elsewhere"]):
        owner.ok(
            "addCustomerToFolders",
            {"customerId": customer_id, "folders": [{"folderId": support}]},
            "customer { id }",
        )
    assert folder_counts(owner) == {"Sales": 1, "Support": 2}
    assert folder_counts(agent) == {"Sales": 0, "Support": 1}
    assert folder_counts(manager) == {"Sales": 0, "Support": 0}
    owner.ok("setFolderAccess", {"folderId": sales, "role": "MANAGER", "level": "VIEW"})
    owner.ok("setFolderAccess", {"folderId": support, "workerId": api_id(agent), "level": "VIEW"})
    assert folder_counts(manager) == {"Sales": 1, "Support": 0}
    assert folder_counts(agent) == {"Sales": 0, "Support": 2}


def test_folder_counts_take_the_same_statements_for_more_folders(shop, engine):
    owner, agent, manager, sales, _ids = shop
    owner.ok("setFolderAccess", {"folderId": sales, "role": "AGENT", "level": "VIEW"})
    for actor in (agent, manager):
        folder_counts(actor)  # warm-up
        with count_statements(engine) as two:
            folder_counts(actor)
        for n in range(3):
            folder(owner, f"More {actor.worker_id}.{n}")
        with count_statements(engine) as five:
            assert len(folder_counts(actor)) >= 4
        assert two.count == five.count, (two.statements, five.statements)


PAGE = "{ customers(first: 10) { nodes { name } } }"
FROM_LINKS = "customers.id IN (SELECT customer_workers.customer_id"


def page_statement(api: Api, engine) -> tuple[list[str], str]:
    with count_statements(engine) as seen:
        names = [n["name"] for n in api.query(PAGE)["customers"]["nodes"]]
    (page,) = [s for s in seen.statements if s.startswith("WITH page")]
    return names, page


@pytest.mark.parametrize("override", ["setRolePermission", "setWorkerPermission"])
def test_an_admin_restricted_by_an_override_starts_from_their_links(shop, engine, override):
    """An admin's links are counted only when an override may restrict them (counting an
    admin's thousands of assignments cost every request 1 ms): once it does, their page
    starts from those few links, as any restricted worker's does, not from a walk."""
    owner = shop[0]
    admin = worker(owner, "Ada Admin", "ADMIN")
    customer(owner, "Hers", workerIds=[api_id(admin)])
    assert sorted(page_statement(admin, engine)[0]) == ["Assigned", "Elsewhere", "Hers", "In Sales"]
    who = {"role": "ADMIN"} if override == "setRolePermission" else {"workerId": api_id(admin)}
    owner.ok(override, {**who, "permission": "customers.view_all", "granted": False})
    names, page = page_statement(admin, engine)
    assert names == ["Hers"]
    assert FROM_LINKS in page
