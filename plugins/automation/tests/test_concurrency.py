"""Automation writes racing in a real `server.py` process: 24 `runAutomation` on overlapping
customers while 8 edits make new versions of the same rule, and 16 updates of one customer
each starting an event rule. No request fails, every edit is one version (1..9, none lost or
doubled), every run ran the actions of the version it names, and each event started exactly
one run."""

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import AppServer, graphql, module_server, owner_token

CUSTOMERS, RUNS, EDITS, UPDATES = 8, 24, 8, 16
TAB = """query($id: ID!) { customer(id: $id) { automation { runs(first: 100) { nodes {
  id status version manual triggerEventId rule { id } steps { index type outcome } } } } } }"""
MUTATION = """mutation($input: {kind}Input!) {{ {name}(input: $input) {{
  {selection} userErrors {{ code field }} }} }}"""


@pytest.fixture(scope="module")
def app(tmp_path_factory, database_url) -> Iterator[AppServer]:
    directory = Path(tmp_path_factory.mktemp("automation-race"))
    with module_server("automation", directory, database_url) as server:
        yield server


def mutate(app: AppServer, token: str, name: str, input: dict, selection: str = "") -> dict:
    kind = f"{name[0].upper()}{name[1:]}"
    document = MUTATION.format(kind=kind, name=name, selection=selection)
    return graphql(app, token, document, timeout=60, input=input)[name]


def ok(app, token, name, input, selection=""):
    payload = mutate(app, token, name, input, selection)
    assert payload["userErrors"] == [], payload
    return payload


def at_once(count: int, work) -> list:
    results: list = [None] * count
    failures: list = []

    def one(i: int) -> None:
        try:
            results[i] = work(i)
        except BaseException as error:  # an assertion in a thread: report it, don't lose it
            failures.append(error)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    return results


def settled(app: AppServer, token: str, customer: str, count: int) -> list[dict]:
    deadline = time.monotonic() + 120
    while True:
        runs = graphql(app, token, TAB, timeout=30, id=customer)["customer"]["automation"]
        nodes = runs["runs"]["nodes"]
        if len(nodes) >= count and all(r["status"] != "RUNNING" for r in nodes):
            return nodes
        assert time.monotonic() < deadline, (nodes, app.log_tail())
        time.sleep(0.1)


def test_runs_and_edits_race_without_errors_or_duplicates(app):
    token = owner_token(app.environment["DATABASE_URL"], "Automation race")
    ok(app, token, "enableModule", {"module": "automation"}, "modules { name }")
    tags = [
        ok(app, token, "createTag", {"name": f"T{i}", "color": "#000000"}, "tag { id }")["tag"][
            "id"
        ]
        for i in range(2)
    ]

    def actions(version: int) -> list[dict]:
        """Version n: one ADD_TAG per step, n % 2 + 1 steps, so a run shows its version."""
        return [{"type": "ADD_TAG", "tagId": tags[i]} for i in range(version % 2 + 1)]

    rule = ok(
        app,
        token,
        "createAutomationRule",
        {"name": "v1", "trigger": {"kind": "MANUAL"}, "actions": actions(1)},
        "rule { id version }",
    )["rule"]
    customers = [
        ok(app, token, "createCustomer", {"name": f"C{i}"}, "customer { id }")["customer"]["id"]
        for i in range(CUSTOMERS)
    ]

    def work(i: int) -> dict:
        if i < RUNS:  # a window of 4 customers: each customer is in 12 requests
            chosen = [customers[(i + k) % CUSTOMERS] for k in range(4)]
            return ok(
                app,
                token,
                "runAutomation",
                {"ruleId": rule["id"], "customerIds": chosen},
                "runs { id version customer { id } }",
            )
        edit = {
            "id": rule["id"],
            "name": f"edit {i}",
            "trigger": {"kind": "MANUAL"},
            "actions": actions(i),  # i - RUNS + 2 is not known before the race: any will do
        }
        return ok(
            app, token, "updateAutomationRule", edit, "rule { version name actions { type } }"
        )

    results = at_once(RUNS + EDITS, work)
    versions = sorted(r["rule"]["version"] for r in results[RUNS:])
    assert versions == list(range(2, EDITS + 2)), versions  # each edit one version
    started = [run for r in results[:RUNS] for run in r["runs"]]
    assert len(started) == RUNS * 4 and len({r["id"] for r in started}) == RUNS * 4
    final = graphql(app, token, "{ automationRules(first: 5) { nodes { id version } } }")[
        "automationRules"
    ]["nodes"]
    assert final == [{"id": rule["id"], "version": EDITS + 1}]
    # The steps a run did are its version's: `actions(n)` by the edit that wrote version n.
    steps_of = {1: 2}
    for r in results[RUNS:]:
        steps_of[r["rule"]["version"]] = len(r["rule"]["actions"])
    per_customer = {c: 0 for c in customers}
    for run in started:
        per_customer[run["customer"]["id"]] += 1
        assert 1 <= run["version"] <= EDITS + 1
    for customer, count in per_customer.items():
        found = settled(app, token, customer, count)
        assert len(found) == count == RUNS * 4 // CUSTOMERS
        for run in found:
            assert run["status"] == "DONE" and run["manual"], run
            assert len(run["steps"]) == steps_of[run["version"]], (run, steps_of)


def test_concurrent_events_start_one_run_each(app):
    token = owner_token(app.environment["DATABASE_URL"], "Automation events")
    ok(app, token, "enableModule", {"module": "automation"}, "modules { name }")
    rule = ok(
        app,
        token,
        "createAutomationRule",
        {
            "name": "On update",
            "trigger": {"kind": "EVENT", "eventType": "customer.updated"},
            "actions": [{"type": "CALL_WEBHOOK", "payload": {"n": 1}}],
        },
        "rule { id }",
    )["rule"]
    customer = ok(app, token, "createCustomer", {"name": "Ada"}, "customer { id }")["customer"][
        "id"
    ]

    def update(i: int) -> dict:
        data = {"id": customer, "city": f"City {i}"}
        return ok(app, token, "updateCustomer", data, "customer { id }")

    at_once(UPDATES, update)
    found = settled(app, token, customer, UPDATES)
    assert len(found) == UPDATES
    assert len({r["triggerEventId"] for r in found}) == UPDATES  # one run per event
    assert all(r["status"] == "DONE" and r["rule"]["id"] == rule["id"] for r in found)
