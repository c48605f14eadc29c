"""The `tickets` field on Customer, the support inbox across customers, and the ticket
mutations."""

from dataclasses import dataclass
from datetime import datetime

import strawberry
from sqlalchemy import union
from strawberry import UNSET

from core import access, keyset, multiread
from plugins.tickets import queries as q
from plugins.tickets import service
from plugins.tickets.models import OPEN_STATUSES, PRIORITIES
from plugins.tickets.types import (
    Ticket,
    TicketComment,
    TicketPriority,
    TicketStatus,
    rank_of,
    ticket_connection,
)
from schema import kit, overview
from schema.compiled.customers import ModuleField
from schema.compiled.module_lists import ModuleList, mapped, worker
from schema.compiled.objects import column, gid
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


OPEN = q.TicketFilter(statuses=OPEN_STATUSES)
LISTS = {"open": (OPEN, q.TRIAGE), "all": (q.TicketFilter(), q.NEWEST)}


def _page_loader(loaders, f: q.TicketFilter, order: q.Order, first, after):
    """The loader of one kind of page (filter, order, arguments), and that page."""
    page = order.request(first, after)

    async def batch(conn, principal, customer_ids):
        return await q.customer_pages(conn, principal, customer_ids, f, order, page)

    return loaders.custom(f"tickets.page:{order.key}:{f}:{first}:{after}", batch), page


def _count_loader(loaders, f: q.TicketFilter):
    async def count(conn, principal, customer_ids):
        return await q.counts(conn, principal, customer_ids, f)

    return loaders.custom(f"tickets.count:{f}", count)


def _summary_loader(loaders):
    return loaders.custom("tickets.summary", q.open_summaries)


@strawberry.type(description="A customer's tickets: what the Tickets tab shows.")
class CustomerTickets:
    customer_id: strawberry.Private[int]

    async def _page(self, info: Info, f: q.TicketFilter, order: q.Order, first, after, count):
        pages, _ = _page_loader(info.context.loaders, f, order, first, after)
        return ticket_connection(await pages.load(self.customer_id), count)

    @strawberry.field(
        description="Open and pending tickets, most urgent first (priority, then due time, "
        "then age); at most 100 a page (default 20)."
    )
    async def open(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Ticket]:
        f, order = LISTS["open"]
        return await self._page(info, f, order, first, after, lambda: self._count(info, "open"))

    @strawberry.field(description="All tickets, newest first; at most 100 a page (default 20).")
    async def all(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: TicketFilter | None = None,
    ) -> Connection[Ticket]:
        f = filter.to_core() if filter else q.TicketFilter()

        def total():
            return _count_loader(info.context.loaders, f).load(self.customer_id)

        return await self._page(info, f, q.NEWEST, first, after, total)

    async def _count(self, info: Info, which: str) -> int:
        summary = await _summary_loader(info.context.loaders).load(self.customer_id)
        return summary[which]

    @strawberry.field(description="Open and pending tickets (the tab's badge).")
    async def open_count(self, info: Info) -> int:
        return await self._count(info, "open")

    @strawberry.field(description="Open and pending tickets past their due time.")
    async def overdue_count(self, info: Info) -> int:
        return await self._count(info, "overdue")


@dataclass(frozen=True)
class Overview:
    """What the selection under `tickets` reads: the open summary, first pages of lists
    without a filter (`(list, first)`), the count of all, the workers of their tickets."""

    summary: bool = False
    pages: frozenset = frozenset()
    count_all: bool = False
    workers: frozenset = frozenset()  # worker columns of the pages' tickets


def _overview(fields) -> Overview | None:
    summary, count_all, pages, workers = False, False, set(), set()
    for field in fields:
        if field.name in ("openCount", "overdueCount"):
            summary = True
        elif field.name in LISTS and field.arguments.get("filter") is None:
            page = overview.first_page(field)
            if page is None:
                continue
            pages.add((field.name, page.first))
            counted = overview.selects(field, "totalCount")
            summary |= counted and field.name == "open"
            count_all |= counted and field.name == "all"
            for name, column in (("assignee", "assignee_id"), ("openedBy", "opened_by_id")):
                if overview.selects(field, name):
                    workers.add(column)
    if not (summary or pages):
        return None
    return Overview(summary, frozenset(pages), count_all, frozenset(workers))


