"""PostgreSQL: the commerce modules' rows (orders with a line each, deals on the tenant's
stages, subscriptions on two plans, payouts with their balance entries, loyalty points per
payment) and the purchase figures derived from them, so the list page with every commerce
field and `purchaseReport` are measured on a tenant that has them. The odds are `shape`'s.

The purchase figures are what `plugins.purchases.service.refresh` would have written after
each event (`purchase_facts`, then `purchase_stats`, `purchase_totals`, `purchase_months`),
computed here in SQL over the whole tenant at once; `bench.scale.check.commerce` runs the
module's own `refresh` on a sample and compares. Facts carry the sources the events give
(global ids); only the counted kinds are written (an order's `accepted` and `reached`
facts, which lead to its `order` fact, are left out: nothing reads them once it exists)."""

from bench.scale import shape
from bench.scale.sql import array, d, h, lit, pick

NUMBERED = ("orders", "order_lines", "deals", "subscriptions", "payouts")  # ids given here


def gid(type_name: str, key: str) -> str:
    """`schema.ids.to_global_id` in SQL."""
    raw = f"encode(convert_to('{type_name}:' || {key}, 'UTF8'), 'base64')"
    return f"rtrim(translate({raw}, '+/', '-_'), '=')"


def statements(gen):
    yield from _orders(gen)
    yield from _deals(gen)
    yield from _subscriptions(gen)
    yield from _payouts(gen)
    yield from _loyalty(gen)
    yield from _purchases(gen)


def _orders(gen):
    tid, end, workers, nw = gen.tid, gen.end, array(gen.ids.workers, "int"), len(gen.ids.workers)
    prices = array([p for _, p in shape.ITEMS], "int")
    items = array([name for name, _ in shape.ITEMS])
    at = f"created_at + ({end} - created_at) * ({h(141, 'id')} / 1073741824.0)"
    yield (
        "orders",
        f"""
        INSERT INTO orders (id, tenant_id, customer_id, kind, number, status, currency,
          subtotal_amount, discount_amount, tax_amount, total_amount, created_by_id,
          created_at, updated_at, status_changed_at)
        SELECT id, {tid}, g, kind, row_number() OVER (PARTITION BY kind ORDER BY id), st, 'EUR',
          total, 0, 0, total, {workers}[1 + {h(145, "id")} % {nw}], at, changed, changed
        FROM (SELECT n.*, {pick(shape.ORDER_KINDS, d(142, "id"))} AS kind,
                {pick(shape.ORDER_STATUSES, d(143, "id"))} AS st,
                {prices}[1 + {h(102, "id")} % 3] * (1 + {h(103, "id")} % 3) AS total, {at} AS at,
                least({end}, {at} + make_interval(days => ({h(144, "id")} % 20)::int)) AS changed
              FROM ({gen._numbered(shape.ORDER_COUNTS, 140)}) n OFFSET 0) o""",
    )
    yield (
        "order_lines",
        f"""
        INSERT INTO order_lines (id, tenant_id, order_id, position, description, quantity,
          unit_amount, discount_rate, tax_rate, gross_amount, discount_amount, net_amount)
        SELECT id, {tid}, id, 0, {items}[1 + {h(102, "id")} % 3], 1 + {h(103, "id")} % 3,
          {prices}[1 + {h(102, "id")} % 3], 0, 0, total_amount, 0, total_amount
        FROM orders WHERE tenant_id = {tid}""",
    )


