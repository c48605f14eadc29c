"""`chatMessages(customerId)` in one process: posted, edited and deleted messages arrive as
they are now; other customers' chats, other tenants and other events send nothing; a
customer the worker may not see is a coded error; the subscription completes when the
customer leaves the worker's view."""

from plugins.chat.tests.support import post
from tests.support import as_worker, gid
from tests.support import create_customer as customer
from tests.support import create_worker as worker
from tests.test_subscriptions import next_payload, socket, subscribe

LIVE = """subscription($id: ID!) { chatMessages(customerId: $id) {
  change message { id body threadId author { id } } } }"""


def test_messages_arrive_as_they_change(api, other_api):
    api.enable("chat")
    other_api.enable("chat")
    ada, bob = customer(api, "Ada"), customer(api, "Bob")
    theirs = other_api.ok("createCustomer", {"name": "T"}, "customer { id }")["customer"]["id"]
    with socket(api) as ws:
        subscribe(ws, LIVE, id=ada)
        post(other_api, theirs, "Another tenant")
        post(api, bob, "Another customer")
        api.ok("updateCustomer", {"id": ada, "city": "London"})  # not a chat event
        first = post(api, ada, "Hello")
        got = next_payload(ws)["data"]["chatMessages"]
        assert got["change"] == "POSTED" and got["message"]["id"] == first["id"]
        assert got["message"]["body"] == "Hello"
        assert got["message"]["author"]["id"] == gid("Worker", api.worker_id)
        api.ok("editChatMessage", {"id": first["id"], "body": "Hello!"}, "message { id }")
        got = next_payload(ws)["data"]["chatMessages"]
        assert (got["change"], got["message"]["body"]) == ("EDITED", "Hello!")
        api.ok("deleteChatMessage", {"id": first["id"]}, "deletedId")
        got = next_payload(ws)["data"]["chatMessages"]
        assert (got["change"], got["message"]["body"]) == ("DELETED", None)


def test_a_hidden_customer_is_refused_and_leaving_view_completes(api):
    api.enable("chat")
    ada = customer(api, "Ada")
    agent_id = worker(api, "Ann Agent")
    agent = as_worker(api, agent_id)
    with socket(agent) as ws:
        subscribe(ws, LIVE, id=ada)
        message = ws.receive_json()
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    api.ok("assignWorkers", {"customerId": ada, "workerIds": [agent_id]})
    with socket(agent) as ws:
        subscribe(ws, LIVE, id=ada)
        post(api, ada, "Now you see it")
        got = next_payload(ws)["data"]["chatMessages"]
        assert got["message"]["body"] == "Now you see it"
        api.ok("unassignWorkers", {"customerId": ada, "workerIds": [agent_id]})
        post(api, ada, "Not for you")
        assert ws.receive_json() == {"id": "1", "type": "complete"}
