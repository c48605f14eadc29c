"""The standard fields of a customer that are more than text: checked and normalised here, so
create, update, merge, the demo and an import agree on what a valid value is.

Decisions (README, "Standard fields"): a title is two fields, `salutation` ("Dr.", "Ms.")
and `job_title`; `industry` is free text (every business names its own); a website is
stored normalised (`https://` added when no scheme, host lower-cased, http(s) only);
payment preferences are a method, terms in days and a currency; communication preferences
are a do-not-contact flag, a preferred channel and, per channel, the consent given
(OPTED_IN / OPTED_OUT / null for never asked) with when it was given. Billing and shipping
addresses are rows of `customer_addresses`, at most one of each kind, in Stripe's shape
(line1, line2, city, region, postal code, ISO 3166-1 alpha-2 country)."""

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.catalog import clean_text
from core.errors import Problem, camel
from core.models import Customer, CustomerAddress, utcnow

# The kinds of the payments module's methods, so a preference names one of them.
PAYMENT_METHODS = ("CARD", "BANK_TRANSFER", "DIRECT_DEBIT", "CASH", "CHECK", "WALLET", "OTHER")
CHANNELS = ("EMAIL", "SMS", "WHATSAPP", "PHONE", "POST")
CONSENTS = ("OPTED_IN", "OPTED_OUT")
ADDRESS_KINDS = {"billing_address": "BILLING", "shipping_address": "SHIPPING"}
MAX_TERMS_DAYS = 365
EARLIEST_BIRTH = date(1900, 1, 1)
CURRENCY = re.compile(r"^[A-Z]{3}$")
HOST = re.compile(r"^[^\s/@:]+\.[^\s/@:.]{2,}$")
TEXT_FIELDS = {"salutation": 40, "job_title": 200, "industry": 100}
ADDRESS_LIMITS = {"line1": 200, "line2": 200, "city": 100, "region": 100, "postal_code": 20}
# Keys of `changes` this module handles (create and update pass them through).
KEYS = (*TEXT_FIELDS, "date_of_birth", "website", "payment", "communication", *ADDRESS_KINDS)
PAYMENT_COLUMNS = {
    "method": "payment_method",
    "terms_days": "payment_terms_days",
    "currency": "payment_currency",
}
CONSENT_COLUMNS = tuple(
    f"{channel.lower()}_consent{suffix}" for channel in CHANNELS for suffix in ("", "_at")
)
# The `customers` columns this module writes.
COLUMNS = (
    *TEXT_FIELDS,
    "date_of_birth",
    "website",
    *PAYMENT_COLUMNS.values(),
    "do_not_contact",
    "preferred_channel",
    *CONSENT_COLUMNS,
)

COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK
    DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR
    GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM
    KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP
    MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL
    PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST
    SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG
    VI VN VU WF WS YE YT ZA ZM ZW""".split()  # noqa: SIM905
)


def _path(*parts: str) -> tuple[str, ...]:
    return ("input", *parts)


def website(value: Any, problems: list[Problem]) -> str | None:
    """`Example.com/shop` → `https://example.com/shop`; http(s) with a real host only."""
    text = clean_text(value, _path("website"), 2000, problems)
    if text is None:
        return None
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        host, parts = "", None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or parts.username is not None
        or any(c.isspace() for c in text)
        or not HOST.match(host)
    ):
        problems.append(Problem(_path("website"), f"'{value}' is not a web address.", "INVALID"))
        return None
    netloc = host + (f":{parts.port}" if parts.port else "")
    path = "" if parts.path == "/" and not parts.query else parts.path
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, parts.fragment))


def date_of_birth(value: date | None, problems: list[Problem]) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        problems.append(Problem(_path("dateOfBirth"), "Expects a date.", "INVALID"))
    elif value > utcnow().date() or value < EARLIEST_BIRTH:
        problems.append(
            Problem(
                _path("dateOfBirth"),
                f"A date of birth lies between {EARLIEST_BIRTH} and today.",
                "INVALID",
            )
        )
    else:
        return value
    return None


def _choice(value, allowed, path, problems) -> str | None:
    if value is not None and value not in allowed:
        problems.append(Problem(path, f"One of {', '.join(allowed)}.", "INVALID"))
        return None
    return value


def payment(customer: Customer, given: dict | None, problems: list[Problem]) -> None:
    """Only the members given change; None clears all three."""
    given = dict.fromkeys(PAYMENT_COLUMNS) if given is None else given
    if "method" in given:
        path = _path("payment", "method")
        customer.payment_method = _choice(given["method"], PAYMENT_METHODS, path, problems)
    if "terms_days" in given:
        days = given["terms_days"]
        if days is not None and not 0 <= days <= MAX_TERMS_DAYS:
            problems.append(
                Problem(
                    _path("payment", "termsDays"), f"From 0 to {MAX_TERMS_DAYS} days.", "INVALID"
                )
            )
        customer.payment_terms_days = days
    if "currency" in given:
        currency = (given["currency"] or "").strip().upper() or None
        if currency is not None and not CURRENCY.match(currency):
            problems.append(
                Problem(_path("payment", "currency"), "Use an ISO-4217 code like EUR.", "INVALID")
            )
        customer.payment_currency = currency


def communication(customer: Customer, given: dict | None, problems: list[Problem]) -> None:
    """Only the members given change; None resets everything (no flag, nothing asked).
    A channel's time is when its answer was given: sent with it (an import's original
    consent), else now when the answer changes; an answer given again keeps its time."""
    if given is None:
        given = {"do_not_contact": False, "preferred_channel": None}
        given.update({channel.lower(): None for channel in CHANNELS})
    if "do_not_contact" in given:
        customer.do_not_contact = bool(given["do_not_contact"])
    if "preferred_channel" in given:
        path = _path("communication", "preferredChannel")
        customer.preferred_channel = _choice(given["preferred_channel"], CHANNELS, path, problems)
    for channel in (c.lower() for c in CHANNELS):
        if channel not in given:
            continue
        answer = given[channel] or {}
        status = _choice(
            answer.get("status"), CONSENTS, _path("communication", channel, "status"), problems
        )
        at = answer.get("at")
        if at is not None and (status is None or at > utcnow()):
            message = "When the answer was given: not in the future, and only with a status."
            problems.append(Problem(_path("communication", channel, "at"), message, "INVALID"))
        before = getattr(customer, f"{channel}_consent")
        if status is None:
            at = None
        elif at is None:
            at = getattr(customer, f"{channel}_consent_at") if status == before else utcnow()
        setattr(customer, f"{channel}_consent", status)
        setattr(customer, f"{channel}_consent_at", at)


def apply(customer: Customer, changes: dict, problems: list[Problem]) -> None:
    """The customer's own standard fields among `changes` (addresses: `save_addresses`)."""
    for key, limit in TEXT_FIELDS.items():
        if key in changes:
            value = clean_text(changes[key], _path(camel(key)), limit, problems)
            setattr(customer, key, value)
    if "date_of_birth" in changes:
        customer.date_of_birth = date_of_birth(changes["date_of_birth"], problems)
    if "website" in changes:
        customer.website = website(changes["website"], problems)
    if "payment" in changes:
        payment(customer, changes["payment"], problems)
    if "communication" in changes:
        communication(customer, changes["communication"], problems)


