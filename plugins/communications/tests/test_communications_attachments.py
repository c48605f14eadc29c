"""Attachments through core's stored files: sent with an email (files the sender may read,
of this customer), received through the hook (base64; limits, sniffed types, bad base64 are
clear refusals that store nothing), listed on the message with download links under the
message's rule, and a page of messages with attachments read in a constant number of
statements."""

import base64

import pytest
from sqlalchemy import func, select

from core.models import StoredFile
from plugins.communications.tests.helpers import MESSAGE, post, secret, send, sent, settled
from tests.fixtures import run
from tests.support import Api, as_worker, count_statements, settle
from tests.support import create_customer as customer
from tests.support import create_worker as worker
from tests.uploads import PDF, PNG, uploaded

FILES = "attachments { id name contentType size url }"
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on Communication {{ {MESSAGE} {FILES} }} }} }}"
PAGE = """query($id: ID!) { customer(id: $id) { communications {
  all(first: 50) { nodes { id FILES } } } } }""".replace("FILES", FILES)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


@pytest.fixture
def owner(api: Api) -> Api:
    api.enable("communications")
    return api


def ada(api: Api) -> str:
    return customer(api, "Ada", emails=[{"value": "ada@example.com"}])


def download(api: Api, url: str):
    response = api.client.get(url)
    settle(api.client)
    return response


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def stored_files(api: Api, engine) -> int:
    tenant_id = api.tenant_id

    async def count():
        async with engine.connect() as conn:
            query = select(func.count()).where(StoredFile.tenant_id == tenant_id)
            return await conn.scalar(query)

    return run(api.client, count)


def test_an_email_carries_the_customers_files_and_they_download_under_its_rule(owner):
    who = ada(owner)
    pdf = uploaded(owner, data=PDF, name="quote.pdf", customer_id=who, claimed="application/pdf")
    mine = uploaded(owner, data=PNG, name="plan.png")  # no customer: the sender's own
    message = sent(owner, who, "<p>See attached.</p>", fileIds=[pdf["id"], mine["id"]])
    assert settled(owner, message["id"])["status"] == "DELIVERED"
    node = owner.query(NODE, id=message["id"])["node"]
    names = [(a["id"], a["name"], a["contentType"], a["size"]) for a in node["attachments"]]
    assert names == [
        (pdf["id"], "quote.pdf", "application/pdf", len(PDF)),
        (mine["id"], "plan.png", "image/png", len(PNG)),
    ]
    first, second = node["attachments"]
    assert download(owner, first["url"]).content == PDF
    assert download(owner, second["url"]).content == PNG
    # the sender's own upload became the customer's: a colleague who sees Ada downloads it
    sam = as_worker(owner, worker(owner, "Sam Admin", "ADMIN"))
    (again,) = [a for a in sam.query(NODE, id=message["id"])["node"]["attachments"][1:]]
    assert download(sam, again["url"]).content == PNG
    # an agent who does not see Ada sees neither the message nor its files
    amy = as_worker(owner, worker(owner, "Amy Agent"))
    assert amy.query(NODE, id=message["id"])["node"] is None


def test_attachments_the_sender_may_not_send_are_refused_and_nothing_is_written(owner):
    who, bob = ada(owner), customer(owner, "Bob", emails=[{"value": "bob@example.com"}])
    bobs = uploaded(owner, data=PDF, name="b.pdf", customer_id=bob, claimed="application/pdf")
    ours = uploaded(owner, data=PDF, name="a.pdf", customer_id=who, claimed="application/pdf")
    amy = as_worker(owner, worker(owner, "Amy Admin", "ADMIN"))
    hers = uploaded(amy, data=PNG, name="hers.png")  # another worker's own upload

    def codes(payload):
        return [(e["field"], e["code"]) for e in payload["userErrors"]]

    assert codes(send(owner, who, "x", fileIds=[ours["id"], bobs["id"]])) == [
        (["input", "fileIds", "1"], "NOT_FOUND")
    ]
    assert codes(send(owner, who, "x", fileIds=[hers["id"]]))[0][1] == "NOT_FOUND"
    assert codes(
        send(owner, who, "x", channel="SMS", to="+47 555 01 234", fileIds=[ours["id"]])
    ) == [(["input", "fileIds"], "INVALID")]
    eleven = [ours["id"]] + [
        uploaded(owner, data=PNG + bytes([n]), customer_id=who)["id"] for n in range(10)
    ]
    assert codes(send(owner, who, "x", fileIds=eleven))[0][1] == "TOO_MANY"
    tab = "query($id: ID!) { customer(id: $id) { communications { all { totalCount } } } }"
    assert owner.query(tab, id=who)["customer"]["communications"]["all"]["totalCount"] == 0


