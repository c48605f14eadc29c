"""The `chat` field on Customer, the chat mutations and the compiled `unreadCount`."""

import strawberry

from core import access
from plugins.chat import queries as q
from plugins.chat import service
from plugins.chat.types import ChatMessage, ChatThread
from schema import kit
from schema.compiled.customers import ModuleField
from schema.context import Info
from schema.customers.types import Customer
from schema.ids import from_global_id, from_global_ids
from schema.payloads import DeletePayload, deleted, payload
from schema.relay import Connection

BODY = f"Plain text; required, at most {service.MAX_BODY} characters (trimmed)."
MENTIONS = (
    "Workers the message mentions, e.g. picked from an @-autocomplete; the body is never "
    "parsed for them. Each must be able to see the customer's chat (else "
    f"MENTION_CANNOT_SEE). At most {service.MAX_MENTIONS}."
)


@strawberry.type(description="A customer's chat: what the Chat tab shows.")
class CustomerChat:
    customer_id: strawberry.Private[int]

    @strawberry.field(description="The customer's threads, oldest first.")
    async def threads(self, info: Info) -> list[ChatThread]:
        rows = await kit.loader(info, "chat.threads", q.threads).load(self.customer_id)
        return [ChatThread.from_row(r) for r in rows]

    @strawberry.field(
        description="Newest first (deleted ones as placeholders); of one thread with "
        "`threadId`. At most 100 a page (default 20)."
    )
    async def messages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        thread_id: strawberry.ID | None = None,
    ) -> Connection[ChatMessage]:
        name, conditions = "chat.messages", ()
        if thread_id is not None:
            pk = from_global_id(thread_id, "ChatThread")
            name, conditions = f"chat.messages:{pk}", (q.M.c.thread_id == pk,)
        return await kit.customer_list(
            info,
            name,
            q.M,
            self.customer_id,
            q.NEWEST,
            first,
            after,
            ChatMessage.from_row,
            conditions,
        )

    @strawberry.field(
        description="Messages by others you have not read (after your read marker of their "
        "thread), not deleted: the tab's badge."
    )
    async def unread_count(self, info: Info) -> int:
        return await kit.loader(info, "chat.unread", q.unread_of).load(self.customer_id)


async def customer_chat(root: Customer, info: Info) -> CustomerChat:
    access.require(info.context.principal, "chat.view")
    return CustomerChat(customer_id=root.pk)


COMPILED = {"unreadCount": ("unread", "int", "0")}


def compiled_chat(principal, names: tuple[str, ...]) -> ModuleField | None:
    """`chat { unreadCount }` in the compiled path: the badge's select."""
    if not access.can(principal, "chat.view") or not set(names) <= COMPILED.keys():
        return None
    return ModuleField(q.unread_counts, COMPILED)


# --- mutations -------------------------------------------------------------------------------

ChatMessagePayload = payload(ChatMessage, "message")
ChatThreadPayload = payload(ChatThread, "thread")


@strawberry.input(description="A new message on a customer's chat, written by you.")
class PostChatMessageInput:
    customer_id: strawberry.ID
    thread_id: strawberry.ID | None = strawberry.field(
        default=None, description='Null: the customer\'s "General" thread (made if need be).'
    )
    body: str = strawberry.field(description=BODY)
    mention_ids: list[strawberry.ID] = strawberry.field(default_factory=list, description=MENTIONS)
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A retry with the same key and input answers the first message and posts "
        "nothing; the same key with another input is IDEMPOTENCY_KEY_REUSED.",
    )


@strawberry.input(description="Only its author edits a message; a deleted one stays deleted.")
class EditChatMessageInput:
    id: strawberry.ID
    body: str = strawberry.field(description=BODY)


@strawberry.input(description="Its author or `chat.manage` deletes a message (soft).")
class DeleteChatMessageInput:
    id: strawberry.ID


@strawberry.input(description="Your read marker moves to this message unless already past it.")
class MarkChatReadInput:
    thread_id: strawberry.ID
    up_to_id: strawberry.ID = strawberry.field(description="A message of the thread.")


@strawberry.input(description="A new thread on a customer's chat.")
class CreateChatThreadInput:
    customer_id: strawberry.ID
    title: str = strawberry.field(description=f"At most {service.MAX_TITLE} characters.")


@strawberry.input(description="Its creator or `chat.manage` renames a thread.")
class RenameChatThreadInput:
    id: strawberry.ID
    title: str = strawberry.field(description=f"At most {service.MAX_TITLE} characters.")


async def post_chat_message(info: Info, input: PostChatMessageInput) -> ChatMessagePayload:
    data = {
        "customer_id": from_global_id(input.customer_id, "Customer"),
        "thread_id": None
        if input.thread_id is None
        else from_global_id(input.thread_id, "ChatThread"),
        "body": input.body,
        "mention_ids": from_global_ids(input.mention_ids, "Worker"),
        "idempotency_key": input.idempotency_key,
    }
    grants = info.context.plugins.permission_grants()

    def work(session, principal):
        return service.post_message(session, principal, data, grants)

    return await kit.save(info, ChatMessagePayload, "message", ChatMessage, work, "customerId")


async def edit_chat_message(info: Info, input: EditChatMessageInput) -> ChatMessagePayload:
    pk = from_global_id(input.id, "ChatMessage")

    def work(session, principal):
        return service.edit_message(session, principal, pk, input.body)

    return await kit.save(info, ChatMessagePayload, "message", ChatMessage, work)


async def delete_chat_message(info: Info, input: DeleteChatMessageInput) -> DeletePayload:
    pk = from_global_id(input.id, "ChatMessage")
    return await deleted(info, input.id, lambda s, p: service.delete_message(s, p, pk))


async def mark_chat_read(info: Info, input: MarkChatReadInput) -> ChatThreadPayload:
    thread = from_global_id(input.thread_id, "ChatThread")
    up_to = from_global_id(input.up_to_id, "ChatMessage")

    def work(session, principal):
        return service.mark_read(session, principal, thread, up_to)

    return await kit.save(info, ChatThreadPayload, "thread", ChatThread, work, "threadId")


async def create_chat_thread(info: Info, input: CreateChatThreadInput) -> ChatThreadPayload:
    customer_id = from_global_id(input.customer_id, "Customer")

    def work(session, principal):
        return service.create_thread(session, principal, customer_id, input.title)

    return await kit.save(info, ChatThreadPayload, "thread", ChatThread, work, "customerId")


async def rename_chat_thread(info: Info, input: RenameChatThreadInput) -> ChatThreadPayload:
    pk = from_global_id(input.id, "ChatThread")

    def work(session, principal):
        return service.rename_thread(session, principal, pk, input.title)

    return await kit.save(info, ChatThreadPayload, "thread", ChatThread, work)


CUSTOMER_FIELDS = [
    strawberry.field(
        resolver=customer_chat,
        name="chat",
        description='Chat module (tab "Chat"): threads of messages between workers about the '
        "customer, and your unread count.",
    )
]
MUTATION_FIELDS = [
    strawberry.mutation(resolver=post_chat_message, description="Post a chat message."),
    strawberry.mutation(resolver=edit_chat_message, description="Change your message's text."),
    strawberry.mutation(resolver=delete_chat_message, description="Delete a message (soft)."),
    strawberry.mutation(resolver=mark_chat_read, description="Move your read marker."),
    strawberry.mutation(resolver=create_chat_thread, description="Start a chat thread."),
    strawberry.mutation(resolver=rename_chat_thread, description="Rename a chat thread."),
]
