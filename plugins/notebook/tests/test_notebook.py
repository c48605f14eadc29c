"""The notebook module through the HTTP API: writing, editing, pinning and deleting notes,
who may change whose note, mentions, the Notes tab and its badge, the timeline, node
lookups, visibility and tenancy, merging and export, demo data, races on mentions and a
statement count without N+1."""

import asyncio

import httpx2
import pytest
from sqlalchemy import select

from core.models import Customer
from plugins.notebook import demo
from tests.fixtures import run
from tests.support import Api, as_worker, count_statements, gid, pk_of
from tests.support import create_customer as customer
from tests.support import create_worker as worker

NOTE = "id body pinned createdAt updatedAt editedAt author { id name } customer { id } "
NOTE += "mentions { id name } viewerCanChange"

TAB = """
query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    notes
    notebook {
      pinnedCount
      notes(first: $first, after: $after) {
        nodes { body pinned }
        pageInfo { hasNextPage hasPreviousPage endCursor }
        totalCount
      }
    }
  }
}"""
MENTIONING_ME = """
query($first: Int, $after: String) {
  notesMentioningMe(first: $first, after: $after) {
    nodes { body customer { name } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}"""
TIMELINE = """
query($id: ID!) { customer(id: $id) { timeline(first: 50) { nodes { action data summary } } } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on Note { body pinned } } }"
TABS = "query($id: ID!) { customer(id: $id) { profileTabs { key title badgeCount } } }"


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("notebook")
    return api


def add(api: Api, customer_id: str, body: str = "Called, all good.", **fields) -> dict:
    return api.mutate(
        "addNote", {"customerId": customer_id, "body": body, **fields}, f"note {{ {NOTE} }}"
    )


def added(api: Api, customer_id: str, body: str = "Called, all good.", **fields) -> dict:
    payload = add(api, customer_id, body, **fields)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["note"]


def update(api: Api, note_id: str, **changes) -> dict:
    return api.mutate("updateNote", {"id": note_id, **changes}, f"note {{ {NOTE} }}")


def errors_of(payload: dict) -> list[tuple]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def tab(api: Api, customer_id: str, **variables) -> dict:
    return api.query(TAB, id=customer_id, **variables)["customer"]


def bodies(api: Api, customer_id: str) -> list[str]:
    return [n["body"] for n in tab(api, customer_id)["notebook"]["notes"]["nodes"]]


def actions(api: Api, customer_id: str) -> list[tuple[str, dict]]:
    nodes = api.query(TIMELINE, id=customer_id)["customer"]["timeline"]["nodes"]
    return [(n["action"], n["data"]) for n in reversed(nodes) if n["action"].startswith("note.")]


# --- module switch, and core's `notes` ---------------------------------------------------------


def test_disabled_module_is_named_and_disabling_keeps_the_notes(api):
    ada = customer(api)
    (error,) = api.errors(
        "query($id: ID!) { customer(id: $id) { notebook { pinnedCount } } }", id=ada
    )
    assert (error["extensions"]["code"], error["extensions"]["module"]) == (
        "MODULE_DISABLED",
        "notebook",
    )
    api.enable("notebook")
    added(api, ada, "kept")
    api.ok("disableModule", {"module": "notebook"}, "modules { name }")
    (error,) = api.errors("{ notesMentioningMe { totalCount } }")
    assert error["extensions"]["code"] == "MODULE_DISABLED"
    api.enable("notebook")
    assert bodies(api, ada) == ["kept"]


def test_core_notes_text_and_the_notebook_live_side_by_side(owner):
    ada = customer(owner, notes="Summary: prefers email.")
    added(owner, ada, "A first note")
    owner.ok("updateCustomer", {"id": ada, "notes": "Summary: prefers phone."})
    page = tab(owner, ada)
    assert page["notes"] == "Summary: prefers phone."
    assert [n["body"] for n in page["notebook"]["notes"]["nodes"]] == ["A first note"]


# --- writing -------------------------------------------------------------------------------------


def test_a_note_keeps_its_markdown_exactly_as_written(owner):
    ada = customer(owner)
    body = "    indented code\n\n# Title\n\n<script>alert(1)</script> **bold**  \n"
    note = added(owner, ada, body)
    assert note["body"] == body
    assert note["pinned"] is False and note["editedAt"] is None
    assert note["createdAt"] == note["updatedAt"]
    assert note["author"] == {"id": gid("Worker", owner.worker_id), "name": "Olivia Owner"}
    assert note["customer"] == {"id": ada}
    assert note["mentions"] == [] and note["viewerCanChange"] is True
    assert owner.query(NODE, id=note["id"]) == {"node": {"body": body, "pinned": False}}


def test_bad_input_is_reported_whole_and_writes_nothing(owner, other_api):
    ada = customer(owner)
    sam = worker(owner, "Sam Agent")
    stranger = worker(other_api, "Stranger")
    payload = add(owner, ada, " \n ", mentionIds=[sam, stranger, "garbage"])
    assert payload["note"] is None
    assert errors_of(payload) == [
        (["input", "body"], "REQUIRED"),
        (["input", "mentionIds", "1"], "NOT_FOUND"),
        (["input", "mentionIds", "2"], "NOT_FOUND"),
    ]
    assert errors_of(add(owner, ada, "x" * 20_001)) == [(["input", "body"], "TOO_LONG")]
    assert add(owner, ada, "x" * 20_000)["userErrors"] == []
    too_many = [gid("Worker", i) for i in range(1, 52)]
    assert errors_of(add(owner, ada, "hi", mentionIds=too_many)) == [
        (["input", "mentionIds"], "TOO_MANY")
    ]
    for foreign in (customer(other_api, "Not yours"), "nope", gid("Customer", 2**31 - 1)):
        assert errors_of(add(owner, foreign)) == [(["input", "customerId"], "NOT_FOUND")]
    assert tab(owner, ada)["notebook"]["notes"]["totalCount"] == 1


def test_pinned_first_then_newest_in_pages_with_counts_and_badge(owner):
    ada = customer(owner)
    for i in range(5):
        added(owner, ada, f"n{i}", pinned=i in (1, 3))
    got, after = [], None
    while True:
        page = tab(owner, ada, first=2, after=after)["notebook"]
        assert page["pinnedCount"] == 2 and page["notes"]["totalCount"] == 5
        assert page["notes"]["pageInfo"]["hasPreviousPage"] == (after is not None)
        got += [(n["body"], n["pinned"]) for n in page["notes"]["nodes"]]
        if not page["notes"]["pageInfo"]["hasNextPage"]:
            break
        after = page["notes"]["pageInfo"]["endCursor"]
    assert got == [("n3", True), ("n1", True), ("n4", False), ("n2", False), ("n0", False)]
    tabs = owner.query(TABS, id=ada)["customer"]["profileTabs"]
    assert {"key": "notebook", "title": "Notes", "badgeCount": 5} in tabs
    (error,) = owner.errors(TAB, id=ada, after="garbage")
    assert error["extensions"]["problems"][0]["code"] == "INVALID_CURSOR"


# --- changing -------------------------------------------------------------------------------------


def test_update_changes_only_what_is_sent_and_pinning_moves_it_up(owner):
    ada = customer(owner)
    sam, max_ = worker(owner, "Sam Agent"), worker(owner, "Max Manager", "MANAGER")
    old = added(owner, ada, "old")
    note = added(owner, ada, "first words", mentionIds=[sam, max_])
    assert [w["name"] for w in note["mentions"]] == ["Max Manager", "Sam Agent"]
    pinned = update(owner, old["id"], pinned=True)["note"]
    assert (pinned["body"], pinned["pinned"], pinned["editedAt"]) == ("old", True, None)
    assert bodies(owner, ada) == ["old", "first words"]
    me = gid("Worker", owner.worker_id)
    edited = update(owner, note["id"], body="second words", mentionIds=[max_, me, max_])["note"]
    assert edited["body"] == "second words" and edited["editedAt"] is not None
    assert [w["name"] for w in edited["mentions"]] == ["Max Manager", "Olivia Owner"]
    cleared = update(owner, note["id"], mentionIds=None)["note"]
    assert cleared["mentions"] == [] and cleared["body"] == "second words"
    assert errors_of(update(owner, note["id"], body=None, pinned=None)) == [
        (["input", "body"], "REQUIRED"),
        (["input", "pinned"], "REQUIRED"),
    ]
    missing = gid("Note", 999_999)
    assert errors_of(update(owner, missing, pinned=True)) == [(["input", "id"], "NOT_FOUND")]
    deleted = owner.ok("deleteNote", {"id": note["id"]}, "deletedId")
    assert deleted["deletedId"] == note["id"]
    assert owner.query(NODE, id=note["id"]) == {"node": None}
    assert errors_of(owner.mutate("deleteNote", {"id": note["id"]})) == [
        (["input", "id"], "NOT_FOUND")
    ]
    assert bodies(owner, ada) == ["old"]


def test_events_show_on_the_timeline(owner):
    ada = customer(owner)
    sam = worker(owner, "Sam Agent")
    note = added(owner, ada, "hello", mentionIds=[sam])
    update(owner, note["id"], pinned=True)
    update(owner, note["id"], pinned=True, body="hello")  # nothing changes: no event
    update(owner, note["id"], body="hello again", mentionIds=[sam, gid("Worker", owner.worker_id)])
    update(owner, note["id"], pinned=False)
    owner.ok("deleteNote", {"id": note["id"]})
    note_id = pk_of(note["id"])
    asked = {
        "workerIds": [pk_of(sam)],
        "kind": "mention",
        "title": "You were mentioned in a note on Ada",
    }
    assert actions(owner, ada) == [
        ("note.added", {"noteId": note_id, "pinned": False}),
        ("note.mentioned", {"noteId": note_id, "workerIds": [pk_of(sam)], "notify": asked}),
        ("note.pinned", {"noteId": note_id}),
        ("note.updated", {"noteId": note_id, "changed": ["body", "mentions"]}),
        ("note.mentioned", {"noteId": note_id, "workerIds": [owner.worker_id]}),
        ("note.unpinned", {"noteId": note_id}),
        ("note.deleted", {"noteId": note_id}),
    ]
    summaries = owner.query(TIMELINE, id=ada)["customer"]["timeline"]["nodes"]
    assert "Note pinned" in [s["summary"] for s in summaries]


FEED = "{ myNotifications { all(first: 20) { nodes { kind title body customer { id } } } } }"


def mentions(api: Api) -> list[dict]:
    """The worker's MENTION notifications, newest first (assigning Ada made another kind)."""
    nodes = api.query(FEED)["myNotifications"]["all"]["nodes"]
    return [n for n in nodes if n["kind"] == "MENTION"]