def test_inbound_attachments_are_stored_once_and_refusals_store_nothing(owner, engine):
    who = ada(owner)
    key = secret(owner)
    data = {"messageId": "in-1", "channel": "EMAIL", "from": "ada@example.com", "body": "Hi"}
    files = [
        {"name": "scan.pdf", "contentType": "text/html", "content": b64(PDF)},
        {"name": "../../photo", "content": b64(PNG)},
    ]
    before = stored_files(owner, engine)
    answer = post(owner, {**data, "attachments": files}, key)
    assert answer.status_code == 200, answer.text
    assert answer.json()["customerId"] == who
    node = owner.query(NODE, id=answer.json()["id"])["node"]
    shown = [(a["name"], a["contentType"], a["size"]) for a in node["attachments"]]
    assert shown == [
        ("scan.pdf", "application/pdf", len(PDF)),
        ("photo.png", "image/png", len(PNG)),
    ]
    assert download(owner, node["attachments"][1]["url"]).content == PNG
    assert stored_files(owner, engine) == before + 2
    # a repeat of the provider's id stores nothing more
    again = post(owner, {**data, "attachments": files}, key)
    assert again.json()["duplicate"] is True
    refusals = [
        ([{"name": "x", "content": "not base64!"}], 400, "BAD_ATTACHMENT", "attachments[0]"),
        ([{"name": "a.pdf", "content": b64(PDF)}, {"content": b64(ELF)}], 400,
         "ATTACHMENT_TYPE_NOT_ALLOWED", "attachments[1]"),
        ([{"name": "e", "content": ""}], 400, "EMPTY_FILE", "attachments[0]"),
        ([{"content": b64(PDF)}] * 11, 400, "TOO_MANY_ATTACHMENTS", "10"),
        ([{"name": "n", "content": 5}], 400, "BAD_REQUEST", "attachments[0]"),
    ]  # fmt: skip
    for n, (items, status, code, where) in enumerate(refusals):
        response = post(owner, {**data, "messageId": f"bad-{n}", "attachments": items}, key)
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["code"] == code and where in error["message"], error
    settings = owner.client.app.state.settings
    limit = settings.upload_max_file_bytes
    settings.upload_max_file_bytes = len(PDF) - 1
    try:
        big = post(owner, {**data, "messageId": "big", "attachments": [{"content": b64(PDF)}]}, key)
    finally:
        settings.upload_max_file_bytes = limit
    assert (big.status_code, big.json()["error"]["code"]) == (413, "ATTACHMENT_TOO_LARGE")
    assert stored_files(owner, engine) == before + 2
    tab = "query($id: ID!) { customer(id: $id) { communications { all { totalCount } } } }"
    assert owner.query(tab, id=who)["customer"]["communications"]["all"]["totalCount"] == 1


def test_a_page_of_messages_with_attachments_costs_the_same_for_3_and_12(owner, engine):
    key = secret(owner)
    costs = {}
    for size in (3, 12):
        who = customer(owner, f"Ada {size}", emails=[{"value": f"ada{size}@example.com"}])
        for n in range(size):
            items = [{"name": f"{n}.pdf", "content": b64(PDF)}, {"content": b64(PNG)}]
            sender = f"ada{size}@example.com"
            data = {"messageId": f"p{size}-{n}", "channel": "EMAIL", "from": sender,
                    "body": "x", "attachments": items}  # fmt: skip
            assert post(owner, data, key).status_code == 200
        with count_statements(engine) as counter:
            nodes = owner.query(PAGE, id=who)["customer"]["communications"]["all"]["nodes"]
        assert len(nodes) == size and all(len(n["attachments"]) == 2 for n in nodes)
        costs[size] = counter.count
    print("statements for a page of 3 / 12 messages with 2 attachments each:", costs)
    assert costs[3] == costs[12]
