"""The compiled execution path (`schema/compiled`) against the usual one: two more apps on
the test database, one answering what compiles with one statement per root field, one
running everything field by field, both saying which path answered (`EXECUTION_DEBUG`).
Every operation of the corpus is sent to both as the demo's owner, a restricted agent and a
worker without a module's permission; the answers must be the same JSON (keys sorted) with
the same errors, and the corpus must take the compiled path. Random selections over the
compiled subset (hypothesis) are in `test_compiled_properties.py`."""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bench.__main__ import LIST_PAGE
from bench.scale.scenarios import LIST
from core.demo import seed_demo
from server import create_app
from tests.fixtures import run
from tests.support import Api, count_statements, create_worker, pk_of, token_for

pytestmark = pytest.mark.seeded_demo  # the demo is in the databases from the start

ROOT = Path(__file__).resolve().parent.parent
CUSTOMER_LIST = """
fragment ListRow on Customer {
  id name avatarUrl kind primaryPhone primaryEmail
  status { id name color } tags { id name color } profileTabs { key badgeCount }
}
query CustomerList($first: Int = 50, $after: String, $filter: CustomerFilter,
                   $orderBy: CustomerOrder) {
  customers(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount totalCountIsExact
    pageInfo { hasNextPage endCursor }
    edges { cursor node { ...ListRow } }
  }
}"""

EVERYTHING = """
query($first: Int, $after: String, $filter: CustomerFilter, $orderBy: CustomerOrder,
      $where: CustomerWhere, $archived: ArchivedCustomers) {
  __typename
  list: customers(first: $first, after: $after, filter: $filter, orderBy: $orderBy,
                  where: $where, archived: $archived) {
    __typename totalCount totalCountIsExact
    pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id }
    edges {
      __typename cursor
      node {
        __typename id kind name avatarUrl company leadSource city notes followUpAt blocked
        blockedReason blockedAt salutation jobTitle dateOfBirth website industry createdAt
        updatedAt version archivedAt externalId primaryPhone primaryEmail
        phones { __typename label value primary } emails { label value primary }
        status { __typename id name color category position isDefault }
        tags { __typename id name color position }
        folders { __typename addedAt folder { id name color position createdAt }
                  status { id name color category } }
        workers { __typename id name email avatarUrl role atWork position showSubCustomers }
        parent { id name kind status { name } tags { name } }
        subCustomerCount
        profileTabs { __typename key title icon badgeCount }
        ... on Node { also: id }
        ...Extra
      }
    }
  }
}
fragment Extra on Customer { name alias: company tickets { openCount overdueCount } }"""

ONE = """
query($id: ID!) {
  customer(id: $id) {
    __typename id name kind version updatedAt archivedAt primaryEmail
    phones { label value primary }
    status { id name color category } tags { id name }
    folders { addedAt folder { id name } status { id name } }
    workers { id name atWork } parent { id name status { name } }
    subCustomerCount profileTabs { key title icon badgeCount }
    tickets { openCount overdueCount }
  }
  again: customer(id: $id) { id }
}"""

KIDS = """
query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    id subCustomerCount
    subCustomers(first: $first, after: $after) {
      __typename
      edges { cursor node { id name kind status { name } tags { name } } }
      nodes { id }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}"""

BACKWARDS = """
query($last: Int, $before: String, $first: Int, $orderBy: CustomerOrder) {
  customers(last: $last, before: $before, first: $first, orderBy: $orderBy) {
    edges { cursor node { id name updatedAt } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}"""


def _profile(document: str) -> str:
    """The front end's `CustomerProfile` alone."""
    query = "query CustomerProfile" + document.split("query CustomerProfile", 1)[1]
    return query.split("\nmutation", 1)[0]


PROFILE = _profile((ROOT / "frontend" / "src" / "operations.graphql").read_text())

