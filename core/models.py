"""Tables of the core domain. Every row carries `tenant_id`; queries always filter on it.

Relationships are `lazy="raise"`: under asyncio a lazy load is a bug, so loading is always
explicit (DataLoaders on reads, selects in services)."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    bindparam,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core import summaries


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on the way out, whichever engine stored it (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


JSONType = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Tables whose ids leave the database (global IDs, tokens, event data, the event log's own
# ids): SQLite must never hand out a deleted row's id again (AUTOINCREMENT, migration 0006).
# PostgreSQL sequences never go back anyway.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


def utcnow() -> datetime:
    return datetime.now(UTC)


def now_param(minus: timedelta | None = None):
    """The current time (less `minus`) in SQL, read when the statement runs, not when it is
    built: a query built once and run many times (the compiled path keeps a principal's
    badge and module-field queries) must not carry the time it was made."""
    if minus is None:
        return bindparam(None, type_=UTCDateTime(), callable_=utcnow)
    return bindparam(None, type_=UTCDateTime(), callable_=lambda: utcnow() - minus)


def today_param():
    """Today's UTC date in SQL, read when the statement runs (see `now_param`)."""
    return bindparam(None, type_=Date(), callable_=lambda: utcnow().date())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Customer fields a new sub-customer copies from its parent (see SUB_CUSTOMER_COPYABLE).
    sub_customer_copy_fields: Mapped[list] = mapped_column(JSONType, default=list)
    # WARN: a write that looks like a duplicate goes through with warnings; BLOCK refuses it.
    duplicate_policy: Mapped[str] = mapped_column(String(8), default="WARN", server_default="WARN")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Worker(Base):
    __tablename__ = "workers"
    __table_args__ = (UniqueConstraint("tenant_id", "email"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    avatar_url: Mapped[str | None] = mapped_column(String(2000))
    # The uploaded photo, if any (`core/avatars.py`); `avatar_url` stays the fallback.
    avatar_key: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    at_work: Mapped[bool] = mapped_column(Boolean, default=True)
    show_sub_customers: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Folder(Base):
    __tablename__ = "folders"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    color: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hidden_tabs: Mapped[list] = mapped_column(JSONType, default=list, server_default="[]")


class TenantModule(Base):
    """A module (plugin) this tenant switched on; its absence means off, data kept."""

    __tablename__ = "tenant_modules"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    module: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PermissionOverride(Base):
    """A permission granted or withdrawn for a role of the tenant or for one worker, over the
    defaults (`core.access.PERMISSIONS` and the modules' grants)."""

    __tablename__ = "permission_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    role: Mapped[str | None] = mapped_column(String(16))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"))
    permission: Mapped[str] = mapped_column(String(64))
    granted: Mapped[bool] = mapped_column(Boolean)


class FolderAccess(Base):
    """Who may open a folder's customers (a role or one worker), and whether to edit them."""

    __tablename__ = "folder_access"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    folder_id: Mapped[int] = mapped_column(ForeignKey("folders.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(String(16))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"))
    can_edit: Mapped[bool] = mapped_column(Boolean)


