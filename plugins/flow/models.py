"""Flows, their columns, their workers and the customers' positions.

A flow's membership is stored as the lists the definition names (`folder_ids`, `tag_ids`,
`status_ids`, `lead_sources`) and compiled through the customer filter language
(`core/filters.py`) when a board is read, so a flow matches exactly what the customer list
would with the same conditions, and a customer's membership is never written anywhere.

Positions are lazy: a matching customer without a `flow_positions` row is in the flow's
default column (the named one, else the first), ordered after the placed cards by id. A row
is written only when a card is moved or hidden. So a customer that starts matching lands in
the default column with no event handler, and one that stops matching keeps its row (it is
simply not shown) and is back where it was if it matches again. `rank` is a fractional rank
(`core.ranks`), so a move writes one row and never renumbers its column; `version` grows with
each move and is what `moveFlowCard` checks (`expectedVersion`; 0 for a card without a row)."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models import NEVER_REUSE_IDS, Base, JSONType, UTCDateTime, utcnow


class Flow(Base):
    __tablename__ = "flows"
    __table_args__ = (Index(None, "tenant_id", "name"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    folder_ids: Mapped[list] = mapped_column(JSONType, default=list)
    tag_ids: Mapped[list] = mapped_column(JSONType, default=list)
    status_ids: Mapped[list] = mapped_column(JSONType, default=list)
    lead_sources: Mapped[list] = mapped_column(JSONType, default=list)
    # where matching customers without a position are; None: the first column
    default_column_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlowWorker(Base):
    """A team member assigned to work the flow: without `flow.manage`, a worker sees only
    the flows they are assigned to."""

    __tablename__ = "flow_workers"
    __table_args__ = (Index(None, "tenant_id", "worker_id"),)

    flow_id: Mapped[int] = mapped_column(
        ForeignKey("flows.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


class FlowColumn(Base):
    """`on_drop`: what a card dropped here applies to its customer, through core's customer
    services: `{"statusId": n}`, `{"folderId": n, "folderStatusId": n}`, `{"tagId": n}`."""

    __tablename__ = "flow_columns"
    __table_args__ = (Index(None, "tenant_id", "flow_id", "position"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    color: Mapped[str] = mapped_column(String(7))
    position: Mapped[int] = mapped_column(Integer)
    on_drop: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlowPosition(Base):
    __tablename__ = "flow_positions"
    __table_args__ = (
        Index(None, "flow_id", "customer_id", unique=True),
        Index(None, "tenant_id", "flow_id", "column_id", "rank"),
        Index(None, "customer_id"),
    )

    # an id of its own: a merge moves positions by `customer_id` and `undoMerge` finds them
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    flow_id: Mapped[int] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    column_id: Mapped[int] = mapped_column(ForeignKey("flow_columns.id", ondelete="CASCADE"))
    rank: Mapped[str] = mapped_column(String(200))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TABLES = [
    Flow.__table__,
    FlowWorker.__table__,
    FlowColumn.__table__,
    FlowPosition.__table__,
]
