"""The people at a customer (its contacts): name, email, phone, job title, department, and at
most one primary. Any customer may have them, though they are meant for companies (a
customer whose name is the company); a person's assistant or guardian fits as well.

A contact is part of its customer's record: reading one takes a customer the worker may
see, changing one a customer they may change, and every change bumps the customer's
`version` and `updated_at`. Writes lock the customer row first (`get_customer`), so two
requests making different contacts primary run one after the other; the unique partial
index `uq_customer_contacts_primary` holds "at most one" against any other writer.

Search: the contacts' names, emails and phones are the customer's `contact_search_text`,
rewritten on every contact write and appended to `search_text`, so searching a contact's
name finds the customer through the same trigram index as any other term."""

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.catalog import clean_text
from core.contacts import EMAIL_RE, MAX_EMAIL, PHONE_RE, digits, people_text
from core.customers import _flush, _refresh_search, _touch, get_customer
from core.errors import InvalidInput, Problem, camel
from core.models import Customer, CustomerContact, utcnow

MAX_CONTACTS = 100
LIMITS = {"name": 200, "job_title": 200, "department": 100}
FIELDS = ("name", "email", "phone", "job_title", "department")


def ref(contact: CustomerContact | None) -> dict | None:
    """How events name a contact: its id and its name at the time."""
    return None if contact is None else {"id": contact.id, "name": contact.name}


def clean(data: dict, problems: list[Problem], creating: bool) -> dict:
    """The contact's columns among `data`, checked; `name` is required on creation."""
    values = {}
    for key, limit in LIMITS.items():
        if key in data or (creating and key == "name"):
            values[key] = clean_text(
                data.get(key), ("input", camel(key)), limit, problems, required=key == "name"
            )
    if "email" in data:
        email = clean_text(data["email"], ("input", "email"), MAX_EMAIL, problems)
        email = email.lower() if email else None
        if email and not EMAIL_RE.match(email):
            problems.append(
                Problem(("input", "email"), f"'{email}' is not an email address.", "INVALID")
            )
        values["email"] = email
    if "phone" in data:
        phone = clean_text(data["phone"], ("input", "phone"), 40, problems)
        if phone and (not PHONE_RE.match(phone) or len(digits(phone)) < 3):
            problems.append(
                Problem(("input", "phone"), f"'{phone}' is not a phone number.", "INVALID")
            )
        values["phone"] = phone
    return values


async def _contacts(session: AsyncSession, customer_id: int) -> list[CustomerContact]:
    rows = await session.scalars(
        select(CustomerContact)
        .where(CustomerContact.customer_id == customer_id)
        .order_by(CustomerContact.position, CustomerContact.id)
    )
    return list(rows)


async def refresh(session: AsyncSession, customer: Customer) -> None:
    """After a contact write: the customer's search text, version and `updated_at`."""
    people = [
        {"name": c.name, "email": c.email, "phone": c.phone}
        for c in await _contacts(session, customer.id)
    ]
    customer.contact_search_text = people_text(people)
    _refresh_search(customer)
    _touch([customer])
    await _flush(session)


async def _primary(session: AsyncSession, customer_id: int) -> CustomerContact | None:
    return await session.scalar(
        select(CustomerContact).where(
            CustomerContact.customer_id == customer_id, CustomerContact.is_primary
        )
    )


async def _make_primary(
    session: AsyncSession, principal: Principal, customer: Customer, contact: CustomerContact
) -> None:
    """`contact` becomes the only primary (the old one loses it in its own statement first,
    so the unique index never sees two)."""
    before = await _primary(session, customer.id)
    if before is not None and before.id == contact.id:
        return
    if before is not None:
        before.is_primary = False
        await session.flush()
    contact.is_primary = True
    await session.flush()
    await _emit(
        session,
        principal,
        customer,
        "customer.primary_contact_changed",
        **{"from": ref(before), "to": ref(contact)},
    )


async def _emit(session, principal: Principal, customer: Customer, name: str, **data) -> None:
    await records.emit(session, principal, name, customer.id, **data)


