"""CSV export of the customer list: the columns a tenant can export (the filter language's
catalogue of standard fields, links, custom fields and module summaries, plus the standard
fields and addresses the filter does not compare) and the walk that turns the filtered,
ordered list into CSV bytes one page at a time.

A page is the `customers` list's own query (`core.customer_queries.list_customers`:
visibility, filter, `where`, order, keyset cursor) with the summaries and computed values
selected in it, plus one read per link kind the columns need (tags, folders, workers,
addresses): the statement count grows with pages, never with rows. Each page is read on a
connection taken for it and given back before its bytes are handed on, so a slow download
holds no connection and memory holds one page.

Cells: ISO dates and date-times as the API renders them, `true`/`false`, lists joined with
"; ". Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return: OWASP's rule) gets a leading `'`; numbers the export computed are left
alone (a negative balance is no formula)."""

import contextlib
import csv
import io
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from core import customer_queries as q
from core import filter_fields as ff
from core import filters
from core import standard_fields as sf
from core.access import can
from core.auth import Principal
from core.errors import InvalidInput, Problem, camel
from core.models import Customer as C
from core.models import (
    CustomerAddress,
    CustomerFolder,
    CustomerTag,
    CustomerWorker,
    Folder,
    Status,
    Tag,
    Worker,
)
from core.pagination import PageRequest

DELIMITERS = {"COMMA": ",", "SEMICOLON": ";", "TAB": "\t"}
BOM = "\ufeff".encode()
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_COLUMNS = 300
LIST = "LIST"
JOIN = "; "

# Links the filter language knows that an export shows as names.
LINK_LABELS = {"folder": "Folders", "folderStatus": "Folder statuses", "tag": "Tags",
               "worker": "Workers"}  # fmt: skip
LINK_READS = {"tag": "tags", "worker": "workers", "folder": "folders", "folderStatus": "folders"}


@dataclass(frozen=True)
class Column:
    """`source` says where a cell comes from: `row` (a `customers` column `key`), `select`
    (an expression selected with the page), `id`, `status`, `contacts` (a JSON list), a
    link read (`tag`, `worker`, `folder`, `folderStatus`), `address` (`key`: kind, part)
    or `custom` (`key`: the field's key)."""

    name: str
    label: str
    type: str
    source: str
    key: Any = None
    expression: Any = None


def label_of(name: str) -> str:
    """`leadSource` → "Lead source"; `tickets.open` → "Tickets: open"."""
    if "." in name:
        head, rest = name.split(".", 1)
        return f"{label_of(head)}: {label_of(rest).lower()}"
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", name).capitalize()


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", r"_\1", name).lower()


def _type_of(column) -> str:
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return ff.TEXT
    for python, name in ((bool, ff.BOOLEAN), (int, ff.NUMBER), (datetime, ff.DATETIME),
                         (date, ff.DATE)):  # fmt: skip
        if issubclass(kind, python):
            return name
    return ff.TEXT


def _parent_name():
    parent = aliased(C, name="parent_customer")
    return select(parent.name).where(parent.id == C.parent_id).correlate(C).scalar_subquery()


def _standard(dialect: str) -> list[Column]:
    found = [Column("id", "ID", ff.ID, "id")]
    for f in ff.standard_fields(dialect).values():
        if f.type == ff.LINKS:
            if f.name in LINK_LABELS:
                found.append(Column(f.name, LINK_LABELS[f.name], LIST, f.name))
        elif f.name == "status":
            found.append(Column(f.name, "Status", ff.TEXT, "status"))
        elif f.name == "parent":
            found.append(Column(f.name, "Parent", ff.TEXT, "select", expression=_parent_name()))
        elif (column := C.__table__.c.get(_snake(f.name))) is not None:
            found.append(Column(f.name, label_of(f.name), f.type, "row", column.key))
        else:
            found.append(
                Column(f.name, label_of(f.name), f.type, "select", expression=f.expression)
            )
    found += [Column(k, label_of(k), LIST, "contacts", k) for k in ("phones", "emails")]
    for key in ("blocked_reason", *sf.COLUMNS):
        name = camel(key)
        found.append(Column(name, label_of(name), _type_of(C.__table__.c[key]), "row", key))
    for key, kind in sf.ADDRESS_KINDS.items():
        for part in (*sf.ADDRESS_LIMITS, "country"):
            name = f"{camel(key)}.{camel(part)}"
            label = f"{label_of(camel(key))}: {label_of(camel(part)).lower()}"
            found.append(Column(name, label, ff.TEXT, "address", (kind, part)))
    return found


async def catalogue(conn, principal: Principal, plugins) -> dict[str, Column]:
    """Every column this worker may export, in the order a picker would offer them: the
    filter catalogue's names, so one name means one thing in `where`, `orderBy` and here."""
    found = _standard(conn.dialect.name)
    for definition in await q.field_definitions(conn, principal.tenant_id):
        custom = ff.custom_field(conn.dialect.name, definition)
        kind = LIST if custom.type == ff.OPTIONS else custom.type
        found.append(Column(custom.name, definition["label"], kind, "custom", definition["key"]))
    if plugins is not None:
        for summaries in plugins.caller("hub_customer_summaries", principal.modules)():
            for name, summary in (summaries or {}).items():
                if summary.permission and not can(principal, summary.permission):
                    continue
                expression = summary.expression(principal.tenant_id)
                found.append(Column(name, label_of(name), summary.type, "select", None, expression))
    return {c.name: c for c in found}


