"""Uploaded files: what the client sent is judged here (its type sniffed from the bytes, its
name made safe), recorded in `files`, and handed out only through short-lived signed URLs
that are checked again, against the viewer's visibility of the customer, when they are used.

An upload is three steps so that a failure anywhere leaves nothing behind: a `pending` row
(after the permission, customer and file checks, in its own transaction), the object
written to the storage, then the row `committed` with its event in the mutation's
transaction. If the object cannot be written or the commit fails, the object and the row are
removed at once; if the process dies in between, `sweep_files` finds the pending row later.

The job runner calls `remove_customer_files` for an erased customer (`core/file_jobs.py`) and
each process `sweep_files` periodically; an erased customer's rows are invisible meanwhile."""

import hashlib
import posixpath
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import puremagic
from sqlalchemy import and_, delete, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import access, links
from core.auth import Principal
from core.customers import get_customer
from core.errors import InvalidInput, NotFound
from core.events import Event, emit
from core.models import Customer, StoredFile
from core.storage import Storage, new_key

PURPOSES = ("document", "import", "avatar", "audio", "attachment")
# Listed and downloaded as files (`Customer.uploadedFiles`, `/files/<token>`); avatars and
# recordings are served by their own paths, under their own rules.
LISTED = ("document", "import")
# Kept by a module and served under its own permission (a link's `need`): recordings' audio,
# the attachments communications received. Such a link may also name a listed file the module
# shows under its rule (a document sent as an attachment).
OWN_PURPOSES = ("audio", "attachment")
LINKED_PURPOSES = LISTED + OWN_PURPOSES
PDF, PNG, JPEG, GIF, WEBP = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
)
TEXT, CSV, ZIP = "text/plain", "text/csv", "application/zip"
MP3, WAV, OGG, M4A, AAC, WEBM = (
    "audio/mpeg",
    "audio/wav",
    "audio/ogg",
    "audio/mp4",
    "audio/aac",
    "audio/webm",
)
# What the sniffer calls audio containers, as the audio purpose names them (an Ogg or WebM
# file is taken as audio there; `plugins/recordings` reads its streams with mutagen).
AUDIO_NAMES = {
    "audio/wave": WAV,
    "audio/x-wav": WAV,
    "audio/vnd.wave": WAV,
    "application/ogg": OGG,
    "audio/opus": OGG,
    "video/webm": WEBM,
    "audio/x-m4a": M4A,
    "audio/m4a": M4A,
}
M4A_BRANDS = (b"M4A ", b"M4B ", b"M4P ")
OOXML = "application/vnd.openxmlformats-officedocument."
DOCX, XLSX, PPTX = (
    OOXML + "wordprocessingml.document",
    OOXML + "spreadsheetml.sheet",
    OOXML + "presentationml.presentation",
)
ODF = "application/vnd.oasis.opendocument."
ODT, ODS, ODP = ODF + "text", ODF + "spreadsheet", ODF + "presentation"
# What each use accepts, by sniffed type; anything else (HTML, SVG, executables, scripts)
# is refused as TYPE_NOT_ALLOWED whatever the client calls it.
ALLOWED: dict[str, frozenset[str]] = {
    "document": frozenset(
        {PDF, PNG, JPEG, GIF, WEBP, TEXT, CSV, ZIP, DOCX, XLSX, PPTX, ODT, ODS, ODP}
    ),
    "import": frozenset({CSV, TEXT, XLSX}),
    "avatar": frozenset({PNG, JPEG, GIF, WEBP}),
    "audio": frozenset({MP3, WAV, OGG, M4A, AAC, WEBM}),
}
ALLOWED["attachment"] = ALLOWED["document"]
EXTENSIONS = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
    GIF: (".gif",),
    WEBP: (".webp",),
    TEXT: (".txt", ".text", ".log", ".md", ".csv", ".tsv"),
    CSV: (".csv",),
    ZIP: (".zip",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    PPTX: (".pptx",),
    ODT: (".odt",),
    ODS: (".ods",),
    ODP: (".odp",),
    MP3: (".mp3",),
    WAV: (".wav",),
    OGG: (".ogg", ".opus", ".oga"),
    M4A: (".m4a", ".mp4"),
    AAC: (".aac",),
    WEBM: (".webm", ".weba"),
}
MAX_NAME = 200
SNIFF_BYTES = 8192
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10))} | {
    f"lpt{i}" for i in range(10)
}
LINKS = "files"  # download links: their key and issuer (`core/links.py`)


