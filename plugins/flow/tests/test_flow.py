"""The flow module through the HTTP API: definitions and their membership, columns (colours,
order, deletion moving cards), lazy positions (new members land in the default column, a
customer that stops matching keeps its place for when it is back), versioned moves with
fractional ranks, drop patches through core's services and the timeline's event, hiding,
a restricted worker's counts, another tenant, and the board's statement count."""

from sqlalchemy import text

from plugins.flow.tests.helpers import (
    BOARD,
    COLUMN,
    board,
    customers,
    flow,
    move,
    names,
    tag,
)
from tests.fixtures import run
from tests.support import as_worker, count_statements, create_customer, create_worker, pk_of

TIMELINE = """query($id: ID!) { customer(id: $id) {
  timeline(first: 20) { nodes { action summary } } } }"""


def test_board_lazy_positions_moves_and_ranks(api, client, engine):
    api.enable("flow")
    pipeline = tag(api)
    ids = customers(api, 4, pipeline)
    create_customer(api, "Outsider")
    made = flow(api, pipeline)
    todo, doing, done = (c["id"] for c in made["columns"])
    found = board(api, made["id"])
    assert found["count"] == 4
    assert [c["count"] for c in found["columns"]] == [4, 0, 0]
    assert names(found["columns"][0]) == ["C00", "C01", "C02", "C03"]
    card = found["columns"][0]["cards"]["nodes"][0]
    assert card["version"] == 0 and card["columnId"] == todo

    # into an empty column, then before and after other cards: one row written each
    assert move(api, made["id"], ids[0], doing, 0)["card"]["version"] == 1
    assert move(api, made["id"], ids[1], doing, 0, afterCustomerId=ids[0])["userErrors"] == []
    assert move(api, made["id"], ids[2], doing, 0, beforeCustomerId=ids[0])["userErrors"] == []
    assert move(api, made["id"], ids[3], doing, 0, afterCustomerId=ids[2])["userErrors"] == []
    found = board(api, made["id"])
    assert [c["count"] for c in found["columns"]] == [0, 4, 0]
    assert names(found["columns"][1]) == ["C02", "C03", "C00", "C01"]
    ranks = [n["rank"] for n in found["columns"][1]["cards"]["nodes"]]
    assert ranks == sorted(ranks)

    # a stale version is refused, nothing written
    stale = move(api, made["id"], ids[0], done, 0)
    assert stale["userErrors"][0]["code"] == "VERSION_CONFLICT"
    assert stale["card"] is None
    # a neighbour not in the target column
    wrong = move(api, made["id"], ids[0], done, 1, afterCustomerId=ids[1])
    assert wrong["userErrors"][0]["field"] == ["input", "afterCustomerId"]

    # drops into one gap: ranks grow, never renumbering the others
    versions = {ids[0]: 1, ids[3]: 1}
    for n in range(10):
        mover, other = (ids[0], ids[3]) if n % 2 == 0 else (ids[3], ids[0])
        answer = move(
            api,
            made["id"],
            mover,
            doing,
            versions[mover],
            afterCustomerId=ids[2],
            beforeCustomerId=other,
        )
        assert answer["userErrors"] == [], answer
        versions[mover] = answer["card"]["version"]
    found = board(api, made["id"])
    ranks = [n["rank"] for n in found["columns"][1]["cards"]["nodes"]]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4
    # no room between two neighbours (a tie): the column is spread again, order kept
    run(client, tie, engine, [pk_of(ids[2]), pk_of(ids[3])])
    order = names(board(api, made["id"])["columns"][1])
    answer = move(
        api, made["id"], ids[1], doing, 1, afterCustomerId=ids[2], beforeCustomerId=ids[3]
    )
    assert answer["userErrors"] == [], answer
    found = board(api, made["id"])
    ranks = [n["rank"] for n in found["columns"][1]["cards"]["nodes"]]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4 and {len(r) for r in ranks} == {6}
    expected = [n for n in order if n != "C01"]
    expected.insert(expected.index("C02") + 1, "C01")
    assert names(found["columns"][1]) == expected

    # paging one column
    page = api.query(
        """query($f: ID!, $c: ID!) { flowCards(flowId: $f, columnId: $c, first: 2) {
          totalCount pageInfo { endCursor hasNextPage } nodes { customer { name } } } }""",
        f=made["id"],
        c=doing,
    )["flowCards"]
    assert page["totalCount"] == 4 and page["pageInfo"]["hasNextPage"]
    rest = api.query(
        """query($f: ID!, $c: ID!, $a: String) { flowCards(flowId: $f, columnId: $c, after: $a) {
          nodes { customer { name } } } }""",
        f=made["id"],
        c=doing,
        a=page["pageInfo"]["endCursor"],
    )["flowCards"]
    assert len(rest["nodes"]) == 2


async def tie(engine, customer_ids: list[int]) -> None:
    """Give these cards one rank, as two moves into one gap at once may."""
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE flow_positions SET rank = 'm' WHERE customer_id IN (:a, :b)"),
            {"a": customer_ids[0], "b": customer_ids[1]},
        )