async def _read(conn, ctx, customer_ids: list[int], want: Overview) -> None:
    """All of `want` for these customers in one statement, into the loaders' caches."""
    principal, loaders = ctx.principal, ctx.loaders
    parts = {}
    if want.summary:
        parts["summary"] = q.open_summaries_query(principal, customer_ids)
    if want.count_all:
        parts["count"] = q.ticket_counts_query(principal, customer_ids, LISTS["all"][0])
    pages = {}
    for which, first in want.pages:
        f, order = LISTS[which]
        pages[which, first] = _page_loader(loaders, f, order, first, None)
        parts[which, first] = q.customer_pages_query(
            principal, customer_ids, f, order, pages[which, first][1]
        )
    if want.workers:  # those of all the lists' tickets: a few more than the pages show
        lists = {LISTS[which][0] for which, _ in want.pages}
        shown = [(f, column) for f in lists for column in want.workers]
        ids = union(*(q.worker_ids(principal, customer_ids, *what) for what in shown))
        parts["workers"] = overview.workers_among(principal.tenant_id, ids)
    found = dict(zip(parts, await multiread.read(conn, list(parts.values())), strict=True))
    if want.summary:
        rows = [tuple(row.values()) for row in found["summary"]]
        for customer_id, summary in zip(
            customer_ids, q.summaries_of(rows, customer_ids), strict=True
        ):
            _summary_loader(loaders).prime(customer_id, summary)
    if want.count_all:
        counts = overview.by_customer(found["count"])
        for customer_id in customer_ids:
            _count_loader(loaders, LISTS["all"][0]).prime(customer_id, counts.get(customer_id, 0))
    for key, (pages_loader, page) in pages.items():
        order = LISTS[key[0]][1]
        made = keyset.pages_of(found[key], "customer_id", customer_ids, order, page)
        for customer_id, made_page in zip(customer_ids, made, strict=True):
            pages_loader.prime(customer_id, made_page)
    overview.prime_workers(ctx, found.get("workers", []))


async def customer_tickets(root: Customer, info: Info) -> CustomerTickets:
    access.require(info.context.principal, "tickets.view")
    want = overview.plan(info, "tickets", _overview)
    if want is not None:
        await overview.read_once(info, "tickets", root.pk, want, _read)
    return CustomerTickets(customer_id=root.pk)


SUMMARY_FIELDS = {"openCount": ("open", "int", "0"), "overdueCount": ("overdue", "int", "0")}
TICKET = {
    "id": gid("Ticket"),
    "number": column("number", "int"),
    "reference": lambda scope, f, row: f"'T-' || {row}.number",
    "subject": column("subject"),
    "description": column("description"),
    "status": column("status", enum=TicketStatus),
    "priority": mapped("priority", dict(enumerate(PRIORITIES))),
    "dueAt": column("due_at", "ts"),
    "createdAt": column("created_at", "ts"),
    "updatedAt": column("updated_at", "ts"),
    "resolvedAt": column("resolved_at", "ts"),
    "closedAt": column("closed_at", "ts"),
    "overdue": column("overdue__", "bool"),
    "assignee": worker("assignee_id"),
    "openedBy": worker("opened_by_id"),
}
OPEN_LIST = ModuleList(
    q.T,
    lambda principal: [q.T.c.tenant_id == principal.tenant_id, *OPEN.conditions()],
    TICKET,
    order=q.TRIAGE,
    columns=lambda principal: {"overdue__": q.overdue()},
    counted=True,
)


def compiled_tickets(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`tickets { openCount overdueCount open(first:, after:) }` in the compiled path
    (`schema/compiled`): the summary select the look-ahead read runs, per page, and the
    open list (`schema.compiled.module_lists`)."""
    lists = {"open": OPEN_LIST}
    if not access.can(principal, "tickets.view") or not set(names) <= {*SUMMARY_FIELDS, *lists}:
        return None
    return ModuleField(
        q.open_summaries_query, SUMMARY_FIELDS, {k: lists[k] for k in names if k in lists}
    )


async def support_inbox(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    filter: TicketFilter | None = None,
) -> Connection[Ticket]:
    principal = info.context.principal
    access.require(principal, "tickets.view")
    f = filter.to_core(OPEN_STATUSES) if filter else q.TicketFilter(statuses=OPEN_STATUSES)
    query = keyset.visible(q.T, principal, *f.conditions())
    return await kit.tenant_list(info, query, q.TRIAGE, first, after, Ticket.from_row)


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
