"""The `tickets` field on Customer, the support inbox across customers, and the ticket
mutations."""

from datetime import datetime

import strawberry
from strawberry import UNSET

from core import access
from core.pagination import PageRequest
from plugins.tickets import queries as q
from plugins.tickets import service
from plugins.tickets.models import OPEN_STATUSES
from plugins.tickets.types import (
    Ticket,
    TicketComment,
    TicketPriority,
    TicketStatus,
    loader,
    rank_of,
    ticket_connection,
)
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id
from schema.payloads import UserError, as_row, mutate, payload
from schema.relay import Connection


@strawberry.input(description="Conditions on tickets; all given ones must hold.")
class TicketFilter:
    statuses: list[TicketStatus] | None = strawberry.field(
        default=None, description="Any of these; an empty list matches nothing."
    )
    priorities: list[TicketPriority] | None = strawberry.field(
        default=None, description="Any of these; an empty list matches nothing."
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="Assigned to this worker; null: assigned to nobody."
    )
    overdue: bool | None = strawberry.field(
        default=None, description="true: open or pending and past due; false: the others."
    )

    def to_core(self, statuses: tuple[str, ...] | None = None) -> q.TicketFilter:
        if self.statuses is not None:
            statuses = tuple(s.value for s in self.statuses)
        assigned = self.assignee_id not in (UNSET, None)
        return q.TicketFilter(
            statuses=statuses,
            priorities=None
            if self.priorities is None
            else tuple(rank_of(p) for p in self.priorities),
            assignee_id=from_global_id(self.assignee_id, "Worker") if assigned else None,
            unassigned=self.assignee_id is None,
            overdue=self.overdue,
        )


def _page_request(first: int | None, after: str | None, order: q.Order) -> PageRequest:
    page = PageRequest(first, after).validated()
    if after is not None:
        order.decode(after)
    return page


@strawberry.type(description="A customer's tickets: what the Tickets tab shows.")
class CustomerTickets:
    customer_id: strawberry.Private[int]

    async def _page(self, info: Info, f: q.TicketFilter, order: q.Order, first, after, count):
        page = _page_request(first, after, order)

        async def batch(conn, principal, customer_ids):
            return await q.customer_pages(conn, principal, customer_ids, f, order, page)

        key = f"page:{order.key}:{f}:{first}:{after}"
        result = await loader(info, key, batch).load(self.customer_id)
        return ticket_connection(result, count)

    @strawberry.field(
        description="Open and pending tickets, most urgent first (priority, then due time, "
        "then age); at most 100 a page (default 20)."
    )
    async def open(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Ticket]:
        f = q.TicketFilter(statuses=OPEN_STATUSES)
        return await self._page(info, f, q.TRIAGE, first, after, lambda: self._count(info, "open"))

    @strawberry.field(description="All tickets, newest first; at most 100 a page (default 20).")
    async def all(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: TicketFilter | None = None,
    ) -> Connection[Ticket]:
        f = filter.to_core() if filter else q.TicketFilter()

        async def count(conn, principal, customer_ids):
            return await q.counts(conn, principal, customer_ids, f)

        def total():
            return loader(info, f"count:{f}", count).load(self.customer_id)

        return await self._page(info, f, q.NEWEST, first, after, total)

    async def _count(self, info: Info, which: str) -> int:
        summary = await loader(info, "summary", q.open_summaries).load(self.customer_id)
        return summary[which]

    @strawberry.field(description="Open and pending tickets (the tab's badge).")
    async def open_count(self, info: Info) -> int:
        return await self._count(info, "open")

    @strawberry.field(description="Open and pending tickets past their due time.")
    async def overdue_count(self, info: Info) -> int:
        return await self._count(info, "overdue")


def customer_tickets(root: Customer, info: Info) -> CustomerTickets:
    access.require(info.context.principal, "tickets.view")
    return CustomerTickets(customer_id=root.pk)


async def support_inbox(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: TicketFilter | None = None,
) -> Connection[Ticket]:
    ctx = info.context
    principal = ctx.principal
    access.require(principal, "tickets.view")
    f = filter.to_core(OPEN_STATUSES) if filter else q.TicketFilter(statuses=OPEN_STATUSES)
    page = _page_request(first, after, q.TRIAGE)
    async with ctx.read() as conn:
        result = await q.inbox_page(conn, principal, f, page)

    async def count() -> int:
        async with ctx.read() as conn:
            return await q.inbox_count(conn, principal, f)

    return ticket_connection(result, count)


# --- mutations -------------------------------------------------------------------------------

TicketPayload = payload(Ticket, "ticket")


@strawberry.type(description="The comment and its ticket as written, or why nothing was.")
class CommentOnTicketPayload:
    comment: TicketComment | None
    ticket: Ticket | None
    user_errors: list[UserError]


