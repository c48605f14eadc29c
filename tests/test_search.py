"""Search whichever way it runs (`core/customer_search.py`): the trigram index's candidates,
the walk of the ordered list with the substring as a filter, or the larger set of
candidates when a sample says the walk would read too much. `SEARCH_CANDIDATES` chooses:
0 always walks; 2, on a dozen customers, takes each way for some term; the default takes
the candidates. Every way, the pages in every order hold each match once, in order, both
ways, with the visibility rule and the other filters, and `totalCount` agrees. The plans
are read from the SQL the app builds, as in `test_pages.py`."""

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from core.access import principal_for
from core.customer_queries import CustomerFilter, list_customers
from core.database import RequestConnection
from core.pagination import PageRequest
from server import create_app
from tests.fixtures import new_tenant, run
from tests.support import Api, gid, pk_of
from tests.test_customer_list import SEARCHES, _searchable, found
from tests.test_pages import Explaining

PAGE = """
query($first: Int, $after: String, $last: Int, $before: String,
      $filter: CustomerFilter, $orderBy: CustomerOrder) {
  customers(first: $first, after: $after, last: $last, before: $before,
            filter: $filter, orderBy: $orderBy) {
    nodes { id name company }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}"""

# (name, company, follow-up hour or None): "mar" is in most names, the newest ones
# included; "northwind" only in three of the oldest; "lopez" in one.
PEOPLE = [
    ("Maria Lopez", "Northwind", 5),
    ("Zed Brown", None, None),
    ("Omar Khan", "Northwind", 1),
    ("Tamara Hill", None, None),
    ("Alan Reed", "Northwind", 3),
    ("Mark Evans", None, 5),
    ("Bo Marsh", None, None),
    ("Cy Kim", None, 2),
    ("Amaro Diaz", None, 1),
    ("Dimarco Ltd", None, 8),
    ("Eve Stone", None, None),
    ("Lamar Ford", None, 2),
]
TERMS = ["mar", "northwind", "lopez", "ma", "zzz"]
ORDERS = [
    ("NAME", "ASC"),
    ("NAME", "DESC"),
    ("CREATED_AT", "DESC"),
    ("UPDATED_AT", "ASC"),
    ("FOLLOW_UP_AT", "ASC"),
    ("FOLLOW_UP_AT", "DESC"),
]


@pytest.fixture(scope="module", params=[0, 2, 1000], ids=["walk", "either", "candidates"])
def capped(request, settings):
    configured = settings.model_copy(update={"search_candidates": request.param})
    with TestClient(create_app(configured)) as client:
        yield client


def people(api: Api, folder: str | None = None, agent: str | None = None) -> list[int]:
    """PEOPLE, created in order; every third in `folder`, every fourth assigned to `agent`;
    three of them edited afterwards, so the update order differs."""
    made = []
    for n, (name, company, hour) in enumerate(PEOPLE):
        fields = {"name": name}
        if company:
            fields["company"] = company
        if hour is not None:
            fields["followUpAt"] = f"2031-03-01T{hour:02d}:00:00+00:00"
        if folder and n % 3 == 0:
            fields["folders"] = [{"folderId": folder}]
        if agent and n % 4 == 0:
            fields["workerIds"] = [agent]
        payload = api.ok("createCustomer", fields, "customer { id }")
        made.append(payload["customer"]["id"])
    for n in (2, 6, 0):
        api.ok("updateCustomer", {"id": made[n], "city": "Leeds"}, "customer { id }")
    return made


def query(api: Api, **variables) -> dict:
    return api.query(PAGE, **variables)["customers"]


def expected(api: Api, term: str, order: dict, filter_: dict) -> list[str]:
    """The unsearched list in this order, keeping the rows whose name or company holds
    the term."""
    rows = query(api, first=100, orderBy=order, filter=filter_)["nodes"]
    return [r["id"] for r in rows if term in f"{r['name']} {r['company'] or ''}".lower()]


