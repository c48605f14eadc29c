"""Unmatched inbound messages: a sender no customer's email or phone matched (or several
did) leaves the message on no customer, in the inbox `unmatchedCommunications` of workers
holding `communications.triage`. Assigning it (to a customer, or to a new lead made from
the sender) moves it, and its attachments, onto that customer's history and announces it as
a received message there (`communication.received` with `assignedBy`), so rules and badges
react as for one matched on arrival.

Race-safe and idempotent: the target customer is locked first (the one lock order), then
the message row; a message already on a customer is COMMUNICATION_ALREADY_ASSIGNED, unless
it is on that very customer (a retry: nothing changes, nothing is announced again). Of two
concurrent assigns exactly one moves it. A lead is made before the message is locked, and
the whole write rolls back when the message was taken meanwhile: no stray lead."""

from sqlalchemy import func, select

from core import access, events
from core.auth import Principal
from core.customers import create_customer, get_customer
from core.errors import InvalidInput, NotFound
from core.models import Customer, utcnow
from plugins.communications import attachments
from plugins.communications.models import Message

PERMISSION = "communications.triage"
A = attachments.A


async def _locked(session, principal: Principal, message_id: int) -> Message:
    message = await session.scalar(
        select(Message)
        .where(
            Message.tenant_id == principal.tenant_id,
            Message.id == message_id,
            Message.direction == "INBOUND",
        )
        .with_for_update()
        .execution_options(populate_existing=True)  # not the copy read before the lock
    )
    if message is None:
        raise NotFound("Communication")
    return message


async def _move(session, principal: Principal, message: Message, customer_id: int) -> Message:
    if message.customer_id == customer_id:
        return message
    if message.customer_id is not None:
        seen = await session.scalar(
            select(Customer.id).where(
                Customer.id == message.customer_id, access.visible_customers(principal)
            )
        )
        if seen is None:  # on a customer hidden from this worker: as if unknown
            raise NotFound("Communication")
        raise InvalidInput.one(
            ("input", "id"),
            "The message is already on a customer.",
            "COMMUNICATION_ALREADY_ASSIGNED",
        )
    message.customer_id, message.updated_at = customer_id, utcnow()
    await session.flush()
    await attachments.follow(session, principal.tenant_id, message.id, customer_id)
    files = await session.scalar(
        select(func.count()).select_from(A).where(A.c.message_id == message.id)
    )
    data = {
        "messageId": message.id,
        "channel": message.channel,
        "status": message.status,
        "matched": True,
        "assignedBy": principal.worker_id,
        "attachments": files,
    }
    event = events.Event(
        "communication.received", principal.tenant_id, customer_id, data, principal.worker_id
    )
    await events.emit(session, event)
    return message


async def assign(session, principal: Principal, message_id: int, customer_id: int) -> Message:
    """Onto a customer the worker may change."""
    access.require(principal, PERMISSION)
    customer = await get_customer(session, principal, customer_id)
    return await _move(
        session, principal, await _locked(session, principal, message_id), customer.id
    )


async def create_lead(session, principal: Principal, message_id: int, name: str | None):
    """A new lead with the sender's address (and `name`, else the address), then assign."""
    access.require(principal, PERMISSION)
    found = await session.scalar(
        select(Message).where(
            Message.tenant_id == principal.tenant_id,
            Message.id == message_id,
            Message.direction == "INBOUND",
        )
    )
    if found is None:
        raise NotFound("Communication")
    if found.customer_id is not None:  # settled already: say so before making anyone
        return await _move(session, principal, await _locked(session, principal, message_id), -1)
    sender = found.from_address or ""
    contact = [{"value": sender}] if sender else []
    data = {
        "name": (name or "").strip() or sender.split("@")[0] or "Unknown sender",
        "kind": "LEAD",
        "emails" if found.channel == "EMAIL" else "phones": contact,
    }
    customer = await create_customer(session, principal, data)
    return await _move(
        session, principal, await _locked(session, principal, message_id), customer.id
    )
