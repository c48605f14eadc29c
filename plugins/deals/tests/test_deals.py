"""The deals module through the HTTP API: the tenant's stages and their rules, deals with
their idempotent creation, versioned moves, won and lost, the profile's figures and tab, the
pipeline across customers (a restricted worker's too, several currencies), tenancy and
visibility, merging and export, the activity entries its events ask for, and the statement
count of the customer list page."""

from datetime import timedelta

import pytest
from sqlalchemy import text, update

from core.auth import Principal
from core.models import EventRecord
from plugins.deals.queries import pipeline_query
from tests.fixtures import new_tenant, run
from tests.support import Api, GraphQLErrors, as_worker, count_statements, gid, settle
from tests.support import create_customer as customer
from tests.support import create_worker as worker

DEAL = """id name status version value { amount currency } expectedCloseDate lostReason
wonAt lostAt stage { id name kind } owner { id } customer { id }"""
STAGES = "{ dealStages { id name position probability kind } }"
SUMMARY = """query($id: ID!) { customer(id: $id) {
  deals { openCount openValue { amount currency } wonValue { amount currency }
                weightedValue { amount currency } }
  profileTabs { key badgeCount }
} }"""
PIPELINE = """query($owner: ID, $currency: String) {
dealPipeline(ownerId: $owner, currency: $currency) {
  count stages { stage { name } count value { amount currency } weightedValue { amount currency } }
} }"""
DEALS = """query($id: ID!, $status: [DealStatus!], $first: Int, $after: String) {
customer(id: $id) { deals { all(first: $first, after: $after, status: $status) {
  totalCount nodes { name status } pageInfo { hasNextPage endCursor } } } } }"""
ACTIVITIES = """query($id: ID!) { customer(id: $id) { activities {
  list(first: 50) { totalCount nodes { kind title description worker { id } } } } } }"""
FIND = """query($where: CustomerWhere) {
  customers(first: 10, where: $where) { nodes { name } } }"""
