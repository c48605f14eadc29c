"""Automation through the HTTP API: an event starts a matching rule whose actions apply
(status set, tag added), conditions that do not match start nothing, a redelivered event
starts one run, a rule that triggers itself stops at the depth limit, WAIT resumes later, a
step that dies mid-way resumes without redoing done steps, manual bulk runs, the rate limit,
versions, permissions, another tenant, and the runs list's statement count."""

import pytest

from plugins.automation import runner
from plugins.automation.tests.support import (
    create_customer,
    customer_state,
    on,
    rule,
    runs,
    settled_runs,
    status,
    tag,
)
from tests.fixtures import run
from tests.support import Api, as_worker, count_statements, create_worker, gid, pk_of


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("automation")
    return api


def codes(api: Api, name: str, input: dict) -> list[str]:
    """The error codes of a mutation refused as a whole (a GraphQL error)."""
    kind = f"{name[0].upper()}{name[1:]}Input!"
    query = f"mutation($input: {kind}) {{ {name}(input: $input) {{ userErrors {{ code }} }} }}"
    return [e["extensions"]["code"] for e in api.errors(query, input=input)]


def add_tag(api: Api, customer_id: str, tag_id: str) -> None:
    api.ok("addCustomerTags", {"customerId": customer_id, "tagIds": [tag_id]}, "customer { id }")


def test_an_event_runs_the_matching_rule_and_its_actions_apply(owner):
    vip, hot = tag(owner, "VIP"), status(owner, "Hot")
    other = tag(owner, "Other")
    made = rule(
        owner,
        "VIP is hot",
        on("customer.tags_changed", tagIds=[vip]),
        [{"type": "SET_STATUS", "statusId": hot}, {"type": "ADD_TAG", "tagId": other}],
    )
    ada, bob = create_customer(owner, "Ada"), create_customer(owner, "Bob")
    add_tag(owner, ada, vip)
    add_tag(owner, bob, other)  # tags_changed too, but Bob is no VIP: no run
    # Adding "Other" is a tag change of a VIP too: the rule runs again, one level deeper,
    # and changes nothing more (no further event).
    later, done = settled_runs(owner, ada, 2)
    assert (done["depth"], later["depth"], later["status"]) == (0, 1, "DONE")
    assert done["status"] == "DONE" and done["rule"]["id"] == made["id"]
    assert [s["outcome"] for s in done["steps"]] == ["DONE", "DONE"]
    assert done["version"] == 1 and not done["manual"] and done["triggerEventId"]
    state = customer_state(owner, ada)
    assert state["status"]["id"] == hot
    assert {t["id"] for t in state["tags"]} == {vip, other}
    assert runs(owner, bob) == []


def test_event_data_conditions_and_custom_fields(owner):
    hot = status(owner, "Hot")
    rule(
        owner,
        "Tag X",
        on("customer.tags_changed", eventData=[{"key": "nothing", "value": "x"}]),
        [{"type": "SET_STATUS", "statusId": hot}],
    )
    ada = create_customer(owner, "Ada")
    add_tag(owner, ada, tag(owner))
    assert settled_runs(owner, ada) == []


def test_a_where_filter_on_an_event_rule(owner):
    """The list's filter language as a condition: here the customer's name and city."""
    hot = status(owner, "Hot")
    where = {"and": [{"field": "city", "op": "EQ", "value": "Berlin"}]}
    rule(
        owner,
        "Berliners",
        on("customer.tags_changed", where=where),
        [{"type": "SET_STATUS", "statusId": hot}],
    )
    vip = tag(owner)
    ada = create_customer(owner, "Ada", city="Berlin")
    bob = create_customer(owner, "Bob", city="Paris")
    add_tag(owner, ada, vip)
    add_tag(owner, bob, vip)
    [done] = settled_runs(owner, ada, 1)
    assert done["status"] == "DONE"
    assert customer_state(owner, ada)["status"]["id"] == hot
    assert settled_runs(owner, bob) == []


