"""The standard fields of a customer that are objects (addresses, payment and communication
preferences), its contact people, and their inputs. What is valid is decided in
`core/standard_fields.py` and `core/customer_contacts.py`; the README says why each is
shaped as it is."""

from datetime import date as Date
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import UNSET, Private

from core.standard_fields import CHANNELS, CONSENTS, PAYMENT_METHODS
from schema.relay import Node

PaymentMethod = strawberry.enum(
    Enum("PreferredPaymentMethod", {m: m for m in PAYMENT_METHODS}),
    description="How the customer prefers to pay.",
)
Channel = strawberry.enum(
    Enum("CommunicationChannel", {c: c for c in CHANNELS}),
    description="A way to reach the customer.",
)
ConsentStatus = strawberry.enum(
    Enum("ConsentStatus", {c: c for c in CONSENTS}),
    description="The customer's answer about a channel (no answer: null).",
)


@strawberry.type(description="A postal address (Stripe's shape).")
class Address:
    line1: str = strawberry.field(description="Street, PO box or company name.")
    line2: str | None = strawberry.field(description="Apartment, suite, unit or building.")
    city: str | None
    region: str | None = strawberry.field(description="State, county, province or region.")
    postal_code: str | None
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, e.g. `DE`.")
    updated_at: datetime

    @classmethod
    def from_row(cls, row) -> "Address":
        return cls(
            line1=row["line1"],
            line2=row["line2"],
            city=row["city"],
            region=row["region"],
            postal_code=row["postal_code"],
            country=row["country"],
            updated_at=row["updated_at"],
        )


def address_of(rows: list[dict], kind: str) -> Address | None:
    return next((Address.from_row(r) for r in rows if r["kind"] == kind), None)


@strawberry.type(description="How the customer prefers to pay (each member may be unset).")
class PaymentPreferences:
    method: PaymentMethod | None  # type: ignore[valid-type]
    terms_days: int | None = strawberry.field(description="Days to pay an invoice (0 to 365).")
    currency: str | None = strawberry.field(description="ISO-4217 code, e.g. `EUR`.")


@strawberry.type(description="The customer's consent for one channel.")
class ChannelConsent:
    status: ConsentStatus | None = strawberry.field(  # type: ignore[valid-type]
        description="null: never asked."
    )
    at: datetime | None = strawberry.field(description="When this answer was given.")
    allowed: bool = strawberry.field(
        description="Opted in and not marked do-not-contact: the customer may be contacted."
    )


@strawberry.type(description="Whether, and how, the customer may be contacted.")
class CommunicationPreferences:
    do_not_contact: bool = strawberry.field(description="Overrides every channel's consent.")
    preferred_channel: Channel | None  # type: ignore[valid-type]
    email: ChannelConsent
    sms: ChannelConsent
    whatsapp: ChannelConsent
    phone: ChannelConsent
    post: ChannelConsent


def payment_of(row) -> PaymentPreferences:
    method = row["payment_method"]
    return PaymentPreferences(
        method=PaymentMethod(method) if method else None,
        terms_days=row["payment_terms_days"],
        currency=row["payment_currency"],
    )


def communication_of(row) -> CommunicationPreferences:
    blocked = bool(row["do_not_contact"])

    def consent(channel: str) -> ChannelConsent:
        status = row[f"{channel}_consent"]
        return ChannelConsent(
            status=ConsentStatus(status) if status else None,
            at=row[f"{channel}_consent_at"],
            allowed=status == "OPTED_IN" and not blocked,
        )

    channel = row["preferred_channel"]
    return CommunicationPreferences(
        do_not_contact=blocked,
        preferred_channel=Channel(channel) if channel else None,
        **{c.lower(): consent(c.lower()) for c in CHANNELS},
    )


