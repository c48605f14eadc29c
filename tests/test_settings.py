"""The tenant's set-up through GraphQL: folders (with their own status lists), tags, statuses,
custom field definitions, workers and the tenant's settings. Who may do what, what a failed
mutation leaves behind (nothing), and that nothing crosses from one tenant to another."""

import pytest

from tests.support import Api, gid, pk_of

STATUS = "id name color category isDefault position folder { id }"
FOLDER = f"id name color position statuses {{ {STATUS} }}"
TAG = "id name color position"
WORKER = "id name email role atWork avatarUrl position"
DEFINITION = (
    "id key label type description options required group position "
    "condition { values field { id key } } folders { id }"
)
CUSTOMER = (
    "id version updatedAt status { id name } tags { id } workers { id } "
    "folders { folder { id } status { id name } } "
    "customFields { definition { key } text boolean options }"
)
TENANT = "id name timeZone subCustomerCopyFields"


# --- helpers ------------------------------------------------------------------------------------


def mutation(name: str, selection: str) -> str:
    input_type = f"{name[0].upper()}{name[1:]}Input"
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) "
        f"{{ {selection} userErrors {{ field message code }} }} }}"
    )


def mutate(actor: Api, name: str, input: dict, selection: str = "") -> dict:
    """Run mutation `name(input:)`; returns its payload (with `userErrors`)."""
    return actor.query(mutation(name, selection), input=input)[name]


def ok(actor: Api, name: str, input: dict, selection: str = "") -> dict:
    """Like `mutate`, but the mutation must succeed."""
    payload = mutate(actor, name, input, selection)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


def errors_of(payload: dict) -> list[tuple[list[str] | None, str]]:
    """The payload's userErrors as (field, code) pairs."""
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def make_folder(api: Api, name: str = "Sales", color: str = "#112233", **extra) -> dict:
    return ok(
        api, "createFolder", {"name": name, "color": color, **extra}, f"folder {{ {FOLDER} }}"
    )["folder"]


def make_tag(api: Api, name: str = "VIP", color: str = "#aa0000") -> dict:
    return ok(api, "createTag", {"name": name, "color": color}, f"tag {{ {TAG} }}")["tag"]


def make_status(api: Api, name: str, folder_id: str | None = None, **extra) -> dict:
    data = {"name": name, "color": "#445566", "category": "ACTIVE", "folderId": folder_id}
    return ok(api, "createStatus", {**data, **extra}, f"status {{ {STATUS} }}")["status"]


def make_field(api: Api, key: str, type_: str = "TEXT", **extra) -> dict:
    data = {"key": key, "label": key.replace("_", " ").title(), "type": type_, **extra}
    return ok(api, "createCustomFieldDefinition", data, f"definition {{ {DEFINITION} }}")[
        "definition"
    ]


def make_worker(api: Api, name: str = "Ann Agent", email: str = "ann@example.com", **extra) -> dict:
    data = {"name": name, "email": email, **extra}
    return ok(api, "createWorker", data, f"worker {{ {WORKER} }}")["worker"]


def make_customer(api: Api, name: str = "Ada", **fields) -> dict:
    data = {"name": name, **fields}
    return ok(api, "createCustomer", data, f"customer {{ {CUSTOMER} }}")["customer"]


def as_worker(api: Api, worker: dict) -> Api:
    return Api(api.client, api.tenant_id, pk_of(worker["id"]))


def folders(api: Api) -> list[dict]:
    return api.query(f"{{ folders {{ {FOLDER} customerCount }} }}")["folders"]


def tags(api: Api) -> list[dict]:
    return api.query(f"{{ tags {{ {TAG} }} }}")["tags"]


def statuses(api: Api, folder_id: str | None = None) -> list[dict]:
    query = f"query($f: ID) {{ statuses(folderId: $f) {{ {STATUS} }} }}"
    return api.query(query, f=folder_id)["statuses"]


def definitions(api: Api) -> list[dict]:
    return api.query(f"{{ customFieldDefinitions {{ {DEFINITION} }} }}")["customFieldDefinitions"]


def workers(api: Api) -> list[dict]:
    return api.query(f"{{ workers {{ {WORKER} }} }}")["workers"]


def customer(api: Api, customer_id: str) -> dict | None:
    query = f"query($id: ID!) {{ customer(id: $id) {{ {CUSTOMER} }} }}"
    return api.query(query, id=customer_id)["customer"]


def tenant(api: Api) -> dict:
    return api.query(f"{{ me {{ tenant {{ {TENANT} }} }} }}")["me"]["tenant"]


def node(api: Api, global_id: str) -> dict | None:
    return api.query("query($id: ID!) { node(id: $id) { id } }", id=global_id)["node"]


def names(rows: list[dict]) -> list[str]:
    return [r["name"] for r in rows]


def ids(rows: list[dict]) -> list[str]:
    return [r["id"] for r in rows]


def forbidden(actor: Api, name: str, input: dict) -> None:
    """The mutation fails as a whole with a FORBIDDEN GraphQL error (not a userError)."""
    errors = actor.errors(mutation(name, ""), input=input)
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"], errors


# --- folders ------------------------------------------------------------------------------------


def test_create_folder_with_its_own_statuses_first_is_default(api):
    given = [
        {"name": "Lead", "color": "#AABBCC", "category": "PROSPECT"},
        {"name": "Won", "color": "#00ff00", "category": "ACTIVE"},
    ]
    folder = make_folder(api, "  Sales  ", "#A1B2C3", statuses=given)
    assert (folder["name"], folder["color"], folder["position"]) == ("Sales", "#a1b2c3", 0)
    assert [
        (s["name"], s["color"], s["category"], s["isDefault"], s["position"])
        for s in folder["statuses"]
    ] == [
        ("Lead", "#aabbcc", "PROSPECT", True, 0),
        ("Won", "#00ff00", "ACTIVE", False, 1),
    ]
    assert all(s["folder"] == {"id": folder["id"]} for s in folder["statuses"])
    assert statuses(api, folder["id"]) == folder["statuses"]

    marked = [
        {"name": "A", "color": "#000000"},
        {"name": "B", "color": "#000000", "isDefault": True},
    ]
    second = make_folder(api, "Support", statuses=marked)
    assert second["position"] == 1
    assert [(s["name"], s["category"], s["isDefault"]) for s in second["statuses"]] == [
        ("A", "ACTIVE", False),
        ("B", "ACTIVE", True),
    ]


def test_create_folder_with_two_defaults_writes_nothing(api):
    given = [
        {"name": "A", "color": "#000000", "isDefault": True},
        {"name": "B", "color": "#000000", "isDefault": True},
    ]
    payload = mutate(
        api, "createFolder", {"name": "X", "color": "#000000", "statuses": given}, "folder { id }"
    )
    assert payload["folder"] is None
    assert errors_of(payload) == [(["input", "statuses"], "MULTIPLE_DEFAULT")]
    assert folders(api) == []


def test_create_folder_status_list_problems_name_the_status(api):
    given = [
        {"name": "Open", "color": "#000000"},
        {"name": " open ", "color": "blue"},
        {"name": "  ", "color": "#000000"},
    ]
    payload = mutate(api, "createFolder", {"name": "X", "color": "#000000", "statuses": given})
    assert sorted(errors_of(payload)) == sorted(
        [
            (["input", "statuses", "1", "name"], "TAKEN"),
            (["input", "statuses", "1", "color"], "INVALID"),
            (["input", "statuses", "2", "name"], "REQUIRED"),
        ]
    )
    assert folders(api) == []