PROFILE_ROWS = """
query($first: Int) { customers(first: $first) { nodes {
  id
  customFields {
    __typename
    definition { __typename id key label type description required group position options }
    text number date dateTime boolean options
    again: text
  }
  viewerCan { __typename edit delete archive modules { __typename module permissions manage } }
  fields: customFields { definition { key } boolean }
} } }"""
TIMELINE = """
query($id: ID!, $first: Int, $after: String, $actions: [String!]) {
  customer(id: $id) {
    id
    timeline(first: $first, after: $after, filter: {actions: $actions}) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { __typename id action occurredAt summary data actor { id name } } }
    }
  }
}"""

MODULES = """
query { customers(first: 30) { nodes { id tickets { __typename openCount overdueCount } } } }"""

FALLBACK = {
    "a mutation": (
        'mutation { deleteTag(input: {id: "bm9uZQ"}) { userErrors { code } } }',
        {},
    ),
    "a nullable order": (
        "{ customers(first: 5, orderBy: {field: FOLLOW_UP_AT}) { nodes { id } } }",
        {},
    ),
    "a sort key": ('{ customers(first: 5, orderBy: {key: "city"}) { nodes { id } } }', {}),
    "a field with arguments": (
        "{ customers(first: 5) { nodes { id subCustomers(first: 2) { nodes { id } } } } }",
        {},
    ),
    "a Python-only field": (
        "{ customers(first: 5) { nodes { id customFields { definition { folders { id } } } } } }",
        {},
    ),
    "a directive": (
        "query($x: Boolean!) { customers(first: 5) { nodes { id name @include(if: $x) } } }",
        {"x": True},
    ),
    "another root field": ("{ customers(first: 2) { nodes { id } } workers { id } }", {}),
}


@pytest.fixture(scope="module")
def paths(settings):
    """(compiled, fallback): apps on the session's database, saying which path answered."""
    compiled = settings.model_copy(update={"execution_debug": True})
    fallback = compiled.model_copy(update={"compiled_execution": False})
    with TestClient(create_app(compiled)) as a, TestClient(create_app(fallback)) as b:
        yield a, b


@pytest.fixture(scope="module")
def demo(client) -> Api:
    tenant_id, owner_id = run(
        client, lambda: seed_demo(client.app.state.db, client.app.state.plugins)
    )
    return Api(client, tenant_id, owner_id)


@pytest.fixture(scope="module")
def workers(demo) -> dict[str, str]:
    """Tokens: the owner, a restricted agent of the demo, a manager without `tickets.view`."""
    people = demo.query("{ workers { id role } }")["workers"]
    agent = next(w["id"] for w in people if w["role"] == "AGENT")
    # one per test module using this fixture (they share the demo tenant)
    manager = create_worker(demo, f"Noticket Manager {uuid.uuid4().hex[:8]}", "MANAGER")
    demo.ok(
        "setWorkerPermission",
        {"workerId": manager, "permission": "tickets.view", "granted": False},
        "table { permissions }",
    )
    tokens = {"owner": demo.token}
    for name, worker in (("agent", agent), ("manager", manager)):
        tokens[name] = token_for(demo.tenant_id, pk_of(worker))
    return tokens


def normalised(body: dict) -> str:
    for error in body.get("errors") or []:
        (error.get("extensions") or {}).pop("requestId", None)
    return json.dumps(body, sort_keys=True)


def both(
    paths, token: str, query: str, variables: dict | None = None, operation: str | None = None
) -> tuple[str, dict]:
    """(the path the compiled app took, its answer), after checking the fallback's is the
    same JSON with the same status. The demo's appointments and reservations start on the
    hour: a pair of requests that straddles one's start sees two badge counts, so when the
    answers differ the compiled app is asked again, and the fallback's answer must equal
    that one (a difference that is not the clock's fails both times)."""
    sent = {"query": query, "variables": variables or {}}
    if operation is not None:
        sent["operationName"] = operation
    compiled, fallback = paths

    def ask(app) -> tuple[int, str | None, dict]:
        response = app.post("/graphql", json=sent, headers={"Authorization": f"Bearer {token}"})
        body = response.json()
        return response.status_code, body.pop("extensions", {}).get("execution"), body

    status, path, body = ask(compiled)
    other_status, other_path, other = ask(fallback)
    assert other_path == "fallback"
    if (status, normalised(body)) != (other_status, normalised(other)):
        status, path, body = ask(compiled)
    assert (status, normalised(body)) == (other_status, normalised(other))
    return path, body


