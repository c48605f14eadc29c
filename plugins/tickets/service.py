"""Ticket writes: validation (everything wrong is reported at once, nothing is written),
permissions, legal status moves and events, inside the caller's transaction.

Every role may open, edit, assign and comment (`tickets.manage`); closing for good takes
`tickets.close` (owner, admin, manager), because a closed ticket can never be reopened. A
ticket is part of its customer's record: writing to it takes a customer the worker may
change (`core.customers.get_customer`), and one they cannot see hides its tickets."""

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, events
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, NotFound, Problem
from core.models import Worker, utcnow
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
    value = (value or "").strip() or None
    if value is None and required:
        problems.append(Problem(("input", field), "This field is required.", "REQUIRED"))
    elif value is not None and len(value) > limit:
        problems.append(Problem(("input", field), f"At most {limit} characters.", "TOO_LONG"))
    return value


def _utc(value: datetime | None) -> datetime | None:
    """A time without an offset is taken as UTC, like every time of the API."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


async def _check_assignee(session, principal, assignee_id, problems: list[Problem]) -> None:
    if assignee_id is None:
        return
    found = await session.scalar(
        select(Worker.id).where(Worker.tenant_id == principal.tenant_id, Worker.id == assignee_id)
    )
    if found is None:
        problems.append(Problem(("input", "assigneeId"), "Worker not found.", "NOT_FOUND"))


async def _next_number(session: AsyncSession, tenant_id: int) -> int:
    """Bumped in one statement (an upsert), which the database serialises per tenant."""
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    table = TicketCounter.__table__
    statement = (
        insert(table)
        .values(tenant_id=tenant_id, last_number=FIRST_NUMBER)
        .on_conflict_do_update(
            index_elements=[table.c.tenant_id], set_={"last_number": table.c.last_number + 1}
        )
        .returning(table.c.last_number)
    )
    return (await session.execute(statement)).scalar_one()


async def get_ticket(session: AsyncSession, principal: Principal, ticket_id: int) -> Ticket:
    """The ticket, locked until the transaction ends so status moves never interleave. Its
    customer must be one the worker may change (a ticket is part of the customer's record);
    one they cannot see makes the ticket unknown."""
    ticket = await session.scalar(
        select(Ticket)
        .where(Ticket.tenant_id == principal.tenant_id, Ticket.id == ticket_id)
        .with_for_update()
    )
    if ticket is None:
        raise NotFound("Ticket")
    try:
        await get_customer(session, principal, ticket.customer_id)
    except NotFound as exc:
        raise NotFound("Ticket") from exc
    return ticket


def _not_closed(ticket: Ticket, field: str) -> None:
    if ticket.status == "CLOSED":
        raise InvalidInput.one(
            ("input", field), f"T-{ticket.number} is closed; closed is final.", "TICKET_CLOSED"
        )


async def _emit(session, principal, ticket: Ticket, name: str, **data) -> None:
    await events.emit(
        session,
        events.Event(
            name,
            principal.tenant_id,
            ticket.customer_id,
            {"ticketId": ticket.id, "number": ticket.number, **data},
            principal.worker_id,
        ),
    )


async def open_ticket(session: AsyncSession, principal: Principal, data: dict) -> Ticket:
    access.require(principal, "tickets.manage")
    customer = await get_customer(session, principal, data["customer_id"])
    problems: list[Problem] = []
    subject = _text(data["subject"], "subject", MAX_SUBJECT, problems, required=True)
    description = _text(data.get("description"), "description", MAX_TEXT, problems)
    await _check_assignee(session, principal, data.get("assignee_id"), problems)
    if problems:
        raise InvalidInput(problems)
    now = utcnow()
    ticket = Ticket(
        tenant_id=principal.tenant_id,
        customer_id=customer.id,
        number=await _next_number(session, principal.tenant_id),
        subject=subject,
        description=description,
        status="OPEN",
        priority=data.get("priority", PRIORITIES.index("NORMAL")),
        assignee_id=data.get("assignee_id"),
        opened_by_id=principal.worker_id,
        due_at=_utc(data.get("due_at")),
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
        values["due_at"] = _utc(changes["due_at"])
    if problems:
        raise InvalidInput(problems)
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
    if problems:
        raise InvalidInput(problems)
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
    if old == status:
        return ticket
    if status not in TRANSITIONS[old]:
        allowed = ", ".join(sorted(TRANSITIONS[old])) or "nothing: it is final"
        raise InvalidInput.one(
            ("input", "status"),
            f"A ticket cannot go from {old} to {status} (from {old}: {allowed}).",
            "INVALID_TRANSITION",
        )
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
    if problems:
        raise InvalidInput(problems)
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
    await session.execute(
        update(Ticket)
        .where(Ticket.tenant_id == tenant_id, Ticket.customer_id == source_id)
        .values(customer_id=target_id)
        .execution_options(synchronize_session=False)
    )
