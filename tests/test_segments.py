"""Segments through the API: static members by ids and by filter, dynamic counts that match
the list, the `segment` field of the filter language (IN, NOT_IN, nested dynamic segments,
cycles and depth refused, unknown ids coded), `Customer.segments` on a page in a bounded
number of statements, what a restricted worker counts and sees, tenants, permissions."""

import re

import pytest
from sqlalchemy import event, text

from tests.fixtures import run
from tests.support import Api, count_statements, gid, pk_of
from tests.test_access import worker
from tests.test_customer_list import make_field

SEGMENT = """
query($id: ID!) { node(id: $id) { ... on Segment {
  name kind where count countIsExact customers(first: 100) { totalCount nodes { name } }
} } }"""

FIND = """
query($where: CustomerWhere) {
  customers(first: 100, where: $where) { totalCount nodes { name } }
}"""

PAGE = """
query($first: Int) {
  customers(first: $first) { nodes { name segments { name kind } } }
}"""

MEMBERS = "segment { id count } changedCount"


def make(api: Api, name: str, **fields) -> str:
    return api.ok("createCustomer", {"name": name, **fields}, "customer { id }")["customer"]["id"]


def segment(api: Api, name: str, kind: str = "STATIC", where=None) -> str:
    payload = {"name": name, "kind": kind}
    if where is not None:
        payload["where"] = where
    return api.ok("createSegment", payload, "segment { id }")["segment"]["id"]


def leaf(field: str, op: str, value=None, values=None) -> dict:
    found = {"field": field, "op": op}
    if value is not None:
        found["value"] = value
    if values is not None:
        found["values"] = values
    return found


def found(api: Api, where) -> set[str]:
    data = api.query(FIND, where=where)["customers"]
    assert data["totalCount"] == len(data["nodes"])
    return {n["name"] for n in data["nodes"]}


def read(api: Api, segment_id: str) -> dict:
    return api.query(SEGMENT, id=segment_id)["node"]


def bad_input(errors: list[dict]) -> list[tuple[list, str]]:
    assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"], errors
    return [(p["field"], p["code"]) for p in errors[0]["extensions"]["problems"]]


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


@pytest.fixture
def town(api):
    ids = {
        "ada": make(api, "Ada", city="Berlin"),
        "bob": make(api, "Bob", city="Bern", kind="CUSTOMER"),
        "cy": make(api, "Cy", city="Paris"),
        "dee": make(api, "Dee"),
    }
    return ids


def test_static_members_by_ids_and_by_filter(api, town):
    vips = segment(api, "VIPs")
    added = api.ok(
        "addCustomersToSegment",
        {"segmentId": vips, "customerIds": [town["ada"], town["cy"]]},
        MEMBERS,
    )
    assert added["changedCount"] == 2 and added["segment"]["count"] == 2
    again = api.ok(
        "addCustomersToSegment", {"segmentId": vips, "customerIds": [town["ada"]]}, MEMBERS
    )
    assert again["changedCount"] == 0
    by_where = api.ok(
        "addCustomersToSegment",
        {"segmentId": vips, "where": leaf("city", "STARTS_WITH", "ber")},
        MEMBERS,
    )
    assert by_where["changedCount"] == 1  # Bob; Ada was in already
    data = read(api, vips)
    assert data["kind"] == "STATIC" and data["where"] is None
    assert (data["count"], data["countIsExact"]) == (3, True)
    assert {n["name"] for n in data["customers"]["nodes"]} == {"Ada", "Bob", "Cy"}
    removed = api.ok(
        "removeCustomersFromSegment",
        {"segmentId": vips, "where": leaf("city", "EQ", "paris")},
        MEMBERS,
    )
    assert removed["changedCount"] == 1
    api.ok("removeCustomersFromSegment", {"segmentId": vips, "customerIds": [town["bob"]]})
    assert found(api, leaf("segment", "EQ", vips)) == {"Ada"}
    timeline = api.query(
        "query($id: ID!) { customer(id: $id) { timeline { nodes { action summary } } } }",
        id=town["bob"],
    )
    entries = [(n["action"], n["summary"]) for n in timeline["customer"]["timeline"]["nodes"]]
    assert entries[:2] == [
        ("segment.members_removed", "Olivia Owner took the customer out of a segment"),
        ("segment.members_added", "Olivia Owner added the customer to a segment"),
    ]


