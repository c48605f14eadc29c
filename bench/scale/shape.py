"""The tenant's shape, shared by the PostgreSQL (SQL) and SQLite (Python) generators: the
lists names come from and the odds of everything, so both databases hold the same kind of
tenant. Proportions follow issue 11 (per customer: 1.4 folder memberships, 1.3 tags, 1.3
assigned workers, 0.3 invoices, 0.1 tickets, 0.29 appointments, 0.05 policies, 1.1 events).

Name lists are chosen so that a search for "mar" matches about 14% of the customers (10 of
the first names and 5 of the last names hold it, plus a few home emails such as
"emmar12@…"), and two rare last names are given to one customer in `RARE_EVERY`."""

import unicodedata
from datetime import UTC, datetime, timedelta

TENANT = "Scale Tenant"
TIME_ZONE = "Europe/London"
SPAN = timedelta(days=4 * 365)  # created_at spread over four years up to END
DOMAIN = "scale-hub.example"
RARE_EVERY = 20_000
COMMON_TERM = "mar"

# fmt: off
FIRST_NAMES = (
    "Maria", "Mario", "Marco", "Mark", "Martin", "Marta", "Omar", "Tamara", "Marie", "Marcus",
    "Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Freya", "Leo",
    "Lily", "Oscar", "Sophia", "Harry", "Grace", "Jack", "Emily", "Charlie", "Ella", "Thomas",
    "Chloe", "James", "Aisha", "Priya", "Arjun", "Mei", "Chen", "Sofia", "Mateo", "Lucia",
    "Diego", "Hannah", "Lukas", "Emma", "Felix", "Nora", "Elias", "Ingrid", "Anders", "Zoe",
    "Samuel", "Maya", "Daniel", "Ruby", "Ethan", "Alice", "Henry", "Fatima", "Yusuf", "Olivia",
    "William", "Isabella", "Lucas", "Mila", "Jonas", "Clara", "Paul", "Anna", "Ben", "Julia",
    "Peter", "Laura", "David", "Sara", "John", "Helen", "Michael", "Eva", "Robert", "Nina",
    "Carlos", "Elena", "Ahmed", "Leila", "Hiroshi", "Yuki", "Kofi", "Ivan", "Olga", "Pierre",
    "Camille", "Giulia", "Luca", "Sean", "Niamh", "Raj", "Anika", "Tom", "Kate", "Zoltan",
)
LAST_NAMES = (
    "Martinez", "Marshall", "Marino", "Lamarck", "Dimarco",
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "Singh", "Murphy", "Kelly", "O'Brien", "Nguyen",
    "Garcia", "Rossi", "Müller", "Schmidt", "Fischer", "Dubois", "Moreau", "Novak", "Kowalski",
    "Larsen", "Andersson", "Silva", "Costa", "Tanaka", "Sato", "Kim", "Park", "Cohen", "Ahmed",
    "Hughes", "Edwards", "Lewis", "Lee", "Harris", "Clark", "Young", "King", "Scott", "Baker",
    "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Carter", "Phillips", "Turner", "Parker",
    "Collins", "Stewart", "Morris", "Rogers", "Reed", "Cook", "Morgan", "Bell", "Bailey",
    "Cooper", "Richardson", "Cox", "Howard", "Ward", "Torres", "Peterson", "Gray", "Ramirez",
    "James", "Watson", "Brooks", "Sanders", "Price", "Bennett", "Barnes", "Henderson",
    "Coleman", "Jenkins", "Perry",
)
RARE_LAST_NAMES = ("Quennevais", "Thistlewaite")
COMPANY_WORDS = (
    "Northwind", "Bluebird", "Harbour", "Greenleaf", "Oakridge", "Summit", "Riverside", "Lumen",
    "Brightpath", "Copperfield", "Atlas", "Silverline", "Kestrel", "Nimbus", "Pioneer", "Willow",
    "Beacon", "Foxglove", "Ironbridge", "Seaside", "Quartz", "Evergreen", "Redwood", "Sparrow",
    "Orchid", "Granite", "Helix", "Meadow", "Cobalt", "Starling",
)
COMPANY_KINDS = (
    "Traders", "Dental", "Physio", "Pharmacy", "Veterinary", "Fitness", "Opticians", "Software",
    "Bakery", "Logistics", "Salon", "Engineering",
)
CITIES = (
    "London", "Manchester", "Bristol", "Leeds", "Edinburgh", "Glasgow", "Cardiff", "Belfast",
    "Liverpool", "Brighton", "Oxford", "Cambridge", "York", "Dublin", "Berlin", "Amsterdam",
)
# fmt: on
COMPANIES = tuple(f"{word} {kind}" for word in COMPANY_WORDS for kind in COMPANY_KINDS)
LEAD_SOURCES = ("Website", "Referral", "Google Ads", "Trade show", "Cold call", "Instagram")
NOTES = (
    "Prefers calls in the morning.",
    "Met at the spring trade show; interested in the premium plan.",
    "Decision maker is the finance director.",
    "Asked for a quote for 20 seats.",
    "Budget frozen until next quarter.",
)
BLOCK_REASON = "Unpaid invoices since March."
PERSONAL_DOMAINS = ("example.com", "example.org", "example.net")

