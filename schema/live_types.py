"""What the subscriptions send. `LiveHub` builds each update once and hands the same
object to every subscriber it is for; `shared` marks it so that `SharedEventExecutor`
(`schema/live_execution.py`) executes a subscriber's selection on it once for all who sent
the same document."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from schema.ids import to_global_id
from schema.tabs import ProfileTab


@strawberry.type(description="Badge counts of one customer's profile tabs, as absolute values.")
class CustomerBadges:
    customer_id: strawberry.ID
    tabs: list[ProfileTab]
    version: int = strawberry.field(
        description="The newest event these counts reflect; larger is newer."
    )


@strawberry.type(description="Something that happened to a customer.")
class CustomerEvent:
    id: strawberry.ID
    action: str = strawberry.field(description="E.g. `customer.updated`, `ticket.opened`.")
    customer_id: strawberry.ID
    occurred_at: datetime
    data: JSON


@strawberry.enum(description="What happened to a customer of the list.")
class CustomerListChangeKind(Enum):
    CREATED = "CREATED"
    CHANGED = "CHANGED"
    REMOVED = "REMOVED"


@strawberry.type(description="A change the list panel should reflect.")
class CustomerListChange:
    kind: CustomerListChangeKind
    customer_id: strawberry.ID
    version: int


def shared(node):
    """Mark an update as sent to many: its executions are kept with it (and die with it)."""
    node._executed = {}
    return node


def badges(customer_id: int, tabs: list[ProfileTab], version: int) -> CustomerBadges:
    return CustomerBadges(
        customer_id=to_global_id("Customer", customer_id), tabs=tabs, version=version
    )


def event(message: dict) -> CustomerEvent:
    return CustomerEvent(
        id=to_global_id("Event", message["id"]),
        action=message["name"],
        customer_id=to_global_id("Customer", message["customerId"]),
        occurred_at=datetime.fromisoformat(message["occurredAt"]),
        data=message["data"],
    )


def list_change(kind: str, customer_id: int, version: int) -> CustomerListChange:
    return CustomerListChange(
        kind=CustomerListChangeKind(kind),
        customer_id=to_global_id("Customer", customer_id),
        version=version,
    )
