"""Who sees which messages (`communications.view_all`, the rule in the module's docstring),
through the HTTP API on both databases: a restricted agent and a manager on the same
customers see different histories, counts, badges, nodes and exports; the rule costs no
statement per row; a READ receipt emits `communication.opened` besides `status_changed`."""

import pytest

from plugins.communications.tests.helpers import NODE, inbound, post, secret, sent, settled, tab
from tests.support import Api, as_worker, count_statements, gid, pk_of
from tests.support import create_customer as customer
from tests.support import create_worker as worker

BADGES = "query($id: ID!) { customer(id: $id) { profileTabs { key badgeCount } } }"
EXPORT = "query($id: ID!) { customerExport(id: $id) }"
TIMELINE = """
query($id: ID!) { customer(id: $id) { timeline(first: 50) { nodes { action data } } } }"""
PAGE = """
query($first: Int) {
  customers(first: $first) {
    nodes {
      name
      profileTabs { key badgeCount }
      communications { unreadCount all(first: 3) { totalCount nodes { body author { name } } } }
    }
  }
}"""


@pytest.fixture
def team(api: Api) -> dict:
    """An owner, a manager and two agents, all assigned to Ada and Bob."""
    api.enable("communications")
    people = {
        "owner": api,
        "manager": as_worker(api, worker(api, "Max Manager", "MANAGER")),
        "amy": as_worker(api, worker(api, "Amy Agent")),
        "ben": as_worker(api, worker(api, "Ben Agent")),
    }
    ids = [gid("Worker", p.worker_id) for p in people.values()]
    emails = {"Ada": "ada@example.com", "Bob": "bob@example.com"}
    for name, email in emails.items():
        people[name] = customer(api, name, emails=[{"value": email}], workerIds=ids)
    people["key"] = secret(api)
    return people


BY_AUTHOR = """query($id: ID!, $author: ID) { customer(id: $id) { communications {
  all(authorId: $author) { totalCount nodes { body } } } } }"""


def bodies(api: Api, customer_id: str, **variables) -> list[str]:
    return sorted(n["body"] for n in tab(api, customer_id, **variables)["all"]["nodes"])


def by_author(api: Api, customer_id: str, author: str) -> list[str]:
    found = api.query(BY_AUTHOR, id=customer_id, author=author)["customer"]["communications"]
    return sorted(n["body"] for n in found["all"]["nodes"])


def badge(api: Api, customer_id: str) -> int:
    tabs = api.query(BADGES, id=customer_id)["customer"]["profileTabs"]
    return {t["key"]: t["badgeCount"] for t in tabs}["communications"]


def test_an_agent_sees_what_they_sent_and_the_replies_of_customers_they_wrote_to(team):
    owner, manager, amy, ben, ada, bob = (
        team[k] for k in ("owner", "manager", "amy", "ben", "Ada", "Bob")
    )
    key = team["key"]
    inbound(owner, key, "a-1", "ada@example.com", "Ada before anyone wrote")
    by_ben = sent(ben, ada, "Ben to Ada")
    by_owner = sent(owner, ada, "Owner to Ada")
    inbound(owner, key, "b-1", "bob@example.com", "Bob writes")
    everything = ["Ada before anyone wrote", "Ben to Ada", "Owner to Ada"]
    assert bodies(manager, ada) == bodies(owner, ada) == everything
    assert tab(manager, ada)["unreadCount"] == 1
    # Amy has written to no one: nothing of either customer, and no badge
    assert tab(amy, ada)["all"]["totalCount"] == 0 and tab(amy, ada)["unreadCount"] == 0
    assert badge(amy, ada) == 0 and badge(amy, bob) == 0 and badge(manager, bob) == 1
    # Ben wrote to Ada: his message and Ada's inbound ones (earlier too), not the owner's
    assert bodies(ben, ada) == ["Ada before anyone wrote", "Ben to Ada"]
    assert tab(ben, ada)["all"]["totalCount"] == 2
    assert (tab(ben, ada)["unreadCount"], badge(ben, ada)) == (1, 1)
    assert bodies(ben, ada, direction="OUTBOUND") == ["Ben to Ada"]
    assert bodies(ben, bob) == [] and badge(ben, bob) == 0
    # node(id:) follows the same rule
    assert ben.query(NODE, id=by_owner["id"])["node"] is None
    assert amy.query(NODE, id=by_ben["id"])["node"] is None
    assert ben.query(NODE, id=by_ben["id"])["node"]["body"] == "Ben to Ada"
    assert manager.query(NODE, id=by_ben["id"])["node"]["body"] == "Ben to Ada"
    # Amy writes to Ada: from now on she sees Ada's inbound messages too, unread
    sent(amy, ada, "Amy to Ada")
    assert bodies(amy, ada) == ["Ada before anyone wrote", "Amy to Ada"]
    assert (tab(amy, ada)["unreadCount"], badge(amy, ada)) == (1, 1)
    inbound(owner, key, "a-2", "ada@example.com", "Ada again")
    assert (tab(amy, ada)["unreadCount"], tab(ben, ada)["unreadCount"]) == (2, 2)
    assert tab(manager, ada)["unreadCount"] == 2