@pytest.mark.parametrize("statuses_given", [None, []], ids=["absent", "empty"])
def test_create_folder_without_statuses_gets_the_starter_list(api, statuses_given):
    data = {"name": "Projects", "color": "#123456"}
    if statuses_given is not None:
        data["statuses"] = statuses_given
    folder = ok(api, "createFolder", data, f"folder {{ {FOLDER} }}")["folder"]
    assert [
        (s["name"], s["category"], s["isDefault"], s["position"]) for s in folder["statuses"]
    ] == [
        ("New", "PROSPECT", True, 0),
        ("In progress", "ACTIVE", False, 1),
        ("Done", "INACTIVE", False, 2),
    ]


@pytest.mark.parametrize("color", ["#12345", "red", "#1234567", "123456", "#12345g"])
def test_create_folder_with_a_bad_color_is_invalid(api, color):
    payload = mutate(api, "createFolder", {"name": "Sales", "color": color}, "folder { id }")
    assert payload["folder"] is None
    assert errors_of(payload) == [(["input", "color"], "INVALID")]
    assert folders(api) == []


def test_folder_name_is_required_and_limited(api):
    for name, code in (("", "REQUIRED"), ("   ", "REQUIRED"), ("x" * 201, "TOO_LONG")):
        payload = mutate(api, "createFolder", {"name": name, "color": "#000000"})
        assert errors_of(payload) == [(["input", "name"], code)], name
    assert folders(api) == []
    assert make_folder(api, "x" * 200)["name"] == "x" * 200


def test_folder_names_are_unique_ignoring_case(api):
    sales = make_folder(api, "Sales")
    other = make_folder(api, "Support")
    payload = api.mutate("createFolder", {"name": "sALES", "color": "#112233"}, "folder { id }")
    assert errors_of(payload) == [(["input", "name"], "TAKEN")]
    assert payload["folder"] is None
    payload = api.mutate("updateFolder", {"id": other["id"], "name": "sales"}, "folder { id }")
    assert errors_of(payload) == [(["input", "name"], "TAKEN")]
    assert names(folders(api)) == ["Sales", "Support"]
    renamed = api.ok("updateFolder", {"id": sales["id"], "name": "SALES"}, "folder { name }")
    assert renamed["folder"]["name"] == "SALES"


def test_update_folder_changes_only_the_members_sent(api):
    folder = make_folder(api, "Sales", "#111111")
    sel = f"folder {{ {FOLDER} }}"
    renamed = ok(api, "updateFolder", {"id": folder["id"], "name": " Deals "}, sel)["folder"]
    assert (renamed["name"], renamed["color"]) == ("Deals", "#111111")
    recoloured = ok(api, "updateFolder", {"id": folder["id"], "color": "#ABCDEF"}, sel)["folder"]
    assert (recoloured["name"], recoloured["color"]) == ("Deals", "#abcdef")
    assert recoloured["statuses"] == folder["statuses"]

    for change, expected in (
        ({"color": "red", "name": "Other"}, [(["input", "color"], "INVALID")]),
        ({"name": None}, [(["input", "name"], "REQUIRED")]),
        ({"name": "y" * 201}, [(["input", "name"], "TOO_LONG")]),
    ):
        payload = mutate(api, "updateFolder", {"id": folder["id"], **change}, "folder { id }")
        assert payload["folder"] is None
        assert errors_of(payload) == expected
    (stored,) = folders(api)
    assert (stored["name"], stored["color"]) == ("Deals", "#abcdef")


def test_delete_folder_keeps_customers_and_unlimits_fields(api):
    gone, kept = make_folder(api, "Gone"), make_folder(api, "Kept")
    placements = [{"folderId": gone["id"]}, {"folderId": kept["id"]}]
    person = make_customer(api, folders=placements)
    assert {m["folder"]["id"] for m in person["folders"]} == {gone["id"], kept["id"]}
    only_gone = make_field(api, "only_gone", folderIds=[gone["id"]])
    both = make_field(api, "both", folderIds=[gone["id"], kept["id"]])

    payload = ok(api, "deleteFolder", {"id": gone["id"]}, "deletedId")
    assert payload["deletedId"] == gone["id"]

    assert [(f["id"], f["customerCount"]) for f in folders(api)] == [(kept["id"], 1)]
    after = customer(api, person["id"])
    assert after is not None
    assert [m["folder"]["id"] for m in after["folders"]] == [kept["id"]]
    by_key = {d["key"]: d for d in definitions(api)}
    assert by_key["only_gone"]["folders"] == []  # limited to the deleted folder alone: everywhere
    assert by_key["both"]["folders"] == [{"id": kept["id"]}]
    assert {only_gone["id"], both["id"]} == {d["id"] for d in by_key.values()}
    assert statuses(api, gone["id"]) == []
    assert node(api, gone["statuses"][0]["id"]) is None
    assert node(api, gone["id"]) is None
    again = mutate(api, "deleteFolder", {"id": gone["id"]}, "deletedId")
    assert again["deletedId"] is None
    assert errors_of(again) == [(["input", "id"], "NOT_FOUND")]


def test_reorder_folders_needs_every_folder_exactly_once(api):
    a, b, c = (make_folder(api, n) for n in "ABC")
    sel = "folders { id name position }"
    for given, expected in (
        ([c["id"], a["id"]], [(["input", "ids"], "INCOMPLETE")]),
        ([c["id"], a["id"], b["id"], a["id"]], [(["input", "ids", "3"], "DUPLICATE")]),
        (
            [c["id"], a["id"], gid("Folder", 10**9)],
            [(["input", "ids", "2"], "NOT_FOUND"), (["input", "ids"], "INCOMPLETE")],
        ),
        (
            [c["id"], a["id"], b["id"], gid("Tag", pk_of(b["id"]))],
            [(["input", "ids", "3"], "NOT_FOUND")],
        ),
    ):
        payload = mutate(api, "reorderFolders", {"ids": given}, sel)
        assert payload["folders"] == []
        assert errors_of(payload) == expected, given
    assert names(folders(api)) == ["A", "B", "C"]

    payload = ok(api, "reorderFolders", {"ids": [c["id"], a["id"], b["id"]]}, sel)
    assert [(f["name"], f["position"]) for f in payload["folders"]] == [
        ("C", 0),
        ("A", 1),
        ("B", 2),
    ]
    assert [(f["name"], f["position"]) for f in folders(api)] == [("C", 0), ("A", 1), ("B", 2)]
    assert make_folder(api, "D")["position"] == 3


def test_unknown_and_foreign_folder_ids_fail_alike(api, other_api):
    theirs = make_folder(other_api, "Theirs", "#222222")
    unknown = gid("Folder", 10**9)
    wrong_type = gid("Tag", pk_of(theirs["id"]))
    for name, extra in (("updateFolder", {"name": "Mine"}), ("deleteFolder", {})):
        answers = [
            mutate(api, name, {"id": target, **extra})["userErrors"]
            for target in (unknown, theirs["id"], wrong_type)
        ]
        assert answers[0] == answers[1] == answers[2], name
        assert [(e["field"], e["code"]) for e in answers[0]] == [(["input", "id"], "NOT_FOUND")]
    (stored,) = folders(other_api)
    assert (stored["id"], stored["name"]) == (theirs["id"], "Theirs")


# --- tags ---------------------------------------------------------------------------------------


