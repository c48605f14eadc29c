"""The `communications` field on Customer, the unmatched inbox, and the mutations: send, mark
read, assign an unmatched message (or make a lead of its sender), rotate the inbound hook's
secret."""

from typing import Annotated

import strawberry

from core import access
from plugins.communications import queries as q
from plugins.communications import service, triage
from plugins.communications.types import (
    Communication,
    MessageChannel,
    MessageDirection,
)
from schema import kit
from schema.compiled.customers import ModuleField
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id, from_global_ids
from schema.payloads import UserError, mutate, payload
from schema.relay import Connection


@strawberry.type(description="A customer's messages: what the Communications tab shows.")
class CustomerCommunications:
    customer_id: strawberry.Private[int]

    @strawberry.field(
        description="Newest first; at most 100 a page (default 20). Without "
        "`communications.view_all`: the messages you sent and the inbound messages of "
        "customers you have written to."
    )
    async def all(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        channel: MessageChannel | None = None,
        direction: MessageDirection | None = None,
        author_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only the messages this worker sent; another worker's need "
                "`communications.view_all`."
            ),
        ] = None,
    ) -> Connection[Communication]:
        principal = info.context.principal
        conditions = list(q.seen_by(principal))
        if channel is not None:
            conditions.append(q.M.c.channel == channel.value)
        if direction is not None:
            conditions.append(q.M.c.direction == direction.value)
        author = from_global_id(author_id, "Worker") if author_id is not None else None
        if author is not None:
            if author != principal.worker_id:
                access.require(principal, q.VIEW_ALL)
            conditions.append(q.M.c.author_id == author)
        name = (
            f"communications.all:{channel and channel.value}:{direction and direction.value}"
            f":{author}"
        )
        return await kit.customer_list(
            info, name, q.M, self.customer_id, q.NEWEST, first, after,
            Communication.from_row, tuple(conditions),
        )  # fmt: skip

    @strawberry.field(
        description="Inbound messages you have not read (`markCommunicationsRead`) among "
        "those you may see (`all`): the tab's badge. Each worker has their own."
    )
    async def unread_count(self, info: Info) -> int:
        return await kit.loader(info, "communications.unread", q.unread_counts).load(
            self.customer_id
        )


async def customer_communications(root: Customer, info: Info) -> CustomerCommunications:
    access.require(info.context.principal, "communications.view")
    return CustomerCommunications(customer_id=root.pk)


COMPILED = {"unreadCount": ("unread", "int", "0")}


