"""`tickets { open(first:, after:) }` through the compiled path (`schema.compiled.module_lists`):
the same answers as the resolvers (ids, enums, the priority by its rank, due times,
`overdue` by now, the assignee or null, cursors, pageInfo, totalCount), on the list page and
in the profile, as the owner and as an agent, on both databases."""

from datetime import UTC, datetime, timedelta

from plugins.tickets.tests.test_tickets import opened, set_status
from tests.compiled_lists import LIST, assert_lists_compile
from tests.support import create_customer as customer
from tests.support import create_worker as worker
from tests.test_compiled import both, paths  # noqa: F401 (fixture)

PROFILE = """openCount overdueCount open(first: 10) { nodes { id reference subject status
  priority dueAt assignee { id name } } }"""
PAGED = """open(first: 3) { __typename totalCount totalCountIsExact
  edges { __typename cursor node { id number overdue createdAt updatedAt description
    openedBy { id name role } } }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }"""
COVERED = [
    PROFILE,
    PAGED,
    "open(first: 0) { totalCount edges { cursor } pageInfo { hasNextPage endCursor } }",
    "a: open(first: 2) { nodes { id } } b: open { nodes { reference overdue } } openCount",
    "open(first: 11) { nodes { id } pageInfo { hasNextPage } }",
]
UNCOVERED = [
    "open(first: 101) { nodes { id } }",
    'open(first: 2, after: "nonsense") { nodes { id } }',
    "all(first: 2) { nodes { id } }",
]


def test_the_open_list_compiles_as_the_resolvers_answer(api, paths):  # noqa: F811
    api.enable("tickets")
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    sam = worker(api, "Sam Agent")
    now = datetime.now(UTC)
    for n in range(12):  # more than a page; due on both sides of now, or never
        due = None if n % 3 == 0 else (now + timedelta(days=n - 6, minutes=n)).isoformat()
        fields = {"priority": ("LOW", "NORMAL", "HIGH", "URGENT")[n % 4], "dueAt": due}
        if n % 2:
            fields["assigneeId"] = sam
        ticket = opened(api, ada, f"Ada {n}", **fields)
        if n == 5:
            set_status(api, ticket["id"], "RESOLVED")
        if n == 7:
            set_status(api, ticket["id"], "PENDING")
    opened(api, bob, "Bob's", priority="HIGH", dueAt=(now - timedelta(hours=1)).isoformat())
    found = assert_lists_compile(paths, api, "tickets", [ada, bob, cyd], COVERED, UNCOVERED)

    rows = {n["id"]: n["tickets"] for n in found[PROFILE]}
    assert len(rows[ada]["open"]["nodes"]) == 10 and rows[cyd]["open"]["nodes"] == []
    assert rows[ada]["overdueCount"] > 0
    assert {n["assignee"] is None for n in rows[ada]["open"]["nodes"]} == {True, False}
    paged = {n["id"]: n["tickets"]["open"] for n in found[PAGED]}
    assert paged[ada]["totalCount"] == 11 and paged[ada]["pageInfo"]["hasNextPage"]
    after = paged[ada]["pageInfo"]["endCursor"]
    info = "pageInfo { hasPreviousPage hasNextPage startCursor endCursor }"
    later = f'open(first: 4, after: "{after}") {{ nodes {{ id }} {info} }}'
    assert_lists_compile(paths, api, "tickets", [ada, bob], [later])
    variable = LIST.replace("query {", "query($n: Int) {") % (
        "tickets",
        "open(first: $n) { nodes { id } }",
    )
    path, _ = both(paths, api.token, variable, {"n": 2})
    assert path == "fallback"