def test_create_tag_and_names_unique_ignoring_case(api):
    vip = make_tag(api, " VIP ", "#AA0000")
    assert (vip["name"], vip["color"], vip["position"]) == ("VIP", "#aa0000", 0)
    for name in ("vip", " Vip ", "VIP"):
        payload = mutate(api, "createTag", {"name": name, "color": "#000000"}, "tag { id }")
        assert payload["tag"] is None
        assert errors_of(payload) == [(["input", "name"], "TAKEN")], name
    make_tag(api, "Ärger")
    payload = mutate(api, "createTag", {"name": "äRGER", "color": "#000000"})
    assert errors_of(payload) == [(["input", "name"], "TAKEN")]
    payload = mutate(api, "createTag", {"name": "", "color": "nope"})
    assert sorted(errors_of(payload)) == [
        (["input", "color"], "INVALID"),
        (["input", "name"], "REQUIRED"),
    ]
    assert names(tags(api)) == ["VIP", "Ärger"]
    assert make_tag(api, "Wholesale")["position"] == 2


def test_update_tag(api):
    vip, cold = make_tag(api, "VIP", "#aa0000"), make_tag(api, "Cold", "#0000aa")
    sel = f"tag {{ {TAG} }}"
    assert ok(api, "updateTag", {"id": vip["id"], "name": "Vip"}, sel)["tag"]["name"] == "Vip"
    recoloured = ok(api, "updateTag", {"id": vip["id"], "color": "#00AA00"}, sel)["tag"]
    assert (recoloured["name"], recoloured["color"]) == ("Vip", "#00aa00")
    for change, expected in (
        ({"name": "COLD", "color": "#000000"}, [(["input", "name"], "TAKEN")]),
        ({"color": "#12345"}, [(["input", "color"], "INVALID")]),
        ({"name": "  "}, [(["input", "name"], "REQUIRED")]),
    ):
        payload = mutate(api, "updateTag", {"id": vip["id"], **change}, "tag { id }")
        assert payload["tag"] is None
        assert errors_of(payload) == expected
    assert [(t["name"], t["color"]) for t in tags(api)] == [("Vip", "#00aa00"), ("Cold", "#0000aa")]
    assert cold["id"] in ids(tags(api))
    payload = mutate(api, "updateTag", {"id": gid("Tag", 10**9), "name": "X"})
    assert errors_of(payload) == [(["input", "id"], "NOT_FOUND")]


def test_delete_tag_leaves_customers(api):
    vip, cold = make_tag(api, "VIP"), make_tag(api, "Cold")
    person = make_customer(api, tagIds=[vip["id"], cold["id"]])
    assert ok(api, "deleteTag", {"id": vip["id"]}, "deletedId")["deletedId"] == vip["id"]
    assert ids(tags(api)) == [cold["id"]]
    assert customer(api, person["id"])["tags"] == [{"id": cold["id"]}]
    assert node(api, vip["id"]) is None


def test_reorder_tags(api):
    a, b, c = (make_tag(api, n) for n in "ABC")
    payload = mutate(api, "reorderTags", {"ids": [b["id"], c["id"]]}, "tags { id }")
    assert errors_of(payload) == [(["input", "ids"], "INCOMPLETE")]
    assert names(tags(api)) == ["A", "B", "C"]
    payload = ok(api, "reorderTags", {"ids": [b["id"], c["id"], a["id"]]}, "tags { name position }")
    assert payload["tags"] == [
        {"name": "B", "position": 0},
        {"name": "C", "position": 1},
        {"name": "A", "position": 2},
    ]
    assert names(tags(api)) == ["B", "C", "A"]


# --- statuses -----------------------------------------------------------------------------------


def test_new_tenant_has_a_customer_status_list(api):
    assert [
        (s["name"], s["category"], s["isDefault"], s["position"], s["folder"])
        for s in statuses(api)
    ] == [
        ("New", "PROSPECT", True, 0, None),
        ("Active", "ACTIVE", False, 1, None),
        ("On hold", "INACTIVE", False, 2, None),
        ("Lost", "CHURNED", False, 3, None),
    ]
    assert make_customer(api)["status"]["name"] == "New"


def test_create_status_in_the_customer_list_and_in_a_folder(api):
    folder = make_folder(api, "Sales")
    vip = make_status(api, "VIP", color="#ABCDEF", category="ACTIVE")
    assert (vip["folder"], vip["position"], vip["isDefault"], vip["color"]) == (
        None,
        4,
        False,
        "#abcdef",
    )
    assert names(statuses(api))[-1] == "VIP"

    # The same name in another list is fine; in the same list, whatever its case, it is taken.
    in_folder = make_status(api, "VIP", folder["id"], isDefault=True)
    assert in_folder["folder"] == {"id": folder["id"]}
    assert in_folder["position"] == 3
    assert [s["name"] for s in statuses(api, folder["id"]) if s["isDefault"]] == ["VIP"]
    assert [s["name"] for s in statuses(api) if s["isDefault"]] == ["New"]

    for folder_id in (None, folder["id"]):
        data = {"folderId": folder_id, "name": "vip", "color": "#000000", "category": "ACTIVE"}
        payload = mutate(api, "createStatus", data, "status { id }")
        assert payload["status"] is None
        assert errors_of(payload) == [(["input", "name"], "TAKEN")]
    data = {"name": " ", "color": "red", "category": "ACTIVE"}
    assert sorted(errors_of(mutate(api, "createStatus", data))) == [
        (["input", "color"], "INVALID"),
        (["input", "name"], "REQUIRED"),
    ]
    assert len(statuses(api)) == 5
    assert len(statuses(api, folder["id"])) == 4


def test_create_status_as_default_moves_the_default(api):
    top = make_status(api, "Top", isDefault=True)
    assert top["isDefault"] is True
    assert [s["name"] for s in statuses(api) if s["isDefault"]] == ["Top"]
    assert make_customer(api)["status"]["name"] == "Top"


def test_create_status_in_an_unknown_or_foreign_folder(api, other_api):
    theirs = make_folder(other_api, "Theirs")
    answers = []
    for folder_id in (gid("Folder", 10**9), theirs["id"]):
        data = {"folderId": folder_id, "name": "X", "color": "#000000", "category": "ACTIVE"}
        payload = mutate(api, "createStatus", data, "status { id }")
        assert payload["status"] is None
        answers.append(payload["userErrors"])
    assert answers[0] == answers[1]
    assert [e["code"] for e in answers[0]] == ["NOT_FOUND"]
    assert len(statuses(other_api, theirs["id"])) == 3


def test_create_status_in_an_unknown_folder_names_folder_id(api):
    """The userError points at the member that holds the unknown id."""
    data = {"folderId": gid("Folder", 10**9), "name": "X", "color": "#000000", "category": "ACTIVE"}
    payload = mutate(api, "createStatus", data)
    assert errors_of(payload) == [(["input", "folderId"], "NOT_FOUND")]


def test_update_status_moves_the_default_but_cannot_switch_it_off(api):
    new, active, *_ = statuses(api)
    sel = f"status {{ {STATUS} }}"
    payload = mutate(api, "updateStatus", {"id": new["id"], "isDefault": False}, sel)
    assert payload["status"] is None
    assert errors_of(payload) == [(["input", "isDefault"], "DEFAULT_REQUIRED")]
    assert [s["name"] for s in statuses(api) if s["isDefault"]] == ["New"]

    # A non-default switched off stays as it is.
    assert (
        ok(api, "updateStatus", {"id": active["id"], "isDefault": False}, sel)["status"][
            "isDefault"
        ]
        is False
    )
    moved = ok(api, "updateStatus", {"id": active["id"], "isDefault": True}, sel)["status"]
    assert moved["isDefault"] is True
    assert [s["name"] for s in statuses(api) if s["isDefault"]] == ["Active"]
    assert make_customer(api)["status"]["name"] == "Active"


