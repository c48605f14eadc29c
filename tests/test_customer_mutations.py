"""Every customer mutation through the GraphQL API: what it writes, the userErrors it gives
(code and input path), and that a refused mutation writes nothing at all."""

from datetime import datetime

import pytest

from tests.support import Api, gid, pk_of

FIELDS = """
  id name kind version company city leadSource notes avatarUrl followUpAt
  blocked blockedReason blockedAt createdAt updatedAt primaryPhone primaryEmail
  phones { label value primary } emails { label value primary }
  status { id name } tags { id name } workers { id name }
  folders { folder { id name } status { id name } }
  parent { id } subCustomerCount
  customFields { definition { key } text number date dateTime boolean options }
"""
CUSTOMER = f"customer {{ {FIELDS} }}"
VALUE_MEMBERS = ("text", "number", "date", "dateTime", "boolean", "options")
UNKNOWN_CUSTOMER = gid("Customer", 987_654_321)


# --- helpers: fixtures built through mutations ----------------------------------------------


def mutate(api: Api, name: str, input: dict, selection: str = "") -> dict:
    return api.mutate(name, input, selection)


def ok(api: Api, name: str, input: dict, selection: str = "") -> dict:
    payload = mutate(api, name, input, selection)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


def count(api: Api) -> int:
    return api.query("{ customers { totalCount } }")["customers"]["totalCount"]


def fetch(api: Api, customer_id: str) -> dict | None:
    query = f"query($id: ID!) {{ customer(id: $id) {{ {FIELDS} }} }}"
    return api.query(query, id=customer_id)["customer"]


def make_customer(api: Api, name: str = "Ada Lovelace", **fields) -> dict:
    return ok(api, "createCustomer", {"name": name, **fields}, CUSTOMER)["customer"]


def make_tag(api: Api, name: str = "VIP") -> str:
    return ok(api, "createTag", {"name": name, "color": "#aa0000"}, "tag { id }")["tag"]["id"]


def make_folder(api: Api, name: str = "Sales") -> dict:
    """A folder with the starter statuses New (default), In progress, Done; `statuses` by name."""
    folder = ok(
        api,
        "createFolder",
        {"name": name, "color": "#00aa00"},
        "folder { id statuses { id name isDefault } }",
    )["folder"]
    return {"id": folder["id"], "statuses": {s["name"]: s["id"] for s in folder["statuses"]}}


def make_worker(api: Api, name: str = "Sam Agent", role: str = "AGENT") -> str:
    email = name.lower().replace(" ", ".") + "@example.com"
    payload = ok(api, "createWorker", {"name": name, "email": email, "role": role}, "worker { id }")
    return payload["worker"]["id"]


def customer_statuses(api: Api) -> dict[str, str]:
    rows = api.query("{ statuses { id name isDefault } }")["statuses"]
    return {s["name"]: s["id"] for s in rows}


def make_field(api: Api, key: str, type_: str, **extra) -> str:
    payload = ok(
        api,
        "createCustomFieldDefinition",
        {"key": key, "label": key.replace("_", " ").title(), "type": type_, **extra},
        "definition { id }",
    )
    return payload["definition"]["id"]


def values(customer: dict) -> dict:
    """Custom field key -> its value, whichever member holds it."""
    return {
        v["definition"]["key"]: next((v[m] for m in VALUE_MEMBERS if v[m] is not None), None)
        for v in customer["customFields"]
    }


