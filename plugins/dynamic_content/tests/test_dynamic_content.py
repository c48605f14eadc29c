"""The dynamic content module through the HTTP API: blocks filled from a customer's fields,
limited to folders, escaped, sandboxed and bounded; refused templates; hidden custom fields;
versions, order, events and permissions; another tenant; demo data; statement counts."""

import asyncio

import httpx2
import pytest
from sqlalchemy import select

from core.models import Customer
from plugins.dynamic_content import demo
from tests.fixtures import run
from tests.support import Api, as_worker, count_statements, gid
from tests.support import create_customer as customer
from tests.support import create_worker as worker

BLOCK = "id title body position active limited version folders { name }"
CONTENT = """
query($id: ID!) {
  customer(id: $id) {
    dynamicContent { count blocks { id title markdown html error } }
    profileTabs { key badgeCount }
  }
}"""
PREVIEW = """
query($customerId: ID!, $blockId: ID, $template: String) {
  previewDynamicContent(customerId: $customerId, blockId: $blockId, template: $template) {
    markdown html error
  }
}"""
LIST = "{ dynamicContentBlocks { title position active } }"


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("dynamic_content")
    return api


def create(api: Api, title: str = "Card", body: str = "Hi {{ name }}", **fields) -> dict:
    return api.mutate(
        "createDynamicContentBlock",
        {"title": title, "body": body, **fields},
        f"block {{ {BLOCK} }}",
    )


def created(api: Api, title: str = "Card", body: str = "Hi {{ name }}", **fields) -> dict:
    payload = create(api, title, body, **fields)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["block"]


def errors_of(payload: dict) -> list[tuple]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def content(api: Api, customer_id: str) -> dict:
    found = api.query(CONTENT, id=customer_id)["customer"]
    badge = {t["key"]: t["badgeCount"] for t in found["profileTabs"]}["dynamic_content"]
    assert badge == found["dynamicContent"]["count"] == len(found["dynamicContent"]["blocks"])
    return found["dynamicContent"]


def shown(api: Api, customer_id: str) -> dict[str, dict]:
    return {b["title"]: b for b in content(api, customer_id)["blocks"]}


def preview(api: Api, customer_id: str, template: str) -> dict:
    return api.query(PREVIEW, customerId=customer_id, template=template)["previewDynamicContent"]


def folder(api: Api, name: str) -> str:
    return api.ok("createFolder", {"name": name, "color": "#112233"}, "folder { id }")["folder"][
        "id"
    ]


def field(api: Api, key: str, **extra) -> str:
    input = {"key": key, "label": key.title(), "type": "TEXT", **extra}
    payload = api.ok("createCustomFieldDefinition", input, "definition { id }")
    return payload["definition"]["id"]


# --- placeholders, folders, badge ------------------------------------------------------------


def test_placeholders_are_filled_from_the_customer(owner):
    vip = folder(owner, "VIP")
    field(owner, "vip_level")
    ada = customer(
        owner,
        "Ada Lovelace",
        company="Analytical Engines",
        emails=[{"value": "ada@example.com", "primary": True}],
        phones=[{"value": "+44 20 7946 0000", "primary": True}],
        folders=[{"folderId": vip}],
        customFields=[{"key": "vip_level", "text": "Gold"}],
    )
    body = (
        "**{{ name }}** of {{ company }}: {{ email }}, {{ phone }}\n\n"
        "Status {{ status }}; in {{ folders|join(', ') }}; level {{ fields.vip_level }}"
        "{{ fields.not_a_field }}{{ city }}."
    )
    block = created(owner, "Card", body)
    assert block["position"] == 0 and block["active"] and not block["limited"]
    assert block["version"] == 1
    (rendered,) = content(owner, ada)["blocks"]
    assert rendered["id"] == block["id"] and rendered["error"] is None
    status = owner.query("query($id: ID!) { customer(id: $id) { status { name } } }", id=ada)
    name = status["customer"]["status"]["name"]
    assert rendered["html"] == (
        "<p><strong>Ada Lovelace</strong> of Analytical Engines: ada@example.com, "
        f"+44 20 7946 0000</p>\n<p>Status {name}; in VIP; level Gold.</p>\n"
    )
    assert rendered["markdown"].startswith("**Ada Lovelace** of Analytical Engines")


