"""Projects of a tenant, their members and the customers they link. A project belongs to no
one customer: `project_customers` links it to any number of them (and a customer to any
number of projects), one row per pair, which the unique key keeps single however many
requests link the same pair at once. A project keeps a `version` that every change of its
own fields bumps, so an update decided on an old reading is refused (`expectedVersion`)."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models import NEVER_REUSE_IDS, Base, UTCDateTime, utcnow
from core.records import Transitions

STATUSES = ("PLANNED", "ACTIVE", "ON_HOLD", "DONE", "CANCELLED")
TRANSITIONS = Transitions(
    "A project",
    {
        "PLANNED": frozenset({"ACTIVE", "ON_HOLD", "CANCELLED"}),
        "ACTIVE": frozenset({"ON_HOLD", "DONE", "CANCELLED"}),
        "ON_HOLD": frozenset({"ACTIVE", "CANCELLED"}),
        "DONE": frozenset({"ACTIVE"}),  # reopened
        "CANCELLED": frozenset({"PLANNED"}),  # revived
    },
)


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (
        Index(None, "tenant_id", "status", "id"),
        Index(None, "tenant_id", "owner_id"),
        # a createProject retried with its key finds the project instead of making a second
        Index(None, "tenant_id", "idempotency_key", unique=True),
        NEVER_REUSE_IDS,  # events name projects by id, also once deleted
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="PLANNED")
    start_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProjectMember(Base):
    """One worker on a project; the key makes a second membership impossible."""

    __tablename__ = "project_members"
    __table_args__ = (Index(None, "tenant_id", "worker_id", "project_id"),)

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


class ProjectCustomer(Base):
    """A customer linked to a project. It has its own `id` and a `customer_id`, so a merge's
    preview counts it and `undoMerge` gives the moved links back."""

    __tablename__ = "project_customers"
    __table_args__ = (
        Index(None, "project_id", "customer_id", unique=True),
        Index(None, "tenant_id", "customer_id", "project_id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


TABLES = [Project.__table__, ProjectMember.__table__, ProjectCustomer.__table__]
