"""Every request names its tenant and worker with a signed token; anything else is
UNAUTHENTICATED before any GraphQL runs."""

from datetime import timedelta

import jwt

from core.auth import issue_token
from tests.support import SECRET, token_for

ME = "{ me { worker { id name role } tenant { id name timeZone } permissions } }"


def _unauthenticated(response):
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    return error["message"]


def test_me_names_the_worker_and_tenant(api):
    me = api.query(ME)["me"]
    assert me["worker"]["name"] == "Olivia Owner"
    assert me["worker"]["role"] == "OWNER"
    assert me["tenant"]["name"].startswith("Tenant ")
    assert "settings.manage" in me["permissions"]


def test_missing_token(api):
    response = api.client.post("/graphql", json={"query": ME})
    assert "Bearer" in _unauthenticated(response)


def test_wrong_scheme_and_garbage_token(api):
    for header in ("Basic abc", "Bearer", "Bearer not.a.jwt"):
        response = api.client.post(
            "/graphql", json={"query": ME}, headers={"Authorization": header}
        )
        _unauthenticated(response)


def test_expired_token(api):
    token = token_for(api.tenant_id, api.worker_id, ttl=timedelta(seconds=-5))
    assert "expired" in _unauthenticated(api.post(ME, token=token))


def test_token_signed_with_another_key(api):
    token = issue_token(
        "another-secret-key-of-sufficient-length!", api.tenant_id, api.worker_id, timedelta(hours=1)
    )
    _unauthenticated(api.post(ME, token=token))


def test_token_with_tampered_tenant(api, other_api):
    claims = jwt.decode(api.token, SECRET, algorithms=["HS256"], issuer="customer-hub")
    claims["tid"] = other_api.tenant_id
    forged = jwt.encode(claims, "guessed-key-guessed-key-guessed-key!!", algorithm="HS256")
    _unauthenticated(api.post(ME, token=forged))


def test_worker_of_another_tenant(api, other_api):
    token = token_for(api.tenant_id, other_api.worker_id)
    _unauthenticated(api.post(ME, token=token))


def test_graphiql_page_needs_no_token(client):
    response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_every_response_has_a_request_id(api):
    response = api.post(ME)
    assert len(response.headers["x-request-id"]) == 16
