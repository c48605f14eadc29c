"""The fields the customer filter language knows, with their types: the standard columns,
the links (folders and their statuses, tags, workers, status, parent, sub-customers), the
tenant's custom fields (`customFields.<key>`, typed by their definitions), the timeline
(`lastActivityAt`) and the summaries enabled modules expose (`hub_customer_summaries`,
e.g. `tickets.open`).

A field turns into SQL on `customers` in one of two shapes: a scalar expression (compared,
sorted) or a link table probed with `EXISTS`. Text compares case-insensitively; the text
columns a list filters on most (name, company, city, lead source) compare through the
expression their index holds, so equality and prefixes are index ranges."""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Float, String, cast, func, select, type_coerce
from sqlalchemy.orm import aliased

from core.models import Customer as C
from core.models import CustomerFolder, CustomerTag, CustomerWorker, EventRecord

SEGMENT = "SEGMENT"
TEXT, CHOICE, NUMBER, DATE, DATETIME, BOOLEAN, ID, LINKS, OPTIONS = (
    "TEXT",
    "CHOICE",
    "NUMBER",
    "DATE",
    "DATETIME",
    "BOOLEAN",
    "ID",
    "LINKS",
    "OPTIONS",
)

_EMPTY = ("IS_EMPTY", "IS_NOT_EMPTY")
_EQUAL = ("EQ", "NEQ", "IN", "NOT_IN")
_ORDERED = ("GT", "GTE", "LT", "LTE", "BETWEEN")
_DATES = (*_ORDERED, "BEFORE", "AFTER", "WITHIN_LAST_DAYS", "WITHIN_NEXT_DAYS")

OPERATORS: dict[str, tuple[str, ...]] = {
    TEXT: (*_EQUAL, "CONTAINS", "NOT_CONTAINS", "STARTS_WITH", *_EMPTY),
    CHOICE: (*_EQUAL, *_EMPTY),
    NUMBER: (*_EQUAL, *_ORDERED, *_EMPTY),
    DATE: ("EQ", "NEQ", *_DATES, *_EMPTY),
    DATETIME: (*_DATES, *_EMPTY),
    BOOLEAN: ("EQ", "NEQ", *_EMPTY),
    ID: (*_EQUAL, *_EMPTY),
    LINKS: (*_EQUAL, "ALL", *_EMPTY),
    OPTIONS: (*_EQUAL, "ALL", *_EMPTY),
    SEGMENT: _EQUAL,
}


@dataclass(frozen=True)
class Summary:
    """A per-customer value a module exposes to filters and sorts (`hub_customer_summaries`):
    `expression(tenant_id)` is a scalar subquery correlated to `customers.id` (use
    `.correlate(Customer)`); NUMBER or DATETIME. Only workers holding `permission` may use
    it (what they could not read on the profile they cannot probe by filtering either)."""

    type: str
    expression: Callable[[int], object]
    description: str
    permission: str | None = None
    # A column of a table with at most one row per customer (`tenant_id`, `customer_id`):
    # filters then test `customers.id IN (SELECT customer_id FROM t WHERE tenant_id = …
    # AND <condition on the column>)`, an index range on `(tenant_id, column, customer_id)`
    # instead of a probe per customer walked. Build it with `Summary.of_column`.
    column: object = None

    @classmethod
    def of_column(cls, type: str, column, description: str, permission: str | None = None):
        """A summary kept in a per-customer table's column (a customer without a row has
        no value): sorts read it per customer, filters read its index."""
        table = column.table

        def expression(tenant_id: int):
            return (
                select(column)
                .where(table.c.customer_id == C.id, table.c.tenant_id == tenant_id)
                .correlate(C)
                .scalar_subquery()
            )

        return cls(type, expression, description, permission, column)


@dataclass(frozen=True)
class Link:
    """A link table: `value` of rows whose `owner` is the customer."""

    table: object
    owner: object
    value: object


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    expression: object = None  # scalar fields: SQL on `customers`
    link: Link | None = None  # LINKS fields
    id_type: str | None = None  # what an ID value names (global ID type)
    options: tuple[str, ...] | None = None  # CHOICE and OPTIONS: allowed values
    sortable: bool = False
    indexed: str = ""  # which index serves it, for the README and the plan test
    lowered_in_python: bool = False  # text stored lower-cased by the application
    custom: dict | None = None  # the custom field's definition
    permission: str | None = None
    backing: tuple | None = None  # (column, tenant id) of a `Summary.of_column`
    extra: dict = field(default_factory=dict)

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.type]


def folded(dialect: str, column):
    """Lower-cased text the way its index holds it: byte order on PostgreSQL (`COLLATE
    "C"`), so a prefix is one index range whatever the database's collation."""
    lowered = type_coerce(func.lower(column), String)
    return lowered.collate("C") if dialect == "postgresql" else lowered


def _sort_name(dialect: str):
    return C.sort_name.collate("C") if dialect == "postgresql" else C.sort_name


def last_activity():
    """When the customer's newest event happened: the last entry of the events index
    `(tenant_id, customer_id, id)`, one probe per customer."""
    return (
        select(EventRecord.occurred_at)
        .where(EventRecord.tenant_id == C.tenant_id, EventRecord.customer_id == C.id)
        .order_by(EventRecord.id.desc())
        .limit(1)
        .correlate(C)
        .scalar_subquery()
    )


