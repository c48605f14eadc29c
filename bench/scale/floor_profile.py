"""The raw floor F of the profile scenario (PostgreSQL): one hand-written statement that
builds exactly the answer of the bench's `PROFILE` operation for the admin, the JSON the
API sends (`same_answers` compares them before anything is measured). What a person
writing SQL by hand would send: each part a subquery on the customer's row, every list
read through its `(tenant, customer, …)` index, the rules written as plain SQL:

- custom fields: the tenant's definitions shown in the customer's folders (and whose
  condition, if any, the source field's value meets: one level, the bench's tenant has
  none), each value in the field of its type (`text number date dateTime boolean
  options`), null values included;
- `profileTabs`: every tab of an admin with each module's badge count
  (`bench/scale/floor_tabs.py`), less those a folder of the customer hides;
- payments: balance, total paid and lifetime value per currency, from the invoices, the
  payments and the balance entries; overdue against the tenant's calendar day;
- insurance: a policy ACTIVE until its end date (UTC day), then EXPIRED;
- the timeline's sentence as the API renders the stored one (`events.summary`, or the
  actor's current name and `events.summary_rest`), its `endCursor` as the API encodes it
  (`["id:desc",id,id]` in base64url). No filter on the events' names: an admin of a
  tenant with every module enabled sees every event the bench writes.

Not written, because no SQL floor could: an avatar stored by the hub (`avatar_key`, none in
the bench's tenant) is a signed URL the server makes; the API gives `avatar_url`'s text
otherwise, as here.

    python -m bench.scale.floor_profile URL CUSTOMER_ID   (compare once, print the verdict)"""

import asyncio
import difflib
import json
import sys

import asyncpg
import httpx2
from sqlalchemy import make_url

from bench.fanout import SECRET
from bench.scale import api
from bench.scale.floor import _Params
from bench.scale.floor_tabs import tabs_sql


def _b64(expr: str) -> str:
    return f"rtrim(translate(encode(convert_to({expr}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"


def _gid(kind: str, expr: str) -> str:
    return _b64(f"'{kind}:' || {expr}")


def _ts(expr: str) -> str:
    """As Python's `isoformat()` in UTC: no fraction when it is zero."""
    text = f"""to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')"""
    return f"replace({text}, '.000000', '') || '+00:00'"


def _money(amount: str, currency: str) -> str:
    return f"json_build_object('amount', {amount}, 'currency', {currency})"


def _page(select: str, order: str, limit: int = 10) -> str:
    """`{nodes: [...]}` of the first `limit` rows of `select` (its JSON column `v`)."""
    return (
        f"json_build_object('nodes', (SELECT coalesce(json_agg(v ORDER BY {order}), '[]') "
        f"FROM ({select} ORDER BY {order} LIMIT {limit}) x))"
    )


def _custom_fields(tenant: str) -> str:
    v = "c.custom_fields -> d.key"

    def typed(kinds: str, json_kind: str, value: str) -> str:
        return (
            f"CASE WHEN d.type IN ({kinds}) AND jsonb_typeof({v}) = '{json_kind}' THEN {value} END"
        )

    raw = f"({v} #>> '{{}}')"
    # A float, as the API writes one: "12.0" for a whole number.
    f = f"{raw}::float8::text"
    number = f"(CASE WHEN {f} ~ '^-?[0-9]+$' THEN {f} || '.0' ELSE {f} END)::json"
    return f"""(SELECT coalesce(json_agg(json_build_object(
            'definition', json_build_object('key', d.key, 'label', d.label, 'type', d.type,
                                            'group', d.group_name),
            'text', {typed("'TEXT', 'LONG_TEXT', 'SINGLE_SELECT'", "string", raw)},
            'number', {typed("'NUMBER'", "number", number)},
            'date', {typed("'DATE'", "string", raw)},
            'dateTime', {typed("'DATE_TIME'", "string", f"regexp_replace({raw}, 'Z$', '+00:00')")},
            'boolean', {typed("'BOOLEAN'", "boolean", f"{raw}::boolean")},
            'options', {typed("'MULTI_SELECT'", "array", v)})
            ORDER BY d.position, d.id), '[]')
          FROM custom_field_definitions d
          WHERE d.tenant_id = {tenant}
            AND (d.folder_ids = '[]' OR EXISTS (SELECT 1 FROM customer_folders x
                 WHERE x.customer_id = c.id AND d.folder_ids @> to_jsonb(x.folder_id)))
            AND (d.condition_field_id IS NULL OR EXISTS (
                 SELECT 1 FROM custom_field_definitions s,
                   jsonb_array_elements_text(d.condition_values) AS w(x)
                 WHERE s.id = d.condition_field_id
                   AND (c.custom_fields -> s.key @> to_jsonb(w.x)
                        OR c.custom_fields ->> s.key = w.x))))"""


