"""The activities module through the HTTP API: logging, editing and deleting, validation,
the customer's list with its filters and search, the summary and badge, permissions
(someone else's activity takes more), visibility and tenancy, timeline entries, merging,
export, demo data, and a list page whose statement count does not grow with its length."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.models import Customer
from plugins.activities import demo
from tests.fixtures import new_tenant, run
from tests.support import Api, as_worker, count_statements, create_worker, gid, pk_of
from tests.support import create_customer as customer

ACTIVITY = """
id kind title description occurredAt durationSeconds outcome createdAt updatedAt
worker { id name } createdBy { id } customer { id name }
"""
LIST = """
query($id: ID!, $first: Int, $after: String, $filter: ActivityFilter) {
  customer(id: $id) {
    activities {
      list(first: $first, after: $after, filter: $filter) {
        nodes { id kind title outcome }
        pageInfo { hasNextPage hasPreviousPage endCursor }
        totalCount
      }
    }
  }
}"""
SUMMARY = """
query($id: ID!) {
  customer(id: $id) {
    activities { totalCount lastActivityAt recentCount countsByKind { kind count } }
    profileTabs { key badgeCount }
  }
}"""
NODE = "query($id: ID!) { node(id: $id) { ... on Activity { id title } } }"
TIMELINE = """
query($id: ID!) { customer(id: $id) { timeline(first: 20) { nodes { action summary data } } } }"""


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("activities")
    return api


def worker(api: Api, name: str, role: str = "AGENT") -> Api:
    return as_worker(api, create_worker(api, name, role))


def me(api: Api) -> str:
    return gid("Worker", api.worker_id)


def ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def log(api: Api, customer_id: str, title: str = "Follow-up", kind: str = "CALL", **fields):
    return api.mutate(
        "logActivity",
        {"customerId": customer_id, "kind": kind, "title": title, **fields},
        f"activity {{ {ACTIVITY} }}",
    )


def logged(api: Api, customer_id: str, title: str = "Follow-up", **fields) -> dict:
    payload = log(api, customer_id, title, **fields)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["activity"]


def errors_of(payload: dict) -> list[tuple]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def listed(api: Api, customer_id: str, **variables) -> dict:
    return api.query(LIST, id=customer_id, **variables)["customer"]["activities"]["list"]


def titles(api: Api, customer_id: str, **f) -> list[str]:
    page = listed(api, customer_id, filter=f)
    assert page["totalCount"] == len(page["nodes"])
    return [a["title"] for a in page["nodes"]]


def summary(api: Api, customer_id: str) -> dict:
    return api.query(SUMMARY, id=customer_id)["customer"]


def timeline(api: Api, customer_id: str) -> list[dict]:
    return api.query(TIMELINE, id=customer_id)["customer"]["timeline"]["nodes"]


# --- module switch ---------------------------------------------------------------------------


def test_a_disabled_module_is_named_and_disabling_keeps_the_activities(api):
    ada = customer(api)
    (error,) = api.errors(SUMMARY, id=ada)
    assert error["extensions"]["code"] == "MODULE_DISABLED"
    assert error["extensions"]["module"] == "activities"
    api.enable("activities")
    logged(api, ada)
    api.ok("disableModule", {"module": "activities"}, "modules { name }")
    assert "activity.logged" not in [e["action"] for e in timeline(api, ada)]
    api.enable("activities")
    assert summary(api, ada)["activities"]["totalCount"] == 1


# --- writing ---------------------------------------------------------------------------------


def test_log_an_activity_with_defaults_and_everything(owner):
    ada = customer(owner)
    sam = worker(owner, "Sam Agent")
    before = datetime.now(UTC)
    plain = logged(owner, ada, "  Quick question  ")
    assert plain["title"] == "Quick question" and plain["kind"] == "CALL"
    assert plain["worker"] == {"id": me(owner), "name": "Olivia Owner"}
    assert plain["createdBy"] == {"id": me(owner)}
    assert plain["customer"] == {"id": ada, "name": "Ada"}
    assert plain["description"] is plain["outcome"] is plain["durationSeconds"] is None
    assert before <= datetime.fromisoformat(plain["occurredAt"]) <= datetime.now(UTC)
    when = datetime.now(UTC) - timedelta(days=2)
    full = logged(
        owner,
        ada,
        "Quarterly review",
        kind="MEETING",
        description="Went well.",
        occurredAt=when.isoformat(),
        durationSeconds=3600,
        outcome="POSITIVE",
        workerId=me(sam),
    )
    assert (full["kind"], full["outcome"], full["durationSeconds"]) == ("MEETING", "POSITIVE", 3600)
    assert datetime.fromisoformat(full["occurredAt"]) == when
    assert full["worker"]["name"] == "Sam Agent" and full["createdBy"] == {"id": me(owner)}
    assert owner.query(NODE, id=full["id"]) == {"node": {"id": full["id"], "title": full["title"]}}


def test_bad_input_is_reported_whole_and_writes_nothing(owner, other_api):
    ada = customer(owner)
    stranger = worker(other_api, "Stranger")
    payload = log(
        owner,
        ada,
        "   ",
        description="x" * 10_001,
        durationSeconds=-1,
        occurredAt=(datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        workerId=me(stranger),
    )
    assert payload["activity"] is None
    assert sorted(errors_of(payload)) == [
        (["input", "description"], "TOO_LONG"),
        (["input", "durationSeconds"], "INVALID"),
        (["input", "occurredAt"], "INVALID"),
        (["input", "title"], "REQUIRED"),
        (["input", "workerId"], "NOT_FOUND"),
    ]
    assert errors_of(log(owner, ada, "x" * 201)) == [(["input", "title"], "TOO_LONG")]
    assert errors_of(log(owner, ada, durationSeconds=7 * 24 * 3600 + 1)) == [
        (["input", "durationSeconds"], "INVALID")
    ]
    for customer_id in (customer(other_api, "Not yours"), "nope", gid("Customer", 2**31 - 1)):
        assert errors_of(log(owner, customer_id)) == [(["input", "customerId"], "NOT_FOUND")]
    assert summary(owner, ada)["activities"]["totalCount"] == 0


def test_update_changes_only_what_is_sent_and_delete_removes(owner):
    ada = customer(owner)
    activity = logged(owner, ada, "Call", description="About prices", outcome="NEUTRAL")
    fields = "activity { kind title description outcome durationSeconds updatedAt }"
    payload = owner.ok("updateActivity", {"id": activity["id"], "kind": "EMAIL"}, fields)
    assert payload["activity"]["kind"] == "EMAIL"
    assert payload["activity"]["description"] == "About prices"
    assert payload["activity"]["updatedAt"] >= activity["updatedAt"]
    payload = owner.ok(
        "updateActivity",
        {"id": activity["id"], "title": "Wrote back", "description": None, "outcome": None},
        fields,
    )
    assert payload["activity"]["title"] == "Wrote back"
    assert payload["activity"]["description"] is payload["activity"]["outcome"] is None
    assert titles(owner, ada, search="wrote") == ["Wrote back"]
    assert titles(owner, ada, search="prices") == []
    payload = owner.mutate(
        "updateActivity", {"id": activity["id"], "title": None, "kind": None, "workerId": None}
    )
    assert sorted(errors_of(payload)) == [
        (["input", "kind"], "REQUIRED"),
        (["input", "title"], "REQUIRED"),
        (["input", "workerId"], "REQUIRED"),
    ]
    unknown = gid("Activity", 2**31 - 1)
    assert errors_of(owner.mutate("updateActivity", {"id": unknown, "title": "x"})) == [
        (["input", "id"], "NOT_FOUND")
    ]
    gone = owner.ok("deleteActivity", {"id": activity["id"]}, "deletedId")
    assert gone["deletedId"] == activity["id"]
    assert owner.query(NODE, id=activity["id"]) == {"node": None}
    again = owner.mutate("deleteActivity", {"id": activity["id"]}, "deletedId")
    assert again["deletedId"] is None and errors_of(again) == [(["input", "id"], "NOT_FOUND")]
    assert summary(owner, ada)["activities"]["totalCount"] == 0


# --- the customer's tab ----------------------------------------------------------------------


def test_the_list_is_newest_occurred_first_in_pages(owner):
    ada = customer(owner)
    for days in (3, 1, 5, 2, 4):
        logged(owner, ada, f"{days} days ago", occurredAt=ago(days=days))
    logged(owner, customer(owner, "Bob"), "Bob's")
    got, after = [], None
    while True:
        page = listed(owner, ada, first=2, after=after)
        assert page["totalCount"] == 5
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        got += [a["title"] for a in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert got == [f"{d} days ago" for d in (1, 2, 3, 4, 5)]
    for bad, code in (("garbage", "INVALID_CURSOR"), (None, "PAGE_SIZE")):
        (error,) = owner.errors(LIST, id=ada, after=bad, first=101 if bad is None else 1)
        assert error["extensions"]["problems"][0]["code"] == code


def test_filters_and_search(owner):
    ada = customer(owner)
    logged(owner, ada, "Ärger mit der Rechnung", kind="CALL", outcome="NEGATIVE")
    logged(owner, ada, "Sent 100% of the docs", kind="EMAIL", occurredAt=ago(days=10))
    logged(owner, ada, "Intro", kind="MEETING", description="snake_case talk", outcome="POSITIVE")
    logged(owner, customer(owner, "Bob"), "Ärger elsewhere")
    assert titles(owner, ada, kinds=["CALL", "MEETING"]) == ["Intro", "Ärger mit der Rechnung"]
    assert titles(owner, ada, kinds=[]) == []
    assert titles(owner, ada, outcomes=["NEGATIVE"]) == ["Ärger mit der Rechnung"]
    assert titles(owner, ada, search="äRGER") == ["Ärger mit der Rechnung"]
    assert titles(owner, ada, search="  RECHNUNG ") == ["Ärger mit der Rechnung"]
    assert titles(owner, ada, search="SNAKE_CASE") == ["Intro"]
    assert titles(owner, ada, search="e_c") == ["Intro"]
    assert titles(owner, ada, search="0%") == ["Sent 100% of the docs"]
    assert titles(owner, ada, search="%") == ["Sent 100% of the docs"]
    assert titles(owner, ada, search="_") == ["Intro"]
    assert titles(owner, ada, occurredTo=ago(days=1)) == ["Sent 100% of the docs"]
    naive = (datetime.now(UTC) - timedelta(days=1)).replace(tzinfo=None).isoformat()
    assert titles(owner, ada, occurredTo=naive) == ["Sent 100% of the docs"]  # UTC
    assert titles(owner, ada, occurredFrom=ago(days=1), kinds=["EMAIL"]) == []
    assert len(titles(owner, ada, search="  ")) == 3
    (error,) = owner.errors(LIST, id=ada, filter={"search": "x" * 201})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_summary_and_the_badge_of_the_last_7_days(owner):
    ada = customer(owner)
    empty = summary(owner, ada)
    assert empty["activities"]["totalCount"] == 0 and empty["activities"]["lastActivityAt"] is None
    recent = logged(owner, ada, "recent", kind="NOTE", occurredAt=ago(days=1))
    logged(owner, ada, "older", kind="NOTE", occurredAt=ago(days=8))
    logged(owner, ada, "deal", kind="DEAL_UPDATE", occurredAt=ago(days=30))
    got = summary(owner, ada)
    activities = got["activities"]
    assert activities["totalCount"] == 3 and activities["recentCount"] == 1
    assert activities["lastActivityAt"] == recent["occurredAt"]
    counts = {c["kind"]: c["count"] for c in activities["countsByKind"]}
    assert counts == {"CALL": 0, "EMAIL": 0, "MEETING": 0, "NOTE": 2, "TASK": 0, "DEAL_UPDATE": 1}
    assert {"key": "activities", "badgeCount": 1} in got["profileTabs"]


# --- permissions, visibility, tenancy --------------------------------------------------------


def test_agents_change_their_own_activities_and_managers_anyones(owner):
    sam, max_ = worker(owner, "Sam Agent"), worker(owner, "Max Manager", "MANAGER")
    ada = customer(owner, workerIds=[me(sam), me(max_)])
    ours = logged(owner, ada, "the owner's")
    for_sam = logged(owner, ada, "done by Sam", workerId=me(sam))
    own = logged(sam, ada, "Sam's own")
    sam.ok("updateActivity", {"id": own["id"], "title": "Sam's, edited"})
    sam.ok("updateActivity", {"id": for_sam["id"], "outcome": "POSITIVE"})
    update = 'mutation($id: ID!) { updateActivity(input: {id: $id, title: "mine"}) { __typename } }'
    delete = "mutation($id: ID!) { deleteActivity(input: {id: $id}) { deletedId } }"
    for query in (update, delete):
        (error,) = sam.errors(query, id=ours["id"])
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "activities.manage_others" in error["message"]
    assert owner.query(NODE, id=ours["id"])["node"]["title"] == "the owner's"
    max_.ok("updateActivity", {"id": own["id"], "title": "Checked by Max"})
    assert max_.ok("deleteActivity", {"id": ours["id"]}, "deletedId")["deletedId"] == ours["id"]
    assert sam.ok("deleteActivity", {"id": own["id"]}, "deletedId")["deletedId"] == own["id"]


def test_permissions_refuse_and_write_nothing(owner):
    sam = worker(owner, "Sam Agent")
    ada = customer(owner, workerIds=[me(sam)])
    owner.ok(
        "setRolePermission", {"role": "AGENT", "permission": "activities.manage", "granted": False}
    )
    mutation = (
        'mutation($id: ID!) { logActivity(input: {customerId: $id, kind: NOTE, title: "x"}) '
        "{ activity { id } } }"
    )
    (error,) = sam.errors(mutation, id=ada)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert summary(owner, ada)["activities"]["totalCount"] == 0
    owner.ok(
        "setRolePermission", {"role": "AGENT", "permission": "activities.view", "granted": False}
    )
    (error,) = sam.errors(SUMMARY, id=ada)
    assert error["extensions"]["code"] == "FORBIDDEN"


def test_hidden_customers_and_other_tenants_activities_are_not_found(owner, other_api):
    sam = worker(owner, "Sam Agent")
    mine, hidden = customer(owner, "Sam's", workerIds=[me(sam)]), customer(owner, "Not Sam's")
    logged(owner, mine, "visible")
    secret = logged(owner, hidden, "secret")
    assert sam.query(NODE, id=secret["id"]) == {"node": None}
    assert errors_of(log(sam, hidden)) == [(["input", "customerId"], "NOT_FOUND")]
    other_api.enable("activities")
    for actor in (sam, other_api):
        for name, payload in (
            ("updateActivity", {"id": secret["id"], "title": "peek"}),
            ("deleteActivity", {"id": secret["id"]}),
        ):
            assert errors_of(actor.mutate(name, payload)) == [(["input", "id"], "NOT_FOUND")]
    assert other_api.query(NODE, id=secret["id"]) == {"node": None}
    assert errors_of(log(other_api, mine)) == [(["input", "customerId"], "NOT_FOUND")]
    assert owner.query(NODE, id=secret["id"])["node"]["title"] == "secret"
    assert titles(sam, mine) == ["visible"]


def test_a_folder_the_agent_may_only_view_shows_activities_but_keeps_them(owner):
    sam = worker(owner, "Sam Agent")
    folder = owner.ok("createFolder", {"name": "Sales", "color": "#123456"}, "folder { id }")
    folder_id = folder["folder"]["id"]
    owner.ok("setFolderAccess", {"folderId": folder_id, "role": "AGENT", "level": "VIEW"})
    sales = customer(owner, "In Sales", folders=[{"folderId": folder_id}])
    elsewhere = customer(owner, "Elsewhere")
    shown = logged(owner, sales, "shown")
    logged(owner, elsewhere, "hidden")
    assert titles(sam, sales) == ["shown"]
    assert sam.query(LIST, id=elsewhere) == {"customer": None}
    (error,) = sam.errors(
        'mutation($id: ID!) { updateActivity(input: {id: $id, title: "x"}) { __typename } }',
        id=shown["id"],
    )
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "not change it" in error["message"]
    assert titles(owner, sales) == ["shown"]


# --- events and the timeline -----------------------------------------------------------------


def test_events_reach_the_timeline_for_who_may_see_the_tab(owner):
    sam = worker(owner, "Sam Agent")
    ada = customer(owner, workerIds=[me(sam)])
    activity = logged(owner, ada, "Follow-up about the invoice")
    owner.ok("updateActivity", {"id": activity["id"], "kind": "DEAL_UPDATE", "outcome": "POSITIVE"})
    owner.ok("deleteActivity", {"id": activity["id"]})
    entries = [e for e in timeline(owner, ada) if e["action"].startswith("activity.")]
    assert [(e["action"], e["summary"]) for e in entries] == [
        ("activity.deleted", "Deal update deleted: Follow-up about the invoice"),
        ("activity.updated", "Deal update updated: Follow-up about the invoice"),
        ("activity.logged", "Call logged: Follow-up about the invoice"),
    ]
    assert all(e["data"]["activityId"] == pk_of(activity["id"]) for e in entries)
    assert entries[1]["data"]["fields"] == ["kind", "outcome"]
    assert entries[2]["data"]["workerId"] == owner.worker_id
    assert len([e for e in timeline(sam, ada) if e["action"].startswith("activity.")]) == 3
    owner.ok(
        "setRolePermission", {"role": "AGENT", "permission": "activities.view", "granted": False}
    )
    assert not [e for e in timeline(sam, ada) if e["action"].startswith("activity.")]


# --- merging, export, demo -------------------------------------------------------------------


def test_merging_moves_activities_and_export_shows_them(owner):
    source, target = customer(owner, "Ada L."), customer(owner, "Ada Lovelace")
    logged(owner, source, "from the duplicate", occurredAt=ago(days=2), outcome="NEGATIVE")
    logged(owner, target, "original", occurredAt=ago(days=1))
    owner.ok("mergeCustomers", {"sourceId": source, "targetId": target}, "customer { id }")
    assert titles(owner, target) == ["original", "from the duplicate"]
    data = owner.query("query($id: ID!) { customerExport(id: $id) }", id=target)["customerExport"]
    exported = data["modules"]["activities"]
    assert [(a["title"], a["kind"], a["outcome"]) for a in exported] == [
        ("from the duplicate", "CALL", "NEGATIVE"),
        ("original", "CALL", None),
    ]
    assert "search_text" not in exported[0] and exported[0]["worker_id"] == owner.worker_id


def test_demo_data_is_deterministic_and_varied(client):
    async def seed(api):
        async with client.app.state.db.transaction() as session:
            ids = await session.scalars(
                select(Customer.id).where(Customer.tenant_id == api.tenant_id).order_by(Customer.id)
            )
            await demo.seed(session, api.tenant_id, list(ids), 7)

    def shape(api):
        page = api.query(
            "{ customers(first: 20) { nodes { activities { totalCount list(first: 10) "
            "{ nodes { kind title outcome durationSeconds occurredAt worker { name } } } } } } }"
        )
        return [c["activities"] for c in page["customers"]["nodes"]]

    tenants = [new_tenant(client), new_tenant(client)]
    for api in tenants:
        api.enable("activities")
        for i in range(20):
            customer(api, f"D{i:02d}")
        run(client, seed, api)
    assert shape(tenants[0]) == shape(tenants[1])
    rows = [a for c in shape(tenants[0]) for a in c["list"]["nodes"]]
    assert len({a["kind"] for a in rows}) >= 4 and len({a["outcome"] for a in rows}) >= 3
    assert all(a["occurredAt"] < "2026-01-05T09:00:01" for a in rows)


# --- cost --------------------------------------------------------------------------------------

PAGE = """
query($first: Int) {
  customers(first: $first) {
    nodes {
      name
      profileTabs { key badgeCount }
      activities {
        totalCount lastActivityAt recentCount countsByKind { kind count }
        list(first: 3) { totalCount nodes { title kind worker { name } createdBy { name } } }
        calls: list(first: 2, filter: {kinds: [CALL], search: "c"}) { totalCount nodes { id } }
      }
    }
  }
}"""


def test_a_page_of_50_customers_costs_what_a_page_of_5_does(owner, engine):
    sam = worker(owner, "Sam Agent")
    for i in range(50):
        customer_id = customer(owner, f"C{i:02}")
        for j in range(i % 4):
            logged(
                owner,
                customer_id,
                f"c{i}-{j}",
                kind=("CALL", "NOTE")[j % 2],
                occurredAt=ago(days=j * 5),
                workerId=me(sam) if i % 2 else me(owner),
            )
    owner.query(PAGE, first=1)
    with count_statements(engine) as five:
        small = owner.query(PAGE, first=5)["customers"]["nodes"]
    with count_statements(engine) as fifty:
        large = owner.query(PAGE, first=50)["customers"]["nodes"]
    print(f"statements: first 5 -> {five.count}, first 50 -> {fifty.count}")
    assert len(small) == 5 and len(large) == 50
    assert five.count == fifty.count, (five.statements, fifty.statements)
    for node in large:
        activities = node["activities"]
        badge = dict((t["key"], t["badgeCount"]) for t in node["profileTabs"])["activities"]
        assert badge == activities["recentCount"]
        assert activities["totalCount"] == activities["list"]["totalCount"]
        assert len(activities["list"]["nodes"]) == min(3, activities["totalCount"])
    assert sum(n["activities"]["totalCount"] for n in large) == sum(i % 4 for i in range(50))
    assert any(n["activities"]["recentCount"] == 2 for n in large)