def _deals(gen):
    tid, end, workers, nw = gen.tid, gen.end, array(gen.ids.workers, "int"), len(gen.ids.workers)
    stages = "(SELECT array_agg(id ORDER BY position) AS {2}s FROM deal_stages WHERE tenant_id = {0} AND kind = '{1}') {2}".format  # noqa: E501
    at = f"created_at + ({end} - created_at) * ({h(151, 'id')} / 1073741824.0)"
    closed = f"least({end}, at + make_interval(days => ({h(154, 'id')} % 60)::int))"
    yield (
        "deals",
        f"""
        INSERT INTO deals (id, tenant_id, customer_id, stage_id, name, amount, currency,
          status, expected_close_date, owner_id, lost_reason, won_at, lost_at, version,
          created_by_id, created_at, updated_at)
        SELECT id, {tid}, g,
          CASE st WHEN 'OPEN' THEN os[1 + ({h(153, "id")} % cardinality(os))::int]
                  WHEN 'WON' THEN ws[1] ELSE ls[1] END,
          {array(shape.DEAL_NAMES)}[1 + {h(155, "id")} % {len(shape.DEAL_NAMES)}],
          100 * (500 + {h(156, "id")} % 20000), 'EUR', st,
          CASE WHEN st = 'OPEN'
               THEN ({end} + make_interval(days => ({h(157, "id")} % 90)::int))::date END,
          {workers}[1 + {h(158, "id")} % {nw}],
          CASE WHEN st = 'LOST' THEN {lit("Chose another supplier")} END,
          CASE WHEN st = 'WON' THEN {closed} END, CASE WHEN st = 'LOST' THEN {closed} END,
          1, {workers}[1 + {h(158, "id")} % {nw}], at,
          CASE WHEN st = 'OPEN' THEN at ELSE {closed} END
        FROM (SELECT n.*, {pick(shape.DEAL_STATUSES, d(152, "id"))} AS st, {at} AS at
              FROM ({gen._numbered(shape.DEAL_COUNTS, 150)}) n OFFSET 0) x,
          {stages(tid, "OPEN", "o")}, {stages(tid, "WON", "w")}, {stages(tid, "LOST", "l")}""",
    )


def _subscriptions(gen):
    tid, end, start = gen.tid, gen.end, gen.start
    yield (
        "subscription_plans",
        f"""
        INSERT INTO subscription_plans (tenant_id, name, amount, currency, interval,
          interval_count, trial_days, active, created_at, updated_at)
        VALUES ({tid}, 'Monthly care', 2900, 'EUR', 'MONTH', 1, 14, true, {start}, {start}),
               ({tid}, 'Yearly care', 29000, 'EUR', 'YEAR', 1, 0, true, {start}, {start})""",
    )
    plans = (
        f"(SELECT array_agg(id ORDER BY id) AS p FROM subscription_plans WHERE tenant_id = {tid})"
    )
    live = "st IN ('ACTIVE', 'TRIALING', 'PAUSED')"
    yield (
        "subscriptions",
        f"""
        INSERT INTO subscriptions (id, tenant_id, customer_id, plan_id, quantity, unit_amount,
          currency, status, start_date, anchor_date, periods_billed, current_period_start,
          current_period_end, next_billing_date, cancel_at_period_end, idempotency_key,
          fingerprint, created_at, updated_at, paused_at, cancelled_at, ended_at)
        SELECT id, {tid}, g, p[yearly], 1, CASE WHEN yearly = 2 THEN 29000 ELSE 2900 END, 'EUR',
          st, at::date, at::date, 1 + {h(163, "id")} % 24, ps,
          ps + CASE WHEN yearly = 2 THEN interval '1 year' ELSE interval '1 month' END,
          CASE WHEN st IN ('ACTIVE', 'TRIALING')
               THEN ps + CASE WHEN yearly = 2 THEN interval '1 year' ELSE interval '1 month' END
          END, false, 'bench:' || id, '', at, at,
          CASE WHEN st = 'PAUSED' THEN {end} END,
          CASE WHEN NOT {live} THEN {end} END, CASE WHEN st = 'ENDED' THEN {end} END
        FROM (SELECT n.*, {pick(shape.SUBSCRIPTION_STATUSES, d(162, "id"))} AS st,
                1 + ({h(164, "id")} % 4 = 0)::int AS yearly,
                created_at AS at,
                ({end} - make_interval(days => ({h(165, "id")} % 28)::int))::date AS ps
              FROM ({gen._numbered(shape.SUBSCRIPTION_COUNTS, 160)}) n OFFSET 0) s,
          {plans} plans""",
    )