TIMELINE = """query($id: ID!) { customer(id: $id) {
  timeline(first: 50) { nodes { action summary } } } }"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Deal { name } ... on DealStage { name } } }"


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("deals")
    return api


def stages(api: Api) -> dict[str, dict]:
    return {s["name"]: s for s in api.query(STAGES)["dealStages"]}


def me(api: Api) -> str:
    return api.query("{ me { worker { id } } }")["me"]["worker"]["id"]


_keys = iter(range(10**9))


def create(api: Api, customer_id: str, name="Website", amount=100_000, currency="EUR", **more):
    data = {
        "customerId": customer_id,
        "name": name,
        "value": {"amount": amount, "currency": currency},
        "idempotencyKey": more.pop("key", f"k-{next(_keys)}"),
        **more,
    }
    return api.mutate("createDeal", data, f"deal {{ {DEAL} }}")


def created(api: Api, customer_id: str, *args, **more) -> dict:
    payload = create(api, customer_id, *args, **more)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["deal"]


def move(api: Api, deal: dict, stage: str, reason=None, version=None) -> dict:
    data = {
        "id": deal["id"],
        "stageId": stages(api)[stage]["id"],
        "version": deal["version"] if version is None else version,
    }
    if reason is not None:
        data["lostReason"] = reason
    return api.mutate("moveDeal", data, f"deal {{ {DEAL} }}")


def moved(api: Api, deal: dict, stage: str, reason=None) -> dict:
    payload = move(api, deal, stage, reason)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["deal"]


def codes(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def money(*pairs) -> list[dict]:
    return [{"amount": a, "currency": c} for a, c in pairs]


# --- stages ----------------------------------------------------------------------------------


def test_default_stages_and_their_configuration(owner):
    found = owner.query(STAGES)["dealStages"]
    assert [(s["name"], s["position"], s["probability"], s["kind"]) for s in found] == [
        ("Lead", 0, 10, "OPEN"),
        ("Qualified", 1, 25, "OPEN"),
        ("Proposal", 2, 50, "OPEN"),
        ("Negotiation", 3, 75, "OPEN"),
        ("Won", 4, 100, "WON"),
        ("Lost", 5, 0, "LOST"),
    ]
    demo = {"name": "Demo", "probability": 40, "position": 2}
    stage = owner.ok("createDealStage", demo, "stage { id name position kind }")["stage"]
    assert stage["position"] == 2 and stage["kind"] == "OPEN"
    assert [s["name"] for s in owner.query(STAGES)["dealStages"]][:4] == [
        "Lead",
        "Qualified",
        "Demo",
        "Proposal",
    ]
    bad = owner.mutate(
        "createDealStage", {"name": " lead ", "probability": 101, "position": 99}, "stage { id }"
    )
    assert sorted(codes(bad)) == [
        (["input", "name"], "TAKEN"),
        (["input", "position"], "INVALID"),
        (["input", "probability"], "INVALID"),
    ]
    renamed = owner.ok(
        "updateDealStage",
        {"id": stage["id"], "name": "Live demo", "probability": 35},
        "stage { name probability }",
    )
    assert renamed["stage"] == {"name": "Live demo", "probability": 35}
    ids = [s["id"] for s in owner.query(STAGES)["dealStages"]]
    assert codes(owner.mutate("reorderDealStages", {"stageIds": ids[:-1]}, "stages { id }")) == [
        (["input", "stageIds"], "INCOMPLETE")
    ]
    assert codes(
        owner.mutate("reorderDealStages", {"stageIds": ids + ids[:1]}, "stages { id }")
    ) == [(["input", "stageIds"], "DUPLICATE")]
    reordered = owner.ok("reorderDealStages", {"stageIds": ids[::-1]}, "stages { name position }")
    assert [s["position"] for s in reordered["stages"]] == list(range(7))
    assert reordered["stages"][0]["name"] == "Lost"
    # Deleting: not while a deal is in it, never the last of a kind.
    ada = customer(owner)
    deal = created(owner, ada, stageId=stage["id"])
    refused = owner.mutate("deleteDealStage", {"id": stage["id"]})
    assert codes(refused) == [(["input", "id"], "DEAL_STAGE_IN_USE")]
    won = stages(owner)["Won"]["id"]
    assert codes(owner.mutate("deleteDealStage", {"id": won})) == [
        (["input", "id"], "LAST_STAGE_OF_KIND")
    ]
    moved(owner, deal, "Lead")
    assert owner.ok("deleteDealStage", {"id": stage["id"]}, "deletedId")["deletedId"] == stage["id"]
    assert [s["position"] for s in owner.query(STAGES)["dealStages"]] == list(range(6))
    # Re-enabling the module keeps the stages as they are, without a second default set.
    owner.ok("disableModule", {"module": "deals"}, "modules { name }")
    owner.enable("deals")
    assert len(owner.query(STAGES)["dealStages"]) == 6
    # Agents work deals but do not shape the pipeline.
    agent = as_worker(owner, worker(owner, "Agnes Agent"))
    with pytest.raises(GraphQLErrors) as refused:
        agent.mutate("createDealStage", {"name": "Mine"}, "stage { id }")
    assert refused.value.errors[0]["extensions"]["code"] == "FORBIDDEN"
    manager = as_worker(owner, worker(owner, "Mona Manager", "MANAGER"))
    manager.ok("updateDealStage", {"id": won, "name": "Closed won"})


# --- deals -----------------------------------------------------------------------------------


def test_creating_updating_and_deleting_deals(owner, other_api):
    ada = customer(owner)
    deal = created(owner, ada, expectedCloseDate="2027-03-31")
    assert deal["status"] == "OPEN" and deal["version"] == 1
    assert deal["stage"]["name"] == "Lead" and deal["owner"] == {"id": me(owner)}
    assert deal["value"] == {"amount": 100_000, "currency": "EUR"}
    assert deal["customer"] == {"id": ada}
    # A retry with the same key and input answers the same deal; other input is refused.
    again = created(owner, ada, key="same", amount=5)
    assert created(owner, ada, key="same", amount=5)["id"] == again["id"]
    assert codes(create(owner, ada, key="same", amount=6)) == [
        (["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")
    ]
    foreign_worker = other_api.query("{ me { worker { id } } }")["me"]["worker"]["id"]
    bad = create(owner, ada, name=" ", amount=-1, currency="euro", key="", ownerId=foreign_worker)
    assert sorted(codes(bad)) == [
        (["input", "idempotencyKey"], "REQUIRED"),
        (["input", "name"], "REQUIRED"),
        (["input", "ownerId"], "NOT_FOUND"),
        (["input", "value", "amount"], "INVALID"),
        (["input", "value", "currency"], "INVALID"),
    ]
    unknown = gid("DealStage", 999_999)
    assert codes(create(owner, ada, stageId=unknown)) == [(["input", "stageId"], "NOT_FOUND")]
    assert codes(create(owner, ada, stageId=stages(owner)["Lost"]["id"])) == [
        (["input", "lostReason"], "REQUIRED")
    ]
    update = {
        "id": deal["id"],
        "name": "Website v2",
        "value": {"amount": 150_000, "currency": "usd"},
        "ownerId": None,
        "expectedCloseDate": None,
        "version": 1,
    }
    changed = owner.ok("updateDeal", update, f"deal {{ {DEAL} }}")["deal"]
    assert changed["name"] == "Website v2" and changed["version"] == 2
    assert changed["value"] == {"amount": 150_000, "currency": "USD"}
    assert changed["owner"] is None and changed["expectedCloseDate"] is None
    stale = owner.mutate(
        "updateDeal", {"id": deal["id"], "name": "Old", "version": 1}, "deal { id }"
    )
    assert codes(stale) == [(["input", "version"], "VERSION_CONFLICT")]
    assert codes(
        owner.mutate("updateDeal", {"id": deal["id"], "lostReason": "x"}, "deal { id }")
    ) == [(["input", "lostReason"], "INVALID")]
    assert owner.query(NODE, id=deal["id"])["node"] == {"id": deal["id"], "name": "Website v2"}
    assert owner.ok("deleteDeal", {"id": deal["id"]}, "deletedId")["deletedId"] == deal["id"]
    assert owner.query(NODE, id=deal["id"])["node"] is None
    assert codes(owner.mutate("deleteDeal", {"id": deal["id"]})) == [(["input", "id"], "NOT_FOUND")]


def test_a_won_deal_is_one_line_on_the_timeline_and_its_event_tells_the_move(owner):
    ada = customer(owner)
    deal = moved(owner, created(owner, ada), "Proposal")
    won = moved(owner, deal, "Won")
    query = """query($id: ID!) { customer(id: $id) {
      timeline(first: 10) { nodes { action summary data } } } }"""
    entries = owner.query(query, id=ada)["customer"]["timeline"]["nodes"]
    deal_entries = [e for e in entries if e["action"].startswith("deal.")]
    assert [(e["action"], e["summary"]) for e in deal_entries] == [
        ("deal.won", "Deal won: Website"),
        ("deal.stage_changed", "Deal stage changed from Lead to Proposal: Website"),
        ("deal.created", "Deal of 1000.00 EUR created: Website"),
    ]
    data = deal_entries[0]["data"]
    assert (data["fromStage"], data["status"], data["version"]) == ("Proposal", "WON", 3)
    assert data["version"] == won["version"]


def test_moves_won_and_lost(owner):
    ada = customer(owner)
    deal = created(owner, ada)
    deal = moved(owner, deal, "Proposal")
    assert deal["stage"]["name"] == "Proposal" and deal["version"] == 2
    assert codes(move(owner, deal, "Negotiation", version=1)) == [
        (["input", "version"], "VERSION_CONFLICT")
    ]
    assert codes(move(owner, deal, "Lost")) == [(["input", "lostReason"], "REQUIRED")]
    assert codes(move(owner, deal, "Lost", reason="   ")) == [(["input", "lostReason"], "REQUIRED")]
    lost = moved(owner, deal, "Lost", reason="Too expensive")
    assert lost["status"] == "LOST" and lost["lostReason"] == "Too expensive" and lost["lostAt"]
    update = {"id": deal["id"], "lostReason": "Budget cut"}
    fixed = owner.ok("updateDeal", update, f"deal {{ {DEAL} }}")["deal"]
    assert fixed["lostReason"] == "Budget cut" and fixed["version"] == 4
    won = moved(owner, fixed, "Won")
    assert won["status"] == "WON" and won["wonAt"] and won["lostAt"] is None
    assert won["lostReason"] is None
    same = move(owner, won, "Won")
    assert same["userErrors"] == [] and same["deal"]["version"] == won["version"]  # a no-op
    reopened = moved(owner, won, "Qualified")
    assert reopened["status"] == "OPEN" and reopened["wonAt"] is None
    timeline = owner.query(TIMELINE, id=ada)["customer"]["timeline"]["nodes"]
    assert [n["summary"] for n in timeline[::-1] if n["action"].startswith("deal.")] == [
        "Deal of 1000.00 EUR created: Website",
        "Deal stage changed from Lead to Proposal: Website",
        "Deal lost: Website",  # one line for one move: no "stage changed" beside it
        "Deal updated: Website",
        "Deal won: Website",
        "Deal stage changed from Won to Qualified: Website",
    ]
    moved(owner, created(owner, ada, name="Other"), "Lost", "No budget")

    def listed(**args) -> dict:
        return owner.query(DEALS, id=ada, **args)["customer"]["deals"]["all"]

    opened = listed(status=["OPEN"])
    assert opened["totalCount"] == 1 and opened["nodes"][0]["status"] == "OPEN"
    assert listed(status="WON")["totalCount"] == 0
    closed = listed(status=["WON", "LOST"])
    assert [(n["name"], n["status"]) for n in closed["nodes"]] == [("Other", "LOST")]
    assert listed(status=[])["totalCount"] == listed()["totalCount"] == 2
    first = listed(first=1)
    assert first["pageInfo"]["hasNextPage"] and first["nodes"][0]["name"] == "Other"
    rest = listed(first=1, after=first["pageInfo"]["endCursor"])
    assert [n["name"] for n in rest["nodes"]] == ["Website"]
    assert not rest["pageInfo"]["hasNextPage"]


def test_summary_pipeline_and_a_restricted_workers_view(owner):
    agent_id = worker(owner, "Agnes Agent")
    agent = as_worker(owner, agent_id)
    ada, bob = customer(owner, "Ada"), customer(owner, "Bob", workerIds=[agent_id])
    created(owner, ada, amount=100_000)  # Lead 10 %
    proposal = created(owner, ada, amount=30_001, stageId=stages(owner)["Proposal"]["id"])
    created(owner, ada, amount=50_000, currency="USD", stageId=stages(owner)["Negotiation"]["id"])
    moved(owner, created(owner, ada, amount=70_000), "Won")
    moved(owner, created(owner, ada, amount=9_000), "Lost", "No budget")
    created(owner, bob, amount=20_000, ownerId=agent_id, stageId=stages(owner)["Proposal"]["id"])
    moved(owner, created(owner, bob, amount=5_000, currency="GBP"), "Won")
    figures = owner.query(SUMMARY, id=ada)["customer"]
    assert figures["deals"] == {
        "openCount": 3,
        "openValue": money((130_001, "EUR"), (50_000, "USD")),
        "wonValue": money((70_000, "EUR")),
        # 100,000 x 10 % + 30,001 x 50 % = 25,000.5 -> 25,001 (rounded half up)
        "weightedValue": money((25_001, "EUR"), (37_500, "USD")),
    }
    assert {t["key"]: t["badgeCount"] for t in figures["profileTabs"]}["deals"] == 3
    assert proposal["stage"]["name"] == "Proposal"
    full = owner.query(PIPELINE)["dealPipeline"]
    assert full["count"] == 7
    by_stage = {s["stage"]["name"]: s for s in full["stages"]}
    assert [s["stage"]["name"] for s in full["stages"]] == list(stages(owner))
    assert by_stage["Proposal"] == {
        "stage": {"name": "Proposal"},
        "count": 2,
        "value": money((50_001, "EUR")),
        "weightedValue": money((25_001, "EUR")),
    }
    assert by_stage["Won"]["value"] == money((70_000, "EUR"), (5_000, "GBP"))
    assert by_stage["Negotiation"]["weightedValue"] == money((37_500, "USD"))
    assert by_stage["Qualified"] == {
        "stage": {"name": "Qualified"},
        "count": 0,
        "value": [],
        "weightedValue": [],
    }
    where = {"field": "deals.open", "op": "GT", "value": 2}
    busy = owner.query(FIND, where=where)["customers"]["nodes"]
    assert [n["name"] for n in busy] == ["Ada"]
    euros = owner.query(PIPELINE, currency="eur")["dealPipeline"]
    assert euros["count"] == 5
    mine = owner.query(PIPELINE, owner=agent_id)["dealPipeline"]
    assert mine["count"] == 1
    # The agent sees Bob only: Ada's deals are neither listed nor summed.
    seen = agent.query(PIPELINE)["dealPipeline"]
    assert seen["count"] == 2
    assert {s["stage"]["name"]: s["value"] for s in seen["stages"] if s["count"]} == {
        "Proposal": money((20_000, "EUR")),
        "Won": money((5_000, "GBP")),
    }
    assert agent.query(SUMMARY, id=ada)["customer"] is None
    refused = agent.errors(PIPELINE, currency="€")
    assert refused[0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_the_pipeline_leaves_out_archived_customers_for_everyone(owner):
    agent_id = worker(owner, "Agnes Agent")
    agent = as_worker(owner, agent_id)
    ada, bob = customer(owner, "Ada"), customer(owner, "Bob", workerIds=[agent_id])
    created(owner, ada, amount=100_000)
    moved(owner, created(owner, bob, amount=20_000), "Won")
    created(owner, bob, amount=5_000)
    assert owner.query(PIPELINE)["dealPipeline"]["count"] == 3
    assert agent.query(PIPELINE)["dealPipeline"]["count"] == 2
    owner.ok("archiveCustomer", {"customerId": bob})
    full = owner.query(PIPELINE)["dealPipeline"]
    assert full["count"] == 1  # the tenant's whole view subtracts the archived customers
    by_stage = {s["stage"]["name"]: s for s in full["stages"]}
    assert by_stage["Lead"]["value"] == money((100_000, "EUR"))
    assert by_stage["Lead"]["weightedValue"] == money((10_000, "EUR"))
    assert by_stage["Won"]["count"] == 0
    assert agent.query(PIPELINE)["dealPipeline"]["count"] == 0  # theirs: only live customers
    owner.ok("restoreCustomer", {"customerId": bob})
    assert owner.query(PIPELINE)["dealPipeline"]["count"] == 3


def test_the_pipeline_is_an_index_only_scan_on_postgresql(owner, other_api, client, engine):
    """5,000 deals beside another tenant's 40,000, analysed and vacuumed: the sums read
    `ix_deals_pipeline` alone (no deal row), the archived customers from their index."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner")
    other_api.enable("deals")
    created(owner, customer(owner))
    created(other_api, customer(other_api, "Theirs"))
    bulk = text(
        "INSERT INTO deals (tenant_id, customer_id, stage_id, name, amount, currency, "
        "status, version, created_at, updated_at) SELECT d.tenant_id, d.customer_id, "
        "d.stage_id, 'Bulk', n * 10, 'EUR', 'OPEN', 1, now(), now() "
        "FROM deals d, generate_series(1, :n) n WHERE d.tenant_id = :tenant"
    )

    async def grow():
        async with client.app.state.db.transaction() as session:
            await session.execute(bulk, {"tenant": owner.tenant_id, "n": 5000})
            await session.execute(bulk, {"tenant": other_api.tenant_id, "n": 40_000})
        async with engine.connect() as conn:  # the login: it owns the tables
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE deals")
            await conn.exec_driver_sql("ANALYZE customers")

    run(client, grow)
    principal = Principal(owner.tenant_id, 0, "owner", frozenset({"customers.view_all"}))
    query = pipeline_query(principal, None, None)

    async def plan() -> str:
        async with client.app.state.db.read() as conn:
            sql = query.compile(conn.sync_connection, compile_kwargs={"literal_binds": True})
            return "\n".join(r[0] for r in await conn.exec_driver_sql(f"EXPLAIN {sql}"))

    found = run(client, plan)
    assert "Index Only Scan using ix_deals_pipeline" in found, found
    assert "Seq Scan on deals" not in found and "Heap Scan on deals" not in found, found
    assert owner.query(PIPELINE)["dealPipeline"]["count"] == 5001