@strawberry.type(description="A person at a customer (usually a company).")
class CustomerContact(Node):
    name: str
    email: str | None
    phone: str | None
    job_title: str | None
    department: str | None
    primary: bool = strawberry.field(description="At most one contact of a customer is.")
    created_at: datetime
    updated_at: datetime
    customer_id: Private[int]

    @classmethod
    def from_row(cls, row) -> "CustomerContact":
        return cls(
            pk=row["id"],
            name=row["name"],
            email=row["email"],
            phone=row["phone"],
            job_title=row["job_title"],
            department=row["department"],
            primary=row["is_primary"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            customer_id=row["customer_id"],
        )


# --- inputs ------------------------------------------------------------------------------------


@strawberry.input(description="A whole address; it replaces the one stored.")
class AddressInput:
    line1: str
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, e.g. `DE` (any case).")


@strawberry.input(description="Only the members sent change; null clears one.")
class PaymentPreferencesInput:
    method: PaymentMethod | None = UNSET  # type: ignore[valid-type]
    terms_days: int | None = UNSET
    currency: str | None = UNSET


@strawberry.input(description="The customer's answer for a channel.")
class ChannelConsentInput:
    status: ConsentStatus  # type: ignore[valid-type]
    at: datetime | None = strawberry.field(
        default=None,
        description="When it was given (e.g. from another system); default: now when the "
        "answer changes, else its old time.",
    )


@strawberry.input(description="Only the members sent change; a channel set to null: never asked.")
class CommunicationPreferencesInput:
    do_not_contact: bool | None = UNSET
    preferred_channel: Channel | None = UNSET  # type: ignore[valid-type]
    email: ChannelConsentInput | None = UNSET
    sms: ChannelConsentInput | None = UNSET
    whatsapp: ChannelConsentInput | None = UNSET
    phone: ChannelConsentInput | None = UNSET
    post: ChannelConsentInput | None = UNSET


def _given(obj) -> dict:
    values = {name: getattr(obj, name) for name in obj.__annotations__}
    return {k: v for k, v in values.items() if v is not UNSET}


def _value(item):
    return item.value if isinstance(item, Enum) else item


def standard_changes(obj) -> dict:
    """Core's changes for the standard members of a create or update input that were sent
    (UNSET is absent; a create's defaults are None)."""
    changes = {}
    for key in ("salutation", "job_title", "date_of_birth", "website", "industry"):
        if getattr(obj, key, UNSET) is not UNSET:
            changes[key] = getattr(obj, key)
    payment = getattr(obj, "payment", UNSET)
    if payment is not UNSET:
        changes["payment"] = (
            None if payment is None else {k: _value(v) for k, v in _given(payment).items()}
        )
    communication = getattr(obj, "communication", UNSET)
    if communication is not UNSET:
        changes["communication"] = None
        if communication is not None:
            given = {k: _value(v) for k, v in _given(communication).items()}
            for channel in (c.lower() for c in CHANNELS):
                if isinstance(given.get(channel), ChannelConsentInput):
                    answer = given[channel]
                    given[channel] = {"status": answer.status.value, "at": answer.at}
            changes["communication"] = given
    for key in ("billing_address", "shipping_address"):
        address = getattr(obj, key, UNSET)
        if address is not UNSET:
            changes[key] = None if address is None else _given(address)
    return changes


STANDARD_MEMBERS = {
    "salutation": (str | None, 'E.g. "Dr.", "Ms."; free text.'),
    "job_title": (str | None, "The person's job title."),
    "date_of_birth": (Date | None, "Between 1900-01-01 and today."),
    "website": (str | None, "Stored normalised: `example.com` becomes `https://example.com`."),
    "industry": (str | None, "Free text."),
    "payment": (PaymentPreferencesInput | None, "null clears all payment preferences."),
    "communication": (
        CommunicationPreferencesInput | None,
        "null: no do-not-contact, no preferred channel, no answers.",
    ),
    "billing_address": (AddressInput | None, "Replaces the billing address; null removes it."),
    "shipping_address": (AddressInput | None, "Replaces the shipping address; null removes it."),
}


def with_standard_members(default):
    """Class decorator for a customer input, under `@strawberry.input`: the standard members,
    each defaulting to `default` (None on create, UNSET on update), after its own."""

    def add(cls):
        for key, (kind, text) in STANDARD_MEMBERS.items():
            cls.__annotations__[key] = kind
            setattr(cls, key, strawberry.field(default=default, description=text))
        return cls

    return add
