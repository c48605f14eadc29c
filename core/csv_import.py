"""CSV imports of customers: the upload (encoding, delimiter, headers and rows found by
reading the file once, streaming), the column mapping (guessed from the headers, saved by
name for next time), and the import's state. Running, previewing and reverting are
`core/csv_import_apply.py` and `core/csv_import_jobs.py`.

The file is a tenant-level object of the storage (`core/storage.py`, key under the
tenant's folder), not a row of `files`: it belongs to the import and is read again by the
job, on whatever process claims it."""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update

from core import access
from core.auth import Principal
from core.csv_import_models import IMPORTS, MAPPINGS, ROWS
from core.csv_import_rows import check_mapping, guess, known_fields
from core.customer_queries import field_definitions
from core.errors import InvalidInput, NotFound
from core.files import clean_name
from core.jobs import JOBS
from core.models import utcnow

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
DUPLICATE_MODES = ("SKIP", "UPDATE", "CREATE")
MATCH_BY = ("EMAIL", "PHONE", "EXTERNAL_ID")
READY, RUNNING, DONE, REVERTING, REVERTED = "READY", "RUNNING", "DONE", "REVERTING", "REVERTED"
FIELD = ("input", "file")
MAX_MAPPING_NAME = 100


@dataclass(frozen=True)
class Detected:
    encoding: str
    delimiter: str
    headers: list[str]
    row_count: int


def _encoding(path: Path, head: bytes) -> str:
    """BOMs first; then UTF-8 if the whole file decodes (checked streaming), else cp1252,
    the usual spreadsheet export on Windows."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def open_text(path: Path, encoding: str):
    """cp1252 leaves five bytes undefined: they read as U+FFFD rather than failing a run."""
    errors = "replace" if encoding == "cp1252" else "strict"
    return open(path, encoding=encoding, errors=errors, newline="")


def records(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record ends, cells) of each non-blank data record."""
    with open_text(path, encoding) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        for cells in reader:
            if any(c.strip() for c in cells):
                yield reader.line_num, cells


