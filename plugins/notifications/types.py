"""The Notification type. Its customer loads through the request's customer loader under the
visibility rule, so a page of notifications costs the same whatever its length, and a
customer the reader no longer sees shows as null."""

from datetime import datetime
from enum import Enum

import strawberry
from sqlalchemy import select
from strawberry import Private

from core import keyset
from plugins.notifications import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.relay import Node


@strawberry.enum(description="What a notification is about.")
class NotificationKind(Enum):
    MENTION = "MENTION"
    ASSIGNED_CUSTOMER = "ASSIGNED_CUSTOMER"
    ASSIGNED_MISSION = "ASSIGNED_MISSION"
    RULE = "RULE"
    SYSTEM = "SYSTEM"


@strawberry.type(description="One entry of your notification feed; only you see it.")
class Notification(Node):
    kind: NotificationKind
    title: str
    body: str | None
    created_at: datetime
    read_at: datetime | None = strawberry.field(description="Null: unread.")
    customer_id: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "Notification":
        return kit.from_row(cls, row)

    @strawberry.field(
        description="The customer it is about; null for none or one you no longer see."
    )
    async def customer(self, info: Info) -> Customer | None:
        return None if self.customer_id is None else await kit.customer(info, self.customer_id)


@strawberry.type(description="Whether you get notifications of a kind.")
class NotificationPreference:
    kind: NotificationKind
    enabled: bool


async def _own(conn, principal, ids):
    query = select(*q.N.c).where(q.N.c.id.in_(ids))
    return await keyset.by_ids(conn, query.where(*q.own(principal)), ids)


async def load_notification(info: Info, pk: int) -> Notification | None:
    """`node(id:)`: your own notifications only; another's is null like an unknown id."""
    row = await kit.loader(info, "notifications.by_id", _own).load(pk)
    return Notification.from_row(row) if row else None