def test_update_status_changes_only_the_members_sent(api):
    folder = make_folder(api)
    first = folder["statuses"][0]
    sel = f"status {{ {STATUS} }}"
    renamed = ok(api, "updateStatus", {"id": first["id"], "name": "Fresh"}, sel)["status"]
    assert {**first, "name": "Fresh"} == renamed
    changed = ok(
        api, "updateStatus", {"id": first["id"], "color": "#FFFFFF", "category": "CHURNED"}, sel
    )["status"]
    assert {**first, "name": "Fresh", "color": "#ffffff", "category": "CHURNED"} == changed
    payload = mutate(api, "updateStatus", {"id": first["id"], "name": "in progress"}, sel)
    assert errors_of(payload) == [(["input", "name"], "TAKEN")]
    payload = mutate(api, "updateStatus", {"id": first["id"], "color": "teal", "name": "Z"}, sel)
    assert errors_of(payload) == [(["input", "color"], "INVALID")]
    assert statuses(api, folder["id"])[0] == changed


def test_delete_customer_status_moves_customers_to_the_default(api):
    new, active, on_hold, lost = statuses(api)
    person = make_customer(api, statusId=active["id"])
    other = make_customer(api, "Bo", statusId=on_hold["id"])
    payload = ok(api, "deleteStatus", {"id": active["id"]}, "deletedId")
    assert payload["deletedId"] == active["id"]
    assert ids(statuses(api)) == [new["id"], on_hold["id"], lost["id"]]
    after = customer(api, person["id"])
    assert after["status"] == {"id": new["id"], "name": "New"}
    assert after["version"] > person["version"]
    untouched = customer(api, other["id"])
    assert untouched["status"]["id"] == on_hold["id"]
    assert untouched["version"] == other["version"]


def test_delete_customer_status_with_a_replacement(api):
    _new, active, _on_hold, lost = statuses(api)
    person = make_customer(api, statusId=active["id"])
    ok(api, "deleteStatus", {"id": active["id"], "replacementId": lost["id"]})
    assert customer(api, person["id"])["status"] == {"id": lost["id"], "name": "Lost"}


def test_delete_folder_status_moves_memberships(api):
    folder = make_folder(api)
    new, in_progress, done = folder["statuses"]
    on_new = make_customer(api, "A", folders=[{"folderId": folder["id"], "statusId": new["id"]}])
    on_prog = make_customer(
        api, "B", folders=[{"folderId": folder["id"], "statusId": in_progress["id"]}]
    )
    on_done = make_customer(api, "C", folders=[{"folderId": folder["id"], "statusId": done["id"]}])

    ok(api, "deleteStatus", {"id": in_progress["id"]})
    after = customer(api, on_prog["id"])
    assert after["folders"][0]["status"] == {"id": new["id"], "name": "New"}
    assert after["version"] > on_prog["version"]
    assert after["status"] == on_prog["status"]  # the customer status list is another list

    ok(api, "deleteStatus", {"id": done["id"], "replacementId": new["id"]})
    assert customer(api, on_done["id"])["folders"][0]["status"]["id"] == new["id"]
    assert customer(api, on_new["id"])["version"] == on_new["version"]
    assert ids(statuses(api, folder["id"])) == [new["id"]]


def test_delete_status_with_a_replacement_from_another_list(api, other_api):
    folder = make_folder(api)
    _new, active, *_ = statuses(api)
    person = make_customer(api, statusId=active["id"])
    theirs = statuses(other_api)[1]
    for replacement in (folder["statuses"][0]["id"], active["id"], theirs["id"]):
        payload = mutate(
            api, "deleteStatus", {"id": active["id"], "replacementId": replacement}, "deletedId"
        )
        assert payload["deletedId"] is None
        assert errors_of(payload) == [(["input", "replacementId"], "NOT_FOUND")]
    assert active["id"] in ids(statuses(api))
    after = customer(api, person["id"])
    assert (after["status"]["id"], after["version"]) == (active["id"], person["version"])


def test_the_default_and_the_last_status_cannot_be_deleted(api):
    new = statuses(api)[0]
    payload = mutate(api, "deleteStatus", {"id": new["id"]}, "deletedId")
    assert (payload["deletedId"], errors_of(payload)) == (
        None,
        [(["input", "id"], "DEFAULT_STATUS")],
    )
    folder = make_folder(api, statuses=[{"name": "Only", "color": "#000000"}])
    only = folder["statuses"][0]["id"]
    payload = mutate(api, "deleteStatus", {"id": only}, "deletedId")
    assert errors_of(payload) == [(["input", "id"], "LAST_STATUS")]
    assert ids(statuses(api, folder["id"])) == [only]
    assert len(statuses(api)) == 4


def test_reorder_statuses_of_each_list(api):
    folder = make_folder(api)
    customer_list = ids(statuses(api))
    folder_list = ids(folder["statuses"])
    sel = "statuses { id position }"
    mixed = [*customer_list[:3], folder_list[0]]
    payload = mutate(api, "reorderStatuses", {"ids": mixed}, sel)
    assert errors_of(payload) == [
        (["input", "ids", "3"], "NOT_FOUND"),
        (["input", "ids"], "INCOMPLETE"),
    ]
    payload = mutate(api, "reorderStatuses", {"folderId": folder["id"], "ids": folder_list[:2]})
    assert errors_of(payload) == [(["input", "ids"], "INCOMPLETE")]
    assert ids(statuses(api)) == customer_list

    reversed_ = customer_list[::-1]
    payload = ok(api, "reorderStatuses", {"ids": reversed_}, sel)
    assert payload["statuses"] == [{"id": s, "position": i} for i, s in enumerate(reversed_)]
    assert ids(statuses(api)) == reversed_
    rotated = folder_list[1:] + folder_list[:1]
    ok(api, "reorderStatuses", {"folderId": folder["id"], "ids": rotated})
    assert ids(statuses(api, folder["id"])) == rotated
    assert ids(folders(api)[0]["statuses"]) == rotated
    payload = mutate(api, "reorderStatuses", {"folderId": gid("Folder", 10**9), "ids": []})
    assert errors_of(payload) == [(["input", "folderId"], "NOT_FOUND")]


# --- custom field definitions -------------------------------------------------------------------

ALL_TYPES = (
    "TEXT",
    "LONG_TEXT",
    "NUMBER",
    "DATE",
    "DATE_TIME",
    "BOOLEAN",
    "SINGLE_SELECT",
    "MULTI_SELECT",
)


def test_create_a_definition_of_each_type(api):
    made = []
    for position, type_ in enumerate(ALL_TYPES):
        options = [" Red ", "Blue"] if type_.endswith("SELECT") else None
        made.append(
            make_field(
                api,
                f"f_{type_.lower()}",
                type_,
                label=f"  {type_} field ",
                description="Shown as help",
                group="Details",
                options=options,
                required=position % 2 == 0,
            )
        )
    for position, (type_, d) in enumerate(zip(ALL_TYPES, made, strict=True)):
        assert d == {
            "id": d["id"],
            "key": f"f_{type_.lower()}",
            "label": f"{type_} field",
            "type": type_,
            "description": "Shown as help",
            "options": ["Red", "Blue"] if type_.endswith("SELECT") else [],
            "required": position % 2 == 0,
            "group": "Details",
            "position": position,
            "condition": None,
            "folders": [],
        }
    assert definitions(api) == made
    assert node(api, made[0]["id"]) == {"id": made[0]["id"]}


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("Color", "INVALID"),
        ("1st", "INVALID"),
        ("has-dash", "INVALID"),
        ("has space", "INVALID"),
        ("_lead", "INVALID"),
        ("a" * 65, "INVALID"),
        ("", "REQUIRED"),
    ],
)
def test_definition_key_format(api, key, code):
    payload = mutate(
        api,
        "createCustomFieldDefinition",
        {"key": key, "label": "L", "type": "TEXT"},
        "definition { id }",
    )
    assert payload["definition"] is None
    assert errors_of(payload) == [(["input", "key"], code)]
    assert definitions(api) == []