def test_tenancy_and_visibility(owner, other_api):
    other_api.enable("deals")
    theirs = created(other_api, customer(other_api, "Theirs"))
    ada = customer(owner)
    assert owner.query(NODE, id=theirs["id"])["node"] is None
    assert owner.query(NODE, id=stages(other_api)["Won"]["id"])["node"] is None
    assert owner.query(NODE, id=stages(owner)["Won"]["id"])["node"] == {
        "id": stages(owner)["Won"]["id"],
        "name": "Won",
    }
    assert codes(move(owner, theirs, "Won")) == [(["input", "id"], "NOT_FOUND")]
    assert codes(create(owner, ada, stageId=stages(other_api)["Won"]["id"])) == [
        (["input", "stageId"], "NOT_FOUND")
    ]
    assert codes(create(owner, theirs["customer"]["id"])) == [
        (["input", "customerId"], "NOT_FOUND")
    ]
    update = {"id": theirs["id"], "name": "Mine now"}
    assert codes(owner.mutate("updateDeal", update, "deal { id }")) == [
        (["input", "id"], "NOT_FOUND")
    ]
    assert codes(owner.mutate("deleteDeal", {"id": theirs["id"]})) == [
        (["input", "id"], "NOT_FOUND")
    ]
    assert owner.query(PIPELINE)["dealPipeline"]["count"] == 0
    # An agent cannot reach deals of a customer they do not see.
    hidden = created(owner, ada)
    agent = as_worker(owner, worker(owner, "Agnes Agent"))
    assert agent.query(NODE, id=hidden["id"])["node"] is None
    assert codes(move(agent, hidden, "Won")) == [(["input", "id"], "NOT_FOUND")]
    assert codes(create(agent, ada)) == [(["input", "customerId"], "NOT_FOUND")]
    # A module the tenant has not enabled is not in its schema.
    fresh = new_tenant(owner.client)
    assert fresh.errors(STAGES)[0]["extensions"]["code"] == "MODULE_DISABLED"