@dataclass(frozen=True)
class Received:
    """A file as it arrived (the HTTP layer's temporary copy): nothing here is trusted
    except `size` and `sha256`, which were counted while it was written."""

    filename: str | None
    content_type: str | None  # the client's claim, never used
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class Checked:
    name: str
    content_type: str
    size: int
    sha256: str


# --- names and types ---------------------------------------------------------------------------


def clean_name(raw: str | None, fallback: str = "file") -> str:
    """A name fit to show and to offer in a download: the last part of any path (either
    slash), Unicode NFC, no control or format characters (bidi overrides), no leading dots,
    not a Windows device name, at most MAX_NAME characters with its extension kept."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if ch.isspace() else ch for ch in name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).lstrip(". ").rstrip(". ")
    stem, ext = posixpath.splitext(name)
    if stem.lower() in WINDOWS_RESERVED:
        stem = f"_{stem}"
    if len(ext) > 16:
        stem, ext = name, ""
    name = stem[: MAX_NAME - len(ext)].rstrip(". ") + ext if stem else ""
    return name or fallback


def _zip_kind(path: Path) -> str:
    """Office and OpenDocument files are ZIP archives: their members tell them apart (read
    from the archive's directory, nothing is unpacked)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if declared in (ODT, ODS, ODP):
                    return declared
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, ValueError):
        return "application/octet-stream"
    if "[Content_Types].xml" in names:
        for prefix, kind in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
            if any(n.startswith(prefix) for n in names):
                return kind
    return ZIP


def _is_text(head: bytes) -> bool:
    head = head.removeprefix(b"\xef\xbb\xbf")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # only a character cut at the end of the sample
            return False
        text = head[: exc.start].decode("utf-8")
    return not any(ord(c) < 32 and c not in "\t\n\r\f" for c in text)


def sniff(path: Path, name: str) -> str:
    """The file's type from its bytes (puremagic's signatures, the ZIP directory, a UTF-8
    check for text); the client's `Content-Type` plays no part. A name ending `.csv` only
    narrows text to CSV."""
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head[4:8] == b"ftyp" and head[8:12] in M4A_BRANDS:
        return M4A
    try:
        found = puremagic.from_string(head, mime=True)
    except puremagic.PureError:
        found = ""
    if found:
        return found
    if _is_text(head):
        return CSV if name.lower().endswith(".csv") else TEXT
    return "application/octet-stream"


def with_extension(name: str, content_type: str) -> str:
    """The name with an extension of its real type: `photo.exe` holding a PNG downloads as
    `photo.exe.png`."""
    known = EXTENSIONS.get(content_type)
    if not known or name.lower().endswith(known):
        return name
    return clean_name(name[: MAX_NAME - len(known[0])] + known[0])


def check(received: object, purpose: str, max_bytes: int) -> Checked:
    field = ("input", "file")
    if not isinstance(received, Received):
        message = "Send the file as a part of a multipart request (the GraphQL multipart spec)."
        raise InvalidInput.one(field, message, "REQUIRED")
    if received.size == 0:
        raise InvalidInput.one(field, "The file is empty.", "EMPTY_FILE")
    if received.size > max_bytes:
        message = f"The file is over {max_bytes:,} bytes (UPLOAD_MAX_FILE_BYTES)."
        raise InvalidInput.one(field, message, "FILE_TOO_LARGE")
    name = clean_name(received.filename)
    kind = sniff(received.path, name)
    if purpose == "audio":
        kind = AUDIO_NAMES.get(kind, kind)
    if kind not in ALLOWED[purpose]:
        message = f"Files of type {kind} are not accepted here."
        raise InvalidInput.one(field, message, "TYPE_NOT_ALLOWED")
    return Checked(with_extension(name, kind), kind, received.size, received.sha256)


