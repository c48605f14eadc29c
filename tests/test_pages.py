"""Keyset pages at any depth: every row once and in order both ways (across the nulls of a
nullable order too), cursors the database can start its index walk at, and restricted
workers' pages and counts whichever way the rule finds their customers. The plans are
read from the SQL the app itself builds, on a few rows: what holds at a million is that the
cursor is an index condition and no sort is needed (the scale bench measures the rest)."""

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from core import access
from core.access import principal_for
from core.customer_queries import CustomerFilter, list_customers
from core.database import RequestConnection
from core.pagination import PageRequest
from tests.fixtures import run
from tests.support import Api, gid, pk_of

PAGE = """
query($first: Int, $after: String, $last: Int, $before: String, $orderBy: CustomerOrder) {
  customers(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}"""


def make(api: Api, name: str, **fields) -> int:
    payload = api.ok("createCustomer", {"name": name, **fields}, "customer { id }")
    return pk_of(payload["customer"]["id"])


def page(api: Api, **variables) -> dict:
    return api.query(PAGE, **variables)["customers"]


def ids(result: dict) -> list[int]:
    return [pk_of(e["node"]["id"]) for e in result["edges"]]


def follow_ups(api: Api) -> dict[int, datetime | None]:
    """Ten customers: three without a follow-up, two pairs sharing one (ties the id breaks),
    created out of follow-up order."""
    base = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)
    hours = [5, None, 1, 5, None, 3, 1, None, 8, 2]
    made = {}
    for n, h in enumerate(hours):
        when = None if h is None else base + timedelta(hours=h)
        extra = {} if when is None else {"followUpAt": when.isoformat()}
        made[make(api, f"C{n}", **extra)] = when
    return made


def expected_order(made: dict, descending: bool) -> list[int]:
    valued = sorted((w, i) for i, w in made.items() if w is not None)
    nulls = sorted(i for i, w in made.items() if w is None)
    if descending:
        valued.reverse()
        nulls.reverse()
    return [i for _, i in valued] + nulls


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("size", [1, 3])
def test_follow_up_pages_hold_every_row_once_in_order_both_ways(api, direction, size):
    expected = expected_order(follow_ups(api), direction == "DESC")
    order = {"field": "FOLLOW_UP_AT", "direction": direction}
    assert ids(page(api, first=100, orderBy=order)) == expected
    forward, after = [], None
    while True:
        result = page(api, first=size, after=after, orderBy=order)
        forward += ids(result)
        assert result["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not result["pageInfo"]["hasNextPage"]:
            break
        after = result["pageInfo"]["endCursor"]
    assert forward == expected
    backward, before = [], None
    while True:
        result = page(api, last=size, before=before, orderBy=order)
        backward = ids(result) + backward
        assert result["pageInfo"]["hasNextPage"] is (before is not None)
        if not result["pageInfo"]["hasPreviousPage"]:
            break
        before = result["pageInfo"]["startCursor"]
    assert backward == expected


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_every_cursor_pages_on_from_either_side_of_the_nulls(api, direction):
    expected = expected_order(follow_ups(api), direction == "DESC")
    order = {"field": "FOLLOW_UP_AT", "direction": direction}
    cursors = [e["cursor"] for e in page(api, first=100, orderBy=order)["edges"]]
    n = len(expected)
    for i, cursor in enumerate(cursors):
        later = page(api, first=2, after=cursor, orderBy=order)
        assert ids(later) == expected[i + 1 : i + 3], i
        assert later["pageInfo"]["hasNextPage"] is (i + 3 < n)
        earlier = page(api, last=2, before=cursor, orderBy=order)
        assert ids(earlier) == expected[max(i - 2, 0) : i], i
        assert earlier["pageInfo"]["hasPreviousPage"] is (i > 2)
        between = page(api, first=100, after=cursor, before=cursors[-1], orderBy=order)
        assert ids(between) == expected[i + 1 : n - 1]


def test_cursors_keep_their_format(api):
    """Clients keep cursors across releases: [order, value, id], base64url without padding."""
    made = follow_ups(api)
    order = {"field": "FOLLOW_UP_AT", "direction": "ASC"}
    null_id = expected_order(made, False)[-1]
    old = base64.urlsafe_b64encode(json.dumps(["follow_up_at:asc", None, null_id]).encode())
    result = page(api, last=1, before=old.decode().rstrip("="), orderBy=order)
    assert ids(result) == expected_order(made, False)[-2:-1]
    first = page(api, first=1)["pageInfo"]["endCursor"]
    raw = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    assert raw[0] == "created_at:desc" and set(raw[1]) == {"t"} and isinstance(raw[2], int)


# --- plans -----------------------------------------------------------------------------------


class Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement, prefix: str):
        self.statement, self.prefix = statement, prefix