def test_merging_moves_deals_and_export_lists_them(owner):
    source, target = customer(owner, "Ada L."), customer(owner, "Ada Lovelace")
    created(owner, source, name="From the duplicate")
    created(owner, target, name="Original")
    owner.ok("mergeCustomers", {"sourceId": source, "targetId": target}, "customer { id }")
    names = owner.query(DEALS, id=target)["customer"]["deals"]["all"]
    assert sorted(n["name"] for n in names["nodes"]) == ["From the duplicate", "Original"]
    export = owner.query("query($id: ID!) { customerExport(id: $id) }", id=target)
    deals = export["customerExport"]["modules"]["deals"]
    assert sorted((d["name"], d["stage"]) for d in deals) == [
        ("From the duplicate", "Lead"),
        ("Original", "Lead"),
    ]


# --- the activities contract -----------------------------------------------------------------


def _redeliver(client, tenant_id: int) -> None:
    """What a crash before marking leaves: the tenant's events unpublished, then swept and
    delivered again (handlers included)."""

    async def replay():
        async with client.app.state.db.transaction() as session:
            await session.execute(
                update(EventRecord)
                .where(EventRecord.tenant_id == tenant_id)
                .values(published_at=None)
            )
        return await client.app.state.outbox.sweep(older_than=timedelta(0))

    assert run(client, replay) > 0
    settle(client)


