"""What the documents tests share: an upload then `createDocument`, the tab's query."""

from tests.support import Api
from tests.uploads import PDF, uploaded

DOC = (
    "id title versionCount size contentType createdAt latestAt uploadedBy { id name } "
    "addedBy { id } labels { id name color } customer { id } "
    "file { id name size contentType downloadUrl } "
    "versions { number current uploadedBy { id } file { id name downloadUrl } }"
)
TAB = """
query($id: ID!, $first: Int, $after: String, $search: String, $labelId: ID) {
  customer(id: $id) {
    documents {
      count newSinceLastOpened lastOpenedAt
      all(first: $first, after: $after, search: $search, labelId: $labelId) {
        totalCount
        nodes { id title }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}"""


def upload(api: Api, customer_id: str, data: bytes = PDF, name: str = "contract.pdf", **kw):
    """A stored file of the customer (`uploadFile`, purpose DOCUMENT by default): its id."""
    claimed = "image/png" if name.endswith(".png") else "application/pdf"
    return uploaded(api, data=data, name=name, customer_id=customer_id, claimed=claimed, **kw)["id"]


def create(api: Api, customer_id: str, file_id: str, **fields) -> dict:
    input = {"customerId": customer_id, "fileId": file_id, **fields}
    return api.mutate("createDocument", input, f"document {{ {DOC} }}")


def created(api: Api, customer_id: str, data: bytes = PDF, name: str = "contract.pdf", **fields):
    """A new document of the customer, uploaded and filed: the document."""
    payload = create(api, customer_id, upload(api, customer_id, data, name), **fields)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["document"]


def add_version(api: Api, document_id: str, file_id: str) -> dict:
    input = {"documentId": document_id, "fileId": file_id}
    return api.mutate("addDocumentVersion", input, f"document {{ {DOC} }}")


def label(api: Api, name: str, color: str = "#2563eb") -> str:
    payload = api.ok("createDocumentLabel", {"name": name, "color": color}, "label { id }")
    return payload["label"]["id"]


def tab(api: Api, customer_id: str, **variables) -> dict:
    return api.query(TAB, id=customer_id, **variables)["customer"]["documents"]


def titles(api: Api, customer_id: str, **variables) -> list[str]:
    return [n["title"] for n in tab(api, customer_id, **variables)["all"]["nodes"]]


def codes(payload: dict) -> list[tuple]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]
