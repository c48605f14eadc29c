"""The chat module through the HTTP API: posting (with and without a thread, idempotent with
a key), editing and soft deleting, mentions and their `notify` data, read markers and the
unread badge per worker, permissions, visibility and tenancy, merging and export, and a
statement count without N+1. Live delivery is in `test_chat_live.py`, two processes in
`test_chat_processes.py`, the concurrent retries in `test_chat_race.py`."""

import pytest

from plugins.chat.tests.support import MESSAGE, events_of, post, tab
from tests.support import Api, as_worker, count_statements, gid, pk_of
from tests.support import create_customer as customer
from tests.support import create_worker as worker


@pytest.fixture
def chat(api: Api) -> Api:
    api.enable("chat")
    return api


def test_the_first_message_makes_general_and_threads_hold_their_messages(chat):
    ada = customer(chat, "Ada")
    first = post(chat, ada, "  Hello there  ")
    assert first["body"] == "Hello there" and first["author"]["id"] == gid("Worker", chat.worker_id)
    again = post(chat, ada, "Second")
    assert again["threadId"] == first["threadId"]
    topic = chat.ok("createChatThread", {"customerId": ada, "title": "Renewal"}, "thread { id }")
    other = post(chat, ada, "On the renewal", threadId=topic["thread"]["id"])
    seen = tab(chat, ada)
    assert [(t["title"], t["isDefault"]) for t in seen["threads"]] == [
        ("General", True),
        ("Renewal", False),
    ]
    assert [m["id"] for m in seen["messages"]["nodes"]] == [other["id"], again["id"], first["id"]]
    only = tab(chat, ada, topic["thread"]["id"])["messages"]
    assert [m["id"] for m in only["nodes"]] == [other["id"]] and only["totalCount"] == 1
    chat.ok("renameChatThread", {"id": topic["thread"]["id"], "title": "Renewal 2027"})
    assert tab(chat, ada)["threads"][1]["title"] == "Renewal 2027"
    names = [name for name, _ in events_of(chat.client, chat.tenant_id, ada)]
    assert names == [
        "chat.message_posted",
        "chat.message_posted",
        "chat.thread_created",
        "chat.message_posted",
        "chat.thread_renamed",
    ]


def test_bad_input_is_a_user_error_and_writes_nothing(chat, other_api):
    ada = customer(chat, "Ada")
    theirs = other_api.ok("createCustomer", {"name": "T"}, "customer { id }")["customer"]["id"]
    cases = [
        ({"customerId": ada, "body": "  "}, "REQUIRED"),
        ({"customerId": ada, "body": "x" * 4001}, "TOO_LONG"),
        ({"customerId": ada, "body": "x", "mentionIds": [gid("Worker", 999999)]}, "NOT_FOUND"),
        ({"customerId": ada, "body": "x", "threadId": gid("ChatThread", 999999)}, "NOT_FOUND"),
        ({"customerId": theirs, "body": "x"}, "NOT_FOUND"),
    ]
    for data, code in cases:
        errors = chat.mutate("postChatMessage", data, "message { id }")["userErrors"]
        assert [e["code"] for e in errors] == [code], (data, errors)
    assert tab(chat, ada)["threads"] == []
    assert events_of(chat.client, chat.tenant_id, ada) == []