def detect(path: Path, max_rows: int) -> Detected:
    """Reads the file once; refuses what is not a CSV (binary, empty, no data, too long)."""
    with open(path, "rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if not head.strip():
        raise InvalidInput.one(FIELD, "The file is empty.", "EMPTY_FILE")
    encoding = _encoding(path, head)
    binary = head.startswith(b"PK\x03\x04") or (b"\x00" in head and encoding != "utf-16")
    sample = "" if binary else head.decode(encoding, errors="ignore")
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\r\n\f")
    if binary or controls > len(sample) // 100:
        message = "This is not a CSV file (save the sheet as CSV)."
        raise InvalidInput.one(FIELD, message, "TYPE_NOT_ALLOWED")
    try:
        delimiter = csv.Sniffer().sniff(sample[: SAMPLE_BYTES // 2], DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    try:
        with open_text(path, encoding) as handle:
            first = next(csv.reader(handle, delimiter=delimiter), [])
        headers = _headers(first)
        count = 0
        for _ in records(path, encoding, delimiter):
            count += 1
            if count > max_rows:
                message = f"More than {max_rows:,} rows (IMPORT_MAX_ROWS): split the file."
                raise InvalidInput.one(FIELD, message, "TOO_MANY_ROWS")
    except (UnicodeDecodeError, csv.Error) as exc:
        message = f"The file cannot be read as CSV ({exc})."
        raise InvalidInput.one(FIELD, message[:300], "TYPE_NOT_ALLOWED") from exc
    if not headers or count == 0:
        raise InvalidInput.one(FIELD, "The file has no data rows under its header.", "EMPTY_FILE")
    return Detected(encoding, delimiter, headers, count)


def _headers(cells: list[str]) -> list[str]:
    """Trimmed, blanks named after their position, repeats numbered: a mapping names each."""
    found: list[str] = []
    for index, cell in enumerate(cells):
        name = cell.strip().lstrip("\ufeff")[:200] or f"Column {index + 1}"
        base, n = name, 2
        while name in found:
            name, n = f"{base} ({n})", n + 1
        found.append(name)
    while found and found[-1].startswith("Column ") and not cells[len(found) - 1].strip():
        found.pop()
    return found


# --- the import row -----------------------------------------------------------------------------


async def create(
    session, principal: Principal, key: str, name: str, size: int, found: Detected
) -> dict:
    access.require(principal, "customers.import")
    definitions = await field_definitions(await session.connection(), principal.tenant_id)
    now = utcnow()
    values = {
        "tenant_id": principal.tenant_id,
        "created_by": principal.worker_id,
        "file_key": key,
        "file_name": clean_name(name, "import.csv"),
        "size": size,
        "encoding": found.encoding,
        "delimiter": found.delimiter,
        "headers": found.headers,
        "row_count": found.row_count,
        "mapping": guess(found.headers, definitions),
        "duplicate_mode": "SKIP",
        "match_by": "EMAIL",
        "status": READY,
        "created": 0,
        "updated": 0,
        "skipped": 0,
        "failed": 0,
        "created_at": now,
        "updated_at": now,
    }
    new_id = (
        await session.execute(insert(IMPORTS).values(values).returning(IMPORTS.c.id))
    ).scalar()
    return {**values, "id": new_id}


RUN_JOB, REVERT_JOB = JOBS.alias("run_job"), JOBS.alias("revert_job")


def visible(principal: Principal, *conditions):
    """Imports are the tenant's staff's work: those with `customers.import` see them all.
    With their jobs' statuses: a run whose job failed is FAILED (`status_of`)."""
    return (
        select(
            IMPORTS,
            RUN_JOB.c.status.label("job_status"),
            REVERT_JOB.c.status.label("revert_job_status"),
        )
        .select_from(
            IMPORTS.outerjoin(RUN_JOB, RUN_JOB.c.id == IMPORTS.c.job_id).outerjoin(
                REVERT_JOB, REVERT_JOB.c.id == IMPORTS.c.revert_job_id
            )
        )
        .where(IMPORTS.c.tenant_id == principal.tenant_id, *conditions)
    )


def status_of(row) -> str:
    """The stored status, or FAILED / REVERT_FAILED when its job ended without finishing
    (running or reverting again resumes it)."""
    ended = ("FAILED", "CANCELLED")
    if row["status"] == RUNNING and row.get("job_status") in ended:
        return "FAILED"
    if row["status"] == REVERTING and row.get("revert_job_status") in ended:
        return "REVERT_FAILED"
    return row["status"]


async def get(session_or_conn, principal: Principal, import_id: int, lock: bool = False) -> dict:
    access.require(principal, "customers.import")
    query = visible(principal, IMPORTS.c.id == import_id)
    if lock:
        query = query.with_for_update(of=IMPORTS)
    row = (await session_or_conn.execute(query)).mappings().first()
    if row is None:
        raise NotFound("Import")
    return dict(row)


async def set_mapping(
    session,
    principal: Principal,
    import_id: int,
    columns: list[dict],
    duplicate_mode: str,
    match_by: str,
    save_as: str | None,
) -> dict:
    found = await get(session, principal, import_id, lock=True)
    if found["status"] != READY:
        raise InvalidInput.one(
            ("input", "importId"),
            f"An import cannot change its mapping once {found['status']}.",
            "INVALID_TRANSITION",
        )
    definitions = await field_definitions(await session.connection(), principal.tenant_id)
    check_mapping(columns, found["headers"], definitions)
    values = {"mapping": columns, "duplicate_mode": duplicate_mode, "match_by": match_by}
    await session.execute(
        update(IMPORTS).where(IMPORTS.c.id == import_id).values(**values, updated_at=utcnow())
    )
    if save_as is not None:
        await save_mapping(session, principal, save_as, columns, duplicate_mode, match_by)
    return {**found, **values}


async def save_mapping(session, principal, name, columns, duplicate_mode, match_by) -> None:
    """A saved mapping is replaced by a new one of the same name."""
    name = name.strip()
    if not name or len(name) > MAX_MAPPING_NAME:
        message = f"1 to {MAX_MAPPING_NAME} characters."
        raise InvalidInput.one(("input", "saveAs"), message, "INVALID")
    await session.execute(
        delete(MAPPINGS).where(MAPPINGS.c.tenant_id == principal.tenant_id, MAPPINGS.c.name == name)
    )
    await session.execute(
        insert(MAPPINGS).values(
            tenant_id=principal.tenant_id,
            name=name,
            columns=columns,
            duplicate_mode=duplicate_mode,
            match_by=match_by,
            created_at=utcnow(),
        )
    )


async def mappings(conn, principal: Principal) -> list[dict]:
    access.require(principal, "customers.import")
    rows = await conn.execute(
        select(MAPPINGS)
        .where(MAPPINGS.c.tenant_id == principal.tenant_id)
        .order_by(MAPPINGS.c.name)
    )
    return [dict(r) for r in rows.mappings()]


async def delete_mapping(session, principal: Principal, mapping_id: int) -> int:
    access.require(principal, "customers.import")
    gone = await session.execute(
        delete(MAPPINGS)
        .where(MAPPINGS.c.tenant_id == principal.tenant_id, MAPPINGS.c.id == mapping_id)
        .returning(MAPPINGS.c.id)
    )
    if gone.scalar() is None:
        raise NotFound("Mapping")
    return mapping_id


async def template(conn, principal: Principal) -> str:
    """The header line of a CSV holding every field (custom ones by label)."""
    access.require(principal, "customers.import")
    definitions = await field_definitions(conn, principal.tenant_id)
    out = io.StringIO()
    csv.writer(out).writerow(list(known_fields(definitions).values()))
    return out.getvalue()


async def failures(conn, principal: Principal, import_id: int, after: int, first: int) -> list:
    """FAILED lines after line `after`, in line order (a keyset page)."""
    rows = await conn.execute(
        select(ROWS.c.line, ROWS.c.reason_code, ROWS.c.reason)
        .where(
            ROWS.c.tenant_id == principal.tenant_id,
            ROWS.c.import_id == import_id,
            ROWS.c.outcome == "FAILED",
            ROWS.c.line > after,
        )
        .order_by(ROWS.c.line)
        .limit(first + 1)
    )
    return [dict(r) for r in rows.mappings()]


async def last_line(session, import_id: int) -> int:
    """Where a run resumes: every line up to it has its outcome (written with its chunk)."""
    found = await session.scalar(select(func.max(ROWS.c.line)).where(ROWS.c.import_id == import_id))
    return found or 0
