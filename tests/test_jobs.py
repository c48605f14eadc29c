"""The job runner through the public API, in-process: a test plugin's mutation enqueues
(`tests/job_kinds`), `job`/`jobs`/`cancelJob`/`jobProgress` follow. Progress, retries with
backoff then a coded failure, cancellation, idempotency keys, visibility, metrics. The crash
of a real process mid-job is `tests/test_job_crash.py`."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from core.jobs import JOBS
from core.models import utcnow
from schema.registry import make_plugins
from server import create_app
from tests.fixtures import new_tenant, run
from tests.job_kinds import hooks
from tests.support import Api, gid, pk_of
from tests.test_subscriptions import next_payload, socket, subscribe

JOB = """query($id: ID!) { job(id: $id) { id kind status attempts cancelRequested
  progress { done total } result error { code message } createdAt startedAt finishedAt
  createdBy { id } } }"""
COUNTED = "query($id: ID!) { countedUnits(jobId: $id) { rows distinct } }"
FIELDS = "job { id status progress { done total } } created"
FINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


@pytest.fixture(scope="module")
def jobs_client(settings):
    plugins = make_plugins(extra=[hooks])
    hooks.create_table(settings.database_url)
    fast = settings.model_copy(
        update={
            "job_concurrency": 2,
            "job_poll_seconds": 0.2,
            "job_lease_seconds": 3,
            "job_retry_seconds": 0.05,
            "job_progress_seconds": 0.05,
        }
    )
    with TestClient(create_app(fast, plugins)) as client:
        yield client


@pytest.fixture
def owner(jobs_client) -> Api:
    return new_tenant(jobs_client)


def start(api: Api, kind: str = "test.count", **input) -> dict:
    return api.ok("startTestJob", {"kind": kind, **input}, FIELDS)


def job(api: Api, job_id: str) -> dict | None:
    return api.query(JOB, id=job_id)["job"]


def wait_for(api: Api, job_id: str, done=lambda j: j["status"] in FINAL, within=15.0) -> dict:
    deadline = time.monotonic() + within
    while True:
        found = job(api, job_id)
        if done(found):
            return found
        assert time.monotonic() < deadline, f"job never got there: {found}"
        time.sleep(0.03)


def worker(api: Api, role: str) -> Api:
    email = f"{role.lower()}{time.monotonic_ns()}@example.com"
    made = api.ok("createWorker", {"name": role, "email": email, "role": role}, "worker { id }")
    return Api(api.client, api.tenant_id, pk_of(made["worker"]["id"]))


def test_a_job_counts_in_chunks_and_reports_its_progress(owner):
    started = start(owner, payload={"to": 25, "chunk": 4})
    assert started["created"] and started["job"]["status"] == "QUEUED"
    job_id = started["job"]["id"]
    found = wait_for(owner, job_id)
    assert found["status"] == "SUCCEEDED", found
    assert found["progress"] == {"done": 25, "total": 25}
    assert found["result"] == {"counted": 25, "attempt": 1}
    assert found["attempts"] == 1 and found["error"] is None
    assert found["createdBy"] == {"id": gid("Worker", owner.worker_id)}
    assert found["createdAt"] <= found["startedAt"] <= found["finishedAt"]
    assert owner.query(COUNTED, id=job_id)["countedUnits"] == {"rows": 25, "distinct": 25}
    node = owner.query("query($id: ID!) { node(id: $id) { id ... on Job { kind } } }", id=job_id)
    assert node["node"] == {"id": job_id, "kind": "test.count"}
    log = owner.query("{ auditLog(first: 50) { nodes { action data } } }")["auditLog"]["nodes"]
    actions = [e["action"] for e in log if e["data"].get("jobId") == pk_of(job_id)]
    assert actions[-1] == "job.queued" and actions[0] == "job.finished"
    assert "job.started" in actions
    assert log[0]["data"]["status"] == "SUCCEEDED"


def test_the_same_idempotency_key_gives_the_first_job_back(owner):
    first = start(owner, payload={"to": 3, "chunk": 3}, idempotencyKey="import-42")
    again = start(owner, payload={"to": 9, "chunk": 3}, idempotencyKey="import-42")
    assert first["created"] and not again["created"]
    assert again["job"]["id"] == first["job"]["id"]
    other_kind = start(owner, "test.flaky", idempotencyKey="import-42")
    assert other_kind["created"] and other_kind["job"]["id"] != first["job"]["id"]
    wait_for(owner, first["job"]["id"])
    assert owner.query(COUNTED, id=first["job"]["id"])["countedUnits"]["rows"] == 3
    listed = owner.query("{ jobs(first: 10) { totalCount } }")["jobs"]["totalCount"]
    assert listed == 2
    bad = owner.mutate("startTestJob", {"kind": "test.flaky", "idempotencyKey": ""}, FIELDS)
    assert [e["code"] for e in bad["userErrors"]] == ["INVALID"]


def test_a_failing_job_is_retried_then_fails_with_a_coded_error(owner):
    broken = start(owner, "test.flaky", payload={"failures": 9}, maxAttempts=3)
    found = wait_for(owner, broken["job"]["id"])
    assert found["status"] == "FAILED"
    assert found["attempts"] == 3
    assert found["error"] == {"code": "TEST_BROKEN", "message": "Attempt 3 broke."}
    assert found["finishedAt"] is not None
    healed = start(owner, "test.flaky", payload={"failures": 2}, maxAttempts=3)
    found = wait_for(owner, healed["job"]["id"])
    assert found["status"] == "SUCCEEDED" and found["result"] == {"attempt": 3}


def test_an_unexpected_failure_shows_no_stack_detail(owner):
    crashed = start(owner, "test.flaky", payload={"failures": 5, "crash": True}, maxAttempts=2)
    found = wait_for(owner, crashed["job"]["id"])
    assert found["status"] == "FAILED" and found["attempts"] == 2
    assert found["error"]["code"] == "INTERNAL"
    assert hooks.SECRET not in str(found) and "Traceback" not in str(found)


def test_cancelling_a_running_job_stops_it_between_chunks(owner):
    started = start(owner, payload={"to": 400, "chunk": 1, "pause": 0.02})
    job_id = started["job"]["id"]
    wait_for(owner, job_id, lambda j: j["progress"]["done"] >= 3)
    payload = owner.ok("cancelJob", {"id": job_id}, "job { status cancelRequested }")
    assert payload["job"]["cancelRequested"] is True
    found = wait_for(owner, job_id)
    assert found["status"] == "CANCELLED"
    assert 3 <= found["progress"]["done"] < 400
    rows = owner.query(COUNTED, id=job_id)["countedUnits"]
    assert rows["rows"] == rows["distinct"] == found["progress"]["done"]
    again = owner.ok("cancelJob", {"id": job_id}, "job { status }")
    assert again["job"]["status"] == "CANCELLED"


def test_a_queued_job_is_cancelled_at_once_and_never_runs(owner):
    later = start(owner, payload={"to": 5, "chunk": 5}, delaySeconds=3600)
    job_id = later["job"]["id"]
    payload = owner.ok("cancelJob", {"id": job_id}, "job { status finishedAt }")
    assert payload["job"]["status"] == "CANCELLED" and payload["job"]["finishedAt"]
    time.sleep(0.3)
    assert job(owner, job_id)["status"] == "CANCELLED"
    assert owner.query(COUNTED, id=job_id)["countedUnits"]["rows"] == 0


def test_a_finished_job_cannot_be_cancelled(owner):
    done = start(owner, payload={"to": 1, "chunk": 1})
    wait_for(owner, done["job"]["id"])
    payload = owner.mutate("cancelJob", {"id": done["job"]["id"]}, "job { status }")
    assert [e["code"] for e in payload["userErrors"]] == ["INVALID_TRANSITION"]
    assert payload["job"] is None


def test_jobs_are_seen_by_their_creator_and_admins_only(owner, jobs_client):
    agent, admin = worker(owner, "AGENT"), worker(owner, "ADMIN")
    mine = start(owner, payload={"to": 1, "chunk": 1})["job"]["id"]
    theirs = start(agent, payload={"to": 1, "chunk": 1})["job"]["id"]
    wait_for(owner, mine)
    wait_for(agent, theirs)
    listing = "query($status: JobStatus) { jobs(status: $status) { nodes { id } } }"

    def ids(api: Api, **variables) -> set[str]:
        return {n["id"] for n in api.query(listing, **variables)["jobs"]["nodes"]}

    assert ids(agent) == {theirs}
    assert job(agent, mine) is None
    refused = agent.mutate("cancelJob", {"id": mine}, "job { id }")
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    assert ids(admin) == ids(owner) == {mine, theirs}
    assert ids(owner, status="SUCCEEDED") == {mine, theirs}
    assert ids(owner, status="RUNNING") == set()
    by_worker = "query($w: ID) { jobs(workerId: $w) { nodes { id } } }"
    agent_gid = gid("Worker", agent.worker_id)
    assert {n["id"] for n in owner.query(by_worker, w=agent_gid)["jobs"]["nodes"]} == {theirs}
    assert {n["id"] for n in agent.query(by_worker, w=agent_gid)["jobs"]["nodes"]} == {theirs}
    errors = agent.errors(by_worker, w=gid("Worker", owner.worker_id))
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    stranger = new_tenant(jobs_client)
    assert job(stranger, mine) is None and ids(stranger) == set()
    refused = stranger.mutate("cancelJob", {"id": mine}, "job { id }")
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    owner.ok(
        "setRolePermission",
        {"role": "AGENT", "permission": "jobs.view_all", "granted": True},
    )
    assert ids(agent) == {mine, theirs}


def test_progress_is_pushed_live_until_the_job_ends(owner):
    query = """subscription($id: ID!) { jobProgress(id: $id) { id status
      progress { done total } result } }"""
    started = start(owner, payload={"to": 30, "chunk": 1, "pause": 0.03}, delaySeconds=0.5)
    job_id = started["job"]["id"]
    with socket(owner) as ws:
        subscribe(ws, query, id=job_id)
        seen = [next_payload(ws)["data"]["jobProgress"]]
        while seen[-1]["status"] not in FINAL:
            seen.append(next_payload(ws)["data"]["jobProgress"])
        assert ws.receive_json() == {"id": "1", "type": "complete"}
    assert seen[0]["status"] == "QUEUED"
    assert seen[-1]["status"] == "SUCCEEDED" and seen[-1]["result"]["counted"] == 30
    done = [s["progress"]["done"] for s in seen]
    assert done == sorted(done) and len({d for d in done if 0 < d < 30}) >= 2, done


def test_a_hidden_job_sends_nothing(owner):
    theirs = start(owner, payload={"to": 1, "chunk": 1})["job"]["id"]
    agent = worker(owner, "AGENT")
    with socket(agent) as ws:
        subscribe(ws, "subscription($id: ID!) { jobProgress(id: $id) { id } }", id=theirs)
        assert ws.receive_json() == {"id": "1", "type": "complete"}


def test_metrics_show_the_queue(owner, jobs_client):
    start(owner, payload={"to": 1, "chunk": 1}, delaySeconds=3600)
    text = jobs_client.get("/metrics").text
    waiting = next(line for line in text.splitlines() if line.startswith("hub_jobs_waiting "))
    assert float(waiting.split()[1]) >= 1
    assert "hub_jobs_running " in text


def test_housekeeping_purges_finished_jobs_older_than_job_keep_days(owner, jobs_client, settings):
    """A process's housekeeping round (every `FILES_SWEEP_SECONDS`) removes jobs that ended
    more than `JOB_KEEP_DAYS` ago; a newer finished job and an unfinished one stay."""
    old = start(owner, payload={"to": 2, "chunk": 2})["job"]["id"]
    recent = start(owner, payload={"to": 2, "chunk": 2})["job"]["id"]
    for job_id in (old, recent):
        wait_for(owner, job_id)
    waiting = start(owner, payload={"to": 2, "chunk": 2}, delaySeconds=3600)["job"]["id"]

    async def age():
        async with jobs_client.app.state.db.transaction() as session:
            await session.execute(
                update(JOBS)
                .where(JOBS.c.id == pk_of(old))
                .values(finished_at=utcnow() - timedelta(days=31))
            )

    run(jobs_client, age)
    keeping = settings.model_copy(update={"files_sweep_seconds": 0.05, "job_keep_days": 30})
    with TestClient(create_app(keeping, make_plugins(extra=[hooks]))):
        deadline = time.monotonic() + 10
        while job(owner, old) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    assert job(owner, old) is None
    assert job(owner, recent)["status"] == "SUCCEEDED"
    assert job(owner, waiting)["status"] == "QUEUED"
