"""Bulk actions by filter, with undo (`core/bulk.py`), through the public API on both
databases. The app here runs filters of more than 3 matching customers as jobs
(`BULK_INLINE_MAX=3`) in chunks of 2 customers, so the job path walks several chunks with
a handful of rows. Real processes (a crash mid-job, concurrent jobs) are in
`tests/test_bulk_processes.py`."""

import asyncio
import time

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from core import bulk
from core.models import utcnow
from schema.registry import make_plugins
from server import create_app
from tests.fixtures import new_tenant, run
from tests.support import Api, as_worker, create_worker
from tests.test_customer_mutations import (
    BULK,
    fetch,
    make_customer,
    make_tag,
    ok,
)
from tests.test_subscriptions import next_payload, socket, subscribe

INLINE_MAX = 3
FINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}
RESULT = """customers { id } userErrors { field code }
  job { id status progress { done total } }
  bulkAction { id state count undone skipped undoableUntil }"""
JOB = "query($id: ID!) { job(id: $id) { status progress { done total } result error { code } } }"
ACTION = """query($id: ID!) { bulkAction(id: $id) { id action state count undone skipped
  job { id status } undoJob { id status } } }"""
UNDO = "bulkAction { id state count undone skipped } job { id } userErrors { field code }"
# What an undo may leave different: the version and time of the write itself.
MOVING = ("version", "updatedAt")


@pytest.fixture(scope="module")
def bulk_client(settings):
    fast = settings.model_copy(
        update={
            "bulk_inline_max": INLINE_MAX,
            "job_concurrency": 2,
            "job_poll_seconds": 0.2,
            "job_lease_seconds": 3,
            "job_retry_seconds": 0.05,
            "job_progress_seconds": 0.05,
        }
    )
    with TestClient(create_app(fast, make_plugins())) as client:
        yield client


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 2)


@pytest.fixture
def api(bulk_client) -> Api:
    return new_tenant(bulk_client)


@pytest.fixture
def other_api(bulk_client) -> Api:
    return new_tenant(bulk_client, "Other Business")


def city(name: str) -> dict:
    return {"field": "city", "op": "EQ", "value": name}


def bulk_run(api: Api, mutation: str, input: dict) -> dict:
    payload = api.mutate(mutation, input, RESULT)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


def wait_job(api: Api, job_id: str, within: float = 20.0) -> dict:
    deadline = time.monotonic() + within
    while True:
        found = api.query(JOB, id=job_id)["job"]
        if found["status"] in FINAL:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.03)


def finished(api: Api, payload: dict) -> dict:
    """The bulk action once it has ended (its job waited for when it was queued)."""
    if payload.get("job"):
        found = wait_job(api, payload["job"]["id"])
        assert found["status"] == "SUCCEEDED", found
    return api.query(ACTION, id=payload["bulkAction"]["id"])["bulkAction"]


def undo(api: Api, action_id: str) -> dict:
    payload = api.mutate("undoBulkAction", {"bulkActionId": action_id}, UNDO)
    assert payload["userErrors"] == [], payload["userErrors"]
    return finished(api, payload)


def still(customer: dict) -> dict:
    return {k: v for k, v in customer.items() if k not in MOVING}


def customers_in(api: Api, town: str, n: int, **fields) -> list[str]:
    return [make_customer(api, f"{town} {i}", city=town, **fields)["id"] for i in range(n)]


@pytest.mark.parametrize("matching", [2, 5], ids=["inline", "job"])
@pytest.mark.parametrize("mutation,prepare", BULK, ids=[b[0] for b in BULK])
def test_every_bulk_mutation_takes_a_filter_and_undoes_exactly(api, mutation, prepare, matching):
    targets = customers_in(api, "Berlin", matching)
    bystander = make_customer(api, "Paris 0", city="Paris")["id"]
    extra, view, expected = prepare(api, targets)
    before = {cid: fetch(api, cid) for cid in [*targets, bystander]}

    payload = bulk_run(api, mutation, {"where": city("Berlin"), **extra})
    if matching <= INLINE_MAX:
        assert payload["job"] is None
        assert sorted(c["id"] for c in payload["customers"]) == sorted(targets)
    else:
        assert payload["customers"] == [] and payload["job"]["status"] == "QUEUED"
        assert payload["job"]["progress"]["total"] == matching
    action = finished(api, payload)
    assert action["state"] == "DONE" and action["count"] == matching
    for cid in targets:
        assert view(fetch(api, cid)) == expected
    assert fetch(api, bystander) == before[bystander]

    done = undo(api, action["id"])
    assert (done["state"], done["undone"], done["skipped"]) == ("UNDONE", matching, 0)
    for cid, old in before.items():
        assert still(fetch(api, cid)) == still(old)


