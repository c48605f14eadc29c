"""The list at full power on a kept scale tenant (issue 13): segments (dynamic and static,
as a filter and on the page), possible duplicates, archived customers, a filtered export
streamed, and a bulk tag job with its undo, each timed in process (HTTP through the ASGI app,
the app's own job runner) on the biggest tenant of a database `make bench-scale
BENCH_ARGS='--keep'` left.

    python -m bench.list_power --url postgresql+asyncpg://postgres@127.0.0.1:5432/<kept>

The generator writes customers with SQL, so their identities (`customer_identities`) are
filled here first, with the app's own normalisation, when the table is empty. The script
writes to the tenant (segments, archived customers, a tag): measure a copy you may change."""

import argparse
import asyncio
import json
import statistics
import time

import asyncpg
from sqlalchemy import make_url
from starlette.testclient import TestClient

from bench.fanout import SECRET
from bench.scale.api import token
from bench.scale.scenarios import LIST
from core.config import Settings
from core.identities import rows_of
from schema.registry import make_plugins
from server import create_app

WITH_SEGMENTS = LIST.replace("subCustomerCount", "subCustomerCount segments { id name }")
SEGMENT = """query($id: ID!) { node(id: $id) { ... on Segment { count countIsExact } } }"""
SEGMENT_PAGE = """query($id: ID!) { node(id: $id) { ... on Segment {
  customers(first: 50) { nodes { id name } } } } }"""
BY_SEGMENT = """query($w: CustomerWhere) { customers(first: 50, where: $w) { nodes { id } } }"""
DUPLICATES = """{ possibleDuplicates(first: 20) { groups { reason value customers { id name } }
  hasNextPage } }"""
ARCHIVED = """{ customers(first: 50, archived: ONLY) { totalCount nodes { id archivedAt } } }"""
EXPORT = """mutation($i: ExportCustomersInput!) { exportCustomers(input: $i) {
  url rowCount job { id } userErrors { code message } } }"""
CREATE_SEGMENT = """mutation($i: CreateSegmentInput!) { createSegment(input: $i) {
  segment { id } userErrors { code message } } }"""
BULK_TAG = """mutation($i: BulkAddCustomerTagsInput!) { bulkAddCustomerTags(input: $i) {
  job { id } bulkAction { id } userErrors { code message } } }"""
UNDO = """mutation($i: UndoBulkActionInput!) { undoBulkAction(input: $i) {
  job { id } userErrors { code } } }"""
JOB = "query($id: ID!) { job(id: $id) { status } }"


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def tenant_and_admin(url: str) -> tuple[int, int, int]:
    conn = await asyncpg.connect(dsn(url))
    try:
        tenant = await conn.fetchval(
            "SELECT tenant_id FROM customers GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        )
        admin = await conn.fetchval(
            "SELECT id FROM workers WHERE tenant_id = $1 AND lower(role) IN ('owner', 'admin') "
            "ORDER BY id LIMIT 1",
            tenant,
        )
        customers = await conn.fetchval(
            "SELECT count(*) FROM customers WHERE tenant_id = $1", tenant
        )
        return tenant, admin, customers
    finally:
        await conn.close()


async def fill_identities(url: str) -> None:
    conn = await asyncpg.connect(dsn(url))
    try:
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM customer_identities)"):
            return
        started, done, last = time.monotonic(), 0, 0
        while True:
            rows = await conn.fetch(
                "SELECT id, tenant_id, name, city, emails::text AS emails, phones::text AS "
                "phones FROM customers WHERE id > $1 ORDER BY id LIMIT 20000",
                last,
            )
            if not rows:
                break
            records = [
                (r["tenant_id"], i["kind"], i["value"], r["id"])
                for r in rows
                for i in rows_of(
                    r["tenant_id"],
                    r["id"],
                    r["name"],
                    r["city"],
                    json.loads(r["emails"] or "[]"),
                    json.loads(r["phones"] or "[]"),
                )
            ]
            await conn.copy_records_to_table(
                "customer_identities",
                records=records,
                columns=["tenant_id", "kind", "value", "customer_id"],
            )
            done += len(records)
            last = rows[-1]["id"]
        await conn.execute("ANALYZE customer_identities")
        print(f"identities: {done:,} rows in {time.monotonic() - started:.0f} s")
    finally:
        await conn.close()


class Client:
    def __init__(self, client: TestClient, bearer: str):
        self.client, self.headers = client, {"Authorization": f"Bearer {bearer}"}

    def call(self, query: str, **variables) -> dict:
        body = self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers
        ).json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def timed(self, label: str, query: str, runs: int = 20, **variables) -> None:
        self.call(query, **variables)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            self.call(query, **variables)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"| {label} | {statistics.median(times):.1f} | {p95:.1f} |")

    def wait(self, job_id: str) -> str:
        while (status := self.call(JOB, id=job_id)["job"]["status"]) in ("QUEUED", "RUNNING"):
            time.sleep(0.1)
        return status