def test_folder_limited_blocks_apply_only_in_their_folders(owner):
    north, south = folder(owner, "North"), folder(owner, "South")
    inside = customer(owner, "Inside", folders=[{"folderId": south}])
    outside = customer(owner, "Outside")
    created(owner, "Everyone")
    limited = created(owner, "Northerners", "N", folderIds=[north, south])
    assert limited["limited"] and {f["name"] for f in limited["folders"]} == {"North", "South"}
    created(owner, "Off", "x", active=False)
    assert list(shown(owner, inside)) == ["Everyone", "Northerners"]
    assert list(shown(owner, outside)) == ["Everyone"]
    assert [b["title"] for b in owner.query(LIST)["dynamicContentBlocks"]] == [
        "Everyone",
        "Northerners",
        "Off",
    ]

    owner.ok("removeCustomerFromFolders", {"customerId": inside, "folderIds": [south]})
    assert list(shown(owner, inside)) == ["Everyone"]
    placement = {"customerId": outside, "folders": [{"folderId": north}]}
    owner.ok("addCustomerToFolders", placement)
    assert list(shown(owner, outside)) == ["Everyone", "Northerners"]
    # A limited block whose folders are all deleted shows to nobody, not to everyone.
    for f in (north, south):
        owner.ok("deleteFolder", {"id": f})
    assert list(shown(owner, outside)) == ["Everyone"]
    blocks = owner.query("{ dynamicContentBlocks { title limited folders { id } } }")
    assert blocks["dynamicContentBlocks"][1] == {
        "title": "Northerners",
        "limited": True,
        "folders": [],
    }


# --- escaping and the sandbox ----------------------------------------------------------------


def test_script_in_a_body_or_a_customer_s_name_comes_out_escaped(owner):
    evil = customer(
        owner,
        '<script>alert("name")</script> [x](javascript:alert(1)) ![i](http://t.example/p.png)',
    )
    created(owner, "Card", "<script>alert('body')</script>\n\n<b>{{ name }}</b> {{ name|upper }}")
    (block,) = content(owner, evil)["blocks"]
    html = block["html"]
    assert "<script" not in html.lower() and "<b>" not in html and "<img" not in html
    assert "<a" not in html
    assert "&lt;script&gt;alert('body')&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in html
    assert "[x](javascript:alert(1))" in html  # the name's Markdown stays text


SANDBOX_REFUSED_ON_SAVE = [
    ("{{ ''.__class__.__mro__ }}", "TEMPLATE_UNSAFE"),
    ("{{ name.__class__ }}", "TEMPLATE_UNSAFE"),
    ("{{ fields['__class__'] }}", "TEMPLATE_UNSAFE"),
    ("{% include 'other' %}", "TEMPLATE_UNSAFE"),
    ("{{ cycler }}", "UNKNOWN_PLACEHOLDER"),
    ("{{ lipsum(10**6) }}", "UNKNOWN_PLACEHOLDER"),
    ("{{ 'x'|center(10**9) }}", "TEMPLATE_SYNTAX"),  # not a filter of the sandbox
    ("Hello\n{{ name }\n", "TEMPLATE_SYNTAX"),
    ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "TEMPLATE_SYNTAX"),  # too deep to parse
]
SANDBOX_EMPTY_OR_FAILED = [
    ("[{{ name|attr('__class__') }}]", "[]", None),
    ("{{ (name|attr('__class__')).mro() }}", "", "Refused"),
    ("{% set l = [1] %}{{ l.append(2) }}", "", "Refused"),
    ("{{ name.center(10**9) }}", "", "not allowed"),
    ("{{ '{:>999999999}'.format(1) }}", "", "not allowed"),
    ("{{ '%999999999s' % name }}", "", "Refused"),
    ("{% for i in range(100000) %}x{% endfor %}", "", "range()"),
    ("{% for a in range(999) %}{% for b in range(999) %}{% endfor %}{% endfor %}", "", "steps"),
    ("{% macro f(n) %}{{ f(n - 1) }}{{ f(n - 1) }}{% endmacro %}{{ f(40) }}", "", ""),
    ("{{ 'x' * 10**9 }}", "", "longer than"),
    ("{% set a = 'x' * 40000 %}{% set b = a ~ a %}{{ b|length }}", "", "longer than"),
    ("{% for i in range(900) %}{{ 'y' * 100 }}{% endfor %}", "", "longer than"),
    ("{{ (10**100) ** 100 ** 100 }}", "", "too large"),
]


