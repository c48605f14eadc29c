"""Activities as GraphQL types. The workers and customer an activity points at load through
per-request loaders, so a page costs the same whatever its length."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Private

from plugins.activities import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.relay import Node
from schema.team.types import Worker


@strawberry.enum(description="What kind of activity was logged.")
class ActivityKind(Enum):
    CALL = "CALL"
    EMAIL = "EMAIL"
    MEETING = "MEETING"
    NOTE = "NOTE"
    TASK = "TASK"
    DEAL_UPDATE = "DEAL_UPDATE"


@strawberry.enum(description="How an activity went.")
class ActivityOutcome(Enum):
    POSITIVE = "POSITIVE"
    NEGATIVE = "NEGATIVE"
    NEUTRAL = "NEUTRAL"


@strawberry.type(description="Something done with a customer: a call, an email, a meeting…")
class Activity(Node):
    kind: ActivityKind
    title: str
    description: str | None
    occurred_at: datetime = strawberry.field(description="When it happened; never in the future.")
    duration_seconds: int | None = strawberry.field(description="How long it took, if known.")
    outcome: ActivityOutcome | None
    created_at: datetime
    updated_at: datetime
    customer_id: Private[int]
    worker_id: Private[int | None]
    created_by_id: Private[int | None]

    @strawberry.field(description="Who did it; null once that worker is removed.")
    async def worker(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.worker_id)

    @strawberry.field(description="Who logged it; null once that worker is removed.")
    async def created_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.created_by_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id)


@strawberry.type(description="How many activities of one kind a customer has.")
class ActivityKindCount:
    kind: ActivityKind
    count: int


load_activity = kit.node_loader(q.T, Activity)
