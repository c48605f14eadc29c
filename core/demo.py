"""A demo tenant with a year of plausible data, so GraphiQL, the UI and benchmarks have
something to show on a fresh database.

Deterministic for a given seed and independent of the wall clock (everything is dated
relative to `BASE`), so screenshots, docs and benchmark runs see the same rows."""

import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import product
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import custom_fields, demo_events, demo_segments, demo_standard
from core.contacts import normalize_contacts, search_text
from core.database import Database
from core.models import (
    Customer,
    CustomerFolder,
    CustomerTag,
    CustomerWorker,
    CustomFieldDefinition,
    Folder,
    FolderAccess,
    Status,
    Tag,
    Tenant,
    Worker,
)
from core.modules import enable_all
from core.plugins import Plugins
from core.tenants import create_tenant

DEMO_TENANT = "Demo Clinic & Co"
DEMO_TIME_ZONE = "Europe/London"
ADMIN_EMAIL = "alex.admin@demo-clinic.example"
BASE = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
START = BASE - timedelta(days=365)
TOP_LEVEL = 260
SUB_CUSTOMERS = 34
SUB_SUB_CUSTOMERS = 6
SEED_LOCK = 0x637573746F6D6572  # pg_advisory_xact_lock key: "customer" in ASCII

# (name, role, at_work); the owner comes first.
WORKERS = (
    ("Olivia Owner", "owner", True),
    ("Alex Admin", "admin", True),
    ("Ada Admin", "admin", True),
    ("Max Manager", "manager", True),
    ("Mia Manager", "manager", False),
    ("Sam Agent", "agent", True),
    ("Lia Agent", "agent", True),
    ("Tom Agent", "agent", False),
    ("Eve Agent", "agent", True),
)

# name: (color, [(status, color, category, is_default)])
FOLDERS = {
    "New Leads": (
        "#3b82f6",
        [
            ("Uncontacted", "#94a3b8", "PROSPECT", True),
            ("Contacted", "#60a5fa", "PROSPECT", False),
            ("Qualified", "#22c55e", "ACTIVE", False),
            ("Disqualified", "#ef4444", "CHURNED", False),
        ],
    ),
    "Active Clients": (
        "#22c55e",
        [
            ("Onboarding", "#38bdf8", "ACTIVE", True),
            ("Active", "#22c55e", "ACTIVE", False),
            ("At risk", "#f97316", "INACTIVE", False),
            ("Paused", "#a8a29e", "INACTIVE", False),
        ],
    ),
    "VIP": (
        "#a855f7",
        [
            ("Gold", "#eab308", "ACTIVE", True),
            ("Platinum", "#8b5cf6", "ACTIVE", False),
            ("Lapsed", "#78716c", "INACTIVE", False),
        ],
    ),
    "Follow-up": (
        "#f59e0b",
        [
            ("To call", "#f59e0b", "PROSPECT", True),
            ("Waiting for reply", "#facc15", "INACTIVE", False),
            ("Meeting booked", "#10b981", "ACTIVE", False),
            ("Done", "#22c55e", "ACTIVE", False),
            ("Dropped", "#ef4444", "CHURNED", False),
        ],
    ),
    "Closed": (
        "#64748b",
        [
            ("Lost", "#ef4444", "CHURNED", True),
            ("Won back", "#22c55e", "ACTIVE", False),
            ("Archived", "#94a3b8", "INACTIVE", False),
        ],
    ),
}

TAGS = (
    ("VIP", "#a855f7"),
    ("Newsletter", "#0ea5e9"),
    ("Wholesale", "#14b8a6"),
    ("Late payer", "#ef4444"),
    ("Referral partner", "#22c55e"),
    ("Needs callback", "#f59e0b"),
    ("Priority", "#e11d48"),
    ("Enterprise", "#4f46e5"),
    ("Small business", "#84cc16"),
    ("Trade show 2025", "#d946ef"),
)

