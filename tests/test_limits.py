"""Hostile queries, through HTTP: each limit of `schema/limits.py` lets a query at the limit
through and refuses one just over it, naming the setting; the request body, batches, the
introspection and suggestion switches. The default app has the documented defaults; `tight`
is a second app on the same database whose settings are changed, to show they are honoured."""

import json
import time

import pytest
from graphql import GraphQLSyntaxError, parse
from starlette.testclient import TestClient

from bench.__main__ import LIST_PAGE, PROFILE
from core.config import Settings
from server import create_app
from tests.fixtures import new_tenant
from tests.support import Api, gid

TIGHT = {
    "max_query_depth": 5,
    "max_aliases": 3,
    "max_tokens": 500,
    "max_query_cost": 300,
    "max_repeated_fields": 400,  # the cost tests pad with `__typename` (cost 1) up to 301 times
    "max_body_bytes": 8_000,
    "introspection": False,
    "field_suggestions": False,
}


@pytest.fixture(scope="module")
def tight_client(settings):
    with TestClient(create_app(settings.model_copy(update=TIGHT))) as client:
        yield client


@pytest.fixture
def tight(tight_client) -> Api:
    return new_tenant(tight_client)


def refused(errors: list[dict], code: str, limit: str, message: str | None = None) -> None:
    """One error with the code, the setting in `extensions.limit` and in the message."""
    assert len(errors) == 1, errors
    assert errors[0]["extensions"] == {"code": code, "limit": limit}, errors
    assert f"({limit})" in errors[0]["message"]
    if message is not None:
        assert errors[0]["message"] == message


def nested_parents(levels: int) -> str:
    """A query `levels` fields deep: customers > nodes > parent … > id."""
    parents = levels - 3
    return "{ customers { nodes { " + "parent { " * parents + "id" + " }" * parents + " } } }"


def with_comments(query: str, tokens: int) -> str:
    """`query` padded to `tokens` lexical tokens: comments count (graphql's `max_tokens`)."""
    own = len(query.replace("{", " { ").replace("}", " } ").split())
    return query + "\n#" * (tokens - own)


# --- depth --------------------------------------------------------------------------------------


def test_depth_at_the_limit_passes_one_deeper_is_refused(api):
    assert api.query(nested_parents(12)) == {"customers": {"nodes": []}}
    refused(
        api.errors(nested_parents(13)),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_QUERY_DEPTH",
        "Query depth 13 exceeds the limit of 12 (MAX_QUERY_DEPTH).",
    )


def test_depth_counts_through_fragments_and_follows_the_setting(tight):
    tight.query(nested_parents(5))
    refused(
        tight.errors(nested_parents(6)),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_QUERY_DEPTH",
        "Query depth 6 exceeds the limit of 5 (MAX_QUERY_DEPTH).",
    )
    fragments = (
        " fragment Row on Customer { ... on Customer { parent { ...Leaf } } }"
        " fragment Leaf on Customer { id }"
    )
    tight.query("{ customers { nodes { parent { ...Row } } } }" + fragments)
    errors = tight.errors("{ customers { nodes { parent { parent { ...Row } } } } }" + fragments)
    refused(errors, "GRAPHQL_VALIDATION_FAILED", "MAX_QUERY_DEPTH")


def test_introspection_does_not_count_for_depth(api):
    type_ref = "ofType { " * 4 + "name" + " }" * 4
    query = f"{{ __schema {{ types {{ fields {{ type {{ {type_ref} }} }} }} }} }}"
    assert api.query(query)["__schema"]["types"]


# --- aliases ------------------------------------------------------------------------------------


def test_aliases_at_the_limit_pass_one_more_is_refused(api):
    aliases = " ".join(f"a{i}: me {{ permissions }}" for i in range(50))
    assert len(api.query(f"{{ {aliases} }}")) == 50
    refused(
        api.errors(f"{{ {aliases} a50: me {{ permissions }} }}"),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_ALIASES",
        "Query has 51 aliases, more than the limit of 50 (MAX_ALIASES).",
    )


def test_aliases_in_fragments_count_where_spread(tight):
    fragment = " fragment Both on Me { p: permissions q: permissions }"
    tight.query("{ x: me { ...Both } }" + fragment)
    refused(
        tight.errors("{ x: me { ...Both } y: me { permissions } }" + fragment),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_ALIASES",
        "Query has 4 aliases, more than the limit of 3 (MAX_ALIASES).",
    )
    refused(
        tight.errors("{ me { ...Both ... on Me { ...Both } } }" + fragment),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_ALIASES",
    )


# --- tokens -------------------------------------------------------------------------------------