async def add_contact(
    session: AsyncSession, principal: Principal, customer_id: int, data: dict
) -> tuple[CustomerContact, Customer]:
    """`data["primary"]`: True makes it the primary contact, False not; None (not said):
    primary when the customer has none yet."""
    access.require(principal, "customers.edit")
    customer = await get_customer(session, principal, customer_id)
    problems: list[Problem] = []
    values = clean(data, problems, creating=True)
    records.fail_if(problems)
    count, last = (
        await session.execute(
            select(func.count(), func.max(CustomerContact.position)).where(
                CustomerContact.customer_id == customer.id
            )
        )
    ).one()
    if count >= MAX_CONTACTS:
        raise InvalidInput.one(
            ("input", "customerId"), f"At most {MAX_CONTACTS} contacts per customer.", "TOO_MANY"
        )
    now = utcnow()
    contact = CustomerContact(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        is_primary=False,
        position=(last or 0) + 1 if count else 0,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(contact)
    await session.flush()
    primary = data.get("primary")
    await _emit(session, principal, customer, "customer.contact_added", contact=ref(contact))
    if primary or (primary is None and await _primary(session, customer.id) is None):
        await _make_primary(session, principal, customer, contact)
    await refresh(session, customer)
    return contact, customer


async def _for_update(session, principal: Principal, contact_id: int):
    access.require(principal, "customers.edit")
    contact = await records.for_update(session, principal, CustomerContact, contact_id, "Contact")
    customer = await get_customer(session, principal, contact.customer_id)
    return contact, customer


async def update_contact(
    session: AsyncSession, principal: Principal, contact_id: int, changes: dict
) -> tuple[CustomerContact, Customer]:
    """`changes` holds only what was sent; `primary` True / False makes it or unmakes it."""
    contact, customer = await _for_update(session, principal, contact_id)
    problems: list[Problem] = []
    values = clean(changes, problems, creating=False)
    records.fail_if(problems)
    changed = sorted(key for key, value in values.items() if getattr(contact, key) != value)
    for key in changed:
        setattr(contact, key, values[key])
    if changed:
        contact.updated_at = utcnow()
        await session.flush()
        await _emit(
            session,
            principal,
            customer,
            "customer.contact_updated",
            contact=ref(contact),
            changed=changed,
        )
    if changes.get("primary") is True:
        await _make_primary(session, principal, customer, contact)
    elif changes.get("primary") is False and contact.is_primary:
        contact.is_primary = False
        await session.flush()
        await _emit(
            session,
            principal,
            customer,
            "customer.primary_contact_changed",
            **{"from": ref(contact), "to": None},
        )
    await refresh(session, customer)
    return contact, customer


async def set_primary_contact(
    session: AsyncSession, principal: Principal, contact_id: int
) -> tuple[CustomerContact, Customer]:
    return await update_contact(session, principal, contact_id, {"primary": True})


async def remove_contact(session: AsyncSession, principal: Principal, contact_id: int) -> Customer:
    """The customer keeps no primary when its primary contact goes (`setPrimaryContact`
    picks the next one: which one is a person's call)."""
    contact, customer = await _for_update(session, principal, contact_id)
    await _emit(session, principal, customer, "customer.contact_removed", contact=ref(contact))
    if contact.is_primary:
        await _emit(
            session,
            principal,
            customer,
            "customer.primary_contact_changed",
            **{"from": ref(contact), "to": None},
        )
    await session.delete(contact)
    await session.flush()
    await refresh(session, customer)
    return customer


async def move_contacts(session: AsyncSession, source: Customer, target: Customer) -> None:
    """A merge: the source's contacts join the target's after them; the target keeps its
    primary, or takes the source's when it has none."""
    last = await session.scalar(
        select(func.max(CustomerContact.position)).where(CustomerContact.customer_id == target.id)
    )
    if await _primary(session, target.id) is not None:
        await session.execute(
            update(CustomerContact)
            .where(CustomerContact.customer_id == source.id)
            .values(is_primary=False)
            .execution_options(synchronize_session=False)
        )
    await session.execute(
        update(CustomerContact)
        .where(CustomerContact.customer_id == source.id)
        .values(customer_id=target.id, position=CustomerContact.position + (last or 0) + 1)
        .execution_options(synchronize_session=False)
    )
    people = await session.execute(
        select(CustomerContact.name, CustomerContact.email, CustomerContact.phone)
        .where(CustomerContact.customer_id == target.id)
        .order_by(CustomerContact.position, CustomerContact.id)
    )
    target.contact_search_text = people_text(dict(row._mapping) for row in people)
