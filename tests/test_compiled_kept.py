"""A compiled request whose statement depends only on the principal and the operation's
shape runs a statement kept from an earlier request, with its own values as parameters
(`schema/compiled/execute.py`): a second request of the same shape must answer with its
own id, its own page size, the data as it is now and its own principal's visibility, each
the same as the resolvers'."""

from tests.support import as_worker, count_statements, create_worker
from tests.test_compiled import both, demo, paths, workers  # noqa: F401 (fixtures)

PROFILE = """query($id: ID!) { customer(id: $id) { id name subCustomerCount
  subCustomers(first: 3) { nodes { id name } pageInfo { hasNextPage } }
  tags { name } timeline(first: 4) { pageInfo { hasNextPage } nodes { action summary } } } }"""
LIST = """query($first: Int, $folders: [ID!]) {
  customers(first: $first, filter: {folderIds: $folders}) {
    pageInfo { hasNextPage endCursor } nodes { id name tags { name } } } }"""


def _compiled(apps, token: str, query: str, variables: dict) -> dict:
    path, body = both(apps, token, query, variables)
    assert path == "compiled", body
    return body["data"]


def test_a_kept_profile_answers_for_each_customer(paths, demo, workers):  # noqa: F811
    rows = demo.query("{ customers(first: 30) { nodes { id subCustomerCount } } }")
    ids = [n["id"] for n in rows["customers"]["nodes"]]
    parent = max(rows["customers"]["nodes"], key=lambda n: n["subCustomerCount"])["id"]
    for token in (workers["owner"], workers["agent"], workers["owner"]):
        seen = [_compiled(paths, token, PROFILE, {"id": i})["customer"] for i in [parent, *ids]]
        assert [c["id"] for c in seen if c] == [
            i for i, c in zip([parent, *ids], seen, strict=True) if c
        ]
    assert seen[0]["subCustomers"]["nodes"], "the parent's page is not empty"


def test_a_kept_list_page_reads_the_data_and_sizes_of_each_request(paths, demo, workers):  # noqa: F811
    token = workers["owner"]
    first = _compiled(paths, token, LIST, {"first": 3})["customers"]["nodes"]
    made = demo.ok("createCustomer", {"name": "Kept Newcomer"}, "customer { id }")["customer"]
    demo.ok("updateCustomer", {"id": first[0]["id"], "name": "Kept Renamed"})
    again = _compiled(paths, token, LIST, {"first": 3})["customers"]["nodes"]
    assert again[0]["id"] == made["id"]
    assert "Kept Renamed" in [n["name"] for n in again]
    assert len(_compiled(paths, token, LIST, {"first": 7})["customers"]["nodes"]) == 7
    folders = [f["id"] for f in demo.query("{ folders { id } }")["folders"]]
    for folder in folders[:2] * 2:
        _compiled(paths, token, LIST, {"first": 5, "folders": [folder]})


def test_a_kept_statement_is_one_statement_and_kept_per_principal(paths, demo):  # noqa: F811
    """Two workers of one role differ in what they see: each has their own statement."""
    agents = [create_worker(demo, f"Kept Agent {i}", "AGENT") for i in range(2)]
    named = demo.ok("createCustomer", {"name": "Kept For One"}, "customer { id }")["customer"]
    demo.ok("assignWorkers", {"customerId": named["id"], "workerIds": [agents[0]]})
    tokens = [as_worker(demo, a).token for a in agents]
    engine = paths[0].app.state.db.engine

    def page(token: str) -> tuple[list[str], int]:
        with count_statements(engine) as counted:
            nodes = _compiled(paths, token, LIST, {"first": 50})["customers"]["nodes"]
        return [n["id"] for n in nodes], counted.count

    with count_statements(engine) as floor:
        _compiled(paths, tokens[0], "{ __typename }", {})
    for _ in range(2):
        (mine, statements), (theirs, _) = page(tokens[0]), page(tokens[1])
        assert named["id"] in mine and named["id"] not in theirs
        assert statements == floor.count + 1