def errors_of(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def refused(api: Api, mutation: str, input: dict, expected: list, selection: str = "") -> dict:
    """Run a mutation that must fail with exactly `expected` [(field, code)] userErrors and
    leave the number of customers as it was."""
    before = count(api)
    payload = mutate(api, mutation, input, selection)
    assert sorted(errors_of(payload)) == sorted(expected), payload["userErrors"]
    assert count(api) == before
    return payload


def names(items: list[dict]) -> list[str]:
    return sorted(i["name"] for i in items)


def memberships(customer: dict) -> list[tuple[str, str | None]]:
    return sorted(
        (m["folder"]["name"], m["status"] and m["status"]["name"]) for m in customer["folders"]
    )


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- createCustomer -----------------------------------------------------------------------------


def test_create_minimal_customer(api):
    statuses = api.query("{ statuses { id name isDefault } }")["statuses"]
    default = next(s for s in statuses if s["isDefault"])
    before = count(api)

    customer = make_customer(api, "  Grace Hopper  ")

    assert customer["name"] == "Grace Hopper"
    assert customer["kind"] == "LEAD"
    assert customer["version"] == 1
    assert customer["status"] == {"id": default["id"], "name": default["name"]}
    assert customer["phones"] == customer["emails"] == []
    assert customer["tags"] == customer["workers"] == customer["folders"] == []
    assert customer["parent"] is None and customer["blocked"] is False
    assert customer["company"] is None and customer["primaryEmail"] is None
    assert count(api) == before + 1
    assert fetch(api, customer["id"]) == customer


def test_create_full_customer(api):
    active = customer_statuses(api)["Active"]
    folder = make_folder(api)
    vip, other_tag = make_tag(api, "VIP"), make_tag(api, "Wholesale")
    worker = make_worker(api)

    customer = make_customer(
        api,
        "Acme Ltd",
        kind="CUSTOMER",
        statusId=active,
        avatarUrl="https://example.com/a.png",
        company="Acme",
        leadSource="Fair",
        city="Oslo",
        notes="Pays late",
        followUpAt="2026-05-01T09:00:00+00:00",
        phones=[
            {"value": "+47 123 45 678", "label": " work "},
            {"value": "555-0100", "label": "mobile", "primary": True},
        ],
        emails=[{"value": "Info@Acme.COM", "label": "work"}, {"value": "b@acme.com"}],
        folders=[{"folderId": folder["id"], "statusId": folder["statuses"]["Done"]}],
        tagIds=[vip, other_tag],
        workerIds=[worker],
    )

    assert customer["kind"] == "CUSTOMER"
    assert customer["status"]["name"] == "Active"
    assert customer["company"] == "Acme" and customer["city"] == "Oslo"
    assert customer["leadSource"] == "Fair" and customer["notes"] == "Pays late"
    assert customer["avatarUrl"] == "https://example.com/a.png"
    assert when(customer["followUpAt"]) == when("2026-05-01T09:00:00+00:00")
    assert customer["phones"] == [
        {"label": "work", "value": "+47 123 45 678", "primary": False},
        {"label": "mobile", "value": "555-0100", "primary": True},
    ]
    assert customer["primaryPhone"] == "555-0100"
    # No email marked primary: the first one is.
    assert customer["emails"] == [
        {"label": "work", "value": "info@acme.com", "primary": True},
        {"label": None, "value": "b@acme.com", "primary": False},
    ]
    assert customer["primaryEmail"] == "info@acme.com"
    assert memberships(customer) == [("Sales", "Done")]
    assert names(customer["tags"]) == ["VIP", "Wholesale"]
    assert [w["id"] for w in customer["workers"]] == [worker]
    assert customer["version"] == 1


def test_folder_placement_without_status_gets_the_folders_default(api):
    sales, support = make_folder(api, "Sales"), make_folder(api, "Support")
    customer = make_customer(
        api,
        folders=[
            {"folderId": sales["id"]},
            {"folderId": support["id"], "statusId": support["statuses"]["In progress"]},
        ],
    )
    assert memberships(customer) == [("Sales", "New"), ("Support", "In progress")]
    counts = api.query("{ folders { name customerCount } }")["folders"]
    assert {f["name"]: f["customerCount"] for f in counts} == {"Sales": 1, "Support": 1}


def test_create_with_parent_makes_a_sub_customer_without_copying(api):
    parent = make_customer(api, "Parent", company="Acme", city="Oslo")
    child = make_customer(api, "Child", parentId=parent["id"])
    assert child["parent"] == {"id": parent["id"]}
    assert child["company"] is None and child["city"] is None
    assert fetch(api, parent["id"])["subCustomerCount"] == 1


def test_create_refuses_blank_and_too_long_names(api):
    refused(api, "createCustomer", {"name": "   "}, [(["input", "name"], "REQUIRED")])
    refused(api, "createCustomer", {"name": "x" * 201}, [(["input", "name"], "TOO_LONG")])
    assert make_customer(api, "x" * 200)["name"] == "x" * 200


def test_create_refuses_bad_contacts_and_reports_every_problem(api):
    refused(
        api,
        "createCustomer",
        {
            "name": " ",
            "emails": [{"value": "ok@example.com"}, {"value": "not-an-email"}],
            "phones": [{"value": "call me"}],
        },
        [
            (["input", "name"], "REQUIRED"),
            (["input", "emails", "1", "value"], "INVALID"),
            (["input", "phones", "0", "value"], "INVALID"),
        ],
    )


def test_create_refuses_two_primary_contacts(api):
    two = [{"value": "a@example.com", "primary": True}, {"value": "b@example.com", "primary": True}]
    payload = refused(
        api,
        "createCustomer",
        {"name": "Ada", "emails": two},
        [(["input", "emails"], "MULTIPLE_PRIMARY")],
        CUSTOMER,
    )
    assert payload["customer"] is None
    phones = [{"value": "555 0100", "primary": True}, {"value": "555 0101", "primary": True}]
    refused(
        api,
        "createCustomer",
        {"name": "Ada", "phones": phones},
        [(["input", "phones"], "MULTIPLE_PRIMARY")],
    )


def test_create_refuses_unknown_and_foreign_references(api, other_api):
    tag, worker, folder = make_tag(api), make_worker(api), make_folder(api)
    foreign_tag, foreign_worker = make_tag(other_api), make_worker(other_api, "Their Agent")
    foreign_folder = make_folder(other_api)
    foreign_status = customer_statuses(other_api)["Active"]
    cases = [
        ({"tagIds": [tag, gid("Tag", 987_654)]}, ["input", "tagIds", "1"]),
        ({"tagIds": [tag, foreign_tag]}, ["input", "tagIds", "1"]),
        ({"workerIds": [gid("Worker", 987_654), worker]}, ["input", "workerIds", "0"]),
        ({"workerIds": [worker, foreign_worker]}, ["input", "workerIds", "1"]),
        ({"folders": [{"folderId": gid("Folder", 987_654)}]}, ["input", "folders", "0"]),
        (
            {"folders": [{"folderId": folder["id"]}, {"folderId": foreign_folder["id"]}]},
            ["input", "folders", "1"],
        ),
        ({"statusId": gid("Status", 987_654)}, ["input", "statusId"]),
        ({"statusId": foreign_status}, ["input", "statusId"]),
        # A status of a folder's own list is not a customer status.
        ({"statusId": folder["statuses"]["Done"]}, ["input", "statusId"]),
        # A folder placement with a status of another list.
        (
            {"folders": [{"folderId": folder["id"], "statusId": customer_statuses(api)["Lost"]}]},
            ["input", "folders", "0", "statusId"],
        ),
        (
            {
                "folders": [
                    {"folderId": folder["id"], "statusId": foreign_folder["statuses"]["New"]}
                ]
            },
            ["input", "folders", "0", "statusId"],
        ),
    ]
    for extra, field in cases:
        refused(api, "createCustomer", {"name": "Ada", **extra}, [(field, "NOT_FOUND")])
    # Nothing leaked into the other tenant either.
    assert count(other_api) == 0
    assert api.query("{ folders { customerCount } }")["folders"][0]["customerCount"] == 0


def test_create_unknown_and_foreign_tag_give_identical_errors(api, other_api):
    unknown = mutate(api, "createCustomer", {"name": "Ada", "tagIds": [gid("Tag", 987_654)]})
    foreign = mutate(api, "createCustomer", {"name": "Ada", "tagIds": [make_tag(other_api)]})
    assert unknown["userErrors"] == foreign["userErrors"]


# --- custom fields ------------------------------------------------------------------------------


ALL_TYPES = [
    ("title", "TEXT", {}, {"text": "  Dr  "}, "Dr"),
    ("bio", "LONG_TEXT", {}, {"text": "Line one\nLine two"}, "Line one\nLine two"),
    ("size", "NUMBER", {}, {"number": 42.5}, 42.5),
    ("born", "DATE", {}, {"date": "1990-02-03"}, "1990-02-03"),
    (
        "met_at",
        "DATE_TIME",
        {},
        {"dateTime": "2026-03-01T10:30:00+02:00"},
        "2026-03-01T08:30:00+00:00",
    ),
    ("newsletter", "BOOLEAN", {}, {"boolean": False}, False),
    ("level", "SINGLE_SELECT", {"options": ["silver", "gold"]}, {"option": "gold"}, "gold"),
    (
        "channels",
        "MULTI_SELECT",
        {"options": ["email", "phone", "post"]},
        {"options": ["post", "email"]},
        ["email", "post"],
    ),
]


def test_create_with_custom_fields_of_every_type(api):
    for key, type_, extra, _, _ in ALL_TYPES:
        make_field(api, key, type_, **extra)
    entries = [{"key": key, **given} for key, _, _, given, _ in ALL_TYPES]

    customer = make_customer(api, customFields=entries)

    expected = {key: value for key, _, _, _, value in ALL_TYPES}
    assert values(customer) == expected
    shown = {v["definition"]["key"]: v for v in customer["customFields"]}
    # Only the member of the field's type is set.
    assert shown["level"]["text"] == "gold" and shown["level"]["options"] is None
    assert shown["newsletter"]["boolean"] is False and shown["newsletter"]["text"] is None
    assert values(fetch(api, customer["id"])) == expected


def test_update_custom_fields_changes_only_those_listed_and_empty_entry_clears(api):
    for key, type_, extra, _, _ in ALL_TYPES:
        make_field(api, key, type_, **extra)
    customer = make_customer(
        api, customFields=[{"key": key, **given} for key, _, _, given, _ in ALL_TYPES]
    )

    updated = ok(
        api,
        "updateCustomer",
        {
            "id": customer["id"],
            "customFields": [
                {"key": "size", "number": 7},
                {"key": "channels", "options": ["phone"]},
                {"key": "title"},
            ],
        },
        CUSTOMER,
    )["customer"]

    got = values(updated)
    assert got["size"] == 7 and got["channels"] == ["phone"] and got["title"] is None
    assert got["bio"] == "Line one\nLine two" and got["level"] == "gold"
    assert got["born"] == "1990-02-03" and got["newsletter"] is False
    assert updated["version"] == customer["version"] + 1


def _field_setup(api: Api) -> dict:
    """note (TEXT), size (NUMBER), level (SINGLE_SELECT silver/gold), vip_code (TEXT, shown
    only while level is gold), sales_only (TEXT, shown only in the Sales folder) and tier
    (SINGLE_SELECT basic/premium)."""
    folder = make_folder(api, "Sales")
    make_field(api, "note", "TEXT")
    make_field(api, "size", "NUMBER")
    level = make_field(api, "level", "SINGLE_SELECT", options=["silver", "gold"])
    make_field(api, "vip_code", "TEXT", condition={"fieldId": level, "values": ["gold"]})
    make_field(api, "sales_only", "TEXT", folderIds=[folder["id"]])
    make_field(api, "tier", "SINGLE_SELECT", options=["basic", "premium"])
    return {"folder": folder}


BAD_ENTRIES = [
    pytest.param({"key": "size", "text": "big"}, "INVALID", id="text-into-number"),
    pytest.param({"key": "tier", "option": "platinum"}, "INVALID", id="unknown-option"),
    pytest.param({"key": "note", "text": "again"}, "DUPLICATE", id="listed-twice"),
    pytest.param({"key": "shoe_size", "text": "44"}, "NOT_FOUND", id="unknown-key"),
    pytest.param({"key": "size", "number": 1, "text": "1"}, "INVALID", id="two-members"),
    pytest.param({"key": "sales_only", "text": "x"}, "FIELD_HIDDEN", id="other-folder"),
    pytest.param({"key": "vip_code", "text": "X1"}, "FIELD_HIDDEN", id="condition-not-held"),
    pytest.param(
        {"key": "met", "dateTime": "2026-03-01T10:30:00"}, "INVALID", id="naive-date-time"
    ),
]


@pytest.mark.parametrize("entry,code", BAD_ENTRIES)
def test_create_refuses_bad_custom_field_entry(api, entry, code):
    _field_setup(api)
    make_field(api, "met", "DATE_TIME")
    refused(
        api,
        "createCustomer",
        {
            "name": "Ada",
            "customFields": [
                {"key": "note", "text": "fine"},
                {"key": "level", "option": "silver"},
                entry,
            ],
        },
        [(["input", "customFields", "2"], code)],
    )


@pytest.mark.parametrize("entry,code", BAD_ENTRIES)
def test_update_refuses_bad_custom_field_entry_and_writes_nothing(api, entry, code):
    _field_setup(api)
    make_field(api, "met", "DATE_TIME")
    customer = make_customer(
        api,
        customFields=[{"key": "note", "text": "before"}, {"key": "level", "option": "silver"}],
    )

    refused(
        api,
        "updateCustomer",
        {
            "id": customer["id"],
            "name": "Changed Name",
            "city": "Paris",
            "customFields": [{"key": "note", "text": "after"}, entry],
        },
        [(["input", "customFields", "1"], code)],
    )

    after = fetch(api, customer["id"])
    assert after["name"] == "Ada Lovelace" and after["city"] is None
    assert values(after)["note"] == "before"
    assert after["version"] == customer["version"]
    assert after["updatedAt"] == customer["updatedAt"]


def test_dependent_field_is_allowed_while_its_condition_holds(api):
    _field_setup(api)
    # Set together with the value that shows it.
    customer = make_customer(
        api,
        customFields=[{"key": "vip_code", "text": "X1"}, {"key": "level", "option": "gold"}],
    )
    assert values(customer)["vip_code"] == "X1"
    # Set later, while the stored value shows it.
    other = make_customer(api, "Bob", customFields=[{"key": "level", "option": "gold"}])
    updated = ok(
        api,
        "updateCustomer",
        {"id": other["id"], "customFields": [{"key": "vip_code", "text": "Y2"}]},
        CUSTOMER,
    )["customer"]
    assert values(updated)["vip_code"] == "Y2"
    # Hidden again when the condition stops holding; the field is then not shown.
    hidden = ok(
        api,
        "updateCustomer",
        {"id": other["id"], "customFields": [{"key": "level", "option": "silver"}]},
        CUSTOMER,
    )["customer"]
    assert "vip_code" not in values(hidden)
    # Setting it now is refused.
    refused(
        api,
        "updateCustomer",
        {"id": other["id"], "customFields": [{"key": "vip_code", "text": "Z3"}]},
        [(["input", "customFields", "0"], "FIELD_HIDDEN")],
    )


def test_folder_limited_field_is_allowed_in_its_folder(api):
    setup = _field_setup(api)
    customer = make_customer(
        api,
        folders=[{"folderId": setup["folder"]["id"]}],
        customFields=[{"key": "sales_only", "text": "lead from fair"}],
    )
    assert values(customer)["sales_only"] == "lead from fair"
    outside = make_customer(api, "Bob")
    assert "sales_only" not in values(outside)


def test_required_custom_field(api):
    make_field(api, "contract", "TEXT", required=True)
    make_field(api, "note", "TEXT")
    refused(
        api,
        "createCustomer",
        {"name": "Ada", "customFields": [{"key": "note", "text": "x"}]},
        [(["input", "customFields"], "REQUIRED")],
    )
    refused(api, "createCustomer", {"name": "Ada"}, [(["input", "customFields"], "REQUIRED")])
    customer = make_customer(api, customFields=[{"key": "contract", "text": "C-1"}])
    # Clearing it on update is refused too; editing other fields is fine.
    refused(
        api,
        "updateCustomer",
        {"id": customer["id"], "customFields": [{"key": "contract"}]},
        [(["input", "customFields"], "REQUIRED")],
    )
    assert values(fetch(api, customer["id"]))["contract"] == "C-1"
    ok(
        api,
        "updateCustomer",
        {"id": customer["id"], "customFields": [{"key": "note", "text": "y"}]},
    )


def test_required_field_of_another_folder_is_not_required(api):
    folder = make_folder(api)
    make_field(api, "contract", "TEXT", required=True, folderIds=[folder["id"]])
    make_customer(api)
    refused(
        api,
        "createCustomer",
        {"name": "Bob", "folders": [{"folderId": folder["id"]}]},
        [(["input", "customFields"], "REQUIRED")],
    )


# --- updateCustomer -----------------------------------------------------------------------------


def _full_customer(api: Api) -> dict:
    make_field(api, "note", "TEXT")
    return make_customer(
        api,
        "Ada Lovelace",
        company="Acme",
        city="Oslo",
        leadSource="Fair",
        notes="Some notes",
        avatarUrl="https://example.com/a.png",
        followUpAt="2026-05-01T09:00:00+00:00",
        phones=[{"value": "555 0100"}],
        emails=[{"value": "ada@example.com"}],
        tagIds=[make_tag(api)],
        customFields=[{"key": "note", "text": "kept"}],
    )


def test_update_changes_only_the_members_sent(api):
    customer = _full_customer(api)

    updated = ok(api, "updateCustomer", {"id": customer["id"], "city": "Bergen"}, CUSTOMER)[
        "customer"
    ]

    assert updated["city"] == "Bergen"
    unchanged = {k: v for k, v in customer.items() if k not in ("city", "version", "updatedAt")}
    assert {k: updated[k] for k in unchanged} == unchanged
    assert updated["version"] == customer["version"] + 1
    assert when(updated["updatedAt"]) > when(customer["updatedAt"])
    assert updated["createdAt"] == customer["createdAt"]
    assert fetch(api, customer["id"]) == updated


def test_update_null_clears_optional_members(api):
    customer = _full_customer(api)
    cleared = [
        "company",
        "city",
        "leadSource",
        "notes",
        "avatarUrl",
        "followUpAt",
        "phones",
        "emails",
    ]
    updated = ok(api, "updateCustomer", {"id": customer["id"], **dict.fromkeys(cleared)}, CUSTOMER)[
        "customer"
    ]
    for key in ("company", "city", "leadSource", "notes", "avatarUrl", "followUpAt"):
        assert updated[key] is None, key
    assert updated["phones"] == updated["emails"] == []
    assert updated["primaryPhone"] is None and updated["primaryEmail"] is None
    assert updated["name"] == "Ada Lovelace" and names(updated["tags"]) == ["VIP"]
    assert values(updated) == {"note": "kept"}


def test_update_refuses_null_or_blank_name_and_bad_contacts(api):
    customer = _full_customer(api)
    for name in (None, "  "):
        refused(
            api,
            "updateCustomer",
            {"id": customer["id"], "name": name, "city": "Bergen"},
            [(["input", "name"], "REQUIRED")],
        )
    refused(
        api,
        "updateCustomer",
        {"id": customer["id"], "city": "Bergen", "emails": [{"value": "nope"}]},
        [(["input", "emails", "0", "value"], "INVALID")],
    )
    refused(
        api,
        "updateCustomer",
        {"id": customer["id"], "city": "Bergen", "statusId": make_folder(api)["statuses"]["New"]},
        [(["input", "statusId"], "NOT_FOUND")],
    )
    assert fetch(api, customer["id"]) == customer


def test_update_with_expected_version(api):
    customer = _full_customer(api)
    lost = customer_statuses(api)["Lost"]
    first = ok(
        api,
        "updateCustomer",
        {"id": customer["id"], "expectedVersion": 1, "name": "Ada King", "notes": "v2"},
        CUSTOMER,
    )["customer"]
    assert first["version"] == 2 and first["name"] == "Ada King"

    # A stale edit is refused and writes nothing.
    payload = refused(
        api,
        "updateCustomer",
        {"id": customer["id"], "expectedVersion": 1, "name": "Stale"},
        [(["input", "expectedVersion"], "VERSION_CONFLICT")],
        CUSTOMER,
    )
    assert payload["customer"] is None
    assert fetch(api, customer["id"]) == first

    # An edit of several kinds of member at once is still one change: version + 1.
    second = ok(
        api,
        "updateCustomer",
        {
            "id": customer["id"],
            "expectedVersion": 2,
            "name": "Ada Byron",
            "statusId": lost,
            "customFields": [{"key": "note", "text": "v3"}],
        },
        CUSTOMER,
    )["customer"]
    assert second["status"]["name"] == "Lost" and values(second) == {"note": "v3"}
    assert second["version"] == 3


def test_update_unknown_and_foreign_customer_give_identical_not_found(api, other_api):
    theirs = make_customer(other_api, "Theirs")
    unknown = mutate(api, "updateCustomer", {"id": UNKNOWN_CUSTOMER, "name": "X"}, CUSTOMER)
    foreign = mutate(api, "updateCustomer", {"id": theirs["id"], "name": "X"}, CUSTOMER)
    assert errors_of(unknown) == [(["input", "id"], "NOT_FOUND")]
    assert unknown == foreign
    assert fetch(other_api, theirs["id"]) == theirs


# --- delete, convert, status, block -----------------------------------------------------------


def test_delete_customer_keeps_sub_customers_as_top_level(api):
    folder = make_folder(api)
    parent = make_customer(
        api, "Parent", tagIds=[make_tag(api)], folders=[{"folderId": folder["id"]}]
    )
    child = make_customer(api, "Child", parentId=parent["id"])
    before = count(api)

    payload = ok(api, "deleteCustomer", {"id": parent["id"]}, "deletedId")

    assert payload["deletedId"] == parent["id"]
    assert fetch(api, parent["id"]) is None
    assert fetch(api, child["id"])["parent"] is None
    assert count(api) == before - 1
    assert api.query("{ folders { customerCount } }")["folders"][0]["customerCount"] == 0
    top = api.query("{ customers(filter: {hasParent: false}) { nodes { id } } }")
    assert [n["id"] for n in top["customers"]["nodes"]] == [child["id"]]


def test_delete_unknown_or_foreign_customer(api, other_api):
    theirs = make_customer(other_api, "Theirs")
    make_customer(api)
    unknown = refused(
        api,
        "deleteCustomer",
        {"id": UNKNOWN_CUSTOMER},
        [(["input", "id"], "NOT_FOUND")],
        "deletedId",
    )
    foreign = refused(
        api, "deleteCustomer", {"id": theirs["id"]}, [(["input", "id"], "NOT_FOUND")], "deletedId"
    )
    assert unknown == foreign and unknown["deletedId"] is None
    assert fetch(other_api, theirs["id"]) == theirs


def test_convert_lead(api):
    lead = make_customer(api)
    converted = ok(api, "convertLead", {"id": lead["id"]}, CUSTOMER)["customer"]
    assert converted["kind"] == "CUSTOMER" and converted["version"] == 2
    refused(api, "convertLead", {"id": lead["id"]}, [(["input", "id"], "ALREADY_CUSTOMER")])
    assert fetch(api, lead["id"])["version"] == 2
    refused(api, "convertLead", {"id": UNKNOWN_CUSTOMER}, [(["input", "id"], "NOT_FOUND")])


def test_set_customer_status(api, other_api):
    customer = make_customer(api)
    statuses = customer_statuses(api)
    updated = ok(
        api,
        "setCustomerStatus",
        {"customerId": customer["id"], "statusId": statuses["On hold"]},
        CUSTOMER,
    )["customer"]
    assert updated["status"]["name"] == "On hold" and updated["version"] == 2
    for bad in (
        make_folder(api)["statuses"]["New"],
        customer_statuses(other_api)["Active"],
        gid("Status", 987_654),
    ):
        refused(
            api,
            "setCustomerStatus",
            {"customerId": customer["id"], "statusId": bad},
            [(["input", "statusId"], "NOT_FOUND")],
        )
    refused(
        api,
        "setCustomerStatus",
        {"customerId": UNKNOWN_CUSTOMER, "statusId": statuses["Active"]},
        [(["input", "customerId"], "NOT_FOUND")],
    )
    assert fetch(api, customer["id"]) == updated


def test_block_and_unblock(api):
    customer = make_customer(api)
    for reason in ("", "   "):
        refused(
            api,
            "blockCustomer",
            {"id": customer["id"], "reason": reason},
            [(["input", "reason"], "REQUIRED")],
        )
    assert fetch(api, customer["id"]) == customer

    blocked = ok(
        api, "blockCustomer", {"id": customer["id"], "reason": " Unpaid bills "}, CUSTOMER
    )["customer"]
    assert blocked["blocked"] is True and blocked["blockedReason"] == "Unpaid bills"
    assert when(blocked["blockedAt"]) >= when(customer["createdAt"])
    assert blocked["version"] == 2
    listed = api.query("{ customers(filter: {blocked: true}) { totalCount } }")
    assert listed["customers"]["totalCount"] == 1

    unblocked = ok(api, "unblockCustomer", {"id": customer["id"]}, CUSTOMER)["customer"]
    assert unblocked["blocked"] is False
    assert unblocked["blockedReason"] is None and unblocked["blockedAt"] is None
    assert unblocked["version"] == 3


# --- folders, tags, workers of one customer -----------------------------------------------------


def test_add_remove_folders_and_folder_status(api, other_api):
    sales, support = make_folder(api, "Sales"), make_folder(api, "Support")
    customer = make_customer(api)

    added = ok(
        api,
        "addCustomerToFolders",
        {
            "customerId": customer["id"],
            "folders": [
                {"folderId": sales["id"]},
                {"folderId": support["id"], "statusId": support["statuses"]["Done"]},
            ],
        },
        CUSTOMER,
    )["customer"]
    assert memberships(added) == [("Sales", "New"), ("Support", "Done")]
    assert added["version"] == 2

    # Already in it: left as it is (status kept).
    again = ok(
        api,
        "addCustomerToFolders",
        {
            "customerId": customer["id"],
            "folders": [{"folderId": sales["id"], "statusId": sales["statuses"]["Done"]}],
        },
        CUSTOMER,
    )["customer"]
    assert memberships(again) == [("Sales", "New"), ("Support", "Done")]

    moved = ok(
        api,
        "setCustomerFolderStatus",
        {
            "customerId": customer["id"],
            "folderId": sales["id"],
            "statusId": sales["statuses"]["In progress"],
        },
        CUSTOMER,
    )["customer"]
    assert memberships(moved) == [("Sales", "In progress"), ("Support", "Done")]
    assert moved["version"] == again["version"] + 1

    # A status of another folder's list, or of the customer list, is not this folder's.
    for bad in (support["statuses"]["New"], customer_statuses(api)["Active"]):
        refused(
            api,
            "setCustomerFolderStatus",
            {"customerId": customer["id"], "folderId": sales["id"], "statusId": bad},
            [(["input", "statusId"], "NOT_FOUND")],
        )
    refused(
        api,
        "addCustomerToFolders",
        {"customerId": customer["id"], "folders": [{"folderId": make_folder(other_api)["id"]}]},
        [(["input", "folders", "0"], "NOT_FOUND")],
    )
    assert fetch(api, customer["id"]) == moved

    removed = ok(
        api,
        "removeCustomerFromFolders",
        {"customerId": customer["id"], "folderIds": [support["id"]]},
        CUSTOMER,
    )["customer"]
    assert memberships(removed) == [("Sales", "In progress")]
    assert removed["version"] == moved["version"] + 1

    refused(
        api,
        "setCustomerFolderStatus",
        {
            "customerId": customer["id"],
            "folderId": support["id"],
            "statusId": support["statuses"]["New"],
        },
        [(["input", "customerId"], "NOT_IN_FOLDER")],
    )
    assert fetch(api, customer["id"]) == removed


def test_add_and_remove_tags(api, other_api):
    vip, gold = make_tag(api, "VIP"), make_tag(api, "Gold")
    customer = make_customer(api)
    tagged = ok(
        api, "addCustomerTags", {"customerId": customer["id"], "tagIds": [vip, gold]}, CUSTOMER
    )["customer"]
    assert names(tagged["tags"]) == ["Gold", "VIP"] and tagged["version"] == 2

    for bad in (gid("Tag", 987_654), make_tag(other_api)):
        refused(
            api,
            "addCustomerTags",
            {"customerId": customer["id"], "tagIds": [vip, bad]},
            [(["input", "tagIds", "1"], "NOT_FOUND")],
        )
        refused(
            api,
            "removeCustomerTags",
            {"customerId": customer["id"], "tagIds": [bad, vip]},
            [(["input", "tagIds", "0"], "NOT_FOUND")],
        )
    assert fetch(api, customer["id"]) == tagged

    untagged = ok(
        api, "removeCustomerTags", {"customerId": customer["id"], "tagIds": [vip]}, CUSTOMER
    )["customer"]
    assert names(untagged["tags"]) == ["Gold"] and untagged["version"] == 3


def test_assign_and_unassign_workers(api, other_api):
    sam, kim = make_worker(api, "Sam Agent"), make_worker(api, "Kim Manager", "MANAGER")
    customer = make_customer(api)
    assigned = ok(
        api, "assignWorkers", {"customerId": customer["id"], "workerIds": [sam, kim]}, CUSTOMER
    )["customer"]
    assert names(assigned["workers"]) == ["Kim Manager", "Sam Agent"]
    assert assigned["version"] == 2

    for bad in (gid("Worker", 987_654), make_worker(other_api, "Their Agent")):
        refused(
            api,
            "assignWorkers",
            {"customerId": customer["id"], "workerIds": [bad]},
            [(["input", "workerIds", "0"], "NOT_FOUND")],
        )
    refused(
        api,
        "assignWorkers",
        {"customerId": UNKNOWN_CUSTOMER, "workerIds": [sam]},
        [(["input", "customerId"], "NOT_FOUND")],
    )
    assert fetch(api, customer["id"]) == assigned

    unassigned = ok(
        api, "unassignWorkers", {"customerId": customer["id"], "workerIds": [sam]}, CUSTOMER
    )["customer"]
    assert names(unassigned["workers"]) == ["Kim Manager"] and unassigned["version"] == 3


# --- bulk twins ---------------------------------------------------------------------------------


def _bulk_status(api, ids):
    return {"statusId": customer_statuses(api)["Active"]}, lambda c: c["status"]["name"], "Active"


def _bulk_add_tags(api, ids):
    return {"tagIds": [make_tag(api)]}, lambda c: names(c["tags"]), ["VIP"]


def _bulk_remove_tags(api, ids):
    tag = make_tag(api)
    for cid in ids:
        ok(api, "addCustomerTags", {"customerId": cid, "tagIds": [tag]})
    return {"tagIds": [tag]}, lambda c: names(c["tags"]), []


def _bulk_add_folders(api, ids):
    folder = make_folder(api)
    placement = {"folderId": folder["id"], "statusId": folder["statuses"]["Done"]}
    return {"folders": [placement]}, memberships, [("Sales", "Done")]


def _in_folder(api, ids):
    folder = make_folder(api)
    for cid in ids:
        ok(
            api,
            "addCustomerToFolders",
            {"customerId": cid, "folders": [{"folderId": folder["id"]}]},
        )
    return folder


def _bulk_remove_folders(api, ids):
    return {"folderIds": [_in_folder(api, ids)["id"]]}, memberships, []


def _bulk_folder_status(api, ids):
    folder = _in_folder(api, ids)
    extra = {"folderId": folder["id"], "statusId": folder["statuses"]["In progress"]}
    return extra, memberships, [("Sales", "In progress")]


def _bulk_assign(api, ids):
    return {"workerIds": [make_worker(api)]}, lambda c: names(c["workers"]), ["Sam Agent"]


def _bulk_unassign(api, ids):
    worker = make_worker(api)
    for cid in ids:
        ok(api, "assignWorkers", {"customerId": cid, "workerIds": [worker]})
    return {"workerIds": [worker]}, lambda c: names(c["workers"]), []


BULK = [
    ("bulkSetCustomerStatus", _bulk_status),
    ("bulkAddCustomerTags", _bulk_add_tags),
    ("bulkRemoveCustomerTags", _bulk_remove_tags),
    ("bulkAddCustomerToFolders", _bulk_add_folders),
    ("bulkRemoveCustomerFromFolders", _bulk_remove_folders),
    ("bulkSetCustomerFolderStatus", _bulk_folder_status),
    ("bulkAssignWorkers", _bulk_assign),
    ("bulkUnassignWorkers", _bulk_unassign),
]


@pytest.mark.parametrize("mutation,prepare", BULK, ids=[b[0] for b in BULK])
def test_bulk_is_all_or_nothing(api, other_api, mutation, prepare):
    a, b = make_customer(api, "A")["id"], make_customer(api, "B")["id"]
    extra, view, expected = prepare(api, [a, b])
    before = [fetch(api, a), fetch(api, b)]
    theirs = make_customer(other_api, "Theirs")

    payload = refused(
        api,
        mutation,
        {"customerIds": [a, b, UNKNOWN_CUSTOMER, theirs["id"]], **extra},
        [
            (["input", "customerIds", "2"], "NOT_FOUND"),
            (["input", "customerIds", "3"], "NOT_FOUND"),
        ],
        "customers { id }",
    )
    assert payload["customers"] == []
    assert [fetch(api, a), fetch(api, b)] == before
    assert fetch(other_api, theirs["id"]) == theirs

    done = ok(api, mutation, {"customerIds": [b, a], **extra}, "customers { id version }")
    assert [c["id"] for c in done["customers"]] == [b, a]
    for old in before:
        new = fetch(api, old["id"])
        assert view(old) != expected and view(new) == expected
        assert new["version"] == old["version"] + 1


@pytest.mark.parametrize("mutation,prepare", BULK, ids=[b[0] for b in BULK])
def test_bulk_refuses_more_than_500_customers(api, mutation, prepare):
    customer = make_customer(api)
    extra, _, _ = prepare(api, [])
    ids = [customer["id"]] + [gid("Customer", 10_000_000 + i) for i in range(500)]
    refused(api, mutation, {"customerIds": ids, **extra}, [(["input", "customerIds"], "TOO_MANY")])
    assert fetch(api, customer["id"]) == customer


def test_bulk_folder_status_names_customers_not_in_the_folder(api):
    a, b, c = (make_customer(api, n)["id"] for n in "ABC")
    folder = _in_folder(api, [a, c])
    refused(
        api,
        "bulkSetCustomerFolderStatus",
        {
            "customerIds": [a, b, c],
            "folderId": folder["id"],
            "statusId": folder["statuses"]["Done"],
        },
        [(["input", "customerIds", "1"], "NOT_IN_FOLDER")],
    )
    assert memberships(fetch(api, a)) == [("Sales", "New")]


@pytest.mark.parametrize("mutation", ["setCustomerFolderStatus", "bulkSetCustomerFolderStatus"])
def test_folder_status_in_unknown_or_foreign_folder_names_folder_id(api, other_api, mutation):
    customer = make_customer(api)
    target = (
        {"customerId": customer["id"]}
        if mutation == "setCustomerFolderStatus"
        else {"customerIds": [customer["id"]]}
    )
    theirs = make_folder(other_api)
    for folder_id in (gid("Folder", 987_654), theirs["id"]):
        refused(
            api,
            mutation,
            {**target, "folderId": folder_id, "statusId": theirs["statuses"]["New"]},
            [(["input", "folderId"], "NOT_FOUND")],
        )
    assert fetch(api, customer["id"]) == customer


def test_bulk_errors_name_the_input_index_even_with_repeated_ids(api):
    a, b = make_customer(api, "A")["id"], make_customer(api, "B")["id"]
    folder = _in_folder(api, [a])
    refused(
        api,
        "bulkSetCustomerFolderStatus",
        {
            "customerIds": [a, a, b],
            "folderId": folder["id"],
            "statusId": folder["statuses"]["Done"],
        },
        [(["input", "customerIds", "2"], "NOT_IN_FOLDER")],
    )


# --- sub-customers ------------------------------------------------------------------------------


def _parent(api: Api) -> dict:
    folder = make_folder(api)
    make_field(api, "note", "TEXT")
    make_field(api, "size", "NUMBER")
    make_field(api, "since", "DATE")
    return make_customer(
        api,
        "Parent Co",
        company="Acme",
        city="Oslo",
        leadSource="Fair",
        statusId=customer_statuses(api)["Active"],
        phones=[{"value": "+47 123 45 678", "label": "work"}],
        emails=[{"value": "parent@acme.no"}],
        folders=[{"folderId": folder["id"], "statusId": folder["statuses"]["In progress"]}],
        tagIds=[make_tag(api, "VIP")],
        workerIds=[make_worker(api)],
        customFields=[
            {"key": "note", "text": "from parent"},
            {"key": "size", "number": 3},
            {"key": "since", "date": "2020-01-31"},
        ],
    )


def test_create_sub_customer_copies_the_default_fields(api):
    copied = api.query("{ me { tenant { subCustomerCopyFields } } }")
    assert copied["me"]["tenant"]["subCustomerCopyFields"] == [
        "COMPANY",
        "CITY",
        "PHONES",
        "FOLDERS",
        "WORKERS",
    ]
    parent = _parent(api)

    child = ok(
        api,
        "createSubCustomer",
        {"parentId": parent["id"], "name": "Branch", "city": "Bergen"},
        CUSTOMER,
    )["customer"]

    assert child["parent"] == {"id": parent["id"]}
    assert child["company"] == "Acme"
    assert child["city"] == "Bergen"  # given wins
    assert child["phones"] == parent["phones"]
    assert memberships(child) == [("Sales", "In progress")]
    assert names(child["workers"]) == ["Sam Agent"]
    # Not in the copy set:
    assert child["leadSource"] is None and child["emails"] == [] and child["tags"] == []
    assert child["status"]["name"] == "New"
    assert values(child) == {"note": None, "size": None, "since": None}
    assert child["kind"] == "LEAD" and child["version"] == 1
    assert fetch(api, parent["id"])["subCustomerCount"] == 1


def test_create_sub_customer_copies_the_configured_fields(api):
    parent = _parent(api)
    settings = ok(
        api,
        "updateTenantSettings",
        {"subCustomerCopyFields": ["TAGS", "CUSTOM_FIELDS", "COMPANY", "STATUS", "EMAILS"]},
        "tenant { subCustomerCopyFields }",
    )
    assert settings["tenant"]["subCustomerCopyFields"] == [
        "COMPANY",
        "EMAILS",
        "STATUS",
        "TAGS",
        "CUSTOM_FIELDS",
    ]

    child = ok(
        api,
        "createSubCustomer",
        {
            "parentId": parent["id"],
            "name": "Branch",
            "customFields": [{"key": "size", "number": 9}],
        },
        CUSTOMER,
    )["customer"]

    assert child["company"] == "Acme" and child["emails"] == parent["emails"]
    assert child["status"]["name"] == "Active"
    assert names(child["tags"]) == ["VIP"]
    assert values(child) == {"note": "from parent", "size": 9, "since": "2020-01-31"}
    assert child["city"] is None and child["phones"] == []
    assert child["folders"] == [] and child["workers"] == []

    # A given list wins over the copied one.
    other_tag = make_tag(api, "Other")
    second = ok(
        api,
        "createSubCustomer",
        {"parentId": parent["id"], "name": "Second", "tagIds": [other_tag], "emails": []},
        CUSTOMER,
    )["customer"]
    assert names(second["tags"]) == ["Other"] and second["emails"] == []


def test_create_sub_customer_validates_like_create(api):
    parent = _parent(api)
    refused(
        api,
        "createSubCustomer",
        {"parentId": parent["id"], "name": " ", "tagIds": [gid("Tag", 987_654)]},
        [(["input", "name"], "REQUIRED")],
    )
    refused(
        api,
        "createSubCustomer",
        {"parentId": parent["id"], "name": "B", "tagIds": [gid("Tag", 987_654)]},
        [(["input", "tagIds", "0"], "NOT_FOUND")],
    )
    assert fetch(api, parent["id"])["subCustomerCount"] == 0


def test_link_and_unlink_sub_customer(api):
    parent, child = make_customer(api, "Parent"), make_customer(api, "Child")
    linked = ok(api, "linkSubCustomer", {"id": child["id"], "parentId": parent["id"]}, CUSTOMER)[
        "customer"
    ]
    assert linked["parent"] == {"id": parent["id"]} and linked["version"] == 2
    subs = api.query(
        "query($id: ID!) { customer(id: $id) { subCustomerCount subCustomers { nodes { id } } } }",
        id=parent["id"],
    )["customer"]
    assert subs == {"subCustomerCount": 1, "subCustomers": {"nodes": [{"id": child["id"]}]}}

    unlinked = ok(api, "unlinkSubCustomer", {"id": child["id"]}, CUSTOMER)["customer"]
    assert unlinked["parent"] is None and unlinked["version"] == 3
    assert fetch(api, parent["id"])["subCustomerCount"] == 0


def test_link_refuses_cycles(api):
    a, b, c = (make_customer(api, n) for n in ("A", "B", "C"))
    ok(api, "linkSubCustomer", {"id": b["id"], "parentId": c["id"]})
    ok(api, "linkSubCustomer", {"id": a["id"], "parentId": b["id"]})
    c_before = fetch(api, c["id"])

    refused(
        api,
        "linkSubCustomer",
        {"id": c["id"], "parentId": a["id"]},
        [(["input", "parentId"], "CYCLE")],
    )
    refused(
        api,
        "linkSubCustomer",
        {"id": a["id"], "parentId": a["id"]},
        [(["input", "parentId"], "CYCLE")],
    )
    assert fetch(api, c["id"]) == c_before
    assert fetch(api, a["id"])["parent"] == {"id": b["id"]}


def _parent_input(mutation: str, parent_id: str, child_id: str) -> dict:
    if mutation == "linkSubCustomer":
        return {"id": child_id, "parentId": parent_id}
    return {"name": "Child", "parentId": parent_id}


@pytest.mark.parametrize("mutation", ["createSubCustomer", "createCustomer", "linkSubCustomer"])
def test_unknown_or_foreign_parent_is_not_found(api, other_api, mutation):
    child = make_customer(api, "Child")
    theirs = make_customer(other_api, "Theirs")
    unknown = refused(
        api,
        mutation,
        _parent_input(mutation, UNKNOWN_CUSTOMER, child["id"]),
        [(["input", "parentId"], "NOT_FOUND")],
    )
    foreign = refused(
        api,
        mutation,
        _parent_input(mutation, theirs["id"], child["id"]),
        [(["input", "parentId"], "NOT_FOUND")],
    )
    assert unknown == foreign
    assert fetch(api, child["id"]) == child
    assert fetch(other_api, theirs["id"]) == theirs


def test_link_unknown_child_is_not_found(api):
    parent = make_customer(api)
    refused(
        api,
        "linkSubCustomer",
        {"id": UNKNOWN_CUSTOMER, "parentId": parent["id"]},
        [(["input", "id"], "NOT_FOUND")],
    )


# --- permissions --------------------------------------------------------------------------------


def test_agent_edits_customers_but_cannot_delete(api, client):
    agent_id = make_worker(api, "Sam Agent", "AGENT")
    agent = Api(client, api.tenant_id, pk_of(agent_id))
    me = agent.query("{ me { worker { role } permissions } }")["me"]
    assert me["worker"]["role"] == "AGENT"
    assert "customers.edit" in me["permissions"]
    assert "customers.delete" not in me["permissions"]

    customer = make_customer(agent, "By Agent")
    edited = ok(agent, "updateCustomer", {"id": customer["id"], "city": "Oslo"}, CUSTOMER)
    assert edited["customer"]["city"] == "Oslo"
    ok(agent, "addCustomerTags", {"customerId": customer["id"], "tagIds": [make_tag(api)]})
    before = count(api)

    errors = agent.errors(
        "mutation($id: ID!) { deleteCustomer(input: {id: $id}) { deletedId userErrors { code } } }",
        id=customer["id"],
    )

    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]
    assert fetch(api, customer["id"]) is not None
    assert count(api) == before


