"""`customFields` and `viewerCan` compiled (`schema/compiled/profile.py`) against the
resolvers, on a tenant made for it: a field of every type, fields bound to folders, a chain
of dependent fields (a select decides a folder-bound multi-select, whose options decide a
third field), values from none to numbers at orjson's edges, and workers whose right to
change a customer depends on the row (assignment, a folder with edit access, one with view
access). Both apps (`test_compiled.py`'s fixtures) must give the same JSON, compiled."""

import re

import pytest

from tests.support import Api, create_worker, pk_of, token_for
from tests.test_compiled import both, paths  # noqa: F401 (fixtures)

FIELDS = """customFields {
  definition { id key label type description required group position options }
  text number date dateTime boolean options
}"""
VIEWER = "viewerCan { edit delete archive modules { module permissions manage } }"
PAGE = f"query {{ customers(first: 50) {{ nodes {{ id {FIELDS} {VIEWER} }} }} }}"
ONE = f"query($id: ID!) {{ customer(id: $id) {{ id {FIELDS} {VIEWER} }} }}"
NUMBERS = [3, 2.5, 0.00001, 0.000015, 1.5e-7, -0.000025, 1234567.125, 0, 1e20, 0.1]


def _define(api: Api, key: str, kind: str, **more) -> str:
    made = {"key": key, "label": key.title(), "type": kind, **more}
    return api.ok("createCustomFieldDefinition", made, "definition { id }")["definition"]["id"]


@pytest.fixture(scope="module")
def shop(client):
    from tests.fixtures import new_tenant

    api = new_tenant(client, "Fields Ltd")
    api.enable("tickets")
    folder = {}
    for name in ("Gold", "Sales", "Watch"):
        made = api.ok("createFolder", {"name": name, "color": "#123456"}, "folder { id }")
        folder[name] = made["folder"]["id"]
    _define(api, "note", "TEXT", description="Free text", group="Main")
    _define(api, "story", "LONG_TEXT", required=False)
    _define(api, "size", "NUMBER")
    _define(api, "born", "DATE")
    _define(api, "met", "DATE_TIME")
    flag = _define(api, "flag", "BOOLEAN")
    tier = _define(api, "tier", "SINGLE_SELECT", options=["a", "b", "c"])
    _define(api, "likes", "MULTI_SELECT", options=["x", "y", "z"])
    _define(api, "gold_only", "TEXT", folderIds=[folder["Gold"], folder["Sales"]])
    _define(api, "flagged", "TEXT", condition={"fieldId": flag, "values": ["true"]})
    perks = _define(
        api, "perks", "MULTI_SELECT", options=["p", "q"], folderIds=[folder["Gold"]],
        condition={"fieldId": tier, "values": ["b", "c"]},
    )  # fmt: skip
    _define(api, "perk_note", "TEXT", condition={"fieldId": perks, "values": ["q"]})
    _define(api, "empty", "NUMBER")

    def customer(name: str, folders: list[str], values: list[dict]) -> str:
        made = {"name": name, "folders": [{"folderId": folder[f]} for f in folders]}
        created = api.ok("createCustomer", made, "customer { id }")["customer"]["id"]
        if values:
            api.ok("updateCustomer", {"id": created, "customFields": values})
        return created

    ids = [
        customer("Nobody", [], []),
        customer(
            "Everything", ["Gold"],
            [
                {"key": "note", "text": "hello"}, {"key": "story", "text": "long\nstory"},
                {"key": "size", "number": 3}, {"key": "born", "date": "1990-02-03"},
                {"key": "met", "dateTime": "2024-05-06T07:08:09+02:00"},
                {"key": "flag", "boolean": True}, {"key": "tier", "option": "c"},
                {"key": "likes", "options": ["z", "x"]}, {"key": "gold_only", "text": "g"},
                {"key": "flagged", "text": "f"}, {"key": "perks", "options": ["q"]},
                {"key": "perk_note", "text": "deep"},
            ],
        ),
        customer("Unflagged", ["Sales"], [{"key": "flag", "boolean": False}]),
        customer("Tier a", ["Gold", "Watch"], [{"key": "tier", "option": "a"}]),
        customer("Perks p", ["Gold"], [{"key": "tier", "option": "b"},
                                       {"key": "perks", "options": ["p"]}]),
        customer("Perks elsewhere", ["Watch"], [{"key": "tier", "option": "b"}]),
    ]  # fmt: skip
    ids += [
        customer(f"Number {n}", [], [{"key": "size", "number": n}]) for n in NUMBERS
    ]  # fmt: skip
    return api, folder, ids


