"""The checklists module through the HTTP API: templates (settings), lists from templates or
ad hoc, checking items with who and when, progress and completion, folders handing out
templates once, the tab and its badge, events on the timeline, visibility, tenancy,
permissions, merging, export, demo data, races and a statement count without N+1."""

import asyncio

import httpx2
import pytest
from sqlalchemy import select

from core import events
from core.models import Customer
from plugins.checklists import demo, service
from tests.fixtures import new_tenant, run
from tests.support import Api, as_worker, count_statements, create_worker, gid, pk_of
from tests.support import create_customer as customer

LIST = """id name createdAt completedAt progress { done total }
items { id text position checked checkedAt checkedBy { id } }
template { id name } createdBy { id } customer { id }"""
TEMPLATE = "id name items folders { id name } createdAt updatedAt"
TAB = """
query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    checklists {
      unfinishedCount
      all(first: $first, after: $after) {
        nodes { id name completedAt progress { done total } items { text checked } }
        pageInfo { hasNextPage endCursor }
        totalCount
      }
    }
  }
}"""
TEMPLATES = """query($first: Int, $after: String) { checklistTemplates(first: $first, after: $after)
{ nodes { name items } pageInfo { hasNextPage endCursor } totalCount } }"""
TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 50) {
  nodes { action data actor { id } } } } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"
TABS = "query($id: ID!) { customer(id: $id) { profileTabs { key badgeCount } } }"


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("checklists")
    return api


def folder(api: Api, name: str = "Onboarding") -> str:
    return api.ok("createFolder", {"name": name, "color": "#123456"}, "folder { id }")["folder"][
        "id"
    ]


def worker(api: Api, name: str, role: str = "AGENT") -> Api:
    return as_worker(api, create_worker(api, name, role))


def template(api: Api, name="Onboarding", items=("Call", "Contract", "Billing"), **more) -> dict:
    payload = api.ok(
        "createChecklistTemplate",
        {"name": name, "items": list(items), **more},
        f"template {{ {TEMPLATE} }}",
    )
    return payload["template"]


def add(api: Api, customer_id: str, **fields) -> dict:
    return api.mutate(
        "addChecklist", {"customerId": customer_id, **fields}, f"checklist {{ {LIST} }}"
    )


def added(api: Api, customer_id: str, **fields) -> dict:
    payload = add(api, customer_id, **fields)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["checklist"]


def check(api: Api, item_id: str, checked: bool = True) -> dict:
    name = "checkChecklistItem" if checked else "uncheckChecklistItem"
    return api.mutate(
        name,
        {"id": item_id},
        f"item {{ id checked checkedAt checkedBy {{ id }} }} checklist {{ {LIST} }}",
    )


def errors_of(payload: dict) -> list[tuple]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def tab(api: Api, customer_id: str, **variables) -> dict:
    return api.query(TAB, id=customer_id, **variables)["customer"]["checklists"]


def actions(api: Api, customer_id: str) -> list[tuple[str, dict]]:
    nodes = api.query(TIMELINE, id=customer_id)["customer"]["timeline"]["nodes"]
    return [
        (n["action"], n["data"]) for n in reversed(nodes) if n["action"].startswith("checklist")
    ]


# --- module switch ---------------------------------------------------------------------------


def test_a_disabled_module_is_named_and_disabling_keeps_the_lists(api):
    ada = customer(api)
    (error,) = api.errors(TAB, id=ada)
    assert error["extensions"]["code"] == "MODULE_DISABLED"
    api.enable("checklists")
    added(api, ada, name="Move", items=["Pack"])
    api.ok("disableModule", {"module": "checklists"}, "modules { name }")
    (error,) = api.errors("{ checklistTemplates { totalCount } }")
    assert error["extensions"]["code"] == "MODULE_DISABLED"
    api.enable("checklists")
    assert tab(api, ada)["unfinishedCount"] == 1


# --- templates -------------------------------------------------------------------------------