def _payments(tenant: str, own: str) -> str:
    today = f"(SELECT (now() AT TIME ZONE t.time_zone)::date FROM tenants t WHERE t.id = {tenant})"
    due = "CASE WHEN i.status = 'OPEN' THEN i.total_amount - i.paid_amount ELSE 0 END"
    invoices = _page(
        f"""SELECT i.id, json_build_object('id', {_gid("Invoice", "i.id")},
              'number', i.number, 'status', i.status,
              'total', {_money("i.total_amount", "i.currency")},
              'amountDue', {_money(due, "i.currency")},
              'dueDate', i.due_date,
              'overdue', i.status = 'OPEN' AND i.due_date IS NOT NULL
                         AND i.due_date < {today}) AS v
            FROM invoices i WHERE i.{own}""",
        "id DESC",
    )
    payments = _page(
        f"""SELECT y.id, json_build_object('id', {_gid("Payment", "y.id")},
              'amount', {_money("y.amount", "y.currency")}, 'methodKind', y.method_kind,
              'receivedAt', {_ts("y.received_at")}) AS v
            FROM payments y WHERE y.{own}""",
        "id DESC",
    )

    def per_currency(amount: str, shown: str) -> str:
        return (
            f"coalesce(json_agg({_money(amount, 'cur')} ORDER BY cur) FILTER (WHERE {shown}), '[]')"
        )

    # Per currency: (due, billed invoices, open, overdue, paid, refunded, unapplied, balance
    # entries' sum and count), from each table's rows of the customer.
    return f"""(SELECT json_build_object(
            'balance', {per_currency("due - unapplied + entries", "billed + paid + entry_n <> 0")},
            'totalPaid', {per_currency("paid", "paid <> 0")},
            'lifetimeValue', {per_currency("paid - refunded", "paid <> 0")},
            'unpaidInvoiceCount', coalesce(sum(open), 0),
            'overdueInvoiceCount', coalesce(sum(overdue), 0),
            'invoices', {invoices}, 'payments', {payments},
            'methods', (SELECT coalesce(json_agg(json_build_object(
                  'id', {_gid("PaymentMethod", "m.id")}, 'kind', m.kind, 'label', m.label,
                  'isDefault', m.is_default) ORDER BY m.is_default DESC, m.id), '[]')
                FROM payment_methods m WHERE m.{own}))
          FROM (SELECT cur, sum(due)::bigint AS due, sum(billed)::bigint AS billed,
                  sum(open)::bigint AS open, sum(overdue)::bigint AS overdue,
                  sum(paid)::bigint AS paid, sum(refunded)::bigint AS refunded,
                  sum(unapplied)::bigint AS unapplied, sum(entries)::bigint AS entries,
                  sum(entry_n)::bigint AS entry_n
                FROM (SELECT i.currency AS cur,
                        sum(CASE WHEN i.status = 'OPEN' THEN i.total_amount - i.paid_amount
                                 ELSE 0 END) AS due,
                        count(*) FILTER (WHERE i.status IN ('OPEN', 'PAID')) AS billed,
                        count(*) FILTER (WHERE i.status = 'OPEN') AS open,
                        count(*) FILTER (WHERE i.status = 'OPEN' AND i.due_date < {today})
                          AS overdue,
                        0 AS paid, 0 AS refunded, 0 AS unapplied, 0 AS entries, 0 AS entry_n
                      FROM invoices i WHERE i.{own} GROUP BY i.currency
                      UNION ALL
                      SELECT y.currency, 0, 0, 0, 0, sum(y.amount), sum(y.refunded_amount),
                        sum(CASE WHEN y.invoice_id IS NULL THEN y.amount - y.refunded_amount
                                 ELSE 0 END),
                        0, 0
                      FROM payments y WHERE y.{own} GROUP BY y.currency
                      UNION ALL
                      SELECT b.currency, 0, 0, 0, 0, 0, 0, 0, sum(b.amount), count(*)
                      FROM payment_balance_entries b WHERE b.{own} GROUP BY b.currency) u
                GROUP BY cur) m)"""


