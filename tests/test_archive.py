"""Archive and restore, and erasure, through the API on both databases: an archived customer
leaves the list, search, counts, folder counts and sub-customer lists, is still found by
id, refuses every other write (core's and a module's) with CUSTOMER_ARCHIVED, and comes back
whole when restored. `deleteCustomer` needs `customers.erase` and takes the customer's
module rows at once and its files through a job. The counters under archive and restore are
in tests/test_customer_counts.py's random writes; the list's plans in tests/test_pages.py."""

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from starlette.testclient import TestClient

from core.access import principal_for
from core.customer_queries import CustomerFilter, list_customers
from core.database import RequestConnection
from core.models import StoredFile
from core.pagination import PageRequest
from server import create_app
from tests.fixtures import run
from tests.support import (
    Api,
    as_worker,
    count_statements,
    create_customer,
    create_worker,
    gid,
    pk_of,
)
from tests.test_pages import Explaining
from tests.test_subscriptions import LIST as LIST_CHANGES
from tests.test_subscriptions import next_payload, socket, subscribe
from tests.uploads import PNG, upload, uploaded

ARCHIVED = "customer { id archivedAt archivedBy { id } }"
LIST = """query($filter: CustomerFilter, $archived: ArchivedCustomers, $where: CustomerWhere) {
  customers(first: 50, filter: $filter, archived: $archived, where: $where) {
    totalCount edges { node { id } } } }"""


def listed(api: Api, **variables) -> tuple[list[str], int]:
    found = api.query(LIST, **variables)["customers"]
    return [e["node"]["id"] for e in found["edges"]], found["totalCount"]


def folder_and_tag(api: Api) -> tuple[str, str]:
    folder = api.ok("createFolder", {"name": "Leads", "color": "#000000"}, "folder { id }")
    tag = api.ok("createTag", {"name": "VIP", "color": "#000000"}, "tag { id }")
    return folder["folder"]["id"], tag["tag"]["id"]


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def test_an_archived_customer_leaves_lists_and_counts_until_restored(api):
    folder, tag = folder_and_tag(api)
    ada = create_customer(api, "Ada Archived", folders=[{"folderId": folder}], tagIds=[tag])
    bob = create_customer(api, "Bob Live", folders=[{"folderId": folder}])
    archived = api.ok("archiveCustomer", {"customerId": ada}, ARCHIVED)["customer"]
    assert archived["id"] == ada and archived["archivedAt"]
    assert archived["archivedBy"]["id"] == gid("Worker", api.worker_id)

    assert listed(api) == ([bob], 1)
    assert listed(api, filter={"search": "Ada"}) == ([], 0)
    assert listed(api, filter={"folderIds": [folder]}) == ([bob], 1)
    assert listed(api, filter={"tags": {"ids": [tag]}}) == ([], 0)
    folders = api.query("{ folders { id customerCount } }")["folders"]
    assert {f["id"]: f["customerCount"] for f in folders}[folder] == 1
    # asked for: alone, or with the others, by the argument or by the filter language
    assert listed(api, archived="ONLY") == ([ada], 1)
    assert sorted(listed(api, archived="INCLUDE")[0]) == sorted([ada, bob])
    assert listed(api, archived="INCLUDE")[1] == 2
    assert listed(api, where={"field": "archived", "op": "EQ", "value": True}) == ([ada], 1)
    assert listed(api, where={"field": "archivedAt", "op": "IS_EMPTY"}) == ([bob], 1)
    # still found by id, so it can be restored
    found = api.query("query($id: ID!) { customer(id: $id) { archivedAt } }", id=ada)
    assert found["customer"]["archivedAt"] == archived["archivedAt"]

    again = api.ok("archiveCustomer", {"customerId": ada}, ARCHIVED)["customer"]
    assert again["archivedAt"] == archived["archivedAt"]  # idempotent
    restored = api.ok("restoreCustomer", {"customerId": ada}, ARCHIVED)["customer"]
    assert restored["archivedAt"] is None and restored["archivedBy"] is None
    assert sorted(listed(api)[0]) == sorted([ada, bob])
    assert listed(api, filter={"tags": {"ids": [tag]}}) == ([ada], 1)
    folders = api.query("{ folders { id customerCount } }")["folders"]
    assert {f["id"]: f["customerCount"] for f in folders}[folder] == 2

    timeline = api.query(
        "query($id: ID!) { customer(id: $id) { timeline(first: 20) "
        "{ nodes { action summary } } } }",
        id=ada,
    )["customer"]["timeline"]["nodes"]
    actions = [n["action"] for n in timeline]
    assert actions.count("customer.archived") == 1 and actions.count("customer.restored") == 1
    assert any(n["summary"].endswith("archived the customer") for n in timeline)