def test_a_redelivered_event_starts_one_run(owner, client):
    vip = tag(owner)
    rule(
        owner,
        "Notify",
        on("customer.tags_changed"),
        [{"type": "CALL_WEBHOOK", "payload": {"a": 1}}],
    )
    ada = create_customer(owner, "Ada")
    add_tag(owner, ada, vip)
    [first] = settled_runs(owner, ada, 1)

    from sqlalchemy import select

    from core.audit import EventRecord

    async def replay():
        from core import events
        from plugins.automation import service

        async with client.app.state.db.transaction(owner.tenant_id) as session:
            record = await session.scalar(
                select(EventRecord).where(
                    EventRecord.tenant_id == owner.tenant_id,
                    EventRecord.action == "customer.tags_changed",
                )
            )
            events.bind(session, client.app.state.plugins, frozenset({"automation"}))
            event = events.Event(
                record.action, record.tenant_id, record.customer_id, record.data, None, id=record.id
            )
            return await service.start_from_event(session, event)

    assert run(client, replay) == 0
    assert [r["id"] for r in settled_runs(owner, ada)] == [first["id"]]


def test_a_rule_triggering_itself_stops_at_the_depth_limit(owner):
    hot, cold = status(owner, "Hot"), status(owner, "Cold")
    # Each run flips the status, which is a new status change, which runs the rule again.
    rule(
        owner,
        "Flip to hot",
        on("customer.status_changed", statusIds=[cold]),
        [{"type": "SET_STATUS", "statusId": hot}],
    )
    rule(
        owner,
        "Flip to cold",
        on("customer.status_changed", statusIds=[hot]),
        [{"type": "SET_STATUS", "statusId": cold}],
    )
    ada = create_customer(owner, "Ada")
    owner.ok("setCustomerStatus", {"customerId": ada, "statusId": hot}, "customer { id }")
    found = settled_runs(owner, ada, 4)
    depths = sorted((r["depth"], r["status"]) for r in found)
    assert depths == [(0, "DONE"), (1, "DONE"), (2, "DONE"), (3, "SKIPPED")]
    assert [r["reason"] for r in found if r["status"] == "SKIPPED"] == ["LOOP_GUARD"]


def test_wait_resumes_later(owner):
    vip, later = tag(owner, "VIP"), tag(owner, "Later")
    rule(
        owner,
        "Wait then tag",
        {"kind": "MANUAL"},
        [{"type": "WAIT", "seconds": 1}, {"type": "ADD_TAG", "tagId": later}],
    )
    rule_id = owner.query("{ automationRules(first: 5) { nodes { id } } }")["automationRules"][
        "nodes"
    ][0]["id"]
    ada = create_customer(owner, "Ada")
    add_tag(owner, ada, vip)
    started = owner.ok(
        "runAutomation", {"ruleId": rule_id, "customerIds": [ada]}, "runs { id status }"
    )
    assert started["runs"][0]["status"] == "RUNNING"
    [done] = settled_runs(owner, ada, 1)
    assert [s["outcome"] for s in done["steps"]] == ["WAITING", "DONE"]
    assert done["manual"] and done["status"] == "DONE"
    assert later in {t["id"] for t in customer_state(owner, ada)["tags"]}