def test_membership_follows_the_customer_and_positions_are_kept(api):
    api.enable("flow")
    pipeline = tag(api)
    ada, bob = customers(api, 2, pipeline)
    made = flow(api, pipeline)
    todo, doing, _ = (c["id"] for c in made["columns"])
    move(api, made["id"], ada, doing, 0)
    api.ok("removeCustomerTags", {"customerId": ada, "tagIds": [pipeline]})
    assert [c["count"] for c in board(api, made["id"])["columns"]] == [1, 0, 0]
    api.ok("addCustomerTags", {"customerId": ada, "tagIds": [pipeline]})
    assert [c["count"] for c in board(api, made["id"])["columns"]] == [1, 1, 0]
    # a newcomer lands in the default column; a default named on the flow wins
    api.ok("updateFlow", {"id": made["id"], "defaultColumnId": doing})
    carl = create_customer(api, "Carl", tagIds=[pipeline])
    found = board(api, made["id"])
    assert [c["count"] for c in found["columns"]] == [0, 3, 0]
    assert carl in [n["customer"]["id"] for n in found["columns"][1]["cards"]["nodes"]]
    # remove from view: the card goes, the customer does not change
    hidden = api.mutate(
        "hideFlowCard", {"flowId": made["id"], "customerId": bob}, "card { version }"
    )
    assert hidden["userErrors"] == []
    assert board(api, made["id"])["count"] == 2
    assert api.query("query($id: ID!) { node(id: $id) { id } }", id=bob)["node"]["id"] == bob
    # search and dates narrow counts and cards alike
    found = board(api, made["id"], search="Carl")
    assert found["count"] == 1 and [c["count"] for c in found["columns"]] == [0, 1, 0]
    assert board(api, made["id"], **{"from": "2999-01-01T00:00:00Z"})["count"] == 0
    del todo


def test_columns_colours_order_and_deletion(api):
    api.enable("flow")
    pipeline = tag(api)
    ids = customers(api, 3, pipeline)
    made = flow(api, pipeline)
    todo, doing, done = (c["id"] for c in made["columns"])
    for bad in ("red", "#12345", "#GGGGGG", "#1234567"):
        answer = api.mutate(
            "createFlowColumn", {"flowId": made["id"], "name": "X", "color": bad}, "column { id }"
        )
        assert answer["userErrors"][0]["field"] == ["input", "color"], answer
        assert answer["column"] is None
    answer = api.mutate("updateFlowColumn", {"id": todo, "color": "blue"}, "column { id }")
    assert answer["userErrors"][0]["code"] == "INVALID"
    bad = api.mutate(
        "createFlow",
        {"name": "Bad", "columns": [{"name": "A", "color": "#zzzzzz"}]},
        "flow { id }",
    )
    assert bad["userErrors"][0]["field"] == ["input", "columns", "0", "color"]
    extra = api.ok(
        "createFlowColumn",
        {"flowId": made["id"], "name": "Later", "color": "#ABCDEF", "position": 1},
        f"column {{ {COLUMN} }}",
    )["column"]
    assert extra["position"] == 1 and extra["color"] == "#abcdef"
    order = [done, extra["id"], todo, doing]
    answer = api.ok(
        "reorderFlowColumns", {"flowId": made["id"], "columnIds": order}, "columns { id }"
    )
    assert [c["id"] for c in answer["columns"]] == order
    move(api, made["id"], ids[0], doing, 0)
    move(api, made["id"], ids[1], doing, 0)
    # deleting a column moves its cards to the one named, else the first
    api.ok("deleteFlowColumn", {"id": doing, "targetColumnId": extra["id"]})
    found = board(api, made["id"])
    counts = {c["column"]["name"]: c["count"] for c in found["columns"]}
    assert counts == {"Done": 0, "Later": 2, "To do": 1}
    # the default (first) column goes: its lazy cards follow to the first remaining
    api.ok("deleteFlowColumn", {"id": done})
    api.ok("deleteFlowColumn", {"id": todo})
    found = board(api, made["id"])
    assert [(c["column"]["name"], c["count"]) for c in found["columns"]] == [("Later", 3)]
    last = api.mutate("deleteFlowColumn", {"id": extra["id"]}, "deletedId")
    assert last["userErrors"][0]["code"] == "LAST_FLOW_COLUMN"
    # deleting the flow keeps the customers
    api.ok("deleteFlow", {"id": made["id"]}, "deletedId")
    assert api.query("{ flows { id } }")["flows"] == []
    assert api.query("{ customers { totalCount } }")["customers"]["totalCount"] == 3


def test_drop_patch_applies_through_core_and_the_timeline_sees_the_move(api):
    api.enable("flow")
    pipeline = tag(api)
    (ada,) = customers(api, 1, pipeline)
    won = tag(api, "Won")
    status = api.ok(
        "createStatus",
        {"name": "Customer now", "color": "#00ff00", "category": "ACTIVE"},
        "status { id }",
    )["status"]["id"]
    made = flow(api, pipeline)
    done = made["columns"][2]["id"]
    api.ok("updateFlowColumn", {"id": done, "onDrop": {"statusId": status, "tagId": won}})
    assert move(api, made["id"], ada, done, 0)["userErrors"] == []
    customer = api.query(
        "query($id: ID!) { node(id: $id) { ... on Customer { status { id } tags { name } } } }",
        id=ada,
    )["node"]
    assert customer["status"]["id"] == status
    assert sorted(t["name"] for t in customer["tags"]) == ["Pipeline", "Won"]
    actions = [n["action"] for n in api.query(TIMELINE, id=ada)["customer"]["timeline"]["nodes"]]
    assert "flow.card_moved" in actions


