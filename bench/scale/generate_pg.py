"""PostgreSQL: every big table filled by `INSERT … SELECT` over `generate_series` (or over
the customers already written), with the odds of `shape` drawn from each row's key by
`hashint8extended`, so nothing crosses the wire but the statements. Secondary indexes of the
big tables are dropped first and made again after the load (one sort each, in parallel
workers) instead of growing row by row; foreign keys stay checked. Customer ids are 1..N
in creation order, as a fresh database hands them out; sequences are moved past them."""

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bench.scale import commerce_pg, modules_pg, shape
from bench.scale.progress import Progress
from bench.scale.sql import array, d, h, lit, pick, stamp, u
from bench.scale.tenant import Ids
from core.summaries import summarize

CHUNK = 100_000
# The events' stored sentences (`core.summaries`): a ticket's number goes between the halves.
CREATED = summarize("customer.created", {})
OPENED = tuple(summarize("ticket.opened", {"ticketId": 1, "number": 1000})[0].split("1000"))
BIG_TABLES = (
    "customers", "customer_folders", "customer_tags", "customer_workers", "events", "invoices",
    "invoice_lines", "payments", "tickets", "appointments", "insurance_policies",
)  # fmt: skip


async def fill(url: str, ids: Ids, customers: int, start: datetime, end: datetime) -> Progress:
    progress = Progress("PostgreSQL")
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for setting in (
                "synchronous_commit = off",
                "maintenance_work_mem = '1GB'",
                "work_mem = '256MB'",
                "TIME ZONE 'UTC'",
                "jit = off",
            ):
                await conn.execute(text(f"SET {setting}"))
            if await conn.scalar(text("SELECT count(*) FROM customers")):
                raise RuntimeError("the database already holds customers: generate into a new one")
            indexes = await _drop_indexes(conn)
            gen = _Statements(ids, customers, start, end)
            for table, chunks in gen.chunked():
                with progress.step(table) as box:
                    box["rows"] = 0
                    for high, statement in chunks:
                        box["rows"] += (await conn.execute(text(statement))).rowcount
                        progress.tick(table, high, customers)
            for table, statement in gen.modules():
                with progress.step(table) as box:
                    box["rows"] = (await conn.execute(text(statement))).rowcount
            with progress.step("events") as box:
                box["rows"] = (await conn.execute(text(gen.events()))).rowcount
            with progress.step("counters and sequences"):
                for statement in gen.counters():
                    await conn.execute(text(statement))
            with progress.step("secondary indexes", len(indexes)):
                for _name, definition in indexes:
                    await conn.execute(text(definition))
            with progress.step("VACUUM ANALYZE"):  # as autovacuum would leave it, at once
                await conn.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    return progress


async def _drop_indexes(conn: AsyncConnection) -> list[tuple[str, str]]:
    """(name, CREATE INDEX …) of the big tables' indexes that back no constraint, dropped."""
    rows = (
        await conn.execute(
            text(
                "SELECT ci.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ci ON ci.oid = i.indexrelid "
                "WHERE t.relnamespace = current_schema()::regnamespace "
                "AND t.relname = ANY(:tables) "
                "AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
                "ORDER BY t.relname, ci.relname"
            ),
            {"tables": list(BIG_TABLES)},
        )
    ).all()
    for name, _ in rows:
        await conn.execute(text(f'DROP INDEX "{name}"'))
    return [(name, definition) for name, definition in rows]


