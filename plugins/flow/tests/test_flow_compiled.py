"""`flowBoard` and `flowCards` through the compiled path (`plugins/flow/compiled.py`): the same
answers as the resolvers, placed and unplaced cards, pages and cursors of both kinds, a drop
patch, search and dates, as the owner and as an assigned agent, on both databases; what it
does not cover (an unknown flow, an unassigned worker, a bad page) takes the usual path and
its errors."""

from plugins.flow.tests.helpers import customers, flow, move, tag
from tests.support import as_worker, count_statements, create_customer, create_worker
from tests.test_compiled import both, paths  # noqa: F401 (fixture)

CUSTOMER = """id name avatarUrl primaryPhone primaryEmail phones { label value primary }
  status { id name category } tags { id name } workers { id name role }
  folders { folder { id name } } profileTabs { key badgeCount } subCustomerCount"""
COLUMN = "__typename id name color position createdAt flowId onDrop { statusId folderId tagId }"
CARDS = f"""__typename totalCount totalCountIsExact
  pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
  edges {{ cursor node {{ rank version columnId customer {{ {CUSTOMER} }} }} }}
  nodes {{ __typename rank customer {{ id }} }}"""
BOARD = f"""query($id: ID!, $first: Int, $search: String, $from: DateTime, $to: DateTime) {{
  __typename
  flowBoard(flowId: $id, first: $first, search: $search, createdFrom: $from,
            updatedTo: $to) {{
    __typename count
    flow {{ id name leadSources createdAt updatedAt folderIds tagIds statusIds
      columns {{ {COLUMN} }} defaultColumn {{ id name }} workers {{ id name email }} }}
    columns {{ count column {{ {COLUMN} }} cards {{ {CARDS} }} }}
  }}
}}"""
FLOWS = f"""{{ flows {{ __typename id name leadSources createdAt updatedAt folderIds tagIds
  statusIds columns {{ {COLUMN} }} defaultColumn {{ id }} workers {{ id name role }} }} }}"""
CARDS_PAGE = f"""query($id: ID!, $column: ID!, $first: Int, $after: String, $search: String) {{
  flowCards(flowId: $id, columnId: $column, first: $first, after: $after,
            search: $search) {{ {CARDS} }}
}}"""


def _board(api):
    """A flow of 7 tagged customers over three columns: four placed (two in the default
    column, two in the second, one of them hidden), the rest unplaced; a drop patch."""
    api.enable("flow")
    pipeline = tag(api)
    status = api.query("{ statuses { id } }")["statuses"][0]["id"]
    worker = create_worker(api, "Ann Agent")
    ids = customers(api, 7, pipeline)
    api.ok("assignWorkers", {"customerId": ids[1], "workerIds": [worker]})
    api.ok("assignWorkers", {"customerId": ids[4], "workerIds": [worker]})
    create_customer(api, "Outsider")
    made = flow(api, pipeline, workerIds=[worker], leadSources=[])
    todo, doing, _ = (c["id"] for c in made["columns"])
    api.ok("updateFlowColumn", {"id": doing, "onDrop": {"statusId": status}})
    assert move(api, made["id"], ids[4], doing, 0)["userErrors"] == []
    assert move(api, made["id"], ids[5], doing, 0)["userErrors"] == []
    assert move(api, made["id"], ids[6], todo, 0)["userErrors"] == []
    assert move(api, made["id"], ids[2], todo, 0, beforeCustomerId=ids[6])["userErrors"] == []
    hidden = {"flowId": made["id"], "customerId": ids[5]}
    assert api.mutate("hideFlowCard", hidden, "card { version }")["userErrors"] == []
    return made, worker


def test_the_board_and_its_pages_compile_as_the_resolvers_answer(api, paths):  # noqa: F811
    made, worker = _board(api)
    todo, doing = made["columns"][0]["id"], made["columns"][1]["id"]
    agent = as_worker(api, worker)
    api.ok("createFlow", {"name": "Z second", "columns": [{"name": "Only", "color": "#000000"}]})
    for token in (api.token, agent.token):
        path, body = both(paths, token, FLOWS)
        assert path == "compiled" and body["data"]["flows"], body  # by name: Sales first
        for variables in ({}, {"first": 2}, {"first": 0}, {"search": "C0"}, {"search": "zz"}):
            path, body = both(paths, token, BOARD, {"id": made["id"], **variables})
            assert path == "compiled", body
        for column in (todo, doing):
            page = {"id": made["id"], "column": column, "first": 2}
            path, body = both(paths, token, CARDS_PAGE, page)
            assert path == "compiled", body
            while body["data"]["flowCards"]["pageInfo"]["hasNextPage"]:  # both kinds of cursor
                after = body["data"]["flowCards"]["pageInfo"]["endCursor"]
                path, body = both(paths, token, CARDS_PAGE, {**page, "after": after})
                assert path == "compiled", body

    path, body = both(paths, api.token, BOARD, {"id": made["id"]})
    board = body["data"]["flowBoard"]
    assert board["count"] == 6 and [c["count"] for c in board["columns"]] == [5, 1, 0]
    first = board["columns"][0]["cards"]
    assert first["totalCount"] == 5 and len(first["edges"]) == 5
    assert [e["node"]["version"] for e in first["edges"]][:2] == [1, 1]  # placed first
    assert board["columns"][1]["column"]["onDrop"]["statusId"] is not None
    assert board["flow"]["workers"] == [
        {"id": worker, "name": "Ann Agent", "email": "ann.agent@example.com"}
    ]
    path, body = both(paths, agent.token, BOARD, {"id": made["id"]})
    assert [c["count"] for c in body["data"]["flowBoard"]["columns"]] == [1, 1, 0]


def test_what_the_board_does_not_cover_takes_the_usual_path(api, paths):  # noqa: F811
    made, _ = _board(api)
    todo = made["columns"][0]["id"]
    stranger = as_worker(api, create_worker(api, "Una Unassigned"))
    path, body = both(paths, stranger.token, FLOWS)
    assert path == "compiled" and body["data"]["flows"] == [], body
    refused = [
        (api.token, BOARD, {"id": made["columns"][0]["id"]}),  # not a flow's id
        (api.token, BOARD, {"id": made["id"], "first": 500}),
        (stranger.token, BOARD, {"id": made["id"]}),
        (api.token, CARDS_PAGE, {"id": made["id"], "column": made["id"]}),
        (api.token, CARDS_PAGE, {"id": made["id"], "column": todo, "after": "nonsense"}),
    ]
    for token, query, variables in refused:
        path, body = both(paths, token, query, variables)
        assert path == "fallback" and body["errors"], body


def test_a_compiled_board_is_one_statement_after_the_resolvers_reads(api, paths, engine):  # noqa: F811
    made, _ = _board(api)
    compiled, fallback = paths
    sent = {"query": BOARD, "variables": {"id": made["id"]}}
    headers = {"Authorization": f"Bearer {api.token}"}
    counts = []
    for app in (compiled, fallback):
        with count_statements(app.app.state.db.engine) as counter:
            assert "errors" not in app.post("/graphql", json=sent, headers=headers).json()
        counts.append(counter.count)
    # the principal, the flow, its columns, then the board; the resolvers read the counts,
    # the pages and each relation of the cards' customers apart
    assert counts[0] == 4 and counts[1] > 8, counts