# Sources come before the fields that depend on them (positions follow this order).
FIELDS = (
    {
        "key": "industry",
        "label": "Industry",
        "type": "SINGLE_SELECT",
        "group": "Company",
        "options": [
            "Healthcare",
            "Retail",
            "Software",
            "Manufacturing",
            "Hospitality",
            "Education",
        ],
    },
    {"key": "employees", "label": "Employees", "type": "NUMBER", "group": "Company"},
    {"key": "website", "label": "Website", "type": "TEXT", "group": "Company"},
    {
        "key": "preferred_contact",
        "label": "Preferred contact",
        "type": "SINGLE_SELECT",
        "group": "Communication",
        "options": ["Phone", "Email", "SMS", "WhatsApp"],
    },
    {
        "key": "newsletter",
        "label": "Newsletter opt-in",
        "type": "BOOLEAN",
        "group": "Communication",
    },
    {
        "key": "newsletter_topics",
        "label": "Newsletter topics",
        "type": "MULTI_SELECT",
        "group": "Communication",
        "options": ["Product news", "Offers", "Events", "Tips"],
        "condition": ("newsletter", ["true"]),
        "description": "Shown when the customer opted in to the newsletter.",
    },
    {"key": "birthday", "label": "Birthday", "type": "DATE", "group": "Personal"},
    {
        "key": "interests",
        "label": "Interests",
        "type": "MULTI_SELECT",
        "group": "Personal",
        "options": ["Golf", "Wine", "Travel", "Tech", "Sailing", "Art"],
    },
    {"key": "background", "label": "Background", "type": "LONG_TEXT", "group": "Personal"},
    {"key": "last_meeting", "label": "Last meeting", "type": "DATE_TIME", "group": "Sales"},
    {
        "key": "contract_value",
        "label": "Annual contract value",
        "type": "NUMBER",
        "group": "Sales",
        "folders": ["Active Clients", "VIP"],
        "description": "In GBP, excluding VAT.",
    },
    {
        "key": "renewal_date",
        "label": "Renewal date",
        "type": "DATE",
        "group": "Sales",
        "folders": ["Active Clients", "VIP"],
    },
    {
        "key": "account_tier",
        "label": "Account tier",
        "type": "SINGLE_SELECT",
        "group": "Sales",
        "options": ["Silver", "Gold", "Platinum"],
        "folders": ["VIP"],
    },
    {
        "key": "concierge",
        "label": "Dedicated concierge",
        "type": "TEXT",
        "group": "Sales",
        "folders": ["VIP"],
        "condition": ("account_tier", ["Platinum"]),
    },
    {
        "key": "lost_reason",
        "label": "Lost reason",
        "type": "SINGLE_SELECT",
        "group": "Closing",
        "options": ["Price", "Competitor", "No response", "Timing", "Other"],
        "folders": ["Closed"],
    },
    {
        "key": "lost_details",
        "label": "What happened",
        "type": "LONG_TEXT",
        "group": "Closing",
        "folders": ["Closed"],
        "condition": ("lost_reason", ["Competitor", "Other"]),
    },
)