@compiles(Explain)
def _explain(element, compiler, **kw):
    return element.prefix + compiler.process(element.statement, **kw)


class Explaining:
    """A connection that keeps the plan of each statement before running it."""

    def __init__(self, conn):
        self.conn, self.dialect, self.plans = conn, conn.dialect, []

    async def execute(self, statement, *args, **kwargs):
        sqlite = self.dialect.name == "sqlite"
        prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        rows = (await self.conn.execute(Explain(statement, prefix))).all()
        self.plans.append("\n".join(str(row[-1]) for row in rows))
        return await self.conn.execute(statement, *args, **kwargs)


# Archived customers too: without column statistics (the tests' tables have none, the app's
# role cannot analyse them) PostgreSQL guesses `archived_at IS NULL` keeps 0.5 % of a tiny
# tenant and sorts it; tests/test_archive.py plans the live list in an analysed tenant.
EVERYONE = CustomerFilter(archived="INCLUDE")


def plans(actor: Api, order: str, descending: bool, request: PageRequest) -> list[str]:
    """The plans of a list page's statements, as the app builds them for `actor`. Sequential
    scans are made expensive, as they are among a million rows: then only an index that
    serves the order and the cursor avoids a sort."""

    async def work():
        reader = RequestConnection(actor.client.app.state.db, actor.tenant_id)
        try:
            async with reader() as conn:
                if conn.dialect.name == "postgresql":
                    await conn.execute(text("SET LOCAL enable_seqscan = off"))
                principal = await principal_for(conn, actor.tenant_id, actor.worker_id)
                explaining = Explaining(conn)
                await list_customers(explaining, principal, EVERYONE, request, order, descending)
                return explaining.plans
        finally:
            await reader.close()

    return run(actor.client, work)


def cursor_at(api: Api, order: dict, index: int) -> str:
    return page(api, first=100, orderBy=order)["edges"][index]["cursor"]


ORDERS = [
    ("CREATED_AT", "DESC", "created_at"),
    ("UPDATED_AT", "ASC", "updated_at"),
    ("NAME", "ASC", "sort_name"),
    ("FOLLOW_UP_AT", "ASC", "follow_up_at"),
    ("FOLLOW_UP_AT", "DESC", "follow_up_at"),
]


@pytest.mark.parametrize("field, direction, column", ORDERS)
def test_a_deep_page_starts_its_index_walk_at_the_cursor(api, field, direction, column):
    follow_ups(api)
    order = {"field": field, "direction": direction}
    index_name = f"ix_customers_tenant_id_{column}_id"
    for index in (2, 8):  # with a value; among the nulls of FOLLOW_UP_AT
        cursor = cursor_at(api, order, index)
        for request in (PageRequest(first=3, after=cursor), PageRequest(last=3, before=cursor)):
            for plan in plans(api, field, direction == "DESC", request):
                assert index_name in plan, plan
                if api.client.app.state.db.sqlite:
                    assert "TEMP B-TREE" not in plan, plan
                    assert re.search(rf"\(tenant_id=\? AND {column}[<>=]\?", plan), plan
                    continue
                lines = plan.splitlines()
                assert "Sort" not in plan, plan
                assert [x for x in lines if "Filter:" in x and "One-Time" not in x] == [], plan
                bounds = " ".join(x for x in lines if "Index Cond" in x)
                assert (
                    "ROW(" in bounds
                    or "id <" in bounds
                    or "id >" in bounds
                    or ("IS NOT NULL" in bounds)
                ), plan