def leaf(field: str, op: str, value) -> dict:
    return {"field": field, "op": op, "value": value}


def measure(url: str) -> None:
    tenant, admin, customers = asyncio.run(tenant_and_admin(url))
    asyncio.run(fill_identities(url))
    settings = Settings(database_url=url, secret_key=SECRET, job_poll_seconds=0.2)
    with TestClient(create_app(settings, make_plugins())) as http:
        api = Client(http, token(tenant, admin))
        print(f"\ntenant {tenant}: {customers:,} customers\n")
        york = leaf("city", "EQ", "York")
        stamp = int(time.time())
        dynamic = api.call(
            CREATE_SEGMENT,
            i={"name": f"York {stamp}", "kind": "DYNAMIC", "where": york},
        )["createSegment"]["segment"]["id"]
        for n in range(4):  # the page tests every dynamic segment of the tenant
            api.call(
                CREATE_SEGMENT,
                i={
                    "name": f"City {n} {stamp}",
                    "kind": "DYNAMIC",
                    "where": leaf("city", "EQ", f"Nowhere {n}"),
                },
            )
        static = api.call(CREATE_SEGMENT, i={"name": f"Picked {stamp}", "kind": "STATIC"})[
            "createSegment"
        ]["segment"]["id"]
        page = api.call(LIST, first=100)["customers"]["edges"]
        picked = [e["node"]["id"] for e in page]
        api.call(
            "mutation($i: AddCustomersToSegmentInput!) { addCustomersToSegment(input: $i) "
            "{ userErrors { code } } }",
            i={"segmentId": static, "customerIds": picked},
        )
        print("| read | p50 ms | p95 ms |\n|---|--:|--:|")
        api.timed("list page, 50 rows", LIST, first=50)
        api.timed("list page + `segments` (5 dynamic, 1 static)", WITH_SEGMENTS, first=50)
        api.timed("dynamic segment count (city York: 53k)", SEGMENT, id=dynamic)
        api.timed("dynamic segment's first page", SEGMENT_PAGE, id=dynamic)
        api.timed("static segment count (100 members)", SEGMENT, id=static)
        api.timed("static segment's first page", SEGMENT_PAGE, id=static)
        api.timed("list where segment = static", BY_SEGMENT, w=leaf("segment", "EQ", static))
        api.timed("list where segment = dynamic", BY_SEGMENT, w=leaf("segment", "EQ", dynamic))
        york_m = {"and": [york, leaf("name", "STARTS_WITH", "M")]}
        api.timed("list where city York and name M* (two indexes)", BY_SEGMENT, w=york_m)
        api.timed("possibleDuplicates, 20 groups", DUPLICATES)
        archive = (
            "mutation($i: ArchiveCustomerInput!) { archiveCustomer(input: $i) "
            "{ userErrors { code } } }"
        )
        for customer_id in picked[:20]:
            api.call(archive, i={"customerId": customer_id})
        api.timed("archived: ONLY, page + totalCount", ARCHIVED)
        api.timed("list page after archiving 20", LIST, first=50)

        where = {"and": [york, leaf("name", "STARTS_WITH", "M")]}
        columns = ["name", "emails", "phones", "city", "status", "tag", "payments.openInvoices"]
        started = time.perf_counter()
        made = api.call(EXPORT, i={"where": where, "columns": columns})["exportCustomers"]
        assert made["url"], made
        body = http.get(made["url"]).content
        took = time.perf_counter() - started
        rows = body.count(b"\n") - 1
        print(
            f"\nexport streamed: {rows:,} rows, {len(body) / 1e6:.1f} MB in {took:.1f} s "
            f"= {rows / took:,.0f} rows/s ({len(columns)} columns incl. tags and a summary)"
        )

        tag = api.call(
            "mutation($i: CreateTagInput!) { createTag(input: $i) { tag { id } } }",
            i={"name": f"Bench {stamp}", "color": "#123456"},
        )["createTag"]["tag"]["id"]
        started = time.perf_counter()
        bulk = api.call(BULK_TAG, i={"where": where, "tagIds": [tag]})["bulkAddCustomerTags"]
        status = api.wait(bulk["job"]["id"])
        took = time.perf_counter() - started
        print(
            f"bulk tag by filter ({rows:,} customers): {status} in {took:.1f} s "
            f"= {rows / took:,.0f}/s",
            end="",
        )
        started = time.perf_counter()
        undo = api.call(UNDO, i={"bulkActionId": bulk["bulkAction"]["id"]})["undoBulkAction"]
        status = api.wait(undo["job"]["id"]) if undo["job"] else "inline"
        print(f"; undo {status} in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a kept PostgreSQL scale database")
    measure(parser.parse_args().url)


if __name__ == "__main__":
    main()