# fmt: off
FIRST_NAMES = (
    "Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Freya", "Leo", "Lily",
    "Oscar", "Sophia", "Harry", "Grace", "Jack", "Emily", "Charlie", "Ella", "Thomas", "Chloe",
    "James", "Aisha", "Omar", "Priya", "Arjun", "Mei", "Chen", "Sofia", "Mateo", "Lucia", "Diego",
    "Hannah", "Lukas", "Emma", "Felix", "Nora", "Elias", "Ingrid", "Anders", "Zoe", "Samuel",
    "Maya", "Daniel", "Ruby", "Ethan", "Alice", "Henry", "Fatima", "Yusuf",
)
LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "Singh", "Murphy", "Kelly", "O'Brien", "Nguyen", "Garcia",
    "Martinez", "Rossi", "Müller", "Schmidt", "Fischer", "Dubois", "Moreau", "Novak", "Kowalski",
    "Larsen", "Andersson", "Silva", "Costa", "Tanaka", "Sato", "Kim", "Park", "Cohen", "Ahmed",
    "Hughes", "Edwards", "Lewis",
)
COMPANIES = (
    "Northwind Traders", "Bluebird Dental", "Harbour Physio", "Greenleaf Pharmacy",
    "Oakridge Veterinary", "Summit Fitness", "Riverside Opticians", "Lumen Software",
    "Brightpath Learning", "Copperfield Bakery", "Atlas Logistics", "Maple & Finch Interiors",
    "Silverline Salon", "Kestrel Engineering", "Nimbus Cloud Ltd", "Pioneer Motors",
    "Willow Care Homes", "Beacon Accounting", "Foxglove Florists", "Ironbridge Joinery",
    "Seaside Hotel Group", "Quartz Labs", "Evergreen Landscaping", "Redwood Legal",
    "Sparrow Coffee Co", "Orchid Skin Clinic", "Granite Builders", "Helix Biotech", "Meadow Dairy",
    "Cobalt Print Works", "Starling Travel", "Thistle Tutors", "Arc Architects",
    "Puffin Pet Supplies", "Vantage Security",
)
CITIES = (
    "London", "Manchester", "Bristol", "Leeds", "Edinburgh", "Glasgow", "Cardiff", "Belfast",
    "Liverpool", "Brighton", "Oxford", "Cambridge", "York", "Dublin", "Berlin", "Amsterdam",
)
# fmt: on
LEAD_SOURCES = ("Website", "Referral", "Google Ads", "Trade show", "Cold call", "Instagram")
BLOCK_REASONS = (
    "Unpaid invoices since March.",
    "Abusive language towards staff.",
    "Asked not to be contacted (GDPR).",
    "Duplicate of another record.",
    "Chargeback on two orders.",
)
NOTES = (
    "Prefers calls in the morning.",
    "Met at the spring trade show; interested in the premium plan.",
    "Decision maker is the finance director.",
    "Asked for a quote for 20 seats.",
    "Budget frozen until next quarter.",
    "Very happy with onboarding, possible referral source.",
)
BACKGROUNDS = (
    "Long-standing contact, introduced by a former colleague. Values quick answers over "
    "low prices.",
    "Runs a family business with three locations; expanding to a fourth next year.",
    "Moved over from a competitor after a billing dispute. Keep communication in writing.",
    "Technical buyer: wants details, trials everything before committing.",
)
LOST_DETAILS = (
    "Went with a cheaper local provider; said our support was better.",
    "Their new manager brought a vendor from a previous job.",
    "Stopped answering after the second quote. Try again in spring.",
)
PERSONAL_DOMAINS = ("example.com", "example.org", "example.net")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def _definition_dict(defn: CustomFieldDefinition) -> dict:
    return {c.key: getattr(defn, c.key) for c in CustomFieldDefinition.__table__.columns}


async def seed_demo(
    db: Database, plugins: Plugins | None = None, seed: int = 7, storage=None
) -> tuple[int, int]:
    """(tenant id, Alex Admin's id). Idempotent, so the CLI and `make run` can call it on
    every start; the check and the writes share one transaction, and on PostgreSQL a lock
    keeps two processes starting at once from seeding twice (SQLite serialises writers)."""
    async with db.transaction() as session:
        if db.dialect == "postgresql":
            await session.execute(select(func.pg_advisory_xact_lock(SEED_LOCK)))
        found = await _existing(session)
        if found is not None:
            return found
        tenant_id, admin_id = await _Seeder(session, random.Random(seed)).run()
        if plugins is not None:
            await enable_all(session, plugins, tenant_id)
            customer_ids = list(
                await session.scalars(
                    select(Customer.id).where(Customer.tenant_id == tenant_id).order_by(Customer.id)
                )
            )
            await plugins.call(
                "hub_demo_data",
                session=session,
                tenant_id=tenant_id,
                customer_ids=customer_ids,
                seed=seed,
                storage=storage,
            )
            # what the modules' demo rows ask of each other (invoices, balance entries)
            await demo_events.deliver(session, plugins, frozenset(plugins.modules))
        return tenant_id, admin_id