def test_a_filter_job_reports_progress_by_query_and_subscription(api):
    customers_in(api, "Berlin", 9)
    tag = make_tag(api)
    query = "subscription($id: ID!) { jobProgress(id: $id) { status progress { done total } } }"
    payload = bulk_run(api, "bulkAddCustomerTags", {"where": city("Berlin"), "tagIds": [tag]})
    job_id = payload["job"]["id"]
    with socket(api) as ws:
        subscribe(ws, query, id=job_id)
        seen = [next_payload(ws)["data"]["jobProgress"]]
        while seen[-1]["status"] not in FINAL:
            seen.append(next_payload(ws)["data"]["jobProgress"])
    assert seen[-1] == {"status": "SUCCEEDED", "progress": {"done": 9, "total": 9}}
    done = [s["progress"]["done"] for s in seen]
    assert done == sorted(done)
    found = api.query(JOB, id=job_id)["job"]
    assert found["progress"] == {"done": 9, "total": 9}
    assert found["result"] == {"count": 9, "undone": 0, "skipped": 0}


def test_changing_the_filtered_field_neither_skips_nor_repeats(api):
    """Every Berlin customer moves to Paris: the walk goes by id, not by the filter's order."""
    ids = customers_in(api, "Berlin", 7)
    payload = bulk_run(
        api,
        "bulkUpdateCustomers",
        {
            "where": city("Berlin"),
            "fields": {"city": "Paris", "followUpAt": "2030-01-02T03:04:05Z"},
        },
    )
    action = finished(api, payload)
    assert action["count"] == 7
    moved = [fetch(api, cid) for cid in ids]
    assert {(c["city"], c["followUpAt"][:19]) for c in moved} == {("Paris", "2030-01-02T03:04:05")}
    assert undo(api, action["id"])["undone"] == 7
    assert {fetch(api, cid)["city"] for cid in ids} == {"Berlin"}


def test_ids_or_a_filter_exactly_one(api):
    a = make_customer(api, "A", city="Berlin")["id"]
    tag = make_tag(api)
    for target in ({}, {"customerIds": [a], "where": city("Berlin")}):
        payload = api.mutate("bulkAddCustomerTags", {**target, "tagIds": [tag]}, RESULT)
        assert [e["code"] for e in payload["userErrors"]] == ["IDS_OR_FILTER"]
        assert payload["bulkAction"] is None
    assert api.query("{ bulkActions { totalCount } }")["bulkActions"]["totalCount"] == 0


def test_a_bad_argument_is_refused_before_any_job_starts(api):
    customers_in(api, "Berlin", 5)
    payload = api.mutate(
        "bulkUpdateCustomers", {"where": city("Berlin"), "fields": {"website": "no url"}}, RESULT
    )
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "fields", "website"], "INVALID")
    ]
    assert payload["job"] is None and payload["bulkAction"] is None
    assert api.query("{ bulkActions { totalCount } }")["bulkActions"]["totalCount"] == 0


def test_undo_keeps_what_was_there_before_and_skips_what_changed_since(api):
    tag = make_tag(api)
    had, fresh, edited = customers_in(api, "Berlin", 3)
    ok(api, "addCustomerTags", {"customerId": had, "tagIds": [tag]})
    payload = bulk_run(api, "bulkAddCustomerTags", {"where": city("Berlin"), "tagIds": [tag]})
    assert finished(api, payload)["count"] == 2  # `had` had it: not changed by this action
    ok(api, "updateCustomer", {"id": edited, "notes": "called today"})

    done = undo(api, payload["bulkAction"]["id"])
    assert (done["undone"], done["skipped"]) == (1, 1)
    tags = {cid: [t["id"] for t in fetch(api, cid)["tags"]] for cid in (had, fresh, edited)}
    assert tags == {had: [tag], fresh: [], edited: [tag]}


def test_undo_twice_or_after_expiry_is_refused(api, bulk_client):
    customers_in(api, "Berlin", 2)
    tag = make_tag(api)
    first = bulk_run(api, "bulkAddCustomerTags", {"where": city("Berlin"), "tagIds": [tag]})
    undo(api, first["bulkAction"]["id"])
    again = api.mutate("undoBulkAction", {"bulkActionId": first["bulkAction"]["id"]}, UNDO)
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_UNDONE"]

    second = bulk_run(api, "bulkAddCustomerTags", {"where": city("Berlin"), "tagIds": [tag]})

    async def expire():
        async with bulk_client.app.state.db.transaction() as session:
            await session.execute(update(bulk.BulkAction).values(undo_until=utcnow()))

    run(bulk_client, expire)
    late = api.mutate("undoBulkAction", {"bulkActionId": second["bulkAction"]["id"]}, UNDO)
    assert [e["code"] for e in late["userErrors"]] == ["BULK_UNDO_EXPIRED"]
    assert all(t for t in (fetch(api, c["id"])["tags"] for c in second["customers"]))