def test_tokens_at_the_limit_pass_one_more_is_refused(api, tight):
    query = "{ me { permissions } }"
    api.query(with_comments(query, 5_000))
    refused(
        api.errors(with_comments(query, 5_001)),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_TOKENS",
        "Query exceeds the limit of 5,000 tokens (MAX_TOKENS).",
    )
    tight.query(with_comments(query, 500))
    refused(
        tight.errors(with_comments(query, 501)),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_TOKENS",
        "Query exceeds the limit of 500 tokens (MAX_TOKENS).",
    )


def graphql_token_count(query: str) -> int:
    """graphql-core's own count (the parser's `max_tokens`), found by bisection."""
    low, high = 0, len(query) + 1
    while low < high:
        middle = (low + high) // 2
        try:
            parse(query, max_tokens=middle)
            high = middle
        except GraphQLSyntaxError as exc:
            assert "tokens" in exc.message, exc.message
            low = middle + 1
    return low


EVERY_KIND_OF_TOKEN = [
    '\ufeff{ a: me { permissions } }, # a "comment" with \\ and """\r\n',
    "query Q($x: Boolean = true, $n: [Int!]! = [-1, 0, 12, -1.5e3, 2E-2]) "
    '{ customers(first: 1, filter: {search: "a \\"quoted\\" \\\\ \\u00e9 \\u{1F600}"}) '
    "{ nodes { ...F @include(if: $x) } } } fragment F on Customer { id name }",
    '{ customers(filter: {search: """block "with" ""quotes"" and \\""" escaped"""}) '
    "{ totalCount } }",
    '{ customers(filter: {search: "' + "x" * 600 + '"}) { totalCount } }',
    "mutation { a: __typename, b: __typename, c: __typename }" + " # note\n" * 30,
]


@pytest.mark.parametrize("query", EVERY_KIND_OF_TOKEN, ids=range(len(EVERY_KIND_OF_TOKEN)))
def test_tokens_are_counted_as_graphql_counts_them(tight, query):
    """The token limit is checked before parsing (`schema/tokens.py`): it must count what
    graphql-core's parser counts, every kind of token, or it would refuse a document the
    parser lets through."""
    own = graphql_token_count(query)
    assert own < 500
    at_limit = query + "\n#" * (500 - own)
    errors = tight.post(at_limit).json().get("errors") or []
    assert all((e.get("extensions") or {}).get("limit") != "MAX_TOKENS" for e in errors), errors
    refused(
        tight.errors(at_limit + "\n#"),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_TOKENS",
        "Query exceeds the limit of 500 tokens (MAX_TOKENS).",
    )


# --- cost ---------------------------------------------------------------------------------------


def test_the_demo_pages_pass_at_full_size(api):
    assert api.query(LIST_PAGE, first=100)["customers"]["edges"] == []  # cost 17,901
    assert api.query(PROFILE, id=gid("Customer", 10**9))["customer"] is None


SUBTREE = """query($n: Int) {
  customers(first: $n) { nodes { subCustomers(first: $n) { nodes {
    subCustomers(first: $n) { nodes { id } }
  } } } }
}"""


def test_cost_uses_the_variables(api):
    # 1 + n * (2 + n * (2 + n * 2)): 311 for 5, 2,020,201 for 100.
    api.query(SUBTREE, n=5)
    refused(
        api.errors(SUBTREE, n=100),
        "QUERY_TOO_COMPLEX",
        "MAX_QUERY_COST",
        "Query cost 2,020,201 exceeds the limit of 50,000 (MAX_QUERY_COST).",
    )
    # A page size over 100 counts as 100: the resolver's own error is the clearer one.
    (error,) = api.errors("query($n: Int) { customers(first: $n) { totalCount } }", n=1_000)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def straddle(api: Api, query: str, cost: int, **variables) -> None:
    """`query` costs `cost`: padded with `__typename` (1 each) up to the limit it runs, one
    more is refused with the cost in the message."""
    limit = TIGHT["max_query_cost"]
    pad = limit - cost
    assert pad >= 0
    api.query(query.replace("PAD", "__typename " * pad), **variables)
    refused(
        api.errors(query.replace("PAD", "__typename " * (pad + 1)), **variables),
        "QUERY_TOO_COMPLEX",
        "MAX_QUERY_COST",
        f"Query cost {limit + 1:,} exceeds the limit of {limit:,} (MAX_QUERY_COST).",
    )


PAGE = "query($n: Int) { PAD customers(first: $n) { nodes { id name } } }"