# (value, weight): drawn per customer.
KINDS = (("LEAD", 40), ("CUSTOMER", 60))
STATUSES = (("New", 30), ("Active", 45), ("On hold", 15), ("Lost", 10))  # the tenant's defaults
PHONE_COUNTS = ((0, 15), (1, 60), (2, 25))
EMAIL_COUNTS_WITH_COMPANY = ((0, 10), (1, 65), (2, 25))  # work, then home
EMAIL_COUNTS_WITHOUT = ((0, 40), (1, 60))  # home
FOLDER_COUNTS = ((0, 25), (1, 25), (2, 35), (3, 15))  # 1.40
TAG_COUNTS = ((0, 30), (1, 30), (2, 20), (3, 15), (4, 5))  # 1.35
WORKER_COUNTS = ((0, 15), (1, 45), (2, 35), (3, 5))  # 1.30
INVOICE_COUNTS = ((0, 80), (1, 10), (2, 10))  # 0.30
TICKET_COUNTS = ((0, 92), (1, 6), (2, 2))  # 0.10
APPOINTMENT_COUNTS = ((0, 87), (1, 3), (2, 4), (3, 6))  # 0.29
POLICY_COUNTS = ((0, 95), (1, 5))  # 0.05
INVOICE_STATUSES = (("DRAFT", 1), ("OPEN", 3), ("PAID", 5), ("VOID", 1))
TICKET_STATUSES = (("OPEN", 4), ("PENDING", 2), ("RESOLVED", 3), ("CLOSED", 3))
# Commerce (`commerce_pg`): orders 0.20, deals 0.15, subscriptions 0.07, payouts 0.03.
ORDER_COUNTS = ((0, 85), (1, 10), (2, 5))
DEAL_COUNTS = ((0, 88), (1, 9), (2, 3))
SUBSCRIPTION_COUNTS = ((0, 93), (1, 7))
PAYOUT_COUNTS = ((0, 97), (1, 3))
ORDER_KINDS = (("QUOTE", 5), ("PROPOSAL", 2), ("PURCHASE_ORDER", 3))
ORDER_STATUSES = (
    ("DRAFT", 2), ("SENT", 2), ("ACCEPTED", 1), ("REJECTED", 1), ("ORDERED", 1),
    ("FULFILLED", 3), ("CANCELLED", 1),
)  # fmt: skip
DEAL_STATUSES = (("OPEN", 60), ("WON", 25), ("LOST", 15))
DEAL_NAMES = ("Annual plan", "Clinic fit-out", "Team licences", "Service contract", "Upgrade")
SUBSCRIPTION_STATUSES = (
    ("ACTIVE", 70), ("TRIALING", 5), ("PAUSED", 10), ("CANCELLED", 10), ("ENDED", 5),
)  # fmt: skip
PAYOUT_STATUSES = (("PENDING", 3), ("APPROVED", 2), ("SENT", 6), ("FAILED", 1), ("CANCELLED", 1))
PAYOUT_KINDS = ("REFUND", "COMMISSION", "REBATE", "OTHER")
PAYOUT_METHODS = ("BANK_TRANSFER", "CASH", "CHECK", "CARD", "OTHER")
# Percent of customers with: a company, a city, a lead source, notes, an avatar, a follow-up
# date, blocked, a parent (sub-customers), any custom field value; of those updated after
# being created.
P_COMPANY, P_CITY, P_LEAD_SOURCE, P_NOTES, P_AVATAR = 55, 85, 80, 20, 10
P_FOLLOW_UP, P_BLOCKED, P_SUB, P_CUSTOM, P_UPDATED = 25, 2, 3, 50, 70

