"""A compiled request whose statement depends only on the principal and the operation's
shape runs a statement kept from an earlier request, with its own values as parameters
(`schema/compiled/execute.py`): a second request of the same shape must answer with its
own id, its own page size, the data as it is now and its own principal's visibility, each
the same as the resolvers'. A small tenant of its own: no demo to seed."""

from tests.support import Api, as_worker, count_statements, create_customer, create_worker
from tests.test_compiled import both, paths  # noqa: F401 (fixtures)

PROFILE = """query($id: ID!) { customer(id: $id) { id name subCustomerCount
  subCustomers(first: 3) { nodes { id name } pageInfo { hasNextPage } }
  tags { name } timeline(first: 4) { pageInfo { hasNextPage } nodes { action summary } } } }"""
LIST = """query($first: Int) { customers(first: $first) {
    pageInfo { hasNextPage endCursor } nodes { id name tags { name } } } }"""
TAGGED = """query($first: Int, $tags: [ID!]!) {
  customers(first: $first, filter: {tags: {ids: $tags}}) { nodes { id name tags { name } } } }"""


def _compiled(apps, token: str, query: str, variables: dict) -> dict:
    path, body = both(apps, token, query, variables)
    assert path == "compiled", body
    return body["data"]


def _shop(api: Api) -> tuple[list[str], str, list[str]]:
    """(customers, an agent assigned to the first two, the two tags), with sub-customers."""
    tags = [
        api.ok("createTag", {"name": n, "color": "#336699"}, "tag { id }")["tag"]["id"]
        for n in ("VIP", "Cold")
    ]
    parent = create_customer(api, "Parent Co", tagIds=tags[:1])
    kids = [create_customer(api, f"Kid {i}", parentId=parent) for i in range(4)]
    others = [create_customer(api, f"Other {i}", tagIds=tags[i % 2 :]) for i in range(5)]
    agent = create_worker(api, "Kept Agent", "AGENT")
    for customer in (parent, others[0]):
        api.ok("assignWorkers", {"customerId": customer, "workerIds": [agent]})
    return [parent, *kids, *others], agent, tags


def test_a_kept_profile_answers_for_each_customer_and_worker(paths, api):  # noqa: F811
    customers, agent, _ = _shop(api)
    other = create_worker(api, "Other Agent", "AGENT")
    api.ok("assignWorkers", {"customerId": customers[6], "workerIds": [other]})
    owner, agent, other = api.token, as_worker(api, agent).token, as_worker(api, other).token
    seen = {}
    for token in (owner, agent, other, owner):
        for customer in customers:
            seen[token, customer] = _compiled(paths, token, PROFILE, {"id": customer})["customer"]
    parent = seen[owner, customers[0]]
    assert len(parent["subCustomers"]["nodes"]) == 3 and parent["subCustomers"]["pageInfo"]
    assert [seen[owner, c]["id"] for c in customers] == customers
    assert [c for c in customers if seen[agent, c] is not None] == [customers[0], customers[5]]
    assert [c for c in customers if seen[other, c] is not None] == [customers[6]]


def test_a_kept_list_page_reads_the_data_and_sizes_of_each_request(paths, api):  # noqa: F811
    _, _, tags = _shop(api)
    first = _compiled(paths, api.token, LIST, {"first": 3})["customers"]["nodes"]
    made = create_customer(api, "Kept Newcomer")
    api.ok("updateCustomer", {"id": first[0]["id"], "name": "Kept Renamed"})
    again = _compiled(paths, api.token, LIST, {"first": 3})["customers"]["nodes"]
    assert again[0]["id"] == made
    assert "Kept Renamed" in [n["name"] for n in again]
    assert len(_compiled(paths, api.token, LIST, {"first": 7})["customers"]["nodes"]) == 7
    names = dict(zip(tags, ("VIP", "Cold"), strict=True))
    for tag in tags * 2:  # a filter's values are part of what is kept
        nodes = _compiled(paths, api.token, TAGGED, {"first": 9, "tags": [tag]})["customers"][
            "nodes"
        ]
        assert nodes and all(names[tag] in {t["name"] for t in n["tags"]} for n in nodes)


def test_a_kept_statement_is_one_statement_and_kept_per_principal(paths, api):  # noqa: F811
    """Two workers of one role differ in what they see: each has their own statement."""
    customers, agent, _ = _shop(api)
    other = create_worker(api, "Other Agent", "AGENT")
    tokens = [as_worker(api, agent).token, as_worker(api, other).token]
    engine = paths[0].app.state.db.engine

    def page(token: str) -> tuple[list[str], int]:
        with count_statements(engine) as counted:
            nodes = _compiled(paths, token, LIST, {"first": 50})["customers"]["nodes"]
        return [n["id"] for n in nodes], counted.count

    with count_statements(engine) as floor:
        _compiled(paths, tokens[0], "{ __typename }", {})
    for _ in range(2):
        (mine, statements), (theirs, _) = page(tokens[0]), page(tokens[1])
        assert customers[0] in mine and customers[0] not in theirs
        assert statements == floor.count + 1