def test_membership_changes_are_refused_with_codes(api, town):
    vips = segment(api, "VIPs")
    dynamic = segment(api, "Berliners", "DYNAMIC", leaf("city", "EQ", "berlin"))
    assert codes(
        api.mutate("addCustomersToSegment", {"segmentId": dynamic, "customerIds": [town["ada"]]})
    ) == ["INVALID"]
    assert codes(api.mutate("addCustomersToSegment", {"segmentId": vips})) == ["INVALID"]
    unknown = api.mutate(
        "addCustomersToSegment",
        {"segmentId": vips, "customerIds": [town["ada"], gid("Customer", 10**9)]},
    )
    assert [(e["field"], e["code"]) for e in unknown["userErrors"]] == [
        (["input", "customerIds", "1"], "NOT_FOUND")
    ]
    too_many = api.mutate(
        "addCustomersToSegment",
        {"segmentId": vips, "customerIds": [gid("Customer", i) for i in range(1, 502)]},
    )
    assert codes(too_many) == ["TOO_MANY"]
    bad_where = api.mutate(
        "addCustomersToSegment", {"segmentId": vips, "where": leaf("nope", "EQ", "x")}
    )
    assert [(e["field"], e["code"]) for e in bad_where["userErrors"]] == [
        (["input", "where", "field"], "UNKNOWN_FIELD")
    ]
    missing = api.mutate(
        "addCustomersToSegment", {"segmentId": gid("Segment", 10**9), "customerIds": []}
    )
    assert codes(missing) == ["NOT_FOUND"]
    assert read(api, vips)["count"] == 0  # nothing half-written


def test_more_than_the_inline_limit_by_filter_is_too_many(api, monkeypatch):
    from core import segments

    monkeypatch.setattr(segments, "BULK_INLINE_MAX", 2)
    for name in ("A1", "A2", "A3"):
        make(api, name, city="Aachen")
    group = segment(api, "Aachen")
    payload = api.mutate(
        "addCustomersToSegment", {"segmentId": group, "where": leaf("city", "EQ", "aachen")}
    )
    assert codes(payload) == ["TOO_MANY"]
    assert read(api, group)["count"] == 0


def test_dynamic_count_and_customers_match_the_list(api, town):
    where = {"or": [leaf("city", "STARTS_WITH", "ber"), leaf("kind", "EQ", "CUSTOMER")]}
    dynamic = segment(api, "Ber", "DYNAMIC", where)
    data = read(api, dynamic)
    listed = found(api, where)
    assert listed == {"Ada", "Bob"}
    assert data["kind"] == "DYNAMIC" and data["where"] == where
    assert data["count"] == len(listed) and data["countIsExact"]
    assert {n["name"] for n in data["customers"]["nodes"]} == listed
    make(api, "Eve", city="Berlin")  # membership is computed when read
    assert read(api, dynamic)["count"] == 3


def test_segment_as_a_filter_in_and_not_in(api, town):
    vips = segment(api, "VIPs")
    api.ok("addCustomersToSegment", {"segmentId": vips, "customerIds": [town["ada"]]})
    paris = segment(api, "Paris", "DYNAMIC", leaf("city", "EQ", "paris"))
    assert found(api, leaf("segment", "IN", values=[vips, paris])) == {"Ada", "Cy"}
    assert found(api, leaf("segment", "NOT_IN", values=[vips, paris])) == {"Bob", "Dee"}
    assert found(api, {"not": leaf("segment", "EQ", paris)}) == {"Ada", "Bob", "Dee"}
    both = {"and": [leaf("segment", "EQ", vips), leaf("city", "EQ", "berlin")]}
    assert found(api, both) == {"Ada"}


def test_unknown_or_foreign_segment_is_a_coded_error(api, other_api, town):
    foreign = segment(other_api, "Theirs")
    for value in (foreign, gid("Segment", 10**9), gid("Tag", 1), "junk"):
        problems = bad_input(api.errors(FIND, where=leaf("segment", "EQ", value)))
        assert problems[0][0] == ["where", "value"], problems
        assert problems[0][1] in ("NOT_FOUND", "INVALID_VALUE"), problems
    problems = bad_input(api.errors(FIND, where=leaf("segment", "CONTAINS", "x")))
    assert problems == [(["where", "op"], "INVALID_OPERATOR")]


