"""`customers(where:)`, the filter language, through the API: what each kind of field
finds, coded refusals (never an empty list for a mistake), module summaries and the
timeline, sorting on any field with stable keyset pages, visibility and tenants, the fixed
old filter (`folderIds: []`, a folder's status in `statusIds`), the statement count, and
on PostgreSQL the indexes the common conditions use."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text

from tests.fixtures import run
from tests.support import Api, count_statements, gid, pk_of
from tests.test_access import worker
from tests.test_customer_list import make_field, make_folder, make_tag

FIND = """
query($where: CustomerWhere, $filter: CustomerFilter, $order: CustomerOrder,
      $first: Int, $after: String) {
  customers(first: $first, after: $after, where: $where, filter: $filter, orderBy: $order) {
    nodes { id name }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}"""


def found(api: Api, where=None, **variables) -> set[str]:
    data = api.query(FIND, where=where, first=100, **variables)["customers"]
    assert data["totalCount"] == len(data["nodes"])
    return {n["name"] for n in data["nodes"]}


def problems(api: Api, where=None, **variables) -> list[tuple[list, str]]:
    errors = api.errors(FIND, where=where, first=10, **variables)
    assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"], errors
    return [(p["field"], p["code"]) for p in errors[0]["extensions"]["problems"]]


def leaf(field: str, op: str, value=None, values=None) -> dict:
    found = {"field": field, "op": op}
    if value is not None:
        found["value"] = value
    if values is not None:
        found["values"] = values
    return found


def make(api: Api, name: str, **fields) -> str:
    return api.ok("createCustomer", {"name": name, **fields}, "customer { id }")["customer"]["id"]


@pytest.fixture
def town(api):
    """Five customers with cities, companies, sources, a tag, a folder and a parent."""
    vip = make_tag(api, "VIP")
    sales = make_folder(api, "Sales", ["Open", "Won"])
    ada = make(api, "Ada", city="Berlin", company="Acme", leadSource="Google", tagIds=[vip])
    make(api, "Bob", city="bern", company="acme corp", kind="CUSTOMER")
    make(
        api,
        "Cy",
        city="Paris",
        folders=[{"folderId": sales["id"], "statusId": sales["statuses"]["Won"]}],
    )
    make(api, "Dee", leadSource="Referral", parentId=ada)
    make(api, "Eve")
    return {"vip": vip, "sales": sales, "ada": ada}


def test_text_operators_ignore_case_and_empty_values_are_not_equal(api, town):
    assert found(api, leaf("city", "EQ", "BERLIN")) == {"Ada"}
    assert found(api, leaf("city", "STARTS_WITH", "Ber")) == {"Ada", "Bob"}
    assert found(api, leaf("company", "CONTAINS", "CME")) == {"Ada", "Bob"}
    assert found(api, leaf("city", "IN", values=["paris", "bern"])) == {"Bob", "Cy"}
    assert found(api, leaf("city", "NEQ", "berlin")) == {"Bob", "Cy", "Dee", "Eve"}
    assert found(api, leaf("city", "IS_EMPTY")) == {"Dee", "Eve"}
    assert found(api, leaf("leadSource", "IS_NOT_EMPTY")) == {"Ada", "Dee"}
    assert found(api, leaf("name", "STARTS_WITH", "a")) == {"Ada"}


def test_groups_combine_with_and_or_not(api, town):
    where = {
        "or": [
            {"and": [leaf("city", "STARTS_WITH", "ber"), leaf("kind", "EQ", "CUSTOMER")]},
            {"not": leaf("leadSource", "IS_EMPTY"), "field": "city", "op": "IS_EMPTY"},
        ]
    }
    assert found(api, where) == {"Bob", "Dee"}
    assert found(api, {"not": where}) == {"Ada", "Cy", "Eve"}
    assert found(api, {"and": [], "or": []}) == {"Ada", "Bob", "Cy", "Dee", "Eve"}


def test_links_folder_status_parent_and_sub_customers(api, town):
    sales, vip = town["sales"], town["vip"]
    assert found(api, leaf("tag", "EQ", vip)) == {"Ada"}
    assert found(api, leaf("tag", "IS_EMPTY")) == {"Bob", "Cy", "Dee", "Eve"}
    assert found(api, leaf("folder", "IN", values=[sales["id"]])) == {"Cy"}
    assert found(api, leaf("folderStatus", "EQ", sales["statuses"]["Won"])) == {"Cy"}
    assert found(api, leaf("folderStatus", "EQ", sales["statuses"]["Open"])) == set()
    assert found(api, leaf("parent", "EQ", town["ada"])) == {"Dee"}
    assert found(api, leaf("parent", "IS_EMPTY")) == {"Ada", "Bob", "Cy", "Eve"}
    assert found(api, leaf("subCustomers", "IS_NOT_EMPTY")) == {"Ada"}
    statuses = {s["name"]: s["id"] for s in api.query("{ statuses { id name } }")["statuses"]}
    assert found(api, leaf("status", "EQ", statuses["New"])) == {"Ada", "Bob", "Cy", "Dee", "Eve"}


def test_where_and_the_old_filter_must_both_hold(api, town):
    where = leaf("city", "STARTS_WITH", "ber")
    assert found(api, where, filter={"kinds": ["CUSTOMER"]}) == {"Bob"}
    assert found(api, where, filter={"search": "ada"}) == {"Ada"}


def test_custom_fields_are_typed_by_their_definitions(api):
    make_field(api, "score", "NUMBER")
    make_field(api, "tier", "SINGLE_SELECT", options=["gold", "silver"])
    make_field(api, "since", "DATE")
    make(
        api,
        "Gold",
        customFields=[{"key": "score", "number": 10}, {"key": "tier", "option": "gold"}],
    )
    make(
        api,
        "Low",
        customFields=[{"key": "score", "number": 2}, {"key": "since", "date": "2026-01-05"}],
    )
    make(api, "None")
    assert found(api, leaf("customFields.score", "GT", 5)) == {"Gold"}
    assert found(api, leaf("customFields.score", "BETWEEN", values=[2, 10])) == {"Gold", "Low"}
    assert found(api, leaf("customFields.tier", "NEQ", "gold")) == {"Low", "None"}
    assert found(api, leaf("customFields.since", "BEFORE", "2026-02-01")) == {"Low"}
    assert problems(api, leaf("customFields.score", "GT", "ten")) == [
        (["where", "value"], "INVALID_VALUE")
    ]
    assert problems(api, leaf("customFields.tier", "EQ", "bronze")) == [
        (["where", "value"], "INVALID_VALUE")
    ]
    assert problems(api, leaf("customFields.nope", "EQ", 1)) == [
        (["where", "field"], "UNKNOWN_FIELD")
    ]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (leaf("shoeSize", "EQ", 42), [(["where", "field"], "UNKNOWN_FIELD")]),
        (leaf("city", "GT", "a"), [(["where", "op"], "INVALID_OPERATOR")]),
        (leaf("city", "EQ", 42), [(["where", "value"], "INVALID_VALUE")]),
        (leaf("city", "EQ"), [(["where", "value"], "INVALID_VALUE")]),
        (leaf("city", "IN", "x"), [(["where", "values"], "INVALID_VALUE")]),
        (leaf("city", "IS_EMPTY", "x"), [(["where", "value"], "INVALID_VALUE")]),
        (leaf("createdAt", "AFTER", "yesterday"), [(["where", "value"], "INVALID_VALUE")]),
        (leaf("createdAt", "WITHIN_LAST_DAYS", -3), [(["where", "value"], "INVALID_VALUE")]),
        (leaf("kind", "EQ", "PROSPECT"), [(["where", "value"], "INVALID_VALUE")]),
        (leaf("tag", "EQ", "not-an-id"), [(["where", "value"], "INVALID_VALUE")]),
        (leaf("tag", "EQ", gid("Folder", 1)), [(["where", "value"], "INVALID_VALUE")]),
        ({"value": 3}, [(["where", "field"], "REQUIRED")]),
        (
            {"or": [leaf("city", "EQ", "a"), leaf("city", "BETWEEN", values=["a", "b"])]},
            [(["where", "or", "1", "op"], "INVALID_OPERATOR")],
        ),
        (
            {"not": {"not": {"not": {"not": {"not": leaf("city", "IS_EMPTY")}}}}},
            [(["where", "not", "not", "not", "not", "not"], "FILTER_TOO_LARGE")],
        ),
        (
            {"and": [leaf("city", "IS_EMPTY")] * 51},
            [(["where", "and", "50"], "FILTER_TOO_LARGE")],
        ),
        (
            leaf("city", "IN", values=["x"] * 101),
            [(["where", "values"], "FILTER_TOO_LARGE")],
        ),
    ],
)
def test_mistakes_are_coded_errors_never_empty_lists(api, where, expected):
    make(api, "Someone", city="Berlin")
    assert problems(api, where) == expected


def test_a_folder_status_is_not_a_list_status(api, town):
    won = town["sales"]["statuses"]["Won"]
    assert problems(api, leaf("status", "EQ", won)) == [(["where", "value"], "INVALID_VALUE")]
    own = api.query("{ statuses { id } }")["statuses"][0]["id"]
    assert problems(api, leaf("folderStatus", "IN", values=[own])) == [
        (["where", "values"], "INVALID_VALUE")
    ]
    errors = api.errors(FIND, filter={"statusIds": [own, won]}, first=5)
    assert errors[0]["extensions"]["problems"] == [
        {
            "field": ["filter", "statusIds", "1"],
            "message": errors[0]["extensions"]["problems"][0]["message"],
            "code": "INVALID_VALUE",
        }
    ]


def test_empty_id_lists_in_the_old_filter_filter_nothing(api, town):
    everyone = {"Ada", "Bob", "Cy", "Dee", "Eve"}
    for empty in ({"folderIds": []}, {"workerIds": []}, {"tags": {"ids": []}}, {"kinds": []}):
        assert found(api, filter=empty) == everyone, empty


def test_sort_on_any_field_pages_stably_and_cursors_keep_their_order(api, town):
    for key in ("city", "company", "leadSource", "lastActivityAt", "kind"):
        for direction in ("ASC", "DESC"):
            order = {"key": key, "direction": direction}
            seen, after = [], None
            while True:
                data = api.query(FIND, order=order, first=2, after=after)["customers"]
                seen += [n["name"] for n in data["nodes"]]
                if not data["pageInfo"]["hasNextPage"]:
                    break
                after = data["pageInfo"]["endCursor"]
            whole = api.query(FIND, order=order, first=100)["customers"]["nodes"]
            assert seen == [n["name"] for n in whole], (key, direction)
            assert sorted(seen) == ["Ada", "Bob", "Cy", "Dee", "Eve"]
    by_city = api.query(FIND, order={"key": "city", "direction": "ASC"}, first=2)["customers"]
    assert [n["name"] for n in by_city["nodes"]] == ["Ada", "Bob"]  # berlin, bern; empty last
    cursor = by_city["pageInfo"]["endCursor"]
    for other in ({"key": "company"}, {"key": "city", "direction": "DESC"}, {"field": "NAME"}):
        assert problems(api, order=other, after=cursor) == [(["after"], "INVALID_CURSOR")]
    assert problems(api, order={"key": "tag"}) == [(["orderBy", "key"], "INVALID_VALUE")]
    assert problems(api, order={"key": "height"}) == [(["orderBy", "key"], "UNKNOWN_FIELD")]


def test_no_activity_in_thirty_days(api, client):
    quiet = make(api, "Quiet")
    make(api, "Busy")

    async def age():
        async with client.app.state.db.transaction() as session:
            await session.execute(
                text("UPDATE events SET occurred_at = :old WHERE customer_id = :id"),
                {"old": datetime.now(UTC) - timedelta(days=60), "id": pk_of(quiet)},
            )

    run(client, age)
    idle = {"not": leaf("lastActivityAt", "WITHIN_LAST_DAYS", 30)}
    assert found(api, idle) == {"Quiet"}
    assert found(api, leaf("lastActivityAt", "BEFORE", datetime.now(UTC).isoformat())) == {
        "Quiet",
        "Busy",
    }


def test_module_summaries_follow_the_module_and_its_permission(api):
    busy, calm = make(api, "Busy"), make(api, "Calm")
    where = leaf("tickets.open", "GT", 0)
    assert problems(api, where) == [(["where", "field"], "UNKNOWN_FIELD")]  # not enabled
    api.enable("tickets", "payments")
    for subject in ("Printer", "Login"):
        api.ok("openTicket", {"customerId": busy, "subject": subject}, "ticket { id }")
    assert found(api, where) == {"Busy"}
    assert found(api, leaf("tickets.open", "EQ", 0)) == {"Calm"}
    by_open = api.query(FIND, order={"key": "tickets.open", "direction": "DESC"}, first=5)
    assert [n["name"] for n in by_open["customers"]["nodes"]] == ["Busy", "Calm"]
    assert found(api, leaf("payments.openInvoices", "GT", 0)) == set()
    assert found(api, leaf("payments.lastPaymentAt", "IS_EMPTY")) == {"Busy", "Calm"}
    listed = api.query("{ customerFilterFields { name type operators sortable } }")
    names = {f["name"] for f in listed["customerFilterFields"]}
    assert {"tickets.open", "payments.openInvoices", "city", "lastActivityAt"} <= names
    assert calm
    agent = worker(api, "Agent Smith", "MANAGER")
    api.ok(
        "setWorkerPermission",
        {
            "workerId": gid("Worker", agent.worker_id),
            "permission": "tickets.view",
            "granted": False,
        },
        "table { __typename }",
    )
    errors = agent.errors(FIND, where=where, first=5)
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]


def test_an_agent_filters_only_what_they_see_and_tenants_stay_apart(api, other_api):
    mine = make(api, "Mine", city="Berlin")
    make(api, "Not mine", city="Berlin")
    make(other_api, "Other tenant", city="Berlin")
    agent = worker(api, "Agent A", "AGENT")
    api.ok(
        "assignWorkers",
        {"customerId": mine, "workerIds": [gid("Worker", agent.worker_id)]},
        "customer { id }",
    )
    where = leaf("city", "EQ", "berlin")
    assert found(agent, where) == {"Mine"}
    assert found(api, where) == {"Mine", "Not mine"}
    their_tag = make_tag(other_api, "Theirs")
    assert found(api, leaf("tag", "EQ", their_tag)) == set()
    assert found(other_api, leaf("city", "EQ", "berlin")) == {"Other tenant"}


LIST = """
query($first: Int, $where: CustomerWhere) {
  customers(first: $first, where: $where, orderBy: {key: "city"}) {
    nodes { id name city tags { name } folders { folder { name } } }
    totalCount
  }
}"""


def test_a_filtered_page_costs_the_same_statements_for_5_or_50(api, engine):
    make_field(api, "score", "NUMBER")
    for i in range(55):  # past the page: neither page reaches the customers without a city
        make(api, f"C{i}", city=f"Berlin {i}", customFields=[{"key": "score", "number": i}])
    where = {"or": [leaf("city", "STARTS_WITH", "ber"), leaf("customFields.score", "GT", 3)]}
    api.query(LIST, first=5, where=where)
    with count_statements(engine) as five:
        small = api.query(LIST, first=5, where=where)
    with count_statements(engine) as fifty:
        big = api.query(LIST, first=50, where=where)
    assert len(small["customers"]["nodes"]) == 5 and len(big["customers"]["nodes"]) == 50
    assert big["customers"]["totalCount"] == 55
    assert fifty.count == five.count, (five.statements, fifty.statements)


# --- PostgreSQL: the common conditions use indexes ------------------------------------------

COMMON = {
    "status": lambda ids: leaf("status", "EQ", ids["status"]),
    "folder": lambda ids: leaf("folder", "EQ", ids["folder"]),
    "tag": lambda ids: leaf("tag", "IN", values=[ids["tag"]]),
    "worker": lambda ids: leaf("worker", "EQ", ids["worker"]),
    "createdAt": lambda ids: leaf("createdAt", "WITHIN_LAST_DAYS", 1),  # fillers are a year old
    "name prefix": lambda ids: leaf("name", "STARTS_WITH", "ada"),
    "company prefix": lambda ids: leaf("company", "STARTS_WITH", "acm"),
    "city equals": lambda ids: leaf("city", "EQ", "Berlin"),
    "city prefix": lambda ids: leaf("city", "STARTS_WITH", "ber"),
    "lead source in": lambda ids: leaf("leadSource", "IN", values=["google", "Ads"]),
    "parent": lambda ids: leaf("parent", "EQ", ids["parent"]),
}
# "Index Scan using ix", "Index Only Scan Backward using ix", "Bitmap Index Scan on ix"
USES = re.compile(r"(Index Scan|Index Only Scan|Bitmap Index Scan)( Backward)? (?:using|on) (\w+)")
EXPECTED_INDEX = {
    "status": "ix_customers_tenant_id_status_id",
    "folder": "ix_customer_folders_folder_id_customer_id_tenant_id",
    "tag": "ix_customer_tags_tag_id_customer_id",
    "worker": "ix_customer_workers_worker_id_customer_id_tenant_id",
    "createdAt": "ix_customers_tenant_id_created_at_id",
    "name prefix": "ix_customers_filter_sort_name",
    "company prefix": "ix_customers_filter_company",
    "city equals": "ix_customers_filter_city",
    "city prefix": "ix_customers_filter_city",
    "lead source in": "ix_customers_filter_lead_source",
    "parent": "ix_customers_tenant_id_parent_id",
}


def test_the_common_conditions_use_an_index(api, engine, client):
    """Counting (no order, so nothing but the condition guides the plan) a tenant of 5,000
    customers, analysed, sequential scans priced out: each common condition is found
    through its index, never by reading the tenant."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner")
    parent = make(api, "Ada Parent", city="Berlin", company="Acme", leadSource="Google")
    folder = make_folder(api, "Sales")["id"]
    tag = make_tag(api, "VIP")
    agent = worker(api, "Walt", "AGENT")
    status = api.query("{ statuses { id } }")["statuses"][-1]["id"]
    make(
        api,
        "Ada Child",
        parentId=parent,
        statusId=status,
        tagIds=[tag],
        workerIds=[gid("Worker", agent.worker_id)],
        folders=[{"folderId": folder}],
    )

    async def grow():
        async with client.app.state.db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO customers (tenant_id, kind, name, sort_name, search_text, "
                    "city, company, lead_source, phones, emails, custom_fields, blocked, "
                    "version, created_at, updated_at) "
                    "SELECT :tenant, 'LEAD', 'Filler ' || n, 'filler ' || n, 'filler ' || n, "
                    "'Town ' || n, 'Firm ' || n, 'Source ' || n, '[]', '[]', '{}', false, 1, "
                    "now() - interval '1 year', now() FROM generate_series(1, 5000) n"
                ),
                {"tenant": api.tenant_id},
            )
        async with client.app.state.db.read() as conn:
            for table in ("customers", "customer_tags", "customer_folders", "customer_workers"):
                await conn.exec_driver_sql(f"ANALYZE {table}")

    run(client, grow)
    ids = {"status": status, "folder": folder, "tag": tag, "parent": parent}
    ids["worker"] = gid("Worker", agent.worker_id)
    count = "query($where: CustomerWhere) { customers(first: 0, where: $where) { totalCount } }"
    plans = {}
    for name, build in COMMON.items():
        captured: list[tuple[str, tuple]] = []

        def capture(_conn, _cursor, statement, parameters, _context, _many, into=captured):
            if statement.lstrip().lower().startswith("select count("):
                into.append((statement, tuple(parameters or ())))

        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        try:
            assert api.query(count, where=build(ids))["customers"]["totalCount"] >= 1, name
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", capture)
        assert len(captured) == 1, name
        plans[name] = captured[0]

    async def explain() -> dict[str, str]:
        async with client.app.state.db.read() as conn:
            await conn.exec_driver_sql("SET enable_seqscan = off")
            try:
                found = {}
                for name, (statement, parameters) in plans.items():
                    rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
                    found[name] = "\n".join(r[0] for r in rows)
                return found
            finally:
                await conn.exec_driver_sql("RESET enable_seqscan")

    for name, plan in run(client, explain).items():
        used = {m.group(3) for m in USES.finditer(plan)}
        assert EXPECTED_INDEX[name] in used, f"{name}:\n{plan}"
        assert "Seq Scan on customers" not in plan, f"{name}:\n{plan}"
    # a deep page sorted on an indexed field starts in that index at the cursor (a row
    # comparison as its index condition), however deep
    page = 'query($after: String) { customers(first: 20, after: $after, orderBy: {key: "city"}) { pageInfo { endCursor } } }'  # noqa: E501
    cursor = api.query(page)["customers"]["pageInfo"]["endCursor"]
    captured = []

    def capture_page(_conn, _cursor, statement, parameters, _context, _many):
        if "sort_value" in statement:
            captured.append((statement, tuple(parameters or ())))

    event.listen(engine.sync_engine, "before_cursor_execute", capture_page)
    try:
        api.query(page, after=cursor)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture_page)
    plans = {"deep page by city": captured[0]}
    plan = run(client, explain)["deep page by city"]
    index_conditions = [
        line for line in plan.splitlines() if "Index Cond" in line and "ROW(" in line
    ]
    assert "ix_customers_filter_city" in plan and index_conditions, plan