def test_mentions_notify_the_mentioned_workers_who_see_the_customer(owner):
    """Through notifications' `notify` contract: the mentioned anew, never the writer, only
    those who may see the customer, once per mention."""
    owner.enable("notifications")
    sam, kim = worker(owner, "Sam Agent"), worker(owner, "Kim Agent")
    ada = customer(owner, "Ada Lovelace", workerIds=[sam])  # Kim, an agent, cannot see Ada
    agent, other = as_worker(owner, sam), as_worker(owner, kim)
    me = gid("Worker", owner.worker_id)
    note = added(owner, ada, "Call her back", mentionIds=[sam, kim, me])
    update(owner, note["id"], body="Call her back today", mentionIds=[sam, kim, me])  # no one anew
    assert mentions(agent) == [
        {
            "kind": "MENTION",
            "title": "You were mentioned in a note on Ada Lovelace",
            "body": None,
            "customer": {"id": ada},
        }
    ]
    assert mentions(other) == [] and mentions(owner) == []
    update(owner, note["id"], mentionIds=[me])
    update(owner, note["id"], mentionIds=[me, sam])  # mentioned anew: a second one
    assert len(mentions(agent)) == 2
    mine = added(agent, ada, "Noted", mentionIds=[sam, me])  # Sam mentions himself: no
    assert len(mine["mentions"]) == 2
    assert len(mentions(agent)) == 2 and len(mentions(owner)) == 1