def test_nested_dynamic_segments(api, town):
    vips = segment(api, "VIPs")
    api.ok("addCustomersToSegment", {"segmentId": vips, "customerIds": [town["ada"], town["cy"]]})
    inner = segment(api, "VIP Parisians", "DYNAMIC", {"and": [
        leaf("segment", "EQ", vips), leaf("city", "EQ", "paris")
    ]})  # fmt: skip
    outer = segment(api, "Not VIP Parisians", "DYNAMIC", leaf("segment", "NOT_IN", values=[inner]))
    assert found(api, leaf("segment", "EQ", inner)) == {"Cy"}
    assert found(api, leaf("segment", "EQ", outer)) == {"Ada", "Bob", "Dee"}
    assert read(api, outer)["count"] == 3


def test_cycles_and_depth_are_refused(api, town):
    first = segment(api, "S1", "DYNAMIC", leaf("city", "EQ", "berlin"))
    second = segment(api, "S2", "DYNAMIC", leaf("segment", "EQ", first))
    cycle = api.mutate("updateSegment", {"id": first, "where": leaf("segment", "EQ", second)})
    assert codes(cycle) == ["SEGMENT_CYCLE"]
    own = api.mutate("updateSegment", {"id": first, "where": leaf("segment", "EQ", first)})
    assert codes(own) == ["SEGMENT_CYCLE"]
    third = segment(api, "S3", "DYNAMIC", leaf("segment", "EQ", second))
    deep = api.mutate(
        "createSegment",
        {"name": "S4", "kind": "DYNAMIC", "where": leaf("segment", "EQ", third)},
    )
    assert codes(deep) == ["SEGMENT_TOO_DEEP"]
    assert found(api, leaf("segment", "EQ", third)) == {"Ada"}
    assert read(api, first)["where"] == leaf("city", "EQ", "berlin")  # unchanged


def test_saved_filter_is_checked_when_saved_and_when_read(api, town):
    unknown = api.mutate(
        "createSegment",
        {"name": "Bad", "kind": "DYNAMIC", "where": {"and": [leaf("nope", "EQ", "x")]}},
    )
    assert [(e["field"], e["code"]) for e in unknown["userErrors"]] == [
        (["input", "where", "and", "0", "field"], "UNKNOWN_FIELD")
    ]
    assert codes(api.mutate("createSegment", {"name": "NoFilter", "kind": "DYNAMIC"})) == [
        "REQUIRED"
    ]
    field_id = make_field(api, "score", "NUMBER")
    api.ok("updateCustomer", {"id": town["ada"], "customFields": [{"key": "score", "number": 5}]})
    scored = segment(api, "Scored", "DYNAMIC", leaf("customFields.score", "GT", 1))
    assert read(api, scored)["count"] == 1
    api.ok("deleteCustomFieldDefinition", {"id": field_id})
    errors = api.errors(SEGMENT, id=scored)
    problems = bad_input(errors)
    assert problems == [(["segment", "Scored", "where", "field"], "UNKNOWN_FIELD")]
    # The profile leaves the broken segment out instead of failing.
    page = api.query(PAGE, first=10)["customers"]["nodes"]
    assert all(n["segments"] == [] for n in page)


def test_names_are_unique_and_kinds_fixed(api):
    segment(api, "VIPs")
    assert codes(api.mutate("createSegment", {"name": "vips", "kind": "STATIC"})) == ["TAKEN"]
    static = api.mutate(
        "createSegment",
        {"name": "Other", "kind": "STATIC", "where": leaf("city", "EQ", "x")},
    )
    assert codes(static) == ["INVALID"]
    listed = api.query('{ segments(search: "vip") { totalCount nodes { name } } }')
    assert listed["segments"] == {"totalCount": 1, "nodes": [{"name": "VIPs"}]}