def test_definition_key_is_unique(api):
    assert make_field(api, "a" * 64)["key"] == "a" * 64
    make_field(api, "shoe_size_2", "NUMBER")
    payload = mutate(
        api, "createCustomFieldDefinition", {"key": "shoe_size_2", "label": "Again", "type": "TEXT"}
    )
    assert errors_of(payload) == [(["input", "key"], "TAKEN")]
    payload = mutate(api, "createCustomFieldDefinition", {"key": "x", "label": " ", "type": "TEXT"})
    assert errors_of(payload) == [(["input", "label"], "REQUIRED")]
    assert [d["key"] for d in definitions(api)] == ["a" * 64, "shoe_size_2"]


def test_select_definitions_need_distinct_options(api):
    for type_, options, code in (
        ("SINGLE_SELECT", None, "REQUIRED"),
        ("MULTI_SELECT", [], "REQUIRED"),
        ("SINGLE_SELECT", ["a", " a "], "INVALID"),
        ("MULTI_SELECT", ["a", "  "], "INVALID"),
        ("TEXT", ["a"], "INVALID"),
    ):
        data = {"key": "pick", "label": "Pick", "type": type_, "options": options}
        payload = mutate(api, "createCustomFieldDefinition", data, "definition { id }")
        assert payload["definition"] is None
        assert errors_of(payload) == [(["input", "options"], code)], (type_, options)
    assert definitions(api) == []


def test_condition_on_a_select_or_yes_no_field(api):
    plan = make_field(api, "plan", "SINGLE_SELECT", options=["Basic", "Pro"])
    married = make_field(api, "married", "BOOLEAN")
    tools = make_field(api, "tools", "MULTI_SELECT", options=["Hammer", "Saw"])
    seats = make_field(api, "seats", "NUMBER", condition={"fieldId": plan["id"], "values": ["Pro"]})
    spouse = make_field(api, "spouse", condition={"fieldId": married["id"], "values": ["true"]})
    blade = make_field(api, "blade", condition={"fieldId": tools["id"], "values": ["Saw"]})
    assert seats["condition"] == {"values": ["Pro"], "field": {"id": plan["id"], "key": "plan"}}
    assert spouse["condition"] == {
        "values": ["true"],
        "field": {"id": married["id"], "key": "married"},
    }
    assert blade["condition"]["field"]["key"] == "tools"

    # The condition decides which fields a customer shows.
    pro = make_customer(api, customFields=[{"key": "plan", "option": "Pro"}])
    basic = make_customer(api, "Bo", customFields=[{"key": "plan", "option": "Basic"}])
    assert "seats" in [v["definition"]["key"] for v in pro["customFields"]]
    assert "seats" not in [v["definition"]["key"] for v in basic["customFields"]]


def test_bad_conditions_write_nothing(api, other_api):
    plan = make_field(api, "plan", "SINGLE_SELECT", options=["Basic", "Pro"])
    married = make_field(api, "married", "BOOLEAN")
    note = make_field(api, "note", "TEXT")
    theirs = make_field(other_api, "theirs", "BOOLEAN")
    for condition, code in (
        ({"fieldId": plan["id"], "values": ["Gold"]}, "INVALID"),
        ({"fieldId": plan["id"], "values": ["pro"]}, "INVALID"),
        ({"fieldId": married["id"], "values": ["yes"]}, "INVALID"),
        ({"fieldId": plan["id"], "values": []}, "REQUIRED"),
        ({"fieldId": note["id"], "values": ["x"]}, "INVALID"),
        ({"fieldId": gid("CustomFieldDefinition", 10**9), "values": ["true"]}, "NOT_FOUND"),
        ({"fieldId": theirs["id"], "values": ["true"]}, "NOT_FOUND"),
    ):
        data = {"key": "extra", "label": "Extra", "type": "TEXT", "condition": condition}
        payload = mutate(api, "createCustomFieldDefinition", data, "definition { id }")
        assert payload["definition"] is None
        assert [e["code"] for e in payload["userErrors"]] == [code], condition
    assert [d["key"] for d in definitions(api)] == ["plan", "married", "note"]


def test_condition_errors_point_at_the_condition_members(api):
    """userError paths name input members: the condition is `condition { fieldId values }`."""
    plan = make_field(api, "plan", "SINGLE_SELECT", options=["Basic", "Pro"])
    note = make_field(api, "note")
    data = {"key": "x", "label": "X", "type": "TEXT"}
    payload = mutate(
        api,
        "createCustomFieldDefinition",
        {**data, "condition": {"fieldId": plan["id"], "values": ["Pro", "Gold"]}},
    )
    assert errors_of(payload) == [(["input", "condition", "values", "1"], "INVALID")]
    payload = mutate(
        api,
        "createCustomFieldDefinition",
        {**data, "condition": {"fieldId": note["id"], "values": ["a"]}},
    )
    assert errors_of(payload) == [(["input", "condition", "fieldId"], "INVALID")]
    payload = mutate(api, "createCustomFieldDefinition", {**data, "group": "g" * 101})
    assert errors_of(payload) == [(["input", "group"], "TOO_LONG")]


def test_condition_cycles_are_refused(api):
    plan = make_field(api, "plan", "SINGLE_SELECT", options=["Basic", "Pro"])
    vip = make_field(api, "vip", "BOOLEAN", condition={"fieldId": plan["id"], "values": ["Pro"]})
    tier = make_field(
        api,
        "tier",
        "SINGLE_SELECT",
        options=["A"],
        condition={"fieldId": vip["id"], "values": ["true"]},
    )
    for target, source, values in (
        (plan, tier, ["A"]),  # plan -> tier -> vip -> plan
        (plan, vip, ["true"]),  # plan -> vip -> plan
        (vip, vip, ["true"]),  # itself
    ):
        payload = mutate(
            api,
            "updateCustomFieldDefinition",
            {"id": target["id"], "condition": {"fieldId": source["id"], "values": values}},
            "definition { id }",
        )
        assert payload["definition"] is None
        assert [e["code"] for e in payload["userErrors"]] == ["CYCLE"]
    assert [d["condition"] for d in definitions(api)] == [
        None,
        {"values": ["Pro"], "field": {"id": plan["id"], "key": "plan"}},
        {"values": ["true"], "field": {"id": vip["id"], "key": "vip"}},
    ]


def test_definition_limited_to_folders(api, other_api):
    sales, support = make_folder(api, "Sales"), make_folder(api, "Support")
    budget = make_field(api, "budget", "NUMBER", folderIds=[sales["id"], sales["id"]])
    assert budget["folders"] == [{"id": sales["id"]}]
    in_sales = make_customer(api, folders=[{"folderId": sales["id"]}])
    in_support = make_customer(api, "Bo", folders=[{"folderId": support["id"]}])
    assert [v["definition"]["key"] for v in in_sales["customFields"]] == ["budget"]
    assert in_support["customFields"] == []

    theirs = make_folder(other_api, "Theirs")
    data = {"key": "x", "label": "X", "type": "TEXT"}
    for given in ([gid("Folder", 10**9)], [sales["id"], theirs["id"]]):
        payload = mutate(api, "createCustomFieldDefinition", {**data, "folderIds": given})
        index = str(len(given) - 1)
        assert errors_of(payload) == [(["input", "folderIds", index], "NOT_FOUND")]
    assert [d["key"] for d in definitions(api)] == ["budget"]

    sel = f"definition {{ {DEFINITION} }}"
    moved = ok(
        api,
        "updateCustomFieldDefinition",
        {"id": budget["id"], "folderIds": [support["id"], sales["id"]]},
        sel,
    )["definition"]
    assert moved["folders"] == [{"id": support["id"]}, {"id": sales["id"]}]
    cleared = ok(api, "updateCustomFieldDefinition", {"id": budget["id"], "folderIds": []}, sel)
    assert cleared["definition"]["folders"] == []


