"""`customer(id:) { timeline(…) }` through the compiled path (`schema/compiled/timeline.py`)
against the resolver, on both databases: every core event's sentence with the worker who did
it, with none, with one renamed since, removed since or nameless, the modules' sentences,
pages walked with `after`, `filter.actions`, as the owner and as an agent who may not open
a module. The sentences are also held to `core.summaries.summary` of the worker's current
name, so the stored columns say what the Python functions say."""

import pytest

from core.models import EventRecord
from core.summaries import CORE_SUMMARIES, summary
from tests.fixtures import run
from tests.support import Api, count_statements, create_worker, gid, pk_of, token_for
from tests.test_compiled import ROOT, both, demo, paths, workers  # noqa: F401 (fixtures)

pytestmark = pytest.mark.seeded_demo  # the demo is in the databases from the start

TIMELINE = """
query($id: ID!, $first: Int, $after: String, $actions: [String!]) {
  customer(id: $id) {
    id name
    timeline(first: $first, after: $after, filter: {actions: $actions}) {
      __typename
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id action occurredAt summary data actor { id name role } } }
      nodes { __typename id summary ... on TimelineEntry { when: occurredAt } }
    }
  }
}"""
PROFILE = """
query($id: ID!) {
  customer(id: $id) {
    id version name status { id name }
    timeline(first: 20) {
      pageInfo { hasNextPage endCursor }
      nodes { id action occurredAt summary actor { id name } }
    }
  }
}"""

A, B, C = ({"id": n, "name": name} for n, name in ((1, "VIP"), (2, "Gold"), (3, "Cold")))
LINKS = [
    {"added": [A, B], "removed": [C]},
    {"removed": [A]},
    {"added": [{"id": 5}]},
    {"added": [A, B, C, A, B]},
    {"changed_links": "customer_folders"},
    {"changed_links": "customer_tags"},
    {},
]
SHAPES: dict[str, list[dict]] = {
    "customer.updated": [
        {"changed": ["city", "follow_up_at"]},
        {"changed": ["a", "b", "c", "d", "e", "f"]},
        {"changed": []},
        {"changed_links": "customer_workers"},
        {},
    ],
    "customer.status_changed": [{"from": A, "to": B}, {"to": B}, {"from": A}, {}],
    "customer.folder_status_changed": [
        {"folder": C, "from": A, "to": B},
        {"folder": C, "to": B},
        {"to": B},
        {},
    ],
    "customer.folder_changed": LINKS,
    "customer.tags_changed": LINKS,
    "customer.workers_changed": LINKS,
    "customer.contact_added": [{"contact": A}, {}],
    "customer.contact_updated": [{"contact": A, "changed": ["email"]}, {}],
    "customer.contact_removed": [{"contact": A}, {}],
    "customer.primary_contact_changed": [{"from": A, "to": B}, {"from": A}, {"to": B}, {}],
}
MODULE_EVENTS = [
    ("ticket.opened", {"ticketId": 1, "number": 1003}),
    ("ticket.status_changed", {"number": 1003, "from": "OPEN", "to": "IN_PROGRESS"}),
    ("ticket.commented", {"number": 1003, "title": "Tried turning it off and on " * 5}),
    ("payment.received", {"amount": 5000, "currency": "EUR", "note": "é\u2028\"'", "f": 1.5}),
    ("payment.refunded", {"amount": {"amount": -1234, "currency": "KWD"}, "n": None}),
    ("invoice.issued", {"number": "INV-000042", "nested": {"b": [1, 2, {"c": True}]}}),
]


def insert_events(client, rows: list[dict]) -> None:
    async def work():
        async with client.app.state.db.transaction() as session:
            session.add_all(EventRecord(**row) for row in rows)

    run(client, work)


def set_name(client, worker_id: int, name: str) -> None:
    """A nameless worker cannot be made through the API: only such old rows have one."""
    from sqlalchemy import update

    from core.models import Worker

    async def work():
        async with client.app.state.db.transaction() as session:
            await session.execute(update(Worker).where(Worker.id == worker_id).values(name=name))

    run(client, work)


