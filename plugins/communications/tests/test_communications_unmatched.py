"""Unmatched inbound messages: a sender matching no customer, or several, waits in the
`unmatchedCommunications` inbox (`communications.triage`) until a worker assigns it to a
customer or makes a lead of it; the message and its attachments then are the customer's,
announced once as received there."""

import base64

import pytest

from plugins.communications.tests.helpers import MESSAGE, post, secret
from tests.support import Api, as_worker, settle
from tests.support import create_customer as customer
from tests.support import create_worker as worker
from tests.uploads import PDF

INBOX = f"""query($after: String) {{ unmatchedCommunications(first: 2, after: $after) {{
  totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {MESSAGE}
  attachments {{ name url }} }} }} }}"""
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on Communication {{ {MESSAGE} }} }} }}"
SELECTION = f"communication {{ {MESSAGE} attachments {{ name url }} }}"
TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 50) { nodes { action data } }
  communications { unreadCount all { totalCount } } } }"""


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("communications")
    return api


def arrive(api: Api, key: str, message_id: str, sender: str, **extra) -> dict:
    data = {"messageId": message_id, "channel": "EMAIL", "from": sender, "body": "Hello", **extra}
    response = post(api, data, key)
    assert response.status_code == 200, response.text
    return response.json()


def inbox(api: Api) -> list[dict]:
    nodes, after = [], None
    while True:
        page = api.query(INBOX, after=after)["unmatchedCommunications"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(nodes)
            return nodes
        after = page["pageInfo"]["endCursor"]


def received(api: Api, customer_id: str) -> list[dict]:
    found = api.query(TIMELINE, id=customer_id)["customer"]["timeline"]["nodes"]
    return [n["data"] for n in found if n["action"] == "communication.received"]


def test_strangers_and_shared_addresses_wait_in_the_inbox(owner):
    key = secret(owner)
    customer(owner, "Ada", emails=[{"value": "ada@example.com"}])
    customer(owner, "Ada's twin", emails=[{"value": "twin@example.com"}])
    customer(owner, "Twin again", emails=[{"value": "twin@example.com"}])
    assert arrive(owner, key, "m-1", "ada@example.com")["customerId"] is not None
    assert arrive(owner, key, "m-2", "who@nowhere.example")["customerId"] is None
    assert arrive(owner, key, "m-3", "twin@example.com")["customerId"] is None  # two match
    attached = [{"name": "cv.pdf", "content": base64.b64encode(PDF).decode()}]
    arrive(owner, key, "m-4", "new@lead.example", attachments=attached)
    nodes = inbox(owner)  # pages of two
    assert [n["fromAddress"] for n in nodes] == [
        "new@lead.example",
        "twin@example.com",
        "who@nowhere.example",
    ]
    assert all(n["customer"] is None and n["direction"] == "INBOUND" for n in nodes)
    # a triager downloads an unmatched message's attachment
    (file,) = nodes[0]["attachments"]
    response = owner.client.get(file["url"])
    settle(owner.client)
    assert (response.status_code, response.content) == (200, PDF)
    assert owner.query(NODE, id=nodes[0]["id"])["node"]["fromAddress"] == "new@lead.example"
    # an agent has no inbox, and no unmatched message by id
    amy = as_worker(owner, worker(owner, "Amy Agent"))
    (error,) = amy.errors(INBOX)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert amy.query(NODE, id=nodes[0]["id"])["node"] is None
    manager = as_worker(owner, worker(owner, "Max Manager", "MANAGER"))
    assert len(inbox(manager)) == 3


def test_assigning_moves_the_message_and_its_files_once(owner):
    key = secret(owner)
    ada = customer(owner, "Ada", emails=[{"value": "ada@example.com"}])
    bob = customer(owner, "Bob")
    attached = [{"name": "cv.pdf", "content": base64.b64encode(PDF).decode()}]
    message = arrive(owner, key, "a-1", "ada.private@mail.example", attachments=attached)["id"]
    moved = owner.mutate("assignCommunication", {"id": message, "customerId": ada}, SELECTION)
    assert moved["userErrors"] == []
    assert moved["communication"]["customer"]["id"] == ada
    assert inbox(owner) == []
    shown = owner.query(TIMELINE, id=ada)["customer"]["communications"]
    assert (shown["unreadCount"], shown["all"]["totalCount"]) == (1, 1)
    (event,) = received(owner, ada)
    assert event["matched"] is True and event["attachments"] == 1
    # the file is the customer's now: it downloads under the message's rule
    (file,) = moved["communication"]["attachments"]
    assert owner.client.get(file["url"]).content == PDF
    # again onto Ada: nothing changes, nothing is announced again
    again = owner.mutate("assignCommunication", {"id": message, "customerId": ada}, SELECTION)
    assert again["userErrors"] == [] and len(received(owner, ada)) == 1
    # onto someone else: refused
    other = owner.mutate("assignCommunication", {"id": message, "customerId": bob}, "")
    assert [e["code"] for e in other["userErrors"]] == ["COMMUNICATION_ALREADY_ASSIGNED"]
    assert owner.query(TIMELINE, id=bob)["customer"]["communications"]["all"]["totalCount"] == 0
    # an unknown message; a worker without `communications.triage`
    amy = as_worker(owner, worker(owner, "Amy Agent"))
    unknown = owner.mutate(
        "assignCommunication", {"id": "Q29tbXVuaWNhdGlvbjo5OTk=", "customerId": bob}
    )
    assert unknown["userErrors"][0]["code"] == "NOT_FOUND"
    (error,) = amy.errors(
        "mutation($i: AssignCommunicationInput!) { assignCommunication(input: $i) { "
        "userErrors { code } } }",
        i={"id": message, "customerId": bob},
    )
    assert error["extensions"]["code"] == "FORBIDDEN"


def test_a_lead_is_made_from_the_sender(owner):
    key = secret(owner)
    message = arrive(owner, key, "l-1", "grace@hopper.example")["id"]
    made = owner.mutate(
        "createLeadFromCommunication",
        {"id": message, "name": "Grace Hopper"},
        f"communication {{ {MESSAGE} customer {{ id name kind emails {{ value }} }} }}",
    )
    assert made["userErrors"] == []
    lead = made["communication"]["customer"]
    assert (lead["name"], lead["kind"], lead["emails"]) == (
        "Grace Hopper",
        "LEAD",
        [{"value": "grace@hopper.example"}],
    )
    assert len(received(owner, lead["id"])) == 1
    # the next message from her is matched on arrival
    assert arrive(owner, key, "l-2", "grace@hopper.example")["customerId"] == lead["id"]
    # a second lead from the same message: refused, and no stray lead is left
    count = "{ customers(first: 1) { totalCount } }"
    before = owner.query(count)["customers"]["totalCount"]
    twice = owner.mutate("createLeadFromCommunication", {"id": message}, "")
    assert [e["code"] for e in twice["userErrors"]] == ["COMMUNICATION_ALREADY_ASSIGNED"]
    assert owner.query(count)["customers"]["totalCount"] == before
