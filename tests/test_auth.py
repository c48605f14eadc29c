"""Every request names its tenant and worker with a signed token; anything else is
UNAUTHENTICATED before any GraphQL runs."""

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

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


def test_a_token_read_before_is_refused_once_expired(api):
    """A token read once is kept until its expiry (`core.auth.read_token`): past it, the
    same token is refused as expired."""
    token = token_for(api.tenant_id, api.worker_id, ttl=timedelta(seconds=2))
    expiry = jwt.decode(token, options={"verify_signature": False})["exp"]
    for _ in range(2):
        assert api.post(ME, token=token).json()["data"]["me"]["worker"]["name"] == "Olivia Owner"
    time.sleep(max(0.0, expiry - time.time()) + 0.05)
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


def _signed(claims: dict) -> str:
    now = datetime.now(UTC)
    base = {"iss": "customer-hub", "iat": now, "exp": now + timedelta(hours=1), "typ": "access"}
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "tid",
    ["{tenant}", "{tenant} ", " {tenant}", True, "{tenant}.0", 0, -1, 2**31, 2**63, None, [1]],
    ids=repr,
)
def test_tenant_claim_must_be_a_positive_json_integer(api, tid):
    """Signed with the right key, so only the claim's type can refuse it: `int()` took
    `"1 "` (and `true`, and floats) as tenant 1."""
    if isinstance(tid, str):
        tid = tid.format(tenant=api.tenant_id)
    token = _signed({"sub": str(api.worker_id), "tid": tid})
    assert "not valid" in _unauthenticated(api.post(ME, token=token))


@pytest.mark.parametrize(
    "sub",
    [
        "{worker} ",
        "0{worker}",
        "+{worker}",
        "{worker}.0",
        "\u0661",
        "0",
        "-1",
        "x",
        "99999999999",
        "",
    ],
    ids=repr,
)
def test_subject_claim_must_be_a_worker_id_in_ascii_digits(api, sub):
    token = _signed({"sub": sub.format(worker=api.worker_id), "tid": api.tenant_id})
    assert "not valid" in _unauthenticated(api.post(ME, token=token))


@pytest.mark.parametrize("sub", [1, 1.0, None, True], ids=repr)
def test_subject_claim_must_be_a_string(api, sub):
    token = _signed({"sub": sub, "tid": api.tenant_id})
    _unauthenticated(api.post(ME, token=token))


def test_missing_tenant_claim_and_absurd_expiry_are_refused(api):
    token = _signed({"sub": str(api.worker_id)})
    assert "not valid" in _unauthenticated(api.post(ME, token=token))
    token = _signed({"sub": str(api.worker_id), "tid": api.tenant_id, "exp": 10**20})
    assert "not valid" in _unauthenticated(api.post(ME, token=token))


def test_claims_as_issued_pass(api):
    token = _signed({"sub": str(api.worker_id), "tid": api.tenant_id})
    assert api.post(ME, token=token).json()["data"]["me"]["worker"]["name"] == "Olivia Owner"