def test_deal_events_log_activities_once_per_event(owner, client):
    owner.enable("activities")
    ada = customer(owner)
    deal = created(owner, ada, name="Website", amount=120_000)
    deal = moved(owner, deal, "Proposal")
    moved(owner, deal, "Lost", "Went elsewhere")
    owner.ok("updateDeal", {"id": deal["id"], "name": "Website (lost)"})  # no entry asked
    entries = owner.query(ACTIVITIES, id=ada)["customer"]["activities"]["list"]
    assert entries["totalCount"] == 3
    assert [(n["kind"], n["title"]) for n in entries["nodes"][::-1]] == [
        ("DEAL_UPDATE", "Deal opened: Website"),
        ("DEAL_UPDATE", "Deal moved to Proposal: Website"),
        ("DEAL_UPDATE", "Deal lost: Website"),
    ]
    assert "Went elsewhere" in entries["nodes"][0]["description"]
    assert all(n["worker"] == {"id": me(owner)} for n in entries["nodes"])
    _redeliver(client, owner.tenant_id)
    again = owner.query(ACTIVITIES, id=ada)["customer"]["activities"]["list"]
    assert again["totalCount"] == 3


def test_no_activity_entries_while_activities_is_off(owner):
    ada = customer(owner)
    deal = created(owner, ada)
    moved(owner, deal, "Won")
    owner.enable("activities")
    assert owner.query(ACTIVITIES, id=ada)["customer"]["activities"]["list"]["totalCount"] == 0


