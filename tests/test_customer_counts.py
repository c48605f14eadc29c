"""`totalCount` from the exact counters (migration 0007) and capped counts: the counters agree
with a computed count after every kind of write, concurrent ones too; a count past
`COUNT_CAP` says it is a lower bound; a counted page costs the same statements whatever its
size. A filter with a second, always-true condition (`EVER`) forces the computed count."""

import asyncio
import random
import uuid

import httpx2
import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from core.database import Database
from core.tenants import create_tenant
from server import create_app
from tests.fixtures import new_tenant, run
from tests.servers import AppServer
from tests.support import SECRET, Api, count_statements, pk_of, token_for
from tests.test_customer_list import (
    LIST_FOR_COUNTING,
    make_customer,
    make_folder,
    make_tag,
    make_worker,
)

EVER = {"createdAt": {"from": "2000-01-01T00:00:00Z"}}
STATUS_IDS = "statuses { id isDefault }"


def count_query(filters: list[dict]) -> tuple[str, dict]:
    """One query counting each filter twice: as given (`c<i>`) and with `EVER` (`x<i>`)."""
    declared, fields, variables = [], [], {}
    for i, f in enumerate(filters):
        for prefix, value in (("c", f), ("x", {**f, **EVER})):
            declared.append(f"${prefix}{i}: CustomerFilter")
            fields.append(
                f"{prefix}{i}: customers(first: 0, filter: ${prefix}{i}) "
                "{ totalCount totalCountIsExact }"
            )
            variables[f"{prefix}{i}"] = value
    return f"query({', '.join(declared)}) {{ {' '.join(fields)} }}", variables


def key_filters(state: dict) -> list[dict]:
    filters = [
        {},
        {"kinds": ["LEAD"]},
        {"kinds": ["CUSTOMER"]},
        {"kinds": ["LEAD", "CUSTOMER"]},
        {"statusIds": state["statuses"][:2]},
    ]
    filters += [{"statusIds": [s]} for s in state["statuses"]]
    filters += [{"folderIds": [f]} for f in state["folders"]]
    filters += [{"tags": {"ids": [t]}} for t in state["tags"]]
    filters += [{"tags": {"ids": state["tags"][:1], "match": "ALL"}}]
    filters += [{"workerIds": [w]} for w in state["workers"]]
    return filters


def assert_counters_exact(api: Api, state: dict) -> dict:
    """Every counter-backed count equals the computed one, for a worker who sees
    sub-customers and one who does not; returns the first one's counts by filter."""
    filters = key_filters(state)
    query, variables = count_query(filters)
    seen = {}
    for token in (api.token, state["hides_subs"]):
        data = _query(api, token, query, variables)
        for i, f in enumerate(filters):
            counted, computed = data[f"c{i}"], data[f"x{i}"]
            assert counted == computed, (f, counted, computed)
            assert counted["totalCountIsExact"], f
            seen.setdefault(repr(f), counted["totalCount"])
    for folder in _query(api, api.token, "{ folders { id customerCount } }", {})["folders"]:
        query, variables = count_query([{"folderIds": [folder["id"]]}])
        computed = _query(api, api.token, query, variables)["x0"]["totalCount"]
        assert folder["customerCount"] == computed, folder
    return seen


def _query(api: Api, token: str, query: str, variables: dict) -> dict:
    response = api.post(query, variables, token=token)
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]