def test_update_definition_changes_only_the_members_sent(api):
    plan = make_field(api, "plan", "SINGLE_SELECT", options=["Basic", "Pro"])
    seats = make_field(
        api,
        "seats",
        "NUMBER",
        description="How many",
        group="Billing",
        condition={"fieldId": plan["id"], "values": ["Pro"]},
    )
    sel = f"definition {{ {DEFINITION} }}"
    relabelled = ok(
        api, "updateCustomFieldDefinition", {"id": seats["id"], "label": " Seat count "}, sel
    )
    assert relabelled["definition"] == {**seats, "label": "Seat count"}
    required = ok(api, "updateCustomFieldDefinition", {"id": seats["id"], "required": True}, sel)
    assert required["definition"] == {**seats, "label": "Seat count", "required": True}
    cleared = ok(
        api,
        "updateCustomFieldDefinition",
        {"id": seats["id"], "description": None, "group": None, "condition": None},
        sel,
    )["definition"]
    assert (cleared["description"], cleared["group"], cleared["condition"]) == (None, None, None)
    assert (cleared["label"], cleared["required"], cleared["key"]) == ("Seat count", True, "seats")

    grown = ok(
        api,
        "updateCustomFieldDefinition",
        {"id": plan["id"], "options": ["Basic", "Pro", "Max"]},
        sel,
    )["definition"]
    assert grown["options"] == ["Basic", "Pro", "Max"]
    recond = ok(
        api,
        "updateCustomFieldDefinition",
        {"id": seats["id"], "condition": {"fieldId": plan["id"], "values": ["Max", "Pro"]}},
        sel,
    )["definition"]
    assert recond["condition"]["values"] == ["Max", "Pro"]


def test_update_definition_refuses_bad_changes(api):
    plan = make_field(api, "plan", "SINGLE_SELECT", options=["Basic", "Pro"])
    note = make_field(api, "note")
    for target, change, expected in (
        (plan, {"options": []}, [(["input", "options"], "REQUIRED")]),
        (plan, {"options": None}, [(["input", "options"], "REQUIRED")]),
        (plan, {"options": ["a", "a"]}, [(["input", "options"], "INVALID")]),
        (note, {"options": ["a"]}, [(["input", "options"], "INVALID")]),
        (
            note,
            {"label": "", "options": ["a"]},
            [(["input", "label"], "REQUIRED"), (["input", "options"], "INVALID")],
        ),
    ):
        payload = mutate(
            api, "updateCustomFieldDefinition", {"id": target["id"], **change}, "definition { id }"
        )
        assert payload["definition"] is None
        assert sorted(errors_of(payload)) == expected, change
    assert definitions(api) == [plan, note]
    payload = mutate(
        api, "updateCustomFieldDefinition", {"id": gid("CustomFieldDefinition", 10**9)}
    )
    assert errors_of(payload) == [(["input", "id"], "NOT_FOUND")]


def test_key_and_type_of_a_definition_cannot_change(api):
    """The update input has no `key` or `type` member: sending one fails the whole request."""
    note = make_field(api, "note")
    for change in ({"key": "other"}, {"type": "NUMBER"}):
        errors = api.errors(
            "mutation($input: UpdateCustomFieldDefinitionInput!) { "
            "updateCustomFieldDefinition(input: $input) { definition { id } } }",
            input={"id": note["id"], **change},
        )
        assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"]
        assert next(iter(change)) in errors[0]["message"]
    assert definitions(api) == [note]


def test_delete_definition_removes_values_and_dependent_conditions(api):
    plan = make_field(api, "plan", "SINGLE_SELECT", options=["Basic", "Pro"])
    seats = make_field(api, "seats", "NUMBER", condition={"fieldId": plan["id"], "values": ["Pro"]})
    person = make_customer(
        api, customFields=[{"key": "plan", "option": "Pro"}, {"key": "seats", "number": 5}]
    )
    payload = ok(api, "deleteCustomFieldDefinition", {"id": plan["id"]}, "deletedId")
    assert payload["deletedId"] == plan["id"]
    (left,) = definitions(api)
    assert (left["id"], left["condition"]) == (seats["id"], None)
    assert node(api, plan["id"]) is None

    # A new field under the old key starts empty: the old values went with the definition.
    make_field(api, "plan", "SINGLE_SELECT", options=["Pro"])
    values = {v["definition"]["key"]: v for v in customer(api, person["id"])["customFields"]}
    assert values["plan"]["text"] is None
    query = "query($f: CustomerFilter) { customers(filter: $f) { totalCount } }"
    found = api.query(query, f={"customFields": [{"key": "plan", "equals": "Pro"}]})
    assert found["customers"]["totalCount"] == 0


def test_deleting_a_definition_counts_as_a_change_of_its_customers(api):
    """core/field_definitions.py: customers that lose a value count as changed (version too)."""
    make_field(api, "note")
    person = make_customer(api, customFields=[{"key": "note", "text": "hello"}])
    bystander = make_customer(api, "Bo")
    ok(api, "deleteCustomFieldDefinition", {"id": definitions(api)[0]["id"]})
    after = customer(api, person["id"])
    assert after["updatedAt"] > person["updatedAt"]
    assert after["version"] > person["version"]
    assert customer(api, bystander["id"])["version"] == bystander["version"]


def test_reorder_definitions(api):
    a, b, c = (make_field(api, k) for k in ("a", "b", "c"))
    sel = "definitions { key position }"
    payload = mutate(api, "reorderCustomFieldDefinitions", {"ids": [c["id"], a["id"]]}, sel)
    assert (payload["definitions"], errors_of(payload)) == ([], [(["input", "ids"], "INCOMPLETE")])
    payload = ok(api, "reorderCustomFieldDefinitions", {"ids": [c["id"], a["id"], b["id"]]}, sel)
    assert payload["definitions"] == [
        {"key": "c", "position": 0},
        {"key": "a", "position": 1},
        {"key": "b", "position": 2},
    ]
    assert [d["key"] for d in definitions(api)] == ["c", "a", "b"]


# --- workers ------------------------------------------------------------------------------------


def test_create_worker(api):
    (owner,) = workers(api)
    agent = make_worker(api, " Ann ", "  Ann@Example.COM ")
    assert agent == {
        "id": agent["id"],
        "name": "Ann",
        "email": "ann@example.com",
        "role": "AGENT",
        "atWork": True,
        "avatarUrl": None,
        "position": 1,
    }
    manager = make_worker(
        api, "Max", "max@example.com", role="MANAGER", atWork=False, avatarUrl="https://x/y.png"
    )
    assert (manager["role"], manager["atWork"], manager["avatarUrl"]) == (
        "MANAGER",
        False,
        "https://x/y.png",
    )
    admin = make_worker(api, "Ada", "ada@example.com", role="ADMIN")
    assert [(w["name"], w["role"], w["position"]) for w in workers(api)] == [
        (owner["name"], "OWNER", 0),
        ("Ann", "AGENT", 1),
        ("Max", "MANAGER", 2),
        ("Ada", "ADMIN", 3),
    ]
    assert node(api, admin["id"]) == {"id": admin["id"]}