# --- the customer list page ------------------------------------------------------------------

PAGE = """query($first: Int) { customers(first: $first) { nodes {
  name
  profileTabs { key badgeCount }
  deals {
    openCount openValue { amount currency } weightedValue { amount currency }
    wonValue { amount currency }
    all(first: 3) { totalCount nodes { name status value { amount currency }
                    stage { name probability } owner { name } customer { name } } }
    won: all(first: 2, status: WON) { totalCount nodes { name } }
  }
} } }"""


def test_the_list_page_costs_the_same_statements_for_3_or_12_customers(owner, engine):
    owner.enable("activities")  # the handler's work must not land in the window
    for i in range(12):
        who = customer(owner, f"C{i:02}")
        for j in range(i % 3 + 1):
            deal = created(owner, who, name=f"D{j}", amount=1_000 * (j + 1))
            if j == 1:
                moved(owner, deal, "Won")
    owner.query(PAGE, first=1)
    with count_statements(engine) as few:
        small = owner.query(PAGE, first=3)["customers"]["nodes"]
    with count_statements(engine) as many:
        large = owner.query(PAGE, first=12)["customers"]["nodes"]
    print(f"statements: first 3 -> {few.count}, first 12 -> {many.count}")
    assert len(small) == 3 and len(large) == 12
    assert few.count == many.count, (few.statements, many.statements)
    # The figures, both lists, their counts, stages and owners: one look-ahead read; the
    # other statement on deals is the tabs' badges (with the other modules' badges).
    reads = [str(s) for s in many.statements if "FROM deals" in str(s)]
    assert len(reads) == 2, reads
    assert any("probability" in s and "row_number" in s and "workers" in s for s in reads)
    for node in large:
        badge = {t["key"]: t["badgeCount"] for t in node["profileTabs"]}["deals"]
        deals = node["deals"]
        won = int(node["name"][1:]) % 3 > 0  # C00, C03, ... have one open deal, none won
        assert badge == deals["openCount"] == len(deals["all"]["nodes"]) - won
        assert deals["wonValue"] == ([{"amount": 2_000, "currency": "EUR"}] if won else [])
        assert deals["all"]["totalCount"] == len(deals["all"]["nodes"])
        assert all(d["customer"]["name"] == node["name"] for d in deals["all"]["nodes"])
        assert [d["name"] for d in deals["won"]["nodes"]] == ["D1"] * won
        assert deals["won"]["totalCount"] == won