def test_cost_page_size_from_a_variable(tight):
    straddle(tight, PAGE, 1 + 99 * 3, n=99)
    straddle(tight, PAGE, 1 + 20 * 3)  # no `first`: 20
    straddle(tight, PAGE, 1 + 20 * 3, n=None)
    straddle(tight, PAGE.replace("$n: Int", "$n: Int = 50"), 1 + 50 * 3)
    straddle(tight, PAGE.replace("first", "last"), 1 + 70 * 3, n=70)


def test_cost_lists_without_page_arguments_count_ten(tight):
    straddle(
        tight, "{ PAD tags { id name } customers { nodes { id } } }", (1 + 10 * 2) + (1 + 20 * 2)
    )


def test_cost_through_fragments_nested_and_aliased(tight):
    query = """query { PAD customers(first: 10) { ...Page } }
    fragment Page on CustomerConnection { totalCount nodes { ...Row } }
    fragment Row on Customer { id a: name b: name tags { ...TagBits } }
    fragment TagBits on Tag { id name }"""
    row = 3 + (1 + 10 * 2)
    straddle(tight, query, 1 + 10 * (1 + (1 + row)))


def test_cost_of_a_fragment_counts_at_each_spread(tight):
    query = """{ PAD customers(first: 5) { nodes { ... on Customer { ...Row } ...Row } } }
    fragment Row on Customer { id a: name tags { id name } }"""
    row = 2 + (1 + 10 * 2)
    straddle(tight, query, 1 + 5 * (1 + 2 * row))


def test_cost_variable_page_size_inside_a_fragment(tight):
    query = """query($n: Int!) { PAD customers(first: 3) { nodes { ...Subs } } }
    fragment Subs on Customer { subCustomers(first: $n) { nodes { id } } }"""
    straddle(tight, query, 1 + 3 * (1 + (1 + 48 * 2)), n=48)


# --- fragments that could hang ------------------------------------------------------------------


def test_cyclic_fragments_are_a_validation_error_quickly(api):
    start = time.perf_counter()
    errors = api.errors(
        "{ ...A } fragment A on Query { me { permissions } ...B } fragment B on Query { ...A }"
    )
    assert "Cannot spread fragment 'A' within itself via 'B'." in [e["message"] for e in errors]
    assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}
    errors = api.errors("{ ...A } fragment A on Query { me { permissions } ...A }")
    assert "Cannot spread fragment 'A' within itself." in [e["message"] for e in errors]
    assert time.perf_counter() - start < 2


def doubling_fragments(levels: int, leaf: str) -> str:
    """Fragment k spreads fragment k-1 twice: 2**levels copies of the leaf in a few hundred
    tokens (walking every path, as the stock depth and alias limiters do, never ends)."""
    fragments = [f"fragment F0 on Query {{ {leaf} }}"]
    fragments += [f"fragment F{k} on Query {{ ...F{k - 1} ...F{k - 1} }}" for k in range(1, levels)]
    return f"{{ ...F{levels - 1} }} " + " ".join(fragments)


def test_doubling_fragments_are_refused_quickly(api):
    start = time.perf_counter()
    refused(
        api.errors(doubling_fragments(40, "me { permissions }")),
        "QUERY_TOO_COMPLEX",
        "MAX_QUERY_COST",
        f"Query cost {2**40:,} exceeds the limit of 50,000 (MAX_QUERY_COST).",
    )
    refused(
        api.errors(doubling_fragments(40, "a: me { permissions }")),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_ALIASES",
        f"Query has {2**39:,} aliases, more than the limit of 50 (MAX_ALIASES).",
    )
    assert time.perf_counter() - start < 5


# --- fields merged under one name, fragment spreads ---------------------------------------------


def test_repeated_fields_at_the_limit_pass_one_more_is_refused(api):
    assert len(api.query("{ " + "me { permissions } " * 20 + "}")["me"]["permissions"]) > 0
    refused(
        api.errors("{ " + "me { permissions } " * 21 + "}"),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_REPEATED_FIELDS",
        "Field 'me' is selected 21 times in one selection set, more than the limit of 20 "
        "(MAX_REPEATED_FIELDS).",
    )
    # Aliases are response names too.
    api.query("{ " + "a: me { permissions } " * 20 + "}")
    refused(
        api.errors("{ " + "a: me { permissions } " * 21 + "}"),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_REPEATED_FIELDS",
        "Field 'a' is selected 21 times in one selection set, more than the limit of 20 "
        "(MAX_REPEATED_FIELDS).",
    )