@pytest.mark.parametrize("matching", [3, 6], ids=["inline", "job"])
def test_a_restricted_worker_touches_only_what_they_see_and_may_edit(api, matching):
    agent_id = create_worker(api, "Sam Agent")
    agent = as_worker(api, agent_id)
    theirs = customers_in(api, "Berlin", matching)
    others = customers_in(api, "Berlin", 4)
    api.ok("bulkAssignWorkers", {"customerIds": theirs, "workerIds": [agent_id]})
    tag = make_tag(api)

    payload = bulk_run(agent, "bulkAddCustomerTags", {"where": city("Berlin"), "tagIds": [tag]})
    assert finished(agent, payload)["count"] == matching
    assert all(fetch(api, c)["tags"] for c in theirs)
    assert not any(fetch(api, c)["tags"] for c in others)


def test_tenants_are_apart(api, other_api):
    mine = customers_in(api, "Berlin", 5)
    theirs = customers_in(other_api, "Berlin", 5)
    tag = make_tag(api)
    payload = bulk_run(api, "bulkAddCustomerTags", {"where": city("Berlin"), "tagIds": [tag]})
    action = finished(api, payload)
    assert action["count"] == len(mine)
    assert not any(fetch(other_api, c)["tags"] for c in theirs)
    assert other_api.query(ACTION, id=action["id"])["bulkAction"] is None
    assert other_api.query("{ bulkActions { totalCount } }")["bulkActions"]["totalCount"] == 0
    refused = other_api.mutate("undoBulkAction", {"bulkActionId": action["id"]}, UNDO)
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    listed = api.query("{ bulkActions(first: 5) { nodes { id action state } } }")
    assert listed["bulkActions"]["nodes"] == [
        {"id": action["id"], "action": "add_customer_tags", "state": "DONE"}
    ]


def test_bulk_update_sets_standard_and_custom_fields_and_undo_restores_them(api):
    ok(
        api,
        "createCustomFieldDefinition",
        {"key": "tier", "label": "Tier", "type": "TEXT"},
        "definition { id }",
    )
    a = make_customer(api, "A", city="Berlin", company="Old Co")["id"]
    b = make_customer(api, "B", city="Berlin")["id"]
    ok(api, "updateCustomer", {"id": a, "billingAddress": {"line1": "1 Old Rd", "country": "DE"}})
    before = {cid: (fetch(api, cid), standard(api, cid)) for cid in (a, b)}
    fields = {
        "company": "ACME",
        "industry": "Retail",
        "dateOfBirth": "1990-05-17",
        "followUpAt": "2030-01-02T03:04:05Z",
        "billingAddress": {"line1": "9 New St", "country": "FR"},
        "customFields": [{"key": "tier", "text": "gold"}],
    }
    payload = bulk_run(api, "bulkUpdateCustomers", {"customerIds": [a, b], "fields": fields})
    assert payload["bulkAction"]["count"] == 2
    for cid in (a, b):
        found = fetch(api, cid)
        assert found["company"] == "ACME"
        assert standard(api, cid) == {
            "industry": "Retail",
            "dateOfBirth": "1990-05-17",
            "billingAddress": {"line1": "9 New St", "country": "FR"},
        }
        assert [(v["definition"]["key"], v["text"]) for v in found["customFields"]] == [
            ("tier", "gold")
        ]
    undo(api, payload["bulkAction"]["id"])
    for cid, (old, old_standard) in before.items():
        assert still(fetch(api, cid)) == still(old)
        assert standard(api, cid) == old_standard
    assert standard(api, a)["billingAddress"] == {"line1": "1 Old Rd", "country": "DE"}


def standard(api: Api, customer_id: str) -> dict:
    query = """query($id: ID!) { customer(id: $id) { industry dateOfBirth
      billingAddress { line1 country } } }"""
    return api.query(query, id=customer_id)["customer"]


