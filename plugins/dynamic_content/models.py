"""A tenant's content blocks and the folders a block is limited to. A block is settings, not
a customer's record: no `customer_id`, nothing to merge, erase or export per customer."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow


class ContentBlock(Base):
    """`limited`: shown only to customers in one of its folders. Kept apart from the folder
    rows so a block whose last folder is deleted shows to nobody rather than to everyone."""

    __tablename__ = "dynamic_content_blocks"
    __table_args__ = (Index(None, "tenant_id", "position"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    limited: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContentBlockFolder(Base):
    """A folder a block is limited to; goes with the block, and with the folder."""

    __tablename__ = "dynamic_content_folders"
    __table_args__ = (Index(None, "folder_id"),)

    block_id: Mapped[int] = mapped_column(
        ForeignKey("dynamic_content_blocks.id", ondelete="CASCADE"), primary_key=True
    )
    folder_id: Mapped[int] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