@pytest.fixture(scope="module")
def tokens(shop):
    """The owner; an agent assigned to one customer, with edit access to Gold and view
    access to Watch; a manager without `customers.erase` nor `tickets.manage`; an admin
    without `customers.edit`."""
    api, folder, ids = shop
    agent = create_worker(api, "Row Agent", "AGENT")
    api.ok("assignWorkers", {"customerId": ids[2], "workerIds": [agent]})
    api.ok("setFolderAccess", {"folderId": folder["Gold"], "workerId": agent, "level": "EDIT"})
    api.ok("setFolderAccess", {"folderId": folder["Watch"], "workerId": agent, "level": "VIEW"})
    manager = create_worker(api, "Less Manager", "MANAGER")
    admin = create_worker(api, "Readonly Admin", "ADMIN")
    for worker, permission in (
        (manager, "customers.erase"), (manager, "tickets.manage"), (admin, "customers.edit"),
    ):  # fmt: skip
        change = {"workerId": worker, "permission": permission, "granted": False}
        api.ok("setWorkerPermission", change, "table { permissions }")
    found = {"owner": api.token}
    for name, worker in (("agent", agent), ("manager", manager), ("admin", admin)):
        found[name] = token_for(api.tenant_id, pk_of(worker))
    return found


def test_every_type_folder_and_condition_answers_alike(paths, shop, tokens):  # noqa: F811
    _api, _folder, ids = shop
    for name, token in tokens.items():
        path, body = both(paths, token, PAGE)
        assert path == "compiled", (name, body)
        assert "errors" not in body, body
        for customer in ids:
            path, one = both(paths, token, ONE, {"id": customer})
            assert path == "compiled", (name, one)
    _, body = both(paths, tokens["owner"], PAGE)
    shown = {n["id"]: [f["definition"]["key"] for f in n["customFields"]]
             for n in body["data"]["customers"]["nodes"]}  # fmt: skip
    plain = ["note", "story", "size", "born", "met", "flag", "tier", "likes", "empty"]
    assert shown[ids[0]] == plain
    assert shown[ids[1]] == [*plain[:8], "gold_only", "flagged", "perks", "perk_note", "empty"]
    assert shown[ids[2]] == [*plain[:8], "gold_only", "empty"]  # Sales, not flagged
    assert shown[ids[4]] == [*plain[:8], "gold_only", "perks", "empty"]  # perks: p, not q
    assert shown[ids[5]] == plain  # tier b, but perks only in Gold
    sizes = [
        next(f["number"] for f in n["customFields"] if f["definition"]["key"] == "size")
        for n in body["data"]["customers"]["nodes"]
        if n["id"] in ids[6:]
    ]
    assert sorted(sizes) == sorted(float(n) for n in NUMBERS)


def test_numbers_are_written_as_the_resolvers_write_them(paths, tokens):  # noqa: F811
    """`both` compares parsed JSON, where 1.5e-05 and 0.000015 are one float: here the
    numbers' text must match too (orjson's plain digits from 1e-5 to 1e16, `.0` on an
    integral value, exponents without a leading zero)."""
    written = []
    for app in paths:
        sent = {"query": PAGE}
        raw = app.post(
            "/graphql", json=sent, headers={"Authorization": f"Bearer {tokens['owner']}"}
        )
        written.append(re.findall(r'"number"\s*:\s*([^,}\s]+)', raw.text))
    assert written[0] == written[1]
    assert {"3.0", "0.00001", "0.000015", "1.5e-7", "-0.000025", "1e+20", "0.0"} <= set(written[1])


def test_viewer_can_follows_the_row(paths, shop, tokens):  # noqa: F811
    _api, _folder, ids = shop
    _, body = both(paths, tokens["agent"], PAGE)
    can = {n["id"]: n["viewerCan"] for n in body["data"]["customers"]["nodes"]}
    assert can[ids[2]]["edit"] is True  # assigned
    assert can[ids[1]]["edit"] is True  # in Gold (edit access)
    assert can[ids[5]]["edit"] is False  # in Watch (view access)
    assert ids[0] not in can
    tickets = {m["module"]: m for m in can[ids[5]]["modules"]}["tickets"]
    assert tickets == {"module": "tickets", "permissions": ["tickets.view"], "manage": False}
    _, body = both(paths, tokens["admin"], ONE, {"id": ids[1]})
    assert body["data"]["customer"]["viewerCan"]["edit"] is False


def test_a_kept_plan_reads_changed_definitions(paths, shop, tokens):  # noqa: F811
    """Definitions are read by the statement, not kept with the plan."""
    api, folder, ids = shop
    both(paths, tokens["owner"], ONE, {"id": ids[0]})
    made = _define(api, "late", "BOOLEAN", folderIds=[folder["Watch"]])
    path, body = both(paths, tokens["owner"], ONE, {"id": ids[3]})
    assert path == "compiled"
    keys = [f["definition"]["key"] for f in body["data"]["customer"]["customFields"]]
    assert keys[-1] == "late"
    api.ok("deleteCustomFieldDefinition", {"id": made}, "")
    path, body = both(paths, tokens["owner"], ONE, {"id": ids[3]})
    assert "late" not in [f["definition"]["key"] for f in body["data"]["customer"]["customFields"]]


def test_another_tenants_fields_stay_out(paths, shop, client):  # noqa: F811
    from tests.fixtures import new_tenant

    other = new_tenant(client, "Other Fields")
    mine = other.ok("createCustomer", {"name": "Mine"}, "customer { id }")["customer"]["id"]
    path, body = both(paths, other.token, ONE, {"id": mine})
    assert path == "compiled"
    assert body["data"]["customer"]["customFields"] == []
    _, body = both(paths, other.token, ONE, {"id": shop[2][1]})
    assert body["data"]["customer"] is None
