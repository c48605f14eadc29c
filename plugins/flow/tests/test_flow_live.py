"""The live board over graphql-transport-ws: the counts first, then after each burst the
counts again with the moves, as each viewer sees them (a restricted worker's counts leave
out the customers they may not see, and their moves are not sent), and counts equal to the
board's (and the database's) after a burst of moves."""

from plugins.flow.tests.helpers import board, customers, flow, move, tag
from tests.support import as_worker, create_customer, create_worker
from tests.test_subscriptions import next_payload, socket, subscribe

LIVE = """subscription($id: ID!) { flowBoard(flowId: $id) {
  flowId version counts { columnId count } moves { customerId columnId version hidden } } }"""


def counts(payload: dict) -> list[int]:
    return [c["count"] for c in payload["data"]["flowBoard"]["counts"]]


def until(ws, wanted: list[int]) -> dict:
    """Updates until the counts are `wanted` (a burst may split in two)."""
    for _ in range(20):
        payload = next_payload(ws)
        if counts(payload) == wanted:
            return payload
    raise AssertionError(f"counts never reached {wanted}")


def test_live_counts_and_moves_follow_each_viewers_visibility(api):
    api.enable("flow")
    pipeline = tag(api)
    agent_id = create_worker(api, "Ann Agent")
    agent = as_worker(api, agent_id)
    mine = create_customer(api, "Mine", tagIds=[pipeline], workerIds=[agent_id])
    others = customers(api, 3, pipeline)
    made = flow(api, pipeline, workerIds=[agent_id])
    todo, doing, done = (c["id"] for c in made["columns"])
    with socket(api) as owner_ws, socket(agent) as agent_ws:
        subscribe(owner_ws, LIVE, id=made["id"])
        subscribe(agent_ws, LIVE, id=made["id"])
        assert counts(next_payload(owner_ws)) == [4, 0, 0]
        assert counts(next_payload(agent_ws)) == [1, 0, 0]

        move(api, made["id"], others[0], doing, 0)
        update = until(owner_ws, [3, 1, 0])
        (moved,) = update["data"]["flowBoard"]["moves"]
        assert moved == {"customerId": others[0], "columnId": doing, "version": 1, "hidden": False}
        # the agent's counts did not change: nothing of what they see moved
        move(api, made["id"], mine, done, 0)
        update = until(agent_ws, [0, 0, 1])
        assert [m["customerId"] for m in update["data"]["flowBoard"]["moves"]] == [mine]
        until(owner_ws, [2, 1, 1])

        # a burst of moves: the last update agrees with the board and the database
        version = {c: 0 for c in others[1:]}
        for round_ in range(3):
            for customer_id in others[1:]:
                target = (doing, done, todo)[round_]
                answer = move(api, made["id"], customer_id, target, version[customer_id])
                version[customer_id] = answer["card"]["version"]
        wanted = [c["count"] for c in board(api, made["id"])["columns"]]
        assert wanted == [2, 1, 1]
        until(owner_ws, wanted)
        # a customer that stops matching leaves the counts
        api.ok("removeCustomerTags", {"customerId": mine, "tagIds": [pipeline]})
        until(owner_ws, [2, 1, 0])
        until(agent_ws, [0, 0, 0])
        del todo


def test_a_deleted_flow_completes_the_subscription(api):
    api.enable("flow")
    pipeline = tag(api)
    customers(api, 1, pipeline)
    made = flow(api, pipeline)
    with socket(api) as ws:
        subscribe(ws, LIVE, id=made["id"])
        assert counts(next_payload(ws)) == [1, 0, 0]
        api.ok("deleteFlow", {"id": made["id"]}, "deletedId")
        for _ in range(5):
            message = ws.receive_json()
            if message["type"] == "complete":
                break
        assert message["type"] == "complete", message
