"""Demo labels for the demo tenant. No demo documents: a document's bytes live in core's
storage, and `hub_demo_data` is handed a database session but no storage (core's demo stores
no files either), so rows made here would name objects that do not exist and every download
would fail. Seeding documents needs core to pass its storage to the hook."""

from sqlalchemy import insert

from core.demo import BASE
from plugins.documents.models import DocumentLabel

LABELS = (
    ("Contract", "#2563eb"),
    ("Invoice", "#16a34a"),
    ("ID document", "#dc2626"),
    ("Correspondence", "#9333ea"),
    ("Photo", "#ea580c"),
)


async def seed(session, tenant_id: int, customer_ids: list[int], seed: int) -> None:
    rows = [
        dict(tenant_id=tenant_id, name=name, name_key=name.casefold(), color=color, created_at=BASE)
        for name, color in LABELS
    ]
    await session.execute(insert(DocumentLabel.__table__), rows)