def profile_sql(tenant_id: int, customer_id: int, worker_id: int) -> tuple[str, list]:
    """(statement, parameters): `customer_id`'s profile as `worker_id` (an admin) sees it."""
    p = _Params(True)
    tenant, pk, worker = p(tenant_id), p(customer_id), p(worker_id)
    own = f"tenant_id = {tenant} AND customer_id = c.id"
    now = "now()"
    utc_today = f"({now} AT TIME ZONE 'UTC')::date"
    person = "json_build_object('id', {}, 'name', w.name)".format(_gid("Worker", "w.id"))

    def worker_of(column: str) -> str:
        return f"(SELECT {person} FROM workers w WHERE w.id = {column} AND w.tenant_id = {tenant})"

    policies = _page(
        f"""SELECT o.created_at, o.id, json_build_object(
              'id', {_gid("InsurancePolicy", "o.id")},
              'number', o.number, 'coverageDescription', o.coverage_description,
              'status', CASE WHEN o.status = 'CANCELLED' THEN 'CANCELLED'
                             WHEN o.end_date < {utc_today} THEN 'EXPIRED' ELSE 'ACTIVE' END,
              'premium', {_money("o.premium_amount", "o.premium_currency")},
              'startDate', o.start_date, 'endDate', o.end_date,
              'provider', (SELECT json_build_object('id', {_gid("InsuranceProvider", "r.id")},
                           'name', r.name) FROM insurance_providers r
                           WHERE r.id = o.provider_id AND r.tenant_id = {tenant})) AS v
            FROM insurance_policies o WHERE o.{own}""",
        "created_at DESC, id DESC",
    )
    coming = f"a.status IN ('BOOKED', 'CONFIRMED') AND a.start_at > {now}"

    def appointment(fields: str) -> str:
        return f"""json_build_object('id', {_gid("Appointment", "a.id")},
              'start', {_ts("a.start_at")}, 'status', a.status{fields})"""

    upcoming = _page(
        f"""SELECT a.start_at, a.id, {
            appointment(
                f", 'end', {_ts('a.end_at')}, 'location', a.location, "
                f"'worker', {worker_of('a.worker_id')}"
            )
        } AS v
            FROM appointments a WHERE a.{own} AND {coming}""",
        "start_at, id",
    )
    past = _page(
        f"""SELECT a.start_at, a.id, {appointment("")} AS v
            FROM appointments a WHERE a.{own} AND a.start_at <= {now}""",
        "start_at DESC, id DESC",
    )
    open_ = "t.status IN ('OPEN', 'PENDING')"
    tickets = _page(
        f"""SELECT t.priority, t.due_at, t.created_at, t.id, json_build_object(
              'id', {_gid("Ticket", "t.id")},
              'reference', 'T-' || t.number, 'subject', t.subject, 'status', t.status,
              'priority', (ARRAY['LOW', 'NORMAL', 'HIGH', 'URGENT'])[t.priority + 1],
              'dueAt', {_ts("t.due_at")}, 'assignee', {worker_of("t.assignee_id")}) AS v
            FROM tickets t WHERE t.{own} AND {open_}""",
        "priority DESC, due_at NULLS LAST, created_at, id",
    )
    last = "min(e_id) FILTER (WHERE rn <= 20)"  # the page's last entry: its cursor
    cursor = _b64(f"""'["id:desc",' || {last} || ',' || {last} || ']'""")
    timeline = f"""(SELECT json_build_object(
        'pageInfo', json_build_object('hasNextPage', count(*) > 20,
          'endCursor', {cursor}),
        'edges', coalesce(json_agg(json_build_object('node', json_build_object(
              'id', {_gid("TimelineEntry", "e_id")}, 'action', action,
              'occurredAt', {_ts("occurred_at")}, 'summary', summary, 'actor', actor))
              ORDER BY rn) FILTER (WHERE rn <= 20), '[]'))
      FROM (SELECT e.id AS e_id, e.action, e.occurred_at,
                   CASE WHEN w.name <> '' AND e.summary_rest IS NOT NULL
                        THEN w.name || ' ' || e.summary_rest ELSE e.summary END AS summary,
                   CASE WHEN w.id IS NOT NULL THEN {person} END AS actor,
                   row_number() OVER (ORDER BY e.id DESC) AS rn
            FROM events e LEFT JOIN workers w ON w.id = e.actor_id AND w.tenant_id = {tenant}
            WHERE e.{own} ORDER BY e.id DESC LIMIT 21) x)"""
    status = "json_build_object('id', {}, 'name', s.name)".format(_gid("Status", "s.id"))
    kids = f"x.tenant_id = {tenant} AND x.parent_id = c.id AND x.archived_at IS NULL"
    sql = f"""
    SELECT json_build_object('data', json_build_object('customer', json_build_object(
      'id', {_gid("Customer", "c.id")}, 'name', c.name, 'kind', c.kind,
      'avatarUrl', c.avatar_url, 'version', c.version, 'company', c.company,
      'leadSource', c.lead_source, 'city', c.city, 'notes', c.notes,
      'followUpAt', {_ts("c.follow_up_at")}, 'phones', c.phones, 'emails', c.emails,
      'status', (SELECT {status} FROM statuses s WHERE s.id = c.status_id
                 AND s.tenant_id = {tenant}),
      'blocked', c.blocked, 'blockedReason', c.blocked_reason,
      'customFields', {_custom_fields(tenant)},
      'folders', (SELECT coalesce(json_agg(json_build_object(
            'folder', json_build_object('id', {_gid("Folder", "f.id")}, 'name', f.name,
              'statuses', (SELECT coalesce(json_agg({status} ORDER BY s.position, s.id), '[]')
                           FROM statuses s WHERE s.folder_id = f.id
                           AND s.tenant_id = {tenant})),
            'status', (SELECT {status} FROM statuses s WHERE s.id = cf.status_id
                       AND s.tenant_id = {tenant}))
            ORDER BY f.position, f.id), '[]')
          FROM customer_folders cf JOIN folders f ON f.id = cf.folder_id
          WHERE cf.customer_id = c.id),
      'tags', (SELECT coalesce(json_agg(json_build_object('id', {_gid("Tag", "t.id")},
            'name', t.name) ORDER BY t.position, t.name), '[]')
          FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.customer_id = c.id),
      'workers', (SELECT coalesce(json_agg({person} ORDER BY w.position, w.name), '[]')
          FROM customer_workers cw JOIN workers w ON w.id = cw.worker_id
          WHERE cw.customer_id = c.id),
      'parent', (SELECT json_build_object('id', {_gid("Customer", "x.id")}, 'name', x.name)
          FROM customers x WHERE x.id = c.parent_id AND x.tenant_id = {tenant}),
      'subCustomerCount', (SELECT count(*) FROM customers x WHERE {kids}),
      'subCustomers', {
        _page(
            f"SELECT x.sort_name, x.id, json_build_object('id', {_gid('Customer', 'x.id')}, "
            f"'name', x.name) AS v FROM customers x WHERE {kids}",
            "sort_name, id",
        )
    },
      'profileTabs', {tabs_sql(tenant, worker, now)},
      'payments', {_payments(tenant, own)},
      'insurance', json_build_object(
            'activePolicyCount', (SELECT count(*) FROM insurance_policies o WHERE o.{own}
                                  AND o.status = 'ACTIVE' AND o.end_date >= {utc_today}),
            'openClaimCount', (SELECT count(*) FROM insurance_claims l WHERE l.{own}
                               AND l.status IN ('SUBMITTED', 'IN_REVIEW')),
            'policies', {policies}),
      'appointments', json_build_object(
            'upcomingCount', (SELECT count(*) FROM appointments a WHERE a.{own} AND {coming}),
            'credits', (SELECT coalesce(sum(r.change), 0) FROM appointment_credits r
                        WHERE r.{own}),
            'next', (SELECT {appointment(f", 'end', {_ts('a.end_at')}")}
                     FROM appointments a WHERE a.{own} AND {coming}
                     ORDER BY a.start_at, a.id LIMIT 1),
            'upcoming', {upcoming}, 'past', {past}),
      'tickets', json_build_object(
            'openCount', (SELECT count(*) FROM tickets t WHERE t.{own} AND {open_}),
            'overdueCount', (SELECT count(*) FROM tickets t WHERE t.{own} AND {open_}
                             AND t.due_at < {now}),
            'open', {tickets}),
      'timeline', {timeline}
    )))::text
    FROM customers c WHERE c.tenant_id = {tenant} AND c.id = {pk}"""
    return sql, p.values


