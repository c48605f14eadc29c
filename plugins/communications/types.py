"""The Communication type and its enums."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Private

from plugins.communications import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.relay import Node
from schema.team.types import Worker


@strawberry.enum(description="Who wrote it: the customer (INBOUND) or the business (OUTBOUND).")
class MessageDirection(Enum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


@strawberry.enum(description="How it travelled. CALL is only recorded, never sent.")
class MessageChannel(Enum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    WHATSAPP = "WHATSAPP"
    CALL = "CALL"


@strawberry.enum(
    description="Delivery: QUEUED (waiting for the provider) → SENT (accepted by it; SMTP "
    "tells no more) or DELIVERED → READ, or FAILED (`errorMessage` says why). Inbound "
    "messages are DELIVERED."
)
class MessageStatus(Enum):
    QUEUED = "QUEUED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    READ = "READ"
    FAILED = "FAILED"


@strawberry.type(description="An email, SMS, WhatsApp message or call with a customer.")
class Communication(Node):
    direction: MessageDirection
    channel: MessageChannel
    provider: str = strawberry.field(description="What sent or received it: console, smtp…")
    from_address: str | None = strawberry.field(description="Sender: email or phone.")
    to_address: str | None = strawberry.field(description="Recipient: email or phone.")
    subject: str | None = strawberry.field(description="Emails only.")
    body: str = strawberry.field(
        description="An email's body is HTML sanitised on the server (nh3/ammonia: no "
        "scripts, event handlers or unsafe links) and may be rendered as HTML; other "
        "channels are plain text, to be shown as text."
    )
    status: MessageStatus
    error_message: str | None = strawberry.field(description="Why it FAILED.")
    created_at: datetime
    updated_at: datetime
    customer_id: Private[int | None]
    author_id: Private[int | None]

    @classmethod
    def from_row(cls, row) -> "Communication":
        return kit.from_row(cls, row)

    @strawberry.field(description="Who sent it (outbound); null for inbound or automated.")
    async def author(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.author_id)

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        return await kit.customer(info, self.customer_id) if self.customer_id else None


load_communication = kit.node_loader(q.M, Communication)