def test_the_refusal_comes_before_graphqls_own_rules(api):
    """The 5,000-token worst case took 1.2 s in graphql's pairwise comparison, which ended in a
    bare "Validation aborted."; now the limit refuses it alone, and no other rule reports (an
    unknown field would be)."""
    refused(
        api.errors("{ " + "me { permissions } " * 1_249 + "}"),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_REPEATED_FIELDS",
        "Field 'me' is selected 1,249 times in one selection set, more than the limit of 20 "
        "(MAX_REPEATED_FIELDS).",
    )
    refused(
        api.errors("{ nosuchField " + "me { permissions } " * 21 + "}"),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_REPEATED_FIELDS",
    )


REPEATS = """{ me { permissions } ... on Query { me { permissions } } ...Some ...Some }
fragment Some on Query { FIELDS ...More ... on Query { ...More } }
fragment More on Query { me { permissions } }"""


def test_repeated_fields_count_through_fragments(api):
    # 1 + 1 (inline) + n (Some, spread twice: once) + 1 (More, reached twice: once)
    api.query(REPEATS.replace("FIELDS", "me { permissions } " * 17))
    refused(
        api.errors(REPEATS.replace("FIELDS", "me { permissions } " * 18)),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_REPEATED_FIELDS",
        "Field 'me' is selected 21 times in one selection set, more than the limit of 20 "
        "(MAX_REPEATED_FIELDS).",
    )


def doubled_parents(levels: int) -> str:
    """Two `parent`s at each level: 2**levels merge at the bottom, two per selection set."""
    inner = "id"
    for _ in range(levels):
        inner = f"parent {{ {inner} }} parent {{ {inner} }}"
    return f"{{ customers {{ nodes {{ {inner} }} }} }}"


def test_repeated_fields_count_where_fields_merge(api):
    assert api.query(doubled_parents(4)) == {"customers": {"nodes": []}}  # 16 at the bottom
    refused(
        api.errors(doubled_parents(5)),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_REPEATED_FIELDS",
        "Field 'customers.nodes.parent.parent.parent.parent.parent' is selected 32 times in one "
        "selection set, more than the limit of 20 (MAX_REPEATED_FIELDS).",
    )


def test_repeated_fields_follow_the_setting(tight):
    # 400 pass this check, and the cost (400 > 300) refuses them; 401 do not reach the cost.
    refused(tight.errors("{ " + "__typename " * 400 + "}"), "QUERY_TOO_COMPLEX", "MAX_QUERY_COST")
    refused(
        tight.errors("{ " + "__typename " * 401 + "}"),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_REPEATED_FIELDS",
        "Field '__typename' is selected 401 times in one selection set, more than the limit of "
        "400 (MAX_REPEATED_FIELDS).",
    )


def fragments_on_me(count: int) -> str:
    """`count` fragments on `Me`, each with its own response name."""
    return " ".join(f"fragment F{i} on Me {{ p{i}: permissions }}" for i in range(count))


def spreads(numbers) -> str:
    return " ".join(f"...F{i}" for i in numbers)


def test_fragment_spreads_at_the_limit_pass_one_more_is_refused(api):
    api.query(f"{{ me {{ {spreads(range(50))} }} }} {fragments_on_me(50)}")
    refused(
        api.errors(f"{{ me {{ {spreads(range(51))} }} }} {fragments_on_me(51)}"),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_FRAGMENT_SPREADS",
        "The selection set at 'me' spreads fragments 51 times, more than the limit of 50 "
        "(MAX_FRAGMENT_SPREADS).",
    )


def test_fragment_spreads_count_through_fragments_and_merged_fields(api):
    """The two `me` merge: the spreads of both count, F49's own once; a fragment spread in both
    counts in both."""
    nested = f"{fragments_on_me(49)} fragment F49 on Me {{ {spreads(range(43, 49))} }}"
    second = f"me {{ {spreads(range(20, 43))} ...F49 }}"
    api.query(f"{{ me {{ {spreads(range(20))} }} {second} }} {nested}")  # 20 + 24 + 6
    refused(
        api.errors(f"{{ me {{ {spreads(range(21))} }} {second} }} {nested}"),
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_FRAGMENT_SPREADS",
        "The selection set at 'me' spreads fragments 51 times, more than the limit of 50 "
        "(MAX_FRAGMENT_SPREADS).",
    )


# --- the request --------------------------------------------------------------------------------


def post_bytes(api: Api, body) -> object:
    headers = {"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"}
    return api.client.post("/graphql", content=body, headers=headers)


def body_of_size(size: int) -> bytes:
    """A valid request of exactly `size` bytes (an unused variable pads it)."""
    empty = json.dumps({"query": "{ me { permissions } }", "variables": {"pad": ""}})
    return json.dumps(
        {"query": "{ me { permissions } }", "variables": {"pad": "x" * (size - len(empty))}}
    ).encode()