def _payouts(gen):
    tid, end, workers, nw = gen.tid, gen.end, array(gen.ids.workers, "int"), len(gen.ids.workers)
    at = f"created_at + ({end} - created_at) * ({h(171, 'id')} / 1073741824.0)"
    later = "at + interval '2 days'"
    yield (
        "payouts",
        f"""
        INSERT INTO payouts (id, tenant_id, customer_id, amount, currency, kind, method, status,
          reference, created_by_id, approved_by_id, created_at, updated_at, approved_at,
          sent_at, failed_at)
        SELECT id, {tid}, g, 100 * (5 + {h(173, "id")} % 300), 'EUR',
          {array(shape.PAYOUT_KINDS)}[1 + {h(174, "id")} % {len(shape.PAYOUT_KINDS)}],
          {array(shape.PAYOUT_METHODS)}[1 + {h(175, "id")} % {len(shape.PAYOUT_METHODS)}], st,
          'PO-' || id, {workers}[1 + {h(176, "id")} % {nw}],
          CASE WHEN st NOT IN ('PENDING', 'CANCELLED') THEN {gen.ids.owner_id} END, at,
          CASE WHEN st = 'PENDING' THEN at ELSE {later} END,
          CASE WHEN st NOT IN ('PENDING', 'CANCELLED') THEN at + interval '1 day' END,
          CASE WHEN st IN ('SENT', 'FAILED') THEN {later} END,
          CASE WHEN st = 'FAILED' THEN {later} + interval '1 day' END
        FROM (SELECT n.*, {pick(shape.PAYOUT_STATUSES, d(172, "id"))} AS st, {at} AS at
              FROM ({gen._numbered(shape.PAYOUT_COUNTS, 170)}) n OFFSET 0) p""",
    )
    # payouts' balance-entry contract: a sent payout adds its amount, a failed one takes it back
    yield (
        "payment_balance_entries",
        f"""
        INSERT INTO payment_balance_entries (tenant_id, customer_id, source, amount, currency,
          event_name, created_at)
        SELECT {tid}, customer_id, 'payouts:' || id, amount, currency, 'payout.sent', sent_at
        FROM payouts WHERE tenant_id = {tid} AND sent_at IS NOT NULL
        UNION ALL
        SELECT {tid}, customer_id, 'payouts:' || id || '\\:failed', -amount, currency,
          'payout.failed', failed_at
        FROM payouts WHERE tenant_id = {tid} AND failed_at IS NOT NULL""",
    )


def _loyalty(gen):
    """An EARN entry per payment (the default program: a point per euro), the accounts their
    sums."""
    tid = gen.tid
    yield (
        "loyalty_entries",
        f"""
        INSERT INTO loyalty_entries (tenant_id, customer_id, kind, points, balance_after,
          reason, source_key, payment_ref, amount, currency, created_at)
        SELECT {tid}, customer_id, 'EARN', points,
          sum(points) OVER (PARTITION BY customer_id ORDER BY id), 'Payment ' || receipt_number,
          'payment:' || id, id, amount, currency, received_at
        FROM (SELECT p.*, amount / 100 AS points FROM payments p WHERE tenant_id = {tid}) e
        WHERE points > 0 ORDER BY id""",
    )
    yield (
        "loyalty_accounts",
        f"""
        INSERT INTO loyalty_accounts (customer_id, tenant_id, balance, lifetime_points,
          updated_at)
        SELECT customer_id, {tid}, sum(points), sum(points), max(created_at)
        FROM loyalty_entries WHERE tenant_id = {tid} GROUP BY customer_id""",
    )