def worker(api: Api, name: str) -> Api:
    email = name.lower().replace(" ", ".") + "@example.com"
    payload = api.ok(
        "createWorker", {"name": name, "email": email, "role": "AGENT"}, "worker { id }"
    )
    return Api(api.client, api.tenant_id, pk_of(payload["worker"]["id"]))


def folder(api: Api, name: str) -> str:
    return api.ok("createFolder", {"name": name, "color": "#123456"}, "folder { id }")["folder"][
        "id"
    ]


@pytest.fixture
def agency(api):
    """An agent assigned two customers and allowed two folders, which overlap: six
    customers reach them (one by three ways), three do not, one of those a sub-customer."""
    agent = worker(api, "Ann Agent")
    me = gid("Worker", agent.worker_id)
    sales, support, hidden = folder(api, "Sales"), folder(api, "Support"), folder(api, "Hidden")
    for f in (sales, support):
        api.ok("setFolderAccess", {"folderId": f, "workerId": me, "level": "VIEW"})
    both = [{"folderId": sales}, {"folderId": support}]
    seen = [
        make(api, "A", workerIds=[me]),
        make(api, "B", workerIds=[me], folders=both),
        make(api, "C", folders=[{"folderId": sales}]),
        make(api, "D", folders=[{"folderId": support}]),
        make(api, "E", folders=both),
    ]
    make(api, "F", folders=[{"folderId": hidden}])
    parent = make(api, "G")
    make(api, "H", parentId=gid("Customer", parent))
    seen.append(make(api, "I", folders=[{"folderId": sales}], workerIds=[me]))
    return agent, list(reversed(seen))


@pytest.mark.parametrize("few_links", [0, access.FEW_LINKS], ids=["walk", "links-first"])
def test_restricted_pages_and_counts_whichever_way_the_rule_runs(agency, monkeypatch, few_links):
    monkeypatch.setattr(access, "FEW_LINKS", few_links)
    agent, expected = agency
    whole = page(agent, first=100)
    assert ids(whole) == expected
    assert whole["totalCount"] == len(expected)
    walked, after = [], None
    while True:
        result = page(agent, first=2, after=after)
        walked += ids(result)
        if not result["pageInfo"]["hasNextPage"]:
            break
        after = result["pageInfo"]["endCursor"]
    assert walked == expected
    by_name = page(agent, last=2, orderBy={"field": "NAME", "direction": "ASC"})
    assert ids(by_name) == sorted(expected)[-2:]


def test_a_restricted_page_probes_rows_rather_than_hashing_every_link(agency, monkeypatch):
    """At a million customers PostgreSQL hashed the agent's 26,000 assignments and 70,000
    folder members before the first row (245 ms); probing rows found the page in 1 ms."""
    agent, _ = agency
    monkeypatch.setattr(access, "FEW_LINKS", 0)
    (plan,) = plans(agent, "CREATED_AT", True, PageRequest(first=2))
    if agent.client.app.state.db.sqlite:
        assert "TEMP B-TREE" not in plan, plan
        return
    assert "Hash" not in plan and "hashed" not in plan, plan
    assert "SubPlan" in plan and "Sort" not in plan, plan


def test_the_apps_postgresql_sessions_run_without_jit(client):
    """JIT compiling took 108 of the 360 ms of an agent's count at a million customers."""
    db = client.app.state.db
    if db.sqlite:
        pytest.skip("PostgreSQL's setting")

    async def work():
        async with db.read() as conn:
            return await conn.scalar(text("SHOW jit"))

    assert run(client, work) == "off"