# Each customer's folders are drawn by these weights, a repeat moved on to the next folder.
# name: (color, weight, [(status, category)], the first status is the default)
FOLDERS = {
    "Prospects": (
        "#3b82f6",
        30,
        [
            ("New", "PROSPECT"),
            ("Contacted", "PROSPECT"),
            ("Qualified", "ACTIVE"),
            ("Lost", "CHURNED"),
        ],
    ),
    "Active Clients": (
        "#22c55e",
        20,
        [("Onboarding", "ACTIVE"), ("Active", "ACTIVE"), ("At risk", "INACTIVE")],
    ),
    "Newsletter": ("#0ea5e9", 12, [("Subscribed", "ACTIVE"), ("Bounced", "INACTIVE")]),
    "Follow-up": (
        "#f59e0b",
        8,
        [("To call", "PROSPECT"), ("Waiting", "INACTIVE"), ("Done", "ACTIVE")],
    ),
    "VIP": ("#a855f7", 6, [("Gold", "ACTIVE"), ("Platinum", "ACTIVE"), ("Lapsed", "INACTIVE")]),
    "Wholesale": ("#14b8a6", 5, [("Account", "ACTIVE"), ("Paused", "INACTIVE")]),
    "Partners": ("#84cc16", 5, [("Active", "ACTIVE"), ("Former", "CHURNED")]),
    "Events": ("#d946ef", 4, [("Invited", "PROSPECT"), ("Attended", "ACTIVE")]),
    "Closed": ("#64748b", 3, [("Lost", "CHURNED"), ("Won back", "ACTIVE")]),
    "Reactivation": ("#f97316", 3, [("Queued", "PROSPECT"), ("Contacted", "PROSPECT")]),
    "Walk-ins": ("#eab308", 1, [("New", "PROSPECT"), ("Seen", "ACTIVE")]),
    "Complaints": ("#ef4444", 3, [("Open", "ACTIVE"), ("Resolved", "INACTIVE")]),
}
MANAGER_FOLDERS = ("Prospects", "Active Clients", "Follow-up", "VIP", "Closed", "Reactivation")
AGENT_FOLDERS = ("Walk-ins",)  # every agent opens it: with their assignments, ~3% of the tenant
TAG_NAMES = (
    "Newsletter", "Priority", "Referral", "Wholesale", "Late payer", "Needs callback",
    "Enterprise", "Small business", "Trade show", "Webinar", "Partner", "Student",
    "Senior", "Family", "Corporate", "Returning", "Seasonal", "Online", "In store", "Loyalty",
    "Discount", "Premium", "Trial", "Churn risk", "Upsell", "Survey", "Event 2025",
    "Event 2026", "Beta", "Do not call",
)  # fmt: skip
# A customer's first tag is drawn by position (earlier tags are more common), its first worker
# uniformly; the next ones are STEP further round the list (coprime, so they differ).
TAG_STEP = 7
TAG_WEIGHTS = tuple((i, len(TAG_NAMES) - i) for i in range(len(TAG_NAMES)))
WORKER_STEP = 11
# (role, how many); the owner is made with the tenant and never assigned.
TEAM = (("admin", 3), ("manager", 6), ("agent", 40))
CUSTOM_FIELDS = (
    {"key": "industry", "label": "Industry", "type": "SINGLE_SELECT", "group": "Company",
     "options": ["Healthcare", "Retail", "Software", "Manufacturing", "Hospitality", "Education"]},
    {"key": "employees", "label": "Employees", "type": "NUMBER", "group": "Company"},
    {"key": "birthday", "label": "Birthday", "type": "DATE", "group": "Personal"},
    {"key": "newsletter", "label": "Newsletter opt-in", "type": "BOOLEAN", "group": "Personal"},
)  # fmt: skip
EMPLOYEES = (1, 3, 5, 8, 12, 25, 40, 80, 150, 400, 1200)
INSURANCE_PROVIDERS = ("Northwind Mutual", "Harbor Health", "Alpine Assurance", "Meridian Life")
COVERS = (("Home contents", 5_000_000), ("Private health", 20_000_000), ("Travel", 1_000_000))
TICKET_SUBJECTS = (
    "Invoice shows the wrong amount",
    "Cannot log in to the portal",
    "Appointment reminder never arrived",
    "Double charge on the card",
)
ITEMS = (("Consultation", 8_000), ("Follow-up visit", 4_500), ("Setup fee", 15_000))


def end_of_data() -> datetime:
    """Today's midnight (UTC): created and updated times lie before it, some appointments
    after it, so the profile has upcoming ones."""
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def cumulative(weights) -> list[tuple[object, int]]:
    """(value, upper bound in per-mille): a draw d in [0, 1000) takes the first value whose
    bound exceeds d, in SQL and in Python alike."""
    total = sum(w for _, w in weights)
    bounds, running = [], 0
    for value, weight in weights:
        running += weight
        bounds.append((value, round(running * 1000 / total)))
    return bounds


def pick(weights, draw: int):
    """`draw` in [0, 1000)."""
    for value, bound in cumulative(weights):
        if draw < bound:
            return value
    return weights[-1][0]


def mean(weights) -> float:
    return sum(v * w for v, w in weights) / sum(w for _, w in weights)


def folder_weights() -> list[tuple[int, int]]:
    return [(i, spec[1]) for i, spec in enumerate(FOLDERS.values())]


def worker_names(count: int) -> list[str]:
    """Distinct names for the team, from the customers' lists (stable order)."""
    names = []
    for i in range(count):
        first = FIRST_NAMES[(i * 7 + 10) % len(FIRST_NAMES)]
        last = LAST_NAMES[(i * 13 + 5) % len(LAST_NAMES)]
        names.append(f"{first} {last}")
    return names