@pytest.mark.parametrize("matching", [2, 5], ids=["inline", "job"])
def test_search_targets_what_the_list_search_finds(api, matching):
    found = [make_customer(api, f"Zebulon {i}")["id"] for i in range(matching)]
    other = make_customer(api, "Ada")["id"]
    tag = make_tag(api)
    payload = bulk_run(api, "bulkAddCustomerTags", {"search": "zebul", "tagIds": [tag]})
    assert finished(api, payload)["count"] == matching
    assert all(fetch(api, c)["tags"] for c in found)
    assert fetch(api, other)["tags"] == []


def test_a_cancelled_job_leaves_an_undoable_part(api, monkeypatch):
    applied = bulk.apply_to

    async def slowly(*args, **kwargs):
        result = await applied(*args, **kwargs)
        await asyncio.sleep(0.2)
        return result

    monkeypatch.setattr(bulk, "apply_to", slowly)
    ids = customers_in(api, "Berlin", 40)
    tag = make_tag(api)
    payload = bulk_run(api, "bulkAddCustomerTags", {"where": city("Berlin"), "tagIds": [tag]})
    job_id = payload["job"]["id"]
    deadline = time.monotonic() + 20
    while api.query(JOB, id=job_id)["job"]["progress"]["done"] < 2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    api.ok("cancelJob", {"id": job_id})
    assert wait_job(api, job_id)["status"] == "CANCELLED"
    action = api.query(ACTION, id=payload["bulkAction"]["id"])["bulkAction"]
    assert action["state"] == "FAILED" and 2 <= action["count"] < len(ids)
    tagged = [c for c in ids if fetch(api, c)["tags"]]
    assert len(tagged) == action["count"]

    done = undo(api, action["id"])
    assert (done["state"], done["undone"], done["skipped"]) == ("UNDONE", action["count"], 0)
    assert not any(fetch(api, c)["tags"] for c in ids)


ARCHIVED = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { id archivedAt } } }"


def archived(api: Api, ids: list[str]) -> set[str]:
    return {n["id"] for n in api.query(ARCHIVED, ids=ids)["nodes"] if n["archivedAt"]}


def test_bulk_archive_and_restore_by_filter_undo_exactly(api):
    """Archive by filter runs as a job above the threshold; its undo restores exactly what
    it archived (one archived before stays archived); restoring by filter needs `where` to
    name `archived`, since the list leaves archived customers out otherwise."""
    berlin = customers_in(api, "Berlin", 5)
    paris = customers_in(api, "Paris", 1)
    api.ok("archiveCustomer", {"customerId": berlin[0]})
    action = finished(api, bulk_run(api, "bulkArchiveCustomers", {"where": city("Berlin")}))
    assert (action["state"], action["count"]) == ("DONE", 4)
    assert archived(api, berlin + paris) == set(berlin)

    done = undo(api, action["id"])
    assert (done["state"], done["undone"], done["skipped"]) == ("UNDONE", 4, 0)
    assert archived(api, berlin + paris) == {berlin[0]}

    none = bulk_run(api, "bulkRestoreCustomers", {"where": city("Berlin")})
    assert finished(api, none)["count"] == 0
    both = {"and": [city("Berlin"), {"field": "archived", "op": "EQ", "value": True}]}
    back = finished(api, bulk_run(api, "bulkRestoreCustomers", {"where": both}))
    assert back["count"] == 1 and archived(api, berlin) == set()


SEGMENT_MEMBERS = """query($id: ID!) { node(id: $id) { ... on Segment {
  customers(first: 50) { nodes { id } } } } }"""


def members(api: Api, segment: str) -> set[str]:
    return {n["id"] for n in api.query(SEGMENT_MEMBERS, id=segment)["node"]["customers"]["nodes"]}


def test_a_static_segment_is_a_bulk_target_by_filter_and_its_undo_is_exact(api):
    """Members added by filter as a job (more than the threshold, beyond
    `addCustomersToSegment`'s inline limit); the undo takes out only those it added."""
    made = api.ok("createSegment", {"name": "Berliners", "kind": "STATIC"}, "segment { id }")
    segment = made["segment"]["id"]
    berlin = customers_in(api, "Berlin", 5)
    api.ok("addCustomersToSegment", {"segmentId": segment, "customerIds": berlin[:1]})
    input = {"where": city("Berlin"), "segmentId": segment}
    action = finished(api, bulk_run(api, "bulkAddCustomersToSegment", input))
    assert (action["state"], action["count"]) == ("DONE", 4)
    assert members(api, segment) == set(berlin)

    done = undo(api, action["id"])
    assert (done["undone"], done["skipped"]) == (4, 0)
    assert members(api, segment) == {berlin[0]}
    removed = finished(api, bulk_run(api, "bulkRemoveCustomersFromSegment", input))
    assert removed["count"] == 1 and members(api, segment) == set()