def test_writes_on_an_archived_customer_are_refused_core_and_module_alike(api):
    api.enable("notebook")
    ada, bob = create_customer(api, "Ada"), create_customer(api, "Bob")
    note = api.ok("addNote", {"customerId": ada, "body": "Before"}, "note { id }")["note"]["id"]
    api.ok("archiveCustomer", {"customerId": ada})

    updated = api.mutate("updateCustomer", {"id": ada, "city": "Paris"})
    assert codes(updated) == ["CUSTOMER_ARCHIVED"]
    tag = api.ok("createTag", {"name": "T", "color": "#000000"}, "tag { id }")["tag"]["id"]
    bulk = api.mutate("bulkAddCustomerTags", {"customerIds": [bob, ada], "tagIds": [tag]})
    assert bulk["userErrors"][0]["code"] == "CUSTOMER_ARCHIVED"
    assert bulk["userErrors"][0]["field"] == ["input", "customerIds", "1"]
    assert listed(api, filter={"tags": {"ids": [tag]}}) == ([], 0)  # all or none: Bob untagged
    assert codes(api.mutate("addNote", {"customerId": ada, "body": "No"}, "note { id }")) == [
        "CUSTOMER_ARCHIVED"
    ]
    assert codes(api.mutate("updateNote", {"id": note, "body": "Changed"}, "note { id }")) == [
        "CUSTOMER_ARCHIVED"
    ]
    sub = api.mutate("createSubCustomer", {"parentId": ada, "name": "Child"}, "customer { id }")
    assert codes(sub) == ["CUSTOMER_ARCHIVED"]
    assert codes(api.mutate("linkSubCustomer", {"id": bob, "parentId": ada})) == [
        "CUSTOMER_ARCHIVED"
    ]
    refused = upload(api, customer_id=ada).json()["data"]["uploadFile"]
    assert codes(refused) == ["CUSTOMER_ARCHIVED"]

    api.ok("restoreCustomer", {"customerId": ada})  # everything comes back, module rows too
    body = api.ok("updateNote", {"id": note, "body": "After"}, "note { body }")["note"]["body"]
    assert body == "After"
    api.ok("updateCustomer", {"id": ada, "city": "Paris"})


def test_archived_sub_customers_leave_their_parents_lists(api):
    parent = create_customer(api, "Parent")
    kept = create_customer(api, "Kept", parentId=parent)
    gone = create_customer(api, "Gone", parentId=parent)
    api.ok("archiveCustomer", {"customerId": gone})
    query = """query($id: ID!) { customer(id: $id) { subCustomerCount
      subCustomers(first: 10) { totalCount nodes { id } } } }"""
    found = api.query(query, id=parent)["customer"]
    assert found["subCustomerCount"] == 1
    assert found["subCustomers"]["totalCount"] == 1
    assert [n["id"] for n in found["subCustomers"]["nodes"]] == [kept]


def test_bulk_archive_and_restore_are_all_or_none(api, other_api):
    ids = [create_customer(api, f"C{i}") for i in range(3)]
    foreign = create_customer(other_api, "Foreign")
    refused = api.mutate("bulkArchiveCustomers", {"customerIds": [*ids, foreign]})
    assert codes(refused) == ["NOT_FOUND"]
    assert refused["userErrors"][0]["field"] == ["input", "customerIds", "3"]
    assert listed(api)[1] == 3
    too_many = api.mutate("bulkArchiveCustomers", {"customerIds": ids * 200})
    assert codes(too_many) == ["TOO_MANY"]

    done = api.ok("bulkArchiveCustomers", {"customerIds": ids}, "customers { id archivedAt }")
    assert [c["id"] for c in done["customers"]] == ids
    assert all(c["archivedAt"] for c in done["customers"])
    assert listed(api) == ([], 0)
    assert listed(other_api)[1] == 1  # the other tenant's list is untouched
    back = api.ok("bulkRestoreCustomers", {"customerIds": ids[:2]}, "customers { archivedAt }")
    assert [c["archivedAt"] for c in back["customers"]] == [None, None]
    assert listed(api)[1] == 2 and listed(api, archived="ONLY") == ([ids[2]], 1)


