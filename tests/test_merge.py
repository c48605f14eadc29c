"""Merging two records of the same customer."""

from tests.support import Api

CUSTOMER = (
    "customer { id name kind company city version phones { value primary } "
    "emails { value primary } tags { name } workers { name } folders { folder { name } } "
    "subCustomerCount }"
)


def make(api: Api, name: str, **fields) -> dict:
    return api.ok("createCustomer", {"name": name, **fields}, CUSTOMER)["customer"]


def errors(payload: dict) -> list:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def test_target_keeps_its_values_and_takes_what_it_lacks(api):
    vip = api.ok("createTag", {"name": "VIP", "color": "#ff0000"}, "tag { id }")["tag"]["id"]
    new = api.ok("createTag", {"name": "New", "color": "#00ff00"}, "tag { id }")["tag"]["id"]
    folder = api.ok("createFolder", {"name": "Sales", "color": "#0000ff"}, "folder { id }")
    source = make(
        api,
        "Ada L.",
        kind="CUSTOMER",
        company="Analytical Engines",
        city="London",
        phones=[{"value": "+44 20 7946 0001"}],
        emails=[{"value": "ada@old.example"}, {"value": "ada@new.example"}],
        tagIds=[vip, new],
        folders=[{"folderId": folder["folder"]["id"]}],
    )
    target = make(
        api, "Ada Lovelace", city="Marylebone", emails=[{"value": "ada@new.example"}], tagIds=[vip]
    )
    kid = make(api, "Byron Jr", parentId=source["id"])
    merged = api.ok(
        "mergeCustomers", {"sourceId": source["id"], "targetId": target["id"]}, CUSTOMER
    )["customer"]
    assert merged["name"] == "Ada Lovelace"
    assert merged["kind"] == "CUSTOMER"
    assert merged["company"] == "Analytical Engines"
    assert merged["city"] == "Marylebone"
    assert merged["emails"] == [
        {"value": "ada@new.example", "primary": True},
        {"value": "ada@old.example", "primary": False},
    ]
    assert merged["phones"] == [{"value": "+44 20 7946 0001", "primary": True}]
    assert sorted(t["name"] for t in merged["tags"]) == ["New", "VIP"]
    assert [f["folder"]["name"] for f in merged["folders"]] == ["Sales"]
    assert merged["subCustomerCount"] == 1
    assert merged["version"] > target["version"]
    parent = api.query("query($id: ID!) { customer(id: $id) { parent { id } } }", id=kid["id"])
    assert parent["customer"]["parent"]["id"] == target["id"]
    assert (
        api.query("query($id: ID!) { customer(id: $id) { id } }", id=source["id"])["customer"]
        is None
    )


def test_refusals_change_nothing(api, other_api):
    parent = make(api, "Parent")
    child = make(api, "Child", parentId=parent["id"])
    foreign = make(other_api, "Foreign")
    total = api.query("{ customers { totalCount } }")["customers"]["totalCount"]
    cases = [
        ({"sourceId": parent["id"], "targetId": parent["id"]}, [(["input", "sourceId"], "SAME")]),
        ({"sourceId": parent["id"], "targetId": child["id"]}, [(["input", "targetId"], "CYCLE")]),
        (
            {"sourceId": foreign["id"], "targetId": parent["id"]},
            [(["input", "sourceId"], "NOT_FOUND")],
        ),
        (
            {"sourceId": parent["id"], "targetId": foreign["id"]},
            [(["input", "targetId"], "NOT_FOUND")],
        ),
    ]
    for input, expected in cases:
        payload = api.mutate("mergeCustomers", input, "customer { id }")
        assert errors(payload) == expected, input
        assert payload["customer"] is None
    assert api.query("{ customers { totalCount } }")["customers"]["totalCount"] == total
    assert other_api.query("{ customers { totalCount } }")["customers"]["totalCount"] == 1