def test_sandbox_escape_attempts_are_refused_or_render_nothing(owner):
    ada = customer(owner, "Ada")
    for template, code in SANDBOX_REFUSED_ON_SAVE:
        assert errors_of(create(owner, "T", template)) == [(["input", "body"], code)], template
        assert preview(owner, ada, template)["error"], template
    assert owner.query(LIST)["dynamicContentBlocks"] == []
    for template, markdown, error in SANDBOX_EMPTY_OR_FAILED:
        found = preview(owner, ada, template)
        assert found["markdown"] == markdown, (template, found)
        if error is None:
            assert found["error"] is None, (template, found)
        else:
            assert found["error"] and error in found["error"], (template, found)
            assert found["html"] == ""
    # A block that fails for a customer shows its error, and the others still show.
    created(owner, "Broken", "{{ 1 / 0 }}")
    created(owner, "Fine")
    broken, fine = content(owner, ada)["blocks"]
    assert broken["error"] and broken["html"] == "" and fine["html"] == "<p>Hi Ada</p>\n"


def test_a_template_that_does_not_compile_is_refused_with_its_line(owner):
    payload = create(owner, "T", "Hello\n\n{% if name %}\n{{ name }")
    assert errors_of(payload) == [(["input", "body"], "TEMPLATE_SYNTAX")]
    assert payload["userErrors"][0]["message"].startswith("Line 4:")
    payload = create(owner, "T", "Dear {{ nmae }}")
    assert errors_of(payload) == [(["input", "body"], "UNKNOWN_PLACEHOLDER")]
    assert "nmae" in payload["userErrors"][0]["message"]
    payload = create(owner, " ", "", folderIds=[gid("Folder", 2**31 - 1)], active=True)
    assert sorted(errors_of(payload)) == [
        (["input", "body"], "REQUIRED"),
        (["input", "folderIds", "0"], "NOT_FOUND"),
        (["input", "title"], "REQUIRED"),
    ]
    assert errors_of(create(owner, "T", "x" * 20_001)) == [(["input", "body"], "TOO_LONG")]
    block = created(owner)
    update = {"id": block["id"], "body": "{% for %}"}
    payload = owner.mutate("updateDynamicContentBlock", update, "block { body }")
    assert errors_of(payload) == [(["input", "body"], "TEMPLATE_SYNTAX")]
    assert owner.query(LIST)["dynamicContentBlocks"] == [
        {"title": "Card", "position": 0, "active": True}
    ]


# --- custom field visibility -----------------------------------------------------------------


def test_a_custom_field_hidden_for_the_customer_renders_empty(owner):
    vip = folder(owner, "VIP")
    field(owner, "perk", folderIds=[vip])
    field(owner, "public_note")
    ada = customer(
        owner,
        "Ada",
        folders=[{"folderId": vip}],
        customFields=[{"key": "perk", "text": "Lounge"}, {"key": "public_note", "text": "Hi"}],
    )
    created(owner, "Perks", "[{{ fields.perk }}] [{{ fields.public_note }}]")
    assert shown(owner, ada)["Perks"]["markdown"] == "[Lounge] [Hi]"
    # Out of the folder the value is still stored, but the field is not shown: nor rendered.
    owner.ok("removeCustomerFromFolders", {"customerId": ada, "folderIds": [vip]})
    assert shown(owner, ada)["Perks"]["markdown"] == "[] [Hi]"
    assert preview(owner, ada, "{{ fields.perk }}|{{ fields.items()|list|length }}") == {
        "markdown": "|1",
        "html": "<p>|1</p>\n",
        "error": None,
    }


# --- writes: versions, order, delete, events, permissions ------------------------------------