def assert_module_compiles(
    paths, api, module: str, permission: str, expected: dict, covered: list, uncovered: list
) -> None:
    """What a module's `hub_compiled_customer_fields` must do (its tests call this once its
    data is in place): `covered[0]` compiles and gives `expected` ({customer id: the
    module's object}, the three customers oldest first), the other `covered` selections
    compile too, the `uncovered` ones take the usual path; an agent assigned to the first
    and last customer sees those two, newest first, compiled; an admin without
    `permission` is refused the usual way."""
    first, _, last = expected
    agent = create_worker(api, "Assigned Agent", "AGENT")
    for customer_id in (first, last):
        api.ok("assignWorkers", {"customerId": customer_id, "workerIds": [agent]})
    refused = create_worker(api, "Refused Admin", "ADMIN")
    change = {"workerId": refused, "permission": permission, "granted": False}
    api.ok("setWorkerPermission", change, "table { permissions }")
    counts = "query { customers(first: 20) { nodes { id %s { %s } } } }"

    path, body = both(paths, api.token, counts % (module, covered[0]))
    assert path == "compiled", body
    assert {n["id"]: n[module] for n in body["data"]["customers"]["nodes"]} == expected
    for fields in covered[1:]:
        path, body = both(paths, api.token, counts % (module, fields))
        assert path == "compiled", (fields, body)
    for fields in uncovered:
        path, _ = both(paths, api.token, counts % (module, fields))
        assert path == "fallback", fields

    agent_token = token_for(api.tenant_id, pk_of(agent))
    path, body = both(paths, agent_token, counts % (module, covered[0]))
    assert path == "compiled", body
    assert [n["id"] for n in body["data"]["customers"]["nodes"]] == [last, first]
    refused_token = token_for(api.tenant_id, pk_of(refused))
    path, body = both(paths, refused_token, counts % (module, covered[0]))
    assert path == "fallback"
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body