def walk(api: Api, order: dict, filter_: dict, size: int, backwards: bool) -> list[str]:
    """Every page of `size`, following the cursors one way; the ids in list order."""
    seen, cursor = [], None
    while True:
        if backwards:
            result = query(api, last=size, before=cursor, orderBy=order, filter=filter_)
            seen = [n["id"] for n in result["nodes"]] + seen
            more, cursor = result["pageInfo"]["hasPreviousPage"], result["pageInfo"]["startCursor"]
        else:
            result = query(api, first=size, after=cursor, orderBy=order, filter=filter_)
            seen += [n["id"] for n in result["nodes"]]
            more, cursor = result["pageInfo"]["hasNextPage"], result["pageInfo"]["endCursor"]
        if not more:
            return seen


def check(api: Api, order: dict, extra: dict | None = None) -> None:
    for term in TERMS:
        searched = {"search": term, **(extra or {})}
        want = expected(api, term, order, extra or {})
        assert walk(api, order, searched, 2, backwards=False) == want, term
        assert walk(api, order, searched, 2, backwards=True) == want, term
        assert query(api, first=0, filter=searched)["totalCount"] == len(want), term


@pytest.mark.parametrize("field, direction", ORDERS)
def test_search_pages_hold_every_match_once_in_order_both_ways(capped, field, direction):
    api = new_tenant(capped)
    people(api)
    check(api, {"field": field, "direction": direction})


def test_search_with_visibility_and_other_filters(capped):
    api = new_tenant(capped)
    folder = api.ok("createFolder", {"name": "Sales", "color": "#123456"}, "folder { id }")
    folder_id = folder["folder"]["id"]
    email = "ann.agent@example.com"
    payload = api.ok(
        "createWorker", {"name": "Ann Agent", "email": email, "role": "AGENT"}, "worker { id }"
    )
    agent = Api(capped, api.tenant_id, pk_of(payload["worker"]["id"]))
    me = gid("Worker", agent.worker_id)
    api.ok("setFolderAccess", {"folderId": folder_id, "workerId": me, "level": "VIEW"})
    people(api, folder=folder_id, agent=me)
    for order in (
        {"field": "NAME", "direction": "ASC"},
        {"field": "UPDATED_AT", "direction": "DESC"},
    ):
        check(agent, order)
        check(api, order, {"folderIds": [folder_id]})
        check(api, order, {"kinds": ["LEAD"], "followUpAt": {"from": "2031-03-01T02:00:00+00:00"}})


def test_phone_digits_and_email_pieces_whichever_way_search_runs(capped):
    api = new_tenant(capped)
    _searchable(api)
    results = [(term, found(api, search=term), want) for term, want in SEARCHES]
    assert [r for r in results if r[1] != r[2]] == []


# --- plans -----------------------------------------------------------------------------------


def plans(api: Api, term: str, order: str, cap: int) -> list[str]:
    """The plans of a searched page's statements as the app builds them. Scans and sorts are
    made expensive, as they are among a million rows: a few rows of a new tenant would
    rightly be sorted, and the question is whether the page's SQL can be walked."""

    async def work():
        reader = RequestConnection(api.client.app.state.db, api.tenant_id)
        try:
            async with reader() as conn:
                if conn.dialect.name == "postgresql":
                    await conn.execute(text("SET LOCAL enable_seqscan = off"))
                    await conn.execute(text("SET LOCAL enable_sort = off"))
                principal = await principal_for(conn, api.tenant_id, api.worker_id)
                explaining = Explaining(conn)
                wanted = CustomerFilter(search=term)
                request = PageRequest(first=2)
                await list_customers(explaining, principal, wanted, request, order, True, cap)
                return explaining.plans
        finally:
            await reader.close()

    return run(api.client, work)


@pytest.mark.parametrize(
    "order, column",
    [("CREATED_AT", "created_at"), ("UPDATED_AT", "updated_at"), ("NAME", "sort_name")],
)
def test_a_common_term_walks_the_ordered_index(api, order, column):
    """At a million customers, "mar" found 146,000: fetching and sorting them all took
    2 s, the walk finds a page within a few hundred rows."""
    people(api)
    *lookups, page = plans(api, "mar", order, cap=2)
    assert len(lookups) == 2, lookups  # the capped lookup, the sample
    assert f"ix_customers_tenant_id_{column}_id" in page, page
    if api.client.app.state.db.sqlite:
        assert "TEMP B-TREE" not in page and "customer_search" not in page, page
        return
    assert "Sort" not in page and "customer_hub_search" not in page, page
    assert "strpos(search_text, 'mar'::text)" in page, page
