"""CSV export rows per second on a generated tenant, in process:

    python -m bench.scale --sqlite-only --sqlite-customers 50000 --generate-only --keep X.db
    python -m bench.export sqlite+aiosqlite:///X.db [--columns name,city,...] [--page 1000]

The tenant's owner asks `exportCustomers` (EXPORT_INLINE_MAX raised past the tenant, so the
link streams) and the whole CSV is read from `GET /exports/<token>`; reported: rows, bytes,
seconds, rows/s, SQL statements and the process's peak memory growth. Numbers go in closing
notes, never in tests."""

import argparse
import resource
import time
from datetime import timedelta

from sqlalchemy import event, select
from starlette.testclient import TestClient

from core.auth import issue_token
from core.config import Settings
from core.models import Worker
from server import create_app

COLUMNS = (
    "id,name,kind,city,company,status,tag,folder,worker,emails,createdAt,"
    "billingAddress.city,lastActivityAt,tickets.open,payments.openInvoices"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--columns", default=COLUMNS)
    parser.add_argument("--page", type=int, default=1000)
    args = parser.parse_args()
    settings = Settings(
        database_url=args.url,
        export_inline_max=100_000_000,
        export_page_size=args.page,
        job_concurrency=0,
        outbox_sweep_seconds=0,
        _env_file=None,
    )
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.db.engine

        async def owner():
            async with engine.connect() as conn:
                found = await conn.execute(
                    select(Worker.tenant_id, Worker.id)
                    .where(Worker.role == "owner")
                    .order_by(Worker.id)
                    .limit(1)
                )
                return found.one()

        tenant_id, worker_id = client.portal.call(owner)
        token = issue_token(settings.signing_key, tenant_id, worker_id, timedelta(hours=1))
        headers = {"Authorization": f"Bearer {token}"}
        query = "mutation($i: ExportCustomersInput!) { exportCustomers(input: $i) { url rowCount userErrors { code field } } }"  # noqa: E501
        columns = [c for c in args.columns.split(",") if c]
        started = time.perf_counter()
        answer = client.post(
            "/graphql", json={"query": query, "variables": {"i": {"columns": columns}}},
            headers=headers,
        ).json()  # fmt: skip
        asked = time.perf_counter() - started
        made = answer["data"]["exportCustomers"]
        assert not made["userErrors"], made
        statements = [0]
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: _bump(statements))
        memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        size = lines = 0
        with client.stream("GET", made["url"]) as response:
            assert response.status_code == 200, response.read()
            for piece in response.iter_bytes():
                size += len(piece)
                lines += piece.count(b"\r\n")
        seconds = time.perf_counter() - started
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before
    rows = lines - 1
    print(f"matched {made['rowCount']} (asking took {asked * 1000:.0f} ms)")
    print(f"rows {rows}, {size / 1e6:.1f} MB, {seconds:.2f} s, {rows / seconds:,.0f} rows/s")
    print(f"statements {statements[0]} ({statements[0] / max(1, rows) * 1000:.1f} per 1000 rows)")
    print(f"peak memory growth {grown / 1024:.1f} MB, columns {len(columns)}, page {args.page}")


def _bump(counter: list[int]) -> None:
    counter[0] += 1


if __name__ == "__main__":
    main()
