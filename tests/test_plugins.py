"""The plugin contract, through a module defined here as a third party would ship it:
per-tenant enablement, grafted fields, tabs and badges, events, and start-up checks."""

import json
import logging
from pathlib import Path

import pytest
import strawberry
from sqlalchemy import Column, Integer, MetaData, Table
from starlette.testclient import TestClient

from core import migrate
from core.hookspecs import hookimpl
from core.plugins import Module, PluginError
from schema.registry import SchemaRegistry, make_plugins
from server import create_app
from tests.fixtures import new_tenant
from tests.sticky_notes import hooks as sticky
from tests.support import Api, pk_of, token_for

NOTES = "query($id: ID!) { customer(id: $id) { stickyNotes { count notes { text } } } }"
TABS = "query($id: ID!) { customer(id: $id) { profileTabs { key title badgeCount } } }"


@pytest.fixture(scope="module")
def sticky_client(settings):
    plugins = make_plugins(extra=[sticky])
    migrate.upgrade(settings.database_url, plugins.migration_locations())
    with TestClient(create_app(settings, plugins)) as client:
        yield client


@pytest.fixture
def owner(sticky_client) -> Api:
    return new_tenant(sticky_client)


def customer(api: Api, name: str = "Ada", **fields) -> str:
    payload = api.ok("createCustomer", {"name": name, **fields}, "customer { id }")
    return payload["customer"]["id"]


def add_note(api: Api, customer_id: str, text: str) -> dict:
    return api.mutate("addStickyNote", {"customerId": customer_id, "text": text}, "note { text }")


def test_a_module_is_listed_and_off_for_a_new_tenant(owner):
    modules = {m["name"]: m for m in owner.query("{ modules { name title enabled } }")["modules"]}
    assert modules["sticky_notes"] == {
        "name": "sticky_notes",
        "title": "Sticky notes",
        "enabled": False,
    }


def test_a_disabled_module_is_absent_from_introspection_and_named_in_errors(owner):
    ada = customer(owner)
    fields = owner.query('{ __type(name: "Customer") { fields { name } } }')["__type"]["fields"]
    assert "stickyNotes" not in {f["name"] for f in fields}
    (error,) = owner.errors(NOTES, id=ada)
    assert error["extensions"]["code"] == "MODULE_DISABLED"
    assert error["extensions"]["module"] == "sticky_notes"
    assert "sticky_notes" in error["message"]


def test_enable_use_disable_enable_keeps_the_data(owner, other_api):
    ada = customer(owner)
    owner.enable("sticky_notes")
    fields = owner.query('{ __type(name: "Customer") { fields { name } } }')["__type"]["fields"]
    assert "stickyNotes" in {f["name"] for f in fields}
    assert add_note(owner, ada, "Call back Tuesday")["userErrors"] == []
    assert owner.query(NOTES, id=ada)["customer"]["stickyNotes"]["count"] == 1

    owner.ok("disableModule", {"module": "sticky_notes"}, "modules { name enabled }")
    assert owner.errors(NOTES, id=ada)[0]["extensions"]["code"] == "MODULE_DISABLED"
    owner.enable("sticky_notes")
    notes = owner.query(NOTES, id=ada)["customer"]["stickyNotes"]["notes"]
    assert notes == [{"text": "Call back Tuesday"}]


def test_module_mutations_check_input_and_tenancy(owner):
    owner.enable("sticky_notes")
    ada = customer(owner)
    payload = add_note(owner, ada, "   ")
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "text"], "INVALID")
    ]
    stranger = new_tenant(owner.client)
    foreign = customer(stranger, "Not yours")
    payload = add_note(owner, foreign, "hello")
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "customerId"], "NOT_FOUND")
    ]


def test_events_reach_handlers_of_the_emitting_tenant(owner):
    owner.enable("sticky_notes")
    ada = customer(owner)
    sticky.HANDLED.clear()
    add_note(owner, ada, "one")
    assert [(owner.tenant_id, "sticky_note.added")] == sticky.HANDLED


def test_profile_tabs_follow_modules_badges_and_folders(owner):
    ada = customer(owner)
    assert owner.query(TABS, id=ada)["customer"]["profileTabs"] == [
        {"key": "profile", "title": "Profile", "badgeCount": 0}
    ]
    owner.enable("sticky_notes")
    add_note(owner, ada, "one")
    add_note(owner, ada, "two")
    tabs = owner.query(TABS, id=ada)["customer"]["profileTabs"]
    assert tabs == [
        {"key": "profile", "title": "Profile", "badgeCount": 0},
        {"key": "sticky_notes", "title": "Notes", "badgeCount": 2},
    ]
    folder = owner.ok(
        "createFolder",
        {"name": "Quiet", "color": "#000000", "hiddenTabs": ["sticky_notes"]},
        "folder { id hiddenTabs }",
    )["folder"]
    assert folder["hiddenTabs"] == ["sticky_notes"]
    owner.ok("addCustomerToFolders", {"customerId": ada, "folders": [{"folderId": folder["id"]}]})
    keys = [t["key"] for t in owner.query(TABS, id=ada)["customer"]["profileTabs"]]
    assert keys == ["profile"]