def test_customer_segments_on_a_page_in_a_bounded_number_of_statements(api, engine):
    vips = segment(api, "VIPs")
    segment(api, "Berliners", "DYNAMIC", leaf("city", "EQ", "berlin"))
    segment(api, "Customers", "DYNAMIC", leaf("kind", "EQ", "CUSTOMER"))
    ids = [make(api, f"C{i}", city="Berlin" if i % 2 else "Rome") for i in range(30)]
    api.ok("addCustomersToSegment", {"segmentId": vips, "customerIds": ids[:10]})
    api.query(PAGE, first=3)
    with count_statements(engine) as small:
        api.query(PAGE, first=3)
    with count_statements(engine) as big:
        page = api.query(PAGE, first=30)["customers"]["nodes"]
    assert big.count == small.count, (small.statements, big.statements)
    by_name = {n["name"]: [s["name"] for s in n["segments"]] for n in page}
    assert by_name["C1"] == ["Berliners", "VIPs"]
    assert by_name["C2"] == ["VIPs"]
    assert by_name["C11"] == ["Berliners"]
    assert by_name["C12"] == []


def test_a_restricted_worker_counts_and_sees_only_visible_members(api, town):
    agent = worker(api, "Ann Agent", "AGENT")
    mine = make(api, "Mine", city="Berlin", workerIds=[gid("Worker", agent.worker_id)])
    vips = segment(api, "VIPs")
    api.ok("addCustomersToSegment", {"segmentId": vips, "customerIds": [town["ada"], mine]})
    dynamic = segment(api, "Berliners", "DYNAMIC", leaf("city", "EQ", "berlin"))
    for segment_id in (vips, dynamic):
        assert read(api, segment_id)["count"] == 2
        data = read(agent, segment_id)
        assert data["count"] == 1
        assert [n["name"] for n in data["customers"]["nodes"]] == ["Mine"]
    assert found(agent, leaf("segment", "IN", values=[vips, dynamic])) == {"Mine"}


def test_agents_may_not_manage_segments_by_default(api, town):
    agent = worker(api, "Ann Agent", "AGENT")
    vips = segment(api, "VIPs")
    errors = agent.errors(
        "mutation($i: CreateSegmentInput!) { createSegment(input: $i) { userErrors { code } } }",
        i={"name": "Mine", "kind": "STATIC"},
    )
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
    errors = agent.errors(
        "mutation($i: AddCustomersToSegmentInput!) { addCustomersToSegment(input: $i) "
        "{ userErrors { code } } }",
        i={"segmentId": vips, "customerIds": [town["ada"]]},
    )
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
    assert read(api, vips)["count"] == 0
    manager = worker(api, "Max Manager", "MANAGER")
    manager.ok("createSegment", {"name": "Managed", "kind": "STATIC"})


def test_tenants_are_isolated(api, other_api, town):
    theirs = segment(other_api, "Theirs")
    other_customer = make(other_api, "Stranger")
    other_api.ok("addCustomersToSegment", {"segmentId": theirs, "customerIds": [other_customer]})
    assert api.query(SEGMENT, id=theirs)["node"] is None
    assert api.query("{ segments { totalCount } }")["segments"]["totalCount"] == 0
    mine = segment(api, "Mine")
    foreign_member = api.mutate(
        "addCustomersToSegment", {"segmentId": mine, "customerIds": [other_customer]}
    )
    assert codes(foreign_member) == ["NOT_FOUND"]
    foreign_segment = api.mutate(
        "addCustomersToSegment", {"segmentId": theirs, "customerIds": [town["ada"]]}
    )
    assert codes(foreign_segment) == ["NOT_FOUND"]
    assert codes(api.mutate("deleteSegment", {"id": theirs}, "deletedId")) == ["NOT_FOUND"]
    assert read(other_api, theirs)["count"] == 1


def test_delete_segment(api, town):
    vips = segment(api, "VIPs")
    api.ok("addCustomersToSegment", {"segmentId": vips, "customerIds": [town["ada"]]})
    user = segment(api, "Uses VIPs", "DYNAMIC", leaf("segment", "EQ", vips))
    assert api.ok("deleteSegment", {"id": vips}, "deletedId")["deletedId"] == vips
    assert api.query(SEGMENT, id=vips)["node"] is None
    problems = bad_input(api.errors(SEGMENT, id=user))
    assert problems == [(["segment", "Uses VIPs", "where", "value"], "NOT_FOUND")]
    assert pk_of(user) > 0


