"""The demo tenant's example endpoint: switched off and pointing at the discard port of this
machine (http://127.0.0.1:9/), so seeding shows what an endpoint looks like and the demo
makes no call anywhere. Switching it on would send to nothing and fail harmlessly."""

from sqlalchemy import insert, select

from core.demo import BASE
from core.models import Worker
from plugins.webhooks.models import ENDPOINTS
from plugins.webhooks.service import SHOWN, new_secret


async def seed(session, tenant_id: int, customer_ids: list[int], seed: int) -> None:
    owner = await session.scalar(
        select(Worker.id).where(Worker.tenant_id == tenant_id).order_by(Worker.id).limit(1)
    )
    secret = new_secret()  # random: a demo secret is as secret as any
    await session.execute(
        insert(ENDPOINTS).values(
            tenant_id=tenant_id,
            url="http://127.0.0.1:9/",
            description="Example: your CRM sync. Switched off; points nowhere.",
            event_types=["customer.*", "ticket.opened"],
            secret=secret,
            secret_prefix=secret[:SHOWN],
            active=False,
            consecutive_failures=0,
            created_by=owner,
            created_at=BASE,
            updated_at=BASE,
        )
    )