def test_body_at_the_limit_passes_one_byte_more_is_413(api):
    limit = 256 * 1024
    response = post_bytes(api, body_of_size(limit))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["me"]["permissions"]
    response = post_bytes(api, body_of_size(limit + 1))
    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {
                "message": "Request body exceeds the limit of 262,144 bytes (MAX_BODY_BYTES).",
                "extensions": {"code": "REQUEST_TOO_LARGE"},
            }
        ]
    }
    assert response.headers["X-Request-ID"]


def test_a_chunked_body_is_counted(tight):
    body = body_of_size(8_000)
    response = post_bytes(tight, iter([body[:1_000], body[1_000:]]))
    assert "content-length" not in response.request.headers
    assert response.status_code == 200, response.text
    body = body_of_size(8_001)
    response = post_bytes(tight, iter([body[:1_000], body[1_000:]]))
    assert response.status_code == 413
    assert response.json()["errors"][0] == {
        "message": "Request body exceeds the limit of 8,000 bytes (MAX_BODY_BYTES).",
        "extensions": {"code": "REQUEST_TOO_LARGE"},
    }


def test_a_batch_is_a_400(api):
    response = post_bytes(api, json.dumps([{"query": "{ me { permissions } }"}] * 2).encode())
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "Batching is not enabled" in error["message"]


# --- switches -----------------------------------------------------------------------------------


def test_validation_is_kept_per_query_text_and_limits(api, tight):
    """Validation is cached by the query text (`schema/validation.py`): a refused text is
    refused again, a text one letter away is validated on its own (both ways), and the same
    text under other limits is validated under those."""
    wrong, right = "{ customers { nodes { id nme } } }", "{ customers { nodes { id name } } }"
    for _ in range(2):
        (error,) = api.errors(wrong)
        assert error["message"].startswith("Cannot query field 'nme' on type 'Customer'.")
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert api.query(right) == {"customers": {"nodes": []}}
    deep = nested_parents(6)
    for _ in range(2):
        assert api.query(deep) == {"customers": {"nodes": []}}
        refused(tight.errors(deep), "GRAPHQL_VALIDATION_FAILED", "MAX_QUERY_DEPTH")


def test_introspection_is_on_by_default_and_can_be_turned_off(api, tight):
    query = "{ __schema { queryType { name } } }"
    assert api.query(query) == {"__schema": {"queryType": {"name": "Query"}}}
    refused(
        tight.errors(query),
        "GRAPHQL_VALIDATION_FAILED",
        "INTROSPECTION",
        "Introspection is turned off on this server (INTROSPECTION): cannot query field "
        "'__schema'.",
    )
    refused(
        tight.errors('{ __type(name: "Customer") { name } }'),
        "GRAPHQL_VALIDATION_FAILED",
        "INTROSPECTION",
    )
    assert tight.query("{ __typename }") == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        ("{ me { permision } }", {}, "Cannot query field 'permision' on type 'Me'."),
        (
            "{ customers(frist: 5) { totalCount } }",
            {},
            "Unknown argument 'frist' on field 'Query.customers'.",
        ),
        (
            "mutation($input: CreateTagInput!) { createTag(input: $input) { tag { id } } }",
            {"input": {"nmae": "x", "color": "#000000"}},
            "not to include unknown field 'nmae'.",
        ),
        (
            "{ customers(orderBy: {field: UPDATED, direction: DESC}) { totalCount } }",
            {},
            "Value 'UPDATED' does not exist in 'CustomerOrderField' enum.",
        ),
    ],
)
def test_suggestions_can_be_turned_off(api, tight, query, variables, message):
    (suggested,) = [e["message"] for e in api.errors(query, **variables) if message in e["message"]]
    assert "Did you mean" in suggested
    errors = tight.errors(query, **variables)
    assert [e["message"] for e in errors if message in e["message"]], errors
    assert not [e for e in errors if "Did you mean" in e["message"]], errors
    assert {e["extensions"]["code"] for e in errors} <= {
        "GRAPHQL_VALIDATION_FAILED",
        "BAD_USER_INPUT",
    }


def test_production_describes_nothing_unless_asked(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    production = Settings(_env_file=None)
    assert not (production.graphiql or production.introspection or production.field_suggestions)
    monkeypatch.setenv("INTROSPECTION", "true")
    public = Settings(_env_file=None)
    assert public.introspection and not (public.graphiql or public.field_suggestions)
    monkeypatch.setenv("ENVIRONMENT", "development")
    assert Settings(_env_file=None).field_suggestions
