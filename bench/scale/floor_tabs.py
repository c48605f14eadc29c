"""The profile floor's `profileTabs` (`bench/scale/floor_profile.py`), written by hand: the
24 tabs an admin of the bench tenant sees (core's Profile tab and every enabled module's,
in the registry's order, with their titles), each module's badge a plain count on the
customer's rows as its `hub_badge_count_queries` defines it, less the tabs a folder of
the customer hides (`folders.hidden_tabs`).

What each badge counts (the module's hook, `plugins/<module>/hooks.py`):

    dynamic_content  active blocks shown to the customer (unrestricted, or in its folders)
    payments         OPEN invoices
    payouts          PENDING or APPROVED payouts
    orders           orders not FULFILLED, REJECTED or CANCELLED
    insurance        SUBMITTED or IN_REVIEW claims
    appointments     BOOKED or CONFIRMED appointments still to come
    subscriptions    TRIALING or ACTIVE subscriptions
    tickets          OPEN or PENDING tickets
    deals            OPEN deals
    missions         OPEN or IN_PROGRESS missions
    notebook         notes
    chat             messages by others, not deleted, past the worker's read marker
    communications   INBOUND messages past the worker's last read one
    projects         ACTIVE projects the customer is linked to
    activities       activities of the last 7 days
    working_time     running timers (a worker's, not yet ended)
    documents        documents changed since the worker last saw them
    recordings       recordings
    reservations     PENDING or CONFIRMED reservations still to come
    checklists       unfinished checklists
    automation       RUNNING automation runs
    loyalty          the points balance, when positive
    profile, purchases  no badge (0)

Not written: the API's rule that a customer whose folders hide all tabs but one gets no
badge counts (no folder of the bench tenant hides a tab; the statement still reads the
folders' hidden tabs, as the API does)."""


def tabs_sql(tenant: str, worker: str, now: str) -> str:
    """The `profileTabs` JSON array of the customer `c` for the worker `worker` (SQL
    expressions: bind parameters, `now` the statement's moment)."""
    own = f"tenant_id = {tenant} AND customer_id = c.id"

    def count(table: str, where: str = "") -> str:
        return f"(SELECT count(*) FROM {table} x WHERE x.{own}{where})"

    badges = {
        "profile": ("Profile", "0"),
        "dynamic_content": (
            "Content",
            f"""(SELECT count(*) FROM dynamic_content_blocks b
                 WHERE b.tenant_id = {tenant} AND b.active AND (NOT b.limited OR EXISTS (
                   SELECT 1 FROM dynamic_content_folders bf JOIN customer_folders cf
                   ON cf.folder_id = bf.folder_id
                   WHERE bf.block_id = b.id AND cf.customer_id = c.id)))""",
        ),
        "payments": ("Payments", count("invoices", " AND x.status = 'OPEN'")),
        "payouts": ("Payouts", count("payouts", " AND x.status IN ('PENDING', 'APPROVED')")),
        "orders": (
            "Orders",
            count("orders", " AND x.status NOT IN ('FULFILLED', 'REJECTED', 'CANCELLED')"),
        ),
        "purchases": ("Purchases", "0"),
        "insurance": (
            "Insurance",
            count("insurance_claims", " AND x.status IN ('SUBMITTED', 'IN_REVIEW')"),
        ),
        "appointments": (
            "Appointments",
            count(
                "appointments",
                f" AND x.status IN ('BOOKED', 'CONFIRMED') AND x.start_at > {now}",
            ),
        ),
        "subscriptions": (
            "Subscriptions",
            count("subscriptions", " AND x.status IN ('TRIALING', 'ACTIVE')"),
        ),
        "tickets": ("Tickets", count("tickets", " AND x.status IN ('OPEN', 'PENDING')")),
        "deals": ("Deals", count("deals", " AND x.status = 'OPEN'")),
        "missions": ("Missions", count("missions", " AND x.status IN ('OPEN', 'IN_PROGRESS')")),
        "notebook": ("Notes", count("customer_notes")),
        "chat": (
            "Chat",
            count(
                "chat_messages",
                f""" AND (x.author_id IS NULL OR x.author_id <> {worker})
                  AND x.deleted_at IS NULL
                  AND x.id > coalesce((SELECT r.last_read_id FROM chat_read_markers r
                    WHERE r.thread_id = x.thread_id AND r.worker_id = {worker}), 0)""",
            ),
        ),
        "communications": (
            "Communications",
            count(
                "communications",
                f""" AND x.direction = 'INBOUND'
                  AND x.id > coalesce((SELECT r.last_read_id FROM communication_reads r
                    WHERE r.worker_id = {worker} AND r.customer_id = c.id), 0)""",
            ),
        ),
        "projects": (
            "Projects",
            f"""(SELECT count(*) FROM project_customers pc JOIN projects p
                 ON p.id = pc.project_id WHERE pc.tenant_id = {tenant}
                 AND pc.customer_id = c.id AND p.status = 'ACTIVE')""",
        ),
        "activities": (
            "Activities",
            count("activities", f" AND x.occurred_at >= {now} - interval '7 days'"),
        ),
        "working_time": (
            "Working time",
            count("time_entries", " AND x.ended_at IS NULL AND x.worker_id IS NOT NULL"),
        ),
        "documents": (
            "Files",
            count(
                "documents",
                f""" AND NOT EXISTS (SELECT 1 FROM documents_seen s
                  WHERE s.worker_id = {worker} AND s.customer_id = c.id
                  AND s.seen_at >= x.latest_at)""",
            ),
        ),
        "recordings": ("Recordings", count("recordings")),
        "reservations": (
            "Reservations",
            count(
                "reservations",
                f" AND x.status IN ('PENDING', 'CONFIRMED') AND x.start_at >= {now}",
            ),
        ),
        "checklists": ("Checklists", count("checklists", " AND x.finished = 0")),
        "automation": ("Work Flow", count("automation_runs", " AND x.status = 'RUNNING'")),
        "loyalty": (
            "Loyalty",
            f"""coalesce((SELECT l.balance FROM loyalty_accounts l WHERE l.{own}
                 AND l.balance > 0), 0)""",
        ),
    }
    rows = ",\n            ".join(
        f"({i}, '{key}', '{title}', {n})" for i, (key, (title, n)) in enumerate(badges.items())
    )
    return f"""(SELECT json_agg(json_build_object('key', t.key, 'title', t.title,
            'badgeCount', t.n) ORDER BY t.o)
          FROM (VALUES
            {rows}) AS t(o, key, title, n)
          WHERE t.key NOT IN (SELECT jsonb_array_elements_text(f.hidden_tabs)
            FROM customer_folders cf JOIN folders f ON f.id = cf.folder_id
            WHERE cf.customer_id = c.id))"""