def test_update_reorder_delete_with_versions_and_events(owner):
    a, b, c = (created(owner, t, "{{ name }}") for t in ("A", "B", "C"))
    stale = {"id": a["id"], "title": "A2", "expectedVersion": 2}
    payload = owner.mutate("updateDynamicContentBlock", stale, "block { title }")
    assert errors_of(payload) == [(["input", "expectedVersion"], "VERSION_CONFLICT")]
    fresh = {"id": a["id"], "title": "A2", "active": False, "expectedVersion": 1}
    block = owner.ok("updateDynamicContentBlock", fresh, f"block {{ {BLOCK} }}")["block"]
    assert (block["title"], block["active"], block["version"], block["body"]) == (
        "A2",
        False,
        2,
        "{{ name }}",
    )
    same = owner.ok(
        "updateDynamicContentBlock", {"id": a["id"], "title": "A2"}, "block { version }"
    )
    assert same["block"]["version"] == 2  # nothing changed: no new version, no event

    reorder = {"ids": [c["id"], a["id"], b["id"]]}
    payload = owner.ok("reorderDynamicContentBlocks", reorder, "blocks { title position }")
    assert [(x["title"], x["position"]) for x in payload["blocks"]] == [
        ("C", 0),
        ("A2", 1),
        ("B", 2),
    ]
    partial = owner.mutate("reorderDynamicContentBlocks", {"ids": [c["id"]]}, "blocks { id }")
    assert errors_of(partial) == [(["input", "ids"], "INCOMPLETE")]
    assert (
        owner.ok("deleteDynamicContentBlock", {"id": b["id"]}, "deletedId")["deletedId"] == b["id"]
    )
    assert [x["title"] for x in owner.query(LIST)["dynamicContentBlocks"]] == ["C", "A2"]

    log = owner.query(
        '{ auditLog(first: 20, filter: { actions: ["dynamic_content.block_created", '
        '"dynamic_content.block_updated", "dynamic_content.block_deleted", '
        '"dynamic_content.blocks_reordered"] }) { nodes { action data customer { id } } } }'
    )["auditLog"]["nodes"]
    actions = [n["action"].removeprefix("dynamic_content.") for n in reversed(log)]
    assert actions == [
        "block_created",
        "block_created",
        "block_created",
        "block_updated",
        "blocks_reordered",
        "block_deleted",
    ]
    assert all(n["customer"] is None for n in log)
    updated = next(n for n in log if n["action"].endswith("block_updated"))
    assert updated["data"]["changed"] == ["title", "active"] and updated["data"]["title"] == "A2"


