"""CSV import throughput: a generated file of `--rows` customers (name, email, phone,
company, city, external id, two tags, a status) uploaded and run by the app's own job
runner (in process, through HTTP on the ASGI app), on a fresh database of its own.

    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \\
        python -m bench.csv_import [--rows 100000] [--chunk 500] [--update 10000]

Prints the upload (detection included), the run (rows/s, created), a second run of the
same file in SKIP mode by external id (every line a duplicate) and an UPDATE run of the
first `--update` lines (through `update_customer`, one per line). SQLite when no URL.
On PostgreSQL an ANALYZE every `--analyze-every` seconds stands in for autovacuum (off on
the test server)."""

import argparse
import asyncio
import json
import os
import random
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.testclient import TestClient

from core import migrate
from core.auth import issue_token
from core.config import Settings
from core.tenants import create_tenant
from schema.registry import make_plugins
from server import create_app

START = """mutation($input: StartCustomerImportInput!) { startCustomerImport(input: $input) {
  customerImport { id rowCount encoding delimiter } userErrors { code message } } }"""
MAP = """mutation($input: SetCustomerImportMappingInput!) {
  setCustomerImportMapping(input: $input) { userErrors { code message } } }"""
RUN = """mutation($input: RunCustomerImportInput!) { runCustomerImport(input: $input) {
  job { id } userErrors { code message } } }"""
JOB = "query($id: ID!) { job(id: $id) { status progress { done total } result error { code message } } }"  # noqa: E501
TAG = """mutation($input: CreateTagInput!) { createTag(input: $input) { tag { id } } }"""
COLUMNS = ["externalId", "name", "email", "phone", "company", "city", "tags", "status"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    firsts = ["Ada", "Bob", "Cleo", "Dan", "Eve", "Finn", "Gia", "Hugo", "Ines", "Jon"]
    lasts = ["Berg", "Lund", "Moreau", "Rossi", "Schmidt", "Novak", "Silva", "Kowalski"]
    cities = ["Oslo", "Lyon", "Turin", "Bonn", "Porto", "Gdansk"]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(COLUMNS) + "\n")
        for i in range(rows):
            name = f"{rng.choice(firsts)} {rng.choice(lasts)} {i}"
            tags = '"vip,newsletter"' if i % 3 == 0 else "newsletter"
            phone = f"+47 {rng.randrange(10**7, 10**8)}"
            out.write(
                f"ext-{i},{name},person{i}@example.com,{phone},Company {i % 5000},"
                f"{rng.choice(cities)},{tags},{'Active' if i % 2 else ''}\n"
            )


async def prepare(url: str) -> tuple[str, int, int]:
    """A database of its own next to `url` (PostgreSQL) or a temp file (SQLite)."""
    if url.startswith("postgresql"):
        base = make_url(url)
        name = f"{base.database}_bench_import"
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()
        url = base.set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(migrate.upgrade, url, make_plugins().migration_locations())
    from core.database import Database

    db = Database(url)
    async with db.transaction() as session:
        tenant, owner = await create_tenant(session, "Bench import", "Olivia", "o@example.com")
        tenant_id, owner_id = tenant.id, owner.id
    await db.dispose()
    return url, tenant_id, owner_id


def post(client: TestClient, token: str, query: str, **variables) -> dict:
    response = client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


def upload(client: TestClient, token: str, path: Path) -> dict:
    operations = {"query": START, "variables": {"input": {"file": None}}}
    with path.open("rb") as handle:
        response = client.post(
            "/graphql",
            data={"operations": json.dumps(operations), "map": '{"0": ["variables.input.file"]}'},
            files={"0": ("bench.csv", handle, "text/csv")},
            headers={"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"},
        )
    payload = response.json()["data"]["startCustomerImport"]
    assert not payload["userErrors"], payload
    return payload["customerImport"]


def run(client: TestClient, token: str, import_id: str, mode: str) -> tuple[float, dict]:
    columns = [{"column": c, "field": c} for c in COLUMNS]
    mapping = {"importId": import_id, "columns": columns, "duplicateMode": mode}
    data = post(client, token, MAP, input={**mapping, "matchBy": "EXTERNAL_ID"})
    assert not data["setCustomerImportMapping"]["userErrors"], data
    began = time.perf_counter()
    job = post(client, token, RUN, input={"importId": import_id})["runCustomerImport"]["job"]
    while True:
        found = post(client, token, JOB, id=job["id"])["job"]
        if found["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return time.perf_counter() - began, found
        time.sleep(0.2)


def analyzer(url: str, every: float, stop: threading.Event) -> None:
    """Autovacuum's ANALYZE, which the test server has off: without it the planner still
    believes the tenant empty and reads all of it for each chunk's lookups (100 ms+)."""

    async def loop():
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            while not stop.wait(every):
                async with engine.connect() as conn:
                    await conn.execute(text("ANALYZE customers, customer_identities"))
        finally:
            await engine.dispose()

    asyncio.run(loop())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--update", type=int, default=10_000)
    parser.add_argument(
        "--analyze-every", type=float, default=10.0, help="seconds; 0: never (PostgreSQL)"
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or (
        f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench_import.db"
    )
    url, tenant_id, owner_id = asyncio.run(prepare(url))
    folder = Path(tempfile.mkdtemp())
    path = folder / "customers.csv"
    generate(path, args.rows)
    settings = Settings(
        database_url=url,
        storage_dir=folder / "uploads",
        secret_key="bench-import-secret-key-0123456789",
        import_chunk_rows=args.chunk,
        import_max_rows=max(args.rows, 1),
        upload_max_file_bytes=1 << 30,
        upload_max_request_bytes=1 << 30,
        job_progress_seconds=1.0,
        _env_file=None,
    )
    token = issue_token(settings.signing_key, tenant_id, owner_id, timedelta(hours=2))
    print(f"database: {make_url(url).get_backend_name()}, {args.rows:,} rows, chunk {args.chunk}")
    print(f"file: {path.stat().st_size / 1e6:.1f} MB")
    stop = threading.Event()
    if url.startswith("postgresql") and args.analyze_every:
        threading.Thread(target=analyzer, args=(url, args.analyze_every, stop), daemon=True).start()
    with TestClient(create_app(settings)) as client:
        for name in ("vip", "newsletter"):
            post(client, token, TAG, input={"name": name, "color": "#000000"})
        began = time.perf_counter()
        found = upload(client, token, path)
        print(f"upload + detection: {time.perf_counter() - began:.2f} s ({found})")
        seconds, job = run(client, token, found["id"], "SKIP")
        print(f"run (all new): {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s, {job}")
        again = upload(client, token, path)
        seconds, job = run(client, token, again["id"], "SKIP")
        print(f"run (all duplicates, SKIP): {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s")
        if args.update:
            part = folder / "update.csv"
            with path.open() as src, part.open("w") as out:
                for index, line in enumerate(src):
                    if index > args.update:
                        break
                    out.write(line.replace("Company", "Firm"))
            updates = upload(client, token, part)
            seconds, job = run(client, token, updates["id"], "UPDATE")
            rate = args.update / seconds
            print(f"run (UPDATE {args.update:,}): {seconds:.1f} s, {rate:,.0f} rows/s, {job}")


if __name__ == "__main__":
    main()