def standard_fields(dialect: str) -> dict[str, Field]:
    children = aliased(C, name="children")
    fields = [
        Field("name", TEXT, "The customer's name.", _sort_name(dialect), sortable=True,
              indexed="customers (tenant_id, sort_name)", lowered_in_python=True),
        Field("company", TEXT, "Company.", folded(dialect, C.company), sortable=True,
              indexed="customers (tenant_id, lower(company), id)"),
        Field("city", TEXT, "City.", folded(dialect, C.city), sortable=True,
              indexed="customers (tenant_id, lower(city), id)"),
        Field("leadSource", TEXT, "Where the lead came from.", folded(dialect, C.lead_source),
              sortable=True, indexed="customers (tenant_id, lower(lead_source), id)"),
        Field("notes", TEXT, "Free-text notes.", type_coerce(func.lower(C.notes), String)),
        Field("kind", CHOICE, "LEAD or CUSTOMER.", C.kind, options=("LEAD", "CUSTOMER"),
              sortable=True),
        Field("blocked", BOOLEAN, "Blocked customers.", C.blocked, sortable=True),
        Field("createdAt", DATETIME, "When it was created.", C.created_at, sortable=True,
              indexed="customers (tenant_id, created_at, id)"),
        Field("updatedAt", DATETIME, "When it last changed.", C.updated_at, sortable=True,
              indexed="customers (tenant_id, updated_at, id)"),
        Field("followUpAt", DATETIME, "The follow-up date.", C.follow_up_at, sortable=True,
              indexed="customers (tenant_id, follow_up_at, id)"),
        Field("blockedAt", DATETIME, "When it was blocked.", C.blocked_at, sortable=True),
        Field("status", ID, "The status of the tenant's own list (not a folder's).",
              C.status_id, id_type="Status", indexed="customers (tenant_id, status_id)"),
        Field("parent", ID, "The parent customer (empty: a top-level customer).", C.parent_id,
              id_type="Customer", indexed="customers (tenant_id, parent_id)"),
        Field("folder", LINKS, "Folders the customer is in.", id_type="Folder",
              link=Link(CustomerFolder, CustomerFolder.customer_id, CustomerFolder.folder_id),
              indexed="customer_folders (folder_id, customer_id, tenant_id)"),
        Field("folderStatus", LINKS, "The customer's statuses in its folders.",
              id_type="Status",
              link=Link(CustomerFolder, CustomerFolder.customer_id, CustomerFolder.status_id)),
        Field("tag", LINKS, "Tags.", id_type="Tag",
              link=Link(CustomerTag, CustomerTag.customer_id, CustomerTag.tag_id),
              indexed="customer_tags (tag_id, customer_id)"),
        Field("worker", LINKS, "Assigned workers.", id_type="Worker",
              link=Link(CustomerWorker, CustomerWorker.customer_id, CustomerWorker.worker_id),
              indexed="customer_workers (worker_id, customer_id, tenant_id)"),
        Field("subCustomers", LINKS, "Direct sub-customers.", id_type="Customer",
              link=Link(children, children.parent_id, children.id),
              indexed="customers (tenant_id, parent_id)"),
        Field("lastActivityAt", DATETIME,
              "When the newest timeline event happened (empty: none yet). "
              "`NOT` + `WITHIN_LAST_DAYS` 30 is \"no activity in 30 days\".",
              last_activity(), sortable=True),
        Field("segment", SEGMENT, "Segments the customer is in: a static one's members, "
              "or the customers a dynamic one's saved filter matches.", id_type="Segment",
              indexed="segment_members (tenant_id, customer_id, segment_id)"),
        Field("archived", BOOLEAN,
              "Archived customers. Naming `archived` or `archivedAt` in `where` lists archived "
              "customers too (otherwise they are left out).",
              C.archived_at.is_not(None), indexed="customers (tenant_id, archived_at, id) "
              "WHERE archived_at IS NOT NULL"),
        Field("archivedAt", DATETIME, "When it was archived (empty: not archived).",
              C.archived_at, sortable=True,
              indexed="customers (tenant_id, archived_at, id) WHERE archived_at IS NOT NULL"),
    ]  # fmt: skip
    return {f.name: f for f in fields}


CUSTOM_PREFIX = "customFields."

_CUSTOM_TYPES = {
    "TEXT": TEXT,
    "LONG_TEXT": TEXT,
    "NUMBER": NUMBER,
    "DATE": DATE,
    "DATE_TIME": DATETIME,
    "BOOLEAN": BOOLEAN,
    "SINGLE_SELECT": CHOICE,
    "MULTI_SELECT": OPTIONS,
}


def custom_field(dialect: str, definition: dict) -> Field:
    """A custom field read from the customer's JSON: stored canonical values compare as
    they are (dates and date-times as ISO text)."""
    key, kind = definition["key"], _CUSTOM_TYPES[definition["type"]]
    element = C.custom_fields[key]
    if kind == NUMBER:
        expression = cast(element.as_float(), Float)
    elif kind == BOOLEAN:
        expression = element.as_boolean()
    elif kind == TEXT:
        expression = type_coerce(func.lower(element.as_string()), String)
    else:
        expression = type_coerce(element.as_string(), String)
    return Field(
        f"{CUSTOM_PREFIX}{key}",
        kind,
        definition["label"],
        expression,
        options=tuple(definition["options"] or ()) if kind in (CHOICE, OPTIONS) else None,
        sortable=kind != OPTIONS,
        custom=definition,
    )


def summary_field(name: str, summary: Summary, tenant_id: int) -> Field:
    return Field(
        name,
        summary.type,
        summary.description,
        summary.expression(tenant_id),
        sortable=True,
        permission=summary.permission,
        backing=None if summary.column is None else (summary.column, tenant_id),
    )
