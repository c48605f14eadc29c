"""Bulk jobs in real `server.py` processes (`tests/bulk_serve.py`: chunks of 3 customers,
slowed): a process killed with SIGKILL mid-job leaves the rest to another, which resumes
after the last committed chunk and applies nothing twice; bulk jobs on overlapping sets,
started side by side on two processes, end consistent (each customer changed once per
action that really changed it)."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import ROOT, AppServer, graphql, owner_token, started
from tests.support import SECRET

SERVE = ROOT / "tests" / "bulk_serve.py"
JOB = "query($id: ID!) { job(id: $id) { status attempts progress { done total } result } }"
ACTION = "query($id: ID!) { bulkAction(id: $id) { state count undone skipped } }"
RESULT = "job { id } bulkAction { id }"
CUSTOMERS = (
    "{ customers(first: 100) { nodes { id city company version tags { id } status { id } } } }"
)


@pytest.fixture(scope="module")
def environment(database_url) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "BULK_INLINE_MAX": "3",
        "JOB_LEASE_SECONDS": "1.5",
        "JOB_POLL_SECONDS": "0.2",
        "JOB_PROGRESS_SECONDS": "0.1",
        "OUTBOX_SWEEP_SECONDS": "0",
        "TEST_BULK_CHUNK": "3",
        "TEST_BULK_PAUSE": "0.1",
    }


@pytest.fixture
def token(database_url) -> str:
    return owner_token(database_url, "Bulk")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[AppServer]]:
    made: list[AppServer] = []
    yield made
    for server in made:
        server.stop()


def server(made: list, name: str, directory: Path, environment: dict) -> AppServer:
    return started(made, name, directory, environment, SERVE)


def query(app: AppServer, token: str, document: str, **variables) -> dict:
    return graphql(app, token, document, timeout=20, **variables)


def mutate(app: AppServer, token: str, name: str, input: dict, selection: str) -> dict:
    document = (
        f"mutation($input: {name[0].upper()}{name[1:]}Input!) "
        f"{{ {name}(input: $input) {{ {selection} userErrors {{ field code }} }} }}"
    )
    payload = query(app, token, document, input=input)[name]
    assert payload["userErrors"] == [], payload
    return payload


def wait_for(app: AppServer, token: str, job_id: str, done, within: float = 40.0) -> dict:
    deadline = time.monotonic() + within
    while True:
        found = query(app, token, JOB, id=job_id)["job"]
        if done(found):
            return found
        assert time.monotonic() < deadline, f"{found}\n{app.log_tail()}"
        time.sleep(0.05)


def ended(job: dict) -> bool:
    return job["status"] in {"SUCCEEDED", "FAILED", "CANCELLED"}


def customers(app: AppServer, token: str, n: int, **fields) -> list[str]:
    return [
        mutate(app, token, "createCustomer", {"name": f"C{i}", **fields}, "customer { id }")[
            "customer"
        ]["id"]
        for i in range(n)
    ]


def test_a_killed_process_s_bulk_job_resumes_elsewhere_without_applying_twice(
    servers, tmp_path, environment, token
):
    n = 30
    a = server(servers, "a", tmp_path, environment)
    customers(a, token, n, city="Berlin")
    tag = mutate(a, token, "createTag", {"name": "VIP", "color": "#aa0000"}, "tag { id }")
    where = {"field": "city", "op": "EQ", "value": "Berlin"}
    started = mutate(
        a, token, "bulkAddCustomerTags", {"where": where, "tagIds": [tag["tag"]["id"]]}, RESULT
    )
    job_id = started["job"]["id"]
    wait_for(a, token, job_id, lambda j: j["progress"]["done"] >= 9)
    a.process.kill()  # SIGKILL: the lease stays with the dead process until it runs out
    a.process.wait(timeout=5)

    b = server(servers, "b", tmp_path, environment)
    found = wait_for(b, token, job_id, ended)
    assert found["status"] == "SUCCEEDED", (found, b.log_tail())
    assert found["attempts"] == 2 and found["progress"] == {"done": n, "total": n}
    action_id = started["bulkAction"]["id"]
    assert query(b, token, ACTION, id=action_id)["bulkAction"]["count"] == n
    rows = query(b, token, CUSTOMERS)["customers"]["nodes"]
    assert [len(c["tags"]) for c in rows] == [1] * n
    assert {c["version"] for c in rows} == {2}  # created at 1, tagged once

    undone = mutate(b, token, "undoBulkAction", {"bulkActionId": action_id}, "job { id }")
    assert wait_for(b, token, undone["job"]["id"], ended)["status"] == "SUCCEEDED"
    action = query(b, token, ACTION, id=action_id)["bulkAction"]
    assert (action["state"], action["undone"], action["skipped"]) == ("UNDONE", n, 0)
    assert all(c["tags"] == [] for c in query(b, token, CUSTOMERS)["customers"]["nodes"])


def test_bulk_jobs_on_overlapping_sets_side_by_side_end_consistent(
    servers, tmp_path, environment, token
):
    a = server(servers, "a", tmp_path, environment)
    b = server(servers, "b", tmp_path, environment)
    berlin = customers(a, token, 12, city="Berlin")
    both = customers(a, token, 8, city="Berlin", company="Overlap")
    overlap = customers(a, token, 10, company="Overlap")
    tag = mutate(a, token, "createTag", {"name": "VIP", "color": "#aa0000"}, "tag { id }")
    tag_id = tag["tag"]["id"]
    status = next(
        s["id"]
        for s in query(a, token, "{ statuses { id isDefault } }")["statuses"]
        if not s["isDefault"]
    )
    in_berlin = {"field": "city", "op": "EQ", "value": "Berlin"}
    at_overlap = {"field": "company", "op": "EQ", "value": "Overlap"}

    started = [
        mutate(a, token, "bulkAddCustomerTags", {"where": in_berlin, "tagIds": [tag_id]}, RESULT),
        mutate(b, token, "bulkAddCustomerTags", {"where": at_overlap, "tagIds": [tag_id]}, RESULT),
        mutate(b, token, "bulkSetCustomerStatus", {"where": in_berlin, "statusId": status}, RESULT),
    ]
    for payload in started:
        found = wait_for(a, token, payload["job"]["id"], ended)
        assert found["status"] == "SUCCEEDED", (found, a.log_tail(), b.log_tail())
    counts = [
        query(a, token, ACTION, id=p["bulkAction"]["id"])["bulkAction"]["count"] for p in started
    ]
    assert counts[0] + counts[1] == len(berlin) + len(both) + len(overlap)
    assert counts[2] == len(berlin) + len(both)

    rows = {c["id"]: c for c in query(a, token, CUSTOMERS)["customers"]["nodes"]}
    for cid in berlin + both + overlap:
        assert [t["id"] for t in rows[cid]["tags"]] == [tag_id]
    for cid in berlin + both:
        assert rows[cid]["status"]["id"] == status
        assert rows[cid]["version"] == 3  # created, tagged once, status once
    for cid in overlap:
        assert rows[cid]["version"] == 2
