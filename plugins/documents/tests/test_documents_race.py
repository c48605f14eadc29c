"""Concurrent writes of documents against a real `server.py` process per database: a
`createDocument` retried at once makes one document; versions added at once all land, with
distinct numbers; one stored file sent as a version of two documents at once joins one."""

import asyncio
import json
from collections import Counter

import httpx2
import pytest

from tests.servers import module_server
from tests.test_processes import new_tenant
from tests.uploads import PDF, PREFLIGHT, UPLOAD

RACERS = 8
CREATE = """mutation($input: CreateDocumentInput!) { createDocument(input: $input) {
  document { id versionCount } userErrors { code } } }"""
VERSION = """mutation($input: AddDocumentVersionInput!) { addDocumentVersion(input: $input) {
  document { id } userErrors { code } } }"""
READ = """query($id: ID!) { node(id: $id) { ... on Document { versionCount
  versions { number file { id } } } } }"""
COUNT = "query($id: ID!) { customer(id: $id) { documents { count } } }"


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    directory = tmp_path_factory.mktemp("documents-race")
    with module_server(
        "documents", directory, database_url, STORAGE_DIR=str(directory / "uploads")
    ) as app:
        yield app


async def upload(http, token: str, customer_id: str, n: int) -> str:
    operations = {
        "query": UPLOAD,
        "variables": {"input": {"file": None, "customerId": customer_id}},
    }
    response = await http.post(
        "/graphql",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (f"f{n}.pdf", PDF + str(n).encode(), "application/pdf")},
        headers={"Authorization": f"Bearer {token}", **PREFLIGHT},
    )
    payload = response.json()["data"]["uploadFile"]
    assert payload["userErrors"] == [], payload
    return payload["file"]["id"]


def code(payload: dict) -> str:
    return payload["userErrors"][0]["code"] if payload["userErrors"] else "ok"


def test_concurrent_creates_and_versions_never_double_nor_share_a_file(server, database_url):
    async def scenario():
        limits = httpx2.Limits(max_connections=2 * RACERS)
        async with httpx2.AsyncClient(base_url=server.url, timeout=30, limits=limits) as http:
            tenant = await new_tenant(database_url, http, 1)
            api, token, (customer_id,) = tenant.b, tenant.token, tenant.customers
            await api.ok("enableModule", {"module": "documents"}, "modules { name }")
            files = [await upload(http, token, customer_id, n) for n in range(RACERS + 3)]

            # 0. One create retried at once: one document.
            same = {"customerId": customer_id, "fileId": files[0], "title": "Lease"}
            made = await asyncio.gather(*(api.query(CREATE, input=same) for _ in range(RACERS)))
            assert {code(m["createDocument"]) for m in made} == {"ok"}, made
            ids = {m["createDocument"]["document"]["id"] for m in made}
            assert len(ids) == 1
            (document_id,) = ids

            # 1. Versions added at once: every one lands, numbered 2..RACERS+1.
            added = await asyncio.gather(
                *(
                    api.query(VERSION, input={"documentId": document_id, "fileId": f})
                    for f in files[1 : RACERS + 1]
                )
            )
            assert {code(a["addDocumentVersion"]) for a in added} == {"ok"}, added
            read = (await api.query(READ, id=document_id))["node"]
            assert read["versionCount"] == RACERS + 1
            numbers = sorted(v["number"] for v in read["versions"])
            assert numbers == list(range(1, RACERS + 2))
            assert {v["file"]["id"] for v in read["versions"]} == set(files[: RACERS + 1])

            # 2. One file sent as a version of two documents at once: it joins one.
            other = {"customerId": customer_id, "fileId": files[RACERS + 1]}
            second = (await api.query(CREATE, input=other))["createDocument"]["document"]
            contested = files[RACERS + 2]
            answers = await asyncio.gather(
                *(
                    api.query(VERSION, input={"documentId": d, "fileId": contested})
                    for d in [document_id, second["id"]] * (RACERS // 2)
                )
            )
            outcomes = Counter(code(a["addDocumentVersion"]) for a in answers)
            assert set(outcomes) == {"ok", "FILE_IN_USE"} and outcomes["FILE_IN_USE"] > 0, outcomes
            counts = await api.query(COUNT, id=customer_id)
            assert counts["customer"]["documents"]["count"] == 2

    asyncio.run(asyncio.wait_for(scenario(), 90))
