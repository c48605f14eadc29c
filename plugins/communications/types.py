"""The Communication type and its enums."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Private

from core import access, keyset
from core import files as core_files
from plugins.communications import attachments
from plugins.communications import queries as q
from schema import kit
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import to_global_id
from schema.relay import Node
from schema.team.types import Worker


@strawberry.type(description="A file a message carries (core's stored files).")
class CommunicationAttachment:
    id: strawberry.ID = strawberry.field(
        description="The stored file's id: send it in `sendMessage(fileIds)` to forward it."
    )
    name: str = strawberry.field(description="Made safe, with an extension of its real type.")
    content_type: str = strawberry.field(description="Sniffed from the bytes.")
    size: int = strawberry.field(description="Bytes.")
    url: str = strawberry.field(
        description="Downloads it, for you, for DOWNLOAD_URL_SECONDS; whoever may see the "
        "message may download it (your access is checked again when it is used)."
    )


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
        """Null while unmatched (`unmatchedCommunications`)."""
        return await kit.customer(info, self.customer_id) if self.customer_id else None

    @strawberry.field(description="In the order sent; one statement for a page of messages.")
    async def attachments(self, info: Info) -> list[CommunicationAttachment]:
        rows = await kit.loader(
            info, "communications.attachments", attachments.attachments_of
        ).load(self.pk)
        if not rows:
            return []
        ctx = info.context
        need = "communications.view" if self.customer_id else "communications.triage"
        base = str(ctx.request.base_url).rstrip("/") if ctx.request is not None else ""
        seconds = ctx.settings.download_url_seconds
        signing_key = ctx.settings.signing_key

        def url(file_id: int) -> str:
            token = core_files.download_token(signing_key, ctx.principal, file_id, seconds, need)
            return f"{base}/files/{token}"

        return [
            CommunicationAttachment(
                id=strawberry.ID(to_global_id("StoredFile", r["id"])),
                name=r["name"],
                content_type=r["content_type"],
                size=r["size"],
                url=url(r["id"]),
            )
            for r in rows
        ]


async def _by_ids(conn, principal, ids):
    """`node(id:)`: messages of customers the worker sees that they may see
    (`queries.seen_by`), with `communications.view`; an unmatched one for
    `communications.triage`."""
    if not access.can(principal, "communications.view"):
        return [None] * len(ids)
    query = keyset.visible(q.M, principal, q.M.c.id.in_(ids), *q.seen_by(principal))
    found = await keyset.by_ids(conn, query, ids)
    missing = [i for i, row in zip(ids, found, strict=True) if row is None]
    if missing and access.can(principal, "communications.triage"):
        unmatched = await keyset.by_ids(conn, q.unmatched(principal, q.M.c.id.in_(missing)), ids)
        found = [row or other for row, other in zip(found, unmatched, strict=True)]
    return found


async def load_communication(info: Info, pk: int):
    row = await kit.loader(info, "communications.by_id", _by_ids).load(pk)
    return Communication.from_row(row) if row else None
