"""A run survives its process dying, in real `server.py` processes (`serve.py`): two runs
(a bulk `runAutomation`) of ADD_TAG, CREATE_MISSION, WAIT, CREATE_MISSION, ADD_TAG. Process
a is killed with SIGKILL in the middle of step 1 (its mission requested, not committed); b
takes the runs over once their lease ran out, and is killed in turn while they wait (or in
step 3); c finishes them. Each run ends DONE with every step recorded once, and each
customer has exactly two missions and two `automation.mission_requested` events: nothing
done twice, nothing lost."""

import time
from pathlib import Path

import pytest

from tests.servers import AppServer, graphql, owner_token
from tests.support import SECRET

SERVE = Path(__file__).with_name("serve.py")
RUNS = """query($id: ID!) { customer(id: $id) { tags { id } automation { runs(first: 5) {
  nodes { id status steps { index type outcome } } } }
  missions { all(first: 10) { nodes { title } } }
  timeline(first: 100, filter: {actions: ["automation.mission_requested"]}) {
    nodes { data } } } }"""


def ok(app: AppServer, token: str, name: str, input: dict, selection: str = "") -> dict:
    document = (
        f"mutation($input: {name[0].upper()}{name[1:]}Input!) "
        f"{{ {name}(input: $input) {{ {selection} userErrors {{ code }} }} }}"
    )
    payload = graphql(app, token, document, timeout=30, input=input)[name]
    assert payload["userErrors"] == [], payload
    return payload


def marks(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def until(check, app: AppServer, within: float = 60.0):
    deadline = time.monotonic() + within
    while not (found := check()):
        assert time.monotonic() < deadline, app.log_tail()
        time.sleep(0.05)
    return found


@pytest.fixture
def made(tmp_path: Path):
    servers: list[AppServer] = []
    yield servers
    for app in servers:
        app.stop()


def test_runs_finish_once_across_killed_processes(made, tmp_path, database_url):
    environment = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "JOB_LEASE_SECONDS": "1.5",
        "JOB_POLL_SECONDS": "0.2",
        "JOB_RETRY_SECONDS": "0.2",
    }

    def launch(name: str, pause_steps: str) -> tuple[AppServer, Path]:
        mark = tmp_path / f"{name}.marks"
        env = {**environment, "TEST_AUTOMATION_PAUSE_STEPS": pause_steps}
        app = AppServer(name, tmp_path, {**env, "TEST_AUTOMATION_MARK": str(mark)}, SERVE)
        made.append(app)
        app.launch()
        app.wait_ready(within=120)
        return app, mark

    a, a_marks = launch("a", "1")
    token = owner_token(database_url, "Restart")
    ok(a, token, "enableModule", {"module": "automation"}, "modules { name }")
    ok(a, token, "enableModule", {"module": "missions"}, "modules { name }")
    tags = [
        ok(a, token, "createTag", {"name": n, "color": "#000000"}, "tag { id }")["tag"]["id"]
        for n in ("First", "Last")
    ]
    actions = [
        {"type": "ADD_TAG", "tagId": tags[0]},
        {"type": "CREATE_MISSION", "title": "Call"},
        {"type": "WAIT", "seconds": 2},
        {"type": "CREATE_MISSION", "title": "Follow up"},
        {"type": "ADD_TAG", "tagId": tags[1]},
    ]
    rule = ok(
        a,
        token,
        "createAutomationRule",
        {"name": "Onboard", "trigger": {"kind": "MANUAL"}, "actions": actions},
        "rule { id }",
    )["rule"]["id"]
    customers = [
        ok(a, token, "createCustomer", {"name": n}, "customer { id }")["customer"]["id"]
        for n in ("Ada", "Bob")
    ]
    ok(a, token, "runAutomation", {"ruleId": rule, "customerIds": customers}, "runs { id }")
    # A run inside step 1, uncommitted (on PostgreSQL both are; SQLite's one writer holds the
    # other back, before or inside its own step 1).
    until(lambda: marks(a_marks), a)
    a.process.kill()
    a.process.wait(timeout=10)

    def state(app: AppServer) -> list[dict]:
        return [graphql(app, token, RUNS, timeout=30, id=c)["customer"] for c in customers]

    b, b_marks = launch("b", "3")

    def waiting() -> bool:
        outcomes = [
            [s["outcome"] for s in c["automation"]["runs"]["nodes"][0]["steps"]] for c in state(b)
        ]
        return any("WAITING" in o for o in outcomes) or bool(marks(b_marks))

    until(waiting, b)  # during a wait (or, on a slow machine, inside step 3)
    b.process.kill()
    b.process.wait(timeout=10)
    c, _ = launch("c", "")

    def finished() -> list[dict] | None:
        found = state(c)
        runs = [x["automation"]["runs"]["nodes"] for x in found]
        done = all(len(r) == 1 and r[0]["status"] != "RUNNING" for r in runs)
        missions = all(len(x["missions"]["all"]["nodes"]) >= 2 for x in found)
        return found if done and missions else None

    for customer in until(finished, c):
        [run] = customer["automation"]["runs"]["nodes"]
        assert run["status"] == "DONE", run
        assert [s["index"] for s in run["steps"]] == [0, 1, 2, 3, 4]
        assert [s["outcome"] for s in run["steps"]] == ["DONE", "DONE", "WAITING", "DONE", "DONE"]
        assert {t["id"] for t in customer["tags"]} == set(tags)
        titles = sorted(m["title"] for m in customer["missions"]["all"]["nodes"])
        assert titles == ["Call", "Follow up"]
        keys = sorted(e["data"]["mission_request"]["key"] for e in customer["timeline"]["nodes"])
        assert keys == [f"automation:{_pk(run['id'])}:1", f"automation:{_pk(run['id'])}:3"]
    assert marks(a_marks) and c.alive


def _pk(global_id: str) -> int:
    from tests.support import pk_of

    return pk_of(global_id)