def test_worker_email_is_unique_ignoring_case_and_must_be_an_email(api):
    make_worker(api, "Ann", "ann@example.com")
    owner_email = workers(api)[0]["email"]
    for email, code in (
        ("ANN@example.com", "TAKEN"),
        (owner_email.upper(), "TAKEN"),
        ("not-an-email", "INVALID"),
        ("a@b", "INVALID"),
        ("  ", "REQUIRED"),
    ):
        payload = mutate(api, "createWorker", {"name": "X", "email": email}, "worker { id }")
        assert payload["worker"] is None
        assert errors_of(payload) == [(["input", "email"], code)], email
    payload = mutate(api, "createWorker", {"name": "", "email": "new@example.com"})
    assert errors_of(payload) == [(["input", "name"], "REQUIRED")]
    assert len(workers(api)) == 2


def test_update_worker(api):
    ann = make_worker(api, "Ann", "ann@example.com")
    make_worker(api, "Bob", "bob@example.com")
    sel = f"worker {{ {WORKER} }}"
    renamed = ok(api, "updateWorker", {"id": ann["id"], "name": "Annie"}, sel)["worker"]
    assert renamed == {**ann, "name": "Annie"}
    changed = ok(
        api,
        "updateWorker",
        {"id": ann["id"], "role": "MANAGER", "atWork": False, "email": "ANNIE@example.com"},
        sel,
    )["worker"]
    assert changed == {
        **ann,
        "name": "Annie",
        "role": "MANAGER",
        "atWork": False,
        "email": "annie@example.com",
    }
    assert (
        ok(api, "updateWorker", {"id": ann["id"], "email": "Annie@Example.com"}, sel)["worker"][
            "email"
        ]
        == "annie@example.com"
    )
    for change, expected in (
        ({"email": "BOB@example.com"}, [(["input", "email"], "TAKEN")]),
        ({"email": "bob"}, [(["input", "email"], "INVALID")]),
        ({"name": " ", "atWork": True}, [(["input", "name"], "REQUIRED")]),
    ):
        payload = mutate(api, "updateWorker", {"id": ann["id"], **change}, "worker { id }")
        assert payload["worker"] is None
        assert errors_of(payload) == expected
    assert workers(api)[1] == changed


def test_delete_worker_takes_their_assignments(api):
    ann = make_worker(api, "Ann", "ann@example.com")
    bob = make_worker(api, "Bob", "bob@example.com")
    person = make_customer(api, workerIds=[ann["id"], bob["id"]])
    assert ok(api, "deleteWorker", {"id": ann["id"]}, "deletedId")["deletedId"] == ann["id"]
    assert names(workers(api))[1:] == ["Bob"]
    assert customer(api, person["id"])["workers"] == [{"id": bob["id"]}]
    assert node(api, ann["id"]) is None

    me = gid("Worker", api.worker_id)
    payload = mutate(api, "deleteWorker", {"id": me}, "deletedId")
    assert (payload["deletedId"], errors_of(payload)) == (None, [(["input", "id"], "SELF")])
    payload = mutate(api, "deleteWorker", {"id": ann["id"]}, "deletedId")
    assert errors_of(payload) == [(["input", "id"], "NOT_FOUND")]
    assert len(workers(api)) == 2


def test_reorder_workers(api):
    me = workers(api)[0]
    ann = make_worker(api, "Ann", "ann@example.com")
    bob = make_worker(api, "Bob", "bob@example.com")
    payload = mutate(api, "reorderWorkers", {"ids": [bob["id"], ann["id"]]}, "workers { id }")
    assert errors_of(payload) == [(["input", "ids"], "INCOMPLETE")]
    order = [bob["id"], me["id"], ann["id"]]
    payload = ok(api, "reorderWorkers", {"ids": order}, "workers { id position }")
    assert payload["workers"] == [{"id": w, "position": i} for i, w in enumerate(order)]
    assert ids(workers(api)) == order


def test_only_an_owner_makes_owners(api):
    admin_row = make_worker(api, "Ada", "ada@example.com", role="ADMIN")
    agent = make_worker(api, "Ann", "ann@example.com")
    admin = as_worker(api, admin_row)
    me = gid("Worker", api.worker_id)

    forbidden(admin, "createWorker", {"name": "O", "email": "o@example.com", "role": "OWNER"})
    forbidden(admin, "updateWorker", {"id": agent["id"], "role": "OWNER"})
    forbidden(admin, "updateWorker", {"id": me, "role": "AGENT"})
    forbidden(admin, "updateWorker", {"id": me, "email": "mine@example.com"})
    forbidden(admin, "deleteWorker", {"id": me})
    assert [(w["name"], w["role"]) for w in workers(api)][1:] == [
        ("Ada", "ADMIN"),
        ("Ann", "AGENT"),
    ]
    assert workers(api)[0]["role"] == "OWNER"

    # An admin manages the others...
    promoted = ok(admin, "updateWorker", {"id": agent["id"], "role": "MANAGER"}, "worker { role }")
    assert promoted["worker"]["role"] == "MANAGER"
    assert make_worker(admin, "Al", "al@example.com", role="ADMIN")["role"] == "ADMIN"

    # ...and an owner makes owners, but the last owner cannot step down.
    payload = mutate(api, "updateWorker", {"id": me, "role": "ADMIN"}, "worker { id }")
    assert errors_of(payload) == [(["input", "role"], "LAST_OWNER")]
    ok(api, "updateWorker", {"id": admin_row["id"], "role": "OWNER"})
    new_owner = make_worker(api, "Oz", "oz@example.com", role="OWNER")
    assert new_owner["role"] == "OWNER"
    stepped_down = ok(api, "updateWorker", {"id": me, "role": "ADMIN"}, "worker { role }")
    assert stepped_down["worker"]["role"] == "ADMIN"
    assert api.query("{ me { worker { role } } }")["me"]["worker"]["role"] == "ADMIN"


def test_an_agent_may_not_set_up_but_may_edit_itself(api):
    agent_row = make_worker(api, "Ann", "ann@example.com")
    other = make_worker(api, "Bob", "bob@example.com")
    agent = as_worker(api, agent_row)
    permissions = agent.query("{ me { permissions } }")["me"]["permissions"]
    core = [p for p in permissions if p.split(".")[0] in {"customers", "folders", "workers"}]
    assert core == ["customers.edit"]

    forbidden(agent, "createWorker", {"name": "X", "email": "x@example.com"})
    forbidden(agent, "createFolder", {"name": "X", "color": "#000000"})
    forbidden(agent, "createTag", {"name": "X", "color": "#000000"})
    forbidden(agent, "createStatus", {"name": "X", "color": "#000000", "category": "ACTIVE"})
    forbidden(agent, "createCustomFieldDefinition", {"key": "x", "label": "X", "type": "TEXT"})
    forbidden(agent, "updateWorker", {"id": agent_row["id"], "role": "ADMIN"})
    forbidden(agent, "updateWorker", {"id": agent_row["id"], "role": "AGENT"})
    forbidden(agent, "updateWorker", {"id": agent_row["id"], "email": "me@example.com"})
    forbidden(agent, "updateWorker", {"id": other["id"], "name": "Robert"})
    forbidden(agent, "reorderWorkers", {"ids": [other["id"], agent_row["id"]]})
    assert (folders(api), tags(api), definitions(api), len(workers(api))) == ([], [], [], 3)
    assert len(statuses(api)) == 4

    sel = f"worker {{ {WORKER} }}"
    edited = ok(
        agent,
        "updateWorker",
        {"id": agent_row["id"], "name": "Annie", "atWork": False, "avatarUrl": "https://a/b"},
        sel,
    )["worker"]
    assert edited == {**agent_row, "name": "Annie", "atWork": False, "avatarUrl": "https://a/b"}
    assert workers(api)[1:] == [edited, other]
    payload = mutate(agent, "updateWorker", {"id": agent_row["id"], "name": ""})
    assert errors_of(payload) == [(["input", "name"], "REQUIRED")]