PAGES = """query($first: Int, $after: String, $last: Int, $before: String, $order: CustomerOrder) {
  customers(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id name } } }"""


def test_pages_after_a_cursor_are_kept_with_the_cursor_bound(paths, api):  # noqa: F811
    """The cursor's values are parameters of the kept statement: every page of a walk
    forward, then backward, by two orders, is its own page and the resolvers'."""
    customers, _, _ = _shop(api)
    for order in ({"field": "CREATED_AT", "direction": "DESC"}, {"field": "NAME"}):
        seen, after = [], None
        while True:
            data = _compiled(paths, api.token, PAGES, {"first": 3, "after": after, "order": order})
            page = data["customers"]
            seen += [n["id"] for n in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert sorted(seen) == sorted(customers) and len(seen) == len(set(seen))
        back, before = [], page["pageInfo"]["endCursor"]
        while before is not None:
            variables = {"last": 4, "before": before, "order": order}
            page = _compiled(paths, api.token, PAGES, variables)["customers"]
            back = [n["id"] for n in page["nodes"]] + back
            before = (
                page["pageInfo"]["startCursor"] if page["pageInfo"]["hasPreviousPage"] else None
            )
        assert back == seen[:-1]


STATUSED = """query($statuses: [ID!]) { customers(first: 5, filter: {statusIds: $statuses}) {
  nodes { id status { id } } } }"""


def test_a_status_filter_is_kept_and_still_checked(paths, api):  # noqa: F811
    """A page filtered by statuses is kept; a folder's status in `statusIds` is refused as
    the resolver refuses it, every time (a page whose check fails is never kept)."""
    _shop(api)
    made = {"name": "Waiting", "color": "#336699", "category": "ACTIVE"}
    status = api.ok("createStatus", made, "status { id }")["status"]["id"]
    folder = api.ok("createFolder", {"name": "Leads", "color": "#336699"}, "folder { id }")
    own = api.ok("createStatus", {**made, "folderId": folder["folder"]["id"]}, "status { id }")
    create_customer(api, "Waiting One", statusId=status)
    for _ in range(2):
        nodes = _compiled(paths, api.token, STATUSED, {"statuses": [status]})["customers"]["nodes"]
        assert [n["status"]["id"] for n in nodes] == [status]
    for _ in range(2):
        path, body = both(paths, api.token, STATUSED, {"statuses": [own["status"]["id"]]})
        assert path == "fallback" and "status" in body["errors"][0]["message"], body


def test_a_statements_hashed_key_goes_with_it():
    """`connection.hashed_key` memoizes a statement's cache key where SQLAlchemy does: equal
    statements share one key object and keep their own values, and a generative copy (another
    statement) works its own key out."""
    from sqlalchemy import select

    from core.kept import hashed_key
    from core.models import Customer

    one = hashed_key(select(Customer.id).where(Customer.tenant_id == 1))
    two = hashed_key(select(Customer.id).where(Customer.tenant_id == 2))
    assert one._generate_cache_key().key is two._generate_cache_key().key
    assert [p.value for p in two._generate_cache_key().bindparams] == [2]
    one._set_memoized_attribute("_kept_slots", (None, "SELECT 1", ()))  # as `kept.run` does
    limited = one.limit(3)
    assert limited._generate_cache_key().key != one._generate_cache_key().key
    assert "LIMIT" in str(limited) and "LIMIT" not in str(one)
    assert "_kept_slots" not in limited.__dict__  # a copy runs its own text


def test_each_requests_arguments_are_its_own(paths, api):  # noqa: F811
    """A `customers` field keeps its arguments converted per distinct value
    (`Compiled.arguments`): one document asked by name up, down and up again answers each
    in its own order, as the resolvers do."""
    _shop(api)
    orders = [{"field": "NAME", "direction": d} for d in ("ASC", "DESC", "ASC", "DESC")]
    answers = []
    for order in orders:
        nodes = _compiled(paths, api.token, PAGES, {"first": 4, "order": order})["customers"]
        answers.append([n["name"] for n in nodes["nodes"]])
    assert answers[0] == sorted(answers[0]) and answers[1] == sorted(answers[1], reverse=True)
    assert answers[0] != answers[1] and answers[2:] == answers[:2]


def test_a_statement_runs_as_each_dialects_text():
    """`core.kept.run` keeps a statement's text per dialect, as SQLAlchemy's compiled cache
    does: one statement (and one equal to it) runs on SQLite and on PostgreSQL."""
    import asyncio
    import os

    import pytest
    from sqlalchemy import Integer, bindparam, literal, select
    from sqlalchemy.ext.asyncio import create_async_engine

    from core import kept

    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL not set")

    def made():
        return kept.hashed_key(select(bindparam("x", type_=Integer) + literal(1)))

    async def answers() -> list[int]:
        found, one = [], made()
        for target in ("sqlite+aiosqlite://", url, "sqlite+aiosqlite://"):
            engine = create_async_engine(target)
            async with engine.connect() as conn:
                for statement in (one, made()):
                    found.append((await kept.run(conn, statement, {"x": 41})).scalar_one())
            await engine.dispose()
        return found

    assert asyncio.run(answers()) == [42] * 6
