"""Merge preview, the merge record and undoing a merge."""

from datetime import timedelta

from sqlalchemy import update

from core.models import CustomerMerge, utcnow
from tests.fixtures import run
from tests.support import Api, as_worker, create_customer, create_worker, pk_of

LINE = {"description": "Visit", "unitPrice": {"amount": 5000, "currency": "EUR"}}
PROFILE = """query($id: ID!) { customer(id: $id) {
  id name city company version emails { value primary } phones { value }
  tags { name } workers { name } folders { folder { name } } subCustomerCount
  contacts { name primary } billingAddress { line1 } shippingAddress { line1 }
  tickets { all { nodes { subject } } }
  payments { invoices { totalCount } }
} }"""
PREVIEW = """query($s: ID!, $t: ID!) { mergePreview(sourceId: $s, targetId: $t) {
  source { id } target { id } fields { field targetValue mergedValue }
  foldersGained { name } tagsGained { name } workersGained { name } subCustomers
  rows { module table count } } }"""
MERGE = "customer { id } merge { id undoableUntil sourceId targetId rowsMoved }"
UNDO = "merge { id undoneAt } source { id name } target { id } keptFields"
MERGES = """query($id: ID!) { customerMerges(customerId: $id) {
  id sourceId targetId sourceName undoneAt rowsMoved } }"""
TOTAL = "{ customers { totalCount } }"


def profile(api: Api, customer_id: str) -> dict | None:
    return api.query(PROFILE, id=customer_id)["customer"]


def two_records(api: Api) -> tuple[str, str, str]:
    api.enable("tickets", "payments")
    vip = api.ok("createTag", {"name": "VIP", "color": "#ff0000"}, "tag { id }")["tag"]["id"]
    new = api.ok("createTag", {"name": "New", "color": "#00ff00"}, "tag { id }")["tag"]["id"]
    folder = api.ok("createFolder", {"name": "Sales", "color": "#0000ff"}, "folder { id }")
    agent = create_worker(api, "Agnes Agent")
    source = create_customer(
        api,
        "Ada L.",
        kind="CUSTOMER",
        company="Analytical Engines",
        city="London",
        emails=[{"value": "ada@old.example"}],
        tagIds=[vip, new],
        workerIds=[agent],
        folders=[{"folderId": folder["folder"]["id"]}],
        billingAddress={"line1": "1 Old St", "country": "GB"},
        shippingAddress={"line1": "2 Ship St", "country": "GB"},
    )
    target = create_customer(
        api,
        "Ada Lovelace",
        city="Marylebone",
        emails=[{"value": "ada@new.example"}],
        tagIds=[vip],
        billingAddress={"line1": "9 New St", "country": "GB"},
    )
    for name, primary in (("Charles", True), ("Mary", False)):
        api.ok("addContact", {"customerId": source, "name": name, "primary": primary})
    api.ok("addContact", {"customerId": target, "name": "Tim", "primary": True})
    create_customer(api, "Byron Jr", parentId=source)
    for subject in ("Printer on fire", "Engine jammed"):
        api.ok("openTicket", {"customerId": source, "subject": subject}, "ticket { id }")
    api.ok("createInvoice", {"customerId": source, "lines": [LINE]}, "invoice { id }")
    api.ok("openTicket", {"customerId": target, "subject": "Target's own"}, "ticket { id }")
    return source, target, agent


def test_preview_says_what_the_merge_moves_and_writes_nothing(api):
    source, target, _ = two_records(api)
    before = profile(api, source)
    found = api.query(PREVIEW, s=source, t=target)["mergePreview"]
    assert (found["source"]["id"], found["target"]["id"]) == (source, target)
    fields = {f["field"]: (f["targetValue"], f["mergedValue"]) for f in found["fields"]}
    assert fields["company"] == (None, "Analytical Engines")
    assert fields["kind"] == ("LEAD", "CUSTOMER")
    assert "city" not in fields  # the target keeps its own
    assert [e["value"] for e in fields["emails"][1]] == ["ada@new.example", "ada@old.example"]
    assert [t["name"] for t in found["tagsGained"]] == ["New"]
    assert [f["name"] for f in found["foldersGained"]] == ["Sales"]
    assert [w["name"] for w in found["workersGained"]] == ["Agnes Agent"]
    assert found["subCustomers"] == 1
    rows = {(r["module"], r["table"]): r["count"] for r in found["rows"]}
    assert rows[("tickets", "tickets")] == 2
    assert rows[("payments", "invoices")] == 1
    assert rows[(None, "customer_contacts")] == 2
    assert rows[(None, "customer_addresses")] == 1  # the target has a billing address
    assert profile(api, source) == before

    merged = api.ok("mergeCustomers", {"sourceId": source, "targetId": target}, MERGE)
    moved = sum(n for (module, table), n in rows.items())
    assert merged["merge"]["rowsMoved"] == moved
    assert merged["merge"]["sourceId"] == source


