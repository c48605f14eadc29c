"""Customer events name what changed: tag, worker and folder changes are events of their own
(`customer.tags_changed`, `customer.workers_changed`, `customer.folder_changed`) with the
added and removed rows (id and name), from every path that changes them; status changes
carry the old and new status. Each reads as a sentence on the timeline."""

from tests.support import Api, pk_of

OWNER = "Olivia Owner"
TIMELINE = """
query($id: ID!) {
  customer(id: $id) {
    timeline(first: 100) { edges { node { action summary data } } }
  }
}
"""


def history(api: Api, customer_id: str) -> list[tuple[str, str, dict]]:
    """(action, summary, data) of the customer's timeline, newest first."""
    edges = api.query(TIMELINE, id=customer_id)["customer"]["timeline"]["edges"]
    return [(e["node"]["action"], e["node"]["summary"], e["node"]["data"]) for e in edges]


def latest(api: Api, customer_id: str, count: int = 1) -> list[tuple[str, str, dict]]:
    return history(api, customer_id)[:count]


def customer(api: Api, name: str = "Ada", **fields) -> str:
    return api.ok("createCustomer", {"name": name, **fields}, "customer { id }")["customer"]["id"]


def tag(api: Api, name: str) -> str:
    return api.ok("createTag", {"name": name, "color": "#aa0000"}, "tag { id }")["tag"]["id"]


def folder(api: Api, name: str, *statuses: str) -> tuple[str, dict[str, str]]:
    """A folder and its statuses by name."""
    given = {"statuses": [{"name": s, "color": "#00aa00"} for s in statuses]} if statuses else {}
    payload = api.ok(
        "createFolder",
        {"name": name, "color": "#00aa00", **given},
        "folder { id statuses { id name } }",
    )["folder"]
    return payload["id"], {s["name"]: s["id"] for s in payload["statuses"]}


def worker(api: Api, name: str) -> str:
    email = name.lower().replace(" ", ".") + "@example.com"
    payload = api.ok(
        "createWorker", {"name": name, "email": email, "role": "AGENT"}, "worker { id }"
    )
    return payload["worker"]["id"]


def ref(global_id: str, name: str) -> dict:
    return {"id": pk_of(global_id), "name": name}


def test_tags_added_and_removed_are_tags_changed_with_ids_and_names(api):
    ada = customer(api)
    vip, gold = tag(api, "VIP"), tag(api, "Gold")

    api.ok("addCustomerTags", {"customerId": ada, "tagIds": [vip, gold]})
    assert latest(api, ada) == [
        (
            "customer.tags_changed",
            f"{OWNER} tagged VIP and Gold",
            {"added": [ref(vip, "VIP"), ref(gold, "Gold")], "removed": []},
        )
    ]

    api.ok("removeCustomerTags", {"customerId": ada, "tagIds": [gold]})
    assert latest(api, ada) == [
        (
            "customer.tags_changed",
            f"{OWNER} untagged Gold",
            {"added": [], "removed": [ref(gold, "Gold")]},
        )
    ]

    before = history(api, ada)
    api.ok("addCustomerTags", {"customerId": ada, "tagIds": [vip]})  # already tagged
    api.ok("removeCustomerTags", {"customerId": ada, "tagIds": [gold]})  # already untagged
    assert history(api, ada) == before
    assert "customer.updated" not in [action for action, _, _ in before]


def test_bulk_tagging_gives_each_customer_what_it_gained(api):
    ada, bob = customer(api, "Ada"), customer(api, "Bob")
    vip, gold = tag(api, "VIP"), tag(api, "Gold")
    api.ok("addCustomerTags", {"customerId": ada, "tagIds": [vip]})

    api.ok("bulkAddCustomerTags", {"customerIds": [ada, bob], "tagIds": [vip, gold]})
    assert latest(api, ada)[0][2] == {"added": [ref(gold, "Gold")], "removed": []}
    assert latest(api, bob)[0][2] == {"added": [ref(vip, "VIP"), ref(gold, "Gold")], "removed": []}

    api.ok("bulkRemoveCustomerTags", {"customerIds": [ada, bob], "tagIds": [vip]})
    for someone in (ada, bob):
        action, summary, data = latest(api, someone)[0]
        assert (action, summary) == ("customer.tags_changed", f"{OWNER} untagged VIP")
        assert data == {"added": [], "removed": [ref(vip, "VIP")]}


def test_workers_assigned_and_unassigned_are_workers_changed(api):
    ada = customer(api)
    ann, ben = worker(api, "Ann Agent"), worker(api, "Ben Agent")

    api.ok("assignWorkers", {"customerId": ada, "workerIds": [ann, ben]})
    assert latest(api, ada) == [
        (
            "customer.workers_changed",
            f"{OWNER} assigned Ann Agent and Ben Agent",
            {"added": [ref(ann, "Ann Agent"), ref(ben, "Ben Agent")], "removed": []},
        )
    ]
    api.ok("bulkUnassignWorkers", {"customerIds": [ada], "workerIds": [ann]})
    assert latest(api, ada) == [
        (
            "customer.workers_changed",
            f"{OWNER} unassigned Ann Agent",
            {"added": [], "removed": [ref(ann, "Ann Agent")]},
        )
    ]


