"""The tenant's rows drawn in Python (the SQLite generator writes them; the PostgreSQL one
draws the same odds in SQL): one customer at a time with its links, module rows and events,
stored as SQLAlchemy stores them on SQLite (times as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC,
JSON as `json.dumps` text, booleans as 0/1), and derived columns computed by the app's own
functions (`core.contacts.search_text`)."""

import json
import random
from collections import defaultdict
from datetime import date, datetime, timedelta

from bench.scale import shape
from bench.scale.shape import pick
from bench.scale.tenant import Ids
from core.contacts import search_text
from core.summaries import summarize

COLUMNS = {
    "customers": (
        "id", "tenant_id", "kind", "name", "sort_name", "avatar_url", "status_id", "phones",
        "emails", "company", "lead_source", "city", "notes", "follow_up_at", "blocked",
        "blocked_reason", "blocked_at", "parent_id", "custom_fields", "search_text",
        "created_at", "updated_at", "version",
    ),
    "customer_folders": ("customer_id", "folder_id", "tenant_id", "status_id", "added_at"),
    "customer_tags": ("customer_id", "tag_id", "tenant_id", "added_at"),
    "customer_workers": ("customer_id", "worker_id", "tenant_id", "assigned_at"),
    "invoices": (
        "id", "tenant_id", "customer_id", "number", "status", "currency", "total_amount",
        "paid_amount", "due_date", "issued_at", "paid_at", "voided_at", "created_at", "updated_at",
    ),
    "invoice_lines": (
        "id", "tenant_id", "invoice_id", "position", "description", "quantity", "unit_amount",
    ),
    "payments": (
        "id", "tenant_id", "customer_id", "invoice_id", "method_kind", "method_label", "amount",
        "currency", "refunded_amount", "receipt_number", "received_at", "recorded_by_id",
        "created_at",
    ),
    "tickets": (
        "id", "tenant_id", "customer_id", "number", "subject", "status", "priority",
        "assignee_id", "opened_by_id", "due_at", "created_at", "updated_at", "resolved_at",
        "closed_at",
    ),
    "appointments": (
        "id", "tenant_id", "customer_id", "worker_id", "start_at", "end_at", "status",
        "location", "reminders", "prepaid", "credit_used", "cancel_reason", "created_at",
        "updated_at",
    ),
    "insurance_policies": (
        "id", "tenant_id", "customer_id", "provider_id", "number", "coverage_description",
        "coverage_amount", "coverage_currency", "premium_amount", "premium_currency",
        "premium_period", "start_date", "end_date", "status", "created_at", "updated_at",
    ),
    "events": (
        "tenant_id", "action", "actor_id", "customer_id", "data", "occurred_at", "published_at",
        "summary", "summary_rest",
    ),
}  # fmt: skip
CREATED = summarize("customer.created", {})  # the events' stored sentences (core.summaries)
LOCATIONS = ("Room 1", "Room 2", "Main office", "Video call")
CANCEL_REASON = "Asked to postpone."


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _json(value) -> str:
    return json.dumps(value)