class _Statements:
    def __init__(self, ids: Ids, customers: int, start: datetime, end: datetime):
        self.ids, self.n = ids, customers
        self.start = f"{lit(start.isoformat())}::timestamptz"
        self.end = f"{lit(end.isoformat())}::timestamptz"
        self.slot = int((end - start).total_seconds() * 1e6) // customers
        self.tid = ids.tenant_id

    def chunked(self):
        for table, build in (
            ("customers", self.customers),
            ("customer_folders", self.folders),
            ("customer_tags", self.tags),
            ("customer_workers", self.workers),
        ):
            lows = range(1, self.n + 1, CHUNK)
            highs = [min(low + CHUNK - 1, self.n) for low in lows]
            yield table, ((high, build(low, high)) for low, high in zip(lows, highs, strict=True))

    def customers(self, low: int, high: int) -> str:
        s, ids = shape, self.ids
        nf, nl = len(s.FIRST_NAMES), len(s.LAST_NAMES)
        lasts = s.LAST_NAMES + s.RARE_LAST_NAMES
        status = pick(s.STATUSES, d(52), lambda name: lit(ids.statuses[name]))
        three = "lpad(({}::int)::text, {}, '0')".format
        level1 = f"""
          SELECT g,
            1 + {h(1)} % {nf} AS fi,
            CASE WHEN {h(3)} % {s.RARE_EVERY} = 0 THEN {nl + 1} + {h(4)} % {len(s.RARE_LAST_NAMES)}
                 ELSE 1 + {h(2)} % {nl} END AS li,
            CASE WHEN {d(5)} < {s.P_COMPANY * 10} THEN 1 + {h(6)} % {len(s.COMPANIES)} END AS ci,
            {pick(s.PHONE_COUNTS, d(7))} AS pc,
            {three(h(10) + " % 1000", 3)} AS pa, {three(h(11) + " % 1000000", 6)} AS pb,
            {three(h(12) + " % 10000", 4)} AS pcx, {three(h(13) + " % 10000", 4)} AS pd,
            {d(8)} AS ed, (1 + {h(14)} % 999)::text AS en,
            {array(s.PERSONAL_DOMAINS)}[1 + {h(15)} % 3] AS dom,
            {stamp(self.start, f"(g - 1) * {self.slot}::bigint + {h(40)} % {self.slot}")} AS cat,
            {d(41)} < {s.P_UPDATED * 10} AS upd
          FROM generate_series({low}, {high}) g OFFSET 0"""
        level2 = f"""
          SELECT a.*, f || ' ' || l AS name, fs, ls, co, cos,
            CASE WHEN upd THEN cat + ({self.end} - cat) * ({u(42)} ^ 2) ELSE cat END AS uat,
            CASE WHEN pc >= 1 THEN '+44 7' || pa || ' ' || pb END AS p1,
            CASE WHEN pc >= 1 THEN '447' || pa || pb END AS p1d,
            CASE WHEN pc >= 2 THEN '+44 20 ' || pcx || ' ' || pd END AS p2,
            CASE WHEN pc >= 2 THEN '4420' || pcx || pd END AS p2d,
            CASE WHEN ci IS NULL THEN {pick(s.EMAIL_COUNTS_WITHOUT, "ed")}
                 ELSE {pick(s.EMAIL_COUNTS_WITH_COMPANY, "ed")} END AS ec
          FROM ({level1}) a,
          LATERAL (SELECT {array(s.FIRST_NAMES)}[fi] AS f, {array(lasts)}[li] AS l,
                   {array(map(s.slug, s.FIRST_NAMES))}[fi] AS fs,
                   {array(map(s.slug, lasts))}[li] AS ls,
                   {array(s.COMPANIES)}[ci] AS co, {array(map(s.slug, s.COMPANIES))}[ci] AS cos
          ) n OFFSET 0"""
        work = "fs || '.' || ls || '@' || cos || '.example'"
        home = "fs || left(ls, 1) || en || '@' || dom"
        level3 = f"""
          SELECT b.*,
            CASE WHEN co IS NULL THEN (CASE WHEN ec >= 1 THEN {home} END)
                 ELSE (CASE WHEN ec >= 1 THEN {work} END) END AS e1,
            CASE WHEN co IS NOT NULL AND ec >= 2 THEN {home} END AS e2
          FROM ({level2}) b"""
        obj = "jsonb_build_object('label', {}, 'value', {}, 'primary', {})".format
        phone2 = obj("CASE WHEN co IS NULL THEN 'home' ELSE 'work' END", "p2", "false")
        email1 = obj("CASE WHEN co IS NULL THEN 'home' ELSE 'work' END", "e1", "true")
        custom = f"""CASE WHEN {d(20)} < {s.P_CUSTOM * 10}
          THEN jsonb_strip_nulls(jsonb_build_object(
            'industry', CASE WHEN {d(21)} < 700
                        THEN {array(s.CUSTOM_FIELDS[0]["options"])}[1 + {h(22)} % 6] END,
            'employees', CASE WHEN co IS NOT NULL AND {d(23)} < 400
                         THEN {array(s.EMPLOYEES, "int")}[1 + {h(24)} % {len(s.EMPLOYEES)}] END,
            'birthday', CASE WHEN {d(25)} < 300 THEN
                make_date(1950 + ({h(26)} % 55)::int, 1 + ({h(27)} % 12)::int,
                          1 + ({h(28)} % 28)::int)::text END,
            'newsletter', CASE WHEN {d(29)} < 500 THEN {d(30)} < 600 END))
          ELSE '{{}}'::jsonb END"""
        blocked = f"CASE WHEN {d(44)} < {s.P_BLOCKED * 10} THEN cat + (uat - cat) * {u(45)} END"
        follow_up = f"""CASE WHEN {d(46)} < {s.P_FOLLOW_UP * 10} THEN {self.end} + make_interval(
            days => ({h(47)} % 60)::int - 14, hours => 8 + ({h(48)} % 9)::int,
            mins => 30 * ({h(49)} % 2)::int) END"""
        optional = "CASE WHEN {} < {} THEN {}[1 + {} % {}] END".format
        return f"""
        INSERT INTO customers (id, tenant_id, kind, name, sort_name, avatar_url, status_id,
          phones, emails, company, lead_source, city, notes, follow_up_at, blocked,
          blocked_reason, blocked_at, parent_id, custom_fields, search_text, created_at,
          updated_at, version)
        SELECT g, {self.tid}, {pick(s.KINDS, d(39))}, name, lower(name),
          CASE WHEN {d(53)} < {s.P_AVATAR * 10}
               THEN 'https://avatars.{s.DOMAIN}/' || g || '.png' END,
          {status},
          CASE pc WHEN 0 THEN '[]'::jsonb
                  WHEN 1 THEN jsonb_build_array({obj("'mobile'", "p1", "true")})
                  ELSE jsonb_build_array({obj("'mobile'", "p1", "true")}, {phone2}) END,
          CASE WHEN e1 IS NULL THEN '[]'::jsonb
               WHEN e2 IS NULL THEN jsonb_build_array({email1})
               ELSE jsonb_build_array({email1}, {obj("'home'", "e2", "false")}) END,
          co,
          {optional(d(54), s.P_LEAD_SOURCE * 10, array(s.LEAD_SOURCES), h(55), 6)},
          {optional(d(56), s.P_CITY * 10, array(s.CITIES), h(57), len(s.CITIES))},
          {optional(d(58), s.P_NOTES * 10, array(s.NOTES), h(59), len(s.NOTES))},
          fu, bat IS NOT NULL, CASE WHEN bat IS NOT NULL THEN {lit(s.BLOCK_REASON)} END, bat,
          CASE WHEN g > 1 AND {d(50)} < {s.P_SUB * 10} THEN 1 + {h(51)} % (g - 1) END,
          {custom},
          lower(concat_ws(' ', name, co, e1, e2, p1, p1d, p2, p2d)),
          cat, uat, CASE WHEN upd THEN 2 + {h(43)} % 4 ELSE 1 END
        FROM ({level3}) c, LATERAL (SELECT {blocked} AS bat, {follow_up} AS fu) x"""

    def _customers_of(self, low: int, high: int, columns: str) -> str:
        return (
            f"SELECT s.*, {columns} FROM (SELECT c.id AS g, c.created_at, c.updated_at "
            f"FROM customers c WHERE c.tenant_id = {self.tid} AND c.id BETWEEN {low} AND {high}"
            ") s OFFSET 0"
        )

    def folders(self, low: int, high: int) -> str:
        ids, nf = self.ids, len(self.ids.folders)
        weights = shape.folder_weights()
        offsets, flat = [], []
        for statuses in ids.folder_statuses:
            offsets.append(len(flat) + 1)
            flat += statuses
        counts = [len(x) for x in ids.folder_statuses]
        first = self._customers_of(
            low,
            high,
            f"{pick(shape.FOLDER_COUNTS, d(60))} AS n, "
            f"{pick(weights, d(61))} AS f0, {pick(weights, d(62))} AS r1, "
            f"{pick(weights, d(63))} AS r2",
        )
        bump = "CASE WHEN {0} IN ({1}) THEN ({0} + 1) % {2} ELSE {0} END".format
        status_draw = f"{h(64, 'g * 4 + k')}"
        count = f"{array(counts, 'int')}[f + 1]"
        return f"""
        INSERT INTO customer_folders (customer_id, folder_id, tenant_id, status_id, added_at)
        SELECT g, {array(ids.folders, "int")}[f + 1], {self.tid},
          {array(flat, "int")}[{array(offsets, "int")}[f + 1]
            + greatest(0, ({status_draw} % ({count} + 2))::int - 2)],
          created_at
        FROM (SELECT s2.*, {bump("r2b", "f0, f1", nf)} AS f2 FROM (
          SELECT s1.*, {bump("r2", "f0, f1", nf)} AS r2b FROM (
            SELECT s.*, {bump("r1", "f0", nf)} AS f1 FROM ({first}) s) s1) s2) s3,
        LATERAL unnest((ARRAY[f0, f1, f2])[1:n]) WITH ORDINALITY AS x(f, k)"""

    def tags(self, low: int, high: int) -> str:
        nt = len(self.ids.tags)
        base = self._customers_of(
            low,
            high,
            f"{pick(shape.TAG_COUNTS, d(70))} AS n, {pick(shape.TAG_WEIGHTS, d(71))} AS t0",
        )
        span = "(extract(epoch FROM updated_at - created_at) * 1000000)::bigint"
        added = stamp("created_at", f"{u(72, 'g * 8 + k')} * {span}")
        return f"""
        INSERT INTO customer_tags (customer_id, tag_id, tenant_id, added_at)
        SELECT g, {array(self.ids.tags, "int")}[1 + (t0 + k * {shape.TAG_STEP}) % {nt}],
          {self.tid}, {added}
        FROM ({base}) s, LATERAL generate_series(0, n - 1) k"""

    def _worker_draws(self) -> str:
        nw = len(self.ids.workers)
        return f"{pick(shape.WORKER_COUNTS, d(80))} AS wn, {h(81)} % {nw} AS w0"

    def workers(self, low: int, high: int) -> str:
        nw = len(self.ids.workers)
        base = self._customers_of(low, high, self._worker_draws())
        return f"""
        INSERT INTO customer_workers (customer_id, worker_id, tenant_id, assigned_at)
        SELECT g, {array(self.ids.workers, "int")}[1 + (w0 + k * {shape.WORKER_STEP}) % {nw}],
          {self.tid}, created_at
        FROM ({base}) s, LATERAL generate_series(0, wn - 1) k"""

    def _numbered(self, counts, salt: int) -> str:
        """One row per (customer, k) for k < a drawn count, numbered 1.. in customer order."""
        return f"""
          SELECT row_number() OVER (ORDER BY g, k) AS id, s.* FROM (
            SELECT s0.*, {pick(counts, d(salt))} AS n FROM (
              SELECT c.id AS g, c.created_at FROM customers c WHERE c.tenant_id = {self.tid}
            ) s0) s,
          LATERAL generate_series(1, n) k"""

    def modules(self):
        yield from modules_pg.statements(self)
        yield from commerce_pg.statements(self)

    def events(self) -> str:
        owner, nw = self.ids.owner_id, len(self.ids.workers)
        workers = array(self.ids.workers, "int")
        created = self._customers_of(1, self.n, self._worker_draws())
        return f"""
        INSERT INTO events (tenant_id, action, actor_id, customer_id, data, occurred_at,
          published_at, summary, summary_rest)
        SELECT {self.tid}, action, actor, customer, data, at, at, said, rest FROM (
          SELECT 'customer.created' AS action,
            CASE WHEN wn > 0 THEN {workers}[1 + w0 % {nw}] ELSE {owner} END AS actor,
            g AS customer, '{{}}'::jsonb AS data, created_at AS at,
            {lit(CREATED[0])} AS said, {lit(CREATED[1])} AS rest FROM ({created}) c
          UNION ALL
          SELECT 'ticket.opened', opened_by_id, customer_id,
            jsonb_build_object('ticketId', id, 'number', number), created_at,
            {lit(OPENED[0])} || number || {lit(OPENED[1])}, NULL
          FROM tickets WHERE tenant_id = {self.tid}
        ) e ORDER BY at"""

    def counters(self) -> list[str]:
        statements = [
            f"""INSERT INTO payment_counters (tenant_id, name, last)
            SELECT {self.tid}, 'invoice', count(*) FROM invoices WHERE tenant_id = {self.tid}
            UNION ALL
            SELECT {self.tid}, 'receipt', count(*) FROM payments WHERE tenant_id = {self.tid}""",
            f"""INSERT INTO ticket_counters (tenant_id, last_number)
            SELECT {self.tid}, 1000 + count(*) FROM tickets WHERE tenant_id = {self.tid}""",
            f"""INSERT INTO order_counters (tenant_id, kind, last_number)
            SELECT {self.tid}, kind, max(number) FROM orders WHERE tenant_id = {self.tid}
            GROUP BY kind""",
        ]
        for table in commerce_pg.NUMBERED:
            statements.append(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"greatest((SELECT max(id) FROM {table}), 1))"
            )
        for table in BIG_TABLES:
            statements.append(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"greatest((SELECT max(id) FROM {table}), 1))"
                if table not in ("customer_folders", "customer_tags", "customer_workers")
                else "SELECT 1"
            )
        return statements
