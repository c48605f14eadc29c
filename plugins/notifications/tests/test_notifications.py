"""Worker notifications through the HTTP API: the `notify` contract once per event and
worker (delivered three times at once), assignments notify the assignee and never the actor,
missions, muted kinds, the recipient's visibility, read marks, the live count on one
process, tenancy, the demo admin's feed and a feed page's statement count."""

import pytest
from sqlalchemy import select

from core import events
from core.demo import seed_demo
from core.models import EventRecord
from tests.fixtures import redeliver, run
from tests.support import Api, as_worker, count_statements, gid, pk_of, settle
from tests.support import create_customer as customer
from tests.support import create_worker as worker
from tests.test_subscriptions import next_payload, socket, subscribe

pytestmark = pytest.mark.seeded_demo  # the demo is in the databases from the start

MODULES = frozenset({"notifications", "missions"})
FEED = """query($first: Int, $unread: Boolean) { myNotifications {
  unreadCount
  all(first: $first, unreadOnly: $unread) {
    totalCount nodes { id kind title body readAt customer { name } }
  }
} }"""
COUNT = "subscription { notificationCount }"


def feed(api: Api, first: int = 100, unread: bool = False) -> dict:
    settle(api.client)
    return api.query(FEED, first=first, unread=unread)["myNotifications"]


def kinds(api: Api) -> list[str]:
    return [n["kind"] for n in feed(api)["all"]["nodes"]]


def event_of(client, tenant_id: int, action: str) -> events.Event:
    """The tenant's latest event of this name, as the relay hands it to handlers."""

    async def read():
        async with client.app.state.db.read() as conn:
            row = (
                (
                    await conn.execute(
                        select(EventRecord.__table__)
                        .where(EventRecord.tenant_id == tenant_id, EventRecord.action == action)
                        .order_by(EventRecord.id.desc())
                    )
                )
                .mappings()
                .first()
            )
        return events.Event(
            row["action"], tenant_id, row["customer_id"], row["data"], row["actor_id"], id=row["id"]
        )

    return run(client, read)


def deliver(client, event: events.Event) -> None:
    redeliver(client, event, MODULES)


def team(api: Api) -> tuple[Api, Api]:
    api.enable("notifications")
    ann = as_worker(api, worker(api, "Ann Agent"))
    bob = as_worker(api, worker(api, "Bob Agent"))
    return ann, bob


def test_the_notify_contract_notifies_each_listed_worker_who_sees_the_customer_once(api, client):
    ann, bob = team(api)
    ada = customer(api, "Ada", workerIds=[pk_id(ann)])
    settle(client)
    base = event_of(client, api.tenant_id, "customer.created")
    notify = {
        "workerIds": [api.worker_id, ann.worker_id, bob.worker_id, 999_999],
        "kind": "mention",
        "title": "Olivia mentioned you",
        "body": "Call Ada back.",
    }
    event = events.Event("note.added", api.tenant_id, pk_of(ada), {"notify": notify}, id=base.id)
    deliver(client, event)
    deliver(client, event)  # a late replay
    mine = [n for n in feed(api)["all"]["nodes"] if n["kind"] == "MENTION"]
    assert [(n["title"], n["body"], n["customer"]) for n in mine] == [
        ("Olivia mentioned you", "Call Ada back.", {"name": "Ada"})
    ]
    assert kinds(ann).count("MENTION") == 1
    assert kinds(bob) == []  # Bob may not see Ada: nothing, and no error


def pk_id(api: Api) -> str:
    return gid("Worker", api.worker_id)


def test_an_assignment_notifies_the_assignees_not_the_actor(api):
    ann, bob = team(api)
    customer(api, "Ada", workerIds=[pk_id(ann), pk_id(api)])
    assert kinds(api) == []
    assert kinds(bob) == []
    found = feed(ann)
    assert found["unreadCount"] == 1
    (note,) = found["all"]["nodes"]
    assert (note["kind"], note["title"], note["readAt"]) == (
        "ASSIGNED_CUSTOMER",
        "Assigned to you: Ada",
        None,
    )
    assert note["customer"] == {"name": "Ada"}


def test_a_mission_assigned_notifies_its_assignees(api):
    ann, bob = team(api)
    api.enable("missions")
    ada = customer(api, "Ada", workerIds=[pk_id(ann), pk_id(bob)])
    mission = api.ok(
        "createMission",
        {"customerId": ada, "title": "Call", "assigneeIds": [pk_id(ann)]},
        "mission { id }",
    )["mission"]
    assert kinds(ann) == ["ASSIGNED_MISSION", "ASSIGNED_CUSTOMER"]
    api.ok("assignMission", {"id": mission["id"], "assigneeIds": [pk_id(ann), pk_id(bob)]})
    assert kinds(bob) == ["ASSIGNED_MISSION", "ASSIGNED_CUSTOMER"]
    assert kinds(ann).count("ASSIGNED_MISSION") == 1  # already assigned: not again
    assert kinds(api) == []