# --- the check: F's answer is the API's -------------------------------------------------------


async def compare(url: str, tenant_id: int, worker_id: int, customer_id: int, query: str,
                  variables: dict, path: str = "compiled") -> str | None:  # fmt: skip
    """None when the API (its app in this process, on the execution `path`) and F answer
    `query` for `customer_id` with the same JSON, key order aside; else a diff of the two."""
    from core.config import Settings  # the app's, only for the check
    from server import create_app

    settings = Settings(database_url=url, secret_key=SECRET, _env_file=None,
                        compiled_execution=path == "compiled")  # fmt: skip
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {api.token(tenant_id, worker_id)}"}
    sql, params = profile_sql(tenant_id, customer_id, worker_id)
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(plain)
    try:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://bench") as http:
            body = {"query": query, "variables": variables}
            response = await http.post("/graphql", json=body, headers=headers, timeout=120)
        floor = json.loads(await conn.fetchval(sql, *params))
    finally:
        await conn.close()
        await app.state.db.dispose()
    answer = response.json()
    if response.status_code != 200 or answer.get("errors"):
        return f"the API answered {response.status_code}: {str(answer)[:500]}"
    if answer == floor:
        return None
    lines = [json.dumps(x, indent=1, sort_keys=True).splitlines() for x in (answer, floor)]
    diff = difflib.unified_diff(*lines, f"API ({path})", "F", lineterm="", n=2)
    return "\n".join(list(diff)[:80])