def corpus(demo: Api) -> list[tuple[str, str, dict]]:
    page = demo.query("{ customers(first: 3) { pageInfo { endCursor } } }")["customers"]
    after = page["pageInfo"]["endCursor"]
    folders = demo.query("{ folders { id } }")["folders"]
    tags = demo.query("{ tags { id } }")["tags"]
    statuses = demo.query("{ statuses { id } }")["statuses"]
    named = {"first": 20, "orderBy": {"field": "NAME", "direction": "ASC"}}
    by_name = {"orderBy": named["orderBy"]}
    cursors = (
        "query($o: CustomerOrder) { customers(first: 10, orderBy: $o) { pageInfo { endCursor } } }"
    )
    tenth = demo.query(cursors, o=None)["customers"]["pageInfo"]["endCursor"]
    tenth_by_name = demo.query(cursors, o=by_name["orderBy"])["customers"]["pageInfo"]["endCursor"]
    first = demo.query("{ customers(first: 1) { nodes { id } } }")["customers"]["nodes"][0]["id"]
    children = demo.query("{ customers(first: 1, filter: {hasParent: true}) { nodes { id } } }")
    child = children["customers"]["nodes"][0]["id"]
    parents = demo.query(
        "{ customers(first: 100) { nodes { id subCustomerCount "
        "subs: subCustomers(first: 2) { pageInfo { endCursor } } } } }"
    )["customers"]["nodes"]
    richest = max(parents, key=lambda n: n["subCustomerCount"])
    parent, kid_cursor = richest["id"], richest["subs"]["pageInfo"]["endCursor"]
    lines = demo.query(TIMELINE, id=first, first=3)["customer"]["timeline"]
    line_cursor = lines["pageInfo"]["endCursor"]
    return [
        ("bench list page", LIST_PAGE, {"first": 50}),
        ("scale list page", LIST, {"first": 50}),
        ("front end's CustomerList", CUSTOMER_LIST, {}),
        ("every compiled field", EVERYTHING, {"first": 40}),
        ("the next page", EVERYTHING, {"first": 10, "after": after}),
        ("an empty page", EVERYTHING, {"first": 0}),
        ("by name", EVERYTHING, named),
        ("by creation, oldest first", EVERYTHING, {"orderBy": {"direction": "ASC"}}),
        ("search", CUSTOMER_LIST, {"filter": {"search": "an"}}),
        ("folder", CUSTOMER_LIST, {"filter": {"folderIds": [folders[0]["id"]]}}),
        ("tags", CUSTOMER_LIST, {"filter": {"tags": {"ids": [tags[0]["id"]]}}}),
        ("status", CUSTOMER_LIST, {"filter": {"statusIds": [statuses[0]["id"]]}}),
        ("kinds", CUSTOMER_LIST, {"filter": {"kinds": ["LEAD"]}}),
        ("where", EVERYTHING, {"where": {"field": "city", "op": "EQ", "value": "London"}}),
        ("archived too", EVERYTHING, {"first": 30, "archived": "INCLUDE"}),
        ("module fields", MODULES, {}),
        ("one customer", ONE, {"id": first}),
        ("a sub-customer", ONE, {"id": child}),
        ("an unknown customer", ONE, {"id": "bm9uZQ"}),
        ("the last page", BACKWARDS, {"last": 5}),
        ("a page before a cursor", BACKWARDS, {"last": 3, "before": tenth}),
        ("by name, before a cursor", BACKWARDS, {"last": 4, "before": tenth_by_name, **by_name}),
        ("first, before a cursor", BACKWARDS, {"first": 3, "before": tenth}),
        ("sub-customers", KIDS, {"id": parent, "first": 2}),
        ("more sub-customers", KIDS, {"id": parent, "first": 2, "after": kid_cursor}),
        ("no sub-customers", KIDS, {"id": child, "first": 5}),
        ("custom fields and viewerCan on a page", PROFILE_ROWS, {"first": 100}),
        *(("the front end's profile", PROFILE, {"id": i}) for i in profiles(demo)),
        ("a timeline", TIMELINE, {"id": first}),
        ("a timeline's next page", TIMELINE, {"id": first, "first": 3, "after": line_cursor}),
        ("some events", TIMELINE, {"id": first, "actions": ["ticket.opened", "customer.created"]}),
        ("a sub-customer's timeline", TIMELINE, {"id": child, "first": 2}),
    ]


def profiles(demo: Api) -> list[str]:
    """Customers of the demo whose custom fields differ in kind: in no folder, and ones
    showing a folder-bound field or a dependent one (each of the demo's conditions)."""
    rows = demo.query(
        "{ customers(first: 100) { nodes { id customFields { definition { key } } "
        "folders { folder { id } } } } }"
    )["customers"]["nodes"]
    picked = [next(r["id"] for r in rows if not r["folders"])]
    for key in ("contract_value", "account_tier", "concierge", "lost_details", "newsletter_topics"):
        shown = [
            r["id"] for r in rows if key in {f["definition"]["key"] for f in r["customFields"]}
        ]
        picked += shown[:1]
    assert len(picked) >= 4, picked  # folder-bound and dependent fields among them
    return picked


def test_the_corpus_compiles_and_answers_as_the_resolvers_do(paths, demo, workers):
    for name, query, variables in corpus(demo):
        for worker, token in workers.items():
            path, body = both(paths, token, query, variables)
            refused = worker == "manager" and "tickets" in query  # FORBIDDEN: the usual path
            expected = "fallback" if refused else "compiled"
            assert path == expected, (name, worker, body)
            if path == "compiled":
                assert "errors" not in body, (name, worker, body)


