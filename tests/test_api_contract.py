"""The API as a contract: the committed SDL, and errors that always carry a code."""

from pathlib import Path

from schema.export import sdl

SDL_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_sdl_is_up_to_date():
    assert SDL_FILE.read_text() == sdl(), (
        "schema.graphql is out of date: run `make schema` and commit the diff on purpose."
    )


def _codes(errors):
    return [e["extensions"]["code"] for e in errors]


def test_syntax_error_is_parse_failed(api):
    errors = api.errors("{ customers { nodes { id }")
    assert _codes(errors) == ["GRAPHQL_PARSE_FAILED"]


def test_unknown_field_is_validation_failed(api):
    errors = api.errors("{ customers { nodes { shoeSize } } }")
    assert _codes(errors) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "shoeSize" in errors[0]["message"]


def test_bad_variable_is_bad_user_input(api):
    errors = api.errors("query($n: Int) { customers(first: $n) { totalCount } }", n="twenty")
    assert _codes(errors) == ["BAD_USER_INPUT"]


def test_body_that_is_not_json(api):
    response = api.client.post(
        "/graphql",
        content=b"{not json",
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert _codes(response.json()["errors"]) == ["BAD_REQUEST"]


def test_request_without_query(api):
    response = api.client.post(
        "/graphql", json={"variables": {}}, headers={"Authorization": f"Bearer {api.token}"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_mutation_over_get_is_refused(api):
    response = api.client.get(
        "/graphql",
        params={
            "query": 'mutation { createTag(input: {name: "x", color: "#000000"}) { tag { id } } }'
        },
        headers={"Authorization": f"Bearer {api.token}", "Accept": "application/json"},
    )
    assert response.status_code in (400, 405)
    assert "errors" in response.json()


def test_deep_query_is_refused(api):
    nested = "parent { " * 14 + "id" + " }" * 14
    errors = api.errors(f"{{ customers {{ nodes {{ {nested} }} }} }}")
    assert "depth" in errors[0]["message"].lower()
    assert _codes(errors) == ["GRAPHQL_VALIDATION_FAILED"]


def test_alias_flood_is_refused(api):
    aliases = " ".join(f"a{i}: me {{ permissions }}" for i in range(60))
    errors = api.errors(f"{{ {aliases} }}")
    assert "aliases" in errors[0]["message"].lower()


def test_query_over_get_works(api):
    response = api.client.get(
        "/graphql",
        params={"query": "{ me { worker { name } } }"},
        headers={"Authorization": f"Bearer {api.token}", "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["me"]["worker"]["name"] == "Olivia Owner"


def test_graphiqls_introspection_query_answers(api):
    """The full introspection query GraphiQL sends, default values included."""
    from graphql import get_introspection_query

    data = api.query(get_introspection_query(descriptions=True, input_value_deprecation=True))
    assert data["__schema"]["queryType"]["name"] == "Query"