def test_a_step_that_dies_resumes_without_redoing_done_steps(owner, monkeypatch):
    first, second = tag(owner, "First"), tag(owner, "Second")
    made = rule(
        owner,
        "Two tags",
        {"kind": "MANUAL"},
        [{"type": "ADD_TAG", "tagId": first}, {"type": "ADD_TAG", "tagId": second}],
    )
    real, calls = runner._apply, []

    async def dying(session, ctx, run_row, version, index, action):
        calls.append(index)
        if index == 1 and calls.count(1) == 1:  # the process "dies" inside step 1's chunk
            raise RuntimeError("crash")
        return await real(session, ctx, run_row, version, index, action)

    monkeypatch.setattr(runner, "_apply", dying)
    # The retry is what is tested, not its default wait (JOB_RETRY_SECONDS, 10 s).
    monkeypatch.setattr(owner.client.app.state.jobs, "retry_seconds", 0.05)
    ada = create_customer(owner, "Ada")
    owner.ok("runAutomation", {"ruleId": made["id"], "customerIds": [ada]}, "runs { id }")
    [done] = settled_runs(owner, ada, 1, within=30)
    assert done["status"] == "DONE"
    assert calls == [0, 1, 1]  # step 0 once: its chunk had committed with the checkpoint
    assert [s["index"] for s in done["steps"]] == [0, 1]
    assert {t["id"] for t in customer_state(owner, ada)["tags"]} == {first, second}


def test_manual_bulk_run_only_on_customers_you_may_change(owner):
    vip = tag(owner)
    made = rule(owner, "Tag them", {"kind": "MANUAL"}, [{"type": "ADD_TAG", "tagId": vip}])
    ids = [create_customer(owner, f"C{i}") for i in range(5)]
    started = owner.ok("runAutomation", {"ruleId": made["id"], "customerIds": ids}, "runs { id }")
    assert len(started["runs"]) == 5
    for customer_id in ids:
        assert settled_runs(owner, customer_id, 1)[0]["status"] == "DONE"
        assert vip in {t["id"] for t in customer_state(owner, customer_id)["tags"]}
    agent = as_worker(owner, create_worker(owner, "Andy Agent"))
    refused = codes(agent, "runAutomation", {"ruleId": made["id"], "customerIds": ids[:1]})
    assert refused == ["FORBIDDEN"]  # agents hold no automation.run
    hidden = owner.mutate(
        "runAutomation",
        {"ruleId": made["id"], "customerIds": ["Q3VzdG9tZXI6OTk5OTk5"]},
        "runs { id }",
    )
    assert hidden["runs"] is None and hidden["userErrors"][0]["code"] == "NOT_FOUND"


def test_the_rate_limit_skips_runs_over_it(owner, monkeypatch):
    monkeypatch.setenv("AUTOMATION_RUNS_PER_MINUTE", "2")
    vip = tag(owner)
    rule(owner, "Hook", on("customer.tags_changed"), [{"type": "CALL_WEBHOOK", "payload": {}}])
    ids = [create_customer(owner, f"C{i}") for i in range(4)]
    for customer_id in ids:
        add_tag(owner, customer_id, vip)
    found = [r for c in ids for r in settled_runs(owner, c, 1)]
    assert sorted(r["status"] for r in found) == ["DONE", "DONE", "SKIPPED", "SKIPPED"]
    assert {r["reason"] for r in found if r["status"] == "SKIPPED"} == {"RATE_LIMITED"}


def test_editing_makes_a_new_version_and_runs_keep_theirs(owner):
    vip, other = tag(owner, "VIP"), tag(owner, "Other")
    made = rule(owner, "Tag", {"kind": "MANUAL"}, [{"type": "ADD_TAG", "tagId": vip}])
    ada = create_customer(owner, "Ada")
    owner.ok("runAutomation", {"ruleId": made["id"], "customerIds": [ada]})
    settled_runs(owner, ada, 1)
    edit = {
        "id": made["id"],
        "name": "Tag 2",
        "trigger": {"kind": "MANUAL"},
        "actions": [{"type": "ADD_TAG", "tagId": other}],
    }
    assert owner.ok("updateAutomationRule", edit, "rule { version name }")["rule"] == {
        "version": 2,
        "name": "Tag 2",
    }
    owner.ok("runAutomation", {"ruleId": made["id"], "customerIds": [ada]})
    found = settled_runs(owner, ada, 2)
    assert sorted(r["version"] for r in found) == [1, 2]
    history = owner.query(
        "{ automationRules(first: 5) { nodes { versions { version name author { id } "
        "actions { tagId } } } } }"
    )["automationRules"]["nodes"][0]["versions"]
    me = {"id": gid("Worker", owner.worker_id)}
    assert history == [
        {"version": 2, "name": "Tag 2", "author": me, "actions": [{"tagId": other}]},
        {"version": 1, "name": "Tag", "author": me, "actions": [{"tagId": vip}]},
    ]
    off = owner.ok(
        "updateAutomationRule", {"id": made["id"], "active": False}, "rule { version active }"
    )
    assert off["rule"] == {"version": 2, "active": False}
    refused = owner.mutate("runAutomation", {"ruleId": made["id"], "customerIds": [ada]})
    assert [e["code"] for e in refused["userErrors"]] == ["AUTOMATION_RULE_INACTIVE"]


