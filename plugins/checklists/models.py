"""Templates, their folders, and the lists made from them. A list copies its items when it is
made, so editing a template never changes a list already in use. A list keeps its item and
done counts (and `finished`) on its own row: progress, the badge and the "unfinished first"
order then read one row per list."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import NEVER_REUSE_IDS, Base, JSONType, UTCDateTime, utcnow

MAX_NAME = 200
MAX_TEXT = 500
MAX_ITEMS = 100


class ChecklistTemplate(Base):
    __tablename__ = "checklist_templates"
    __table_args__ = (Index(None, "tenant_id", "name"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    items: Mapped[list] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChecklistTemplateFolder(Base):
    """A folder that hands the template to every customer entering it."""

    __tablename__ = "checklist_template_folders"
    __table_args__ = (Index(None, "tenant_id", "folder_id"),)

    template_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_templates.id", ondelete="CASCADE"), primary_key=True
    )
    folder_id: Mapped[int] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


class Checklist(Base):
    """`folder_template_id` is set on lists a folder made: unique per customer, so a folder
    hands a template to a customer once however often the event comes or the customer
    re-enters (deleting that list lets the next entry make a fresh one). No foreign key: it
    outlives the template, whose ids are never reused."""

    __tablename__ = "checklists"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id", "finished", "created_at"),
        UniqueConstraint("customer_id", "folder_template_id"),
        Index(None, "template_id"),
        Index(None, "created_by_id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("checklist_templates.id", ondelete="SET NULL")
    )
    folder_template_id: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    done_count: Mapped[int] = mapped_column(Integer, default=0)
    # 0 while an item is unchecked, 1 once all are: an integer, because the keyset order
    # "unfinished first" compares it with < and >, which SQLAlchemy refuses for booleans.
    finished: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChecklistItem(Base):
    __tablename__ = "checklist_items"
    __table_args__ = (
        Index(None, "checklist_id", "position"),
        Index(None, "checked_by_id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(MAX_TEXT))
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