def test_a_manager_manages_settings_but_not_workers(api):
    manager_row = make_worker(api, "Max", "max@example.com", role="MANAGER")
    agent = make_worker(api, "Ann", "ann@example.com")
    manager = as_worker(api, manager_row)
    folder = make_folder(manager, "Managed")
    make_tag(manager, "Hot")
    make_status(manager, "Waiting", folder["id"])
    ok(manager, "updateTenantSettings", {"name": "Renamed by manager"})
    assert names(folders(api)) == ["Managed"]
    assert names(tags(api)) == ["Hot"]
    assert tenant(api)["name"] == "Renamed by manager"

    forbidden(manager, "createWorker", {"name": "X", "email": "x@example.com"})
    forbidden(manager, "updateWorker", {"id": agent["id"], "role": "MANAGER"})
    forbidden(manager, "deleteWorker", {"id": agent["id"]})
    assert [(w["name"], w["role"]) for w in workers(api)][1:] == [
        ("Max", "MANAGER"),
        ("Ann", "AGENT"),
    ]


# --- tenant settings ----------------------------------------------------------------------------


def test_update_tenant_settings(api):
    before = tenant(api)
    assert (before["timeZone"], before["subCustomerCopyFields"]) == (
        "UTC",
        ["COMPANY", "CITY", "PHONES", "FOLDERS", "WORKERS"],
    )
    sel = f"tenant {{ {TENANT} }}"
    renamed = ok(api, "updateTenantSettings", {"name": "  Acme  "}, sel)["tenant"]
    assert renamed == {**before, "name": "Acme"}
    changed = ok(
        api,
        "updateTenantSettings",
        {"timeZone": "Europe/Berlin", "subCustomerCopyFields": ["TAGS", "COMPANY", "TAGS"]},
        sel,
    )["tenant"]
    assert changed == {
        **before,
        "name": "Acme",
        "timeZone": "Europe/Berlin",
        "subCustomerCopyFields": ["COMPANY", "TAGS"],
    }
    assert tenant(api) == changed
    emptied = ok(api, "updateTenantSettings", {"subCustomerCopyFields": []}, sel)["tenant"]
    assert emptied["subCustomerCopyFields"] == []

    for change, expected in (
        ({"timeZone": "Mars/Olympus_Mons"}, [(["input", "timeZone"], "INVALID")]),
        ({"timeZone": "localtime"}, [(["input", "timeZone"], "INVALID")]),
        ({"timeZone": "europe/berlin", "name": "X"}, [(["input", "timeZone"], "INVALID")]),
        ({"timeZone": None}, [(["input", "timeZone"], "INVALID")]),
        ({"name": "  "}, [(["input", "name"], "REQUIRED")]),
        ({"name": "n" * 201}, [(["input", "name"], "TOO_LONG")]),
    ):
        payload = mutate(api, "updateTenantSettings", change, "tenant { id }")
        assert payload["tenant"] is None
        assert errors_of(payload) == expected, change
    assert tenant(api) == emptied


def test_an_agent_may_not_change_tenant_settings(api):
    agent = as_worker(api, make_worker(api))
    forbidden(agent, "updateTenantSettings", {"name": "Mine now"})
    forbidden(agent, "updateTenantSettings", {"timeZone": "Europe/Paris"})
    assert tenant(agent)["name"] == tenant(api)["name"] != "Mine now"
    assert tenant(api)["timeZone"] == "UTC"


# --- isolation ----------------------------------------------------------------------------------


def test_nothing_crosses_between_tenants(api, other_api):
    folder = make_folder(api, "Private folder")
    tag = make_tag(api, "Private tag")
    worker = make_worker(api, "Private worker", "private@example.com")
    status = make_status(api, "Private status")
    definition = make_field(api, "private_field", "BOOLEAN", folderIds=[folder["id"]])
    made = [folder["id"], tag["id"], worker["id"], status["id"], definition["id"]]
    made.append(folder["statuses"][0]["id"])

    assert folders(other_api) == []
    assert tags(other_api) == []
    assert definitions(other_api) == []
    assert names(workers(other_api)) == ["Olivia Owner"]
    assert "Private status" not in names(statuses(other_api))
    assert not set(ids(statuses(other_api))) & set(ids(statuses(api)))
    assert statuses(other_api, folder["id"]) == []
    for global_id in made:
        assert node(other_api, global_id) is None, global_id
        assert node(api, global_id) == {"id": global_id}, global_id
    found = other_api.query("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=made)
    assert found["nodes"] == [None] * len(made)
    assert node(other_api, gid("Tenant", api.tenant_id)) is None


def test_another_tenants_ids_fail_like_unknown_ones(api, other_api):
    folder = make_folder(other_api, "Theirs")
    theirs = {
        "Folder": folder["id"],
        "Tag": make_tag(other_api, "Theirs")["id"],
        "Status": statuses(other_api)[1]["id"],
        "Worker": make_worker(other_api, "Their worker", "their@example.com")["id"],
        "CustomFieldDefinition": make_field(other_api, "theirs")["id"],
    }
    attempts = [
        ("updateFolder", "Folder", {"name": "Mine"}),
        ("deleteFolder", "Folder", {}),
        ("updateTag", "Tag", {"name": "Mine"}),
        ("deleteTag", "Tag", {}),
        ("updateStatus", "Status", {"name": "Mine"}),
        ("deleteStatus", "Status", {}),
        ("updateWorker", "Worker", {"name": "Mine"}),
        ("deleteWorker", "Worker", {}),
        ("deleteCustomFieldDefinition", "CustomFieldDefinition", {}),
    ]
    for name, type_name, extra in attempts:
        foreign = mutate(api, name, {"id": theirs[type_name], **extra})["userErrors"]
        unknown = mutate(api, name, {"id": gid(type_name, 10**9), **extra})["userErrors"]
        assert foreign == unknown, name
        assert errors_of({"userErrors": foreign}) == [(["input", "id"], "NOT_FOUND")], name
    assert names(folders(other_api)) == ["Theirs"]
    assert names(tags(other_api)) == ["Theirs"]
    assert names(statuses(other_api))[1] == "Active"
    assert names(workers(other_api)) == ["Olivia Owner", "Their worker"]
    assert [d["label"] for d in definitions(other_api)] == ["Theirs"]
    payload = mutate(api, "reorderFolders", {"ids": [theirs["Folder"]]})
    assert errors_of(payload) == [(["input", "ids", "0"], "NOT_FOUND")]
    assert folders(other_api)[0]["position"] == 0


def test_another_tenants_definition_cannot_be_updated(api, other_api):
    theirs = make_field(other_api, "theirs")
    answers = [
        mutate(api, "updateCustomFieldDefinition", {"id": target, "label": "Mine"})["userErrors"]
        for target in (theirs["id"], gid("CustomFieldDefinition", 10**9))
    ]
    assert answers[0] == answers[1]
    assert errors_of({"userErrors": answers[0]}) == [(["input", "id"], "NOT_FOUND")]
    assert definitions(other_api) == [theirs]