def test_badges_of_a_page_cost_one_statement_per_module(owner, sticky_client):
    from tests.support import count_statements

    owner.enable("sticky_notes")
    ids = [customer(owner, f"C{i}") for i in range(12)]
    for customer_id in ids[:3]:
        add_note(owner, customer_id, "x")
    query = "query($n: Int) { customers(first: $n) { nodes { profileTabs { badgeCount } } } }"
    engine = sticky_client.app.state.db.engine
    with count_statements(engine) as small:
        owner.query(query, n=2)
    with count_statements(engine) as large:
        owner.query(query, n=12)
    assert small.count == large.count


def test_only_managers_of_modules_switch_them(owner):
    agent_id = owner.ok(
        "createWorker",
        {"name": "Ann Agent", "email": "ann@example.com", "role": "AGENT"},
        "worker { id }",
    )["worker"]["id"]
    agent = Api(owner.client, owner.tenant_id, pk_of(agent_id))
    errors = agent.errors(
        'mutation { enableModule(input: {module: "sticky_notes"}) { modules { name } } }'
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    payload = owner.mutate("enableModule", {"module": "nope"}, "modules { name }")
    assert payload["userErrors"][0]["code"] == "NOT_FOUND"


def test_token_of_one_tenant_never_sees_another_tenants_module_state(owner, other_api):
    owner.enable("sticky_notes")
    other = Api(
        owner.client,
        other_api.tenant_id,
        other_api.worker_id,
        token_for(other_api.tenant_id, other_api.worker_id),
    )
    enabled = {
        m["name"] for m in other.query("{ modules { name enabled } }")["modules"] if m["enabled"]
    }
    assert "sticky_notes" not in enabled


# --- start-up checks ----------------------------------------------------------------------------


class Misspelled:
    @hookimpl
    def hub_module(self):
        return Module("misspelled", "Misspelled")

    @hookimpl
    def hub_custmer_fields(self):
        return []


class NameClash:
    @hookimpl
    def hub_module(self):
        return Module("clash", "Clash")

    @hookimpl
    def hub_customer_fields(self):
        def name(root) -> str:
            return "x"

        return [strawberry.field(resolver=name)]


class NoTenant:
    @hookimpl
    def hub_module(self):
        return Module("no_tenant", "No tenant")

    @hookimpl
    def hub_tables(self):
        return [Table("orphans", MetaData(), Column("id", Integer, primary_key=True))]


class StickyAgain:
    """Grafts `stickyNotes` too, clashing with the sticky notes module."""

    @hookimpl
    def hub_module(self):
        return Module("sticky_again", "Sticky again")

    @hookimpl
    def hub_customer_fields(self):
        def sticky_notes(root) -> int:
            return 0

        return [strawberry.field(resolver=sticky_notes)]


@pytest.mark.parametrize(
    "extra,named",
    [
        ([Misspelled()], "hub_custmer_fields"),
        ([NameClash()], "Customer.name"),
        ([NoTenant()], "no_tenant"),
        ([sticky, StickyAgain()], "stickyNotes"),
    ],
)
def test_a_plugin_breaking_the_contract_stops_the_start(extra, named):
    with pytest.raises(PluginError) as raised:
        SchemaRegistry(make_plugins(extra=extra))
    assert named in str(raised.value)


def test_the_committed_sdl_shows_every_installed_module():
    sdl = (Path(__file__).resolve().parent.parent / "schema.graphql").read_text()
    customer_type = sdl.split("type Customer implements Node {", 1)[1].split("\n}", 1)[0]
    registry = SchemaRegistry(make_plugins())
    grafted = [f for c in registry.contributions for f in c.grafts.get("Customer", [])]
    for graft in grafted:
        camel = registry.full.config.name_converter.get_graphql_name(graft)
        assert f"\n  {camel}" in customer_type, camel


# --- a customer's life ------------------------------------------------------------------------


def test_merging_moves_module_rows_and_export_shows_them(owner):
    owner.enable("sticky_notes")
    source, target = customer(owner, "Ada L."), customer(owner, "Ada Lovelace")
    add_note(owner, source, "from the duplicate")
    add_note(owner, target, "original")
    merged = owner.ok(
        "mergeCustomers", {"sourceId": source, "targetId": target}, "customer { id name }"
    )["customer"]
    assert merged == {"id": target, "name": "Ada Lovelace"}
    notes = owner.query(NOTES, id=target)["customer"]["stickyNotes"]["notes"]
    assert sorted(n["text"] for n in notes) == ["from the duplicate", "original"]
    assert owner.query(NOTES, id=source)["customer"] is None
    export = owner.query("query($id: ID!) { customerExport(id: $id) }", id=target)
    data = export["customerExport"]
    assert data["customer"]["name"] == "Ada Lovelace"
    assert sorted(data["modules"]["sticky_notes"]) == ["from the duplicate", "original"]


def test_export_is_null_for_unknown_and_foreign_customers(owner):
    foreign = customer(new_tenant(owner.client), "Not yours")
    query = "query($id: ID!) { customerExport(id: $id) }"
    assert owner.query(query, id=foreign) == {"customerExport": None}
    assert owner.query(query, id="nope") == {"customerExport": None}


def test_new_sub_customers_reach_enabled_modules_only(owner):
    parent = customer(owner, "Parent Co")
    child = owner.ok("createSubCustomer", {"parentId": parent, "name": "Kid"}, "customer { id }")
    owner.enable("sticky_notes")
    first = child["customer"]["id"]
    assert owner.query(NOTES, id=first)["customer"]["stickyNotes"]["count"] == 0
    second = owner.ok("createSubCustomer", {"parentId": parent, "name": "Kid 2"}, "customer { id }")
    notes = owner.query(NOTES, id=second["customer"]["id"])["customer"]["stickyNotes"]["notes"]
    assert len(notes) == 1 and notes[0]["text"].startswith("Sub-customer of")


def test_core_events_reach_only_the_modules_a_tenant_enabled(owner, sticky_client):
    other = new_tenant(sticky_client)
    owner.enable("sticky_notes")
    sticky.HANDLED.clear()
    ada = customer(owner, "Ada")
    customer(other, "Bob")
    owner.ok("updateCustomer", {"id": ada, "city": "London"})
    assert [
        (owner.tenant_id, "customer.created"),
        (owner.tenant_id, "customer.updated"),
    ] == sticky.HANDLED


def _pings(owner: Api) -> list[dict]:
    """A socket's answers to `stickyNotePings`, up to the first error."""
    with owner.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        init = {"Authorization": f"Bearer {owner.token}"}
        ws.send_json({"type": "connection_init", "payload": init})
        assert ws.receive_json()["type"] == "connection_ack"
        query = "subscription { stickyNotePings }"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
        answers = [ws.receive_json()]
        while answers[-1]["type"] == "next" and "errors" not in answers[-1]["payload"]:
            answers.append(ws.receive_json())
    return answers


def test_a_socket_has_the_schema_of_its_tenants_modules(owner):
    (refused,) = _pings(owner)
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "MODULE_DISABLED"
    owner.enable("sticky_notes")
    assert _pings(owner)[0]["payload"] == {"data": {"stickyNotePings": 1}}


def test_a_module_subscription_fails_masked_on_the_socket(owner, caplog):
    caplog.set_level(logging.ERROR)
    owner.enable("sticky_notes")
    first, failure = _pings(owner)
    assert first["payload"] == {"data": {"stickyNotePings": 1}}
    errors = failure["payload"] if failure["type"] == "error" else failure["payload"]["errors"]
    (error,) = errors
    assert error["message"] == "Internal server error."
    assert error["extensions"]["code"] == "INTERNAL"
    assert "hunter2" not in json.dumps(failure)
    logged = [r for r in caplog.records if error["extensions"]["requestId"] in r.getMessage()]
    assert logged and logged[0].exc_info is not None


PAGE = """query($id: ID!, $after: String) { customer(id: $id) { stickyNotes {
  page(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    nodes { id text customer { id } } } } } }"""


def test_a_kit_tab_lists_updates_deletes_and_resolves_nodes(owner):
    other_api = new_tenant(owner.client)
    owner.enable("sticky_notes")
    ada = customer(owner)
    for text in ("one", "two", "three"):
        add_note(owner, ada, text)
    first = owner.query(PAGE, id=ada)["customer"]["stickyNotes"]["page"]
    assert [n["text"] for n in first["nodes"]] == ["three", "two"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"]
    rest = owner.query(PAGE, id=ada, after=first["pageInfo"]["endCursor"])
    assert [n["text"] for n in rest["customer"]["stickyNotes"]["page"]["nodes"]] == ["one"]
    note = first["nodes"][0]["id"]
    sticky.HANDLED.clear()
    updated = owner.ok("updateStickyNote", {"id": note, "text": "3"}, "note { id text }")
    assert updated["note"] == {"id": note, "text": "3"}
    bad = owner.mutate("updateStickyNote", {"id": note, "text": " "}, "note { id }")
    assert [e["code"] for e in bad["userErrors"]] == ["INVALID"]
    node = "query($id: ID!) { node(id: $id) { ... on StickyNote { text } } }"
    assert owner.query(node, id=note) == {"node": {"text": "3"}}
    other_api.enable("sticky_notes")
    assert other_api.query(node, id=note) == {"node": None}
    foreign = other_api.mutate("deleteStickyNote", {"id": note}, "deletedId")
    assert [e["code"] for e in foreign["userErrors"]] == ["NOT_FOUND"]
    deleted = owner.ok("deleteStickyNote", {"id": note}, "deletedId")
    assert deleted["deletedId"] == note
    assert owner.query(node, id=note) == {"node": None}
    assert owner.query(NOTES, id=ada)["customer"]["stickyNotes"]["count"] == 2
    mine = [name for tenant, name in sticky.HANDLED if tenant == owner.tenant_id]
    assert mine == ["sticky_note.updated", "sticky_note.deleted"]
