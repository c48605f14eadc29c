"""What the module's tests share: sending, waiting for a status, posting to the hook."""

import time

import orjson

from plugins.communications.inbound import signature
from tests.support import Api, settle

MESSAGE = (
    "id direction channel provider fromAddress toAddress subject body status errorMessage "
    "author { name } customer { id }"
)
TAB = """
query($id: ID!, $channel: MessageChannel, $direction: MessageDirection) {
  customer(id: $id) {
    communications {
      unreadCount
      all(first: 20, channel: $channel, direction: $direction) {
        totalCount nodes { MESSAGE }
      }
    }
  }
}""".replace("MESSAGE", MESSAGE)
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on Communication {{ {MESSAGE} }} }} }}"
ROTATE = "mutation { rotateCommunicationsHookSecret { secret userErrors { code } } }"


def send(api: Api, customer_id: str, body: str = "Hello", **fields) -> dict:
    input = {"customerId": customer_id, "channel": "EMAIL", "body": body, **fields}
    return api.mutate("sendMessage", input, f"communication {{ {MESSAGE} }}")


def sent(api: Api, customer_id: str, body: str = "Hello", **fields) -> dict:
    payload = send(api, customer_id, body, **fields)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["communication"]


def settled(api: Api, message_id: str, within: float = 30.0) -> dict:
    """The message once its job has left it QUEUED."""
    deadline = time.monotonic() + within
    while True:
        node = api.query(NODE, id=message_id)["node"]
        if node["status"] != "QUEUED" or time.monotonic() > deadline:
            return node
        time.sleep(0.05)


def tab(api: Api, customer_id: str, **variables) -> dict:
    return api.query(TAB, id=customer_id, **variables)["customer"]["communications"]


def secret(api: Api) -> str:
    return api.query(ROTATE)["rotateCommunicationsHookSecret"]["secret"]


def post(api: Api, data: dict, key: str | None, provider: str = "console", tenant=None):
    body = orjson.dumps(data)
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["x-hub-signature-256"] = signature(key, body)
    url = f"/hooks/communications/{provider}/{tenant or api.tenant_id}"
    response = api.client.post(url, content=body, headers=headers)
    settle(api.client)
    return response


def inbound(api: Api, key: str, message_id: str, sender: str, body="Hi", channel="EMAIL"):
    data = {"messageId": message_id, "channel": channel, "from": sender, "body": body}
    response = post(api, {**data, "subject": "Re"}, key)
    assert response.status_code == 200, response.text
    return response.json()
