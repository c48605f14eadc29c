"""Rules, their versions and runs. A rule row holds the current version's definition (and
its trigger's event type, indexed, for matching); every edit also writes a version row, and
a run points at the version it ran, so an edit never changes what a past run shows.

A trigger is JSON `{"kind": "EVENT"|"SCHEDULE"|"MANUAL", "eventType", "schedule" (see
`periods.py`), "where" (a filter-language tree, `core/filters.py`), "folderIds", "tagIds",
"statusIds", "customFields": [{"key", "value"}], "eventData": [{"key", "value"}]}`; an
action `{"type": "ADD_TAG", "tagId": 3, ...}` (see `service.ACTION_FIELDS`)."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, JSONType, UTCDateTime, utcnow

RUNNING, DONE, FAILED, SKIPPED = "RUNNING", "DONE", "FAILED", "SKIPPED"
RUN_STATUSES = (RUNNING, DONE, FAILED, SKIPPED)
MANUAL, EVENT, SCHEDULE = "MANUAL", "EVENT", "SCHEDULE"


class AutomationRule(Base):
    __tablename__ = "automation_rules"
    __table_args__ = (Index(None, "tenant_id", "active", "event_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    event_type: Mapped[str | None] = mapped_column(String(100))  # None: manual only
    trigger: Mapped[dict] = mapped_column(JSONType, default=dict)
    actions: Mapped[list] = mapped_column(JSONType, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    version_id: Mapped[int | None] = mapped_column(Integer)  # the current version's row
    created_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AutomationRuleVersion(Base):
    """What a rule was at one version; `author_id` is who wrote it, and whom its runs act as."""

    __tablename__ = "automation_rule_versions"
    __table_args__ = (UniqueConstraint("rule_id", "version"), Index(None, "tenant_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("automation_rules.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[dict] = mapped_column(JSONType, default=dict)
    actions: Mapped[list] = mapped_column(JSONType, default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AutomationRun(Base):
    """One rule version on one customer. `trigger_key` (`<rule>:<event>`, or
    `<rule>:s:<period>:<customer>` for a scheduled run, whose `period` names the schedule's
    period) is unique, so a redelivered event or a repeated sweep starts no second run;
    manual runs have none. `next_step` is where the
    run resumes; `steps` what each done step came to."""

    __tablename__ = "automation_runs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "trigger_key"),
        Index(None, "tenant_id", "customer_id", "id"),
        Index(None, "tenant_id", "created_at"),
        Index(None, "version_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("automation_rules.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(
        ForeignKey("automation_rule_versions.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    trigger_key: Mapped[str | None] = mapped_column(String(100))
    period: Mapped[str | None] = mapped_column(String(40))  # a scheduled run's period key
    event_id: Mapped[int | None] = mapped_column(Integer)  # None: a manual run
    started_by: Mapped[int | None] = mapped_column(Integer)  # who ran it by hand
    depth: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=RUNNING)
    reason: Mapped[str | None] = mapped_column(String(200))
    next_step: Mapped[int] = mapped_column(Integer, default=0)
    steps: Mapped[list] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
