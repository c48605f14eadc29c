"""Tickets and comments as GraphQL types. Whatever hangs off a ticket (its customer, its
workers, its comments) loads through per-request loaders, so a list costs the same per page
whatever its length."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Private

from core.models import utcnow
from plugins.tickets import queries as q
from plugins.tickets.models import OPEN_STATUSES, PRIORITIES
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.relay import Connection, Node, connection
from schema.team.types import Worker


@strawberry.enum(
    description="Where a ticket stands. OPEN and PENDING (waiting on the customer) count as "
    "open; RESOLVED may be reopened or closed; CLOSED is final."
)
class TicketStatus(Enum):
    OPEN = "OPEN"
    PENDING = "PENDING"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


@strawberry.enum(description="How urgent a ticket is; the support queue sorts on it.")
class TicketPriority(Enum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


def rank_of(priority: TicketPriority) -> int:
    return PRIORITIES.index(priority.value)


def loader(info: Info, key: str, batch):
    return kit.loader(info, f"tickets.{key}", batch)


@strawberry.type(description="A message in a ticket's thread.")
class TicketComment(Node):
    body: str
    internal: bool = strawberry.field(description="A note for the team, not the customer's.")
    created_at: datetime
    author_id: Private[int | None]
    ticket_id: Private[int]

    @classmethod
    def from_row(cls, row) -> "TicketComment":
        return kit.from_row(cls, row)

    @strawberry.field(description="Who wrote it; null once that worker is removed.")
    async def author(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.author_id)

    @strawberry.field
    async def ticket(self, info: Info) -> "Ticket | None":
        return await load_ticket(info, self.ticket_id)


@strawberry.type(description="A support case of a customer, with its comment thread.")
class Ticket(Node):
    number: int = strawberry.field(description="Per business, counting up from 1001.")
    subject: str
    description: str | None
    status: TicketStatus
    priority: TicketPriority
    due_at: datetime | None = strawberry.field(description="When it should be resolved by.")
    created_at: datetime
    updated_at: datetime = strawberry.field(description="Last change or comment.")
    resolved_at: datetime | None = strawberry.field(description="Set while RESOLVED or CLOSED.")
    closed_at: datetime | None
    customer_id: Private[int]
    assignee_id: Private[int | None]
    opened_by_id: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "Ticket":
        return kit.from_row(cls, row, priority=TicketPriority(PRIORITIES[row["priority"]]))

    @strawberry.field(description='What people quote: "T-1042".')
    def reference(self) -> str:
        return f"T-{self.number}"

    @strawberry.field(description="Open or pending and past its due time.")
    def overdue(self) -> bool:
        return (
            self.status.value in OPEN_STATUSES
            and self.due_at is not None
            and self.due_at < utcnow()
        )

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)

    @strawberry.field(description="The worker handling it; null: nobody yet.")
    async def assignee(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.assignee_id)

    @strawberry.field(description="Who opened it; null once that worker is removed.")
    async def opened_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.opened_by_id)

    @strawberry.field(description="The thread, oldest first; at most 100 a page (default 20).")
    async def comments(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[TicketComment]:
        page = q.OLDEST.request(first, after)

        async def batch(conn, principal, ticket_ids):
            return await q.comment_pages(conn, principal, ticket_ids, page)

        result = await loader(info, f"comments:{first}:{after}", batch).load(self.pk)

        def count():
            return loader(info, "comment_count", q.comment_counts).load(self.pk)

        return connection(result, [TicketComment.from_row(r) for r in result.rows], count)


load_ticket = kit.node_loader(q.T, Ticket)


async def load_comment(info: Info, pk: int) -> TicketComment | None:
    row = await loader(info, "comment_by_id", q.comments_by_ids).load(pk)
    return TicketComment.from_row(row) if row else None


def ticket_connection(page, count) -> Connection[Ticket]:
    return connection(page, [Ticket.from_row(r) for r in page.rows], count)
