"""Requests of the race test (a real server process: no `Api` test client)."""

FLOW = """mutation { createFlow(input: {name: "Race"}) {
  flow { id columns { id } } userErrors { code } } }"""
MOVE = """mutation($input: MoveFlowCardInput!) { moveFlowCard(input: $input) {
  card { version columnId } userErrors { code } } }"""
READ = """query($id: ID!) { flowBoard(flowId: $id, first: 100) {
  columns { count column { id } cards { nodes { version customer { id } } } } } }"""


async def post(http, token: str, query: str, **variables) -> dict:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]