def test_creates_and_updates_at_once_keep_positions_and_versions_straight(owner, client):
    block = created(owner, "First")
    create = "mutation($i: CreateDynamicContentBlockInput!) { createDynamicContentBlock(input: $i) "
    create += "{ userErrors { code } } }"
    update = "mutation($i: UpdateDynamicContentBlockInput!) { updateDynamicContentBlock(input: $i) "
    update += "{ userErrors { code } } }"
    requests = [(create, {"title": f"B{i}", "body": "{{ name }}"}) for i in range(6)]
    requests += [
        (update, {"id": block["id"], "title": f"U{i}", "expectedVersion": 1}) for i in range(6)
    ]
    headers = {"Authorization": f"Bearer {owner.token}"}

    async def race():
        transport = httpx2.ASGITransport(app=client.app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
            sent = [
                http.post("/graphql", json={"query": q, "variables": {"i": i}}, headers=headers)
                for q, i in requests
            ]
            return [r.json()["data"] for r in await asyncio.gather(*sent)]

    results = run(client, race)
    created_errors = [r["createDynamicContentBlock"]["userErrors"] for r in results[:6]]
    assert created_errors == [[]] * 6
    updates = [r["updateDynamicContentBlock"]["userErrors"] for r in results[6:]]
    assert sorted(len(e) for e in updates) == [0, 1, 1, 1, 1, 1]
    assert all(e == [{"code": "VERSION_CONFLICT"}] for e in updates if e)
    blocks = owner.query(LIST)["dynamicContentBlocks"]
    assert [b["position"] for b in blocks] == list(range(7))
    first = owner.query(
        "query($id: ID!) { node(id: $id) { ... on DynamicContentBlock { title version } } }",
        id=block["id"],
    )["node"]
    assert first["version"] == 2 and first["title"].startswith("U")


def test_agents_read_blocks_but_only_staff_write_or_preview(owner):
    ada = customer(owner, "Ada")
    block = created(owner)
    agent = as_worker(owner, worker(owner, "Sam Agent"))
    owner.ok("assignWorkers", {"customerId": ada, "workerIds": [agent_id(agent)]})
    assert [b["title"] for b in content(agent, ada)["blocks"]] == ["Card"]
    assert agent.query(LIST)["dynamicContentBlocks"][0]["title"] == "Card"
    for name, input in (
        ("createDynamicContentBlock", {"title": "T", "body": "x"}),
        ("updateDynamicContentBlock", {"id": block["id"], "title": "T"}),
        ("deleteDynamicContentBlock", {"id": block["id"]}),
        ("reorderDynamicContentBlocks", {"ids": [block["id"]]}),
    ):
        kind = f"{name[0].upper()}{name[1:]}Input!"
        query = f"mutation($i: {kind}) {{ {name}(input: $i) {{ __typename }} }}"
        assert agent.errors(query, i=input)[0]["extensions"]["code"] == "FORBIDDEN", name
    errors = agent.errors(PREVIEW, customerId=ada, template="x")
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    off = {"workerId": agent_id(agent), "permission": "dynamic_content.view", "granted": False}
    owner.ok("setWorkerPermission", off, "table { permissions }")
    assert agent.errors(CONTENT, id=ada)[0]["extensions"]["code"] == "FORBIDDEN"


def agent_id(api: Api) -> str:
    return gid("Worker", api.worker_id)


def test_another_tenant_sees_nothing(owner, other_api):
    ada = customer(owner, "Ada")
    block = created(owner, "Secret", "Secret of {{ name }}")
    other_api.enable("dynamic_content")
    stranger = customer(other_api, "Stranger")
    assert other_api.query(LIST) == {"dynamicContentBlocks": []}
    assert content(other_api, stranger) == {"count": 0, "blocks": []}
    node = "query($id: ID!) { node(id: $id) { ... on DynamicContentBlock { title } } }"
    assert other_api.query(node, id=block["id"]) == {"node": None}
    found = other_api.query(PREVIEW, customerId=stranger, blockId=block["id"])
    assert found == {"previewDynamicContent": None}
    assert preview(other_api, ada, "{{ name }}") is None
    for name, input in (
        ("updateDynamicContentBlock", {"id": block["id"], "title": "Mine"}),
        ("deleteDynamicContentBlock", {"id": block["id"]}),
    ):
        assert errors_of(other_api.mutate(name, input)) == [(["input", "id"], "NOT_FOUND")]
    moved = other_api.mutate("reorderDynamicContentBlocks", {"ids": [block["id"]]})
    assert errors_of(moved) == [(["input", "ids", "0"], "NOT_FOUND")]
    theirs = created(other_api, "Theirs", "x", folderIds=[])
    assert theirs["limited"] is False
    owner_folder = folder(owner, "Owner's")
    payload = create(other_api, "T", "x", folderIds=[owner_folder])
    assert errors_of(payload) == [(["input", "folderIds", "0"], "NOT_FOUND")]
    assert [b["title"] for b in content(owner, ada)["blocks"]] == ["Secret"]


# --- demo and cost ---------------------------------------------------------------------------


def test_demo_seeds_three_blocks_one_limited(owner, client):
    vip = folder(owner, "VIP")
    inside = customer(owner, "Vera", salutation="Ms.", folders=[{"folderId": vip}])
    outside = customer(owner, "Otto", emails=[{"value": "otto@example.com", "primary": True}])

    async def seed():
        async with client.app.state.db.transaction() as session:
            query = select(Customer.id).where(Customer.tenant_id == owner.tenant_id)
            await demo.seed(session, owner.tenant_id, list(await session.scalars(query)), 7)

    run(client, seed)
    blocks = owner.query(LIST)["dynamicContentBlocks"]
    assert [b["active"] for b in blocks] == [True, True, False]
    assert list(shown(owner, inside)) == ["Contact card", "VIP service"]
    card = shown(owner, outside)["Contact card"]
    assert card["error"] is None and "otto@example.com" in card["html"]
    assert "Ms. Vera is a <strong>VIP</strong>" in shown(owner, inside)["VIP service"]["html"]


PAGE = """
query($first: Int) {
  customers(first: $first) {
    nodes {
      name
      profileTabs { key badgeCount }
      dynamicContent { count blocks { id title html error } }
    }
  }
}"""


def test_a_page_of_12_customers_costs_what_a_page_of_3_does(owner, engine):
    north = folder(owner, "North")
    field(owner, "level")
    inputs = [
        {
            "name": f"C{i:02}",
            "folders": [{"folderId": north}] if i % 2 else [],
            "customFields": [{"key": "level", "text": f"L{i}"}],
        }
        for i in range(12)
    ]
    owner.many("createCustomer", inputs, "customer { id }")
    created(owner, "All", "{{ name }} at {{ fields.level }}")
    created(owner, "North", "{{ name }} of {{ folders|join(',') }}", folderIds=[north])
    owner.query(PAGE, first=1)
    with count_statements(engine) as three:
        small = owner.query(PAGE, first=3)["customers"]["nodes"]
    with count_statements(engine) as twelve:
        large = owner.query(PAGE, first=12)["customers"]["nodes"]
    print(f"statements: first 3 -> {three.count}, first 12 -> {twelve.count}")
    assert len(small) == 3 and len(large) == 12
    assert three.count == twelve.count, (three.statements, twelve.statements)
    for node in large:
        found = node["dynamicContent"]
        badge = {t["key"]: t["badgeCount"] for t in node["profileTabs"]}["dynamic_content"]
        assert badge == found["count"] == len(found["blocks"])
        assert found["blocks"][0]["html"].startswith(f"<p>{node['name']} at L")
    assert {n["dynamicContent"]["count"] for n in large} == {1, 2}
