"""Persisted queries, as Apollo Client's persisted-queries link speaks them: an unknown hash
is PERSISTED_QUERY_NOT_FOUND, the document sent with its hash runs and is kept, then the
hash alone runs (GET too); a wrong hash is refused. With Redis, a document registered
through one process runs by hash on another. The allow-list mode runs only a manifest's
documents."""

import hashlib
import json
import uuid

import pytest
from starlette.testclient import TestClient

from server import create_app
from tests.fixtures import new_tenant
from tests.servers import REQUIRED

QUERY = "query Count { customers { totalCount } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()


def persisted(sha: str = HASH, version: int = 1) -> dict:
    return {"persistedQuery": {"version": version, "sha256Hash": sha}}


def send(api, body: dict, client=None):
    client = client or api.client
    headers = {"Authorization": f"Bearer {api.token}"}
    return client.post("/graphql", json=body, headers=headers).json()


def code(answer: dict) -> str | None:
    errors = answer.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def test_a_document_is_sent_once_then_run_by_its_hash(api):
    unique = f"query Count{uuid.uuid4().hex} {{ customers {{ totalCount }} }}"
    sha = hashlib.sha256(unique.encode()).hexdigest()
    first = send(api, {"extensions": persisted(sha)})
    assert code(first) == "PERSISTED_QUERY_NOT_FOUND"
    assert first["errors"][0]["message"] == "PersistedQueryNotFound"  # what Apollo looks for
    registered = send(api, {"query": unique, "extensions": persisted(sha)})
    assert registered == {"data": {"customers": {"totalCount": 0}}}
    again = send(api, {"extensions": persisted(sha)})
    assert again == registered
    extensions = json.dumps(persisted(sha))
    got = api.client.get(
        "/graphql",
        params={"extensions": extensions},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert got.json() == registered


def test_a_wrong_hash_or_version_is_refused(api):
    wrong = send(api, {"query": QUERY, "extensions": persisted("0" * 64)})
    assert code(wrong) == "PERSISTED_QUERY_HASH_MISMATCH"
    assert send(api, {"extensions": persisted("0" * 64)}) is not None
    assert code(send(api, {"extensions": persisted(version=2)})) == "PERSISTED_QUERY_INVALID"
    assert code(send(api, {"extensions": persisted("abc")})) == "PERSISTED_QUERY_INVALID"
    assert code(send(api, {"extensions": {"persistedQuery": "x"}})) == "PERSISTED_QUERY_INVALID"


@pytest.fixture
def redis_url():
    import os

    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        (pytest.fail if REQUIRED else pytest.skip)("TEST_REDIS_URL is not set")
    return url


def test_processes_share_documents_through_redis(settings, redis_url):
    shared = settings.model_copy(
        update={"redis_url": redis_url, "redis_channel_prefix": f"test-{uuid.uuid4().hex[:8]}:"}
    )
    unique = f"query Shared{uuid.uuid4().hex} {{ customers {{ totalCount }} }}"
    sha = hashlib.sha256(unique.encode()).hexdigest()
    with TestClient(create_app(shared)) as a, TestClient(create_app(shared)) as b:
        api = new_tenant(a)
        assert code(send(api, {"extensions": persisted(sha)}, b)) == "PERSISTED_QUERY_NOT_FOUND"
        assert code(send(api, {"query": unique, "extensions": persisted(sha)}, a)) is None
        answer = send(api, {"extensions": persisted(sha)}, b)
        assert answer == {"data": {"customers": {"totalCount": 0}}}


def test_redis_down_means_resend_not_failure(settings):
    broken = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    unique = f"query Down{uuid.uuid4().hex} {{ customers {{ totalCount }} }}"
    sha = hashlib.sha256(unique.encode()).hexdigest()
    with TestClient(create_app(broken)) as client:
        api = new_tenant(client)
        assert code(send(api, {"extensions": persisted(sha)})) == "PERSISTED_QUERY_NOT_FOUND"
        assert code(send(api, {"query": unique, "extensions": persisted(sha)})) is None
        assert code(send(api, {"extensions": persisted(sha)})) is None  # this process kept it


def test_only_the_manifest_runs_in_allow_list_mode(settings, tmp_path):
    manifest = tmp_path / "persisted-query-manifest.json"
    manifest.write_text(
        json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
            {"id": HASH, "name": "Count", "type": "query", "body": QUERY}
        ]})
    )  # fmt: skip
    locked = settings.model_copy(
        update={"persisted_queries": "only", "persisted_queries_manifest": manifest}
    )
    with TestClient(create_app(locked)) as client:
        api = new_tenant(client)
        ok = {"data": {"customers": {"totalCount": 0}}}
        assert send(api, {"extensions": persisted()}) == ok
        assert send(api, {"query": QUERY}) == ok
        other = "query Other { customers { totalCount } }"
        assert code(send(api, {"query": other})) == "PERSISTED_QUERY_NOT_ALLOWED"
        sha = hashlib.sha256(other.encode()).hexdigest()
        registering = send(api, {"query": other, "extensions": persisted(sha)})
        assert code(registering) == "PERSISTED_QUERY_NOT_ALLOWED"


def test_a_manifest_whose_id_is_not_the_hash_stops_the_start(settings, tmp_path):
    manifest = tmp_path / "bad.json"
    manifest.write_text(json.dumps({"operations": [{"id": "0" * 64, "body": QUERY}]}))
    bad = settings.model_copy(
        update={"persisted_queries": "only", "persisted_queries_manifest": manifest}
    )
    with pytest.raises(ValueError, match="sha256"):
        create_app(bad)