def test_archiving_needs_customers_delete_and_an_editable_customer(api):
    agent = as_worker(api, create_worker(api, "Agnes Agent"))
    mine = create_customer(agent, "Assigned to Agnes")
    payload = agent.post(
        "mutation($i: ArchiveCustomerInput!) "
        "{ archiveCustomer(input: $i) { userErrors { code } } }",
        {"i": {"customerId": mine}},
    ).json()
    assert payload["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    can = "query($id: ID!) { customer(id: $id) { viewerCan { archive delete } } }"
    assert agent.query(can, id=mine)["customer"]["viewerCan"] == {
        "archive": False,
        "delete": False,
    }
    assert api.query(can, id=mine)["customer"]["viewerCan"] == {"archive": True, "delete": True}
    assert listed(api)[1] == 1


def test_a_restricted_workers_count_leaves_out_their_archived_customers(api):
    agent = as_worker(api, create_worker(api, "Agnes Agent"))
    ids = [create_customer(agent, f"A{i}") for i in range(3)]
    create_customer(api, "Not hers")
    api.ok("archiveCustomer", {"customerId": ids[0]})
    assert sorted(listed(agent)[0]) == sorted(ids[1:])
    assert listed(agent)[1] == 2
    assert listed(agent, archived="ONLY") == ([ids[0]], 1)


def wait_for_removal_job(api: Api, within: float = 15.0) -> dict:
    query = "{ jobs(first: 10) { nodes { kind status result } } }"
    deadline = time.monotonic() + within
    while True:
        jobs = [
            j
            for j in api.query(query)["jobs"]["nodes"]
            if j["kind"] == "core.remove_customer_files"
        ]
        if jobs and jobs[0]["status"] in ("SUCCEEDED", "FAILED"):
            return jobs[0]
        assert time.monotonic() < deadline, jobs
        time.sleep(0.05)


def test_erasing_needs_its_own_permission_and_takes_module_rows_and_files(api):
    api.enable("notebook")
    ada, bob = create_customer(api, "Ada"), create_customer(api, "Bob")
    api.ok("addNote", {"customerId": ada, "body": "Personal data"})
    file = uploaded(api, customer_id=ada)
    kept = uploaded(api, customer_id=bob)
    api.ok("archiveCustomer", {"customerId": ada})  # an archived customer may be erased

    manager = as_worker(api, create_worker(api, "Max Manager", "MANAGER"))
    refused = manager.post(
        "mutation($i: DeleteCustomerInput!) { deleteCustomer(input: $i) { deletedId } }",
        {"i": {"id": ada}},
    ).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    managed = create_customer(manager, "Managed")
    manager.ok("archiveCustomer", {"customerId": managed})  # managers archive, never erase
    manager.ok("restoreCustomer", {"customerId": managed})

    api.ok("deleteCustomer", {"id": ada}, "deletedId")
    job = wait_for_removal_job(api)
    assert job["status"] == "SUCCEEDED" and job["result"] == {"removed": 1}, job
    stored = file_rows(api)
    assert [r["id"] for r in stored] == [pk_of(kept["id"])]
    folder = Path(api.client.app.state.settings.storage_dir) / str(api.tenant_id)
    objects = [p.name for p in folder.rglob("*") if p.is_file()]
    assert objects == [Path(stored[0]["key"]).name]  # the erased customer's object is gone
    assert api.client.get(kept["downloadUrl"]).content == PNG
    assert api.client.get(file["downloadUrl"]).status_code == 404
    notes = "query($id: ID!) { customer(id: $id) { id } }"
    assert api.query(notes, id=ada) == {"customer": None}
    assert note_rows(api, pk_of(ada)) == 0


def file_rows(api: Api) -> list[dict]:
    async def work():
        async with api.client.app.state.db.transaction() as session:
            found = await session.execute(
                select(StoredFile.__table__).where(StoredFile.tenant_id == api.tenant_id)
            )
            return [dict(r) for r in found.mappings()]

    return run(api.client, work)


def note_rows(api: Api, customer_id: int) -> int:
    from plugins.notebook.models import Note

    async def work():
        async with api.client.app.state.db.transaction() as session:
            found = await session.scalars(select(Note.id).where(Note.customer_id == customer_id))
            return len(list(found))

    return run(api.client, work)


def test_the_live_list_walks_its_index_and_the_archive_its_own(api, client, engine):
    """PostgreSQL, analysed, with a tenant big enough for the planner and sequential scans
    priced out: a deep page of the live list walks the order's index from the cursor (the
    archive a filter on the walk), and `archived: ONLY` reads the archived rows' index."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner")
    gone = [create_customer(api, f"Gone {i}") for i in range(3)]
    api.ok("bulkArchiveCustomers", {"customerIds": gone})

    async def grow():
        async with client.app.state.db.transaction() as session:  # as the owner: analyses
            await session.execute(
                text(
                    "INSERT INTO customers (tenant_id, kind, name, sort_name, search_text, "
                    "phones, emails, custom_fields, blocked, version, created_at, updated_at) "
                    "SELECT :tenant, 'LEAD', 'Filler ' || n, 'filler ' || n, 'filler ' || n, "
                    "'[]', '[]', '{}', false, 1, now(), now() FROM generate_series(1, 5000) n"
                ),
                {"tenant": api.tenant_id},
            )
            await session.execute(text("ANALYZE customers"))

    run(client, grow)
    cursor = api.query("{ customers(first: 100) { pageInfo { endCursor } } }")["customers"]
    deep = PageRequest(first=20, after=cursor["pageInfo"]["endCursor"])
    [live] = plans(api, None, deep)
    assert "ix_customers_tenant_id_created_at_id" in live and "Sort" not in live, live
    assert "ROW(created_at, id) <" in live and "(archived_at IS NULL)" in live, live
    [archived] = plans(api, CustomerFilter(archived="ONLY"), PageRequest(first=20))
    assert "ix_customers_archived" in archived, archived
    assert listed(api, archived="ONLY")[1] == 3


def plans(actor: Api, f, request: PageRequest) -> list[str]:
    async def work():
        reader = RequestConnection(actor.client.app.state.db, actor.tenant_id)
        try:
            async with reader() as conn:
                await conn.execute(text("SET LOCAL enable_seqscan = off"))
                principal = await principal_for(conn, actor.tenant_id, actor.worker_id)
                explaining = Explaining(conn)
                await list_customers(explaining, principal, f, request, "CREATED_AT", True)
                return explaining.plans
        finally:
            await reader.close()

    return run(actor.client, work)


def test_the_periodic_sweep_removes_what_a_crash_left(api, settings):
    """A process sweeps at start-up and every `FILES_SWEEP_SECONDS` (the shared test app
    never does): an upload a crash left pending is gone, object and row, without a call."""
    ada = create_customer(api, "Ada")
    file = uploaded(api, customer_id=ada)
    [row] = file_rows(api)

    async def crash():  # as if the commit never came, two hours ago
        async with api.client.app.state.db.transaction() as session:
            await session.execute(
                update(StoredFile)
                .where(StoredFile.id == row["id"])
                .values(state="pending", created_at=row["created_at"] - timedelta(hours=2))
            )

    run(api.client, crash)
    sweeping = settings.model_copy(update={"files_sweep_seconds": 0.05})
    with TestClient(create_app(sweeping)):
        deadline = time.monotonic() + 10
        while file_rows(api) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert file_rows(api) == []
    folder = Path(settings.storage_dir) / str(api.tenant_id)
    assert [p for p in folder.rglob("*") if p.is_file()] == []
    assert api.client.get(file["downloadUrl"]).status_code == 404


def test_the_live_list_hears_an_archive_as_a_removal_and_a_restore_as_a_creation(api):
    ada = create_customer(api, "Ada")
    with socket(api) as ws:
        subscribe(ws, LIST_CHANGES)
        api.ok("archiveCustomer", {"customerId": ada})
        archived = next_payload(ws)["data"]["customerListChanged"]
        api.ok("restoreCustomer", {"customerId": ada})
        restored = next_payload(ws)["data"]["customerListChanged"]
    assert (archived["customerId"], archived["kind"]) == (ada, "REMOVED")
    assert (restored["customerId"], restored["kind"]) == (ada, "CREATED")


def test_archived_by_on_a_page_costs_what_it_costs_for_five(api, engine):
    ids = [create_customer(api, f"C{i}") for i in range(20)]
    api.ok("bulkArchiveCustomers", {"customerIds": ids})
    page = """query($n: Int!) { customers(first: $n, archived: ONLY) {
      nodes { archivedAt archivedBy { name } } } }"""
    counts = {}
    for n in (5, 20):
        with count_statements(engine) as counter:
            nodes = api.query(page, n=n)["customers"]["nodes"]
        assert len(nodes) == n and all(node["archivedBy"]["name"] for node in nodes)
        counts[n] = counter.count
    assert counts[5] == counts[20]