def test_bad_rules_are_user_errors(owner):
    bad = owner.mutate(
        "createAutomationRule",
        {
            "name": "",
            "trigger": {"kind": "EVENT"},
            "actions": [{"type": "WAIT", "seconds": 0}, {"type": "ADD_TAG"}],
        },
        "rule { id }",
    )
    assert bad["rule"] is None
    found = {(tuple(e["field"]), e["code"]) for e in bad["userErrors"]}
    assert found == {
        (("input", "name"), "INVALID"),
        (("input", "trigger", "eventType"), "REQUIRED"),
        (("input", "actions", "0", "seconds"), "INVALID"),
        (("input", "actions", "1", "tagId"), "REQUIRED"),
    }
    agent = as_worker(owner, create_worker(owner, "Andy Agent"))
    wait = {"name": "x", "trigger": {"kind": "MANUAL"}, "actions": [{"type": "WAIT", "seconds": 1}]}
    assert codes(agent, "createAutomationRule", wait) == ["FORBIDDEN"]


def test_another_tenant_sees_nothing(owner, other_api):
    other_api.enable("automation")
    vip = tag(owner)
    made = rule(owner, "Tag", {"kind": "MANUAL"}, [{"type": "ADD_TAG", "tagId": vip}])
    ada = create_customer(owner, "Ada")
    owner.ok("runAutomation", {"ruleId": made["id"], "customerIds": [ada]})
    [done] = settled_runs(owner, ada, 1)
    assert (
        other_api.query("{ automationRules(first: 10) { totalCount } }")["automationRules"][
            "totalCount"
        ]
        == 0
    )
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert other_api.query(node, id=made["id"])["node"] is None
    assert other_api.query(node, id=done["id"])["node"] is None
    own = create_customer(other_api, "Theirs")
    refused = other_api.mutate("runAutomation", {"ruleId": made["id"], "customerIds": [own]})
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    tag_other = other_api.mutate(
        "createAutomationRule",
        {
            "name": "x",
            "trigger": {"kind": "MANUAL"},
            "actions": [{"type": "ADD_TAG", "tagId": vip}],
        },
    )
    assert [e["code"] for e in tag_other["userErrors"]] == ["NOT_FOUND"]


LIST = """query($first: Int) { customers(first: $first) { nodes { id automation {
  runningCount runs(first: 5) { totalCount nodes { id status version steps { type outcome }
  rule { name } } } } } } }"""


def test_statement_count_is_constant_in_page_size(owner, engine):
    vip = tag(owner)
    made = rule(owner, "Tag", {"kind": "MANUAL"}, [{"type": "ADD_TAG", "tagId": vip}])
    ids = [create_customer(owner, f"C{i:02}") for i in range(12)]
    owner.ok("runAutomation", {"ruleId": made["id"], "customerIds": ids})
    for customer_id in ids:
        settled_runs(owner, customer_id, 1)
    counts = []
    for first in (3, 12):
        with count_statements(engine) as counter:
            data = owner.query(LIST, first=first)
        assert len(data["customers"]["nodes"]) == first
        counts.append(counter.count)
    print(f"automation runs on the list, statements for 3 and 12 rows: {counts}")
    assert counts[0] == counts[1], counts
    assert pk_of(made["id"]) > 0
