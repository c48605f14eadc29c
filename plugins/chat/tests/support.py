"""Shared helpers of the chat tests."""

from sqlalchemy import select

from core.models import EventRecord
from tests.fixtures import run
from tests.support import Api, pk_of

MESSAGE = """id body createdAt editedAt deletedAt threadId author { id } mentions { id }
viewerCanEdit viewerCanDelete"""
TAB = """query($id: ID!, $thread: ID) { customer(id: $id) { chat {
  threads { id title isDefault unreadCount lastReadMessageId }
  messages(threadId: $thread) { nodes { id body threadId author { id } } totalCount }
  unreadCount } profileTabs { key badgeCount } } }"""


def post(api: Api, customer_id: str, body: str = "Hello", **more) -> dict:
    data = {"customerId": customer_id, "body": body, **more}
    return api.ok("postChatMessage", data, f"message {{ {MESSAGE} }}")["message"]


def tab(api: Api, customer_id: str, thread: str | None = None) -> dict:
    data = api.query(TAB, id=customer_id, thread=thread)["customer"]
    badge = {t["key"]: t["badgeCount"] for t in data["profileTabs"]}.get("chat")
    return {**data["chat"], "badge": badge}


def events_of(client, tenant_id: int, customer_id: str) -> list[tuple[str, dict]]:
    async def read():
        async with client.app.state.db.read() as conn:
            rows = await conn.execute(
                select(EventRecord.action, EventRecord.data)
                .where(
                    EventRecord.tenant_id == tenant_id,
                    EventRecord.customer_id == pk_of(customer_id),
                    EventRecord.action.like("chat.%"),
                )
                .order_by(EventRecord.id)
            )
            return [tuple(r) for r in rows]

    return run(client, read)