# --- the upload's three steps -------------------------------------------------------------------


async def add_pending(
    session: AsyncSession,
    principal: Principal,
    customer_id: int | None,
    received: object,
    purpose: str,
    max_bytes: int,
    permission: str = "files.upload",
) -> StoredFile:
    """Who may, where, and what: then a pending row naming a fresh key. A file for a customer
    needs the right to change that customer; without one it belongs to its uploader. A
    module storing files of its own (recordings) names its own `permission`."""
    access.require(principal, permission)
    if customer_id is not None:
        customer_id = (await get_customer(session, principal, customer_id)).id
    checked = check(received, purpose, max_bytes)
    row = StoredFile(
        tenant_id=principal.tenant_id,
        customer_id=customer_id,
        key=new_key(principal.tenant_id),
        name=checked.name,
        size=checked.size,
        content_type=checked.content_type,
        sha256=checked.sha256,
        purpose=purpose,
        state="pending",
        uploaded_by=principal.worker_id,
    )
    session.add(row)
    await session.flush()
    return row


async def commit(session: AsyncSession, principal: Principal, file_id: int) -> StoredFile:
    row = await session.scalar(
        select(StoredFile).where(
            StoredFile.tenant_id == principal.tenant_id,
            StoredFile.id == file_id,
            StoredFile.state == "pending",
        )
    )
    if row is None:
        raise NotFound("File")
    row.state = "committed"
    await session.flush()
    if row.customer_id is not None:
        data = {"fileId": row.id, "name": row.name, "size": row.size}
        event = Event(
            "file.uploaded", principal.tenant_id, row.customer_id, data, principal.worker_id
        )
        await emit(session, event)
    return row


async def seed_file(
    session: AsyncSession,
    storage: Storage,
    file: tuple[int, int | None, str, str],
    data: bytes,
    at: datetime,
) -> int:
    """Demo data (`hub_demo_data`'s storage): bytes made in code, written to the storage and
    recorded committed, no sniffing (the seed knows what it made). `file` is (tenant id,
    customer id, name, content type); the purpose follows the type: audio or document."""
    tenant_id, customer_id, name, content_type = file
    key = new_key(tenant_id)
    with tempfile.TemporaryDirectory(prefix="hub-demo-") as folder:
        path = Path(folder) / "file"
        path.write_bytes(data)
        await storage.put(key, path, content_type)
    purpose = "audio" if content_type.startswith("audio/") else "document"
    made = await session.execute(
        insert(StoredFile)
        .values(
            tenant_id=tenant_id,
            customer_id=customer_id,
            key=key,
            name=name,
            size=len(data),
            content_type=content_type,
            sha256=hashlib.sha256(data).hexdigest(),
            purpose=purpose,
            state="committed",
            created_at=at,
        )
        .returning(StoredFile.id)
    )
    return made.scalar_one()


async def discard(db, storage: Storage, tenant_id: int, file_id: int, key: str) -> None:
    """The object, then its row: a row is never gone while its object may remain."""
    await storage.delete(key)
    async with db.transaction(tenant_id) as session:
        await session.execute(
            delete(StoredFile).where(StoredFile.tenant_id == tenant_id, StoredFile.id == file_id)
        )


# --- reading ------------------------------------------------------------------------------------


def visible_files(principal: Principal, purposes=LISTED, unclaimed: bool = False):
    """Committed files of customers the principal sees, and their own customer-less ones.
    `unclaimed` (a module's link only): also attachments received for no customer and no
    uploader yet (an unmatched inbound message's), which the link's permission guards."""
    of_customer = exists().where(
        Customer.id == StoredFile.customer_id, access.visible_customers(principal)
    )
    own = and_(StoredFile.customer_id.is_(None), StoredFile.uploaded_by == principal.worker_id)
    if unclaimed:
        nobody = and_(
            StoredFile.customer_id.is_(None),
            StoredFile.uploaded_by.is_(None),
            StoredFile.purpose == "attachment",
        )
        own = or_(own, nobody)
    return and_(
        StoredFile.tenant_id == principal.tenant_id,
        StoredFile.state == "committed",
        StoredFile.purpose.in_(purposes),
        or_(own, and_(StoredFile.customer_id.is_not(None), of_customer)),
    )


