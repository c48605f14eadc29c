"""Run Automation on a selection by filter: a job (followed like any bulk job) starts one
manual run per customer the caller's list shows for the filter and they may change, in
chunks, not held by the per-minute limit; bounded by `AUTOMATION_MAX_BULK_RUN`; ids or a
filter, not both; a switched-off rule, an agent and an empty selection."""

import time

import pytest

from plugins.automation import bulk_runs
from plugins.automation.tests.support import rule, runs, settled_runs
from tests.support import Api, as_worker, create_customer, create_worker

JOB = "job { id status progress { done total } }"
FOLLOW = """query($id: ID!) { job(id: $id) { status progress { done total } result
  error { code } } }"""
NAMED_A = {"field": "name", "op": "STARTS_WITH", "value": "A"}


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("automation")
    return api


def follow(api: Api, job_id: str) -> dict:
    deadline = time.monotonic() + 30
    while True:
        job = api.query(FOLLOW, id=job_id)["job"]
        if job["status"] not in ("QUEUED", "RUNNING"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def by_filter(api: Api, rule_id: str, **target) -> dict:
    return api.mutate("runAutomation", {"ruleId": rule_id, **target}, f"runs {{ id }} {JOB}")


def test_a_filter_runs_the_rule_on_every_customer_the_caller_may_change(owner, monkeypatch):
    monkeypatch.setattr(bulk_runs, "CHUNK", 2)  # 5 customers: three chunks
    monkeypatch.setenv("AUTOMATION_RUNS_PER_MINUTE", "1")  # manual: not held by it
    made = rule(owner, "Hook", {"kind": "MANUAL"}, [{"type": "CALL_WEBHOOK", "payload": {}}])
    names = ["Ada", "Alan", "Amy", "Anna", "Axel", "Bob", "Bea"]
    ids = {name: create_customer(owner, name) for name in names}
    started = by_filter(owner, made["id"], where=NAMED_A)
    assert started["userErrors"] == [] and started["runs"] == []
    assert started["job"]["progress"]["total"] == 5
    job = follow(owner, started["job"]["id"])
    assert job["status"] == "SUCCEEDED", job
    assert job["progress"] == {"done": 5, "total": 5}
    assert (job["result"]["started"], job["result"]["done"]) == (5, 5)
    for name, customer_id in ids.items():
        found = settled_runs(owner, customer_id, 1 if name[0] == "A" else None)
        if name[0] == "A":
            [one] = found
            assert (one["status"], one["manual"], one["version"]) == ("DONE", True, 1)
        else:
            assert found == []

    # A manager sees (and may change) the customers assigned to them: Ada and Amy.
    manager_id = create_worker(owner, "Mia Manager", "MANAGER")
    for name in ("Ada", "Amy"):
        owner.ok("assignWorkers", {"customerId": ids[name], "workerIds": [manager_id]})
    manager = as_worker(owner, manager_id)
    mine = by_filter(manager, made["id"], where=NAMED_A, search="a")
    assert mine["job"]["progress"]["total"] == 2
    assert follow(owner, mine["job"]["id"])["status"] == "SUCCEEDED"
    counts = {name: len(settled_runs(owner, ids[name])) for name in names}
    assert counts == {"Ada": 2, "Alan": 1, "Amy": 2, "Anna": 1, "Axel": 1, "Bob": 0, "Bea": 0}


def test_a_selection_by_filter_is_bounded_and_checked(owner, monkeypatch):
    made = rule(owner, "Hook", {"kind": "MANUAL"}, [{"type": "CALL_WEBHOOK", "payload": {}}])
    ids = [create_customer(owner, f"A{i}") for i in range(4)]

    def errors(api: Api, **target) -> list:
        answer = by_filter(api, made["id"], **target)
        assert answer["job"] is None
        return [(".".join(e["field"]), e["code"]) for e in answer["userErrors"]]

    monkeypatch.setenv("AUTOMATION_MAX_BULK_RUN", "3")
    assert errors(owner, where=NAMED_A) == [("input.where", "TOO_MANY")]
    assert errors(owner, search="A") == [("input.where", "TOO_MANY")]
    monkeypatch.setenv("AUTOMATION_MAX_BULK_RUN", "4")
    assert errors(owner, customerIds=ids[:1], where=NAMED_A) == [
        ("input.customerIds", "IDS_OR_FILTER")
    ]
    assert errors(owner) == [("input.customerIds", "IDS_OR_FILTER")]
    unknown = {"field": "nope", "op": "EQ", "value": "x"}
    assert errors(owner, where=unknown)[0][1] == "UNKNOWN_FIELD"
    nobody = by_filter(owner, made["id"], where={**NAMED_A, "value": "Zed"})
    assert nobody == {"runs": [], "job": None, "userErrors": []}
    agent = as_worker(owner, create_worker(owner, "Andy Agent"))
    refused = agent.post(
        "mutation($i: RunAutomationInput!) { runAutomation(input: $i) { runs { id } } }",
        {"i": {"ruleId": made["id"], "where": NAMED_A}},
    ).json()
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    owner.ok("updateAutomationRule", {"id": made["id"], "active": False})
    assert errors(owner, where=NAMED_A) == [("input.ruleId", "AUTOMATION_RULE_INACTIVE")]
    assert all(runs(owner, c) == [] for c in ids)
