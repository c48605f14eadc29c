"""`automation { runningCount }` on the customer list through the compiled path: the same
answers as the resolvers on both databases, and the usual path for what it does not cover."""

from plugins.automation.tests.support import rule, settled_runs
from tests.support import create_customer as customer
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)

COMPILED = ["runningCount", "__typename n: runningCount"]
NOT_COMPILED = ["runningCount runs(first: 2) { totalCount }"]


def test_the_running_count_compiles_and_answers_as_the_resolvers_do(api, paths):  # noqa: F811
    api.enable("automation")
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    waits = rule(api, "Wait", {"kind": "MANUAL"}, [{"type": "WAIT", "seconds": 3600}])
    quick = rule(api, "Hook", {"kind": "MANUAL"}, [{"type": "CALL_WEBHOOK", "payload": {}}])
    api.ok("runAutomation", {"ruleId": waits["id"], "customerIds": [ada, bob]})
    api.ok("runAutomation", {"ruleId": waits["id"], "customerIds": [ada]})
    api.ok("runAutomation", {"ruleId": quick["id"], "customerIds": [cyd]})
    settled_runs(api, cyd, 1)
    expected = {ada: {"runningCount": 2}, bob: {"runningCount": 1}, cyd: {"runningCount": 0}}
    assert_module_compiles(
        paths, api, "automation", "automation.view", expected, COMPILED, NOT_COMPILED
    )