def test_the_readme_and_the_front_end_guide_answer_alike(paths, demo, workers):
    """The README's first query and the front end's queries: the list and the sidebar
    compile, and so does the profile (custom fields, `viewerCan`, its timeline)."""
    readme = (ROOT / "README.md").read_text().split("```graphql\n", 1)[1].split("```", 1)[0]
    document = (ROOT / "frontend" / "src" / "operations.graphql").read_text()
    customer = demo.query("{ customers(first: 1) { nodes { id } } }")["customers"]["nodes"][0]
    expected = {"CustomerList": "compiled", "CustomerProfile": "compiled"}
    expected["CustomerSidebar"] = "compiled"
    for token in workers.values():
        assert both(paths, token, readme)[0] == "compiled"
        for name, path in expected.items():
            variables = {} if name == "CustomerList" else {"id": customer["id"]}
            assert both(paths, token, document, variables, name)[0] == path, name
        assert both(paths, token, PROFILE, {"id": customer["id"]})[0] == "compiled"


def test_what_does_not_compile_takes_the_usual_path(paths, workers):
    for name, (query, variables) in FALLBACK.items():
        path, _ = both(paths, workers["owner"], query, variables)
        assert path == "fallback", name


def test_bad_input_gets_the_usual_errors(paths, demo, workers):
    other = demo.query("{ customers(first: 1, orderBy: {field: NAME}) { pageInfo { endCursor } } }")
    cursor = other["customers"]["pageInfo"]["endCursor"]
    cases = [
        ({"first": 5, "after": cursor}, "INVALID_CURSOR"),
        ({"first": 101}, "PAGE_SIZE"),
        ({"first": 5, "filter": {"statusIds": ["bm90IGFuIGlk"]}}, None),
        ({"first": "five"}, "BAD_USER_INPUT"),
        ({"first": 5, "where": {"field": "nothing", "op": "EQ", "value": 1}}, None),
    ]
    for variables, code in cases:
        _, body = both(paths, workers["owner"], EVERYTHING, variables)
        if code is not None:
            assert code in json.dumps(body["errors"]), body


def test_another_tenant_sees_none_of_the_demo(paths, client, demo):
    other = Api(client, *run(client, lambda: _tenant(client)))
    path, body = both(paths, other.token, LIST_PAGE, {"first": 50})
    assert path == "compiled"
    assert body["data"]["customers"]["edges"] == []


async def _tenant(client):
    from core.tenants import create_tenant

    async with client.app.state.db.transaction() as session:
        tenant, owner = await create_tenant(session, "Elsewhere", "Eli", "eli@elsewhere.example")
        return tenant.id, owner.id


def test_a_compiled_page_is_one_statement_more_than_no_page(paths, engine, workers):
    compiled = paths[0]
    headers = {"Authorization": f"Bearer {workers['owner']}"}

    def statements(query: str, variables: dict) -> int:
        compiled.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        with count_statements(compiled.app.state.db.engine) as counter:
            body = compiled.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            ).json()
        assert body["extensions"]["execution"] == "compiled", body
        return counter.count

    floor = statements("{ __typename }", {})
    assert statements(EVERYTHING.replace("totalCount totalCountIsExact", ""), {"first": 50}) == (
        floor + 1
    )
    assert statements(LIST_PAGE.replace("totalCount", ""), {"first": 50}) == floor + 1
    customer = compiled.post(
        "/graphql", json={"query": "{ customers(first: 1) { nodes { id } } }"}, headers=headers
    ).json()["data"]["customers"]["nodes"][0]
    assert statements(PROFILE, {"id": customer["id"]}) == floor + 1
    assert statements(PROFILE_ROWS, {"first": 50}) == floor + 1


def test_the_metrics_count_the_paths(paths, workers):
    compiled = paths[0]
    headers = {"Authorization": f"Bearer {workers['owner']}"}
    for query in (LIST, FALLBACK["a nullable order"][0]):
        compiled.post("/graphql", json={"query": query, "variables": {"first": 5}}, headers=headers)
    text = compiled.get("/metrics").text
    assert 'hub_execution_paths_total{path="compiled"}' in text
    assert 'hub_execution_paths_total{path="fallback"}' in text


