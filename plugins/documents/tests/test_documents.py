"""The Files tab (documents module) through the HTTP API, both databases: an upload filed as
a document, versions on re-upload (older ones listed and downloadable), rename, labels,
search, the badge after `markDocumentsSeen`, deleting (the stored files go too), bad input,
who may see and download what, another tenant, merging, erasing and export."""

import pytest

from plugins.documents.tests.support import (
    DOC,
    add_version,
    codes,
    create,
    created,
    label,
    tab,
    titles,
    upload,
)
from tests.support import Api, as_worker, gid, pk_of
from tests.support import create_customer as customer
from tests.support import create_worker as worker
from tests.test_archive import wait_for_removal_job
from tests.test_uploads import objects, rows
from tests.uploads import PDF, PNG

TIMELINE = """
query($id: ID!) { customer(id: $id) { timeline(first: 50) { nodes { action summary } } } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on Document { title versionCount } } }"
TABS = "query($id: ID!) { customer(id: $id) { profileTabs { key badgeCount } } }"
SEEN = "documents { count newSinceLastOpened lastOpenedAt }"


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("documents")
    return api


def badge(api: Api, customer_id: str) -> int:
    tabs = api.query(TABS, id=customer_id)["customer"]["profileTabs"]
    return {t["key"]: t["badgeCount"] for t in tabs}["documents"]


def test_an_upload_filed_as_a_document_then_versions_all_downloadable(owner):
    ada = customer(owner)
    doc = created(owner, ada, PDF, "contract.pdf")
    assert doc["title"] == "contract.pdf" and doc["versionCount"] == 1
    assert doc["size"] == len(PDF) and doc["contentType"] == "application/pdf"
    assert doc["uploadedBy"]["id"] == doc["addedBy"]["id"] == gid("Worker", owner.worker_id)
    assert [v["number"] for v in doc["versions"]] == [1] and doc["versions"][0]["current"]

    second = add_version(owner, doc["id"], upload(owner, ada, PNG, "scan.png"))
    assert second["userErrors"] == []
    doc = second["document"]
    assert doc["versionCount"] == 2 and doc["contentType"] == "image/png"
    assert doc["title"] == "contract.pdf"  # a new version keeps the title
    assert [(v["number"], v["current"]) for v in doc["versions"]] == [(2, True), (1, False)]
    new, old = (owner.client.get(v["file"]["downloadUrl"]) for v in doc["versions"])
    assert new.status_code == old.status_code == 200
    assert new.content == PNG and old.content == PDF
    assert owner.client.get(doc["file"]["downloadUrl"]).content == PNG

    node = owner.query(NODE, id=doc["id"])["node"]
    assert node == {"title": "contract.pdf", "versionCount": 2}
    timeline = owner.query(TIMELINE, id=ada)["customer"]["timeline"]["nodes"]
    summaries = [n["summary"] for n in timeline if n["action"].startswith("document.")]
    assert summaries == [
        "Document version added: contract.pdf",
        "Document added: contract.pdf",
    ]


def test_sending_the_same_file_again_is_a_retry_not_a_second_document(owner):
    ada = customer(owner)
    file_id = upload(owner, ada)
    first = create(owner, ada, file_id, title="Lease")["document"]
    again = create(owner, ada, file_id, title="Lease")
    assert again["userErrors"] == [] and again["document"]["id"] == first["id"]
    same = add_version(owner, first["id"], file_id)
    assert same["userErrors"] == [] and same["document"]["versionCount"] == 1
    assert tab(owner, ada)["count"] == 1
    other = created(owner, ada, name="other.pdf")
    assert codes(add_version(owner, other["id"], file_id)) == [(["input", "fileId"], "FILE_IN_USE")]
    version = upload(owner, ada)
    add_version(owner, first["id"], version)
    reused = create(owner, ada, version)
    assert codes(reused) == [(["input", "fileId"], "FILE_IN_USE")]


def test_rename_labels_and_search(owner):
    ada = customer(owner)
    red, blue = label(owner, "Contract", "#DC2626"), label(owner, "Invoice")
    created(owner, ada, title="Lease agreement 2026", labelIds=[red])
    created(owner, ada, title="Invoice_01 100%", labelIds=[blue, red])
    plain = created(owner, ada, title="Ünterlagen")
    assert titles(owner, ada) == ["Ünterlagen", "Invoice_01 100%", "Lease agreement 2026"]
    assert titles(owner, ada, search="  AGREEMENT ") == ["Lease agreement 2026"]
    assert titles(owner, ada, search="ünter") == ["Ünterlagen"]
    assert titles(owner, ada, search="100%") == ["Invoice_01 100%"]
    assert titles(owner, ada, search="%") == ["Invoice_01 100%"]  # wildcards are text
    assert titles(owner, ada, search="_") == ["Invoice_01 100%"]
    assert titles(owner, ada, labelId=red) == ["Invoice_01 100%", "Lease agreement 2026"]
    found = tab(owner, ada, labelId=blue, search="invoice")["all"]
    assert found["totalCount"] == 1
    labels = owner.query("{ documentLabels { name color } }")["documentLabels"]
    assert labels == [
        {"name": "Contract", "color": "#dc2626"},
        {"name": "Invoice", "color": "#2563eb"},
    ]

    changed = owner.mutate(
        "updateDocument", {"id": plain["id"], "title": "Papers", "labelIds": [blue]},
        f"document {{ {DOC} }}",
    )["document"]  # fmt: skip
    assert changed["title"] == "Papers" and [lb["name"] for lb in changed["labels"]] == ["Invoice"]
    assert titles(owner, ada, search="papers") == ["Papers"]
    owner.ok("deleteDocumentLabel", {"id": blue})
    assert titles(owner, ada, labelId=red) == ["Invoice_01 100%", "Lease agreement 2026"]
    assert tab(owner, ada, labelId=blue)["all"]["totalCount"] == 0
    taken = owner.mutate("createDocumentLabel", {"name": "contract", "color": "#000000"})
    assert codes(taken) == [(["input", "name"], "TAKEN")]
    renamed = owner.mutate("updateDocumentLabel", {"id": red, "name": "Lease"}, "label { name }")
    assert renamed["label"] == {"name": "Lease"}


def test_the_badge_counts_what_is_new_since_you_opened_the_tab(owner):
    ada = customer(owner)
    sam = as_worker(owner, worker(owner, "Sam Admin", "ADMIN"))
    doc = created(owner, ada)
    created(owner, ada, name="two.pdf")
    assert badge(owner, ada) == 2 and tab(owner, ada)["lastOpenedAt"] is None
    seen = owner.ok("markDocumentsSeen", {"customerId": ada}, SEEN)["documents"]
    assert seen["count"] == 2 and seen["newSinceLastOpened"] == 0 and seen["lastOpenedAt"]
    assert badge(owner, ada) == 0
    assert badge(sam, ada) == 2  # per worker
    add_version(owner, doc["id"], upload(owner, ada))
    assert badge(owner, ada) == 1 and tab(owner, ada)["newSinceLastOpened"] == 1
    created(owner, ada, name="three.pdf")
    assert badge(owner, ada) == 2
    owner.ok("markDocumentsSeen", {"customerId": ada})
    assert badge(owner, ada) == 0 and badge(sam, ada) == 3


def test_deleting_removes_the_document_its_versions_and_their_files(owner):
    ada = customer(owner)
    doc = created(owner, ada)
    add_version(owner, doc["id"], upload(owner, ada, PNG, "a.png"))
    kept = created(owner, ada, name="kept.pdf")
    urls = [v["file"]["downloadUrl"] for v in kept["versions"]]
    assert len(rows(owner)) == 3 and len(objects(owner)) == 3
    gone = owner.ok("deleteDocument", {"id": doc["id"]}, "deletedId")
    assert gone["deletedId"] == doc["id"]
    assert [r["id"] for r in rows(owner)] == [pk_of(kept["file"]["id"])]
    assert len(objects(owner)) == 1
    assert owner.client.get(urls[0]).content == PDF
    assert owner.query(NODE, id=doc["id"])["node"] is None
    assert titles(owner, ada) == ["kept.pdf"]
    again = owner.mutate("deleteDocument", {"id": doc["id"]}, "deletedId")
    assert again["deletedId"] is None and codes(again) == [(["input", "id"], "NOT_FOUND")]
    timeline = owner.query(TIMELINE, id=ada)["customer"]["timeline"]["nodes"]
    assert timeline[0]["summary"] == "Document deleted: contract.pdf"


def test_bad_input_is_an_error_and_writes_nothing(owner, other_api):
    ada, bob = customer(owner, "Ada"), customer(owner, "Bob")
    bobs = upload(owner, bob)
    assert codes(create(owner, ada, bobs)) == [(["input", "fileId"], "NOT_FOUND")]
    assert codes(create(owner, ada, gid("StoredFile", 2_147_480_000))) == [
        (["input", "fileId"], "NOT_FOUND")
    ]
    assert codes(create(owner, ada, gid("Customer", 1))) == [(["input", "fileId"], "NOT_FOUND")]
    imported = upload(owner, ada, b"a,b\n1,2\n", "rows.csv", purpose="IMPORT")
    assert codes(create(owner, ada, imported)) == [(["input", "fileId"], "FILE_PURPOSE_MISMATCH")]
    unknown = gid("Customer", 2_147_480_000)
    assert codes(create(owner, unknown, bobs)) == [(["input", "customerId"], "NOT_FOUND")]
    mine = upload(owner, ada)
    problems = create(owner, ada, mine, title="x" * 201, labelIds=[gid("DocumentLabel", 9)])
    assert codes(problems) == [
        (["input", "title"], "TOO_LONG"),
        (["input", "labelIds", "0"], "NOT_FOUND"),
    ]
    doc = created(owner, ada)
    blank = owner.mutate("updateDocument", {"id": doc["id"], "title": "  "})
    assert codes(blank) == [(["input", "title"], "REQUIRED")]
    assert codes(add_version(owner, gid("Document", 2_147_480_000), mine)) == [
        (["input", "documentId"], "NOT_FOUND")
    ]
    assert codes(add_version(owner, doc["id"], bobs)) == [(["input", "fileId"], "NOT_FOUND")]
    color = owner.mutate("createDocumentLabel", {"name": "Red", "color": "red"})
    assert codes(color) == [(["input", "color"], "INVALID")]
    # another tenant's customer, file and document are unknown ids
    theirs = customer(other_api, "Theirs")
    other_api.enable("documents")
    their_doc = created(other_api, theirs)
    assert codes(create(owner, theirs, mine)) == [(["input", "customerId"], "NOT_FOUND")]
    assert codes(create(owner, ada, their_doc["file"]["id"])) == [
        (["input", "fileId"], "NOT_FOUND")
    ]
    assert codes(add_version(owner, their_doc["id"], mine)) == [
        (["input", "documentId"], "NOT_FOUND")
    ]
    assert owner.query(NODE, id=their_doc["id"])["node"] is None
    seen = owner.mutate("markDocumentsSeen", {"customerId": theirs})
    assert codes(seen) == [(["input", "customerId"], "NOT_FOUND")]
    assert titles(owner, ada) == ["contract.pdf"]
    assert titles(other_api, theirs) == ["contract.pdf"]


def test_a_restricted_worker_sees_and_downloads_only_their_customers_documents(owner):
    ada, bob = customer(owner, "Ada"), customer(owner, "Bob")
    agent_id = worker(owner, "Ann Agent")
    agent = as_worker(owner, agent_id)
    owner.ok("assignWorkers", {"customerId": ada, "workerIds": [agent_id]})
    created(owner, ada, name="ada.pdf")
    bobs = created(owner, bob, name="bob.pdf")
    mine = agent.query(
        "query($id: ID!) { customer(id: $id) { documents { all { nodes { "
        "file { downloadUrl } } } } } }",
        id=ada,
    )["customer"]["documents"]["all"]["nodes"]
    url = mine[0]["file"]["downloadUrl"]
    assert agent.client.get(url).content == PDF
    assert agent.query(NODE, id=bobs["id"])["node"] is None
    assert agent.query("query($id: ID!) { customer(id: $id) { id } }", id=bob)["customer"] is None
    refused = add_version(agent, bobs["id"], upload(owner, bob))
    assert codes(refused) == [(["input", "documentId"], "NOT_FOUND")]
    # unassigned, the link the agent was given is worth nothing
    owner.ok("unassignWorkers", {"customerId": ada, "workerIds": [agent_id]})
    assert agent.client.get(url).status_code == 404


def test_labels_need_manage_and_the_tab_needs_view(owner):
    ada = customer(owner)
    agent = as_worker(owner, worker(owner, "Ann Agent"))
    errors = agent.errors(
        'mutation { createDocumentLabel(input: {name: "X", color: "#111111"}) { label { id } } }'
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    refused = worker(owner, "Rita Admin", "ADMIN")
    change = {"workerId": refused, "permission": "documents.view", "granted": False}
    owner.ok("setWorkerPermission", change, "table { permissions }")
    errors = as_worker(owner, refused).errors(
        "query($id: ID!) { customer(id: $id) { documents { count } } }", id=ada
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    doc = created(owner, ada)
    assert as_worker(owner, refused).query(NODE, id=doc["id"])["node"] is None


def test_merging_moves_documents_erasing_removes_them_export_lists_them(owner):
    source, target = customer(owner, "Ada L."), customer(owner, "Ada Lovelace")
    created(owner, source, name="from-duplicate.pdf", labelIds=[label(owner, "Contract")])
    created(owner, target, name="original.pdf")
    owner.ok("markDocumentsSeen", {"customerId": source})
    owner.ok("mergeCustomers", {"sourceId": source, "targetId": target}, "customer { id }")
    docs = owner.query(
        "query($id: ID!) { customer(id: $id) { documents { all { nodes { title "
        "file { downloadUrl } } } } } }",
        id=target,
    )["customer"]["documents"]["all"]["nodes"]
    assert [d["title"] for d in docs] == ["original.pdf", "from-duplicate.pdf"]
    assert all(owner.client.get(d["file"]["downloadUrl"]).content == PDF for d in docs)
    data = owner.query("query($id: ID!) { customerExport(id: $id) }", id=target)["customerExport"]
    exported = data["modules"]["documents"]
    assert [(d["title"], d["labels"], len(d["versions"])) for d in exported] == [
        ("from-duplicate.pdf", ["Contract"], 1),
        ("original.pdf", [], 1),
    ]
    owner.ok("archiveCustomer", {"customerId": target})
    owner.ok("deleteCustomer", {"id": target}, "deletedId")
    assert wait_for_removal_job(owner)["status"] == "SUCCEEDED"
    assert rows(owner) == [] and objects(owner) == []