def test_templates_are_settings_listed_by_name(owner, other_api):
    sales = folder(owner, "Sales")
    made = template(owner, "  Onboarding ", ["  Call  ", "Contract"], folderIds=[sales])
    assert made["name"] == "Onboarding" and made["items"] == ["Call", "Contract"]
    assert made["folders"] == [{"id": sales, "name": "Sales"}]
    template(owner, "Annual review", ["Book"])
    template(owner, "Cancellation", ["Refund"])
    page = owner.query(TEMPLATES, first=2)["checklistTemplates"]
    assert [t["name"] for t in page["nodes"]] == ["Annual review", "Cancellation"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    rest = owner.query(TEMPLATES, first=2, after=page["pageInfo"]["endCursor"])
    assert [t["name"] for t in rest["checklistTemplates"]["nodes"]] == ["Onboarding"]
    fields = f"template {{ {TEMPLATE} }}"
    changed = owner.ok("updateChecklistTemplate", {"id": made["id"], "items": ["Only"]}, fields)
    assert changed["template"]["name"] == "Onboarding"
    assert changed["template"]["items"] == ["Only"]
    assert changed["template"]["folders"] == [{"id": sales, "name": "Sales"}]
    cleared = owner.ok("updateChecklistTemplate", {"id": made["id"], "folderIds": []}, fields)
    assert cleared["template"]["folders"] == []
    other_api.enable("checklists")
    assert other_api.query(TEMPLATES)["checklistTemplates"]["totalCount"] == 0
    assert other_api.query(NODE, id=made["id"]) == {"node": None}
    payload = other_api.mutate("updateChecklistTemplate", {"id": made["id"], "name": "Mine"})
    assert errors_of(payload) == [(["input", "id"], "NOT_FOUND")]
    payload = other_api.mutate("deleteChecklistTemplate", {"id": made["id"]}, "deletedId")
    assert errors_of(payload) == [(["input", "id"], "NOT_FOUND")]
    gone = owner.ok("deleteChecklistTemplate", {"id": made["id"]}, "deletedId")
    assert gone["deletedId"] == made["id"]
    assert owner.query(TEMPLATES)["checklistTemplates"]["totalCount"] == 2


def test_bad_templates_are_reported_whole_and_write_nothing(owner, other_api):
    foreign = folder(other_api, "Theirs")
    payload = owner.mutate(
        "createChecklistTemplate",
        {"name": " ", "items": ["ok", "  ", "x" * 501], "folderIds": [foreign, "nope"]},
        "template { id }",
    )
    assert payload["template"] is None
    assert errors_of(payload) == [
        (["input", "name"], "REQUIRED"),
        (["input", "items", "1"], "REQUIRED"),
        (["input", "items", "2"], "TOO_LONG"),
        (["input", "folderIds", "0"], "NOT_FOUND"),
        (["input", "folderIds", "1"], "NOT_FOUND"),
    ]
    payload = owner.mutate("createChecklistTemplate", {"name": "Empty", "items": []})
    assert errors_of(payload) == [(["input", "items"], "REQUIRED")]
    payload = owner.mutate("createChecklistTemplate", {"name": "Long", "items": ["i"] * 101})
    assert errors_of(payload) == [(["input", "items"], "TOO_MANY")]
    assert owner.query(TEMPLATES)["checklistTemplates"]["totalCount"] == 0


def test_agents_use_templates_but_only_staff_manage_them(owner):
    agent = worker(owner, "Sam Agent")
    manager = worker(owner, "Max Manager", "MANAGER")
    made = template(manager, "By the manager")
    create = (
        'mutation { createChecklistTemplate(input: {name: "X", items: ["a"]}) { template { id } } }'
    )
    (error,) = agent.errors(create)
    assert error["extensions"]["code"] == "FORBIDDEN" and "checklists.settings" in error["message"]
    for name, input in (
        ("updateChecklistTemplate", f'{{id: "{made["id"]}", name: "Y"}}'),
        ("deleteChecklistTemplate", f'{{id: "{made["id"]}"}}'),
    ):
        (error,) = agent.errors(
            f"mutation {{ {name}(input: {input}) {{ userErrors {{ code }} }} }}"
        )
        assert error["extensions"]["code"] == "FORBIDDEN"
    assert [t["name"] for t in agent.query(TEMPLATES)["checklistTemplates"]["nodes"]] == [
        "By the manager"
    ]
    ada = customer(owner, workerIds=[gid("Worker", agent.worker_id)])
    assert added(agent, ada, templateId=made["id"])["name"] == "By the manager"


# --- lists -----------------------------------------------------------------------------------


def test_a_list_copies_its_template_and_ad_hoc_lists_take_items(owner):
    ada = customer(owner)
    made = template(owner)
    first = added(owner, ada, templateId=made["id"])
    assert first["name"] == "Onboarding"
    assert [(i["text"], i["position"], i["checked"]) for i in first["items"]] == [
        ("Call", 1, False),
        ("Contract", 2, False),
        ("Billing", 3, False),
    ]
    assert first["progress"] == {"done": 0, "total": 3} and first["completedAt"] is None
    assert first["template"] == {"id": made["id"], "name": "Onboarding"}
    assert first["createdBy"] == {"id": gid("Worker", owner.worker_id)}
    assert first["customer"] == {"id": ada}
    renamed = added(owner, ada, templateId=made["id"], name="VIP onboarding")
    assert renamed["name"] == "VIP onboarding" and len(renamed["items"]) == 3
    owner.ok("updateChecklistTemplate", {"id": made["id"], "items": ["Changed"]})
    node = owner.query(
        "query($id: ID!) { node(id: $id) { ... on Checklist { items { text } } } }", id=first["id"]
    )
    assert [i["text"] for i in node["node"]["items"]] == ["Call", "Contract", "Billing"]
    ad_hoc = added(owner, ada, name=" Move ", items=["Pack", " Ship "])
    assert ad_hoc["name"] == "Move" and [i["text"] for i in ad_hoc["items"]] == ["Pack", "Ship"]
    assert ad_hoc["template"] is None
    owner.ok("deleteChecklistTemplate", {"id": made["id"]})
    node = owner.query(
        "query($id: ID!) { node(id: $id) { ... on Checklist { template { id } items { text } } } }",
        id=first["id"],
    )
    assert node["node"] == {
        "template": None,
        "items": [{"text": t} for t in ("Call", "Contract", "Billing")],
    }


def test_bad_lists_are_user_errors_and_write_nothing(owner, other_api):
    ada = customer(owner)
    other_api.enable("checklists")
    theirs = template(other_api, "Theirs")
    assert errors_of(add(owner, ada)) == [
        (["input", "name"], "REQUIRED"),
        (["input", "items"], "REQUIRED"),
    ]
    assert errors_of(add(owner, ada, templateId=theirs["id"])) == [
        (["input", "templateId"], "NOT_FOUND")
    ]
    mine = template(owner)
    assert errors_of(add(owner, ada, templateId=mine["id"], items=["x"])) == [
        (["input", "items"], "INVALID")
    ]
    foreign = customer(other_api, "Not yours")
    for customer_id in (foreign, "nope"):
        assert errors_of(add(owner, customer_id, name="x", items=["y"])) == [
            (["input", "customerId"], "NOT_FOUND")
        ]
    assert tab(owner, ada)["all"]["totalCount"] == 0


def test_checking_records_who_and_when_and_completes_the_list(owner):
    ada = customer(owner)
    sam = worker(owner, "Sam Agent")
    owner.ok("assignWorkers", {"customerId": ada, "workerIds": [gid("Worker", sam.worker_id)]})
    checklist = added(owner, ada, name="Move", items=["Pack", "Ship"])
    pack, ship = (i["id"] for i in checklist["items"])
    first = check(sam, pack)
    assert first["item"]["checked"] and first["item"]["checkedBy"] == {
        "id": gid("Worker", sam.worker_id)
    }
    assert first["checklist"]["progress"] == {"done": 1, "total": 2}
    again = check(owner, pack)
    assert again["userErrors"] == [] and again["item"] == first["item"]
    done = check(owner, ship)["checklist"]
    assert done["progress"] == {"done": 2, "total": 2} and done["completedAt"] is not None
    assert tab(owner, ada)["unfinishedCount"] == 0
    reopened = check(owner, pack, False)
    assert reopened["item"] == {"id": pack, "checked": False, "checkedAt": None, "checkedBy": None}
    assert reopened["checklist"]["completedAt"] is None
    assert check(owner, pack, False)["userErrors"] == []
    check(owner, pack)
    assert errors_of(check(owner, gid("ChecklistItem", 2**31 - 1))) == [
        (["input", "id"], "NOT_FOUND")
    ]
    seen = actions(owner, ada)
    assert [a for a, _ in seen] == [
        "checklist.added",
        "checklist.item_checked",
        "checklist.item_checked",
        "checklist.completed",
        "checklist.item_unchecked",
        "checklist.item_checked",
        "checklist.completed",
    ]
    assert all(d["checklistId"] == pk_of(checklist["id"]) for _, d in seen)
    assert seen[1][1]["itemId"] == pk_of(pack)


def test_items_added_removed_and_lists_renamed_and_deleted(owner):
    ada = customer(owner)
    checklist = added(owner, ada, name="Move", items=["Pack"])
    (pack,) = checklist["items"]
    check(owner, pack["id"])
    fields = f"item {{ id text position }} checklist {{ {LIST} }}"
    more = owner.ok("addChecklistItem", {"checklistId": checklist["id"], "text": " Ship "}, fields)
    assert more["item"]["text"] == "Ship" and more["item"]["position"] == 2
    assert more["checklist"]["progress"] == {"done": 1, "total": 2}
    assert more["checklist"]["completedAt"] is None
    payload = owner.mutate("addChecklistItem", {"checklistId": checklist["id"], "text": ""})
    assert errors_of(payload) == [(["input", "text"], "REQUIRED")]
    fewer = owner.ok("removeChecklistItem", {"id": more["item"]["id"]}, f"checklist {{ {LIST} }}")
    assert fewer["checklist"]["progress"] == {"done": 1, "total": 1}
    assert fewer["checklist"]["completedAt"] is not None
    payload = owner.mutate("removeChecklistItem", {"id": pack["id"]})
    assert errors_of(payload) == [(["input", "id"], "LAST_ITEM")]
    renamed = owner.ok(
        "renameChecklist", {"id": checklist["id"], "name": "Moving"}, "checklist { name }"
    )
    assert renamed["checklist"]["name"] == "Moving"
    payload = owner.mutate("renameChecklist", {"id": checklist["id"], "name": " "})
    assert errors_of(payload) == [(["input", "name"], "REQUIRED")]
    assert (
        owner.ok("deleteChecklist", {"id": checklist["id"]}, "deletedId")["deletedId"]
        == checklist["id"]
    )
    assert owner.query(NODE, id=checklist["id"]) == {"node": None}
    assert owner.query(NODE, id=pack["id"]) == {"node": None}
    assert tab(owner, ada)["all"]["totalCount"] == 0
    assert [a for a, _ in actions(owner, ada)] == [
        "checklist.added",
        "checklist.item_checked",
        "checklist.completed",
        "checklist.item_added",
        "checklist.item_removed",
        "checklist.completed",
        "checklist.renamed",
        "checklist.deleted",
    ]


def test_the_tab_lists_unfinished_first_then_newest_with_the_badge(owner):
    ada = customer(owner)
    made = {}
    for name in ("a", "b", "c", "d"):
        made[name] = added(owner, ada, name=name, items=["x"])
    check(owner, made["b"]["items"][0]["id"])
    check(owner, made["d"]["items"][0]["id"])
    names, after = [], None
    while True:
        page = tab(owner, ada, first=3, after=after)
        names += [n["name"] for n in page["all"]["nodes"]]
        assert page["all"]["totalCount"] == 4 and page["unfinishedCount"] == 2
        if not page["all"]["pageInfo"]["hasNextPage"]:
            break
        after = page["all"]["pageInfo"]["endCursor"]
    assert names == ["c", "a", "d", "b"]
    badges = {
        t["key"]: t["badgeCount"] for t in owner.query(TABS, id=ada)["customer"]["profileTabs"]
    }
    assert badges["checklists"] == 2
    (error,) = owner.errors(TAB, id=ada, after="garbage")
    assert error["extensions"]["problems"][0]["code"] == "INVALID_CURSOR"


# --- folders hand out templates --------------------------------------------------------------


def test_entering_a_folder_adds_its_templates_once(owner, client):
    onboarding = folder(owner, "Onboarding")
    vip = folder(owner, "VIP")
    intro = template(owner, "Intro", ["Call"], folderIds=[onboarding, vip])
    template(owner, "Welcome pack", ["Send"], folderIds=[vip])
    template(owner, "Unattached", ["Nothing"])
    ada = customer(owner, folders=[{"folderId": onboarding}])
    lists = tab(owner, ada)["all"]["nodes"]
    assert [n["name"] for n in lists] == ["Intro"]
    added_events = [d for a, d in actions(owner, ada) if a == "checklist.added"]
    assert added_events[0]["templateId"] == pk_of(intro["id"])
    assert added_events[0]["folderId"] == pk_of(onboarding)
    owner.ok("addCustomerToFolders", {"customerId": ada, "folders": [{"folderId": vip}]})
    assert sorted(n["name"] for n in tab(owner, ada)["all"]["nodes"]) == ["Intro", "Welcome pack"]
    owner.ok("removeCustomerFromFolders", {"customerId": ada, "folderIds": [onboarding, vip]})
    owner.ok("addCustomerToFolders", {"customerId": ada, "folders": [{"folderId": onboarding}]})
    assert tab(owner, ada)["all"]["totalCount"] == 2
    # A replayed event (at-least-once delivery) adds nothing either.
    event = events.Event(
        "customer.folder_changed", owner.tenant_id, pk_of(ada), {"added": [{"id": pk_of(vip)}]}
    )
    replay(client, event)
    replay(client, event)
    assert tab(owner, ada)["all"]["totalCount"] == 2
    # A list made by hand from a template counts; deleting the folder's list lets it come back.
    bob = customer(owner, "Bob")
    added(owner, bob, templateId=intro["id"])
    owner.ok("addCustomerToFolders", {"customerId": bob, "folders": [{"folderId": onboarding}]})
    assert tab(owner, bob)["all"]["totalCount"] == 1
    intro_list = next(n for n in tab(owner, ada)["all"]["nodes"] if n["name"] == "Intro")
    owner.ok("deleteChecklist", {"id": intro_list["id"]})
    owner.ok("removeCustomerFromFolders", {"customerId": ada, "folderIds": [onboarding]})
    owner.ok("addCustomerToFolders", {"customerId": ada, "folders": [{"folderId": onboarding}]})
    assert sorted(n["name"] for n in tab(owner, ada)["all"]["nodes"]) == ["Intro", "Welcome pack"]


def replay(client, event) -> None:
    async def work():
        app = client.app.state
        async with app.db.transaction(event.tenant_id) as session:
            events.bind(session, app.plugins, frozenset({"checklists"}))
            await service.customer_entered_folders(session, event)

    run(client, work)


def test_two_folders_with_one_template_at_once_add_it_once(owner):
    a, b = folder(owner, "A"), folder(owner, "B")
    template(owner, "Shared", ["x"], folderIds=[a, b])
    ada = customer(owner, folders=[{"folderId": a}, {"folderId": b}])
    assert [n["name"] for n in tab(owner, ada)["all"]["nodes"]] == ["Shared"]
    bob = customer(owner, "Bob")
    owner.ok(
        "addCustomerToFolders", {"customerId": bob, "folders": [{"folderId": a}, {"folderId": b}]}
    )
    assert tab(owner, bob)["all"]["totalCount"] == 1


def test_a_disabled_module_hands_out_nothing(api):
    api.enable("checklists")
    onboarding = folder(api)
    template(api, "Intro", ["Call"], folderIds=[onboarding])
    api.ok("disableModule", {"module": "checklists"}, "modules { name }")
    ada = customer(api, folders=[{"folderId": onboarding}])
    api.enable("checklists")
    assert tab(api, ada)["all"]["totalCount"] == 0


# --- access ------------------------------------------------------------------------------------


def test_agents_see_and_change_only_their_customers_lists(owner, other_api):
    sam = worker(owner, "Sam Agent")
    mine = customer(owner, "Sam's", workerIds=[gid("Worker", sam.worker_id)])
    hidden = customer(owner, "Not Sam's")
    shown = added(owner, mine, name="Visible", items=["a"])
    secret = added(owner, hidden, name="Secret", items=["b"])
    other_api.enable("checklists")
    assert sam.query(NODE, id=shown["id"]) == {"node": {"id": shown["id"]}}
    for node_id in (secret["id"], secret["items"][0]["id"]):
        assert sam.query(NODE, id=node_id) == {"node": None}
        assert other_api.query(NODE, id=node_id) == {"node": None}
    for api in (sam, other_api):
        assert errors_of(check(api, secret["items"][0]["id"])) == [(["input", "id"], "NOT_FOUND")]
        payload = api.mutate("renameChecklist", {"id": secret["id"], "name": "Mine"})
        assert errors_of(payload) == [(["input", "id"], "NOT_FOUND")]
        payload = api.mutate("deleteChecklist", {"id": secret["id"]}, "deletedId")
        assert errors_of(payload) == [(["input", "id"], "NOT_FOUND")]
        payload = api.mutate("addChecklistItem", {"checklistId": secret["id"], "text": "x"})
        assert errors_of(payload) == [(["input", "checklistId"], "NOT_FOUND")]
        assert errors_of(add(api, hidden, name="x", items=["y"])) == [
            (["input", "customerId"], "NOT_FOUND")
        ]
    assert errors_of(check(other_api, secret["items"][0]["id"])) == [(["input", "id"], "NOT_FOUND")]
    assert tab(owner, hidden)["all"]["nodes"][0]["progress"] == {"done": 0, "total": 1}


def test_without_manage_an_agent_is_refused_and_nothing_is_written(owner):
    sam = worker(owner, "Sam Agent")
    ada = customer(owner, workerIds=[gid("Worker", sam.worker_id)])
    checklist = added(owner, ada, name="Move", items=["Pack"])
    owner.ok(
        "setRolePermission", {"role": "AGENT", "permission": "checklists.manage", "granted": False}
    )
    item = checklist["items"][0]["id"]
    (error,) = sam.errors(
        f'mutation {{ checkChecklistItem(input: {{id: "{item}"}}) {{ item {{ id }} }} }}'
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert tab(owner, ada)["all"]["nodes"][0]["progress"] == {"done": 0, "total": 1}
    owner.ok(
        "setRolePermission", {"role": "AGENT", "permission": "checklists.view", "granted": False}
    )
    (error,) = sam.errors(TAB, id=ada)
    assert error["extensions"]["code"] == "FORBIDDEN"


# --- races, merging, export, demo ---------------------------------------------------------------


def test_checking_every_item_at_once_completes_the_list_once(owner, client):
    ada = customer(owner)
    checklist = added(owner, ada, name="Race", items=[f"i{n}" for n in range(6)])
    query = (
        "mutation($i: CheckChecklistItemInput!) "
        "{ checkChecklistItem(input: $i) { userErrors { code } } }"
    )
    headers = {"Authorization": f"Bearer {owner.token}"}

    async def race():
        transport = httpx2.ASGITransport(app=client.app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
            sent = [
                http.post(
                    "/graphql",
                    json={"query": query, "variables": {"i": {"id": i["id"]}}},
                    headers=headers,
                )
                for i in checklist["items"] + checklist["items"]
            ]
            return [r.json() for r in await asyncio.gather(*sent)]

    results = run(client, race)
    assert all(r["data"]["checkChecklistItem"]["userErrors"] == [] for r in results), results
    owner.query("{ me { permissions } }")  # settles the outbox
    (node,) = tab(owner, ada)["all"]["nodes"]
    assert node["progress"] == {"done": 6, "total": 6} and node["completedAt"] is not None
    names = [a for a, _ in actions(owner, ada)]
    assert names.count("checklist.item_checked") == 6 and names.count("checklist.completed") == 1


def test_merging_moves_lists_and_export_shows_them(owner):
    onboarding = folder(owner)
    intro = template(owner, "Intro", ["Call"], folderIds=[onboarding])
    source = customer(owner, "Ada L.", folders=[{"folderId": onboarding}])
    target = customer(owner, "Ada Lovelace", folders=[{"folderId": onboarding}])
    checklist = added(owner, source, name="Move", items=["Pack"])
    check(owner, checklist["items"][0]["id"])
    owner.ok("mergeCustomers", {"sourceId": source, "targetId": target}, "customer { id }")
    page = tab(owner, target)
    assert sorted(n["name"] for n in page["all"]["nodes"]) == ["Intro", "Intro", "Move"]
    assert page["unfinishedCount"] == 2
    data = owner.query("query($id: ID!) { customerExport(id: $id) }", id=target)["customerExport"]
    exported = data["modules"]["checklists"]
    assert sorted(c["name"] for c in exported) == ["Intro", "Intro", "Move"]
    move = next(c for c in exported if c["name"] == "Move")
    assert [(i["text"], i["checked_at"] is not None) for i in move["items"]] == [("Pack", True)]
    assert sum(c["template_id"] == pk_of(intro["id"]) for c in exported) == 2


def test_demo_data_is_deterministic(client):
    async def seed(api):
        async with client.app.state.db.transaction() as session:
            ids = await session.scalars(
                select(Customer.id).where(Customer.tenant_id == api.tenant_id).order_by(Customer.id)
            )
            await demo.seed(session, api.tenant_id, list(ids), 7)

    def shape(api):
        page = api.query(
            "{ customers(first: 20) { nodes { checklists { unfinishedCount all { nodes { name "
            "progress { done total } completedAt items { text checked } } } } } } }"
        )
        return [c["checklists"] for c in page["customers"]["nodes"]]

    tenants = [new_tenant(client), new_tenant(client)]
    for api in tenants:
        api.enable("checklists")
        folder(api, "Leads")
        for i in range(20):
            customer(api, f"D{i:02d}")
        run(client, seed, api)
    assert shape(tenants[0]) == shape(tenants[1])
    lists = [n for c in shape(tenants[0]) for n in c["all"]["nodes"]]
    assert len(lists) == 5
    for checklist in lists:
        progress = checklist["progress"]
        assert progress["done"] == sum(i["checked"] for i in checklist["items"])
        assert (checklist["completedAt"] is not None) == (progress["done"] == progress["total"])
    names = tenants[0].query("{ checklistTemplates { nodes { name folders { name } } } }")
    assert names["checklistTemplates"]["nodes"] == [
        {"name": "Annual review", "folders": []},
        {"name": "Onboarding", "folders": [{"name": "Leads"}]},
    ]


# --- cost --------------------------------------------------------------------------------------

PAGE = """
query($first: Int) {
  customers(first: $first) {
    nodes {
      name
      profileTabs { key badgeCount }
      checklists {
        unfinishedCount
        all(first: 3) {
          totalCount
          nodes {
            name completedAt progress { done total } createdBy { name }
            template { name folders { name } }
            items { text checked checkedBy { name } }
          }
        }
      }
    }
  }
}"""


def test_a_page_of_12_customers_costs_what_a_page_of_3_does(owner, engine):
    # 12 against 3 shows a count that does not grow with the page as well as 50 against 5
    # would (no batch size or cut-off below 12 on this path), and the set-up takes a few
    # requests of aliased mutations instead of ~100.
    onboarding = folder(owner)
    made = template(owner, "Intro", ["Call", "Mail"], folderIds=[onboarding])
    names = [{"name": f"C{i:02}"} for i in range(12)]
    ids = [p["customer"]["id"] for p in owner.many("createCustomer", names, "customer { id }")]
    intros = [{"customerId": c, "templateId": made["id"]} for c in ids]
    lists = [p["checklist"] for p in owner.many("addChecklist", intros, f"checklist {{ {LIST} }}")]
    owner.many("checkChecklistItem", [{"id": c["items"][0]["id"]} for c in lists[1::2]])
    extras = [{"customerId": c, "name": "Extra", "items": ["x"]} for c in ids[::3]]
    owner.many("addChecklist", extras)
    owner.query(PAGE, first=1)
    with count_statements(engine) as three:
        small = owner.query(PAGE, first=3)["customers"]["nodes"]
    with count_statements(engine) as twelve:
        large = owner.query(PAGE, first=12)["customers"]["nodes"]
    print(f"statements: first 3 -> {three.count}, first 12 -> {twelve.count}")
    assert len(small) == 3 and len(large) == 12
    assert three.count == twelve.count, (three.statements, twelve.statements)
    for node in large:
        checklists = node["checklists"]
        badge = dict((t["key"], t["badgeCount"]) for t in node["profileTabs"])["checklists"]
        assert badge == checklists["unfinishedCount"] == checklists["all"]["totalCount"]
        intro = next(n for n in checklists["all"]["nodes"] if n["name"] == "Intro")
        assert intro["template"] == {"name": "Intro", "folders": [{"name": "Onboarding"}]}
        assert intro["progress"]["done"] == sum(i["checked"] for i in intro["items"])
