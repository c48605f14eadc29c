"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/): the checks of
graphql-http's server audit (`serverAudits`, ids in the test names), which the server passes
with no warning, and what the audit leaves out: our limits, disabled modules and execution
errors under `application/graphql-response+json`, `Accept` with q-values, unauthenticated."""

import json

import pytest

from tests.support import Api

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
UNKNOWN_FIELD = "{ 8f31403dfe404bccbb0e835f2629c6a7 }"


def post(api: Api, body, accept: str | None = None, content_type: str | None = JSON, **headers):
    headers = {"Authorization": f"Bearer {api.token}", **headers}
    if accept is not None:
        headers["Accept"] = accept
    if content_type is not None:
        headers["Content-Type"] = content_type
    if not isinstance(body, (bytes, str)) and body is not None:
        body = json.dumps(body)
    return api.client.post("/graphql", content=body, headers=headers)


def get(api: Api, accept: str | None = None, **params):
    headers = {"Authorization": f"Bearer {api.token}"}
    if accept is not None:
        headers["Accept"] = accept
    return api.client.get("/graphql", params=params, headers=headers)


def media_type(response) -> str:
    return response.headers["content-type"].split(";")[0]


# --- media types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),  # 22EB
        (JSON, JSON),  # 4655
        ("*/*", JSON),  # 47DE
        (None, JSON),  # 80D8
        (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE),
        (f"{JSON};q=0.9, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, {JSON}", JSON),
        (f"*/*;q=0.1, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};charset=latin-1, {JSON};q=0.2", JSON),
        ("application/*", JSON),
        (f"text/html, {GRAPHQL_RESPONSE};charset=utf-8", GRAPHQL_RESPONSE),
    ],
)
def test_accept_picks_the_media_type(api, accept, expected):
    response = post(api, {"query": "{ __typename }"}, accept)
    assert response.status_code == 200
    assert media_type(response) == expected
    if expected == GRAPHQL_RESPONSE:
        assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"
    assert response.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", ["application/xml", f"{GRAPHQL_RESPONSE};q=0", "text/html"])
def test_nothing_acceptable_is_406(api, accept):
    response = post(api, {"query": "{ __typename }"}, accept)
    assert response.status_code == 406
    assert media_type(response) == JSON
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


def test_utf8_in_and_out(api):  # 82A3, BF61, 78D5
    query = '{ __type(name: "Run🏃Swim🏊") { name } }'
    response = post(api, {"query": query}, content_type=f"{JSON}; charset=utf-8")
    assert response.status_code == 200
    response.content.decode("utf-8")
    assert post(api, {"query": "{ __typename }"}, content_type=JSON).status_code == 200
    response = post(api, {"query": "{ __typename }"}, content_type=f"{JSON}; charset=latin-1")
    assert response.status_code == 415


# --- requests -----------------------------------------------------------------------------------


def test_get_runs_queries_and_refuses_mutations(api):  # 5A70, 9C48
    assert get(api, query="{ __typename }").json() == {"data": {"__typename": "Query"}}
    response = get(api, GRAPHQL_RESPONSE, query="mutation { __typename }")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
def test_get_with_variables(api, accept):  # D6D5, 6A70
    query = "query Type($name: String!) { __type(name: $name) { name } }"
    response = get(api, accept, query=query, variables=json.dumps({"name": "sometype"}))
    assert response.status_code == 200
    assert response.json() == {"data": {"__type": None}}


def test_post_without_content_type_or_body(api):  # 9ABE, A5BF
    assert post(api, {"query": "{ __typename }"}, content_type=None).status_code == 415
    assert post(api, None).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"notquery": "{ __typename }"},  # 423L
        {"qeury": "{ __typename }"},  # 8764, 3E3A
        *({"query": invalid} for invalid in ({"obj": "ect"}, 0, False, ["array"])),  # LKJ0-3
        *(
            {"query": "{ __typename }", "operationName": invalid}  # 6C00-3
            for invalid in ({"obj": "ect"}, 0, False, ["array"])
        ),
        *(
            {"query": "{ __typename }", "variables": invalid}  # 4760-3
            for invalid in ("string", 0, False, ["array"])
        ),
        *(
            {"query": "{ __typename }", "extensions": invalid}  # 58B0-3
            for invalid in ("string", 0, False, ["array"])
        ),
        '{ "not a JSON',  # B6DC, BCF8, B7N8
    ],
    ids=repr,
)
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
def test_invalid_parameters_are_400(api, body, accept):
    response = post(api, body, accept)
    assert response.status_code == 400
    assert media_type(response) == JSON
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    "extra",
    [
        {"operationName": "Query"},  # 8161, B8B3
        {"variables": None},  # 94B0, 0220
        {"operationName": None},  # 94B1, 0221
        {"extensions": None},  # 94B2, 0222
        {"extensions": {"some": "value"}},  # 428F, 1B7A
    ],
    ids=repr,
)
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
def test_valid_parameters(api, extra, accept):  # also 34A2, 13EE, 2EA1, 28B9
    response = post(api, {"query": "query Query { __typename }", **extra}, accept)
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}
    query = "query Type($name: String!) { __type(name: $name) { name } }"
    body = {"query": query, "variables": {"name": "sometype"}}
    assert post(api, body, accept).json() == {"data": {"__type": None}}


# --- responses ----------------------------------------------------------------------------------

REQUEST_ERRORS = [
    ("parse", {"query": "{"}, "GRAPHQL_PARSE_FAILED"),  # 572B, 865D, 556A, D586
    # FDE2, 51FE, 74FF, 5E5B: the audit's "unknown field" starts with a digit: no Name.
    ("audit's unknown field", {"query": UNKNOWN_FIELD}, "GRAPHQL_PARSE_FAILED"),
    ("validation", {"query": "{ shoeSize }"}, "GRAPHQL_VALIDATION_FAILED"),
    (
        "unused variable",  # 7B9B, 86EE
        {"query": "query CoerceFailure($id: ID!){ __typename }", "variables": {"id": None}},
        "BAD_USER_INPUT",
    ),
    (
        "variable coercion",
        {
            "query": "query($n: Int) { customers(first: $n) { totalCount } }",
            "variables": {"n": "x"},
        },
        "BAD_USER_INPUT",
    ),
    (
        "depth limit",
        {"query": "{ customers { nodes { " + "parent { " * 10 + "id" + " }" * 10 + " } } }"},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "alias limit",
        {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(51)) + " }"},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "token limit",
        {"query": "{ __typename }" + "\n#" * 5_000},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    (
        "cost limit",
        {
            "query": "{ customers(first: 100) { nodes { subCustomers(first: 100) { nodes { "
            "subCustomers(first: 100) { nodes { id } } } } } } }"
        },
        "QUERY_TOO_COMPLEX",
    ),
    ("disabled module", {"query": "{ tickets(first: 1) { totalCount } }"}, "MODULE_DISABLED"),
    (
        "unstorable text",
        {"query": '{ customers(filter: {search: "\\u0000"}) { totalCount } }'},
        "BAD_USER_INPUT",
    ),
]


@pytest.mark.parametrize(
    ("name", "body", "code"), REQUEST_ERRORS, ids=[e[0] for e in REQUEST_ERRORS]
)
def test_request_errors(api, name, body, code):
    """Nothing executed: 400 without `data` for `application/graphql-response+json`, 200 with
    `"data": null` for `application/json` (legacy clients, as the audit expects)."""
    response = post(api, body, GRAPHQL_RESPONSE)
    assert response.status_code == 400, response.text
    assert media_type(response) == GRAPHQL_RESPONSE
    answer = response.json()
    assert "data" not in answer
    assert answer["errors"]
    if code:
        assert answer["errors"][0]["extensions"]["code"] == code
    response = post(api, body, JSON)
    assert response.status_code == 200
    assert media_type(response) == JSON
    assert response.json()["data"] is None
    assert response.json()["errors"] == answer["errors"]


def test_execution_errors_keep_data_and_200(api):
    query = "{ a: me { worker { name } } b: customers(first: 101) { totalCount } }"
    response = post(api, {"query": query}, GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert media_type(response) == GRAPHQL_RESPONSE
    answer = response.json()
    assert "data" in answer
    assert answer["errors"][0]["path"] == ["b"]


def test_unauthenticated_stays_401_json(api):
    response = api.client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 401
    assert media_type(response) == JSON
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