class ApiKey(Base):
    """A long-lived credential for an integration: only a hash of the secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    permissions: Mapped[list] = mapped_column(JSONType, default=list)
    created_by: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EventRecord(Base):
    """One event of a write: the audit log, the customer's timeline and the outbox at once.
    Written in the transaction of its change; `published_at` is set once the bus has it."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_tenant_id_id", "tenant_id", "id"),
        Index("ix_events_tenant_id_customer_id_id", "tenant_id", "customer_id", "id"),
        Index("ix_events_unpublished", "published_at", "id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The timeline's sentence, worked out from (action, data) on insert (`core.summaries`),
    # so SQL can answer it: without a worker, and what follows the worker's name.
    summary: Mapped[str | None] = mapped_column(Text, default=lambda c: _summarized(c)[0])
    summary_rest: Mapped[str | None] = mapped_column(Text, default=lambda c: _summarized(c)[1])


def _summarized(context) -> tuple[str, str | None]:
    row = context.get_current_parameters()
    return summaries.summarize(row["action"], row.get("data") or {})


class Status(Base):
    """A status of the tenant's own list (`folder_id` null) or of one folder's list."""

    __tablename__ = "statuses"
    __table_args__ = (Index(None, "tenant_id", "folder_id", "position"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    folder_id: Mapped[int | None] = mapped_column(ForeignKey("folders.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    color: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("tenant_id", "name"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    color: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)


class CustomFieldDefinition(Base):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSONType, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    group_name: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Empty: shown in every folder (and for customers in none).
    folder_ids: Mapped[list] = mapped_column(JSONType, default=list)
    condition_field_id: Mapped[int | None] = mapped_column(
        ForeignKey("custom_field_definitions.id", ondelete="SET NULL")
    )
    condition_values: Mapped[list] = mapped_column(JSONType, default=list)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index(None, "tenant_id", "sort_name", "id"),
        Index(None, "tenant_id", "created_at", "id"),
        Index(None, "tenant_id", "updated_at", "id"),
        Index(None, "tenant_id", "follow_up_at", "id"),
        Index(None, "tenant_id", "parent_id"),
        Index(None, "tenant_id", "status_id"),
        Index(
            "ix_customers_archived",
            "tenant_id",
            "archived_at",
            "id",
            sqlite_where=text("archived_at IS NOT NULL"),
            postgresql_where=text("archived_at IS NOT NULL"),
        ),
        Index("uq_customers_tenant_id_external_id", "tenant_id", "external_id", unique=True),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    sort_name: Mapped[str] = mapped_column(String(200))
    avatar_url: Mapped[str | None] = mapped_column(String(2000))
    # The uploaded photo, if any (`core/avatars.py`); `avatar_url` stays the fallback.
    avatar_key: Mapped[str | None] = mapped_column(String(32))
    status_id: Mapped[int | None] = mapped_column(ForeignKey("statuses.id", ondelete="SET NULL"))
    phones: Mapped[list] = mapped_column(JSONType, default=list)
    emails: Mapped[list] = mapped_column(JSONType, default=list)
    company: Mapped[str | None] = mapped_column(String(200))
    lead_source: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_reason: Mapped[str | None] = mapped_column(String(500))
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    custom_fields: Mapped[dict] = mapped_column(JSONType, default=dict)
    # Standard fields (migration 0011, `core/standard_fields.py`).
    salutation: Mapped[str | None] = mapped_column(String(40))
    job_title: Mapped[str | None] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    website: Mapped[str | None] = mapped_column(String(2000))
    industry: Mapped[str | None] = mapped_column(String(100))
    payment_method: Mapped[str | None] = mapped_column(String(20))
    payment_terms_days: Mapped[int | None] = mapped_column(Integer)
    payment_currency: Mapped[str | None] = mapped_column(String(3))
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    # Per channel: OPTED_IN, OPTED_OUT or null (never asked), and when that answer was given.
    email_consent: Mapped[str | None] = mapped_column(String(10))
    email_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sms_consent: Mapped[str | None] = mapped_column(String(10))
    sms_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    whatsapp_consent: Mapped[str | None] = mapped_column(String(10))
    whatsapp_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phone_consent: Mapped[str | None] = mapped_column(String(10))
    phone_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    post_consent: Mapped[str | None] = mapped_column(String(10))
    post_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Lower-cased name, company, emails, phones (as typed and digits only) and then
    # `contact_search_text`: what search reads.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The contact people's names, emails and phones, kept by every contact write
    # (`core/customer_contacts.py`), so a customer's own edits rebuild `search_text` unread.
    contact_search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Archived (migration 0012_archive, `core/archive.py`): out of lists and counters until
    # restored; who archived it, a worker id kept without a foreign key like an event's actor.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_by: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    # The customer's id in another system (imports match on it): unique per tenant where set.
    external_id: Mapped[str | None] = mapped_column(String(100))

    # Every ORM flush checks and bumps the version: a concurrent edit fails instead of
    # silently overwriting.
    __mapper_args__ = {"version_id_col": version}


class CustomerFolder(Base):
    __tablename__ = "customer_folders"
    __table_args__ = (Index(None, "folder_id", "customer_id", "tenant_id"),)

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    folder_id: Mapped[int] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    status_id: Mapped[int | None] = mapped_column(ForeignKey("statuses.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerTag(Base):
    __tablename__ = "customer_tags"
    __table_args__ = (Index(None, "tag_id", "customer_id"),)

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerWorker(Base):
    __tablename__ = "customer_workers"
    __table_args__ = (Index(None, "worker_id", "customer_id", "tenant_id"),)

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("workers.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerCount(Base):
    """A delta of the exact customer counters (`core/customer_counts.py`), written by the
    triggers of migration 0007 only; a key's count is the sum of its rows."""

    __tablename__ = "customer_counts"
    __table_args__ = (
        # SQLite keeps one row per key (upserts); PostgreSQL appends deltas and folds them.
        Index("ix_customer_counts_key", "tenant_id", "dimension", "ref", "sub").ddl_if(
            dialect="postgresql"
        ),
        Index("ix_customer_counts_key", "tenant_id", "dimension", "ref", "sub", unique=True).ddl_if(
            dialect="sqlite"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    dimension: Mapped[str] = mapped_column(String(40))
    ref: Mapped[int] = mapped_column(Integer)
    sub: Mapped[bool] = mapped_column(Boolean)
    n: Mapped[int] = mapped_column(Integer)


class StoredFile(Base):
    """An uploaded file (`core/files.py`): the object lives in the storage (`core/storage.py`)
    under `key`; this row says whose it is. `customer_id` has no foreign key on purpose: when
    the customer is deleted the row outlives it, invisible (every read joins `customers`),
    until `core.files.remove_customer_files` has removed the object and then the row.
    `state` is `pending` from before the object is written until the upload's transaction
    commits it; a pending row left behind is swept with its object."""

    __tablename__ = "files"
    __table_args__ = (
        Index(None, "tenant_id", "customer_id", "id"),
        Index(None, "state", "created_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(150))
    sha256: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerAddress(Base):
    """A customer's billing or shipping address: at most one of each kind."""

    __tablename__ = "customer_addresses"
    __table_args__ = (
        UniqueConstraint("customer_id", "kind"),
        Index(None, "tenant_id", "country", "customer_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerContact(Base):
    """A person at a customer (usually a company). At most one per customer is primary:
    a unique partial index holds that against any writer."""

    __tablename__ = "customer_contacts"
    __table_args__ = (
        Index(None, "customer_id", "position"),
        Index(
            "uq_customer_contacts_primary",
            "customer_id",
            unique=True,
            sqlite_where=text("is_primary"),
            postgresql_where=text("is_primary"),
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    job_title: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(100))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerIdentity(Base):
    """An email, phone or name-and-city key of a customer (`core/identities.py`): what
    duplicate detection and imports match on, one index probe per value."""

    __tablename__ = "customer_identities"
    __table_args__ = (Index(None, "tenant_id", "kind", "value", "customer_id"),)

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(320), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))


class CustomerMerge(Base):
    """What one merge did, so it can be undone (`core/merge_undo.py`): the source as it was
    (`source`: row, links, contacts, addresses), the ids of rows that moved per table and of
    links the target gained (`moved`), and the target's values it took (`taken`)."""

    __tablename__ = "customer_merges"
    __table_args__ = (
        Index(None, "tenant_id", "target_id", "id"),
        Index(None, "tenant_id", "source_id", "id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(Integer)
    target_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    source: Mapped[dict] = mapped_column(JSON)
    moved: Mapped[dict] = mapped_column(JSON)
    taken: Mapped[dict] = mapped_column(JSON)
    merged_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undoable_until: Mapped[datetime] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