@strawberry.input(description="A new ticket; it starts OPEN.")
class OpenTicketInput:
    customer_id: strawberry.ID
    subject: str = strawberry.field(description="Required, at most 200 characters.")
    description: str | None = None
    priority: TicketPriority = TicketPriority.NORMAL
    due_at: datetime | None = None
    assignee_id: strawberry.ID | None = None


@strawberry.input(description="Only the members sent change; null clears description/dueAt.")
class UpdateTicketInput:
    id: strawberry.ID
    subject: str | None = UNSET
    description: str | None = UNSET
    priority: TicketPriority | None = UNSET
    due_at: datetime | None = UNSET


@strawberry.input
class AssignTicketInput:
    id: strawberry.ID
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="A worker of the business; null: nobody."
    )


@strawberry.input(
    description="Moves: OPEN <-> PENDING, OPEN or PENDING -> RESOLVED, RESOLVED -> OPEN "
    "(reopen) or CLOSED (final; needs `tickets.close`: owner, admin, manager)."
)
class SetTicketStatusInput:
    id: strawberry.ID
    status: TicketStatus


@strawberry.input
class CommentOnTicketInput:
    ticket_id: strawberry.ID
    body: str = strawberry.field(description="Required, at most 10,000 characters.")
    internal: bool = strawberry.field(default=False, description="A note for the team.")


def _worker_id(value: strawberry.ID | None) -> int | None:
    return None if value is None else from_global_id(value, "Worker")


def _ticket_id(value: strawberry.ID) -> int:
    return from_global_id(value, "Ticket")


def _ticket(result, errors):
    return TicketPayload(
        ticket=Ticket.from_row(as_row(result)) if result else None, user_errors=errors
    )


async def open_ticket(info: Info, input: OpenTicketInput) -> TicketPayload:
    data = {
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "subject": input.subject,
        "description": input.description,
        "priority": rank_of(input.priority),
        "due_at": input.due_at,
        "assignee_id": _worker_id(input.assignee_id),
    }
    return _ticket(*await mutate(info, lambda s, p: service.open_ticket(s, p, data), "customerId"))


async def update_ticket(info: Info, input: UpdateTicketInput) -> TicketPayload:
    changes = {
        key: getattr(input, key)
        for key in ("subject", "description", "due_at")
        if getattr(input, key) is not UNSET
    }
    if input.priority is not UNSET:
        changes["priority"] = None if input.priority is None else rank_of(input.priority)
    ticket_id = _ticket_id(input.id)
    return _ticket(
        *await mutate(info, lambda s, p: service.update_ticket(s, p, ticket_id, changes))
    )


async def assign_ticket(info: Info, input: AssignTicketInput) -> TicketPayload:
    ticket_id, worker_id = _ticket_id(input.id), _worker_id(input.assignee_id)
    return _ticket(
        *await mutate(info, lambda s, p: service.assign_ticket(s, p, ticket_id, worker_id))
    )


async def set_ticket_status(info: Info, input: SetTicketStatusInput) -> TicketPayload:
    ticket_id, status = _ticket_id(input.id), input.status.value
    return _ticket(*await mutate(info, lambda s, p: service.set_status(s, p, ticket_id, status)))


async def comment_on_ticket(info: Info, input: CommentOnTicketInput) -> CommentOnTicketPayload:
    ticket_id = _ticket_id(input.ticket_id)

    def work(session, principal):
        return service.comment_on_ticket(session, principal, ticket_id, input.body, input.internal)

    result, errors = await mutate(info, work, "ticketId")
    comment, ticket = result or (None, None)
    return CommentOnTicketPayload(
        comment=TicketComment.from_row(as_row(comment)) if comment else None,
        ticket=Ticket.from_row(as_row(ticket)) if ticket else None,
        user_errors=errors,
    )


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_tickets,
        name="tickets",
        description="Tickets module: the customer's support cases.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=support_inbox,
        name="tickets",
        description="The support inbox: tickets of every customer you see, most urgent first "
        "(priority, then due time, then age). Without `filter.statuses` only OPEN and PENDING.",
    )
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=open_ticket, description="Open a ticket for a customer."),
    strawberry.mutation(
        resolver=update_ticket,
        description="Change a ticket's subject, description, priority "
        "or due time (not once it is closed).",
    ),
    strawberry.mutation(
        resolver=assign_ticket, description="Give a ticket to a worker, or to nobody."
    ),
    strawberry.mutation(resolver=set_ticket_status, description="Move a ticket to another status."),
    strawberry.mutation(
        resolver=comment_on_ticket, description="Add to a ticket's thread (not once it is closed)."
    ),
]