def _purchases(gen):
    tid = gen.tid
    yield (
        "purchase_facts",
        f"""
        INSERT INTO purchase_facts (tenant_id, customer_id, source, kind, amount, currency,
          method, purchase, products, occurred_at)
        SELECT {tid}, customer_id, 'payment:' || {gid("Payment", "id")}, 'payment', amount,
          currency, method_kind, invoice_id IS NULL, NULL, received_at
        FROM payments WHERE tenant_id = {tid}
        UNION ALL
        SELECT {tid}, o.customer_id, 'order:' || {gid("Order", "o.id")}, 'order', o.total_amount,
          o.currency, NULL, true, jsonb_build_array(jsonb_build_array(l.description, l.quantity)),
          o.status_changed_at
        FROM orders o JOIN order_lines l ON l.order_id = o.id
        WHERE o.tenant_id = {tid} AND o.status IN ('ORDERED', 'FULFILLED')
        UNION ALL
        SELECT {tid}, customer_id, 'deal:' || {gid("Deal", "id")} || '\\:0', 'deal', amount,
          currency, NULL, true, NULL, won_at
        FROM deals WHERE tenant_id = {tid} AND status = 'WON'""",
    )
    yield (
        "purchase_settings",
        f"UPDATE purchase_settings SET reporting_currency = 'EUR' WHERE tenant_id = {tid}",
    )
    facts = f"purchase_facts WHERE tenant_id = {tid}"
    yield (
        "purchase_totals",
        f"""
        INSERT INTO purchase_totals (customer_id, currency, tenant_id, spent, refunded,
          order_total, order_count, deals_won, lifetime_value)
        SELECT customer_id, currency, {tid}, spent, 0, order_total, order_count, deals_won,
          greatest(spent, order_total) + deals_won
        FROM (SELECT customer_id, currency,
                coalesce(sum(amount) FILTER (WHERE kind = 'payment'), 0) AS spent,
                coalesce(sum(amount) FILTER (WHERE kind = 'order'), 0) AS order_total,
                count(*) FILTER (WHERE kind = 'order') AS order_count,
                coalesce(sum(amount) FILTER (WHERE kind = 'deal'), 0) AS deals_won
              FROM {facts} GROUP BY customer_id, currency) t""",
    )
    yield (
        "purchase_months",
        f"""
        INSERT INTO purchase_months (customer_id, month, currency, tenant_id, amount)
        SELECT customer_id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM'), currency,
          {tid}, sum(amount)
        FROM {facts} AND kind = 'payment' GROUP BY 1, 2, 3""",
    )
    top = f"""(SELECT jsonb_agg(jsonb_build_array(name, quantity)
                        ORDER BY quantity DESC, name COLLATE "C")
               FROM (SELECT p ->> 0 AS name, sum((p ->> 1)::int) AS quantity
                     FROM purchase_facts f2, jsonb_array_elements(f2.products) p
                     WHERE f2.tenant_id = {tid} AND f2.customer_id = f.customer_id
                       AND f2.kind = 'order'
                     GROUP BY 1 ORDER BY 2 DESC, (p ->> 0) COLLATE "C" LIMIT 3) q)"""
    bought = "occurred_at) FILTER (WHERE purchase"
    yield (
        "purchase_stats",
        f"""
        INSERT INTO purchase_stats (customer_id, tenant_id, currency, total_spent,
          lifetime_value, order_count, purchase_count, first_purchase_at, last_purchase_at,
          first_month, repeat_days, interval_seconds, products, methods, updated_at)
        SELECT f.customer_id, {tid}, 'EUR', coalesce(t.spent, 0),
          coalesce(t.lifetime_value, 0), f.orders, f.purchases, f.first, f.last,
          to_char(f.first AT TIME ZONE 'UTC', 'YYYY-MM'),
          CASE WHEN f.purchases > 1
               THEN floor(extract(epoch FROM f.second - f.first) / 86400)::int END,
          CASE WHEN f.purchases > 1
               THEN trunc(extract(epoch FROM f.last - f.first) / (f.purchases - 1))::bigint END,
          coalesce({top}, '[]'::jsonb),
          CASE WHEN f.paid THEN '["CARD"]'::jsonb ELSE '[]'::jsonb END, f.last_at
        FROM (SELECT customer_id, count(*) FILTER (WHERE kind = 'order') AS orders,
                count(*) FILTER (WHERE purchase) AS purchases,
                min({bought}) AS first, max({bought}) AS last,
                (array_agg(occurred_at ORDER BY occurred_at, id) FILTER (WHERE purchase))[2]
                  AS second,
                bool_or(kind = 'payment' AND method IS NOT NULL) AS paid,
                max(occurred_at) AS last_at
              FROM {facts} GROUP BY customer_id) f
        LEFT JOIN purchase_totals t ON t.customer_id = f.customer_id AND t.currency = 'EUR'""",
    )