def test_the_debug_extension_is_off_by_default(demo):
    body = demo.post(LIST, {"first": 5}).json()
    assert "execution" not in body.get("extensions", {})
    assert len(body["data"]["customers"]["edges"]) == 5


def test_a_kept_plan_reads_the_time_of_each_request(paths, api):
    """The compiled path keeps each principal's badge and module-field selects: a ticket
    falls due and an appointment starts between two requests of the same plan, and the
    second answer says so, as the resolvers do."""
    api.enable("tickets")
    api.enable("appointments")
    ada = api.ok("createCustomer", {"name": "Ada"}, "customer { id }")["customer"]["id"]
    wanda = api.ok(
        "createWorker",
        {"name": "Wanda", "email": "wanda@example.com", "role": "MANAGER"},
        "worker { id }",
    )["worker"]["id"]
    soon = datetime.now(UTC) + timedelta(
        seconds=6
    )  # the first answers come before it, loaded or not
    ticket = {"customerId": ada, "subject": "Call back", "dueAt": soon.isoformat()}
    api.ok("openTicket", ticket, "ticket { id }")
    later = (soon + timedelta(hours=1)).isoformat()
    booking = {"customerId": ada, "workerId": wanda, "start": soon.isoformat(), "end": later}
    api.ok("bookAppointment", booking, "appointment { id }")
    query = """{ customers(first: 5) { nodes { tickets { openCount overdueCount }
      appointments { upcomingCount } profileTabs { key badgeCount } } } }"""

    def seen() -> tuple:
        path, body = both(paths, api.token, query)
        assert path == "compiled", body
        (node,) = body["data"]["customers"]["nodes"]
        badges = {t["key"]: t["badgeCount"] for t in node["profileTabs"]}
        counts = node["tickets"]["overdueCount"], node["appointments"]["upcomingCount"]
        return counts, badges["appointments"]

    assert seen() == ((0, 1), 1)
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.2)
    assert seen() == ((1, 0), 0)


def test_tabs_a_folder_hides_are_left_out_compiled_too(paths, api):
    """Most rows take the plain array of every tab; a customer in a folder that hides
    tabs takes the filtered one. Hiding all but one tab also drops the badges."""
    for module in ("tickets", "appointments"):
        api.enable(module)

    def folder(name: str, hidden: list[str]) -> str:
        made = {"name": name, "color": "#336699", "hiddenTabs": hidden}
        return api.ok("createFolder", made, "folder { id }")["folder"]["id"]

    def customer(name: str, folders: list[str]) -> str:
        made = api.ok("createCustomer", {"name": name}, "customer { id }")["customer"]["id"]
        if folders:
            placed = [{"folderId": f} for f in folders]
            api.ok("addCustomerToFolders", {"customerId": made, "folders": placed})
        return made

    some = folder("No tickets", ["tickets"])
    most = folder("Profile only", ["tickets", "appointments"])
    plain, hiding, alone = customer("Ann", []), customer("Ben", [some]), customer("Cyd", [most])
    for who in (plain, hiding, alone):
        api.ok("openTicket", {"customerId": who, "subject": "Hello"}, "ticket { id }")
    path, body = both(
        paths, api.token, "{ customers(first: 5) { nodes { id profileTabs { key badgeCount } } } }"
    )
    assert path == "compiled", body
    tabs = {n["id"]: n["profileTabs"] for n in body["data"]["customers"]["nodes"]}
    assert [t["key"] for t in tabs[plain]] == ["profile", "appointments", "tickets"]
    assert {t["key"]: t["badgeCount"] for t in tabs[plain]}["tickets"] == 1
    assert [t["key"] for t in tabs[hiding]] == ["profile", "appointments"]
    assert tabs[alone] == [{"key": "profile", "badgeCount": 0}]