def test_a_disabled_webhook_endpoint_tells_the_owners_and_admins(api, client):
    ann, _ = team(api)
    admin = as_worker(api, worker(api, "Alex Admin", "ADMIN"))
    customer(api, "Ada")
    settle(client)
    base = event_of(client, api.tenant_id, "customer.created")
    data = {"endpointId": 3, "url": "https://hooks.example.com/x", "failures": 5}
    deliver(
        client, events.Event("webhook.endpoint_disabled", api.tenant_id, None, data, id=base.id)
    )
    for reader in (api, admin):
        (note,) = feed(reader)["all"]["nodes"]
        assert (note["kind"], note["customer"]) == ("SYSTEM", None)
        assert "https://hooks.example.com/x" in note["body"]
    assert kinds(ann) == []


def test_a_muted_kind_is_not_made(api):
    ann, _ = team(api)
    set_pref = "preferences { kind enabled }"
    payload = ann.ok(
        "setNotificationPreference", {"kind": "ASSIGNED_CUSTOMER", "enabled": False}, set_pref
    )
    assert {"kind": "ASSIGNED_CUSTOMER", "enabled": False} in payload["preferences"]
    customer(api, "Ada", workerIds=[pk_id(ann)])
    assert kinds(ann) == []
    ann.ok("setNotificationPreference", {"kind": "ASSIGNED_CUSTOMER", "enabled": True})
    customer(api, "Bea", workerIds=[pk_id(ann)])
    assert kinds(ann) == ["ASSIGNED_CUSTOMER"]


def test_marking_read_by_ids_and_all_touches_only_your_own(api):
    ann, bob = team(api)
    for name in ("Ada", "Bea", "Cy"):
        customer(api, name, workerIds=[pk_id(ann), pk_id(bob)])
    ids = [n["id"] for n in feed(ann)["all"]["nodes"]]
    bobs = [n["id"] for n in feed(bob)["all"]["nodes"]]
    assert ann.ok("markNotificationsRead", {"ids": ids[:1]}, "unreadCount")["unreadCount"] == 2
    assert feed(ann, unread=True)["all"]["totalCount"] == 2
    errors = bob.mutate("markNotificationsRead", {"ids": [bobs[0], ids[1]]})["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["input", "ids", "1"], "NOT_FOUND")]
    assert feed(bob)["unreadCount"] == 3  # all or nothing
    assert feed(ann)["unreadCount"] == 2
    errors = ann.mutate("markNotificationsRead", {}, "unreadCount")["userErrors"]
    assert [e["code"] for e in errors] == ["REQUIRED"]
    assert ann.ok("markNotificationsRead", {"all": True}, "unreadCount")["unreadCount"] == 0
    assert feed(bob)["unreadCount"] == 3
    assert api.query("query($id: ID!) { node(id: $id) { id } }", id=bobs[0])["node"] is None


def test_the_live_count_starts_current_and_follows_your_changes_only(api):
    ann, bob = team(api)
    customer(api, "Ada", workerIds=[pk_id(ann)])
    settle(api.client)
    with socket(ann) as ws:
        subscribe(ws, COUNT)
        assert next_payload(ws)["data"]["notificationCount"] == 1
        customer(api, "Bea", workerIds=[pk_id(bob)])  # Bob's: Ann's count is not sent again
        customer(api, "Cy", workerIds=[pk_id(ann)])
        assert next_payload(ws)["data"]["notificationCount"] == 2
        ann.ok("markNotificationsRead", {"all": True})
        assert next_payload(ws)["data"]["notificationCount"] == 0


def test_another_tenant_sees_nothing(api, other_api):
    ann, _ = team(api)
    customer(api, "Ada", workerIds=[pk_id(ann)])
    (note,) = feed(ann)["all"]["nodes"]
    other_api.enable("notifications")
    assert feed(other_api)["all"]["totalCount"] == 0
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert other_api.query(node, id=note["id"])["node"] is None
    errors = other_api.mutate("markNotificationsRead", {"ids": [note["id"]]})["userErrors"]
    assert [e["code"] for e in errors] == ["NOT_FOUND"]
    assert feed(ann)["unreadCount"] == 1
    assert ann.query(node, id=note["id"])["node"] == {"id": note["id"]}


def test_without_the_module_nothing_is_made_or_served(api):
    ann = as_worker(api, worker(api, "Ann Agent"))
    customer(api, "Ada", workerIds=[pk_id(ann)])
    settle(api.client)
    assert ann.errors("{ myNotifications { unreadCount } }")
    api.enable("notifications")
    assert kinds(ann) == []  # what went by while it was off is not replayed


def test_a_feed_page_costs_the_same_for_3_and_12_notifications(api, engine):
    ann, _ = team(api)
    for i in range(12):
        customer(api, f"Customer {i}", workerIds=[pk_id(ann)])
    settle(api.client)
    counts = []
    for first in (3, 12):
        with count_statements(engine) as counter:
            found = ann.query(FEED, first=first, unread=False)["myNotifications"]
        assert len(found["all"]["nodes"]) == first
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_the_demo_admin_has_notifications(client):
    tenant_id, admin_id = run(
        client, lambda: seed_demo(client.app.state.db, client.app.state.plugins)
    )
    admin = Api(client, tenant_id, admin_id)
    found = feed(admin)
    assert found["all"]["totalCount"] >= 3
    assert 0 < found["unreadCount"] < found["all"]["totalCount"]