async def same_answers(url: str, ids, scenarios, paths: list[str]) -> None:
    """Before anything is measured: each profile scenario's floor answers as the API does on
    each execution path timed, or the bench stops with the difference."""
    for scenario in scenarios:
        customer_id = (scenario.floor or {}).get("profile")
        if customer_id is None or not url.startswith("postgresql"):
            continue
        if scenario.worker != "admin":
            raise RuntimeError(f"{scenario.name}: the profile floor is written for the admin")
        for path in paths:
            diff = await compare(url, ids.tenant_id, ids.admin_id, customer_id,
                                 scenario.query, scenario.variables, path)  # fmt: skip
            if diff is not None:
                raise SystemExit(f"floor {scenario.name}: F's answer is not the API's:\n{diff}")
        print(f"floor {scenario.name}: F's answer is the API's ({', '.join(paths)})", flush=True)


async def _main(url: str, customer_id: int) -> None:
    from bench.scale.scenarios import PROFILE
    from bench.scale.tenant import load
    from core.database import Database
    from schema.ids import to_global_id

    db = Database(url)
    try:
        ids = await load(db)
    finally:
        await db.dispose()
    variables = {"id": to_global_id("Customer", customer_id)}
    for path in ("compiled", "fallback"):
        diff = await compare(url, ids.tenant_id, ids.admin_id, customer_id, PROFILE, variables,
                             path)  # fmt: skip
        print(f"{path}: " + ("same JSON" if diff is None else f"differs\n{diff}"))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.rsplit("\n\n", 1)[-1])
    asyncio.run(_main(sys.argv[1], int(sys.argv[2])))
