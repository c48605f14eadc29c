"""The chat's types. What hangs off a message or thread (author, mentions, the viewer's
unread count) loads through per-request loaders, so a page costs the same whatever its
length."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Private

from core import access
from plugins.chat import queries as q
from schema import kit
from schema.context import Info
from schema.ids import to_global_id
from schema.relay import Node
from schema.team.types import Worker


@strawberry.type(description="A conversation between workers about a customer.")
class ChatThread(Node):
    title: str
    is_default: bool = strawberry.field(
        description='The customer\'s "General" thread, made by the first message sent without '
        "a thread."
    )
    created_at: datetime
    created_by_id: Private[int | None]
    customer_id: Private[int]

    @classmethod
    def from_row(cls, row) -> "ChatThread":
        return kit.from_row(cls, row)

    @strawberry.field(description="Who started it; null once that worker is removed.")
    async def created_by(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.created_by_id)

    @strawberry.field(description="Messages by others after your read marker, not deleted.")
    async def unread_count(self, info: Info) -> int:
        return await kit.loader(info, "chat.thread_unread", q.thread_unread).load(self.pk)

    @strawberry.field(description="The newest message you marked read here (`markChatRead`).")
    async def last_read_message_id(self, info: Info) -> strawberry.ID | None:
        found = await kit.loader(info, "chat.markers", q.markers).load(self.pk)
        return None if found is None else to_global_id("ChatMessage", found)


@strawberry.type(description="A message in a chat thread, written by a worker.")
class ChatMessage(Node):
    body: str | None = strawberry.field(
        description="Plain text as written; null once deleted (the message stays as a placeholder)."
    )
    created_at: datetime
    edited_at: datetime | None = strawberry.field(description="Null: never edited.")
    deleted_at: datetime | None
    thread_id: strawberry.ID
    author_id: Private[int | None]
    customer_id: Private[int]
    mention_ids: Private[list]

    @classmethod
    def from_row(cls, row) -> "ChatMessage":
        deleted = row["deleted_at"] is not None
        return kit.from_row(
            cls,
            row,
            body=None if deleted else row["body"],
            thread_id=to_global_id("ChatThread", row["thread_id"]),
            mention_ids=list(row["mention_ids"] or []),
        )

    @strawberry.field(description="Who wrote it; null once that worker is removed.")
    async def author(self, info: Info) -> Worker | None:
        return await kit.worker(info, self.author_id)

    @strawberry.field(description="The workers it mentions (`mentionIds`).")
    async def mentions(self, info: Info) -> list[Worker]:
        return await kit.workers(info, self.mention_ids)

    @strawberry.field(description="Whether you may edit it: its author, unless deleted.")
    def viewer_can_edit(self, info: Info) -> bool:
        principal = info.context.principal
        return self.deleted_at is None and self.author_id == principal.worker_id

    @strawberry.field(description="Whether you may delete it: its author or `chat.manage`.")
    def viewer_can_delete(self, info: Info) -> bool:
        principal = info.context.principal
        if self.deleted_at is not None:
            return False
        return access.can(principal, "chat.manage") or self.author_id == principal.worker_id


@strawberry.enum(description="What happened to a chat message.")
class ChatMessageChange(Enum):
    POSTED = "POSTED"
    EDITED = "EDITED"
    DELETED = "DELETED"


@strawberry.type(description="One change of a customer's chat, as `chatMessages` sends it.")
class ChatMessageUpdate:
    change: ChatMessageChange
    message: ChatMessage


def _guarded(load):
    async def guarded(info: Info, pk: int):
        return await load(info, pk) if access.can(info.context.principal, "chat.view") else None

    return guarded


load_message = _guarded(kit.node_loader(q.M, ChatMessage))
load_thread = _guarded(kit.node_loader(q.T, ChatThread))
