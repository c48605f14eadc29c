"""The demo's standard fields, addresses and contact people (`core/demo.py` calls these).

Each customer draws from its own generator, seeded by its name, so adding these left the
rest of the demo (drawn from the seeder's generator) exactly as it was."""

import random
import unicodedata
from datetime import date, datetime, timedelta

from core.contacts import people_text
from core.models import Customer, CustomerAddress, CustomerContact

# City → (region, postal code prefix, country).
PLACES = {
    "London": ("Greater London", "EC1A ", "GB"),
    "Manchester": ("Greater Manchester", "M1 ", "GB"),
    "Bristol": ("Bristol", "BS1 ", "GB"),
    "Leeds": ("West Yorkshire", "LS1 ", "GB"),
    "Edinburgh": ("Scotland", "EH1 ", "GB"),
    "Glasgow": ("Scotland", "G1 ", "GB"),
    "Cardiff": ("Wales", "CF10 ", "GB"),
    "Belfast": ("Northern Ireland", "BT1 ", "GB"),
    "Liverpool": ("Merseyside", "L1 ", "GB"),
    "Brighton": ("East Sussex", "BN1 ", "GB"),
    "Oxford": ("Oxfordshire", "OX1 ", "GB"),
    "Cambridge": ("Cambridgeshire", "CB1 ", "GB"),
    "York": ("North Yorkshire", "YO1 ", "GB"),
    "Dublin": ("Leinster", "D0", "IE"),
    "Berlin": ("Berlin", "101", "DE"),
    "Amsterdam": ("North Holland", "101", "NL"),
}
STREETS = ("High Street", "Station Road", "Church Lane", "Mill Road", "Park Avenue", "Quay Street")
INDUSTRIES = (
    "Healthcare", "Retail", "Software", "Education", "Logistics", "Hospitality", "Fitness",
    "Food and drink", "Interior design", "Veterinary",
)  # fmt: skip
JOB_TITLES = (
    "Office Manager", "Practice Manager", "Finance Director", "Head of Operations",
    "Purchasing Lead", "Owner", "Marketing Manager", "IT Administrator", "Receptionist",
)  # fmt: skip
DEPARTMENTS = ("Finance", "Operations", "Purchasing", "Management", "IT", "Front desk")
SALUTATIONS = ("Mr.", "Ms.", "Mrs.", "Dr.")
METHODS = ("CARD", "BANK_TRANSFER", "DIRECT_DEBIT", "CASH")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def fill(customer: Customer, names: tuple[tuple[str, ...], tuple[str, ...]]) -> list[dict]:
    """Set the customer's standard fields and return its contact people (dicts for
    `contacts`); its search text already holds them. `names`: first and last names."""
    rng = random.Random(f"standard:{customer.name}")
    company = customer.company
    if rng.random() < 0.3:
        customer.salutation = rng.choice(SALUTATIONS)
    if company or rng.random() < 0.3:
        customer.job_title = rng.choice(JOB_TITLES)
    if not company and rng.random() < 0.5:
        customer.date_of_birth = date(1950, 1, 1) + timedelta(days=rng.randint(0, 18_000))
    if company:
        customer.website = f"https://www.{_slug(company)}.example"
        customer.industry = rng.choice(INDUSTRIES)
    if customer.kind == "CUSTOMER":
        customer.payment_method = rng.choice(METHODS)
        customer.payment_terms_days = rng.choice((0, 14, 30)) if company else 0
        customer.payment_currency = "EUR" if customer.city in ("Dublin", "Berlin") else "GBP"
    asked = customer.created_at
    for channel, share in (("email", 0.7), ("sms", 0.4), ("post", 0.2)):
        if rng.random() < share:
            answer = "OPTED_IN" if rng.random() < 0.8 else "OPTED_OUT"
            setattr(customer, f"{channel}_consent", answer)
            setattr(customer, f"{channel}_consent_at", asked)
    customer.do_not_contact = rng.random() < 0.03
    customer.preferred_channel = (
        rng.choice(("EMAIL", "PHONE", "SMS")) if rng.random() < 0.5 else None
    )
    people = []
    if company and customer.parent_id is None and rng.random() < 0.6:
        first_names, last_names = names
        for n in range(rng.randint(1, 3)):
            first, last = rng.choice(first_names), rng.choice(last_names)
            people.append(
                {
                    "name": f"{first} {last}",
                    "email": f"{_slug(first)}.{_slug(last)}@{_slug(company)}.example",
                    "phone": f"+44 20 7946 1{rng.randint(0, 999):03d}"
                    if rng.random() < 0.6
                    else None,
                    "job_title": rng.choice(JOB_TITLES),
                    "department": rng.choice(DEPARTMENTS),
                    "is_primary": n == 0,
                    "position": n,
                }
            )
    customer.contact_search_text = people_text(people)
    return people


def rows(customer: Customer, people: list[dict]) -> list:
    """The customer's contact rows and addresses (it has its id by now)."""
    rng = random.Random(f"address:{customer.name}")
    common = {"tenant_id": customer.tenant_id, "customer_id": customer.id}
    moment: datetime = customer.created_at
    made: list = [
        CustomerContact(**common, **person, created_at=moment, updated_at=moment)
        for person in people
    ]
    place = PLACES.get(customer.city or "")
    if place is not None and rng.random() < 0.7:
        region, postal, country = place
        address = {
            "line1": f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
            "city": customer.city,
            "region": region,
            "postal_code": postal
            + (
                f"{rng.randint(1, 9)}{rng.choice('ABDEFGH')}{rng.choice('JLNPQRS')}"
                if country == "GB"
                else f"{rng.randint(10, 99)}"
            ),
            "country": country,
        }
        kinds = ["BILLING"] + (["SHIPPING"] if customer.company and rng.random() < 0.4 else [])
        made += [
            CustomerAddress(**common, **address, kind=kind, created_at=moment, updated_at=moment)
            for kind in kinds
        ]
    return made