def address(key: str, given: dict | None, problems: list[Problem]) -> dict | None:
    """A checked address (columns of `customer_addresses`), None to remove it."""
    if given is None:
        return None
    field = camel(key)
    clean = {
        name: clean_text(
            given.get(name), _path(field, camel(name)), limit, problems, required=name == "line1"
        )
        for name, limit in ADDRESS_LIMITS.items()
    }
    country = (given.get("country") or "").strip().upper()
    if not country:
        problems.append(Problem(_path(field, "country"), "This field is required.", "REQUIRED"))
    elif country not in COUNTRIES:
        problems.append(
            Problem(
                _path(field, "country"),
                f"'{given.get('country')}' is not an ISO 3166-1 alpha-2 country code.",
                "INVALID",
            )
        )
    return {**clean, "country": country}


def addresses(changes: dict, problems: list[Problem]) -> dict[str, dict | None]:
    """Kind → checked address or None (remove), for the address keys in `changes`."""
    return {
        kind: address(key, changes[key], problems)
        for key, kind in ADDRESS_KINDS.items()
        if key in changes
    }


async def save_addresses(
    session: AsyncSession, customer: Customer, wanted: dict[str, dict | None]
) -> None:
    """Write what `addresses` checked: each kind given replaces (or removes) the old one."""
    if not wanted:
        return
    rows = await session.scalars(
        select(CustomerAddress).where(
            CustomerAddress.customer_id == customer.id, CustomerAddress.kind.in_(wanted)
        )
    )
    existing = {row.kind: row for row in rows}
    now = utcnow()
    for kind, value in wanted.items():
        row = existing.get(kind)
        if value is None:
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(
                CustomerAddress(
                    tenant_id=customer.tenant_id,
                    customer_id=customer.id,
                    kind=kind,
                    created_at=now,
                    updated_at=now,
                    **value,
                )
            )
        elif any(getattr(row, name) != v for name, v in value.items()):
            for name, v in value.items():
                setattr(row, name, v)
            row.updated_at = now


def payment_of(customer) -> dict:
    """A customer's payment preferences as `payment` takes them (a sub-customer's copy)."""
    return {key: getattr(customer, column) for key, column in PAYMENT_COLUMNS.items()}


async def addresses_of(session: AsyncSession, customer_id: int) -> dict[str, dict]:
    """Change key (`billing_address`) → the customer's address as `address` takes it."""
    rows = await session.scalars(
        select(CustomerAddress).where(CustomerAddress.customer_id == customer_id)
    )
    keys = {kind: key for key, kind in ADDRESS_KINDS.items()}
    return {
        keys[row.kind]: {name: getattr(row, name) for name in (*ADDRESS_LIMITS, "country")}
        for row in rows
    }