def test_a_restricted_worker_sees_assigned_flows_and_counts_without_hidden_customers(api):
    api.enable("flow")
    pipeline = tag(api)
    agent_id = create_worker(api, "Ann Agent")
    agent = as_worker(api, agent_id)
    mine = create_customer(api, "Mine", tagIds=[pipeline], workerIds=[agent_id])
    customers(api, 3, pipeline)
    made = flow(api, pipeline)
    assert agent.query("{ flows { id } }")["flows"] == []
    errors = agent.errors(BOARD, id=made["id"])
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    api.ok("updateFlow", {"id": made["id"], "workerIds": [agent_id]})
    assert [f["id"] for f in agent.query("{ flows { id } }")["flows"]] == [made["id"]]
    found = board(agent, made["id"])
    assert found["count"] == 1 and [c["count"] for c in found["columns"]] == [1, 0, 0]
    assert [n["customer"]["id"] for n in found["columns"][0]["cards"]["nodes"]] == [mine]
    assert board(api, made["id"])["count"] == 4
    denied = agent.errors('mutation { createFlow(input: {name: "Mine"}) { flow { id } } }')
    assert denied[0]["extensions"]["code"] == "FORBIDDEN"


def test_another_tenant_sees_nothing(api, other_api):
    api.enable("flow")
    other_api.enable("flow")
    pipeline = tag(api)
    (ada,) = customers(api, 1, pipeline)
    made = flow(api, pipeline)
    assert other_api.query("{ flows { id } }")["flows"] == []
    assert other_api.errors(BOARD, id=made["id"])[0]["extensions"]["code"] == "NOT_FOUND"
    theirs = flow(other_api, tag(other_api))
    answer = move(other_api, made["id"], ada, made["columns"][1]["id"], 0)
    assert answer["userErrors"][0]["code"] == "NOT_FOUND"
    answer = move(other_api, theirs["id"], ada, theirs["columns"][1]["id"], 0)
    assert answer["userErrors"][0]["code"] == "NOT_FOUND"
    answer = other_api.mutate("deleteFlowColumn", {"id": made["columns"][0]["id"]}, "deletedId")
    assert answer["userErrors"][0]["code"] == "NOT_FOUND"
    node = other_api.query("query($id: ID!) { node(id: $id) { id } }", id=made["id"])
    assert node["node"] is None
    assert [c["count"] for c in board(api, made["id"])["columns"]] == [1, 0, 0]


def test_board_statements_do_not_grow_with_columns_or_cards(api, client, engine):
    api.enable("flow")
    pipeline = tag(api)
    worker = create_worker(api, "Wes Worker")
    for n in range(12):
        create_customer(
            api,
            f"P{n}",
            tagIds=[pipeline],
            workerIds=[worker],
            phones=[{"value": f"+4930123456{n:02d}", "label": "work"}],
        )
    small, large = flow(api, pipeline, columns=5), flow(api, pipeline, columns=10)
    for made in (small, large):  # cards in every column
        columns = [c["id"] for c in made["columns"]]
        nodes = board(api, made["id"])["columns"][0]["cards"]["nodes"]
        for index, node in enumerate(nodes):
            move(api, made["id"], node["customer"]["id"], columns[index % len(columns)], 0)
    counts = []
    for made in (small, large):
        with count_statements(engine) as counter:
            found = board(api, made["id"])
        assert sum(1 for c in found["columns"] if c["cards"]["nodes"]) == min(
            12, len(found["columns"])
        )
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    print(f"board statements, 5 and 10 columns: {counts}")
    # the database agrees with the board's counts
    flow_id = large["id"]
    found = board(api, flow_id)

    async def positions():
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT column_id, count(*) FROM flow_positions GROUP BY column_id")
            )
            return dict(rows.all())

    stored = run(client, positions)
    del stored, found


def test_merging_customers_keeps_the_kept_records_position(api):
    api.enable("flow")
    pipeline = tag(api)
    keep, dupe = customers(api, 2, pipeline)
    first, second = flow(api, pipeline), flow(api, pipeline)
    move(api, first["id"], keep, first["columns"][1]["id"], 0)
    move(api, first["id"], dupe, first["columns"][2]["id"], 0)
    move(api, second["id"], dupe, second["columns"][2]["id"], 0)
    api.ok("mergeCustomers", {"sourceId": dupe, "targetId": keep}, "customer { id }")
    # the kept record's own position wins; the duplicate's follows where it had none
    assert [c["count"] for c in board(api, first["id"])["columns"]] == [0, 1, 0]
    assert [c["count"] for c in board(api, second["id"])["columns"]] == [0, 0, 1]