def test_dynamic_segments_per_tenant_are_bounded(api, settings, monkeypatch):
    monkeypatch.setattr(settings, "segments_dynamic_max", 1)
    segment(api, "One", "DYNAMIC", leaf("city", "EQ", "berlin"))
    second = api.mutate(
        "createSegment", {"name": "Two", "kind": "DYNAMIC", "where": leaf("city", "EQ", "bern")}
    )
    assert codes(second) == ["TOO_MANY"]
    segment(api, "Static is fine")


def test_a_merge_keeps_the_source_memberships(api, town):
    vips = segment(api, "VIPs")
    gold = segment(api, "Gold")
    api.ok("addCustomersToSegment", {"segmentId": vips, "customerIds": [town["ada"], town["bob"]]})
    api.ok("addCustomersToSegment", {"segmentId": gold, "customerIds": [town["ada"]]})
    api.ok("mergeCustomers", {"sourceId": town["ada"], "targetId": town["bob"]})
    assert found(api, leaf("segment", "EQ", vips)) == {"Bob"}
    assert found(api, leaf("segment", "EQ", gold)) == {"Bob"}
    assert read(api, vips)["count"] == 1


def test_undoing_a_merge_gives_the_memberships_back(api, town):
    vips = segment(api, "VIPs")
    gold = segment(api, "Gold")
    api.ok("addCustomersToSegment", {"segmentId": vips, "customerIds": [town["ada"], town["bob"]]})
    api.ok("addCustomersToSegment", {"segmentId": gold, "customerIds": [town["ada"]]})
    merged = api.ok(
        "mergeCustomers", {"sourceId": town["ada"], "targetId": town["bob"]}, "merge { id }"
    )
    api.ok("undoMerge", {"mergeId": merged["merge"]["id"]}, "merge { id }")
    assert found(api, leaf("segment", "EQ", vips)) == {"Ada", "Bob"}
    assert found(api, leaf("segment", "EQ", gold)) == {"Ada"}


USES = re.compile(
    r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)"
)


def test_a_static_segment_is_found_through_its_members_index(api, engine, client):
    """PostgreSQL, 5,000 customers, analysed, sequential scans priced out: counting a static
    segment reads `segment_members` through an index and never scans `customers`."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner")
    vips = segment(api, "VIPs")
    api.ok("addCustomersToSegment", {"segmentId": vips, "customerIds": [make(api, "Ada")]})

    async def grow():
        async with client.app.state.db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO customers (tenant_id, kind, name, sort_name, search_text, "
                    "phones, emails, custom_fields, blocked, version, created_at, updated_at) "
                    "SELECT :tenant, 'LEAD', 'Filler ' || n, 'filler ' || n, 'filler ' || n, "
                    "'[]', '[]', '{}', false, 1, now(), now() FROM generate_series(1, 5000) n"
                ),
                {"tenant": api.tenant_id},
            )
        async with client.app.state.db.read() as conn:
            for table in ("customers", "segment_members"):
                await conn.exec_driver_sql(f"ANALYZE {table}")

    run(client, grow)
    captured: list[tuple[str, tuple]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().lower().startswith("select count("):
            captured.append((statement, tuple(parameters or ())))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        counted = api.query(
            "query($id: ID!) { node(id: $id) { ... on Segment { count } } }", id=vips
        )
        assert counted["node"]["count"] == 1
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert len(captured) == 1

    async def explain() -> str:
        async with client.app.state.db.read() as conn:
            await conn.exec_driver_sql("SET enable_seqscan = off")
            try:
                rows = await conn.exec_driver_sql(f"EXPLAIN {captured[0][0]}", captured[0][1])
                return "\n".join(r[0] for r in rows)
            finally:
                await conn.exec_driver_sql("RESET enable_seqscan")

    plan = run(client, explain)
    used = set(USES.findall(plan))
    assert used & {"pk_segment_members", "ix_segment_members_tenant_id_customer_id_segment_id"}, (
        plan
    )
    assert "Seq Scan on customers" not in plan, plan