def chosen(columns: dict[str, Column], names: list[str]) -> list[Column]:
    """The asked columns in the asked order; coded problems at `input.columns.<i>`."""
    problems = []
    if not names:
        problems.append(Problem(("input", "columns"), "Choose at least one column.", "REQUIRED"))
    elif len(names) > MAX_COLUMNS:
        message = f"At most {MAX_COLUMNS} columns."
        problems.append(Problem(("input", "columns"), message, "TOO_MANY"))
    seen = set()
    for index, name in enumerate(names[:MAX_COLUMNS]):
        path = ("input", "columns", str(index))
        if name not in columns:
            message = f"There is no column '{name}' (`customerExportColumns` lists them)."
            problems.append(Problem(path, message, "UNKNOWN_COLUMN"))
        elif name in seen:
            problems.append(Problem(path, f"'{name}' is asked twice.", "DUPLICATE"))
        seen.add(name)
    if problems:
        raise InvalidInput(problems)
    return [columns[name] for name in names]


# --- cells --------------------------------------------------------------------------------------


def text_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def cell(value: Any) -> str:
    """Text (and lists, joined) is escaped; numbers, dates and booleans are the export's own."""
    if isinstance(value, list | tuple):
        return text_cell(JOIN.join(_plain(v) for v in value if v is not None))
    if isinstance(value, str):
        return text_cell(value)
    return _plain(value)


class Writer:
    """RFC 4180 rows (CRLF, quotes doubled, quoted only when needed) into a buffer that is
    emptied after each batch."""

    def __init__(self, delimiter: str):
        self.buffer = io.StringIO()
        self.csv = csv.writer(
            self.buffer,
            delimiter=DELIMITERS[delimiter],
            quoting=csv.QUOTE_MINIMAL,
            lineterminator="\r\n",
        )

    def encode(self, rows: list[list[str]]) -> bytes:
        self.csv.writerows(rows)
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate(0)
        return text.encode("utf-8")


# --- the walk -----------------------------------------------------------------------------------


def _tags(tenant_id: int, ids: list[int]) -> Select:
    return (
        select(CustomerTag.customer_id, Tag.name)
        .join(Tag, Tag.id == CustomerTag.tag_id)
        .where(CustomerTag.tenant_id == tenant_id, CustomerTag.customer_id.in_(ids))
        .order_by(Tag.position, Tag.name)
    )


def _workers(tenant_id: int, ids: list[int]) -> Select:
    return (
        select(CustomerWorker.customer_id, Worker.name)
        .join(Worker, Worker.id == CustomerWorker.worker_id)
        .where(CustomerWorker.tenant_id == tenant_id, CustomerWorker.customer_id.in_(ids))
        .order_by(Worker.position, Worker.name)
    )


def _folders(tenant_id: int, ids: list[int]) -> Select:
    return (
        select(
            CustomerFolder.customer_id,
            Folder.name,
            CustomerFolder.status_id.label("membership_status_id"),
        )
        .join(Folder, Folder.id == CustomerFolder.folder_id)
        .where(CustomerFolder.tenant_id == tenant_id, CustomerFolder.customer_id.in_(ids))
        .order_by(Folder.position, Folder.id)
    )


def _addresses(tenant_id: int, ids: list[int]) -> Select:
    """By customer only: the ids are the tenant's visible ones already, and SQLite without
    statistics took the `(tenant_id, country, …)` index for `tenant_id =` and read every
    address of the tenant for each page."""
    parts = [CustomerAddress.__table__.c[p] for p in (*sf.ADDRESS_LIMITS, "country")]
    return select(CustomerAddress.customer_id, CustomerAddress.kind, *parts).where(
        CustomerAddress.customer_id.in_(ids)
    )


# Names only, in the profile's order: the list loaders' whole rows cost 5x on a page of
# 1,000 (workers: 47 ms against 9).
LINK_QUERIES = {"tags": _tags, "workers": _workers, "folders": _folders, "addresses": _addresses}


@dataclass(frozen=True)
class Spec:
    """What to export: JSON both ways, so a link or a job can carry it."""

    columns: list[str]
    where: dict | None = None
    search: str | None = None
    order: str = "CREATED_AT"
    descending: bool = True
    sort_key: str | None = None
    bom: bool = False
    delimiter: str = "COMMA"

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: dict) -> "Spec":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    @property
    def filter(self) -> q.CustomerFilter | None:
        return q.CustomerFilter(search=self.search) if self.search else None


@dataclass(frozen=True)
class Batch(PageRequest):
    """A page bigger than the API's 100: only an export asks for one."""

    def validated(self) -> "Batch":
        return self


