"""SQLite: the rows of `rows.Rows`, written with `executemany` in chunks inside one
transaction, with the load-time PRAGMAs (no journal, no sync, a large cache) and the big
tables' secondary indexes made after the load (sorting once beats growing a B-tree row by
row). The search index (FTS5 `customer_search`) is filled by the migration's own triggers,
so it holds exactly what the app would have put there. The file ends in WAL mode, as the app
leaves it."""

import sqlite3
import time
from datetime import datetime

from bench.scale.progress import Progress
from bench.scale.rows import COLUMNS, Rows
from bench.scale.tenant import Ids

CHUNK = 20_000


def fill(path: str, ids: Ids, customers: int, start: datetime, end: datetime) -> Progress:
    progress = Progress("SQLite")
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=MEMORY")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-1000000")
        db.execute("PRAGMA temp_store=MEMORY")
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("BEGIN")
        indexes = _drop_indexes(db)
        rows = Rows(ids, customers, start, end)
        counts = dict.fromkeys(COLUMNS, 0)
        started = time.perf_counter()
        for low in range(1, customers + 1, CHUNK):
            chunk = rows.chunk(low, min(low + CHUNK - 1, customers))
            for table, batch in chunk.items():
                _insert(db, table, batch)
                counts[table] += len(batch)
            progress.tick("all tables", min(low + CHUNK - 1, customers), customers)
        _insert(db, "events", rows.events_in_order())
        counts["events"] = len(rows.events)
        progress.done_many(counts, time.perf_counter() - started)
        with progress.step("secondary indexes", len(indexes)):
            for sql in indexes:
                db.execute(sql)
        with progress.step("module counters"):
            _counters(db, ids, rows)
        with progress.step("foreign key check"):
            if broken := db.execute("PRAGMA foreign_key_check").fetchmany(5):
                raise RuntimeError(f"generated rows break foreign keys: {broken}")
        db.execute("COMMIT")
        with progress.step("ANALYZE"):
            db.execute("ANALYZE")
        db.execute("PRAGMA journal_mode=WAL")
    finally:
        db.close()
    return progress


def _insert(db: sqlite3.Connection, table: str, batch: list[tuple]) -> None:
    if batch:
        columns = COLUMNS[table]
        marks = ", ".join("?" * len(columns))
        db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch)


def _drop_indexes(db: sqlite3.Connection) -> list[str]:
    """The CREATE INDEX statements of the bulk tables' secondary indexes, dropped."""
    tables = ", ".join(f"'{t}'" for t in COLUMNS)
    found = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({tables})"
    ).fetchall()
    for name, _ in found:
        db.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


def _counters(db: sqlite3.Connection, ids: Ids, rows: Rows) -> None:
    """The numbering the modules continue from (`payment_counters`, `ticket_counters`)."""
    last = {table: value - 1 for table, value in rows.next.items()}
    db.executemany(
        "INSERT INTO payment_counters (tenant_id, name, last) VALUES (?, ?, ?)",
        [
            (ids.tenant_id, "invoice", last.get("invoices", 0)),
            (ids.tenant_id, "receipt", last.get("payments", 0)),
        ],
    )
    db.execute(
        "INSERT INTO ticket_counters (tenant_id, last_number) VALUES (?, ?)",
        (ids.tenant_id, 1000 + last.get("tickets", 0)),
    )