async def visible_file(conn, principal: Principal, file_id: int, need: str | None = None):
    """The file's row for a download link, or None. A document or import needs
    `files.view`; a module's link (a recording, a message's attachment) the permission it
    names, and the module decided which file it names when it signed it."""
    permission, purposes = ("files.view", LISTED) if need is None else (need, LINKED_PURPOSES)
    if not access.can(principal, permission):
        return None
    found = await conn.execute(
        select(StoredFile.__table__).where(
            StoredFile.id == file_id, visible_files(principal, purposes, need is not None)
        )
    )
    row = found.mappings().first()
    return dict(row) if row else None


# --- signed download URLs -----------------------------------------------------------------------


def download_token(
    signing_key: str,
    principal: Principal,
    file_id: int,
    seconds: int,
    need: str | None = None,
    inline: bool = False,
) -> str:
    """Names the file and the viewer (`core/links.py`); a module's link to a file of its own
    (`OWN_PURPOSES`) names the permission that guards it (`need`), and `inline` serves it
    for playing in the page rather than as an attachment."""
    claims = {"fid": file_id}
    if need is not None:
        claims["need"] = need
    if inline:
        claims["inline"] = True
    return links.sign(signing_key, LINKS, principal, seconds, **claims)


def read_download_token(signing_key: str, token: str) -> dict | None:
    """The claims of a valid token; None for a forged or malformed one; `LinkExpired`."""
    claims = links.read(signing_key, LINKS, token, ("fid",))
    if claims is not None and not isinstance(claims.get("need", ""), str):
        return None
    return claims


# --- removal ------------------------------------------------------------------------------------


async def _remove(db, storage: Storage, tenant_id: int | None, condition) -> int:
    async with db.transaction(tenant_id) as session:
        rows = (await session.execute(select(StoredFile.id, StoredFile.key).where(condition))).all()
    for _, key in rows:
        await storage.delete(key)
    if rows:
        async with db.transaction(tenant_id) as session:
            ids = [file_id for file_id, _ in rows]
            await session.execute(delete(StoredFile).where(StoredFile.id.in_(ids)))
    return len(rows)


async def remove_customer_files(db, storage: Storage, tenant_id: int, customer_id: int) -> int:
    """Every object and row of a deleted customer; how many. Safe to run again (the job
    runner retries): objects go first, rows after."""
    gone = ~exists().where(Customer.id == customer_id, Customer.tenant_id == tenant_id)
    condition = and_(StoredFile.tenant_id == tenant_id, StoredFile.customer_id == customer_id, gone)
    return await _remove(db, storage, tenant_id, condition)


async def sweep_files(db, storage: Storage, pending_seconds: int) -> int:
    """Across tenants (run without a tenant, as the job runner does): uploads left pending
    by a crash, and files of customers that no longer exist."""
    before = datetime.now(UTC) - timedelta(seconds=pending_seconds)
    orphaned = and_(
        StoredFile.customer_id.is_not(None),
        ~exists().where(Customer.id == StoredFile.customer_id),
    )
    stale = and_(StoredFile.state == "pending", StoredFile.created_at < before)
    return await _remove(db, storage, None, or_(stale, orphaned))


async def move_files(session: AsyncSession, tenant_id: int, source_id: int, target_id: int):
    """A merge keeps the duplicate's files on the customer it was merged into; its photo
    (`core/avatars.py`) stays with the duplicate, whose row names it."""
    await session.execute(
        update(StoredFile)
        .where(
            StoredFile.tenant_id == tenant_id,
            StoredFile.customer_id == source_id,
            StoredFile.purpose != "avatar",
        )
        .values(customer_id=target_id)
    )
