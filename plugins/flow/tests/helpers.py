"""Shared set-up of the flow tests: a tagged group of customers and a flow over them."""

from tests.support import Api, create_customer

COLUMN = "id name color position onDrop { statusId folderId folderStatusId tagId }"
FLOW = f"id name tagIds folderIds statusIds leadSources columns {{ {COLUMN} }} workers {{ id }}"
BOARD = """query($id: ID!, $first: Int, $search: String, $from: DateTime) {
flowBoard(flowId: $id, first: $first, search: $search, createdFrom: $from) {
  count flow { id name }
  columns { count column { id name color }
    cards { totalCount pageInfo { hasNextPage endCursor }
      nodes { rank version columnId customer { id name avatarUrl primaryPhone primaryEmail
        phones { value } emails { value } workers { id name } status { id name }
        tags { name } } } } } } }"""
MOVE = "card { version rank columnId customer { id name } }"


def tag(api: Api, name: str = "Pipeline") -> str:
    return api.ok("createTag", {"name": name, "color": "#112233"}, "tag { id }")["tag"]["id"]


def customers(api: Api, count: int, tag_id: str | None, prefix: str = "C") -> list[str]:
    extra = {"tagIds": [tag_id]} if tag_id else {}
    return [create_customer(api, f"{prefix}{n:02d}", **extra) for n in range(count)]


def flow(api: Api, tag_id: str, columns: int | None = None, **more) -> dict:
    data = {"name": "Sales", "tagIds": [tag_id], **more}
    if columns is not None:
        data["columns"] = [{"name": f"Col {n}", "color": "#00aa11"} for n in range(columns)]
    return api.ok("createFlow", data, f"flow {{ {FLOW} }}")["flow"]


def board(api: Api, flow_id: str, **variables) -> dict:
    return api.query(BOARD, id=flow_id, **variables)["flowBoard"]


def names(column: dict) -> list[str]:
    return [n["customer"]["name"] for n in column["cards"]["nodes"]]


def move(api: Api, flow_id, customer_id, column_id, version, **more) -> dict:
    data = {
        "flowId": flow_id,
        "customerId": customer_id,
        "columnId": column_id,
        "expectedVersion": version,
        **more,
    }
    return api.mutate("moveFlowCard", data, MOVE)