def setup_tenant(api: Api) -> dict:
    """Three folders, tags and workers, four statuses, and an admin who hides sub-customers."""
    statuses = api.query("{ statuses { id isDefault } }")["statuses"]
    paused = {"name": "Paused", "color": "#123456", "category": "ACTIVE"}
    extra = api.ok("createStatus", paused, "status { id }")["status"]["id"]
    admin = make_worker(api, "Hilda Hider")
    api.ok("updateWorker", {"id": admin, "role": "ADMIN"}, "worker { id }")
    hides = token_for(api.tenant_id, pk_of(admin))
    update = (
        "mutation($input: UpdateWorkerInput!) { updateWorker(input: $input) "
        "{ userErrors { code } } }"
    )
    done = _query(api, hides, update, {"input": {"id": admin, "showSubCustomers": False}})
    assert done["updateWorker"]["userErrors"] == []
    return {
        "statuses": [s["id"] for s in statuses] + [extra],
        "default": next(s["id"] for s in statuses if s["isDefault"]),
        "folders": [make_folder(api, f"Folder {i}")["id"] for i in range(3)],
        "tags": [make_tag(api, f"Tag {i}") for i in range(3)],
        "workers": [make_worker(api, f"Worker {i}") for i in range(2)] + [admin],
        "customers": [],  # live ones
        "archived": [],
        "hides_subs": hides,
    }


# Link kinds: (bulk add, bulk remove) mutations.
LINKS = {
    "folders": ("bulkAddCustomerToFolders", "bulkRemoveCustomerFromFolders"),
    "tags": ("bulkAddCustomerTags", "bulkRemoveCustomerTags"),
    "workers": ("bulkAssignWorkers", "bulkUnassignWorkers"),
}


class Mutations:
    """Random writes through the API, covering every path that changes a counter."""

    def __init__(self, api: Api, state: dict, seed: int):
        self.api, self.state, self.rng = api, state, random.Random(seed)

    def some(self, items: list, most: int = 3) -> list:
        return self.rng.sample(items, self.rng.randint(0, min(most, len(items))))

    def one(self) -> str:
        return self.rng.choice(self.state["customers"])

    def create(self, sub: bool = False) -> None:
        s, rng = self.state, self.rng
        fields = {
            "kind": rng.choice(["LEAD", "CUSTOMER"]),
            "statusId": rng.choice(s["statuses"]),
            "folders": [{"folderId": f} for f in self.some(s["folders"])],
            "tagIds": self.some(s["tags"]),
            "workerIds": self.some(s["workers"]),
        }
        if sub and s["customers"]:
            fields["parentId"] = self.one()
            made = self.api.ok("createSubCustomer", {"name": "Sub", **fields}, "customer { id }")
        else:
            made = self.api.ok("createCustomer", {"name": "C", **fields}, "customer { id }")
        s["customers"].append(made["customer"]["id"])

    def link(self, ids: list[str], kind: str, add: bool) -> None:
        chosen = self.some(self.state[kind]) or self.state[kind][:1]
        if kind == "folders":
            value = {"folders": [{"folderId": f} for f in chosen]} if add else {"folderIds": chosen}
        else:
            value = {"tagIds" if kind == "tags" else "workerIds": chosen}
        self.api.ok(LINKS[kind][0 if add else 1], {"customerIds": ids, **value})

    def round(self) -> None:
        """Every kind of write once, in a random order."""
        for action in self.rng.sample(ACTIONS, len(ACTIONS)):
            self.step(action)

    def step(self, action: str) -> None:
        s, rng, api = self.state, self.rng, self.api
        if len(s["customers"]) < 4:
            return self.create()
        ids = self.some(s["customers"], 5) or [self.one()]
        if action in ("create", "sub"):
            self.create(sub=action == "sub")
        elif action == "status":
            api.ok("updateCustomer", {"id": self.one(), "statusId": rng.choice(s["statuses"])})
        elif action == "bulk_status":
            api.ok("bulkSetCustomerStatus", {"customerIds": ids, "statusId": s["statuses"][0]})
        elif action == "kind":
            api.ok("updateCustomer", {"id": self.one(), "kind": rng.choice(["LEAD", "CUSTOMER"])})
        elif action.startswith(("add ", "remove ")):
            verb, kind = action.split()
            self.link(ids, kind, add=verb == "add")
        elif action == "parent":
            child, parent = self.one(), self.one()
            api.mutate("linkSubCustomer", {"id": child, "parentId": parent})  # may be a cycle
        elif action == "unparent":
            api.ok("unlinkSubCustomer", {"id": self.one()})
        elif action == "archive":
            api.ok("bulkArchiveCustomers", {"customerIds": ids})
            s["customers"] = [c for c in s["customers"] if c not in ids]
            s["archived"] += ids
        elif action == "restore" and s["archived"]:
            back = self.some(s["archived"], 4) or s["archived"][:1]
            api.ok("bulkRestoreCustomers", {"customerIds": back})
            s["archived"] = [c for c in s["archived"] if c not in back]
            s["customers"] += back
        elif action == "restore":  # nothing archived yet: there and back
            one = self.one()
            api.ok("archiveCustomer", {"customerId": one})
            api.ok("restoreCustomer", {"customerId": one})
        elif action == "merge":
            source, target = rng.sample(s["customers"], 2)
            merged = api.mutate("mergeCustomers", {"sourceId": source, "targetId": target})
            if not merged["userErrors"]:
                s["customers"].remove(source)
        else:  # an archived customer may be erased too
            victim = rng.choice(s["customers"] + s["archived"])
            api.ok("deleteCustomer", {"id": victim})
            (s["customers"] if victim in s["customers"] else s["archived"]).remove(victim)