# --- who may change what -----------------------------------------------------------------------


def test_authors_change_their_own_notes_and_managers_everyone_s(owner):
    sam, max_ = worker(owner, "Sam Agent"), worker(owner, "Max Manager", "MANAGER")
    ada = customer(owner, workerIds=[sam, max_])
    agent, manager = as_worker(owner, sam), as_worker(owner, max_)
    mine = added(agent, ada, "sam's")
    theirs = added(owner, ada, "owner's")
    assert update(agent, mine["id"], body="sam's, edited")["note"]["viewerCanChange"] is True
    page = agent.query(
        "query($id: ID!) { customer(id: $id) { notebook { notes { nodes { body viewerCanChange } "
        "} } } }",
        id=ada,
    )["customer"]["notebook"]["notes"]["nodes"]
    assert {n["body"]: n["viewerCanChange"] for n in page} == {
        "sam's, edited": True,
        "owner's": False,
    }
    for name, input in (
        ("updateNote", {"id": theirs["id"], "pinned": True}),
        ("updateNote", {"id": theirs["id"], "body": "mine now"}),
        ("deleteNote", {"id": theirs["id"]}),
    ):
        (error,) = agent.errors(
            f"mutation($i: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $i) "
            "{ userErrors { code } } }",
            i=input,
        )
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "notebook.manage_all" in error["message"]
    assert sorted(bodies(owner, ada)) == ["owner's", "sam's, edited"]
    assert tab(owner, ada)["notebook"]["pinnedCount"] == 0
    assert update(manager, mine["id"], pinned=True)["note"]["pinned"] is True
    manager.ok("deleteNote", {"id": theirs["id"]})
    agent.ok("deleteNote", {"id": mine["id"]})
    assert bodies(owner, ada) == []