def test_folder_changes_name_the_folders_and_folder_statuses_their_own_event(api):
    ada = customer(api)
    sales, sales_statuses = folder(api, "Sales", "New", "Won")
    support, _ = folder(api, "Support")

    api.ok(
        "addCustomerToFolders",
        {"customerId": ada, "folders": [{"folderId": sales}, {"folderId": support}]},
    )
    assert latest(api, ada) == [
        (
            "customer.folder_changed",
            f"{OWNER} added the customer to folders Sales and Support",
            {"added": [ref(sales, "Sales"), ref(support, "Support")], "removed": []},
        )
    ]

    api.ok(
        "setCustomerFolderStatus",
        {"customerId": ada, "folderId": sales, "statusId": sales_statuses["Won"]},
    )
    assert latest(api, ada) == [
        (
            "customer.folder_status_changed",
            f"{OWNER} changed the status in folder Sales from New to Won",
            {
                "folder": ref(sales, "Sales"),
                "from": ref(sales_statuses["New"], "New"),
                "to": ref(sales_statuses["Won"], "Won"),
            },
        )
    ]

    api.ok("removeCustomerFromFolders", {"customerId": ada, "folderIds": [support]})
    assert latest(api, ada) == [
        (
            "customer.folder_changed",
            f"{OWNER} removed the customer from folder Support",
            {"added": [], "removed": [ref(support, "Support")]},
        )
    ]


def test_status_changes_carry_the_old_and_new_status(api):
    ada = customer(api)
    listed = api.query("{ statuses { id name isDefault } }")["statuses"]
    new = next(s for s in listed if s["isDefault"])
    hold = next(s for s in listed if s["name"] == "On hold")

    api.ok("setCustomerStatus", {"customerId": ada, "statusId": hold["id"]})
    assert latest(api, ada) == [
        (
            "customer.status_changed",
            f"{OWNER} changed the status from {new['name']} to On hold",
            {"from": ref(new["id"], new["name"]), "to": ref(hold["id"], "On hold")},
        )
    ]

    api.ok("updateCustomer", {"id": ada, "statusId": new["id"], "city": "Paris"})
    assert latest(api, ada, 2) == [
        (
            "customer.status_changed",
            f"{OWNER} changed the status from On hold to {new['name']}",
            {"from": ref(hold["id"], "On hold"), "to": ref(new["id"], new["name"])},
        ),
        (
            "customer.updated",
            f"{OWNER} changed city and status",
            {"changed": ["city", "status_id"]},
        ),
    ]

    before = history(api, ada)
    api.ok("bulkSetCustomerStatus", {"customerIds": [ada], "statusId": new["id"]})  # has it
    assert history(api, ada) == before


def test_a_customer_created_with_links_gets_their_events_too(api):
    vip = tag(api, "VIP")
    ann = worker(api, "Ann Agent")
    sales, _ = folder(api, "Sales")
    ada = customer(api, tagIds=[vip], workerIds=[ann], folders=[{"folderId": sales}], city="Paris")
    assert history(api, ada) == [
        (
            "customer.workers_changed",
            f"{OWNER} assigned Ann Agent",
            {"added": [ref(ann, "Ann Agent")], "removed": []},
        ),
        (
            "customer.tags_changed",
            f"{OWNER} tagged VIP",
            {"added": [ref(vip, "VIP")], "removed": []},
        ),
        (
            "customer.folder_changed",
            f"{OWNER} added the customer to folder Sales",
            {"added": [ref(sales, "Sales")], "removed": []},
        ),
        ("customer.created", f"{OWNER} created the customer", {}),
    ]
    plain = customer(api, "Plain")
    assert [action for action, _, _ in history(api, plain)] == ["customer.created"]


def test_a_merge_names_the_links_the_target_took_over(api):
    vip, gold = tag(api, "VIP"), tag(api, "Gold")
    ann = worker(api, "Ann Agent")
    target = customer(api, "Ada", tagIds=[vip])
    source = customer(api, "Ada L.", tagIds=[vip, gold], workerIds=[ann])
    merge = api.ok("mergeCustomers", {"sourceId": source, "targetId": target}, "merge { id }")
    assert latest(api, target, 3) == [
        (
            "customer.workers_changed",
            f"{OWNER} assigned Ann Agent",
            {"added": [ref(ann, "Ann Agent")], "removed": []},
        ),
        (
            "customer.tags_changed",
            f"{OWNER} tagged Gold",
            {"added": [ref(gold, "Gold")], "removed": []},
        ),
        (
            "customer.merged",
            f"{OWNER} merged a duplicate into this customer",
            {"sourceId": pk_of(source), "mergeId": pk_of(merge["merge"]["id"])},
        ),
    ]


def test_a_renamed_tag_keeps_its_old_name_in_the_history(api):
    ada = customer(api)
    vip = tag(api, "VIP")
    api.ok("addCustomerTags", {"customerId": ada, "tagIds": [vip]})
    api.ok("updateTag", {"id": vip, "name": "Very important"})
    api.ok("removeCustomerTags", {"customerId": ada, "tagIds": [vip]})
    assert [summary for _, summary, _ in latest(api, ada, 2)] == [
        f"{OWNER} untagged Very important",
        f"{OWNER} tagged VIP",
    ]