ACTIONS = [
    "create", "create", "sub", "status", "bulk_status", "kind", "parent", "unparent", "merge",
    "delete", "archive", "archive", "restore",
    *(f"{verb} {kind}" for verb in ("add", "remove") for kind in LINKS),
]  # fmt: skip


def test_counters_stay_exact_through_every_write_path(api, client, database_url):
    state = setup_tenant(api)
    mutations = Mutations(api, state, seed=11)
    for round_ in range(6):
        mutations.round()
        seen = assert_counters_exact(api, state)
        assert seen["{}"] == len(state["customers"]), round_
        everyone = api.query("{ customers(first: 0, archived: INCLUDE) { totalCount } }")
        assert everyone["customers"]["totalCount"] == len(state["customers"] + state["archived"])
    assert state["archived"], "the rounds archived no one"
    if database_url.startswith("postgresql"):
        fold(client, api.tenant_id)
        assert_counters_exact(api, state)

    # Catalog deletions cascade into the links and move statuses.
    api.ok("deleteFolder", {"id": state["folders"].pop()})
    api.ok("deleteTag", {"id": state["tags"].pop()})
    api.ok("deleteWorker", {"id": state["workers"].pop(1)})
    doomed = next(s for s in state["statuses"] if s != state["default"])
    api.ok("deleteStatus", {"id": doomed})
    state["statuses"].remove(doomed)
    assert_counters_exact(api, state)


def fold(client: TestClient, tenant_id: int) -> None:
    """Fold the tenant's counter rows (PostgreSQL; writes do it now and then themselves)."""

    async def work():
        async with client.app.state.db.transaction() as session:
            await session.execute(text("SELECT customer_counts_fold(:t)"), {"t": tenant_id})
            return (
                await session.execute(
                    text(
                        "SELECT count(*), count(DISTINCT (dimension, ref, sub)) "
                        "FROM customer_counts WHERE tenant_id = :t"
                    ),
                    {"t": tenant_id},
                )
            ).one()

    rows, keys = run(client, work)
    assert rows == keys  # one row per key


def test_counts_past_the_cap_are_a_flagged_lower_bound(settings):
    with TestClient(create_app(settings.model_copy(update={"count_cap": 3}))) as capped:
        api = new_tenant(capped)
        tag = make_tag(api, "VIP")
        for i in range(5):
            make_customer(api, f"Customer {i}", tagIds=[tag] if i < 2 else [])
        query, variables = count_query([{}, {"tags": {"ids": [tag]}}, {"kinds": ["LEAD"]}])
        data = api.query(query, **variables)
        for alias, total, exact in (
            ("c0", 5, True),  # counters: exact past the cap
            ("x0", 3, False),  # counted: stops at the cap
            ("c1", 2, True),
            ("x1", 2, True),
            ("c2", 5, True),
            ("x2", 3, False),
        ):
            assert data[alias] == {"totalCount": total, "totalCountIsExact": exact}, alias