def test_without_permissions_nothing_is_read_or_written(owner):
    sam = worker(owner, "Sam Agent")
    ada = customer(owner, workerIds=[sam])
    agent = as_worker(owner, sam)
    note = added(agent, ada, "mine")
    for permission in ("notebook.write", "notebook.view"):
        owner.ok("setRolePermission", {"role": "AGENT", "permission": permission, "granted": False})
    for query, variables in (
        (
            "mutation($i: AddNoteInput!) { addNote(input: $i) { note { id } } }",
            {"i": {"customerId": ada, "body": "x"}},
        ),
        (
            "mutation($i: UpdateNoteInput!) { updateNote(input: $i) { note { id } } }",
            {"i": {"id": note["id"], "body": "x"}},
        ),
        ("query($id: ID!) { customer(id: $id) { notebook { pinnedCount } } }", {"id": ada}),
        ("{ notesMentioningMe { totalCount } }", {}),
    ):
        (error,) = agent.errors(query, **variables)
        assert error["extensions"]["code"] == "FORBIDDEN", query
    assert bodies(owner, ada) == ["mine"]


# --- mentions, visibility, tenancy ---------------------------------------------------------------


def test_notes_mentioning_me_only_of_customers_i_see(owner, other_api):
    sam = worker(owner, "Sam Agent")
    agent = as_worker(owner, sam)
    mine, hidden = customer(owner, "Mine", workerIds=[sam]), customer(owner, "Hidden")
    added(owner, mine, "for sam, older", mentionIds=[sam])
    added(owner, mine, "not for sam")
    secret = added(owner, hidden, "for sam, hidden", mentionIds=[sam])
    added(owner, mine, "for sam, newer", mentionIds=[sam])
    page = agent.query(MENTIONING_ME, first=1)["notesMentioningMe"]
    assert page["totalCount"] == 2 and page["pageInfo"]["hasNextPage"]
    rest = agent.query(MENTIONING_ME, after=page["pageInfo"]["endCursor"])["notesMentioningMe"]
    assert [n["body"] for n in page["nodes"] + rest["nodes"]] == [
        "for sam, newer",
        "for sam, older",
    ]
    assert rest["nodes"][0]["customer"] == {"name": "Mine"}
    assert owner.query(MENTIONING_ME)["notesMentioningMe"]["totalCount"] == 0
    assert agent.query(NODE, id=secret["id"]) == {"node": None}
    for name, input in (
        ("updateNote", {"id": secret["id"], "pinned": True}),
        ("deleteNote", {"id": secret["id"]}),
    ):
        assert errors_of(agent.mutate(name, input)) == [(["input", "id"], "NOT_FOUND")]
    assert errors_of(add(agent, hidden)) == [(["input", "customerId"], "NOT_FOUND")]
    other_api.enable("notebook")
    assert other_api.query(NODE, id=secret["id"]) == {"node": None}
    for name, input in (
        ("updateNote", {"id": secret["id"], "body": "mine now"}),
        ("deleteNote", {"id": secret["id"]}),
    ):
        assert errors_of(other_api.mutate(name, input)) == [(["input", "id"], "NOT_FOUND")]
    assert owner.query(NODE, id=secret["id"]) == {
        "node": {"body": "for sam, hidden", "pinned": False}
    }


def test_removing_a_worker_keeps_their_notes(owner):
    sam = worker(owner, "Sam Agent")
    ada = customer(owner, workerIds=[sam])
    note = added(as_worker(owner, sam), ada, "by sam", mentionIds=[sam])
    owner.ok("deleteWorker", {"id": sam})
    (left,) = owner.query(
        "query($id: ID!) { customer(id: $id) { notebook { notes { nodes { id author { id } "
        "mentions { id } } } } } }",
        id=ada,
    )["customer"]["notebook"]["notes"]["nodes"]
    assert left == {"id": note["id"], "author": None, "mentions": []}