class Rows:
    """Deterministic for (seed, customers); ids start at 1 in every table (a fresh file)."""

    def __init__(self, ids: Ids, customers: int, start: datetime, end: datetime, seed: int = 11):
        self.ids, self.n, self.start, self.end = ids, customers, start, end
        self.rng = random.Random(seed)
        self.slot_us = int((end - start).total_seconds() * 1e6) // customers
        self.next = defaultdict(lambda: 1)
        self.events: list[tuple] = []

    def _id(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value

    def _d(self) -> int:
        return self.rng.randrange(1000)

    def _between(self, low: datetime, high: datetime) -> datetime:
        span = max(int((high - low).total_seconds() * 1e6), 0)
        return low + timedelta(microseconds=self.rng.randrange(span + 1))

    def chunk(self, low: int, high: int) -> dict[str, list[tuple]]:
        """Rows of customers low..high (inclusive) and everything hanging off them; events
        are kept back and sorted by time at the end (`events_in_order`)."""
        out: dict[str, list[tuple]] = defaultdict(list)
        for g in range(low, high + 1):
            self._customer(g, out)
        return out

    def events_in_order(self) -> list[tuple]:
        self.events.sort(key=lambda row: row[5])
        return self.events

    def _customer(self, g: int, out) -> None:
        rng, ids, d = self.rng, self.ids, self._d
        created = self.start + timedelta(
            microseconds=(g - 1) * self.slot_us + rng.randrange(self.slot_us)
        )
        version, updated = 1, created
        if d() < shape.P_UPDATED * 10:
            version = 2 + rng.randrange(4)
            updated = created + (self.end - created) * rng.random() ** 2
        first = shape.FIRST_NAMES[rng.randrange(len(shape.FIRST_NAMES))]
        last = shape.LAST_NAMES[rng.randrange(len(shape.LAST_NAMES))]
        if rng.randrange(shape.RARE_EVERY) == 0:
            last = shape.RARE_LAST_NAMES[rng.randrange(len(shape.RARE_LAST_NAMES))]
        name = f"{first} {last}"
        company = shape.COMPANIES[rng.randrange(len(shape.COMPANIES))]
        company = company if d() < shape.P_COMPANY * 10 else None
        phones = self._phones(company)
        emails = self._emails(first, last, company)
        blocked_at = self._between(created, updated) if d() < shape.P_BLOCKED * 10 else None
        follow_up = None
        if d() < shape.P_FOLLOW_UP * 10:
            day = self.end + timedelta(days=rng.randint(-14, 45), hours=rng.randint(8, 16))
            follow_up = day + timedelta(minutes=rng.choice((0, 30)))
        parent = rng.randrange(1, g) if g > 1 and d() < shape.P_SUB * 10 else None
        out["customers"].append(
            (
                g,
                ids.tenant_id,
                pick(shape.KINDS, d()),
                name,
                name.lower(),
                f"https://avatars.{shape.DOMAIN}/{g}.png" if d() < shape.P_AVATAR * 10 else None,
                ids.statuses[pick(shape.STATUSES, d())],
                _json(phones),
                _json(emails),
                company,
                rng.choice(shape.LEAD_SOURCES) if d() < shape.P_LEAD_SOURCE * 10 else None,
                rng.choice(shape.CITIES) if d() < shape.P_CITY * 10 else None,
                rng.choice(shape.NOTES) if d() < shape.P_NOTES * 10 else None,
                stamp(follow_up) if follow_up else None,
                int(blocked_at is not None),
                shape.BLOCK_REASON if blocked_at else None,
                stamp(blocked_at) if blocked_at else None,
                parent,
                _json(self._custom_fields(company)),
                search_text(name, company, emails, phones),
                stamp(created),
                stamp(updated),
                version,
            )
        )
        workers = self._links(g, created, updated, out)
        actor = workers[0] if workers else ids.owner_id
        self.events.append(
            (ids.tenant_id, "customer.created", actor, g, "{}", stamp(created), stamp(created),
             *CREATED)
        )  # fmt: skip
        self._modules(g, created, out)

    def _phones(self, company: str | None) -> list[dict]:
        rng, phones = self.rng, []
        for i in range(pick(shape.PHONE_COUNTS, self._d())):
            if i == 0:
                value = f"+44 7{rng.randrange(1000):03d} {rng.randrange(1_000_000):06d}"
                label = "mobile"
            else:
                value = f"+44 20 {rng.randrange(10_000):04d} {rng.randrange(10_000):04d}"
                label = "work" if company else "home"
            phones.append({"label": label, "value": value, "primary": i == 0})
        return phones

    def _emails(self, first: str, last: str, company: str | None) -> list[dict]:
        counts = shape.EMAIL_COUNTS_WITH_COMPANY if company else shape.EMAIL_COUNTS_WITHOUT
        labels = (["work", "home"] if company else ["home"])[: pick(counts, self._d())]
        emails = []
        for i, label in enumerate(labels):
            if label == "work":
                value = f"{shape.slug(first)}.{shape.slug(last)}@{shape.slug(company)}.example"
            else:
                value = f"{shape.slug(first)}{shape.slug(last)[0]}{self.rng.randint(1, 999)}@"
                value += self.rng.choice(shape.PERSONAL_DOMAINS)
            emails.append({"label": label, "value": value, "primary": i == 0})
        return emails

    def _custom_fields(self, company: str | None) -> dict:
        rng, d = self.rng, self._d
        if d() >= shape.P_CUSTOM * 10:
            return {}
        values = {}
        if d() < 700:
            values["industry"] = rng.choice(shape.CUSTOM_FIELDS[0]["options"])
        if company and d() < 400:
            values["employees"] = rng.choice(shape.EMPLOYEES)
        if d() < 300:
            birthday = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
            values["birthday"] = birthday.isoformat()
        if d() < 500:
            values["newsletter"] = d() < 600
        return values

    def _links(self, g: int, created: datetime, updated: datetime, out) -> list[int]:
        ids, d, tid = self.ids, self._d, self.ids.tenant_id
        chosen: list[int] = []
        for _ in range(pick(shape.FOLDER_COUNTS, d())):
            f = pick(shape.folder_weights(), d())
            while f in chosen:
                f = (f + 1) % len(ids.folders)
            chosen.append(f)
            statuses = ids.folder_statuses[f]
            status = statuses[max(0, self.rng.randrange(len(statuses) + 2) - 2)]
            out["customer_folders"].append((g, ids.folders[f], tid, status, stamp(created)))
        first = pick(shape.TAG_WEIGHTS, d())
        for k in range(pick(shape.TAG_COUNTS, d())):
            tag = ids.tags[(first + k * shape.TAG_STEP) % len(ids.tags)]
            out["customer_tags"].append((g, tag, tid, stamp(self._between(created, updated))))
        first = self.rng.randrange(len(ids.workers))
        workers = [
            ids.workers[(first + k * shape.WORKER_STEP) % len(ids.workers)]
            for k in range(pick(shape.WORKER_COUNTS, d()))
        ]
        out["customer_workers"] += [(g, w, tid, stamp(created)) for w in workers]
        return workers

    def _modules(self, g: int, created: datetime, out) -> None:
        rng, ids, d, tid = self.rng, self.ids, self._d, self.ids.tenant_id
        for _ in range(pick(shape.INVOICE_COUNTS, d())):
            at = self._between(created, self.end)
            status = pick(shape.INVOICE_STATUSES, d())
            description, price = rng.choice(shape.ITEMS)
            quantity = rng.randint(1, 3)
            total = price * quantity
            paid_at = at + timedelta(days=rng.randint(0, 25)) if status == "PAID" else None
            invoice = self._id("invoices")
            out["invoices"].append(
                (invoice, tid, g, f"INV-{invoice:06d}", status, "EUR", total,
                 total if paid_at else 0, (at + timedelta(days=30)).date().isoformat(),
                 None if status == "DRAFT" else stamp(at), stamp(paid_at) if paid_at else None,
                 stamp(at + timedelta(days=2)) if status == "VOID" else None, stamp(at),
                 stamp(paid_at or at))
            )  # fmt: skip
            line = self._id("invoice_lines")
            out["invoice_lines"].append((line, tid, invoice, 0, description, quantity, price))
            if paid_at:
                payment = self._id("payments")
                out["payments"].append(
                    (payment, tid, g, invoice, "CARD", "Visa", total, "EUR", 0,
                     f"RCP-{payment:06d}", stamp(paid_at), rng.choice(ids.workers),
                     stamp(paid_at))
                )  # fmt: skip
        for _ in range(pick(shape.TICKET_COUNTS, d())):
            at = self._between(created, self.end)
            status = pick(shape.TICKET_STATUSES, d())
            done = at + timedelta(hours=rng.randint(2, 200))
            closed = status in ("RESOLVED", "CLOSED")
            ticket, opener = self._id("tickets"), rng.choice(ids.workers)
            number = 1000 + ticket
            out["tickets"].append(
                (ticket, tid, g, number, rng.choice(shape.TICKET_SUBJECTS), status,
                 rng.randrange(4), rng.choice((None, *ids.workers[:10])), opener,
                 stamp(at + timedelta(days=7)) if d() < 600 else None, stamp(at),
                 stamp(done if closed else at), stamp(done) if closed else None,
                 stamp(done + timedelta(days=3)) if status == "CLOSED" else None)
            )  # fmt: skip
            data = {"ticketId": ticket, "number": number}
            said = summarize("ticket.opened", data)
            self.events.append(
                (tid, "ticket.opened", opener, g, _json(data), stamp(at), stamp(at), *said)
            )
        for _ in range(pick(shape.APPOINTMENT_COUNTS, d())):
            start = self.end + timedelta(days=rng.randint(-180, 60), hours=rng.randint(8, 17))
            past = start < self.end
            status = ("COMPLETED", "NO_SHOW", "CANCELLED") if past else ("BOOKED", "CONFIRMED")
            status = rng.choice(status)
            booked = max(created, start - timedelta(days=rng.randint(1, 20)))
            out["appointments"].append(
                (self._id("appointments"), tid, g, rng.choice(ids.workers), stamp(start),
                 stamp(start + timedelta(minutes=rng.choice((30, 45, 60)))), status,
                 rng.choice(LOCATIONS), _json([{"minutesBefore": 1440}] if d() < 500 else []),
                 0, 0, CANCEL_REASON if status == "CANCELLED" else None, stamp(booked),
                 stamp(booked))
            )  # fmt: skip
        for _ in range(pick(shape.POLICY_COUNTS, d())):
            at = self._between(created, self.end)
            cover, limit = rng.choice(shape.COVERS)
            policy, yearly = self._id("insurance_policies"), d() < 400
            premium = limit // 300 if yearly else limit // 3600
            out["insurance_policies"].append(
                (policy, tid, g, rng.choice(ids.providers), f"P-{policy:07d}", cover, limit,
                 "GBP", premium, "GBP", "YEARLY" if yearly else "MONTHLY",
                 at.date().isoformat(), (at.date() + timedelta(days=364)).isoformat(),
                 "ACTIVE", stamp(at), stamp(at))
            )  # fmt: skip