def _prefixed(exc: InvalidInput) -> InvalidInput:
    return InvalidInput([Problem(("input", *p.field), p.message, p.code) for p in exc.problems])


@dataclass
class Plan:
    principal: Principal
    spec: Spec
    columns: list[Column]
    prepared: filters.Prepared | None
    statuses: dict[int, str]
    encode_id: Callable[[str, int], str]
    search_candidates: int
    reads: set[str] = field(default_factory=set)

    @property
    def labels(self) -> list[str]:
        return [text_cell(c.label) for c in self.columns]

    async def count(self, conn, cap: int):
        return await q.count_customers(
            conn, self.principal, self.spec.filter, cap, self.search_candidates, self.prepared
        )

    async def page(self, conn, after: str | None, size: int) -> tuple[list, str | None, bool]:
        """(rows of cells, the cursor after them, whether more follow)."""
        selected = [
            c.expression.label(f"export_{i}")
            for i, c in enumerate(self.columns)
            if c.source == "select"
        ]
        spec = self.spec
        found = await q.list_customers(
            conn, self.principal, spec.filter, Batch(first=size, after=after), spec.order,
            spec.descending, self.search_candidates, self.prepared, selected,
        )  # fmt: skip
        ids = [row["id"] for row in found.rows]
        links: dict[str, dict] = {}
        for read in sorted(self.reads) if ids else ():
            grouped: dict[int, list] = defaultdict(list)
            query = LINK_QUERIES[read](self.principal.tenant_id, ids)
            for link in (await conn.execute(query)).mappings():
                grouped[link["customer_id"]].append(link)
            links[read] = grouped
        rows = [self._cells(row, links) for row in found.rows]
        cursor = found.cursors[-1] if found.cursors else after
        return rows, cursor, found.has_next

    def _cells(self, row, links: dict) -> list[str]:
        cells = []
        customer_id = row["id"]
        for index, column in enumerate(self.columns):
            source, value = column.source, None
            if source == "id":
                value = self.encode_id("Customer", customer_id)
            elif source == "row":
                value = row[column.key]
            elif source == "select":
                value = row[f"export_{index}"]
            elif source == "status":
                value = self.statuses.get(row["status_id"])
            elif source == "contacts":
                value = [item.get("value") for item in row[column.key] or []]
            elif source == "custom":
                value = (row["custom_fields"] or {}).get(column.key)
            elif source == "address":
                kind, part = column.key
                found = links["addresses"].get(customer_id, [])
                value = next((a[part] for a in found if a["kind"] == kind), None)
            elif source == "folderStatus":
                value = [
                    f"{m['name']}: {self.statuses.get(m['membership_status_id'], '')}"
                    for m in links["folders"].get(customer_id, [])
                    if m["membership_status_id"] is not None
                ]
            else:
                value = [link["name"] for link in links[LINK_READS[source]].get(customer_id, [])]
            cells.append(cell(value))
        return cells


async def plan(
    conn,
    principal: Principal,
    plugins,
    spec: Spec,
    decode_id: Callable[[str, Any], int | None],
    encode_id: Callable[[str, int], str],
    search_candidates: int,
) -> Plan:
    """Check the columns, the filter and the order (coded problems under `input`) and
    prepare what every page reuses."""
    if spec.delimiter not in DELIMITERS:
        raise InvalidInput.one(("input", "delimiter"), "COMMA, SEMICOLON or TAB.", "INVALID")
    columns = chosen(await catalogue(conn, principal, plugins), spec.columns)
    prepared = None
    try:
        if spec.where or spec.sort_key:
            prepared = await filters.prepare(
                conn, principal, plugins, spec.where, spec.sort_key, decode_id
            )
    except InvalidInput as exc:
        raise _prefixed(exc) from exc
    statuses = {}
    if any(c.source in ("status", "folderStatus") for c in columns):
        rows = await conn.execute(
            select(Status.id, Status.name).where(Status.tenant_id == principal.tenant_id)
        )
        statuses = dict(rows.all())
    reads = {LINK_READS[c.source] for c in columns if c.source in LINK_READS}
    if any(c.source == "address" for c in columns):
        reads.add("addresses")
    return Plan(principal, spec, columns, prepared, statuses, encode_id, search_candidates, reads)


async def stream(
    reader,
    the_plan: Plan,
    page_size: int,
    gate=None,
    on_page: Callable[[int], Awaitable[None]] | None = None,
) -> AsyncIterator[bytes]:
    """The CSV in pieces: the header (after a BOM if asked), then one piece per page.
    `reader` is a `core.database.RequestConnection` for the tenant: each page takes its
    connection and gives it back; `gate` (an async context manager) bounds such takings."""
    writer = Writer(the_plan.spec.delimiter)
    yield (BOM if the_plan.spec.bom else b"") + writer.encode([the_plan.labels])
    after, done, more = None, 0, True
    while more:
        async with gate or contextlib.nullcontext():
            try:
                async with reader() as conn:
                    rows, after, more = await the_plan.page(conn, after, page_size)
            finally:
                await reader.close()
        done += len(rows)
        if on_page is not None:
            await on_page(done)
        if rows:
            yield writer.encode(rows)