async def _existing(session: AsyncSession) -> tuple[int, int] | None:
    tenant_id = await session.scalar(
        select(Tenant.id).where(Tenant.name == DEMO_TENANT).order_by(Tenant.id).limit(1)
    )
    if tenant_id is None:
        return None
    # Someone may have edited the demo: fall back to another admin, then the owner.
    admin_id = await session.scalar(
        select(Worker.id)
        .where(Worker.tenant_id == tenant_id, Worker.role.in_(("admin", "owner")))
        .order_by(
            case((Worker.email == ADMIN_EMAIL, 0), (Worker.role == "admin", 1), else_=2),
            Worker.id,
        )
        .limit(1)
    )
    if admin_id is None:
        raise RuntimeError(f"The demo tenant {tenant_id} has no admin or owner left.")
    return tenant_id, admin_id


@dataclass
class _Draft:
    customer: Customer
    placements: list[tuple[int, int]]
    tag_ids: list[int]
    worker_ids: list[int]
    people: list[dict]


class _Seeder:
    def __init__(self, session: AsyncSession, rng: random.Random):
        self.session = session
        self.rng = rng

    async def _add(self, objects: list) -> list:
        self.session.add_all(objects)
        await self.session.flush()
        return objects

    def _moment(self, after: datetime, before: datetime = BASE) -> datetime:
        seconds = int((before - after).total_seconds())
        return after + timedelta(seconds=self.rng.randint(0, max(seconds, 0)))

    async def run(self) -> tuple[int, int]:
        owner_name, _, _ = WORKERS[0]
        tenant, owner = await create_tenant(
            self.session, DEMO_TENANT, owner_name, self._worker_email(owner_name), DEMO_TIME_ZONE
        )
        tenant.created_at = owner.created_at = owner.updated_at = START
        self.tenant_id = tenant.id
        workers = await self._workers(owner)
        statuses = await self.session.scalars(
            select(Status).where(Status.tenant_id == tenant.id, Status.folder_id.is_(None))
        )
        self.statuses = {s.name: s.id for s in statuses}
        await self._folders()
        await self._folder_access(workers)
        await self._tags()
        await self._fields()
        self.assignable = [w for w in workers if w.role != "owner"]
        self.worker_names = [w.name for w in workers]
        await self._customers()
        admin = next(w for w in workers if w.email == ADMIN_EMAIL)
        await demo_segments.add(self.session, tenant.id, admin.id, BASE)
        return tenant.id, admin.id

    @staticmethod
    def _worker_email(name: str) -> str:
        return name.lower().replace(" ", ".") + "@demo-clinic.example"

    async def _workers(self, owner: Worker) -> list[Worker]:
        others = [
            Worker(
                tenant_id=self.tenant_id,
                name=name,
                email=self._worker_email(name),
                role=role,
                at_work=at_work,
                position=position,
                created_at=START + timedelta(days=position),
                updated_at=START + timedelta(days=position),
            )
            for position, (name, role, at_work) in enumerate(WORKERS)
            if position
        ]
        return [owner, *await self._add(others)]

    async def _folder_access(self, workers: list[Worker]) -> None:
        """Managers open every folder; agents change New Leads, and Sam also Active Clients."""
        names = list(self.folder_ids)
        rows = [
            FolderAccess(
                tenant_id=self.tenant_id,
                folder_id=self.folder_ids[name],
                role="manager",
                can_edit=True,
            )
            for name in names
        ]
        rows.append(
            FolderAccess(
                tenant_id=self.tenant_id,
                folder_id=self.folder_ids[names[0]],
                role="agent",
                can_edit=True,
            )
        )
        sam = next(w for w in workers if w.name == "Sam Agent")
        rows.append(
            FolderAccess(
                tenant_id=self.tenant_id,
                folder_id=self.folder_ids[names[1]],
                worker_id=sam.id,
                can_edit=True,
            )
        )
        self.session.add_all(rows)
        await self.session.flush()

    async def _folders(self) -> None:
        folders = await self._add(
            [
                Folder(
                    tenant_id=self.tenant_id,
                    name=name,
                    color=color,
                    position=position,
                    created_at=START,
                )
                for position, (name, (color, _)) in enumerate(FOLDERS.items())
            ]
        )
        self.folder_ids = {f.name: f.id for f in folders}
        statuses = await self._add(
            [
                Status(
                    tenant_id=self.tenant_id,
                    folder_id=self.folder_ids[folder],
                    name=name,
                    color=color,
                    category=category,
                    position=position,
                    is_default=is_default,
                )
                for folder, (_, entries) in FOLDERS.items()
                for position, (name, color, category, is_default) in enumerate(entries)
            ]
        )
        # Per folder: status ids, the default first, so picks favour it.
        self.folder_statuses: dict[int, list[int]] = {}
        for status in sorted(statuses, key=lambda s: (not s.is_default, s.position)):
            self.folder_statuses.setdefault(status.folder_id, []).append(status.id)

    async def _tags(self) -> None:
        tags = await self._add(
            [
                Tag(tenant_id=self.tenant_id, name=name, color=color, position=position)
                for position, (name, color) in enumerate(TAGS)
            ]
        )
        self.tag_ids = {t.name: t.id for t in tags}

    async def _fields(self) -> None:
        """Two flushes: a dependent field needs its source's id."""
        made: dict[str, CustomFieldDefinition] = {}
        for dependent in (False, True):
            batch = [
                CustomFieldDefinition(
                    tenant_id=self.tenant_id,
                    key=spec["key"],
                    label=spec["label"],
                    type=spec["type"],
                    description=spec.get("description"),
                    options=spec.get("options", []),
                    required=False,
                    group_name=spec["group"],
                    position=position,
                    folder_ids=[self.folder_ids[f] for f in spec.get("folders", [])],
                    condition_field_id=made[spec["condition"][0]].id if dependent else None,
                    condition_values=spec["condition"][1] if dependent else [],
                )
                for position, spec in enumerate(FIELDS)
                if ("condition" in spec) == dependent
            ]
            for defn in await self._add(batch):
                made[defn.key] = defn
        self.definitions = sorted(
            (_definition_dict(d) for d in made.values()), key=lambda d: (d["position"], d["id"])
        )

    async def _customers(self) -> None:
        """Three generations (top level, sub-customers, theirs), each flushed once so the
        next can point at its parents' ids; all links go in one last flush."""
        rng = self.rng
        total = TOP_LEVEL + SUB_CUSTOMERS + SUB_SUB_CUSTOMERS
        names = rng.sample(list(product(FIRST_NAMES, LAST_NAMES)), total)
        moments = sorted(self._moment(START) for _ in range(TOP_LEVEL))
        top = [self._top_level(n, m) for n, m in zip(names[:TOP_LEVEL], moments, strict=True)]
        await self._add([d.customer for d in top])

        pool = [d for d in top if d.customer.kind == "CUSTOMER" and d.customer.company]
        parents = rng.sample(pool, min(len(pool), 20))
        subs = self._subs(names[TOP_LEVEL : TOP_LEVEL + SUB_CUSTOMERS], parents)
        await self._add([d.customer for d in subs])
        subs_of_subs = self._subs(names[TOP_LEVEL + SUB_CUSTOMERS :], subs)
        await self._add([d.customer for d in subs_of_subs])
        await self._add([link for d in top + subs + subs_of_subs for link in self._links(d)])

    def _top_level(self, name: tuple[str, str], created: datetime) -> _Draft:
        rng = self.rng
        kind = "LEAD" if rng.random() < 0.45 else "CUSTOMER"
        weights = (70, 5, 15, 10) if kind == "LEAD" else (5, 65, 18, 12)
        status = rng.choices(("New", "Active", "On hold", "Lost"), weights)[0]
        folders = []
        if kind == "LEAD" and status != "Lost" and rng.random() < 0.7:
            folders.append("New Leads")
        if status == "Active" and rng.random() < 0.8:
            folders.append("Active Clients")
            if rng.random() < 0.25:
                folders.append("VIP")
        if status == "Lost" and rng.random() < 0.8:
            folders.append("Closed")
        if status in ("New", "On hold") and rng.random() < 0.35:
            folders.append("Follow-up")
        tags = rng.sample(
            [t for t in TAGS if t[0] != "VIP"], rng.choices((0, 1, 2, 3), (35, 35, 20, 10))[0]
        )
        tag_ids = [self.tag_ids[t] for t, _ in tags]
        if "VIP" in folders:
            tag_ids.append(self.tag_ids["VIP"])
        workers = rng.sample(self.assignable, rng.choices((0, 1, 2), (20, 60, 20))[0])
        return self._draft(
            name,
            created,
            kind=kind,
            company=rng.choice(COMPANIES) if rng.random() < 0.7 else None,
            city=rng.choice(CITIES) if rng.random() < 0.85 else None,
            lead_source=rng.choice(LEAD_SOURCES) if rng.random() < 0.8 else None,
            status=status,
            placements=[(self.folder_ids[f], self._folder_status(f)) for f in folders],
            tag_ids=tag_ids,
            worker_ids=[w.id for w in workers],
        )

    def _subs(self, names: list[tuple[str, str]], parents: list[_Draft]) -> list[_Draft]:
        """People or branches under a customer, starting from the fields the tenant copies
        by default (company, city, folders, workers)."""
        rng = self.rng
        drafts = []
        for name in names:
            parent = rng.choice(parents)
            p = parent.customer
            drafts.append(
                self._draft(
                    name,
                    self._moment(p.created_at),
                    kind="CUSTOMER",
                    company=p.company,
                    city=p.city,
                    lead_source=p.lead_source,
                    status=rng.choices(("Active", "New", "On hold"), (70, 20, 10))[0],
                    placements=list(parent.placements),
                    tag_ids=[self.tag_ids[t] for t, _ in rng.sample(TAGS, rng.randint(0, 1))],
                    worker_ids=list(parent.worker_ids),
                    parent_id=p.id,
                )
            )
        return sorted(drafts, key=lambda d: d.customer.created_at)

    def _folder_status(self, folder: str) -> int:
        choices = self.folder_statuses[self.folder_ids[folder]]
        return self.rng.choices(choices, [3] + [1] * (len(choices) - 1))[0]

    def _draft(
        self,
        name: tuple[str, str],
        created: datetime,
        *,
        kind: str,
        company: str | None,
        city: str | None,
        lead_source: str | None,
        status: str,
        placements: list[tuple[int, int]],
        tag_ids: list[int],
        worker_ids: list[int],
        parent_id: int | None = None,
    ) -> _Draft:
        rng = self.rng
        first, last = name
        full_name = f"{first} {last}"
        phones = self._phones()
        emails = self._emails(first, last, company)
        updated = created + (BASE - created) * rng.random() ** 2
        updated = updated.replace(microsecond=0)
        blocked_at = None
        if rng.random() < 0.04:
            blocked_at = self._moment(created)
            updated = max(updated, blocked_at)
        follow_up = None
        if blocked_at is None and status != "Lost" and rng.random() < 0.3:
            day = BASE + timedelta(days=rng.randint(-14, 45))
            follow_up = day.replace(hour=rng.randint(8, 16), minute=rng.choice((0, 30)))
        customer = Customer(
            tenant_id=self.tenant_id,
            kind=kind,
            name=full_name,
            sort_name=full_name.lower(),
            status_id=self.statuses[status],
            phones=phones,
            emails=emails,
            company=company,
            lead_source=lead_source,
            city=city,
            notes=rng.choice(NOTES) if rng.random() < 0.25 else None,
            follow_up_at=follow_up,
            blocked=blocked_at is not None,
            blocked_reason=rng.choice(BLOCK_REASONS) if blocked_at else None,
            blocked_at=blocked_at,
            parent_id=parent_id,
            custom_fields=self._custom_values([f for f, _ in placements], company, created),
            search_text=search_text(full_name, company, emails, phones),
            created_at=created,
            updated_at=updated,
        )
        people = demo_standard.fill(customer, (FIRST_NAMES, LAST_NAMES))
        customer.search_text = search_text(
            full_name, company, emails, phones, customer.contact_search_text
        )
        return _Draft(customer, placements, tag_ids, worker_ids, people)

    def _phones(self) -> list[dict]:
        rng = self.rng
        labels = rng.sample(("mobile", "work", "home"), rng.choices((0, 1, 2), (15, 60, 25))[0])
        primary = rng.randrange(len(labels)) if labels else None
        items = [
            {"label": label, "value": self._phone_number(label), "primary": i == primary}
            for i, label in enumerate(labels)
        ]
        return normalize_contacts("phone", items, "phones")

    def _phone_number(self, label: str) -> str:
        """Only numbers reserved for fiction (Ofcom's drama ranges, the US 555-01xx block)."""
        rng = self.rng
        if label == "mobile":
            return f"+44 7700 900{rng.randint(0, 999):03d}"
        if rng.random() < 0.7:
            return f"+44 20 7946 0{rng.randint(0, 999):03d}"
        return f"+1 ({rng.choice((212, 415, 617, 312))}) 555-01{rng.randint(0, 99):02d}"

    def _emails(self, first: str, last: str, company: str | None) -> list[dict]:
        rng = self.rng
        count = rng.choices((0, 1, 2), (10, 65, 25))[0] if company else rng.randint(0, 1)
        labels = ["work", "home"][:count] if company else ["home"][:count]
        local = f"{_slug(first)}.{_slug(last)}"
        items = []
        for i, label in enumerate(labels):
            if label == "work":
                value = f"{local}@{_slug(company)}.example"
            else:
                value = f"{_slug(first)}{_slug(last)[0]}{rng.randint(1, 99)}"
                value += f"@{rng.choice(PERSONAL_DOMAINS)}"
            items.append({"label": label, "value": value, "primary": i == 0})
        return normalize_contacts("email", items, "emails")

    def _custom_values(self, folder_ids: list[int], company: str | None, created: datetime):
        """Filled in field order, so a dependent field sees its source's value and is only
        set while it is shown. Only a dependent field's visibility changes as values arrive."""
        values: dict[str, Any] = {}
        in_folders = {d["key"] for d in custom_fields.visible(self.definitions, folder_ids, {})}
        for defn in self.definitions:
            shown = in_folders
            if defn["condition_field_id"] is not None:
                shown = {
                    d["key"] for d in custom_fields.visible(self.definitions, folder_ids, values)
                }
            if defn["key"] not in shown or self.rng.random() < 0.35:
                continue
            if defn["group_name"] == "Company" and not company:
                continue
            raw = self._field_value(defn, company, created)
            if raw is not None:
                values[defn["key"]] = custom_fields.canonical(defn, raw)
        return values

    def _field_value(self, defn: dict, company: str | None, created: datetime) -> Any:
        rng = self.rng
        key, kind, options = defn["key"], defn["type"], defn["options"]
        if kind == "SINGLE_SELECT":
            return rng.choice(options)
        if kind == "MULTI_SELECT":
            return rng.sample(options, rng.randint(1, min(3, len(options))))
        if kind == "BOOLEAN":
            return rng.random() < 0.6
        if kind == "DATE_TIME":
            meeting = self._moment(created)
            return meeting.replace(minute=meeting.minute // 15 * 15, second=0)
        if key == "employees":
            return rng.choice((1, 3, 5, 8, 12, 25, 40, 80, 150, 400, 1200))
        if key == "website":
            return f"https://www.{_slug(company)}.example" if company else None
        if key == "birthday":
            return date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
        if key == "contract_value":
            return rng.randrange(1_000, 120_000, 500)
        if key == "renewal_date":
            return (BASE + timedelta(days=rng.randint(-30, 330))).date()
        if key == "concierge":
            return rng.choice(self.worker_names)
        if kind == "LONG_TEXT":
            return rng.choice(BACKGROUNDS if key == "background" else LOST_DETAILS)
        return None

    def _links(self, draft: _Draft) -> list:
        customer = draft.customer
        common = {"tenant_id": self.tenant_id, "customer_id": customer.id}
        return (
            [
                CustomerFolder(**common, folder_id=f, status_id=s, added_at=customer.created_at)
                for f, s in draft.placements
            ]
            + [
                CustomerTag(
                    **common,
                    tag_id=t,
                    added_at=self._moment(customer.created_at, customer.updated_at),
                )
                for t in draft.tag_ids
            ]
            + [
                CustomerWorker(**common, worker_id=w, assigned_at=customer.created_at)
                for w in draft.worker_ids
            ]
            + demo_standard.rows(customer, draft.people)
        )