def test_marking_read_and_exporting_keep_to_what_the_agent_sees(team):
    owner, ben, ada = team["owner"], team["ben"], team["Ada"]
    inbound(owner, team["key"], "a-1", "ada@example.com", "Hello")
    hidden = sent(owner, ada, "Owner to Ada")
    wrong = ben.mutate("markCommunicationsRead", {"customerId": ada, "upToId": hidden["id"]})
    assert [(e["field"], e["code"]) for e in wrong["userErrors"]] == [
        (["input", "upToId"], "NOT_FOUND")
    ]
    sent(ben, ada, "Ben to Ada")
    assert ben.ok("markCommunicationsRead", {"customerId": ada}, "unreadCount")["unreadCount"] == 0
    assert tab(owner, ada)["unreadCount"] == 1  # the owner's marker did not move

    def exported(api: Api) -> list[str]:
        data = api.query(EXPORT, id=ada)["customerExport"]["modules"]["communications"]
        return sorted(m["body"] for m in data)

    assert exported(ben) == ["Ben to Ada", "Hello"]
    assert exported(owner) == ["Ben to Ada", "Hello", "Owner to Ada"]


def test_filtering_by_author_needs_view_all_for_someone_else(team):
    owner, manager, ben, ada = (team[k] for k in ("owner", "manager", "ben", "Ada"))
    sent(ben, ada, "Ben to Ada")
    sent(owner, ada, "Owner to Ada")
    mine = gid("Worker", ben.worker_id)
    assert by_author(manager, ada, mine) == by_author(ben, ada, mine) == ["Ben to Ada"]
    theirs = gid("Worker", owner.worker_id)
    (error,) = ben.errors(BY_AUTHOR, id=ada, author=theirs)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "(communications.view_all)" in error["message"]
    assert by_author(manager, ada, theirs) == ["Owner to Ada"]


def test_a_restricted_page_costs_what_a_short_one_does(team, engine):
    owner, ben, key = team["owner"], team["ben"], team["key"]
    workers = [gid("Worker", ben.worker_id)]
    names = [
        {"name": f"C{i:02}", "emails": [{"value": f"c{i}@example.com"}], "workerIds": workers}
        for i in range(12)
    ]
    ids = [p["customer"]["id"] for p in owner.many("createCustomer", names, "customer { id }")]
    for i, _ in enumerate(ids):
        inbound(owner, key, f"s-{i}", f"c{i}@example.com")
    sms = {"channel": "SMS", "to": "+4755501234"}
    ben.many("sendMessage", [{**sms, "customerId": c, "body": "x"} for c in ids[::2]])
    owner.many("sendMessage", [{**sms, "customerId": c, "body": "y"} for c in ids])
    ben.query(PAGE, first=1)
    with count_statements(engine) as three:
        small = ben.query(PAGE, first=3)["customers"]["nodes"]
    with count_statements(engine) as fourteen:
        large = ben.query(PAGE, first=14)["customers"]["nodes"]
    print(f"restricted agent, statements: first 3 -> {three.count}, first 14 -> {fourteen.count}")
    assert len(small) == 3 and len(large) == 14
    assert three.count == fourteen.count, (three.statements, fourteen.statements)
    wrote = {f"C{i:02}" for i in range(0, 12, 2)}  # his message and the reply there
    totals = {n["name"]: n["communications"]["all"]["totalCount"] for n in large}
    assert totals == {n: 2 if n in wrote else 0 for n in totals} and wrote <= totals.keys()
    for node in large:
        comms = node["communications"]
        shown = {t["key"]: t["badgeCount"] for t in node["profileTabs"]}["communications"]
        assert shown == comms["unreadCount"] == comms["all"]["totalCount"] // 2
        assert {n["author"] and n["author"]["name"] for n in comms["all"]["nodes"]} <= {
            None,
            "Ben Agent",
        }


def test_a_read_receipt_emits_opened_as_well_as_status_changed(team):
    owner, ada = team["owner"], team["Ada"]
    message = settled(owner, sent(owner, ada, "Hi")["id"])
    provider_id = f"console-{owner.tenant_id}-{pk_of(message['id'])}"

    def receipt(status: str):
        data = {"type": "status", "messageId": provider_id, "status": status}
        return post(owner, data, team["key"]).json()

    def actions() -> list[tuple[str, str | None]]:
        nodes = owner.query(TIMELINE, id=ada)["customer"]["timeline"]["nodes"]
        return [
            (n["action"], (n["data"] or {}).get("status"))
            for n in reversed(nodes)
            if n["action"].startswith("communication.")
        ]

    receipt("DELIVERED")
    assert ("communication.opened", "READ") not in actions()
    assert receipt("READ")["duplicate"] is False
    assert receipt("READ")["duplicate"] is True  # a repeated receipt: nothing again
    assert actions()[-2:] == [
        ("communication.status_changed", "READ"),
        ("communication.opened", "READ"),
    ]
    assert [a for a, _ in actions()].count("communication.opened") == 1