def test_mentions_written_at_once_never_clash(owner, client):
    ada = customer(owner)
    workers = [worker(owner, f"W{i}") for i in range(4)]
    note = added(owner, ada, "race", mentionIds=workers[:1])
    sets = [workers[i:] for i in range(4)] + [workers[:i] for i in range(1, 4)]
    query = "mutation($i: UpdateNoteInput!) { updateNote(input: $i) { userErrors { code } } }"
    headers = {"Authorization": f"Bearer {owner.token}"}

    async def race():
        transport = httpx2.ASGITransport(app=client.app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
            sent = [
                http.post(
                    "/graphql",
                    json={"query": query, "variables": {"i": {"id": note["id"], "mentionIds": s}}},
                    headers=headers,
                )
                for s in sets
            ]
            return [r.json() for r in await asyncio.gather(*sent)]

    results = run(client, race)
    assert all(r.get("data", {}).get("updateNote") == {"userErrors": []} for r in results), results
    final = owner.query(
        "query($id: ID!) { node(id: $id) { ... on Note { mentions { id } } } }", id=note["id"]
    )["node"]["mentions"]
    assert sorted(w["id"] for w in final) in [sorted(s) for s in sets]


# --- merging, export, demo ---------------------------------------------------------------------


def test_merging_moves_notes_and_export_shows_them(owner):
    source, target = customer(owner, "Ada L."), customer(owner, "Ada Lovelace")
    sam = worker(owner, "Sam Agent")
    added(owner, source, "from the duplicate", pinned=True, mentionIds=[sam])
    added(owner, target, "original")
    owner.ok("mergeCustomers", {"sourceId": source, "targetId": target}, "customer { id }")
    assert bodies(owner, target) == ["from the duplicate", "original"]
    data = owner.query("query($id: ID!) { customerExport(id: $id) }", id=target)["customerExport"]
    exported = data["modules"]["notebook"]
    assert [(n["body"], n["pinned"], n["mention_ids"]) for n in exported] == [
        ("from the duplicate", True, [pk_of(sam)]),
        ("original", False, []),
    ]
    assert exported[0]["author_id"] == owner.worker_id


def test_demo_seeds_notes(owner, client):
    worker(owner, "Sam Agent")
    for i in range(12):
        customer(owner, f"D{i:02d}")

    async def seed():
        async with client.app.state.db.transaction() as session:
            query = select(Customer.id).where(Customer.tenant_id == owner.tenant_id)
            ids = list(await session.scalars(query.order_by(Customer.id)))
            await demo.seed(session, owner.tenant_id, ids, 7)

    run(client, seed)
    page = owner.query(
        "{ customers(first: 20) { nodes { notebook { pinnedCount notes { totalCount nodes "
        "{ body author { name } mentions { name } } } } } } }"
    )["customers"]["nodes"]
    notes = [n for c in page for n in c["notebook"]["notes"]["nodes"]]
    assert 3 <= len(notes) <= 9
    assert all(n["author"] and n["body"] for n in notes)


# --- cost ----------------------------------------------------------------------------------------

PAGE = """
query($first: Int) {
  customers(first: $first) {
    nodes {
      name
      profileTabs { key badgeCount }
      notebook {
        pinnedCount
        notes(first: 3) {
          totalCount
          nodes { body pinned author { name } mentions { name } customer { name } }
        }
      }
    }
  }
}"""


def test_a_page_of_12_customers_costs_what_a_page_of_3_does(owner, engine):
    # 12 against 3 shows a count that does not grow with the page as well as 50 against 5
    # would (no batch size or cut-off below 12 on this path), and the set-up takes a few
    # requests of aliased mutations instead of ~110.
    sam = worker(owner, "Sam Agent")
    names = [{"name": f"C{i:02}"} for i in range(12)]
    ids = [p["customer"]["id"] for p in owner.many("createCustomer", names, "customer { id }")]
    notes = [
        {
            "customerId": c,
            "body": f"N{i}",
            "pinned": i % 3 == 0,
            "mentionIds": [sam] if i % 2 else [],
        }
        for i, c in enumerate(ids)
    ]
    notes += [{"customerId": c, "body": f"M{i}"} for i, c in enumerate(ids) if i % 5 == 0]
    owner.many("addNote", notes)
    owner.query(PAGE, first=1)
    with count_statements(engine) as three:
        small = owner.query(PAGE, first=3)["customers"]["nodes"]
    with count_statements(engine) as twelve:
        large = owner.query(PAGE, first=12)["customers"]["nodes"]
    print(f"statements: first 3 -> {three.count}, first 12 -> {twelve.count}")
    assert len(small) == 3 and len(large) == 12
    assert three.count == twelve.count, (three.statements, twelve.statements)
    for node in large:
        notebook = node["notebook"]
        badge = {t["key"]: t["badgeCount"] for t in node["profileTabs"]}["notebook"]
        assert badge == notebook["notes"]["totalCount"] == len(notebook["notes"]["nodes"])
        assert notebook["pinnedCount"] == sum(n["pinned"] for n in notebook["notes"]["nodes"])
    assert any(n["notebook"]["notes"]["nodes"][0]["mentions"] for n in large)