def test_undo_restores_the_source_its_rows_and_the_target(api):
    source, target, _ = two_records(api)
    source_before, target_before = profile(api, source), profile(api, target)
    total = api.query(TOTAL)["customers"]["totalCount"]
    merge = api.ok("mergeCustomers", {"sourceId": source, "targetId": target}, MERGE)["merge"]
    assert api.query(TOTAL)["customers"]["totalCount"] == total - 1
    merged = profile(api, target)
    assert len(merged["tickets"]["all"]["nodes"]) == 3
    assert merged["company"] == "Analytical Engines"

    undone = api.ok("undoMerge", {"mergeId": merge["id"]}, UNDO)
    assert undone["source"] == {"id": source, "name": "Ada L."}
    assert undone["keptFields"] == []
    assert undone["merge"]["undoneAt"]
    assert api.query(TOTAL)["customers"]["totalCount"] == total
    source_after, target_after = profile(api, source), profile(api, target)
    for key in ("version",):
        source_before.pop(key), source_after.pop(key), target_before.pop(key), target_after.pop(key)
    sort = lambda p: {**p, "tickets": sorted(n["subject"] for n in p["tickets"]["all"]["nodes"])}  # noqa: E731
    assert sort(source_after) == sort(source_before)
    assert sort(target_after) == sort(target_before)
    history = api.query(MERGES, id=target)["customerMerges"]
    assert [(m["id"], m["sourceName"], bool(m["undoneAt"])) for m in history] == [
        (merge["id"], "Ada L.", True)
    ]
    again = api.mutate("undoMerge", {"mergeId": merge["id"]})
    assert [e["code"] for e in again["userErrors"]] == ["MERGE_ALREADY_UNDONE"]


def test_undo_keeps_what_the_target_changed_since(api):
    api.enable("tickets", "payments")
    source = create_customer(api, "Old", company="Old Co", emails=[{"value": "o@example.com"}])
    target = create_customer(api, "New")
    merge = api.ok("mergeCustomers", {"sourceId": source, "targetId": target}, MERGE)["merge"]
    api.ok("updateCustomer", {"id": target, "company": "Newer Co"})
    undone = api.ok("undoMerge", {"mergeId": merge["id"]}, UNDO)
    assert undone["keptFields"] == ["company"]
    after = profile(api, target)
    assert after["company"] == "Newer Co"
    assert after["emails"] == []
    assert profile(api, source)["emails"] == [{"value": "o@example.com", "primary": True}]


def test_an_old_merge_cannot_be_undone(api):
    api.enable("tickets", "payments")
    source, target = create_customer(api, "A"), create_customer(api, "B")
    merge = api.ok("mergeCustomers", {"sourceId": source, "targetId": target}, MERGE)["merge"]

    async def age():
        async with api.client.app.state.db.transaction(api.tenant_id) as session:
            await session.execute(
                update(CustomerMerge)
                .where(CustomerMerge.id == pk_of(merge["id"]))
                .values(undoable_until=utcnow() - timedelta(seconds=1))
            )

    run(api.client, age)
    refused = api.mutate("undoMerge", {"mergeId": merge["id"]})
    assert [e["code"] for e in refused["userErrors"]] == ["MERGE_UNDO_EXPIRED"]
    assert profile(api, source) is None


def test_other_tenants_and_unseen_customers_are_not_found(api, other_api):
    source, target = create_customer(api, "A"), create_customer(api, "B")
    agent_id = create_worker(api, "Agnes Agent", "MANAGER")
    api.ok("assignWorkers", {"customerId": target, "workerIds": [agent_id]})
    manager = as_worker(api, agent_id)
    (error,) = manager.errors(PREVIEW, s=source, t=target)
    assert error["extensions"]["code"] == "NOT_FOUND"
    refused = manager.mutate("mergeCustomers", {"sourceId": source, "targetId": target})
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    (error,) = other_api.errors(PREVIEW, s=source, t=target)
    assert error["extensions"]["code"] == "NOT_FOUND"

    merge = api.ok("mergeCustomers", {"sourceId": source, "targetId": target}, MERGE)["merge"]
    foreign = other_api.mutate("undoMerge", {"mergeId": merge["id"]})
    assert [e["code"] for e in foreign["userErrors"]] == ["NOT_FOUND"]
    assert other_api.query(MERGES, id=target)["customerMerges"] is None
    assert api.query(TOTAL)["customers"]["totalCount"] == 1
