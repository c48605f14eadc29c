"""Ticket writes: validation (everything wrong is reported at once, nothing is written),
permissions, legal status moves and events, inside the caller's transaction.

Every role may open, edit, assign and comment (`tickets.manage`); closing for good takes
`tickets.close` (owner, admin, manager), because a closed ticket can never be reopened. A
ticket is part of its customer's record: writing to it takes a customer the worker may
change (`core.customers.get_customer`), and one they cannot see hides its tickets."""

from sqlalchemy.ext.asyncio import AsyncSession

from core import access, records
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, Problem
from core.models import utcnow
from plugins.tickets.models import (
    FIRST_NUMBER,
    PRIORITIES,
    TRANSITIONS,
    Ticket,
    TicketComment,
    TicketCounter,
)

MAX_SUBJECT = 200
MAX_TEXT = 10_000


def _text(value, field: str, limit: int, problems: list[Problem], required=False) -> str | None:
    return records.clean_text(value, ("input", field), limit, problems, required)


async def _check_assignee(session, principal, assignee_id, problems: list[Problem]) -> None:
    await records.check_worker(session, principal.tenant_id, assignee_id, "assigneeId", problems)


async def get_ticket(session: AsyncSession, principal: Principal, ticket_id: int) -> Ticket:
    return await records.for_update(session, principal, Ticket, ticket_id, "Ticket")


def _not_closed(ticket: Ticket, field: str) -> None:
    if ticket.status == "CLOSED":
        raise InvalidInput.one(
            ("input", field), f"T-{ticket.number} is closed; closed is final.", "TICKET_CLOSED"
        )


async def _emit(session, principal, ticket: Ticket, name: str, **data) -> None:
    await records.emit(
        session,
        principal,
        name,
        ticket.customer_id,
        ticketId=ticket.id,
        number=ticket.number,
        **data,
    )


async def open_ticket(session: AsyncSession, principal: Principal, data: dict) -> Ticket:
    access.require(principal, "tickets.manage")
    customer = await get_customer(session, principal, data["customer_id"])
    problems: list[Problem] = []
    subject = _text(data["subject"], "subject", MAX_SUBJECT, problems, required=True)
    description = _text(data.get("description"), "description", MAX_TEXT, problems)
    await _check_assignee(session, principal, data.get("assignee_id"), problems)
    records.fail_if(problems)
    now = utcnow()
    ticket = Ticket(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        number=await records.next_number(session, TicketCounter, principal.tenant_id, FIRST_NUMBER),
        subject=subject,
        description=description,
        status="OPEN",
        priority=data.get("priority", PRIORITIES.index("NORMAL")),
        assignee_id=data.get("assignee_id"),
        opened_by_id=principal.worker_id,
        due_at=records.utc(data.get("due_at")),
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    await session.flush()
    await _emit(session, principal, ticket, "ticket.opened", assigneeId=ticket.assignee_id)
    return ticket


async def update_ticket(
    session: AsyncSession, principal: Principal, ticket_id: int, changes: dict
) -> Ticket:
    """Only the keys of `changes` change; None clears the description or the due time."""
    access.require(principal, "tickets.manage")
    ticket = await get_ticket(session, principal, ticket_id)
    _not_closed(ticket, "id")
    problems: list[Problem] = []
    values = {}
    if "subject" in changes:
        values["subject"] = _text(changes["subject"], "subject", MAX_SUBJECT, problems, True)
    if "description" in changes:
        values["description"] = _text(changes["description"], "description", MAX_TEXT, problems)
    if "priority" in changes:
        if changes["priority"] is None:
            problems.append(Problem(("input", "priority"), "Give a priority.", "REQUIRED"))
        values["priority"] = changes["priority"]
    if "due_at" in changes:
        values["due_at"] = records.utc(changes["due_at"])
    records.fail_if(problems)
    changed = [key for key, value in values.items() if getattr(ticket, key) != value]
    for key in changed:
        setattr(ticket, key, values[key])
    if changed:
        ticket.updated_at = utcnow()
        await session.flush()
        await _emit(session, principal, ticket, "ticket.updated", fields=changed)
    return ticket


async def assign_ticket(
    session: AsyncSession, principal: Principal, ticket_id: int, assignee_id: int | None
) -> Ticket:
    access.require(principal, "tickets.manage")
    ticket = await get_ticket(session, principal, ticket_id)
    _not_closed(ticket, "id")
    problems: list[Problem] = []
    await _check_assignee(session, principal, assignee_id, problems)
    records.fail_if(problems)
    if ticket.assignee_id != assignee_id:
        previous, ticket.assignee_id = ticket.assignee_id, assignee_id
        ticket.updated_at = utcnow()
        await session.flush()
        await _emit(
            session,
            principal,
            ticket,
            "ticket.assigned",
            assigneeId=assignee_id,
            previousAssigneeId=previous,
        )
    return ticket


async def set_status(
    session: AsyncSession, principal: Principal, ticket_id: int, status: str
) -> Ticket:
    """A legal move, or `INVALID_TRANSITION` naming both ends; the current status is a no-op.
    Every move emits `ticket.status_changed`; reaching RESOLVED emits `ticket.resolved` too."""
    access.require(principal, "tickets.manage")
    if status == "CLOSED":
        access.require(principal, "tickets.close")
    ticket = await get_ticket(session, principal, ticket_id)
    old = ticket.status
    if not TRANSITIONS.check(old, status):
        return ticket
    now = utcnow()
    ticket.status = status
    ticket.updated_at = now
    if status == "RESOLVED":
        ticket.resolved_at = now
    elif status == "CLOSED":
        ticket.closed_at = now
    else:
        ticket.resolved_at = None
    await session.flush()
    await _emit(session, principal, ticket, "ticket.status_changed", **{"from": old, "to": status})
    if status == "RESOLVED":
        await _emit(session, principal, ticket, "ticket.resolved")
    return ticket


async def comment_on_ticket(
    session: AsyncSession, principal: Principal, ticket_id: int, body: str, internal: bool
) -> tuple[TicketComment, Ticket]:
    access.require(principal, "tickets.manage")
    ticket = await get_ticket(session, principal, ticket_id)
    _not_closed(ticket, "ticketId")
    problems: list[Problem] = []
    body = _text(body, "body", MAX_TEXT, problems, required=True)
    records.fail_if(problems)
    now = utcnow()
    comment = TicketComment(
        tenant_id=principal.tenant_id,
        ticket_id=ticket.id,
        author_id=principal.worker_id,
        body=body,
        internal=internal,
        created_at=now,
    )
    session.add(comment)
    ticket.updated_at = now
    await session.flush()
    await _emit(
        session, principal, ticket, "ticket.commented", commentId=comment.id, internal=internal
    )
    return comment, ticket


async def move_tickets(session: AsyncSession, tenant_id: int, source_id: int, target_id: int):
    """Merging customers: the tickets (and so their threads) follow; numbers stay."""
    await records.move_to_customer(session, tenant_id, source_id, target_id, Ticket)
