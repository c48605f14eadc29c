"""Three demo blocks using placeholders: one for every customer, one limited to the VIP
folder (or the first folder) reading its custom fields, and one switched off. The same rows
at every seeding: blocks are the tenant's settings, not per customer."""

from sqlalchemy import select

from core.demo import BASE
from core.models import Folder
from plugins.dynamic_content.models import ContentBlock, ContentBlockFolder

WELCOME = """**{{ name }}**{% if company %} at {{ company }}{% endif %} \
({{ status or "no status" }})

{% if email %}- Email: {{ email }}
{% endif %}{% if phone %}- Phone: {{ phone }}
{% endif %}- Folders: {{ folders|join(", ") or "none" }}
"""
VIP = """{{ salutation }} {{ name }} is a **VIP**{% if fields.account_tier %} \
({{ fields.account_tier }} tier){% endif %}: answer within the hour.

{% if fields.concierge %}Concierge: {{ fields.concierge }}. {% endif %}\
Renewal: {{ fields.renewal_date or "not set" }}."""
HOLIDAYS = "The office is closed between the holidays; tell {{ name }} before booking."


async def seed(session, tenant_id: int, customer_ids: list[int], seed: int) -> None:
    folders = await session.execute(
        select(Folder.id, Folder.name)
        .where(Folder.tenant_id == tenant_id)
        .order_by(Folder.position, Folder.id)
    )
    folders = folders.all()
    vip = next((f for f, name in folders if name == "VIP"), folders[0][0] if folders else None)
    specs = [
        ("Contact card", WELCOME, True, None),
        ("VIP service", VIP, True, vip),
        ("Holiday closing", HOLIDAYS, False, None),
    ]
    for position, (title, body, active, folder_id) in enumerate(specs):
        block = ContentBlock(
            tenant_id=tenant_id,
            title=title,
            body=body,
            position=position,
            active=active,
            limited=folder_id is not None,
            version=1,
            created_at=BASE,
            updated_at=BASE,
        )
        session.add(block)
        await session.flush()
        if folder_id is not None:
            session.add(
                ContentBlockFolder(block_id=block.id, folder_id=folder_id, tenant_id=tenant_id)
            )
    await session.flush()
