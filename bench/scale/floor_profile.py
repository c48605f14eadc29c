"""The raw floor F of the profile scenario (PostgreSQL): one hand-written statement that
builds the answer of the bench's `PROFILE` operation, the customer with its folders, tags,
workers, custom fields, sub-customers, tabs, four modules' figures and first pages, and the
first 20 timeline entries. What a person writing SQL by hand would send: each part a
subquery on the customer's row, every list read through its `(tenant, customer, …)` index.

It is the floor, not a second implementation: the figures are the plain sums the modules'
keep (no balance entries, no credits' expiry), the summaries are the event names, and the
tabs are listed without the folder rules. Same rows, same shape, the same work in the
database give or take; the API must add its rules on top."""

from bench.scale.floor import _Params


def _b64(expr: str) -> str:
    return f"rtrim(translate(encode(convert_to({expr}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"


def _gid(kind: str, expr: str) -> str:
    return _b64(f"'{kind}:' || {expr}")


def _ts(expr: str) -> str:
    return f"""to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""


def _money(amount: str, currency: str) -> str:
    return f"json_build_object('amount', {amount}, 'currency', {currency})"


def _page(select: str, order: str, limit: int = 10) -> str:
    """`{nodes: [...]}` of the first `limit` rows of `select` (its JSON column `v`)."""
    return (
        f"json_build_object('nodes', (SELECT coalesce(json_agg(v ORDER BY {order}), '[]') "
        f"FROM ({select} ORDER BY {order} LIMIT {limit}) x))"
    )


def profile_sql(tenant_id: int, customer_id: int) -> tuple[str, list]:
    p = _Params(True)
    tenant, pk = p(tenant_id), p(customer_id)
    own = f"tenant_id = {tenant} AND customer_id = c.id"
    now = "now()"
    worker = "json_build_object('id', {}, 'name', w.name)".format(_gid("Worker", "w.id"))
    invoices = _page(
        f"""SELECT i.issued_at, i.id, json_build_object('id', {_gid("Invoice", "i.id")},
              'number', i.number, 'status', i.status,
              'total', {_money("i.total_amount", "i.currency")},
              'amountDue', {_money("i.total_amount - i.paid_amount", "i.currency")},
              'dueDate', i.due_date,
              'overdue', i.status = 'OPEN' AND i.due_date < current_date) AS v
            FROM invoices i WHERE i.{own}""",
        "issued_at DESC, id DESC",
    )
    payments = _page(
        f"""SELECT y.received_at, y.id, json_build_object('id', {_gid("Payment", "y.id")},
              'amount', {_money("y.amount", "y.currency")}, 'methodKind', y.method_kind,
              'receivedAt', {_ts("y.received_at")}) AS v
            FROM payments y WHERE y.{own}""",
        "received_at DESC, id DESC",
    )
    policies = _page(
        f"""SELECT o.start_date, o.id, json_build_object('id', {_gid("InsurancePolicy", "o.id")},
              'number', o.number, 'coverageDescription', o.coverage_description,
              'status', o.status, 'premium', {_money("o.premium_amount", "o.premium_currency")},
              'startDate', o.start_date, 'endDate', o.end_date,
              'provider', (SELECT json_build_object('id', {_gid("InsuranceProvider", "r.id")},
                           'name', r.name) FROM insurance_providers r
                           WHERE r.id = o.provider_id)) AS v
            FROM insurance_policies o WHERE o.{own}""",
        "start_date DESC, id DESC",
    )

    def appointment(fields: str) -> str:
        return f"""json_build_object('id', {_gid("Appointment", "a.id")},
              'start', {_ts("a.start_at")}, 'status', a.status{fields})"""

    upcoming = _page(
        f"""SELECT a.start_at, a.id, {
            appointment(
                f", 'end', {_ts('a.end_at')}, 'location', a.location, 'worker', "
                f"(SELECT {worker} FROM workers w WHERE w.id = a.worker_id)"
            )
        } AS v
            FROM appointments a WHERE a.{own} AND a.start_at >= {now}
              AND a.status <> 'CANCELLED'""",
        "start_at, id",
    )
    past = _page(
        f"""SELECT a.start_at, a.id, {appointment("")} AS v
            FROM appointments a WHERE a.{own} AND a.start_at < {now}""",
        "start_at DESC, id DESC",
    )
    tickets = _page(
        f"""SELECT t.due_at, t.id, json_build_object('id', {_gid("Ticket", "t.id")},
              'reference', 'T-' || t.number, 'subject', t.subject, 'status', t.status,
              'priority', t.priority, 'dueAt', {_ts("t.due_at")},
              'assignee', (SELECT {worker} FROM workers w WHERE w.id = t.assignee_id)) AS v
            FROM tickets t WHERE t.{own} AND t.status IN ('OPEN', 'IN_PROGRESS', 'WAITING')""",
        "due_at NULLS LAST, id",
    )
    timeline = f"""(SELECT json_build_object(
        'pageInfo', json_build_object('hasNextPage', count(*) > 20,
                    'endCursor', max(CASE WHEN rn = 20 THEN {_b64("e_id::text")} END)),
        'edges', coalesce(json_agg(json_build_object('node', json_build_object(
              'id', {_gid("TimelineEntry", "e_id")}, 'action', action,
              'occurredAt', {_ts("occurred_at")}, 'summary', action,
              'actor', (SELECT {worker} FROM workers w WHERE w.id = actor_id)))
              ORDER BY rn) FILTER (WHERE rn <= 20), '[]'))
      FROM (SELECT e.id AS e_id, e.action, e.occurred_at, e.actor_id,
                   row_number() OVER (ORDER BY e.id DESC) AS rn
            FROM events e WHERE e.{own} ORDER BY e.id DESC LIMIT 21) x)"""
    status = "json_build_object('id', {}, 'name', s.name)".format(_gid("Status", "s.id"))
    sql = f"""
    SELECT json_build_object('data', json_build_object('customer', json_build_object(
      'id', {_gid("Customer", "c.id")}, 'name', c.name, 'kind', c.kind,
      'avatarUrl', c.avatar_url, 'version', c.version, 'company', c.company,
      'leadSource', c.lead_source, 'city', c.city, 'notes', c.notes,
      'followUpAt', {_ts("c.follow_up_at")}, 'phones', c.phones, 'emails', c.emails,
      'status', (SELECT {status} FROM statuses s WHERE s.id = c.status_id),
      'blocked', c.blocked, 'blockedReason', c.blocked_reason,
      'customFields', (SELECT coalesce(json_agg(json_build_object(
            'definition', json_build_object('key', d.key, 'label', d.label, 'type', d.type,
                                            'group', d.group_name),
            'text', c.custom_fields->>d.key) ORDER BY d.position, d.id), '[]')
          FROM custom_field_definitions d
          WHERE d.tenant_id = {tenant} AND c.custom_fields ? d.key),
      'folders', (SELECT coalesce(json_agg(json_build_object(
            'folder', json_build_object('id', {_gid("Folder", "f.id")}, 'name', f.name,
              'statuses', (SELECT coalesce(json_agg({status} ORDER BY s.position, s.id), '[]')
                           FROM statuses s WHERE s.folder_id = f.id)),
            'status', (SELECT {status} FROM statuses s WHERE s.id = cf.status_id))
            ORDER BY f.position, f.id), '[]')
          FROM customer_folders cf JOIN folders f ON f.id = cf.folder_id
          WHERE cf.customer_id = c.id),
      'tags', (SELECT coalesce(json_agg(json_build_object('id', {_gid("Tag", "t.id")},
            'name', t.name) ORDER BY t.position, t.name), '[]')
          FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.customer_id = c.id),
      'workers', (SELECT coalesce(json_agg({worker} ORDER BY w.position, w.name), '[]')
          FROM customer_workers cw JOIN workers w ON w.id = cw.worker_id
          WHERE cw.customer_id = c.id),
      'parent', (SELECT json_build_object('id', {_gid("Customer", "x.id")}, 'name', x.name)
          FROM customers x WHERE x.id = c.parent_id),
      'subCustomerCount', (SELECT count(*) FROM customers x
          WHERE x.tenant_id = {tenant} AND x.parent_id = c.id),
      'subCustomers', {
        _page(
            f"SELECT x.sort_name, x.id, json_build_object('id', {_gid('Customer', 'x.id')}, "
            f"'name', x.name) AS v FROM customers x "
            f"WHERE x.tenant_id = {tenant} AND x.parent_id = c.id",
            "sort_name, id",
        )
    },
      'profileTabs', (SELECT json_agg(json_build_object('key', k, 'title', initcap(k),
            'badgeCount', n) ORDER BY k) FROM (VALUES
            ('payments', (SELECT count(*) FROM invoices i WHERE i.{own}
                          AND i.status = 'OPEN')),
            ('insurance', (SELECT count(*) FROM insurance_claims l WHERE l.{own}
                           AND l.status IN ('SUBMITTED', 'IN_REVIEW'))),
            ('appointments', (SELECT count(*) FROM appointments a WHERE a.{own}
                              AND a.start_at >= {now} AND a.status <> 'CANCELLED')),
            ('tickets', (SELECT count(*) FROM tickets t WHERE t.{own}
                         AND t.status IN ('OPEN', 'IN_PROGRESS', 'WAITING')))) tabs(k, n)),
      'payments', (SELECT json_build_object(
            'balance', {_money("sum(i.total_amount - i.paid_amount)", "min(i.currency)")},
            'totalPaid', {_money("sum(i.paid_amount)", "min(i.currency)")},
            'lifetimeValue', {_money("sum(i.paid_amount)", "min(i.currency)")},
            'unpaidInvoiceCount', count(*) FILTER (WHERE i.status = 'OPEN'),
            'overdueInvoiceCount', count(*) FILTER (WHERE i.status = 'OPEN'
                                                    AND i.due_date < current_date),
            'invoices', {invoices}, 'payments', {payments},
            'methods', (SELECT coalesce(json_agg(json_build_object(
                  'id', {_gid("PaymentMethod", "m.id")}, 'kind', m.kind, 'label', m.label,
                  'isDefault', m.is_default) ORDER BY m.is_default DESC, m.id), '[]')
                FROM payment_methods m WHERE m.{own}))
          FROM invoices i WHERE i.{own}),
      'insurance', json_build_object(
            'activePolicyCount', (SELECT count(*) FROM insurance_policies o WHERE o.{own}
                                  AND o.status = 'ACTIVE'),
            'openClaimCount', (SELECT count(*) FROM insurance_claims l WHERE l.{own}
                               AND l.status IN ('SUBMITTED', 'IN_REVIEW')),
            'policies', {policies}),
      'appointments', json_build_object(
            'upcomingCount', (SELECT count(*) FROM appointments a WHERE a.{own}
                              AND a.start_at >= {now} AND a.status <> 'CANCELLED'),
            'credits', (SELECT coalesce(sum(r.change), 0) FROM appointment_credits r
                        WHERE r.{own}),
            'next', (SELECT {appointment(f", 'end', {_ts('a.end_at')}")}
                     FROM appointments a WHERE a.{own} AND a.start_at >= {now}
                       AND a.status <> 'CANCELLED' ORDER BY a.start_at, a.id LIMIT 1),
            'upcoming', {upcoming}, 'past', {past}),
      'tickets', json_build_object(
            'openCount', (SELECT count(*) FROM tickets t WHERE t.{own}
                          AND t.status IN ('OPEN', 'IN_PROGRESS', 'WAITING')),
            'overdueCount', (SELECT count(*) FROM tickets t WHERE t.{own}
                             AND t.status IN ('OPEN', 'IN_PROGRESS', 'WAITING')
                             AND t.due_at < {now}),
            'open', {tickets}),
      'timeline', {timeline}
    )))::text
    FROM customers c WHERE c.tenant_id = {tenant} AND c.id = {pk}"""
    return sql, p.values
