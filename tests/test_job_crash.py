"""A job survives the death of its process: a real `server.py` (with the test job kinds,
`tests/job_kinds/serve.py`) is killed with SIGKILL in the middle of a counting job; another
process started afterwards takes the job over once its lease has run out and finishes it
from the last checkpoint. Every unit of work is committed exactly once: none lost, none
done twice (work and checkpoint commit in one transaction)."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.job_kinds import hooks
from tests.servers import ROOT, AppServer, graphql, owner_token, started
from tests.support import SECRET

SERVE = ROOT / "tests" / "job_kinds" / "serve.py"
N = 60
JOB = "query($id: ID!) { job(id: $id) { status attempts progress { done total } result } }"
COUNTED = "query($id: ID!) { countedUnits(jobId: $id) { rows distinct } }"
START = """mutation($input: StartTestJobInput!) { startTestJob(input: $input) {
  job { id } userErrors { code } } }"""


@pytest.fixture(scope="module")
def environment(database_url) -> dict[str, str]:
    hooks.create_table(database_url)
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "JOB_LEASE_SECONDS": "1.5",
        "JOB_POLL_SECONDS": "0.2",
        "JOB_PROGRESS_SECONDS": "0.1",
        "OUTBOX_SWEEP_SECONDS": "0",
    }


@pytest.fixture
def token(database_url) -> str:
    return owner_token(database_url, "Jobs")


@pytest.fixture
def servers(tmp_path: Path, environment) -> Iterator[list[AppServer]]:
    made: list[AppServer] = []
    yield made
    for server in made:
        server.stop()


def server(made: list, name: str, directory: Path, environment: dict) -> AppServer:
    return started(made, name, directory, environment, SERVE)


def query(app: AppServer, token: str, document: str, **variables) -> dict:
    return graphql(app, token, document, **variables)


def wait_for(app: AppServer, token: str, job_id: str, done, within: float = 20.0) -> dict:
    deadline = time.monotonic() + within
    while True:
        found = query(app, token, JOB, id=job_id)["job"]
        if done(found):
            return found
        assert time.monotonic() < deadline, f"{found}\n{app.log_tail()}"
        time.sleep(0.05)


def test_a_killed_process_s_job_resumes_elsewhere_from_its_checkpoint(
    servers, tmp_path, environment, token
):
    a = server(servers, "a", tmp_path, environment)
    payload = {"to": N, "chunk": 3, "pause": 0.1}
    started = query(a, token, START, input={"kind": "test.count", "payload": payload})
    job_id = started["startTestJob"]["job"]["id"]
    wait_for(a, token, job_id, lambda j: j["progress"]["done"] >= 12)
    a.process.kill()  # SIGKILL: no shutdown, the lease stays with the dead process
    a.process.wait(timeout=5)
    b = server(servers, "b", tmp_path, environment)
    found = wait_for(b, token, job_id, lambda j: j["status"] in {"SUCCEEDED", "FAILED"})
    assert found["status"] == "SUCCEEDED", (found, b.log_tail())
    assert found["attempts"] == 2 and found["result"] == {"counted": N, "attempt": 2}
    assert found["progress"] == {"done": N, "total": N}
    assert query(b, token, COUNTED, id=job_id)["countedUnits"] == {"rows": N, "distinct": N}
