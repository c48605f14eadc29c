"""What the automation tests share: tags, statuses, rules, and runs followed to their end."""

import time

from tests.support import Api, create_customer

RUN = """id status reason version depth manual triggerEventId createdAt finishedAt
  rule { id name version } steps { index type outcome error }"""
TAB = (
    "query($id: ID!, $first: Int, $after: String) { customer(id: $id) { automation { "
    "runningCount runs(first: $first, after: $after) { totalCount nodes { " + RUN + " } } } } }"
)
CUSTOMER = """query($id: ID!) { customer(id: $id) { status { id } tags { id } } }"""


def tag(api: Api, name: str = "VIP") -> str:
    return api.ok("createTag", {"name": name, "color": "#000000"}, "tag { id }")["tag"]["id"]


def status(api: Api, name: str = "Hot") -> str:
    data = {"name": name, "color": "#000000", "category": "ACTIVE"}
    return api.ok("createStatus", data, "status { id }")["status"]["id"]


def rule(api: Api, name: str, trigger: dict, actions: list[dict], **more) -> dict:
    data = {"name": name, "trigger": trigger, "actions": actions, **more}
    return api.ok("createAutomationRule", data, "rule { id version }")["rule"]


def on(event_type: str, **conditions) -> dict:
    return {"kind": "EVENT", "eventType": event_type, **conditions}


def runs(api: Api, customer_id: str, first: int = 50) -> list[dict]:
    tab = api.query(TAB, id=customer_id, first=first)["customer"]["automation"]
    return tab["runs"]["nodes"]


def settled_runs(api: Api, customer_id: str, count: int | None = None, within=20.0) -> list[dict]:
    """The customer's runs once none is RUNNING (and, given `count`, that many exist)."""
    deadline = time.monotonic() + within
    while True:
        found = runs(api, customer_id)
        done = all(r["status"] != "RUNNING" for r in found)
        if done and (count is None or len(found) >= count):
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


def customer_state(api: Api, customer_id: str) -> dict:
    return api.query(CUSTOMER, id=customer_id)["customer"]


__all__ = ["create_customer"]
