"""What the Files tab costs: a customer list showing `documents` takes as many statements for
12 customers as for 3, a page of 12 documents as many as a page of 3, and `documents { count
newSinceLastOpened }` compiles (`hub_compiled_customer_fields`) to the resolvers' answers."""

import pytest

from plugins.documents.tests.support import add_version, created, label, upload
from tests.support import Api, count_statements
from tests.support import create_customer as customer
from tests.test_compiled import assert_module_compiles, paths  # noqa: F401 (fixture)
from tests.uploads import PNG

LIST = """
query($first: Int) {
  customers(first: $first) {
    nodes {
      name
      profileTabs { key badgeCount }
      documents {
        count newSinceLastOpened lastOpenedAt
        all(first: 3) { totalCount nodes { title size labels { name } uploadedBy { name } } }
      }
    }
  }
}"""
PAGE = """
query($id: ID!, $first: Int) {
  customer(id: $id) {
    documents {
      all(first: $first) {
        totalCount
        nodes {
          id title size contentType versionCount uploadedBy { name } addedBy { name }
          labels { name color } customer { name }
          file { name downloadUrl }
          versions { number current uploadedBy { name } file { name size downloadUrl } }
        }
      }
    }
  }
}"""


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("documents")
    return api


def test_a_list_page_of_12_customers_costs_what_a_page_of_3_does(owner, engine):
    contract = label(owner, "Contract")
    ids = [customer(owner, f"C{i:02}") for i in range(12)]
    for i, customer_id in enumerate(ids):
        created(owner, customer_id, name=f"d{i}.pdf", labelIds=[contract] if i % 2 else [])
        if i % 4 == 0:
            owner.ok("markDocumentsSeen", {"customerId": customer_id})
    owner.query(LIST, first=1)
    with count_statements(engine) as three:
        small = owner.query(LIST, first=3)["customers"]["nodes"]
    with count_statements(engine) as twelve:
        large = owner.query(LIST, first=12)["customers"]["nodes"]
    print(f"statements: first 3 -> {three.count}, first 12 -> {twelve.count}")
    assert len(small) == 3 and len(large) == 12
    assert three.count == twelve.count, (three.statements, twelve.statements)
    for node in large:
        documents = node["documents"]
        badge = {t["key"]: t["badgeCount"] for t in node["profileTabs"]}["documents"]
        assert badge == documents["newSinceLastOpened"] == (documents["lastOpenedAt"] is None)
        assert documents["count"] == documents["all"]["totalCount"] == 1


def test_a_page_of_12_documents_costs_what_a_page_of_3_does(owner, engine):
    ada = customer(owner)
    labels = [label(owner, name) for name in ("Contract", "Invoice")]
    for i in range(12):
        doc = created(owner, ada, name=f"d{i}.pdf", labelIds=labels[: i % 3])
        if i % 3 == 0:
            add_version(owner, doc["id"], upload(owner, ada, PNG, f"d{i}.png"))
    owner.query(PAGE, id=ada, first=1)
    with count_statements(engine) as three:
        small = owner.query(PAGE, id=ada, first=3)["customer"]["documents"]["all"]["nodes"]
    with count_statements(engine) as twelve:
        large = owner.query(PAGE, id=ada, first=12)["customer"]["documents"]["all"]["nodes"]
    print(f"statements: documents 3 -> {three.count}, 12 -> {twelve.count}")
    assert len(small) == 3 and len(large) == 12
    assert three.count == twelve.count, (three.statements, twelve.statements)
    assert sum(len(d["versions"]) for d in large) == 16
    assert all(d["file"]["downloadUrl"] for d in large)


COMPILED = ["count newSinceLastOpened", "newSinceLastOpened", "__typename n: count"]
NOT_COMPILED = ["count lastOpenedAt", "all(first: 2) { totalCount }"]


def test_the_counts_compile_and_answer_as_the_resolvers_do(api, paths):  # noqa: F811
    api.enable("documents")
    ada, bob, cyd = (customer(api, name) for name in ("Ada", "Bob", "Cyd"))
    created(api, ada)
    created(api, ada, name="two.pdf")
    created(api, bob)
    api.ok("markDocumentsSeen", {"customerId": bob})
    created(api, bob, name="later.pdf")
    expected = {
        ada: {"count": 2, "newSinceLastOpened": 2},
        bob: {"count": 2, "newSinceLastOpened": 1},
        cyd: {"count": 0, "newSinceLastOpened": 0},
    }
    assert_module_compiles(
        paths, api, "documents", "documents.view", expected, COMPILED, NOT_COMPILED
    )