def compiled_communications(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`communications { unreadCount }` in the compiled path."""
    if not access.can(principal, "communications.view") or not set(names) <= COMPILED.keys():
        return None
    return ModuleField(q.unread_query, COMPILED)


CommunicationPayload = payload(Communication, "communication")


@strawberry.input(
    description="A message to a customer. It is recorded QUEUED and sent after the write "
    "commits, through the channel's provider; its status follows (`communication."
    "status_changed`)."
)
class SendMessageInput:
    customer_id: strawberry.ID
    channel: MessageChannel = strawberry.field(description="EMAIL, SMS or WHATSAPP.")
    body: str = strawberry.field(description="An email's HTML (sanitised) or the text.")
    to: str | None = strawberry.field(
        default=None, description="Default: the customer's primary email (EMAIL) or phone."
    )
    subject: str | None = strawberry.field(default=None, description="Emails only.")
    file_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Attachments, emails only; at most 10, 20 MB together. Stored files of "
        "this customer (`uploadFile` with its id, or an attachment it sent), or your own "
        "upload without a customer, which becomes the customer's.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A retry with the same key and input sends nothing twice."
    )


@strawberry.input(description="Mark a customer's messages read for you.")
class MarkCommunicationsReadInput:
    customer_id: strawberry.ID
    up_to_id: strawberry.ID | None = strawberry.field(
        default=None, description="The newest message read (default: the customer's newest)."
    )


@strawberry.type(description="Your unread count on the customer now, or why nothing changed.")
class MarkCommunicationsReadPayload:
    unread_count: int | None
    user_errors: list[UserError]


@strawberry.type(description="The new secret, shown once, or why nothing changed.")
class RotateCommunicationsHookSecretPayload:
    secret: str | None = strawberry.field(
        description="Sign inbound hooks with it: header `X-Hub-Signature-256: sha256=<hex "
        "HMAC-SHA256 of the raw body>`; POST to `/hooks/communications/<provider>/<tenant id>`."
    )
    user_errors: list[UserError]


async def send_message(info: Info, input: SendMessageInput) -> CommunicationPayload:
    data = {
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "channel": input.channel.value,
        "body": input.body,
        "to": input.to,
        "subject": input.subject,
        "idempotency_key": input.idempotency_key,
        "file_ids": from_global_ids(input.file_ids, "StoredFile"),
    }
    return await kit.save(
        info, CommunicationPayload, "communication", Communication,
        lambda s, p: service.send(s, p, data), "customerId",
    )  # fmt: skip


async def mark_communications_read(
    info: Info, input: MarkCommunicationsReadInput
) -> MarkCommunicationsReadPayload:
    customer_id = from_global_id(input.customer_id, "Customer")
    up_to = from_global_id(input.up_to_id, "Communication") if input.up_to_id else None
    done, errors = await mutate(
        info, lambda s, p: service.mark_read(s, p, customer_id, up_to), "customerId"
    )
    count = None
    if done is not None:
        count = await kit.loader(info, "communications.unread", q.unread_counts).load(done)
    return MarkCommunicationsReadPayload(unread_count=count, user_errors=errors)


async def unmatched_communications(
    info: Info, first: int | None = None, after: str | None = None
) -> Connection[Communication]:
    access.require(info.context.principal, triage.PERMISSION)
    query = q.unmatched(info.context.principal)
    return await kit.tenant_list(info, query, q.NEWEST, first, after, Communication.from_row)


@strawberry.input(description="Put an unmatched inbound message on a customer's history.")
class AssignCommunicationInput:
    id: strawberry.ID = strawberry.field(description="An inbound message.")
    customer_id: strawberry.ID = strawberry.field(description="A customer you may change.")


@strawberry.input(
    description="Make a lead of an unmatched message's sender and give it the message."
)
class CreateLeadFromCommunicationInput:
    id: strawberry.ID = strawberry.field(description="An unmatched inbound message.")
    name: str | None = strawberry.field(
        default=None, description="The lead's name; default: the sender's address."
    )


async def assign_communication(info: Info, input: AssignCommunicationInput) -> CommunicationPayload:
    message_id = from_global_id(input.id, "Communication")
    customer_id = from_global_id(input.customer_id, "Customer")
    return await kit.save(
        info, CommunicationPayload, "communication", Communication,
        lambda s, p: triage.assign(s, p, message_id, customer_id), "customerId",
    )  # fmt: skip


async def create_lead_from_communication(
    info: Info, input: CreateLeadFromCommunicationInput
) -> CommunicationPayload:
    message_id = from_global_id(input.id, "Communication")
    return await kit.save(
        info, CommunicationPayload, "communication", Communication,
        lambda s, p: triage.create_lead(s, p, message_id, input.name), "id",
    )  # fmt: skip


async def rotate_communications_hook_secret(info: Info) -> RotateCommunicationsHookSecretPayload:
    secret, errors = await mutate(info, service.rotate_secret, "id")
    return RotateCommunicationsHookSecretPayload(secret=secret, user_errors=errors)


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_communications,
        name="communications",
        description='Communications module (tab "Communications"): emails, texts, WhatsApp '
        "messages and calls, both ways.",
    )
]
QUERY_FIELDS = [
    strawberry.field(
        resolver=unmatched_communications,
        description="Inbound messages no customer's email or phone matched (or several "
        "did), newest first (`communications.triage`): assign each "
        "(`assignCommunication`, `createLeadFromCommunication`).",
    )
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=send_message, description="Send a message to a customer."),
    strawberry.mutation(
        resolver=mark_communications_read,
        description="Mark a customer's messages read for you (the unread badge).",
    ),
    strawberry.mutation(
        resolver=assign_communication,
        description="Move an unmatched inbound message onto a customer's history "
        "(`communications.triage`); again onto the same customer changes nothing.",
    ),
    strawberry.mutation(
        resolver=create_lead_from_communication,
        description="A new lead from an unmatched message's sender, with the message "
        "(`communications.triage`, `customers.edit`).",
    ),
    strawberry.mutation(
        resolver=rotate_communications_hook_secret,
        description="A new secret for the inbound hooks (`communications.manage`).",
    ),
]