@pytest.fixture
def history(api: Api) -> dict:
    """A customer with every core event's data shapes, each by the owner, a worker renamed
    since, a worker removed since, a nameless one and nobody; module events; an agent
    assigned to it who may not open tickets."""
    api.enable("tickets", "payments")
    ada = api.ok("createCustomer", {"name": "Ada"}, "customer { id }")["customer"]["id"]
    api.ok("updateCustomer", {"id": ada, "city": "Paris"})
    renamed = create_worker(api, "Rita Before", "MANAGER")
    removed = create_worker(api, "Gone Soon", "MANAGER")
    nameless = create_worker(api, "Nameless", "MANAGER")
    agent = create_worker(api, "Ann Agent", "AGENT")
    api.ok("assignWorkers", {"customerId": ada, "workerIds": [agent]})
    actors = [api.worker_id, pk_of(renamed), pk_of(removed), pk_of(nameless), None]
    rows = []
    for action, shapes in SHAPES.items():
        for data in shapes:
            for actor in actors:
                rows.append({"action": action, "data": data, "actor_id": actor})
    for action in CORE_SUMMARIES:
        if action not in SHAPES:
            rows += [{"action": action, "data": {}, "actor_id": actor} for actor in actors]
    for action, data in MODULE_EVENTS:
        rows += [{"action": action, "data": data, "actor_id": a} for a in (api.worker_id, None)]
    base = {"tenant_id": api.tenant_id, "customer_id": pk_of(ada)}
    insert_events(api.client, [{**base, **row} for row in rows])
    api.ok("updateWorker", {"id": renamed, "name": "Rita After"})
    api.ok("deleteWorker", {"id": removed}, "deletedId")
    set_name(api.client, pk_of(nameless), "")
    api.ok("setRolePermission", {"role": "AGENT", "permission": "tickets.view", "granted": False})
    tokens = {"owner": api.token, "agent": token_for(api.tenant_id, pk_of(agent))}
    return {"customer": ada, "tokens": tokens, "rows": len(rows)}


def walk(paths, token: str, customer: str, first: int, **variables) -> list[dict]:  # noqa: F811
    """Every entry, page by page, each page answered alike and compiled."""
    seen, after = [], None
    while True:
        sent = {"id": customer, "first": first, "after": after, **variables}
        path, body = both(paths, token, TIMELINE, sent)
        assert path == "compiled", body
        page = body["data"]["customer"]["timeline"]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert [e["node"]["id"] for e in page["edges"]] == [n["id"] for n in page["nodes"]]
        seen += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]


def test_every_sentence_compiles_and_reads_as_the_resolver_says(paths, api, history):  # noqa: F811
    owner = history["tokens"]["owner"]
    entries = walk(paths, owner, history["customer"], 37)
    assert len(entries) == history["rows"] + 3  # created, updated, workers_changed
    names = {gid("Worker", api.worker_id): "Olivia Owner"}
    for entry in entries:
        actor = entry["actor"]
        if actor is not None:
            assert actor["name"] == names.get(actor["id"], actor["name"])
        name = actor and actor["name"]
        expected = summary(entry["action"], entry["data"], name)
        assert entry["summary"] == expected, entry
    said = {e["summary"] for e in entries}
    assert "Rita After changed the status from VIP to Gold" in said
    assert "Status changed from VIP to Gold" in said  # removed, nameless or nobody
    assert not any(s.startswith(("Rita Before", "Gone Soon", " ")) for s in said)
    assert "Payment of 50.00 EUR received" in said
    assert "Payment of -1.234 KWD refunded" in said


def test_an_agent_sees_no_events_of_a_module_they_may_not_open(paths, history):  # noqa: F811
    agent = history["tokens"]["agent"]
    entries = walk(paths, agent, history["customer"], 100)
    actions = {e["action"] for e in entries}
    assert "payment.received" in actions and not any(a.startswith("ticket.") for a in actions)
    asked = {"actions": ["ticket.opened", "customer.created"]}
    shown = [e["action"] for e in walk(paths, agent, history["customer"], 4, **asked)]
    assert shown == ["customer.created"] * 6  # 5 inserted, 1 made


def test_filter_by_actions_and_odd_pages(paths, history):  # noqa: F811
    owner, customer = history["tokens"]["owner"], history["customer"]
    wanted = ["ticket.opened", "customer.tags_changed", "no.such_event"]
    entries = walk(paths, owner, customer, 4, actions=wanted)
    assert {e["action"] for e in entries} == {"ticket.opened", "customer.tags_changed"}
    assert walk(paths, owner, customer, 3, actions=["no.such_event"]) == []
    assert len(walk(paths, owner, customer, 100, actions=[])) == history["rows"] + 3
    for variables in ({"first": 0}, {"first": 1}, {}):
        path, body = both(paths, owner, TIMELINE, {"id": customer, **variables})
        assert path == "compiled", body
    for variables, code in (({"first": 101}, "PAGE_SIZE"), ({"after": "junk"}, "INVALID_CURSOR")):
        path, body = both(paths, owner, TIMELINE, {"id": customer, **variables})
        assert path == "fallback"
        assert body["errors"][0]["extensions"]["problems"][0]["code"] == code


