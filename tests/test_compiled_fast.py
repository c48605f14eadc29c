"""An operation the compiled path has planned is answered again without Strawberry's request
pipeline (`schema/compiled/fast.py`): the same response, byte for byte but the request id,
and whatever the pipeline would refuse for this request (its variables' cost or text, a GET,
a persisted query) still refused the usual way."""

# ruff: noqa: F811 (the fixtures imported from tests/test_compiled.py are parameters here)
import pytest

from schema.compiled import fast
from tests.test_compiled import both, demo, paths, workers  # noqa: F401 (fixtures)

pytestmark = pytest.mark.seeded_demo

LIST = """query Rows($n: Int, $search: String) {
  customers(first: $n, filter: {search: $search}) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id name status { name } tags { name } profileTabs { key badgeCount } }
  }
}"""
# Each folder's statuses inside each row: the cost grows with `$n` past MAX_QUERY_COST.
COSTLY = """query Costly($n: Int) { customers(first: $n) { nodes {
  a: folders { folder { statuses { id name color category position } } }
  b: folders { folder { statuses { id name color category position } } }
} } }"""


@pytest.fixture
def again(monkeypatch) -> list:
    """The answers `fast.answer_again` gave (None: it left the request to the pipeline)."""
    given = []
    answer_again = fast.answer_again

    async def counted(*args):
        response = await answer_again(*args)
        given.append(response)
        return response

    monkeypatch.setattr(fast, "answer_again", counted)
    return given


def post(app, token: str, body: dict, **headers):
    headers["Authorization"] = f"Bearer {token}"
    return app.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize("accept", [None, "application/graphql-response+json"])
def test_a_planned_operation_is_answered_again_alike(paths, workers, again, accept):
    compiled, _ = paths
    headers = {"Accept": accept} if accept else {}
    body = {"query": f"# {accept}\n{LIST}", "variables": {"n": 7, "search": "an"}}
    first, second = (post(compiled, workers["owner"], body, **headers) for _ in range(2))
    assert [r is not None for r in again] == [False, True]
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first.json()["extensions"] == {"execution": "compiled"}
    for name in ("content-type", "content-length"):
        assert first.headers[name] == second.headers[name], name
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    # each worker's own plan, then other variables on it
    del again[:]
    for worker, token in workers.items():
        for variables in ({"n": 3, "search": "e"}, {"n": 2, "search": "a"}):
            path, answer = both(paths, token, f"# {accept}\n{LIST}", variables)
            assert path == "compiled", (worker, answer)
    # the fallback's app asks too, and answers nothing so (`compiled_execution` off)
    assert sum(r is not None for r in again) == 2 + 1 + 1  # the owner's plan was made above


def test_a_text_with_more_braces_than_json_nesting_is_answered_again(paths, workers, again):
    """Its body holds more `{` than MAX_JSON_DEPTH (64), none of them JSON's."""
    rows = " ".join(f"f{i}: folders {{ folder {{ id }} }}" for i in range(32))
    query = f"{{ customers(first: 2) {{ nodes {{ id {rows} status {{ id }} }} }} }}"
    assert query.count("{") > 64
    for _ in range(2):
        path, _ = both(paths, workers["owner"], query)
        assert path == "compiled"
    assert sum(r is not None for r in again) == 1


def test_the_cost_of_the_variables_is_checked_again(paths, workers, again):
    path, body = both(paths, workers["owner"], COSTLY, {"n": 2})
    assert path == "compiled", body
    path, body = both(paths, workers["owner"], COSTLY, {"n": 100})
    assert path == "fallback"
    assert body["errors"][0]["extensions"]["limit"] == "MAX_QUERY_COST", body
    assert all(r is None for r in again[1:])


def test_unstorable_variables_are_refused_again(paths, workers, again):
    path, _ = both(paths, workers["owner"], LIST, {"n": 2, "search": "ok"})
    assert path == "compiled"
    path, body = both(paths, workers["owner"], LIST, {"n": 2, "search": "a\u0000b"})
    assert path == "fallback"
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body


def test_a_get_or_a_persisted_query_takes_the_pipeline(paths, workers, again):
    compiled, _ = paths
    token = workers["owner"]
    body = {"query": LIST, "variables": {"n": 2, "search": "get"}}
    assert post(compiled, token, body).status_code == 200
    headers = {"Authorization": f"Bearer {token}"}
    params = {"query": LIST, "variables": '{"n": 2, "search": "get"}'}
    answers = [app.get("/graphql", params=params, headers=headers) for app in paths]
    assert answers[0].json()["data"] == answers[1].json()["data"]
    extended = {**body, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}
    refused = [post(app, token, extended) for app in paths]
    assert refused[0].status_code == refused[1].status_code
    assert refused[0].json()["errors"] == refused[1].json()["errors"]
    assert len(again) == 5 and all(r is None for r in again[1:])  # the first: planned before


def test_a_request_it_cannot_read_gets_the_usual_refusal(paths, workers):
    compiled, _ = paths
    token = workers["owner"]
    assert post(compiled, token, {"query": LIST, "variables": {"n": 1}}).status_code == 200
    for sent in ('{"query": 1}', "[]", '{"query": "' + LIST.replace("\n", " ") + '", "x": 1}'):
        answers = [
            app.post(
                "/graphql",
                content=sent,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            for app in paths
        ]
        assert answers[0].status_code == answers[1].status_code, sent
        assert answers[0].json().get("errors") == answers[1].json().get("errors"), sent
