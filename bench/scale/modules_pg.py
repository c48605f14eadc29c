"""PostgreSQL: the modules' rows (invoices with a line each and a payment when paid, tickets,
appointments, insurance policies), numbered in customer order, each row's columns drawn
from its own id; the odds are `shape`'s, as in `rows.Rows` for SQLite."""

from bench.scale import shape
from bench.scale.sql import array, d, h, lit, pick, u


def _padded(expr: str, width: int) -> str:
    """Python's f"{n:0{width}d}": padded, never cut."""
    return f"lpad(({expr})::text, greatest({width}, length(({expr})::text)), '0')"


def statements(gen):
    tid, end, workers = gen.tid, gen.end, array(gen.ids.workers, "int")
    nw = len(gen.ids.workers)
    prices = array([p for _, p in shape.ITEMS], "int")
    items = array([name for name, _ in shape.ITEMS])
    at = f"created_at + ({end} - created_at) * {u(104, 'id')}"
    yield (
        "invoices",
        f"""
        INSERT INTO invoices (id, tenant_id, customer_id, number, status, currency,
          total_amount, paid_amount, due_date, issued_at, paid_at, voided_at, created_at,
          updated_at)
        SELECT id, {tid}, g, 'INV-' || {_padded("id", 6)}, st, 'EUR', total,
          CASE WHEN pat IS NULL THEN 0 ELSE total END, (at + interval '30 days')::date,
          CASE WHEN st <> 'DRAFT' THEN at END, pat,
          CASE WHEN st = 'VOID' THEN at + interval '2 days' END, at, coalesce(pat, at)
        FROM (SELECT n.*, {pick(shape.INVOICE_STATUSES, d(101, "id"))} AS st,
                {prices}[1 + {h(102, "id")} % 3] * (1 + {h(103, "id")} % 3) AS total, {at} AS at
              FROM ({gen._numbered(shape.INVOICE_COUNTS, 90)}) n OFFSET 0) i,
        LATERAL (SELECT CASE WHEN st = 'PAID'
                 THEN at + make_interval(days => ({h(105, "id")} % 26)::int) END AS pat) p""",
    )
    yield (
        "invoice_lines",
        f"""
        INSERT INTO invoice_lines (id, tenant_id, invoice_id, position, description, quantity,
          unit_amount)
        SELECT id, {tid}, id, 0, {items}[1 + {h(102, "id")} % 3], 1 + {h(103, "id")} % 3,
          {prices}[1 + {h(102, "id")} % 3]
        FROM invoices WHERE tenant_id = {tid}""",
    )
    yield (
        "payments",
        f"""
        INSERT INTO payments (id, tenant_id, customer_id, invoice_id, method_kind,
          method_label, amount, currency, refunded_amount, receipt_number, received_at,
          recorded_by_id, created_at)
        SELECT rn, {tid}, customer_id, id, 'CARD', 'Visa', total_amount, 'EUR', 0,
          'RCP-' || {_padded("rn", 6)}, paid_at, {workers}[1 + {h(106, "id")} % {nw}], paid_at
        FROM (SELECT row_number() OVER (ORDER BY id) AS rn, * FROM invoices
              WHERE tenant_id = {tid} AND status = 'PAID') p""",
    )
    closed = "st IN ('RESOLVED', 'CLOSED')"
    yield (
        "tickets",
        f"""
        INSERT INTO tickets (id, tenant_id, customer_id, number, subject, status, priority,
          assignee_id, opened_by_id, due_at, created_at, updated_at, resolved_at, closed_at)
        SELECT id, {tid}, g, 1000 + id, {array(shape.TICKET_SUBJECTS)}[1 + {h(111, "id")} % 4],
          st, {h(112, "id")} % 4,
          CASE WHEN {h(113, "id")} % 11 < 10 THEN {workers}[1 + {h(113, "id")} % 11] END,
          {workers}[1 + {h(114, "id")} % {nw}],
          CASE WHEN {d(115, "id")} < 600 THEN at + interval '7 days' END, at,
          CASE WHEN {closed} THEN done ELSE at END, CASE WHEN {closed} THEN done END,
          CASE WHEN st = 'CLOSED' THEN done + interval '3 days' END
        FROM (SELECT n.*, {pick(shape.TICKET_STATUSES, d(116, "id"))} AS st, {at} AS at,
                {at} + make_interval(hours => 2 + ({h(117, "id")} % 199)::int) AS done
              FROM ({gen._numbered(shape.TICKET_COUNTS, 110)}) n OFFSET 0) t""",
    )
    start = f"""{end} + make_interval(days => ({h(121, "id")} % 241)::int - 180,
                                      hours => 8 + ({h(122, "id")} % 10)::int)"""
    yield (
        "appointments",
        f"""
        INSERT INTO appointments (id, tenant_id, customer_id, worker_id, start_at, end_at,
          status, location, reminders, prepaid, credit_used, cancel_reason, created_at,
          updated_at)
        SELECT id, {tid}, g, {workers}[1 + {h(123, "id")} % {nw}], s, s + make_interval(
            mins => (ARRAY[30, 45, 60])[1 + ({h(124, "id")} % 3)::int]), st,
          {array(("Room 1", "Room 2", "Main office", "Video call"))}[1 + {h(125, "id")} % 4],
          CASE WHEN {d(126, "id")} < 500 THEN '[{{"minutesBefore": 1440}}]'::jsonb
               ELSE '[]'::jsonb END,
          false, false, CASE WHEN st = 'CANCELLED' THEN {lit("Asked to postpone.")} END,
          booked, booked
        FROM (SELECT a.*,
                CASE WHEN s < {end}
                  THEN (ARRAY['COMPLETED', 'NO_SHOW', 'CANCELLED'])[1 + {h(127, "id")} % 3]
                  ELSE (ARRAY['BOOKED', 'CONFIRMED'])[1 + {h(127, "id")} % 2] END AS st,
                greatest(created_at, s - make_interval(days => 1 + ({h(128, "id")} % 20)::int))
                  AS booked
              FROM (SELECT n.*, {start} AS s
                    FROM ({gen._numbered(shape.APPOINTMENT_COUNTS, 120)}) n OFFSET 0) a) b""",
    )
    covers = array([c for c, _ in shape.COVERS])
    limits = array([amount for _, amount in shape.COVERS], "bigint")
    providers = array(gen.ids.providers, "int")
    yearly = f"{d(133, 'id')} < 400"
    yield (
        "insurance_policies",
        f"""
        INSERT INTO insurance_policies (id, tenant_id, customer_id, provider_id, number,
          coverage_description, coverage_amount, coverage_currency, premium_amount,
          premium_currency, premium_period, start_date, end_date, status, created_at,
          updated_at)
        SELECT id, {tid}, g, {providers}[1 + {h(131, "id")} % {len(gen.ids.providers)}],
          'P-' || {_padded("id", 7)}, {covers}[c], {limits}[c], 'GBP',
          CASE WHEN {yearly} THEN {limits}[c] / 300 ELSE {limits}[c] / 3600 END, 'GBP',
          CASE WHEN {yearly} THEN 'YEARLY' ELSE 'MONTHLY' END, at::date, at::date + 364,
          'ACTIVE', at, at
        FROM (SELECT n.*, 1 + ({h(132, "id")} % {len(shape.COVERS)})::int AS c, {at} AS at
              FROM ({gen._numbered(shape.POLICY_COUNTS, 130)}) n OFFSET 0) p""",
    )