def test_sizes_are_bounded_before_the_database_sees_them(api):
    phones = [{"value": f"+44 20 7946 {i:04d}"} for i in range(21)]
    refused(
        api,
        "createCustomer",
        {"name": "Ada", "phones": phones},
        [(["input", "phones"], "TOO_MANY")],
    )
    refused(
        api,
        "createCustomer",
        {"name": "Ada", "avatarUrl": "https://x.example/" + "a" * 2000},
        [(["input", "avatarUrl"], "TOO_LONG")],
    )
    refused(
        api,
        "createCustomer",
        {"name": "Ada", "emails": [{"value": "a" * 320 + "@x.io", "label": "l" * 51}]},
        [
            (["input", "emails", "0", "value"], "TOO_LONG"),
            (["input", "emails", "0", "label"], "TOO_LONG"),
        ],
    )


def test_a_chain_of_dependent_fields_hides_with_its_first_link(api):
    """kind (only in Sales) -> size (when kind is big) -> crane (when size is huge): leaving
    Sales hides all three, though the stored values still match."""
    sales = make_folder(api, "Sales")
    kind = make_field(
        api, "kind", "SINGLE_SELECT", options=["big", "small"], folderIds=[sales["id"]]
    )
    size = make_field(
        api,
        "size",
        "SINGLE_SELECT",
        options=["huge", "mid"],
        condition={"fieldId": kind, "values": ["big"]},
    )
    make_field(api, "crane", "BOOLEAN", condition={"fieldId": size, "values": ["huge"]})
    customer = make_customer(
        api,
        folders=[{"folderId": sales["id"]}],
        customFields=[
            {"key": "kind", "option": "big"},
            {"key": "size", "option": "huge"},
            {"key": "crane", "boolean": True},
        ],
    )
    assert values(customer) == {"kind": "big", "size": "huge", "crane": True}
    ok(api, "removeCustomerFromFolders", {"customerId": customer["id"], "folderIds": [sales["id"]]})
    assert values(fetch(api, customer["id"])) == {}