def test_edit_by_the_author_delete_by_the_author_or_a_manager(chat):
    ada = customer(chat, "Ada")
    agent = as_worker(chat, worker(chat, "Ann Agent"))
    chat.ok("assignWorkers", {"customerId": ada, "workerIds": [gid("Worker", agent.worker_id)]})
    mine = post(agent, ada, "Typo hre")
    edited = agent.ok(
        "editChatMessage", {"id": mine["id"], "body": "Typo here"}, f"message {{ {MESSAGE} }}"
    )
    assert edited["message"]["body"] == "Typo here" and edited["message"]["editedAt"]
    errors = chat.errors(
        'mutation($id: ID!) { editChatMessage(input: {id: $id, body: "No"}) '
        "{ userErrors { code } } }",
        id=mine["id"],
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    owners = post(chat, ada, "The owner's")
    errors = agent.errors(
        "mutation($id: ID!) { deleteChatMessage(input: {id: $id}) { deletedId } }", id=owners["id"]
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    agent.ok("deleteChatMessage", {"id": mine["id"]}, "deletedId")
    chat.ok("deleteChatMessage", {"id": owners["id"]}, "deletedId")
    nodes = chat.query(
        "query($id: ID!) { node(id: $id) { ... on ChatMessage { body deletedAt viewerCanEdit } } }",
        id=mine["id"],
    )["node"]
    assert nodes["body"] is None and nodes["deletedAt"] and nodes["viewerCanEdit"] is False
    again = agent.mutate("editChatMessage", {"id": mine["id"], "body": "Back"}, "message { id }")
    assert [e["code"] for e in again["userErrors"]] == ["MESSAGE_DELETED"]
    names = [n for n, _ in events_of(chat.client, chat.tenant_id, ada)]
    assert names.count("chat.message_deleted") == 2 and names.count("chat.message_edited") == 1


def test_mentions_notify_through_the_event_and_refuse_who_cannot_see(chat):
    ada = customer(chat, "Ada")
    manager = worker(chat, "Max Admin", "ADMIN")
    agent = worker(chat, "Ann Agent")  # not assigned to Ada: may not see her
    payload = chat.mutate(
        "postChatMessage",
        {"customerId": ada, "body": "Look", "mentionIds": [manager, agent]},
        "message { id }",
    )
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("MENTION_CANNOT_SEE", ["input", "mentionIds", "1"])
    ]
    me = gid("Worker", chat.worker_id)
    message = post(chat, ada, "Can you call them?", mentionIds=[manager, manager, me])
    assert [m["id"] for m in message["mentions"]] == [manager, me]
    (posted,) = [d for n, d in events_of(chat.client, chat.tenant_id, ada)]
    assert posted["messageId"] == pk_of(message["id"])
    assert posted["mentionIds"] == [pk_of(manager), chat.worker_id]
    notify = posted["notify"]
    assert notify["workerIds"] == [pk_of(manager)] and notify["kind"] == "mention"
    assert "General" in notify["title"] and notify["body"] == "Can you call them?"
    post(chat, ada, "No mentions")
    last = events_of(chat.client, chat.tenant_id, ada)[-1][1]
    assert "notify" not in last


def test_read_markers_and_the_badge_per_worker(chat):
    ada, bob = customer(chat, "Ada"), customer(chat, "Bob")
    manager = as_worker(chat, worker(chat, "Max Admin", "ADMIN"))
    one = post(chat, ada, "One")
    two = post(chat, ada, "Two")
    post(manager, ada, "Mine")
    assert tab(chat, ada)["unreadCount"] == 1 and tab(chat, ada)["badge"] == 1
    seen = tab(manager, ada)
    assert seen["unreadCount"] == seen["badge"] == 2 and seen["threads"][0]["unreadCount"] == 2
    thread = one["threadId"]
    manager.ok("markChatRead", {"threadId": thread, "upToId": one["id"]}, "thread { id }")
    assert tab(manager, ada)["unreadCount"] == 1
    manager.ok("markChatRead", {"threadId": thread, "upToId": two["id"]}, "thread { id }")
    manager.ok("markChatRead", {"threadId": thread, "upToId": one["id"]}, "thread { id }")
    seen = tab(manager, ada)
    assert seen["unreadCount"] == 0 and seen["threads"][0]["lastReadMessageId"] == two["id"]
    three = post(chat, ada, "Three")
    chat.ok("deleteChatMessage", {"id": three["id"]}, "deletedId")
    assert tab(manager, ada)["unreadCount"] == 0  # deleted ones are not unread
    assert tab(manager, bob)["unreadCount"] == 0
    elsewhere = post(chat, bob, "Bob's")
    wrong = manager.mutate(
        "markChatRead", {"threadId": thread, "upToId": elsewhere["id"]}, "thread { id }"
    )
    assert [e["code"] for e in wrong["userErrors"]] == ["NOT_FOUND"]


def test_idempotency_key_answers_the_first_message(chat):
    ada = customer(chat, "Ada")
    first = post(chat, ada, "Once", idempotencyKey="k-1")
    again = post(chat, ada, "Once", idempotencyKey="k-1")
    assert again["id"] == first["id"]
    reused = chat.mutate(
        "postChatMessage", {"customerId": ada, "body": "Other", "idempotencyKey": "k-1"}, ""
    )
    assert [e["code"] for e in reused["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert tab(chat, ada)["messages"]["totalCount"] == 1


def test_hidden_customers_other_tenants_and_permissions(chat, other_api):
    ada = customer(chat, "Ada")
    message = post(chat, ada, "Secret")
    other_api.enable("chat")
    theirs = other_api.query("query($id: ID!) { node(id: $id) { id } }", id=message["id"])["node"]
    assert theirs is None
    wrong = other_api.mutate("deleteChatMessage", {"id": message["id"]}, "deletedId")
    assert [e["code"] for e in wrong["userErrors"]] == ["NOT_FOUND"]
    agent = as_worker(chat, worker(chat, "Ann Agent"))
    assert agent.query("query($id: ID!) { node(id: $id) { id } }", id=message["id"])["node"] is None
    hidden = agent.mutate("postChatMessage", {"customerId": ada, "body": "x"}, "message { id }")
    assert [e["code"] for e in hidden["userErrors"]] == ["NOT_FOUND"]
    read = agent.mutate(
        "markChatRead", {"threadId": message["threadId"], "upToId": message["id"]}, "thread { id }"
    )
    assert [e["code"] for e in read["userErrors"]] == ["NOT_FOUND"]
    change = {
        "workerId": gid("Worker", agent.worker_id),
        "permission": "chat.view",
        "granted": False,
    }
    chat.ok("assignWorkers", {"customerId": ada, "workerIds": [change["workerId"]]})
    chat.ok("setWorkerPermission", change, "table { permissions }")
    errors = agent.errors("query($id: ID!) { customer(id: $id) { chat { unreadCount } } }", id=ada)
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"


def test_merge_moves_the_chat_and_export_holds_it(chat):
    ada, bob = customer(chat, "Ada"), customer(chat, "Bob")
    post(chat, ada, "From Ada")
    post(chat, bob, "From Bob")
    chat.ok("mergeCustomers", {"sourceId": ada, "targetId": bob}, "customer { id }")
    seen = tab(chat, bob)
    assert seen["messages"]["totalCount"] == 2 and len(seen["threads"]) == 2


def test_a_page_of_12_customers_costs_what_a_page_of_3_does(chat, engine):
    manager = as_worker(chat, worker(chat, "Max Admin", "ADMIN"))
    made = chat.many("createCustomer", [{"name": f"C{i:02}"} for i in range(12)], "customer { id }")
    inputs = [
        {"customerId": c["customer"]["id"], "body": f"Hi {i}"}
        for i, c in enumerate(made)
        for _ in range(1 + i % 3)
    ]
    chat.many("postChatMessage", inputs, "message { id }")
    page = """query($first: Int) { customers(first: $first) { nodes { id
      chat { unreadCount threads { id title unreadCount createdBy { id } }
             messages(first: 2) { nodes { id body author { id } mentions { id } } totalCount } }
      profileTabs { key badgeCount } } } }"""
    manager.query(page, first=1)
    with count_statements(engine) as three:
        small = manager.query(page, first=3)["customers"]["nodes"]
    with count_statements(engine) as twelve:
        large = manager.query(page, first=12)["customers"]["nodes"]
    print(f"statements: first 3 -> {three.count}, first 12 -> {twelve.count}")
    assert len(small) == 3 and len(large) == 12
    assert three.count == twelve.count, (three.statements, twelve.statements)
    for node in large:
        badge = {t["key"]: t["badgeCount"] for t in node["profileTabs"]}["chat"]
        assert node["chat"]["unreadCount"] == badge == node["chat"]["messages"]["totalCount"]