def test_a_counted_page_costs_the_same_statements_at_any_size(api, engine):
    folder = make_folder(api, "Pipeline")["id"]
    tag = make_tag(api, "Hot")
    # 12 against 3 shows a count that does not grow with the page as well as 50 against 5
    # would (no batch size or cut-off below 12 on this path; the count cap is 100,000).
    names = [{"name": f"Member {i:02d}"} for i in range(12)]
    ids = [p["customer"]["id"] for p in api.many("createCustomer", names, "customer { id }")]
    api.ok("bulkAddCustomerToFolders", {"customerIds": ids, "folders": [{"folderId": folder}]})
    api.ok("bulkAddCustomerTags", {"customerIds": ids[::2], "tagIds": [tag]})
    counted = LIST_FOR_COUNTING.replace("nodes {", "totalCount totalCountIsExact nodes {")
    for f in ({"folderIds": [folder]}, {"folderIds": [folder], "tags": {"ids": [tag]}}):
        api.query(counted, first=1, filter=f)  # warm-up
        with count_statements(engine) as three:
            small = api.query(counted, first=3, filter=f)["customers"]
        with count_statements(engine) as twelve:
            large = api.query(counted, first=12, filter=f)["customers"]
        assert small["totalCount"] == large["totalCount"] == (12 if len(f) == 1 else 6)
        assert len(large["nodes"]) == large["totalCount"]
        assert three.count == twelve.count, (three.statements, twelve.statements)
        assert twelve.count <= 13, twelve.statements


# --- concurrent writes against a real server ----------------------------------------------


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    made = AppServer(
        "counts",
        tmp_path_factory.mktemp("counts"),
        {"SECRET_KEY": SECRET, "DATABASE_URL": database_url},
    )
    made.launch()
    try:
        made.wait_ready()
        yield made
    finally:
        made.stop()


async def _tenant(database_url: str) -> tuple[int, int]:
    label = uuid.uuid4().hex[:8]
    db = Database(database_url)
    try:
        async with db.transaction() as session:
            tenant, owner = await create_tenant(
                session, f"Tenant {label}", "Olivia Owner", f"owner-{label}@example.com"
            )
            return tenant.id, owner.id
    finally:
        await db.dispose()


async def _call(http, token: str, query: str, **variables) -> dict:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]


CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  customer { id } userErrors { code } } }"""
DELETE = """mutation($input: DeleteCustomerInput!) { deleteCustomer(input: $input) {
  userErrors { code } } }"""
TAG = """mutation($input: BulkAddCustomerTagsInput!) { bulkAddCustomerTags(input: $input) {
  userErrors { code } } }"""


def test_concurrent_writes_keep_the_counters_exact(server, database_url):
    async def scenario():
        tenant_id, owner_id = await _tenant(database_url)
        token = token_for(tenant_id, owner_id)
        async with httpx2.AsyncClient(base_url=server.url, timeout=30) as http:
            tags = []
            for name in ("A", "B"):
                made = await _call(
                    http,
                    token,
                    'mutation($n: String!) { createTag(input: {name: $n, color: "#111111"}) '
                    "{ tag { id } } }",
                    n=name,
                )
                tags.append(made["createTag"]["tag"]["id"])

            async def client(number: int) -> None:
                mine = []
                for i in range(4):
                    made = await _call(
                        http,
                        token,
                        CREATE,
                        input={"name": f"C{number}-{i}", "tagIds": tags[: i % 3]},
                    )
                    mine.append(made["createCustomer"]["customer"]["id"])
                await _call(http, token, TAG, input={"customerIds": mine, "tagIds": tags[1:]})
                await _call(http, token, DELETE, input={"id": mine[0]})

            await asyncio.gather(*(client(n) for n in range(16)))
            filters = [{}, {"tags": {"ids": tags[:1]}}, {"tags": {"ids": tags[1:]}}]
            query, variables = count_query(filters)
            data = await _call(http, token, query, **variables)
        assert data["c0"]["totalCount"] == 16 * 3
        for i in range(len(filters)):
            assert data[f"c{i}"] == data[f"x{i}"], (filters[i], data)

    asyncio.run(scenario())
