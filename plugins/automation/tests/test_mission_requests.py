"""The CREATE_MISSION action through the missions module's `mission_request` handler: one
mission on the customer, made once however often the run's event is handled."""

import time

from plugins.automation.tests.support import rule, settled_runs
from tests.support import create_customer, gid

MISSIONS = """query($id: ID!) { customer(id: $id) { missions { all(first: 10) {
  nodes { title status assignees { id } } } } } }"""


def test_create_mission_makes_one_mission(api):
    api.enable("automation", "missions")
    me = gid("Worker", api.worker_id)
    action = {"type": "CREATE_MISSION", "title": "Call them", "assigneeId": me, "dueInHours": 24}
    made = rule(api, "Mission", {"kind": "MANUAL"}, [action])
    ada = create_customer(api, "Ada")
    api.ok("runAutomation", {"ruleId": made["id"], "customerIds": [ada]})
    [done] = settled_runs(api, ada, 1)
    assert done["status"] == "DONE"
    deadline = time.monotonic() + 10
    while not (found := api.query(MISSIONS, id=ada)["customer"]["missions"]["all"]["nodes"]):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert found == [{"title": "Call them", "status": "OPEN", "assignees": [{"id": me}]}]