def test_the_profile_timeline_adds_no_statement(paths, api, history):  # noqa: F811
    compiled, customer = paths[0], history["customer"]
    headers = {"Authorization": f"Bearer {api.token}"}

    def statements(query: str) -> int:
        sent = {"query": query, "variables": {"id": customer}}
        compiled.post("/graphql", json=sent, headers=headers)
        with count_statements(compiled.app.state.db.engine) as counter:
            body = compiled.post("/graphql", json=sent, headers=headers).json()
        assert body["extensions"]["execution"] == "compiled", body
        return counter.count

    without = PROFILE.split("    timeline")[0] + "  }\n}"
    assert statements(PROFILE) == statements(without)
    assert both(paths, api.token, PROFILE, {"id": customer})[0] == "compiled"


FALLBACK = {
    "a count": "query($id: ID!) { customer(id: $id) { timeline { totalCount } } }",
    "two timelines": (
        "query($id: ID!) { customer(id: $id) { a: timeline(first: 1) { nodes { id } } "
        "b: timeline(first: 2) { nodes { id } } } }"
    ),
    "on a list": "{ customers(first: 2) { nodes { timeline(first: 1) { nodes { id } } } } }",
}


def test_what_the_compiled_timeline_leaves_to_the_resolver(paths, history):  # noqa: F811
    for name, query in FALLBACK.items():
        path, _ = both(paths, history["tokens"]["owner"], query, {"id": history["customer"]})
        assert path == "fallback", name


def test_a_customer_the_agent_may_not_see_has_no_timeline(paths, api):  # noqa: F811
    hidden = api.ok("createCustomer", {"name": "Hidden"}, "customer { id }")["customer"]["id"]
    agent = token_for(api.tenant_id, pk_of(create_worker(api, "Al Agent", "AGENT")))
    path, body = both(paths, agent, TIMELINE, {"id": hidden})
    assert path == "compiled" and body["data"] == {"customer": None}


def test_rows_without_stored_sentences_read_alike_and_the_backfill_fills_them(
    paths,  # noqa: F811
    api,
    history,
):
    """Rows written before migration 0019 (its backfill is `core.summaries.backfill`): the
    resolver works their sentences out; once filled, the compiled path says the same."""
    from sqlalchemy import update

    from core.summaries import backfill

    owner, customer = history["tokens"]["owner"], history["customer"]
    before = walk(paths, owner, customer, 100)
    fallback = paths[1]

    async def forget():
        async with api.client.app.state.db.transaction() as session:
            await session.execute(
                update(EventRecord)
                .where(EventRecord.customer_id == pk_of(customer))
                .values(summary=None, summary_rest=None)
            )

    async def fill() -> int:
        async with api.client.app.state.db.transaction() as session:
            connection = await session.connection()
            return await connection.run_sync(lambda sync: backfill(sync, batch=50))

    run(api.client, forget)
    sent = {"query": TIMELINE, "variables": {"id": customer, "first": 100}}
    headers = {"Authorization": f"Bearer {owner}"}
    pages = []
    while True:
        body = fallback.post("/graphql", json=sent, headers=headers).json()
        page = body["data"]["customer"]["timeline"]
        pages += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        sent["variables"]["after"] = page["pageInfo"]["endCursor"]
    assert pages == before
    assert run(api.client, fill) == history["rows"] + 3
    assert walk(paths, owner, customer, 100) == before


def test_the_front_end_profile_compiles_whole(paths, demo, workers):  # noqa: F811
    """`CustomerProfile` of the front-end guide, its timeline included, answers alike."""
    document = (ROOT / "frontend" / "src" / "operations.graphql").read_text()
    profile = "query CustomerProfile" + document.split("query CustomerProfile")[1]
    profile = profile.split("\n}\n")[0] + "\n}\n"
    assert "timeline(first: 20)" in profile and "customFields" in profile, profile
    customers = demo.query("{ customers(first: 3) { nodes { id } } }")["customers"]["nodes"]
    for token in workers.values():
        for customer in customers:
            path, body = both(paths, token, profile, {"id": customer["id"]})
            assert path == "compiled", body
